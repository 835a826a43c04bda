package configs

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// invalidCases are values Validate must reject. env is the value as written
// in the environment (lists comma-separated); want is the problem phrase.
// Secret values must not appear in the message.
var invalidCases = []struct {
	name, key, env, want string
	secret               bool
}{
	{"AddrNoPort", "http_addr", "localhost", "not host:port", false},
	{"AddrEmptyPort", "http_addr", "localhost:", "missing port", false},
	{"AddrPortTooBig", "http_addr", ":65536", `port "65536" is not a number from 0 to 65535`, false},
	{"AddrPortNamed", "http_addr", ":http", `port "http" is not a number`, false},
	{"AddrNegativePort", "http_addr", ":-1", "is not a number from 0 to 65535", false},
	{"DatabaseScheme", "database_url", "mysql://u@h/db", "scheme must be postgres or postgresql", false},
	{"DatabaseDSN", "database_url", "host=db dbname=hybridcon", "scheme must be postgres or postgresql", true},
	{"DatabaseNoHost", "database_url", "postgres:///hybridcon", "has no host", false},
	{"DatabaseUnparsable", "database_url", "postgres://u:p@h:xx/db", "not a URL", false},
	{"RedisScheme", "redis_url", "http://cache:6379", "scheme must be redis or rediss", false},
	{"RedisUnix", "redis_url", "unix:///tmp/redis.sock", "scheme must be redis or rediss", false},
	{"RedisBadDB", "redis_url", "redis://cache:6379/zero", `invalid database number: "zero"`, false},
	{"RedisUnknownOption", "redis_url", "redis://cache:6379/0?colour=red", "unexpected option: colour", false},
	{"RedisUnparsable", "redis_url", "redis://cache:port/0", "not a URL", false},
	{"RedisClusterDB", "redis_url", "redis://10.0.0.1:7001/2?addr=10.0.0.2:7002", `a Redis Cluster (addr= seeds) has only database 0, not "2"`, false},
	{"RedisClusterBadSeed", "redis_url", "redis://10.0.0.1:7001?addr=10.0.0.2", "unable to parse addr param: 10.0.0.2", false},
	{"RedisClusterUnknownOption", "redis_url", "redis://10.0.0.1:7001?addr=10.0.0.2:7002&colour=red", "unexpected option: colour", false},
	{"RegionUnknown", "region", "xx", "unknown region (known: cn, hu)", false},
	{"RegionsBadCode", "regions", "cn,HU", `item "HU": a region is 2 to 8 lowercase letters`, false},
	{"RegionsTooLong", "regions", "cn,abcdefghi", `item "abcdefghi": a region is 2 to 8`, false},
	{"RegionsDuplicate", "regions", "cn,hu,cn", `item "cn": listed twice`, false},
	{"NodeIDSpace", "node_id", "node 1", "must not contain whitespace", false},
	{"NodeIDTab", "node_id", "node\t1", "must not contain whitespace", false},
	{"AdminTokenShort", "admin_token", "s3cr3t-short", "is 12 characters; use at least 16, because short tokens are guessable", true},
	{"AdminTokenSpace", "admin_token", "s3cr3t-long-enough token", "contains whitespace", true},
	{"OriginPath", "allowed_origins", "https://live.example.org/app", "an origin has no path", false},
	{"OriginSlash", "allowed_origins", "http://localhost:8081/", "not even a trailing /", false},
	{"OriginQuery", "allowed_origins", "https://a.example?x=1", "no query", false},
	{"OriginScheme", "allowed_origins", "ws://a.example", "not an http(s) origin", false},
	{"OriginBare", "allowed_origins", "a.example", "not an http(s) origin", false},
	{"OriginStar", "allowed_origins", "*", "not an http(s) origin", false},
	{"OriginUser", "allowed_origins", "https://u@a.example", "no user name", false},
	{"EmbedOriginPath", "embed_origins", "https://www.example.org/conference", "an origin has no path", false},
	{"EmbedOriginStar", "embed_origins", "*", "not an http(s) origin", false},
	{"OriginCase", "allowed_origins", "https://Live.Example.org", `write it as browsers send it: "https://live.example.org"`, false},
	{"ProxyNotIP", "trusted_proxies", "10.0.0.256", `item "10.0.0.256": not an IP address; want an IP address or CIDR range`, false},
	{"ProxyHostName", "trusted_proxies", "10.0.0.1,proxy.internal", `item "proxy.internal": not an IP address`, false},
	{"ProxyBadCIDR", "trusted_proxies", "10.0.0.0/33", `item "10.0.0.0/33": not a CIDR range`, false},
	{"ProxyNotCanonical", "trusted_proxies", "2001:DB8::1", `write it as "2001:db8::1"`, false},
	{"ProxyZone", "trusted_proxies", "fe80::1%eth0", "not an IP address", false},
	{"ProxyHeaderSpace", "proxy_header", "X Real IP", "not a header name", false},
	{"ProxyHeaderColon", "proxy_header", "X-Real-IP:", "not a header name", false},
	{"ProxyHeaderAlone", "proxy_header", "X-Real-IP", "needs trusted_proxies", false},
	{"SecureCookiesBad", "secure_cookies", "maybe", "not a boolean", false},
	{"HSTSNegative", "hsts_max_age", "-1h", "must not be negative", false},
	{"HSTSFraction", "hsts_max_age", "1.5s", "must be whole seconds", false},
	{"HSTSNoUnit", "hsts_max_age", "180", "not a duration", false},
	{"LogLevel", "log_level", "verbose", "unknown level (known: debug, info, warn, error)", false},
	{"LogLevelUpper", "log_level", "INFO", "unknown level", false},
	{"LogFormat", "log_format", "xml", "unknown format (known: text, json)", false},
	{"ShutdownZero", "shutdown_timeout", "0s", "must be greater than 0", false},
	{"ShutdownNegative", "shutdown_timeout", "-5s", "must be greater than 0", false},
	{"ShutdownNoUnit", "shutdown_timeout", "10", "not a duration", false},
	{"MetricsAddrNoPort", "metrics_addr", "localhost", "not host:port", false},
	{"MetricsAddrIsHTTPAddr", "metrics_addr", ":8080", "must differ from http_addr", false},
	{"PasswordHashesZero", "password_hashes", "0", "must be 1–64", false},
	{"PasswordHashesTooMany", "password_hashes", "65", "must be 1–64", false},
	{"PasswordHashesNotNumber", "password_hashes", "two", "not a whole number", false},
	{"ViewersPerAddressNegative", "viewers_per_address", "-1", "must be 0 (no cap) or more", false},
	{"ViewersPerAddressNotNumber", "viewers_per_address", "many", "not a whole number", false},
	{"RegionOtherReserved", "regions", "cn,hu,other", `item "other": "other" is reserved for viewers outside every listed region`, false},
}

// yamlValue writes an environment-style value as YAML: a flow sequence for
// list keys, a double-quoted string otherwise.
func yamlValue(key, env string) string {
	f, _ := fieldByKey(key)
	if f.setList == nil {
		return strconv.Quote(env)
	}
	items := splitList(env)
	for i, it := range items {
		items[i] = strconv.Quote(it)
	}
	return "[" + strings.Join(items, ", ") + "]"
}

func TestValidate_InvalidFromEnv(t *testing.T) {
	for _, tc := range invalidCases {
		t.Run(tc.name, func(t *testing.T) {
			f, ok := fieldByKey(tc.key)
			if !ok {
				t.Fatalf("no field %q", tc.key)
			}
			_, err := Load("", false, envOf(map[string]string{f.Env: tc.env}))
			checkProblem(t, err, f.Env, tc.want, tc.env, tc.secret)
		})
	}
}

func TestValidate_InvalidFromFile(t *testing.T) {
	for _, tc := range invalidCases {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, "# comment\n"+tc.key+": "+yamlValue(tc.key, tc.env)+"\n")
			_, err := Load(path, true, nil)
			checkProblem(t, err, path+":2: "+tc.key, tc.want, tc.env, tc.secret)
		})
	}
}

func TestValidate_InvalidInCode(t *testing.T) {
	for _, tc := range invalidCases {
		t.Run(tc.name, func(t *testing.T) {
			f, _ := fieldByKey(tc.key)
			c := Default()
			var err error
			if f.setList != nil {
				f.setList(&c, splitList(tc.env))
			} else {
				err = f.set(&c, tc.env)
			}
			if err == nil {
				err = c.Validate()
				checkProblem(t, err, tc.key, tc.want, tc.env, tc.secret)
			} else if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("set: err = %v, want %q", err, tc.want)
			}
		})
	}
}

// checkProblem asserts err is one line starting with the setting's name,
// stating the problem, and showing a secret's value nowhere.
func checkProblem(t *testing.T, err error, name, want, value string, secret bool) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, name) || !strings.Contains(msg, want) {
		t.Errorf("err = %q\nwant it to start with %q and contain %q", msg, name, want)
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("err = %q, want one line", msg)
	}
	if secret && strings.Contains(msg, value) {
		t.Errorf("err = %q shows the secret %q", msg, value)
	}
}

func TestValidate_MessageFormat(t *testing.T) {
	_, err := Load("", false, envOf(map[string]string{"HYBRIDCON_REGION": "xx"}))
	if want := `HYBRIDCON_REGION="xx": unknown region (known: cn, hu)`; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
	path := writeFile(t, "log_level: info\nregion: xx\n")
	_, err = Load(path, true, nil)
	if want := path + `:2: region="xx": unknown region (known: cn, hu)`; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
	c := Default()
	c.Region = "xx"
	if want := `region="xx": unknown region (known: cn, hu)`; c.Validate() == nil || c.Validate().Error() != want {
		t.Errorf("err = %v, want %s", c.Validate(), want)
	}
}

func TestValidate_RegionAgainstRegionsFromFile(t *testing.T) {
	// The region comes from the environment, the list from the file: the
	// message names the variable that holds the bad value.
	path := writeFile(t, "regions: [cn, hu, de]\n")
	_, err := Load(path, true, envOf(map[string]string{"HYBRIDCON_REGION": "fr"}))
	if want := `HYBRIDCON_REGION="fr": unknown region (known: cn, hu, de)`; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}

func TestValidate_EveryProblemOneLine(t *testing.T) {
	c := Default()
	c.HTTPAddr = "nope"
	c.LogLevel = "loud"
	c.ShutdownTimeout = 0
	c.DataDir = ""
	c.NodeID = ""
	err := c.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 5 {
		t.Fatalf("got %d lines, want 5:\n%v", len(lines), err)
	}
	for i, prefix := range []string{"http_addr=", "data_dir=", "node_id=", "log_level=", "shutdown_timeout="} {
		if !strings.HasPrefix(lines[i], prefix) {
			t.Errorf("line %d = %q, want prefix %q", i+1, lines[i], prefix)
		}
	}
}

func TestValidate_URLSecretsHidden(t *testing.T) {
	for _, tc := range []struct{ env, value string }{
		{"HYBRIDCON_DATABASE_URL", "mysql://app:hunter2pass@db/x"},
		{"HYBRIDCON_DATABASE_URL", "postgres://app:hunter2pass@db:port/x"},
		{"HYBRIDCON_REDIS_URL", "http://:hunter2pass@cache:6379"},
		{"HYBRIDCON_REDIS_URL", "redis://:hunter2pass@cache:6379/x/y"},
		{"HYBRIDCON_DATABASE_URL", "host=db password=hunter2pass"},
		{"HYBRIDCON_DATABASE_URL", "postgres:///hybridcon?password=hunter2pass"},
		{"HYBRIDCON_DATABASE_URL", "postgres:hunter2pass@db"},
	} {
		t.Run(tc.value, func(t *testing.T) {
			_, err := Load("", false, envOf(map[string]string{tc.env: tc.value}))
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), "hunter2pass") {
				t.Errorf("err = %q shows the password", err)
			}
			if !strings.HasPrefix(err.Error(), tc.env) {
				t.Errorf("err = %q, want it to name %s", err, tc.env)
			}
		})
	}
}

func TestValidate_Valid(t *testing.T) {
	for _, tc := range []struct{ key, env string }{
		{"http_addr", ":0"},
		{"http_addr", ":65535"},
		{"http_addr", "127.0.0.1:8080"},
		{"http_addr", "[::1]:8080"},
		{"http_addr", "localhost:80"},
		{"database_url", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"},
		{"database_url", "postgresql://u:p@db.internal/hybridcon"},
		{"redis_url", "redis://127.0.0.1:6379/0"},
		{"redis_url", "rediss://:pass@cache.example:6380"},
		{"redis_url", "redis://cache?dial_timeout=3s"},
		{"redis_url", "redis://10.0.0.1:7001?addr=10.0.0.2:7002&addr=10.0.0.3:7003"},
		{"redis_url", "rediss://:pass@10.0.0.1:7001/0?addr=10.0.0.2:7002"},
		{"regions", "cn,hu,de,abcdefgh"},
		{"node_id", "node-cn.1_a"},
		{"admin_token", "0123456789abcdef"},
		{"admin_token", "токен-токен-токен"},
		{"allowed_origins", "http://localhost:8081,https://live.example.org,https://[::1]:8443"},
		{"embed_origins", "https://www.example.org,http://localhost:8081"},
		{"trusted_proxies", "10.0.0.5,10.0.0.0/8,::1,2001:db8::/32,10.1.2.3/16"},
		{"secure_cookies", "true"},
		{"hsts_max_age", "0"},
		{"hsts_max_age", "4320h"},
		{"hsts_max_age", "1s"},
		{"log_level", "debug"},
		{"log_level", "error"},
		{"log_format", "json"},
		{"shutdown_timeout", "1ns"},
		{"shutdown_timeout", "2h"},
		{"data_dir", "/data"},
		{"metrics_addr", "127.0.0.1:9090"},
		{"password_hashes", "1"},
		{"password_hashes", "64"},
	} {
		t.Run(fmt.Sprintf("%s=%s", tc.key, tc.env), func(t *testing.T) {
			f, _ := fieldByKey(tc.key)
			if _, err := Load("", false, envOf(map[string]string{f.Env: tc.env})); err != nil {
				t.Errorf("env: %v", err)
			}
			path := writeFile(t, tc.key+": "+yamlValue(tc.key, tc.env)+"\n")
			if _, err := Load(path, true, nil); err != nil {
				t.Errorf("file: %v", err)
			}
		})
	}
}

func TestValidate_DataDirEmptyFromFile(t *testing.T) {
	path := writeFile(t, `data_dir: ""`+"\n")
	_, err := Load(path, true, nil)
	if want := path + `:1: data_dir="": must not be empty`; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("err = %v, want prefix %s", err, want)
	}
}
