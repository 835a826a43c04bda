package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/hybridcon/hybridcon/app/demo"
	"github.com/hybridcon/hybridcon/storage/storagetest"
)

// TestDeploymentsShareOneRedis runs production (two nodes) and a staging
// copy restored from production's database (one node) on the same Redis
// with the default prefix. Both start at the same seq with the same log
// epoch, the case in which a shared channel did the most harm: production's
// announcement must reach production's viewers on both nodes and none of
// staging's, and staging's own announcement at the same seq must reach
// staging's viewer (not be dropped as a duplicate of production's).
func TestDeploymentsShareOneRedis(t *testing.T) {
	redisAddr, redisPath, _ := redisTarget(t)
	prod, staging := databaseAndCopy(t)
	nodeEnv := func(db map[string]string, id string) map[string]string {
		env := map[string]string{
			"HYBRIDCON_REDIS_URL":   "redis://" + redisAddr + redisPath,
			"HYBRIDCON_NODE_ID":     id,
			"HYBRIDCON_ADMIN_TOKEN": testAdminToken,
			"HYBRIDCON_DEMO":        "false", // the copy already holds the demo
			"HYBRIDCON_LOG_LEVEL":   "info",
		}
		for k, v := range db {
			env[k] = v
		}
		return env
	}
	prodCN, prodHU := start(t, nodeEnv(prod, "prod-cn")), start(t, nodeEnv(prod, "prod-hu"))
	stage := start(t, nodeEnv(staging, "staging"))

	prefixes := []string{logPrefix(t, prodCN), logPrefix(t, prodHU), logPrefix(t, stage)}
	if prefixes[0] != prefixes[1] {
		t.Errorf("production's nodes use prefixes %q and %q, want one", prefixes[0], prefixes[1])
	}
	if prefixes[0] == prefixes[2] {
		t.Errorf("production and its restored copy share the prefix %q", prefixes[0])
	}

	prodAPI, stageAPI := newAPIClient(prodCN.url), newAPIClient(stage.url)
	seq := prodAPI.lastSeq(t)
	if s := stageAPI.lastSeq(t); s != seq {
		t.Fatalf("the copy's last seq is %d, production's %d", s, seq)
	}
	prodViewers := []*frameLog{dialFrames(t, prodCN.url), dialFrames(t, prodHU.url)}
	stageViewer := dialFrames(t, stage.url)

	prodAPI.must(t, 201, "POST", "/api/v1/events/"+demo.Slug+"/announcements", map[string]any{"text": map[string]string{"en": "from production"}})
	for i, v := range prodViewers {
		v.waitFor(t, "from production", "production viewer "+envName(i))
	}
	stageAPI.must(t, 201, "POST", "/api/v1/events/"+demo.Slug+"/announcements", map[string]any{"text": map[string]string{"en": "from staging"}})
	stageViewer.waitFor(t, "from staging", "staging viewer")
	if s := stageAPI.lastSeq(t); s != seq+1 {
		t.Errorf("staging's announcement has seq %d, want %d (the same as production's)", s, seq+1)
	}

	// Let any stray cross-deployment delivery arrive before looking.
	time.Sleep(500 * time.Millisecond)
	if stageViewer.has("from production") {
		t.Error("production's announcement reached a staging viewer")
	}
	for i, v := range prodViewers {
		if v.has("from staging") {
			t.Errorf("staging's announcement reached production viewer %s", envName(i))
		}
	}
}

var prefixRE = regexp.MustCompile(`msg="redis channels" prefix=(\S+)`)

// logPrefix returns the Redis prefix a node logged at start-up.
func logPrefix(t *testing.T, s *server) string {
	t.Helper()
	m := prefixRE.FindStringSubmatch(s.log.String())
	if m == nil {
		t.Fatalf("no redis prefix in the node's log:\n%s", s.log.String())
	}
	return m[1]
}

// databaseAndCopy prepares a deployment's database holding the demo and a
// copy of it restored into another database (SQLite: the file copied to
// another directory; PostgreSQL: CREATE DATABASE … TEMPLATE), and returns
// the environment settings that select each.
func databaseAndCopy(t *testing.T) (orig, copied map[string]string) {
	t.Helper()
	base := os.Getenv(storagetest.EnvDatabaseURL)
	if base == "" {
		dir := t.TempDir()
		orig = map[string]string{"HYBRIDCON_DATA_DIR": dir}
		seed(t, orig)
		copyDir := t.TempDir()
		files, _ := filepath.Glob(filepath.Join(dir, "hybridcon.db*"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(copyDir, filepath.Base(f)), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		return orig, map[string]string{"HYBRIDCON_DATA_DIR": copyDir}
	}

	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "hcpfx_" + hex.EncodeToString(b[:])
	exec := func(q string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	withDB := func(db string) string {
		u, err := url.Parse(base)
		if err != nil {
			t.Fatal(err)
		}
		u.Path = "/" + db
		return u.String()
	}
	exec("CREATE DATABASE " + name)
	t.Cleanup(func() { exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)") })
	orig = map[string]string{"HYBRIDCON_DATA_DIR": t.TempDir(), "HYBRIDCON_DATABASE_URL": withDB(name)}
	seed(t, orig)
	exec("CREATE DATABASE " + name + "_copy TEMPLATE " + name)
	t.Cleanup(func() { exec("DROP DATABASE IF EXISTS " + name + "_copy WITH (FORCE)") })
	return orig, map[string]string{"HYBRIDCON_DATA_DIR": t.TempDir(), "HYBRIDCON_DATABASE_URL": withDB(name + "_copy")}
}

// seed runs a node once on db so it migrates and loads the demo, then
// stops it (closing every connection, as a copy needs).
func seed(t *testing.T, db map[string]string) {
	t.Helper()
	env := map[string]string{"HYBRIDCON_ADMIN_TOKEN": testAdminToken, "HYBRIDCON_LOG_LEVEL": "error"}
	for k, v := range db {
		env[k] = v
	}
	s := start(t, env)
	if code := s.stop(t); code != 0 {
		t.Fatalf("seeding node exited with %d: %s", code, s.log.String())
	}
}

// frameLog is a websocket viewer of the demo event keeping every frame.
type frameLog struct {
	mu     sync.Mutex
	frames [][]byte
}

func dialFrames(t *testing.T, base string) *frameLog {
	t.Helper()
	u := "ws" + strings.TrimPrefix(base, "http") + "/ws/events/" + demo.Slug + "?region=cn&lang=en"
	conn, _, err := (&websocket.Dialer{HandshakeTimeout: 10 * time.Second}).Dial(u, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", u, err)
	}
	f := &frameLog{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			_, r, err := conn.NextReader()
			if err != nil {
				return
			}
			b, err := io.ReadAll(r)
			if err != nil {
				return
			}
			f.mu.Lock()
			f.frames = append(f.frames, b)
			f.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = conn.Close()
		<-done
	})
	return f
}

func (f *frameLog) has(text string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, b := range f.frames {
		if bytes.Contains(b, []byte(text)) {
			return true
		}
	}
	return false
}

func (f *frameLog) waitFor(t *testing.T, text, who string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !f.has(text) {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not receive %q within 10 s", who, text)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
