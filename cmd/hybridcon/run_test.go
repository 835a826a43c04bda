package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hybridcon/hybridcon/storage/storagetest"
)

// server is a hybridcon started through run, as main starts it.
type server struct {
	url    string
	cancel context.CancelFunc
	done   chan int
	code   *int // set once run returned
	mu     sync.Mutex
	out    strings.Builder
	log    lockedBuffer // the server's log (stderr)
}

func (s *server) stdout() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

func (s *server) stop(t *testing.T) int {
	t.Helper()
	if s.code != nil {
		return *s.code
	}
	s.cancel()
	select {
	case code := <-s.done:
		s.code = &code
		return code
	case <-time.After(15 * time.Second):
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		t.Fatalf("server did not stop within 15 s of its context being cancelled; goroutines:\n%s", buf[:n])
		return -1
	}
}

var listenRE = regexp.MustCompile(`listening on (http://\S+)`)

// start runs the server with env on a free port and waits until it
// prints its address.
func start(t *testing.T, env map[string]string) *server {
	t.Helper()
	env["HYBRIDCON_HTTP_ADDR"] = "127.0.0.1:0"
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	s := &server{cancel: cancel, done: make(chan int, 1)}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			s.mu.Lock()
			s.out.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
			if m := listenRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case urls <- m[1]:
				default:
				}
			}
		}
	}()
	go func() {
		code := run(ctx, []string{"--config", "../../configs/hybridcon.yaml"}, pw, &s.log, lookup)
		pw.Close()
		s.done <- code
	}()
	select {
	case s.url = <-urls:
	case code := <-s.done:
		t.Fatalf("server exited with %d before listening; stdout: %s", code, s.stdout())
	case <-time.After(20 * time.Second):
		t.Fatal("server did not start within 20 s")
	}
	t.Cleanup(func() { s.stop(t) })
	return s
}

func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	if v != nil {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatalf("GET %s: decoding: %v", url, err)
		}
	}
	return resp.StatusCode
}

func baseEnv(t *testing.T) map[string]string {
	env := map[string]string{"HYBRIDCON_DATA_DIR": t.TempDir(), "HYBRIDCON_NODE_ID": "test-node"}
	if url := storagetest.NewOptions(t).DatabaseURL; url != "" {
		env["HYBRIDCON_DATABASE_URL"] = url
	}
	return env
}

func TestServeDemoOnFreshDatabase(t *testing.T) {
	env := baseEnv(t)
	s := start(t, env)
	if code := getJSON(t, s.url+"/healthz", nil); code != 200 {
		t.Fatalf("healthz: %d", code)
	}
	var evs struct {
		Events []struct{ Slug string }
	}
	getJSON(t, s.url+"/api/v1/events", &evs)
	if len(evs.Events) != 1 || evs.Events[0].Slug != "cn-hu-2021" {
		t.Fatalf("events: %+v", evs)
	}
	var ss struct {
		Sessions []struct {
			ID   int64
			Kind string
		}
	}
	getJSON(t, s.url+"/api/v1/events/cn-hu-2021/sessions", &ss)
	var showcaseID int64
	for _, se := range ss.Sessions {
		if se.Kind == "showcase" {
			showcaseID = se.ID
		}
	}
	var sc struct {
		Slots []struct {
			PlannedStart  time.Time `json:"planned_start"`
			ExpectedStart time.Time `json:"expected_start"`
		}
	}
	getJSON(t, s.url+"/api/v1/sessions/"+itoa(showcaseID)+"/showcase", &sc)
	if len(sc.Slots) != 27 || sc.Slots[26].PlannedStart.IsZero() || sc.Slots[26].ExpectedStart.IsZero() {
		t.Fatalf("showcase: %d slots", len(sc.Slots))
	}
	// The technology-transfer sample data came with it (app/demo/transfer.go).
	var live struct {
		Data struct {
			Transfer struct{ Interest map[string]int }
		}
	}
	getJSON(t, s.url+"/api/v1/events/cn-hu-2021/live", &live)
	if len(live.Data.Transfer.Interest) == 0 {
		t.Errorf("the demo has no sample interests: %+v", live)
	}
	if !strings.Contains(s.stdout(), `as user "admin" with password `) {
		t.Errorf("first start did not print the admin password: %s", s.stdout())
	}
	if code := s.stop(t); code != 0 {
		t.Fatalf("exit code %d", code)
	}

	// A second start on the same data keeps one demo and prints no password.
	s2 := start(t, env)
	getJSON(t, s2.url+"/api/v1/events", &evs)
	if len(evs.Events) != 1 {
		t.Fatalf("second start: %d events", len(evs.Events))
	}
	var ach struct{ Achievements []json.RawMessage }
	getJSON(t, s2.url+"/api/v1/events/cn-hu-2021/achievements", &ach)
	if len(ach.Achievements) != 27 {
		t.Fatalf("second start: %d achievements", len(ach.Achievements))
	}
	if strings.Contains(s2.stdout(), "password") {
		t.Errorf("second start printed a password: %s", s2.stdout())
	}
}

func TestDemoOff(t *testing.T) {
	env := baseEnv(t)
	env["HYBRIDCON_DEMO"] = "false"
	env["HYBRIDCON_ADMIN_TOKEN"] = "a-fixed-admin-token-for-tests"
	s := start(t, env)
	var evs struct{ Events []json.RawMessage }
	getJSON(t, s.url+"/api/v1/events", &evs)
	if len(evs.Events) != 0 {
		t.Fatalf("HYBRIDCON_DEMO=false still loaded %d events", len(evs.Events))
	}
	if strings.Contains(s.stdout(), "password") {
		t.Errorf("with HYBRIDCON_ADMIN_TOKEN no password should be printed: %s", s.stdout())
	}
	req, _ := http.NewRequest("POST", s.url+"/api/v1/tokens", strings.NewReader(`{"role":"organizer","name":"x"}`))
	req.Header.Set("Authorization", "Bearer a-fixed-admin-token-for-tests")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("admin token refused: %d", resp.StatusCode)
	}
}

func TestInvalidConfigStopsWithOneLine(t *testing.T) {
	cases := map[string]string{
		"HYBRIDCON_REGION":       "xx",
		"HYBRIDCON_DATABASE_URL": "mysql://nope",
		"HYBRIDCON_REDIS_URL":    "http://not-redis",
		"HYBRIDCON_HTTP_ADDR":    "not an address",
	}
	for key, val := range cases {
		t.Run(key, func(t *testing.T) {
			var stderr strings.Builder
			env := map[string]string{key: val, "HYBRIDCON_DATA_DIR": t.TempDir()}
			code := run(context.Background(), nil, io.Discard, &stderr, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
			if code != 2 {
				t.Fatalf("exit code %d, want 2", code)
			}
			out := strings.TrimSpace(stderr.String())
			if strings.Count(out, "\n") != 0 || !strings.Contains(out, key) {
				t.Fatalf("want one line naming %s, got %q", key, out)
			}
		})
	}
}

func TestTakenPortFailsFast(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	env := map[string]string{"HYBRIDCON_HTTP_ADDR": ln.Addr().String(), "HYBRIDCON_DATA_DIR": t.TempDir()}
	var stderr strings.Builder
	code := run(context.Background(), nil, io.Discard, &stderr, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if code != 1 || !strings.Contains(stderr.String(), "HYBRIDCON_HTTP_ADDR") {
		t.Fatalf("code %d, stderr %q", code, stderr.String())
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
