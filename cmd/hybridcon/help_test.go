package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestHelpTouchesNothing: the top-level help and every command's --help
// print usage to stdout and exit 0 without reading a database, listening
// or creating the data directory (on SQLite, where a write would show).
func TestHelpTouchesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	env := map[string]string{"HYBRIDCON_DATA_DIR": dir, "HYBRIDCON_HTTP_ADDR": "127.0.0.1:0"}
	cases := [][]string{
		{"--help"}, {"-h"}, {"help"},
		{"serve", "--help"}, {"migrate", "--help"}, {"version", "--help"},
		{"import-attendees", "--help"}, {"tickets", "--help"}, {"tickets", "--event", "x", "-h"},
		{"users", "--help"}, {"users", "create", "--help"},
		{"tokens", "--help"}, {"tokens", "create", "--help"},
	}
	for _, cmd := range []string{"serve", "migrate", "version", "import-attendees", "tickets", "users", "tokens"} {
		cases = append(cases, []string{"help", cmd})
	}
	for _, args := range cases {
		t.Run(strings.Join(args, "_"), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
			var stdout, stderr bytes.Buffer
			code := run(ctx, args, &stdout, &stderr, lookup)
			if ctx.Err() != nil {
				t.Fatal("help ran until the context ended: the command ran instead")
			}
			if code != 0 || !strings.Contains(stdout.String(), "usage: hybridcon") || stderr.Len() != 0 {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 0 and the usage on stdout only", code, stdout.String(), stderr.String())
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Fatalf("the data directory exists (%v): help must write nothing", err)
			}
		})
	}
	// The top-level help lists every command.
	var out bytes.Buffer
	run(context.Background(), []string{"help"}, &out, &out, func(string) (string, bool) { return "", false })
	for _, cmd := range []string{"serve", "migrate", "version", "help", "users", "tokens", "import-attendees", "tickets"} {
		if !regexp.MustCompile(`(?m)^  ` + cmd + `\b`).MatchString(out.String()) {
			t.Errorf("help does not list %s:\n%s", cmd, out.String())
		}
	}
	for _, args := range [][]string{{"bogus"}, {"serve", "extra"}, {"migrate", "--colour"}, {"help", "bogus"}, {"tokens"}, {"tokens", "create"}} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, &stdout, &stderr, func(k string) (string, bool) { v, ok := env[k]; return v, ok }); code == 0 || stderr.Len() == 0 {
			t.Errorf("%v: exit %d, stderr %q; want an error", args, code, stderr.String())
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("a refused command line created the data directory (%v)", err)
	}
}

func TestVersion(t *testing.T) {
	code, stdout, _ := runCmd(t, map[string]string{}, "version")
	if code != 0 || !regexp.MustCompile(`^hybridcon \S+ \(commit .+, module github\.com/hybridcon/hybridcon@\S+\)\n$`).MatchString(stdout) {
		t.Fatalf("exit %d, %q", code, stdout)
	}
}

var firstStartPassword = regexp.MustCompile(`as user "admin" with password (\S+)`)

// TestReadmeFirstHour follows the README as a newcomer does: the first
// start prints the admin password, which logs in to the console; a token
// made with "hybridcon tokens create" while the server runs (no restart)
// posts an announcement, which the public list then shows.
func TestReadmeFirstHour(t *testing.T) {
	env := baseEnv(t)
	s := start(t, env)
	defer s.stop(t)
	var m []string
	for deadline := time.Now().Add(5 * time.Second); m == nil && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		m = firstStartPassword.FindStringSubmatch(s.stdout())
	}
	if m == nil {
		t.Fatalf("no admin password on the first start:\n%s", s.stdout())
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	resp, err := client.Post(s.url+"/api/v1/auth/login", "application/json", strings.NewReader(`{"username":"admin","password":"`+m[1]+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("login with the first-start password: %d", resp.StatusCode)
	}
	resp, err = client.Get(s.url + "/console")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("console after login: %d", resp.StatusCode)
	}

	code, tok, stderr := runCmd(t, env, "tokens", "create", "--role", "organizer", "readme")
	tok = strings.TrimSpace(tok)
	if code != 0 || !strings.HasPrefix(tok, "hc_") || strings.ContainsAny(tok, " \n") {
		t.Fatalf("tokens create: exit %d, stdout %q, stderr %q", code, tok, stderr)
	}
	req, _ := http.NewRequest("POST", s.url+"/api/v1/events/cn-hu-2021/announcements",
		strings.NewReader(`{"text":{"zh":"欢迎","en":"Welcome","hu":"Üdvözöljük"},"pinned":true}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 && resp.StatusCode != 200 {
		t.Fatalf("posting the README's announcement with the new token: %d", resp.StatusCode)
	}
	var list struct {
		Announcements []struct {
			Text   map[string]string `json:"text"`
			Pinned bool              `json:"pinned"`
		} `json:"announcements"`
	}
	if code := getJSON(t, s.url+"/api/v1/events/cn-hu-2021/announcements", &list); code != 200 {
		t.Fatalf("announcements: %d", code)
	}
	found := false
	for _, a := range list.Announcements {
		found = found || (a.Text["en"] == "Welcome" && a.Pinned)
	}
	if !found {
		b, _ := json.Marshal(list)
		t.Fatalf("the announcement is not listed: %s", b)
	}
}
