package configs

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// Docker does not run where these tests run, so the compose file and the
// Dockerfile are checked as text: the shape of the cluster, and every
// HYBRIDCON_* setting fed through Load as a node would.

const composePath = "../docker-compose.yml"

type composeFile struct {
	Services map[string]composeService `yaml:"services"`
}

type composeService struct {
	Image string `yaml:"image"`
	Build *struct {
		Context    string `yaml:"context"`
		Dockerfile string `yaml:"dockerfile"`
	} `yaml:"build"`
	Ports       []string       `yaml:"ports"`
	Environment map[string]any `yaml:"environment"`
	DependsOn   map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Healthcheck *struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
}

// appNodes are the app services and the region each must run.
var appNodes = []struct{ service, region string }{{"node-cn", "cn"}, {"node-hu", "hu"}}

func readCompose(t *testing.T) (composeFile, string) {
	t.Helper()
	data, err := os.ReadFile(composePath)
	if err != nil {
		t.Fatal(err)
	}
	var cf composeFile
	if err := yaml.Unmarshal(data, &cf); err != nil {
		t.Fatalf("%s: %v", composePath, err)
	}
	return cf, string(data)
}

// envStrings returns a service's environment as strings. Compose rejects
// unquoted booleans in an environment map, so they fail here too.
func envStrings(t *testing.T, name string, s composeService) map[string]string {
	t.Helper()
	env := make(map[string]string, len(s.Environment))
	for k, v := range s.Environment {
		switch v := v.(type) {
		case string:
			env[k] = v
		case uint64, int64, float64:
			env[k] = fmt.Sprint(v)
		case nil:
			env[k] = ""
		default:
			t.Errorf("%s: %s is a %T; compose wants a string (quote it)", name, k, v)
		}
	}
	return env
}

func TestCompose_Services(t *testing.T) {
	cf, _ := readCompose(t)
	for _, name := range []string{"postgres", "redis", "node-cn", "node-hu"} {
		if _, ok := cf.Services[name]; !ok {
			t.Errorf("service %q missing", name)
		}
	}
	pg := cf.Services["postgres"]
	if !strings.HasPrefix(pg.Image, "postgres:16") {
		t.Errorf("postgres image = %q, want postgres:16", pg.Image)
	}
	if db := envStrings(t, "postgres", pg)["POSTGRES_DB"]; db != "hybridcon" {
		t.Errorf("POSTGRES_DB = %q, want hybridcon", db)
	}
	if pg.Healthcheck == nil || !strings.Contains(strings.Join(pg.Healthcheck.Test, " "), "pg_isready") {
		t.Errorf("postgres healthcheck does not use pg_isready")
	}
	rd := cf.Services["redis"]
	if !strings.HasPrefix(rd.Image, "redis:7") {
		t.Errorf("redis image = %q, want redis:7", rd.Image)
	}
	if rd.Healthcheck == nil || !strings.Contains(strings.Join(rd.Healthcheck.Test, " "), "redis-cli ping") {
		t.Errorf("redis healthcheck does not run redis-cli ping")
	}
}

// TestCompose_KnownVariables checks every HYBRIDCON_* name in the file,
// comments included, is a known setting.
func TestCompose_KnownVariables(t *testing.T) {
	cf, text := readCompose(t)
	known := make(map[string]bool, len(Vars))
	for _, v := range Vars {
		known[v.Env] = true
	}
	for _, name := range regexp.MustCompile(`HYBRIDCON_[A-Z0-9_]+`).FindAllString(text, -1) {
		if !known[name] {
			t.Errorf("%s uses unknown variable %s", composePath, name)
		}
	}
	for svc, s := range cf.Services {
		for k := range s.Environment {
			if strings.HasPrefix(k, "HYBRIDCON") && !known[k] {
				t.Errorf("%s: unknown variable %s", svc, k)
			}
		}
	}
}

func TestCompose_AppNodes(t *testing.T) {
	cf, _ := readCompose(t)
	pgEnv := envStrings(t, "postgres", cf.Services["postgres"])
	hostPorts := map[string]string{}
	configs := map[string]Config{}
	for _, n := range appNodes {
		s, ok := cf.Services[n.service]
		if !ok {
			t.Fatalf("service %q missing", n.service)
		}

		if s.Build == nil || s.Build.Context != "." || s.Build.Dockerfile != "configs/Dockerfile" {
			t.Errorf("%s: build = %+v, want context . and dockerfile configs/Dockerfile", n.service, s.Build)
		} else if _, err := os.Stat(filepath.Join("..", s.Build.Context, s.Build.Dockerfile)); err != nil {
			t.Errorf("%s: %v", n.service, err)
		}

		if len(s.Ports) != 1 {
			t.Fatalf("%s: ports = %q, want one mapping to 8080", n.service, s.Ports)
		}
		parts := strings.Split(s.Ports[0], ":")
		if len(parts) < 2 || parts[len(parts)-1] != "8080" {
			t.Errorf("%s: port %q does not map to container port 8080", n.service, s.Ports[0])
		}
		host := parts[len(parts)-2]
		if other, dup := hostPorts[host]; dup {
			t.Errorf("%s and %s both publish host port %s", other, n.service, host)
		}
		hostPorts[host] = n.service

		for _, dep := range []string{"postgres", "redis"} {
			if d, ok := s.DependsOn[dep]; !ok || d.Condition != "service_healthy" {
				t.Errorf("%s: depends_on %s = %+v, want condition service_healthy", n.service, dep, d)
			}
		}

		env := envStrings(t, n.service, s)
		c, err := Load("", false, envOf(env))
		if err != nil {
			t.Errorf("%s: its environment does not load:\n%v", n.service, err)
			continue
		}
		configs[n.service] = c
		if c.Region != n.region {
			t.Errorf("%s: region = %q, want %q", n.service, c.Region, n.region)
		}
		if c.HTTPAddr != ":8080" {
			t.Errorf("%s: http_addr = %q, want :8080 (the published container port)", n.service, c.HTTPAddr)
		}
		if _, set := env["HYBRIDCON_NODE_ID"]; !set {
			t.Errorf("%s: HYBRIDCON_NODE_ID not set; a computed id changes on every restart", n.service)
		}
		if wantDemo := n.service == "node-cn"; c.Demo != wantDemo {
			t.Errorf("%s: demo = %v, want %v (only node-cn loads the demo)", n.service, c.Demo, wantDemo)
		}
		checkServiceURL(t, n.service, c.DatabaseURL, "postgres", "5432", "/hybridcon", pgEnv)
		checkServiceURL(t, n.service, c.RedisURL, "redis", "6379", "/0", nil)
	}
	if t.Failed() {
		return
	}

	cn, hu := configs["node-cn"], configs["node-hu"]
	if cn.DatabaseURL != hu.DatabaseURL || cn.RedisURL != hu.RedisURL {
		t.Errorf("nodes use different stores: %s %s vs %s %s", cn.DatabaseURL, cn.RedisURL, hu.DatabaseURL, hu.RedisURL)
	}
	if cn.NodeID == hu.NodeID {
		t.Errorf("both nodes have node id %q", cn.NodeID)
	}
	for svc, c := range configs {
		for host, node := range hostPorts {
			if origin := "http://localhost:" + host; !slices.Contains(c.AllowedOrigins, origin) {
				t.Errorf("%s: allowed_origins %q lacks %s (the page of %s)", svc, c.AllowedOrigins, origin, node)
			}
		}
	}
}

// checkServiceURL checks a node's URL points at a compose service; with
// pgEnv, also that its credentials and database are the ones postgres gets.
func checkServiceURL(t *testing.T, node, raw, host, port, path string, pgEnv map[string]string) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Errorf("%s: %v", node, err)
		return
	}
	if u.Hostname() != host || u.Port() != port || u.Path != path {
		t.Errorf("%s: URL %s, want host %s, port %s, path %s", node, u.Redacted(), host, port, path)
	}
	if pgEnv == nil {
		return
	}
	pass, _ := u.User.Password()
	if u.User.Username() != pgEnv["POSTGRES_USER"] || pass != pgEnv["POSTGRES_PASSWORD"] ||
		strings.TrimPrefix(u.Path, "/") != pgEnv["POSTGRES_DB"] {
		t.Errorf("%s: database URL %s does not match the postgres service's user, password and database", node, u.Redacted())
	}
}

// TestDockerfile checks the image recipe: a CGO-free build of
// ./cmd/hybridcon on golang:1.26, a non-root runtime, port 8080 and /data.
func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, want := range []string{
		"FROM golang:1.26 AS build",
		"CGO_ENABLED=0 go build",
		"./cmd/hybridcon",
		"HYBRIDCON_DATA_DIR=/data",
		`VOLUME ["/data"]`,
		"EXPOSE 8080",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	froms := regexp.MustCompile(`(?m)^FROM `).FindAllStringIndex(text, -1)
	if len(froms) < 2 {
		t.Fatalf("Dockerfile has %d stages, want a builder and a runtime", len(froms))
	}
	runtime := text[froms[len(froms)-1][0]:]
	user := regexp.MustCompile(`(?m)^USER\s+(\S+)`).FindStringSubmatch(runtime)
	if user == nil || user[1] == "root" || strings.HasPrefix(user[1], "0") {
		t.Errorf("runtime stage user = %v, want a non-root USER", user)
	}
	known := make(map[string]bool, len(Vars))
	for _, v := range Vars {
		known[v.Env] = true
	}
	for _, name := range regexp.MustCompile(`HYBRIDCON_[A-Z0-9_]+`).FindAllString(text, -1) {
		if !known[name] {
			t.Errorf("Dockerfile uses unknown variable %s", name)
		}
	}
}
