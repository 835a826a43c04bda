package configs

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// envOf returns a lookupEnv reading only m.
func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// writeFile writes a config file in a temporary directory and returns its path.
func writeFile(tb testing.TB, content string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "hybridcon.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// mustLoad loads and fails the test on error.
func mustLoad(tb testing.TB, path string, explicit bool, env map[string]string) Config {
	tb.Helper()
	c, err := Load(path, explicit, envOf(env))
	if err != nil {
		tb.Fatalf("Load: %v", err)
	}
	return c
}

// assertSame compares the exported fields of two configs.
func assertSame(tb testing.TB, got, want Config) {
	tb.Helper()
	got.origins, want.origins = nil, nil
	if !reflect.DeepEqual(got, want) {
		tb.Errorf("config differs\n got: %+v\nwant: %+v", got, want)
	}
}

func TestDefault(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v, want nil", err)
	}
	want := Config{
		HTTPAddr: ":8080", DataDir: "./data", Region: "cn", Regions: []string{"cn", "hu"},
		NodeID: c.NodeID, Demo: true, LogLevel: "info", LogFormat: "text",
		ShutdownTimeout:   10 * time.Second,
		RateLimits:        true,
		PasswordHashes:    2,
		ViewersPerAddress: 100,
	}
	assertSame(t, c, want)
	if suffix := "-" + strconv.Itoa(os.Getpid()); !strings.HasSuffix(c.NodeID, suffix) || len(c.NodeID) <= len(suffix) {
		t.Errorf("NodeID = %q, want host name + %q", c.NodeID, suffix)
	}
	if c.UsesPostgres() || c.UsesRedis() {
		t.Errorf("UsesPostgres, UsesRedis = %v, %v; want false, false", c.UsesPostgres(), c.UsesRedis())
	}
	if got, want := c.SQLitePath(), filepath.Join("data", "hybridcon.db"); got != want {
		t.Errorf("SQLitePath() = %q, want %q", got, want)
	}
}

func TestLoad_NoFile(t *testing.T) {
	for name, path := range map[string]string{
		"EmptyPath":   "",
		"MissingFile": filepath.Join(t.TempDir(), "absent.yaml"),
	} {
		t.Run(name, func(t *testing.T) {
			c := mustLoad(t, path, false, nil)
			assertSame(t, c, Default())
		})
	}
}

func TestLoad_NilEnv(t *testing.T) {
	c, err := Load("", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	assertSame(t, c, Default())
}

func TestLoad_DefaultFileMatchesDefaults(t *testing.T) {
	c := mustLoad(t, "hybridcon.yaml", true, nil)
	assertSame(t, c, Default())
}

func TestLoad_MissingExplicitFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent.yaml")
	_, err := Load(path, true, nil)
	if err == nil {
		t.Fatal("Load of a missing explicit file succeeded")
	}
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Errorf("err = %v, want fs.ErrNotExist naming %s", err, path)
	}
	if _, err := Load("", true, nil); err == nil {
		t.Error("Load with an empty explicit path succeeded")
	}
}

func TestLoad_UnreadableFile(t *testing.T) {
	dir := t.TempDir() // a directory cannot be read as a file
	if _, err := Load(dir, false, nil); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("err = %v, want an error naming %s", err, dir)
	}
}

const fullFile = `
http_addr: 127.0.0.1:9000
data_dir: /var/lib/hybridcon
database_url: postgres://app:secret@db.internal:5432/hybridcon?sslmode=disable
redis_url: rediss://cache.internal:6380/2
region: hu
regions:
  - cn
  - hu
  - de
node_id: web-7
demo: no
admin_token: 0123456789abcdef0123
allowed_origins: [https://live.example.org, "http://localhost:8081"]
trusted_proxies: [10.0.0.0/8, 192.168.1.10]
proxy_header: X-Real-IP
secure_cookies: yes
hsts_max_age: 4320h
log_level: debug
log_format: json
shutdown_timeout: 1m30s
`

func TestLoad_FileOverridesDefaults(t *testing.T) {
	path := writeFile(t, fullFile)
	c := mustLoad(t, path, true, nil)
	want := Config{
		HTTPAddr:          "127.0.0.1:9000",
		DataDir:           "/var/lib/hybridcon",
		DatabaseURL:       "postgres://app:secret@db.internal:5432/hybridcon?sslmode=disable",
		RedisURL:          "rediss://cache.internal:6380/2",
		Region:            "hu",
		Regions:           []string{"cn", "hu", "de"},
		NodeID:            "web-7",
		Demo:              false,
		AdminToken:        "0123456789abcdef0123",
		AllowedOrigins:    []string{"https://live.example.org", "http://localhost:8081"},
		TrustedProxies:    []string{"10.0.0.0/8", "192.168.1.10"},
		ProxyHeader:       "X-Real-IP",
		SecureCookies:     true,
		HSTSMaxAge:        180 * 24 * time.Hour,
		LogLevel:          "debug",
		LogFormat:         "json",
		ShutdownTimeout:   90 * time.Second,
		RateLimits:        true,
		PasswordHashes:    2,
		ViewersPerAddress: 100,
	}
	assertSame(t, c, want)
	if !c.UsesPostgres() || !c.UsesRedis() {
		t.Errorf("UsesPostgres, UsesRedis = %v, %v; want true, true", c.UsesPostgres(), c.UsesRedis())
	}
}

func TestLoad_EnvOverridesFile(t *testing.T) {
	path := writeFile(t, fullFile)
	env := map[string]string{
		"HYBRIDCON_HTTP_ADDR":        ":7000",
		"HYBRIDCON_DATA_DIR":         "/srv/data",
		"HYBRIDCON_DATABASE_URL":     "postgresql://other@pg:5432/x",
		"HYBRIDCON_REDIS_URL":        "redis://r:6379/0",
		"HYBRIDCON_REGION":           "de",
		"HYBRIDCON_REGIONS":          "de, cn",
		"HYBRIDCON_NODE_ID":          "node-de",
		"HYBRIDCON_DEMO":             "1",
		"HYBRIDCON_ADMIN_TOKEN":      "ffffffffffffffff",
		"HYBRIDCON_ALLOWED_ORIGINS":  "https://a.example,https://b.example:8443",
		"HYBRIDCON_TRUSTED_PROXIES":  "172.16.0.0/12, fd00::/8,::1",
		"HYBRIDCON_PROXY_HEADER":     "X-Forwarded-For",
		"HYBRIDCON_SECURE_COOKIES":   "false",
		"HYBRIDCON_HSTS_MAX_AGE":     "0",
		"HYBRIDCON_LOG_LEVEL":        "warn",
		"HYBRIDCON_LOG_FORMAT":       "text",
		"HYBRIDCON_SHUTDOWN_TIMEOUT": "250ms",
	}
	c := mustLoad(t, path, true, env)
	want := Config{
		HTTPAddr:          ":7000",
		DataDir:           "/srv/data",
		DatabaseURL:       "postgresql://other@pg:5432/x",
		RedisURL:          "redis://r:6379/0",
		Region:            "de",
		Regions:           []string{"de", "cn"},
		NodeID:            "node-de",
		Demo:              true,
		AdminToken:        "ffffffffffffffff",
		AllowedOrigins:    []string{"https://a.example", "https://b.example:8443"},
		TrustedProxies:    []string{"172.16.0.0/12", "fd00::/8", "::1"},
		ProxyHeader:       "X-Forwarded-For",
		SecureCookies:     false,
		HSTSMaxAge:        0,
		LogLevel:          "warn",
		LogFormat:         "text",
		ShutdownTimeout:   250 * time.Millisecond,
		RateLimits:        true,
		PasswordHashes:    2,
		ViewersPerAddress: 100,
	}
	assertSame(t, c, want)
}

func TestLoad_EmptyEnvIsUnset(t *testing.T) {
	path := writeFile(t, "region: hu\n")
	c := mustLoad(t, path, true, map[string]string{"HYBRIDCON_REGION": "", "HYBRIDCON_NODE_ID": ""})
	if c.Region != "hu" || c.NodeID != Default().NodeID {
		t.Errorf("Region, NodeID = %q, %q; want %q, %q", c.Region, c.NodeID, "hu", Default().NodeID)
	}
}

func TestLoad_NullKeepsDefault(t *testing.T) {
	path := writeFile(t, "region:\nnode_id: ~\nregions: null\nshutdown_timeout:\ndata_dir: !!null\n")
	c := mustLoad(t, path, true, nil)
	assertSame(t, c, Default())
}

func TestLoad_EmptyFile(t *testing.T) {
	for name, content := range map[string]string{"Empty": "", "CommentsOnly": "# nothing\n"} {
		t.Run(name, func(t *testing.T) {
			assertSame(t, mustLoad(t, writeFile(t, content), true, nil), Default())
		})
	}
}

func TestLoad_Booleans(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  bool
	}{
		{"true", true}, {"TRUE", true}, {"True", true}, {"1", true}, {"yes", true}, {"Yes", true},
		{"false", false}, {"FALSE", false}, {"0", false}, {"no", false}, {"No", false},
	} {
		t.Run("Env_"+tc.value, func(t *testing.T) {
			c := mustLoad(t, "", false, map[string]string{"HYBRIDCON_DEMO": tc.value})
			if c.Demo != tc.want {
				t.Errorf("HYBRIDCON_DEMO=%s: Demo = %v, want %v", tc.value, c.Demo, tc.want)
			}
		})
		t.Run("File_"+tc.value, func(t *testing.T) {
			c := mustLoad(t, writeFile(t, "demo: "+tc.value+"\n"), true, nil)
			if c.Demo != tc.want {
				t.Errorf("demo: %s: Demo = %v, want %v", tc.value, c.Demo, tc.want)
			}
		})
	}
	for _, bad := range []string{"maybe", "on", "2", "t"} {
		t.Run("Bad_"+bad, func(t *testing.T) {
			_, err := Load("", false, envOf(map[string]string{"HYBRIDCON_DEMO": bad}))
			want := `HYBRIDCON_DEMO="` + bad + `": not a boolean`
			if err == nil || !strings.HasPrefix(err.Error(), want) {
				t.Errorf("err = %v, want prefix %q", err, want)
			}
		})
	}
}

func TestLoad_Lists(t *testing.T) {
	t.Run("EnvCommaSeparated", func(t *testing.T) {
		c := mustLoad(t, "", false, map[string]string{
			"HYBRIDCON_REGIONS":         " cn , hu,de,",
			"HYBRIDCON_ALLOWED_ORIGINS": "http://localhost:8081,,http://localhost:8082",
		})
		if want := []string{"cn", "hu", "de"}; !reflect.DeepEqual(c.Regions, want) {
			t.Errorf("Regions = %q, want %q", c.Regions, want)
		}
		if want := []string{"http://localhost:8081", "http://localhost:8082"}; !reflect.DeepEqual(c.AllowedOrigins, want) {
			t.Errorf("AllowedOrigins = %q, want %q", c.AllowedOrigins, want)
		}
	})
	t.Run("FileBlockAndFlow", func(t *testing.T) {
		c := mustLoad(t, writeFile(t, "regions:\n  - hu\n  - cn\nregion: hu\nallowed_origins: [\"https://x.example\"]\n"), true, nil)
		if want := []string{"hu", "cn"}; !reflect.DeepEqual(c.Regions, want) {
			t.Errorf("Regions = %q, want %q", c.Regions, want)
		}
		if want := []string{"https://x.example"}; !reflect.DeepEqual(c.AllowedOrigins, want) {
			t.Errorf("AllowedOrigins = %q, want %q", c.AllowedOrigins, want)
		}
	})
	t.Run("FileEmptyList", func(t *testing.T) {
		c := mustLoad(t, writeFile(t, "allowed_origins: []\n"), true, nil)
		if c.AllowedOrigins != nil {
			t.Errorf("AllowedOrigins = %q, want nil", c.AllowedOrigins)
		}
	})
	t.Run("EnvOnlyCommas", func(t *testing.T) {
		_, err := Load("", false, envOf(map[string]string{"HYBRIDCON_REGIONS": " , "}))
		if want := "HYBRIDCON_REGIONS: must list at least one region"; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want %q", err, want)
		}
	})
}

// TestLoad_FileShape covers values of the wrong YAML shape and malformed files.
func TestLoad_FileShape(t *testing.T) {
	for _, tc := range []struct {
		name, content, want string
	}{
		{"UnknownKey", "region: cn\nlisten: :9000\n", `:2: unknown key "listen" (known keys: http_addr, data_dir,`},
		{"UnknownNullKey", "Region:\n", `unknown key "Region"`},
		{"ScalarForList", "regions: cn,hu\n", ":1: regions: want a list"},
		{"ListForScalar", "region: [cn]\n", ":1: region: is a list; want a single value"},
		{"MappingForScalar", "region:\n  name: cn\n", "region: is a mapping; want a single value"},
		{"EmptyListItem", "regions:\n  - cn\n  -\n", "regions: item 2 is empty"},
		{"NestedListItem", "regions: [[cn]]\n", "regions: item 1 is a list"},
		{"AliasInList", "region: &r hu\nregions: [cn, *r]\n", ":2: regions: item 2 uses an alias"},
		{"BadDuration", "shutdown_timeout: 10\n", `:1: shutdown_timeout="10": not a duration`},
		{"BadBool", "\ndemo: maybe\n", `:2: demo="maybe": not a boolean`},
		{"NotAMapping", "- region\n", ":1:1: sequence was used where mapping is expected"},
		{"Syntax", "region: [cn\n", ":1:"},
		{"DuplicateKey", "region: cn\nregion: hu\n", `:2:1: mapping key "region" already defined`},
		{"TwoDocuments", "region: cn\n---\nregion: hu\n", "more than one YAML document"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, tc.content)
			_, err := Load(path, true, nil)
			if err == nil {
				t.Fatalf("Load succeeded, want error containing %q", tc.want)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, path) || !strings.Contains(msg, tc.want) {
				t.Errorf("err = %q\nwant it to start with %s and contain %q", msg, path, tc.want)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("err = %q, want one line", msg)
			}
		})
	}
}

func TestLoad_YAMLTextKept(t *testing.T) {
	// YAML 1.1 would read `no` as false and 0x10 as 16; the loader keeps the text.
	path := writeFile(t, "regions: [no, cn]\nregion: no\nnode_id: 0x10\nadmin_token: !!str 1234567890123456\n")
	c := mustLoad(t, path, true, nil)
	if c.Region != "no" || c.NodeID != "0x10" || c.AdminToken != "1234567890123456" {
		t.Errorf("Region, NodeID, AdminToken = %q, %q, %q", c.Region, c.NodeID, c.AdminToken)
	}
}

// TestLoad_ProxySettings covers the settings for running behind a TLS
// proxy, which only make sense together.
func TestLoad_ProxySettings(t *testing.T) {
	t.Run("ProxyHeaderNeedsTrustedProxies", func(t *testing.T) {
		_, err := Load("", false, envOf(map[string]string{"HYBRIDCON_PROXY_HEADER": "X-Real-IP"}))
		want := `HYBRIDCON_PROXY_HEADER="X-Real-IP": needs trusted_proxies`
		if err == nil || !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("err = %v, want one line starting %q", err, want)
		}
		path := writeFile(t, "trusted_proxies: []\nproxy_header: X-Real-IP\n")
		_, err = Load(path, true, nil)
		if want := path + `:2: proxy_header="X-Real-IP": needs trusted_proxies`; err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("err = %v, want prefix %q", err, want)
		}
	})
	t.Run("FileProxiesEnvHeader", func(t *testing.T) {
		path := writeFile(t, "trusted_proxies:\n  - 10.1.2.3\n  - 10.9.0.0/16\n")
		c := mustLoad(t, path, true, map[string]string{"HYBRIDCON_PROXY_HEADER": "X-Real-IP", "HYBRIDCON_HSTS_MAX_AGE": "720h"})
		if want := []string{"10.1.2.3", "10.9.0.0/16"}; !reflect.DeepEqual(c.TrustedProxies, want) || c.ProxyHeader != "X-Real-IP" {
			t.Errorf("TrustedProxies, ProxyHeader = %q, %q", c.TrustedProxies, c.ProxyHeader)
		}
		if c.HSTSMaxAge != 720*time.Hour || c.SecureCookies {
			t.Errorf("HSTSMaxAge, SecureCookies = %v, %v", c.HSTSMaxAge, c.SecureCookies)
		}
	})
	t.Run("SeveralBadProxies", func(t *testing.T) {
		_, err := Load("", false, envOf(map[string]string{"HYBRIDCON_TRUSTED_PROXIES": "10.0.0.1,proxy.internal,10.0.0.0/40"}))
		if err == nil {
			t.Fatal("no error")
		}
		lines := strings.Split(err.Error(), "\n")
		want := []string{`HYBRIDCON_TRUSTED_PROXIES item "proxy.internal": not an IP address`,
			`HYBRIDCON_TRUSTED_PROXIES item "10.0.0.0/40": not a CIDR range`}
		if len(lines) != len(want) {
			t.Fatalf("err = %q, want %d lines", err, len(want))
		}
		for i := range want {
			if !strings.HasPrefix(lines[i], want[i]) {
				t.Errorf("line %d = %q, want prefix %q", i+1, lines[i], want[i])
			}
		}
	})
	t.Run("Logged", func(t *testing.T) {
		c := Default()
		c.TrustedProxies, c.ProxyHeader, c.SecureCookies, c.HSTSMaxAge = []string{"10.0.0.0/8"}, "X-Real-IP", true, time.Hour
		var b strings.Builder
		slog.New(slog.NewTextHandler(&b, nil)).Info("config", "config", c)
		for _, want := range []string{"config.trusted_proxies=10.0.0.0/8", "config.proxy_header=X-Real-IP", "config.secure_cookies=true", "config.hsts_max_age=1h0m0s"} {
			if !strings.Contains(b.String(), want) {
				t.Errorf("log line %q lacks %q", b.String(), want)
			}
		}
	})
}

func TestSlogLevel(t *testing.T) {
	for level, want := range map[string]slog.Level{
		"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError,
	} {
		if got := (Config{LogLevel: level}).SlogLevel(); got != want {
			t.Errorf("SlogLevel(%q) = %v, want %v", level, got, want)
		}
	}
}

func TestLogValue_HidesSecrets(t *testing.T) {
	c := Default()
	c.DatabaseURL = "postgres://app:dbsecret@db:5432/hybridcon"
	c.RedisURL = "redis://:redissecret@cache:6379/0"
	c.AdminToken = "tokensecret-0123456789"
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, nil)).Info("config", "config", c)
	out := b.String()
	for _, secret := range []string{"dbsecret", "redissecret", "tokensecret"} {
		if strings.Contains(out, secret) {
			t.Errorf("log line %q contains %q", out, secret)
		}
	}
	for _, want := range []string{"config.region=cn", "config.admin_token_set=true", "db:5432"} {
		if !strings.Contains(out, want) {
			t.Errorf("log line %q lacks %q", out, want)
		}
	}

	c.DatabaseURL = "host=db password=dsnsecret"
	c.RedisURL = "redis://cache/0?password=querysecret"
	b.Reset()
	slog.New(slog.NewTextHandler(&b, nil)).Info("config", "config", c)
	if out := b.String(); strings.Contains(out, "dsnsecret") || strings.Contains(out, "querysecret") {
		t.Errorf("log line %q shows a password", out)
	}
}
