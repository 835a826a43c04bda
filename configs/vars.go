package configs

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// Var documents one configuration setting. [Vars] lists all of them.
type Var struct {
	// Env is the environment variable, e.g. "HYBRIDCON_REGION".
	Env string
	// Key is the key in the YAML file, e.g. "region".
	Key string
	// Default is the default written as one would set it in the environment
	// (lists comma-separated); "" when the default is empty. For node_id,
	// whose default is computed, it describes the computation.
	Default string
	// Meaning is one sentence for the README: what the setting does and what
	// its empty value means.
	Meaning string
}

// field is one row of the loader's table: the documentation plus how to set
// the value from text. Exactly one of set and setList is non-nil.
type field struct {
	Var
	// set parses a scalar value. Its error is a phrase without the name of
	// the setting (the caller adds it).
	set func(c *Config, s string) error
	// setList stores a list value (a YAML sequence, or the comma-separated
	// items of an environment variable).
	setList func(c *Config, items []string)
}

// fields is the single table behind [Vars], [Load] and the error messages.
// Its order is the order of the documentation and of hybridcon.yaml.
var fields = []field{
	{
		Var: Var{"HYBRIDCON_HTTP_ADDR", "http_addr", ":8080",
			"Listen address host:port; an empty host listens on every interface, port 0 picks a free port."},
		set: func(c *Config, s string) error { c.HTTPAddr = s; return nil },
	},
	{
		Var: Var{"HYBRIDCON_DATA_DIR", "data_dir", "./data",
			"Directory holding the SQLite database file (hybridcon.db); unused with PostgreSQL."},
		set: func(c *Config, s string) error { c.DataDir = s; return nil },
	},
	{
		Var: Var{"HYBRIDCON_DATABASE_URL", "database_url", "",
			"PostgreSQL URL (postgres://user:pass@host:5432/db?sslmode=disable); empty uses SQLite in data_dir."},
		set: func(c *Config, s string) error { c.DatabaseURL = s; return nil },
	},
	{
		Var: Var{"HYBRIDCON_REDIS_URL", "redis_url", "",
			"Redis URL (redis:// or rediss://) for fan-out between nodes; a Redis Cluster is detected from the server, and further seeds go in addr= parameters (redis://10.0.0.1:7001?addr=10.0.0.2:7002&addr=10.0.0.3:7003); empty uses an in-process broker (single node)."},
		set: func(c *Config, s string) error { c.RedisURL = s; return nil },
	},
	{
		Var: Var{"HYBRIDCON_REDIS_PREFIX", "redis_prefix", "",
			"Start of every Redis channel and key, so deployments sharing one Redis stay apart; empty derives it from the database (PostgreSQL system identifier and database name, or the SQLite file's path), the same on every node of one deployment."},
		set: func(c *Config, s string) error { c.RedisPrefix = s; return nil },
	},
	{
		Var: Var{"HYBRIDCON_REGION", "region", "cn",
			"This node's region, one of regions; used for presence counts and the default live stream."},
		set: func(c *Config, s string) error { c.Region = s; return nil },
	},
	{
		Var: Var{"HYBRIDCON_REGIONS", "regions", "cn,hu",
			"The known regions (2–8 lowercase letters each); comma-separated in the environment."},
		setList: func(c *Config, items []string) { c.Regions = items },
	},
	{
		Var: Var{"HYBRIDCON_NODE_ID", "node_id", "host name + \"-\" + process id",
			"This node's id in presence reports; must be unique in a cluster and contain no whitespace."},
		set: func(c *Config, s string) error { c.NodeID = s; return nil },
	},
	{
		Var: Var{"HYBRIDCON_DEMO", "demo", "true",
			"Load the demo conference (cn-hu-2021) into an empty database (true/false, 1/0, yes/no); a non-empty database is never touched."},
		set: func(c *Config, s string) error {
			b, err := parseBool(s)
			c.Demo = b
			return err
		},
	},
	{
		Var: Var{"HYBRIDCON_ADMIN_TOKEN", "admin_token", "",
			"If set (16+ characters), an admin API token with this value exists; empty prints a generated admin password once on first start."},
		set: func(c *Config, s string) error { c.AdminToken = s; return nil },
	},
	{
		Var: Var{"HYBRIDCON_ALLOWED_ORIGINS", "allowed_origins", "",
			"Extra origins (scheme://host[:port]) allowed for pages and websockets; empty allows the same origin only. Comma-separated in the environment."},
		setList: func(c *Config, items []string) { c.AllowedOrigins = items },
	},
	{
		Var: Var{"HYBRIDCON_EMBED_ORIGINS", "embed_origins", "",
			"Origins (scheme://host[:port]) whose pages may frame the embeddable schedule /e/{slug}/embed; empty lets nobody. Every other page refuses framing. Comma-separated in the environment."},
		setList: func(c *Config, items []string) { c.EmbedOrigins = items },
	},
	{
		Var: Var{"HYBRIDCON_TRUSTED_PROXIES", "trusted_proxies", "",
			"Addresses or CIDR ranges of the reverse proxies in front of the node, the only peers whose proxy_header, X-Forwarded-Proto and X-Forwarded-Host are believed; empty trusts nobody. Comma-separated in the environment."},
		setList: func(c *Config, items []string) { c.TrustedProxies = items },
	},
	{
		Var: Var{"HYBRIDCON_PROXY_HEADER", "proxy_header", "",
			"Header in which a trusted proxy passes the client's address (X-Real-IP), for per-address rate limits and logs; needs trusted_proxies. Empty uses the connection's address."},
		set: func(c *Config, s string) error { c.ProxyHeader = s; return nil },
	},
	{
		Var: Var{"HYBRIDCON_SECURE_COOKIES", "secure_cookies", "false",
			"Mark the login and CSRF cookies Secure, so browsers send them over HTTPS only (true/false); set it behind TLS."},
		set: func(c *Config, s string) error {
			b, err := parseBool(s)
			c.SecureCookies = b
			return err
		},
	},
	{
		Var: Var{"HYBRIDCON_HSTS_MAX_AGE", "hsts_max_age", "0s",
			"Send Strict-Transport-Security with this max-age on HTTPS answers (Go duration, e.g. 4320h for 180 days); 0 sends none."},
		set: func(c *Config, s string) error {
			d, err := time.ParseDuration(s)
			if err != nil {
				return errors.New("not a duration (use a number with a unit, e.g. 4320h; 0 turns it off)")
			}
			c.HSTSMaxAge = d
			return nil
		},
	},
	{
		Var: Var{"HYBRIDCON_LOG_LEVEL", "log_level", "info",
			"Least severe log level written: debug, info, warn or error."},
		set: func(c *Config, s string) error { c.LogLevel = s; return nil },
	},
	{
		Var: Var{"HYBRIDCON_LOG_FORMAT", "log_format", "text",
			"Log format: text (key=value lines) or json (one object per line)."},
		set: func(c *Config, s string) error { c.LogFormat = s; return nil },
	},
	{
		Var: Var{"HYBRIDCON_SHUTDOWN_TIMEOUT", "shutdown_timeout", "10s",
			"How long a stopping node waits for in-flight requests and viewers to leave (Go duration, e.g. 10s, 1m)."},
		set: func(c *Config, s string) error {
			d, err := time.ParseDuration(s)
			if err != nil {
				return errors.New("not a duration (use a number with a unit, e.g. 10s, 1m30s)")
			}
			c.ShutdownTimeout = d
			return nil
		},
	},
	{
		Var: Var{"HYBRIDCON_RATE_LIMITS", "rate_limits", "true",
			"Rate limits on login, failed authentication, check-in and writes (true/false); turn off only for load tests or behind a gateway that limits."},
		set: func(c *Config, s string) error {
			b, err := parseBool(s)
			c.RateLimits = b
			return err
		},
	},
	{
		Var: Var{"HYBRIDCON_VIEWERS_PER_ADDRESS", "viewers_per_address", "100",
			"Most live connections (websocket and SSE) open at once from one client address (behind trusted_proxies, the proxy_header address); past it 429 with Retry-After. 0 means no cap (load tests)."},
		set: func(c *Config, s string) error {
			n, err := strconv.Atoi(s)
			if err != nil {
				return errors.New("not a whole number (e.g. 100; 0 turns the cap off)")
			}
			c.ViewersPerAddress = n
			return nil
		},
	},
	{
		Var: Var{"HYBRIDCON_PPROF_ADDR", "pprof_addr", "",
			"If set (host:port, e.g. 127.0.0.1:6060), serve Go's profiler there for profiling under load; empty serves nothing."},
		set: func(c *Config, s string) error { c.PprofAddr = s; return nil },
	},
	{
		Var: Var{"HYBRIDCON_METRICS_ADDR", "metrics_addr", "",
			"If set (host:port, e.g. 127.0.0.1:9090), serve /metrics on a listener of its own instead of http_addr; empty serves it on http_addr."},
		set: func(c *Config, s string) error { c.MetricsAddr = s; return nil },
	},
	{
		Var: Var{"HYBRIDCON_PASSWORD_HASHES", "password_hashes", "2",
			"How many argon2id password hashes (32 MiB each) run at once; more logins wait up to 1 s, then get 503 with Retry-After (1–64)."},
		set: func(c *Config, s string) error {
			n, err := strconv.Atoi(s)
			if err != nil {
				return errors.New("not a whole number (e.g. 2)")
			}
			c.PasswordHashes = n
			return nil
		},
	},
}

// Vars documents every setting, in the order of the default file. It is
// derived from the loader's own table, so it is always complete. Treat it as
// read-only.
var Vars = func() []Var {
	vs := make([]Var, len(fields))
	for i, f := range fields {
		vs[i] = f.Var
	}
	return vs
}()

// fieldByKey returns the table row for a YAML key.
func fieldByKey(key string) (field, bool) {
	for _, f := range fields {
		if f.Key == key {
			return f, true
		}
	}
	return field{}, false
}

// knownKeys lists the YAML keys, comma-separated, for error messages.
func knownKeys() string {
	keys := make([]string, len(fields))
	for i, f := range fields {
		keys[i] = f.Key
	}
	return strings.Join(keys, ", ")
}

// parseBool accepts true/false, 1/0 and yes/no, in any letter case.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "true", "1", "yes":
		return true, nil
	case "false", "0", "no":
		return false, nil
	}
	return false, errors.New("not a boolean (use true/false, 1/0 or yes/no)")
}

// splitList splits a comma-separated environment value, trimming spaces
// around items and dropping empty ones, so "cn, hu," is [cn hu].
func splitList(s string) []string {
	var items []string
	for _, it := range strings.Split(s, ",") {
		if it = strings.TrimSpace(it); it != "" {
			items = append(items, it)
		}
	}
	return items
}
