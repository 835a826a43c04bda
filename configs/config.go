package configs

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is hybridcon's whole configuration. Build it with [Load] (or
// [Default] in tests) and pass it down by value; a Config is never changed
// after start-up, so it is safe to share between goroutines.
//
// The yaml tags are the keys of the configuration file; each field's
// environment variable is HYBRIDCON_ followed by the key in upper case (see
// [Vars]).
type Config struct {
	// HTTPAddr is the listen address, host:port. An empty host listens on
	// every interface; port 0 picks a free port. The zero value "" is
	// invalid; the default is ":8080".
	HTTPAddr string `yaml:"http_addr"`

	// DataDir is the directory holding the SQLite database file. It must
	// not be empty (the default is "./data"); it is unused when DatabaseURL
	// is set.
	DataDir string `yaml:"data_dir"`

	// DatabaseURL is a PostgreSQL URL (postgres:// or postgresql://, with a
	// host). Empty means SQLite at SQLitePath().
	DatabaseURL string `yaml:"database_url"`

	// RedisURL is a Redis URL (redis:// or rediss://) used for pub/sub and
	// presence between nodes. Empty means an in-process broker: a single
	// node.
	RedisURL string `yaml:"redis_url"`

	// RedisPrefix starts every Redis channel and key this deployment uses,
	// so deployments sharing one Redis stay apart. Empty (the default)
	// derives it from the database's identity (see storage.Store.Identity):
	// the same for every node of one deployment, different for another
	// database, a restored copy included.
	RedisPrefix string `yaml:"redis_prefix"`

	// Region is this node's region; it must be one of Regions. The zero
	// value is invalid; the default is "cn".
	Region string `yaml:"region"`

	// Regions are the known regions, each 2–8 lowercase ASCII letters, no
	// duplicates. Empty is invalid; the default is [cn hu].
	Regions []string `yaml:"regions"`

	// NodeID identifies this node in presence reports; it must be unique in
	// a cluster and contain no whitespace. Empty is invalid; the default is
	// the host name, "-" and the process id.
	NodeID string `yaml:"node_id"`

	// Demo loads the demo conference into an empty database at start-up.
	// false (the zero value) never loads it; the default is true. A
	// database that already holds data is never touched either way.
	Demo bool `yaml:"demo"`

	// AdminToken, if non-empty, makes an admin API token with this value
	// exist (for automation and tests); it must then be at least 16
	// characters with no whitespace. Empty (the default) means no such
	// token: a generated admin password is printed once on first start.
	AdminToken string `yaml:"admin_token"`

	// AllowedOrigins are origins (scheme://host[:port], http or https, no
	// path) allowed for pages and websockets besides the server's own.
	// Empty (the default) allows the same origin only.
	AllowedOrigins []string `yaml:"allowed_origins"`

	// EmbedOrigins are the origins (scheme://host[:port], http or https,
	// no path) whose pages may show the embeddable schedule
	// (/e/{slug}/embed) in a frame. Empty (the default) lets nobody frame
	// it; every other page refuses framing whatever this says.
	EmbedOrigins []string `yaml:"embed_origins"`

	// TrustedProxies are the addresses (10.0.0.5) or CIDR ranges
	// (10.0.0.0/8) of the reverse proxies in front of this node, written
	// as Go prints them (lowercase IPv6, no zone). Only requests from
	// them may set ProxyHeader, X-Forwarded-Proto and X-Forwarded-Host.
	// Empty (the default) trusts nobody: the client address is the
	// connection's, and the scheme and host are the request's own.
	TrustedProxies []string `yaml:"trusted_proxies"`

	// ProxyHeader names the header in which a trusted proxy passes the
	// client's address (X-Real-IP), used by per-address rate limits and
	// logs. It needs TrustedProxies. Empty (the default) uses the
	// connection's address.
	ProxyHeader string `yaml:"proxy_header"`

	// SecureCookies sets the Secure flag on the login and CSRF cookies,
	// so browsers send them over HTTPS only. false (the zero value and
	// the default) also works over plain HTTP; set it behind TLS.
	SecureCookies bool `yaml:"secure_cookies"`

	// HSTSMaxAge, when positive, sends Strict-Transport-Security with
	// this max-age (whole seconds, at least 1s) on answers to HTTPS
	// requests. 0 (the zero value and the default) sends none.
	HSTSMaxAge time.Duration `yaml:"hsts_max_age"`

	// LogLevel is the least severe level logged: "debug", "info", "warn"
	// or "error". The zero value is invalid; the default is "info".
	LogLevel string `yaml:"log_level"`

	// LogFormat is "text" (key=value lines) or "json". The zero value is
	// invalid; the default is "text".
	LogFormat string `yaml:"log_format"`

	// ShutdownTimeout bounds a graceful stop: how long a stopping node
	// waits for in-flight requests and for viewers to leave. It must be
	// positive (the zero value is invalid); the default is 10s.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`

	// PprofAddr, when set, serves Go's profiler (net/http/pprof) on that
	// host:port, for profiling under load. Empty (the default) serves
	// nothing; never expose it beyond the host.
	PprofAddr string `yaml:"pprof_addr"`

	// MetricsAddr, when set (host:port), serves the Prometheus metrics
	// (/metrics) on a listener of its own, and the API's listener no
	// longer does, so they need not be public. Empty (the default) serves
	// /metrics on HTTPAddr.
	MetricsAddr string `yaml:"metrics_addr"`

	// PasswordHashes is how many argon2id password hashes (32 MiB each,
	// for tens of milliseconds) may run at once: logins and password
	// changes past it wait up to a second, then get 503 with Retry-After.
	// It must be 1–64; the zero value is invalid; the default is 2.
	PasswordHashes int `yaml:"password_hashes"`

	// ViewersPerAddress caps the live connections (websocket and SSE)
	// open at once from one client address (behind trusted proxies, the
	// address in ProxyHeader); past it a connection is refused with 429
	// and Retry-After. 0 means no cap; the default is 100.
	ViewersPerAddress int `yaml:"viewers_per_address"`

	// RateLimits turns the API's per-IP and per-token rate limits on (the
	// default). Turn them off only for load tests, or behind a gateway
	// that limits on its own. The zero value (false) is "off"; Default
	// sets true.
	RateLimits bool `yaml:"rate_limits"`

	// origins records, by YAML key, where each non-default value came from,
	// so that messages name the setting as the user wrote it. Nil for a
	// Config built in code.
	origins map[string]origin
}

// origin is where a value came from: an environment variable, or a line of
// the configuration file.
type origin struct {
	env  string // environment variable name, or ""
	file string // file path, or ""
	line int    // 1-based line in file; 0 if unknown
}

// Default returns the built-in defaults (the values of hybridcon.yaml), with
// NodeID computed from the host name and process id. It is valid.
func Default() Config {
	return Config{
		HTTPAddr:          ":8080",
		DataDir:           "./data",
		Region:            "cn",
		Regions:           []string{"cn", "hu"},
		NodeID:            defaultNodeID(),
		Demo:              true,
		LogLevel:          "info",
		LogFormat:         "text",
		ShutdownTimeout:   10 * time.Second,
		RateLimits:        true,
		PasswordHashes:    2,
		ViewersPerAddress: 100,
	}
}

// defaultNodeID is the host name, "-" and the process id, e.g. "web1-4242".
func defaultNodeID() string {
	host, err := os.Hostname()
	host = strings.Join(strings.Fields(host), "-")
	if err != nil || host == "" {
		host = "hybridcon"
	}
	return host + "-" + strconv.Itoa(os.Getpid())
}

// Load builds the configuration: [Default], then the YAML file at path, then
// the environment as read by lookupEnv (pass os.LookupEnv; nil reads no
// environment), and finally [Config.Validate].
//
// The file is strict: an unknown key, a list where a single value belongs
// (or the reverse) or a malformed value is an error naming the file, line
// and key. A key with no value (`key:` or `key: null`) keeps its default. If
// the file does not exist, Load uses the defaults silently unless explicit
// is true (the user named the file, e.g. with --config), in which case the
// missing file is an error wrapping fs.ErrNotExist. An empty path reads no
// file.
//
// An environment variable that is set but empty counts as unset, so that
// `VAR: ${UNSET}` in a compose file keeps the file's value. List variables
// are comma-separated; spaces around items and empty items are dropped.
//
// The error, if any, has one line per problem. On error the returned Config
// is the zero value.
func Load(path string, explicit bool, lookupEnv func(string) (string, bool)) (Config, error) {
	c := Default()
	c.origins = make(map[string]origin)
	var errs []error

	if path == "" && explicit {
		return Config{}, errors.New("config file: empty path")
	}
	if path != "" {
		data, err := os.ReadFile(path)
		switch {
		case err == nil:
			errs = append(errs, c.applyFile(path, data)...)
		case errors.Is(err, fs.ErrNotExist) && !explicit:
			// No file: defaults and environment only.
		case errors.Is(err, fs.ErrNotExist):
			return Config{}, fmt.Errorf("config file %s: %w", path, fs.ErrNotExist)
		default:
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return Config{}, fmt.Errorf("config file %s: %w", path, err)
		}
	}

	if lookupEnv != nil {
		errs = append(errs, c.applyEnv(lookupEnv)...)
	}
	if len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// applyEnv overrides c with every non-empty HYBRIDCON_* variable.
func (c *Config) applyEnv(lookupEnv func(string) (string, bool)) []error {
	var errs []error
	for _, f := range fields {
		v, ok := lookupEnv(f.Env)
		if !ok || v == "" {
			continue
		}
		c.origins[f.Key] = origin{env: f.Env}
		if f.setList != nil {
			f.setList(c, splitList(v))
			continue
		}
		if err := f.set(c, v); err != nil {
			errs = append(errs, c.problem(f.Key, eq(v), err.Error()))
		}
	}
	return errs
}

// UsesPostgres reports whether the database is PostgreSQL (DatabaseURL is
// set) rather than SQLite.
func (c Config) UsesPostgres() bool { return c.DatabaseURL != "" }

// UsesRedis reports whether nodes fan out through Redis (RedisURL is set)
// rather than an in-process broker.
func (c Config) UsesRedis() bool { return c.RedisURL != "" }

// SQLitePath is the SQLite database file: DataDir/hybridcon.db. It is
// meaningful only when UsesPostgres is false.
func (c Config) SQLitePath() string { return filepath.Join(c.DataDir, "hybridcon.db") }

// SlogLevel is LogLevel as a slog.Level; an unknown level (which Validate
// rejects) is slog.LevelInfo.
func (c Config) SlogLevel() slog.Level {
	switch c.LogLevel {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// LogValue implements slog.LogValuer so a Config can be logged at start-up
// as is: passwords in URLs are masked and the admin token is reported only
// as set or not.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("http_addr", c.HTTPAddr),
		slog.String("data_dir", c.DataDir),
		slog.String("database_url", logURL(c.DatabaseURL)),
		slog.String("redis_url", logURL(c.RedisURL)),
		slog.String("redis_prefix", c.RedisPrefix),
		slog.String("region", c.Region),
		slog.String("regions", strings.Join(c.Regions, ",")),
		slog.String("node_id", c.NodeID),
		slog.Bool("demo", c.Demo),
		slog.Bool("admin_token_set", c.AdminToken != ""),
		slog.String("allowed_origins", strings.Join(c.AllowedOrigins, ",")),
		slog.String("embed_origins", strings.Join(c.EmbedOrigins, ",")),
		slog.String("trusted_proxies", strings.Join(c.TrustedProxies, ",")),
		slog.String("proxy_header", c.ProxyHeader),
		slog.Bool("secure_cookies", c.SecureCookies),
		slog.Duration("hsts_max_age", c.HSTSMaxAge),
		slog.String("log_level", c.LogLevel),
		slog.String("log_format", c.LogFormat),
		slog.Duration("shutdown_timeout", c.ShutdownTimeout),
		slog.String("metrics_addr", c.MetricsAddr),
		slog.Int("password_hashes", c.PasswordHashes),
		slog.Int("viewers_per_address", c.ViewersPerAddress),
	)
}

// redactURL returns a URL with the password in its user info and any
// "password" query parameter (libpq accepts one) masked. ok is false if s is
// not a URL with a scheme and an authority: such text (a key=value DSN, say)
// may hold a password anywhere and must not be shown.
func redactURL(s string) (redacted string, ok bool) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Opaque != "" {
		return "", false
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted(), true
}

// logURL is a URL as it may be logged: redacted, or a note that it is set
// but unshowable.
func logURL(s string) string {
	if s == "" {
		return ""
	}
	if r, ok := redactURL(s); ok {
		return r
	}
	return "(set, not a URL)"
}
