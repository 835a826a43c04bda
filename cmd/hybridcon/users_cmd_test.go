package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/storage"
)

// TestUsersHelp: --help on users and each of its commands prints the
// usage to stdout, exits 0 and writes nothing (no database is created).
func TestUsersHelp(t *testing.T) {
	env := baseEnv(t)
	dir := filepath.Join(env["HYBRIDCON_DATA_DIR"], "not-yet")
	env["HYBRIDCON_DATA_DIR"] = dir
	for _, args := range [][]string{
		{"users", "--help"},
		{"users", "list", "--help"},
		{"users", "create", "--help"},
		{"users", "create", "-h", "someone"},
		{"users", "reset-password", "--help"},
	} {
		t.Run(strings.Join(args, "_"), func(t *testing.T) {
			code, stdout, stderr := runCmd(t, env, args...)
			if code != 0 || !strings.Contains(stdout, "usage: hybridcon users") || stderr != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 0 and the usage on stdout", code, stdout, stderr)
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Fatalf("the data directory was created (%v): help must write nothing", err)
			}
		})
	}
	for _, args := range [][]string{{"users"}, {"users", "rename"}, {"users", "create"}, {"users", "create", "--colour", "x"}} {
		if code, _, _ := runCmd(t, env, args...); code == 0 {
			t.Errorf("%v exited 0", args)
		}
	}
}

var generatedPassword = regexp.MustCompile(`(?m)^password: (\S+)$`)

// TestUsersRescue: with HYBRIDCON_ADMIN_TOKEN set, the commands create an
// admin, reset their password (ending their logins, enabling them) and
// list them; the API accepts the new password and the audit trail names
// the command line.
func TestUsersRescue(t *testing.T) {
	env := baseEnv(t)
	env["HYBRIDCON_ADMIN_TOKEN"] = testAdminToken
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("first password 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCmd(t, env, "users", "create", "--display-name", "Rescue Team", "--password-file", pwFile, "Rescue")
	if code != 0 || !strings.Contains(stdout, `created admin user "Rescue"`) || generatedPassword.MatchString(stdout) {
		t.Fatalf("create: exit %d, %q %q", code, stdout, stderr)
	}
	if code, _, stderr := runCmd(t, env, "users", "create", "--password-file", pwFile, "rescue"); code != 1 || !strings.Contains(stderr, "is taken") {
		t.Fatalf("create the same name in another case: exit %d, %q", code, stderr)
	}
	if code, _, stderr := runCmd(t, env, "users", "reset-password", "nobody"); code != 1 || !strings.Contains(stderr, "not found") {
		t.Fatalf("reset an unknown user: exit %d, %q", code, stderr)
	}

	// A disabled admin who lost the password comes back with --enable.
	st, err := storage.Open(context.Background(), storage.Options{DatabaseURL: env["HYBRIDCON_DATABASE_URL"], SQLitePath: filepath.Join(env["HYBRIDCON_DATA_DIR"], "hybridcon.db")})
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.UserByName(context.Background(), "rescue")
	if err != nil {
		t.Fatal(err)
	}
	u.Disabled = true
	if err := st.UpdateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	st.Close()
	code, stdout, stderr = runCmd(t, env, "users", "reset-password", "--enable", "RESCUE")
	m := generatedPassword.FindStringSubmatch(stdout)
	if code != 0 || m == nil || strings.Contains(stdout, "is disabled") {
		t.Fatalf("reset-password: exit %d, %q %q", code, stdout, stderr)
	}
	code, stdout, _ = runCmd(t, env, "users", "list")
	if code != 0 || !regexp.MustCompile(`(?m)^\d+\s+Rescue\s+admin\s+-\s+active\s+Rescue Team$`).MatchString(stdout) {
		t.Fatalf("list: exit %d\n%s", code, stdout)
	}

	s := start(t, env)
	c := newAPIClient(s.url)
	c.must(t, 401, "POST", "/api/v1/auth/login", map[string]string{"username": "rescue", "password": "first password 1"})
	c.must(t, 200, "POST", "/api/v1/auth/login", map[string]string{"username": "rescue", "password": m[1]})
	var page struct{ Entries []app.AuditEntry }
	if err := json.Unmarshal(c.withToken(testAdminToken).must(t, 200, "GET", "/api/v1/audit?limit=50", nil), &page); err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range page.Entries {
		if e.ObjectType == "user" && e.Actor == cliActor {
			actions = append(actions, e.Action)
		}
	}
	if strings.Join(actions, ",") != "user.enable,user.create" {
		t.Fatalf("audit entries by %s: %v, want [user.enable user.create]", cliActor, actions)
	}
}
