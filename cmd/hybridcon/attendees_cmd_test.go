package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/app/demo"
	"github.com/hybridcon/hybridcon/app/qrcode"
	"github.com/hybridcon/hybridcon/storage"
)

// seededEnv returns an environment for run whose database holds the demo
// conference.
func seededEnv(t *testing.T) map[string]string {
	t.Helper()
	env := baseEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := storage.Open(ctx, storage.Options{DatabaseURL: env["HYBRIDCON_DATABASE_URL"], SQLitePath: filepath.Join(env["HYBRIDCON_DATA_DIR"], "hybridcon.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := app.NewService(st, nil, nil).Seed(ctx, app.ConferenceSeed(demo.Build(time.Now()))); err != nil {
		t.Fatal(err)
	}
	return env
}

// runCmd runs hybridcon with args and returns its exit code and output.
func runCmd(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"--config", "../../configs/hybridcon.yaml"}, args...), &stdout, &stderr, lookup)
	return code, stdout.String(), stderr.String()
}

// attendeeCount counts the demo event's attendees.
func attendeeCount(t *testing.T, env map[string]string) int {
	t.Helper()
	ctx := context.Background()
	st, err := storage.Open(ctx, storage.Options{DatabaseURL: env["HYBRIDCON_DATABASE_URL"], SQLitePath: filepath.Join(env["HYBRIDCON_DATA_DIR"], "hybridcon.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ev, err := st.EventBySlug(ctx, demo.Slug)
	if err != nil {
		t.Fatal(err)
	}
	all, err := st.EventAttendees(ctx, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	return len(all)
}

func TestImportAttendeesCommand(t *testing.T) {
	env := seededEnv(t)
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("\xef\xbb\xbfname,organization,country,email,external_id,category\n")
	for i := range 2500 {
		name := fmt.Sprintf("Vendég %04d", i)
		if i%2 == 0 {
			name = fmt.Sprintf("来宾%04d", i)
		}
		fmt.Fprintf(&b, "%s,Org %d,HU,guest%d@example.org,BULK-%04d,guest\n", name, i%7, i, i)
	}
	good := filepath.Join(dir, "big.csv")
	if err := os.WriteFile(good, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}

	t.Run("ProgressAndCounts", func(t *testing.T) {
		code, out, errOut := runCmd(t, env, "import-attendees", "--event", demo.Slug, good)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		for _, want := range []string{"imported 1000/2500\n", "imported 2000/2500\n", "imported 2500/2500\n", "2500 created, 0 updated, 0 unchanged"} {
			if !strings.Contains(out, want) {
				t.Errorf("stdout lacks %q:\n%s", want, out)
			}
		}
		if n := attendeeCount(t, env); n != 2700 {
			t.Fatalf("%d attendees, want 2700", n)
		}
	})
	t.Run("ReimportChangesNothing", func(t *testing.T) {
		// Flags after the file work too.
		code, out, errOut := runCmd(t, env, "import-attendees", good, "--event", demo.Slug)
		if code != 0 || !strings.Contains(out, "0 created, 0 updated, 2500 unchanged") {
			t.Fatalf("exit %d: %s %s", code, out, errOut)
		}
	})
	t.Run("BadFile", func(t *testing.T) {
		bad := filepath.Join(dir, "bad.csv")
		body := "name,email\nA,new-a@example.org\n,new-b@example.org\nC,new-a@example.org\n"
		if err := os.WriteFile(bad, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		code, _, errOut := runCmd(t, env, "import-attendees", "--event", demo.Slug, bad)
		if code == 0 {
			t.Fatal("a bad file exited 0")
		}
		for _, want := range []string{"row 3, column name: required", "row 4, column email:", "nothing was imported"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("stderr lacks %q:\n%s", want, errOut)
			}
		}
		if n := attendeeCount(t, env); n != 2700 {
			t.Fatalf("%d attendees after a bad file, want 2700", n)
		}
	})
	t.Run("Usage", func(t *testing.T) {
		for _, args := range [][]string{
			{"import-attendees", good},
			{"import-attendees", "--event", demo.Slug},
			{"import-attendees", "--event", "no-such-event", good},
			{"import-attendees", "--event", demo.Slug, filepath.Join(dir, "missing.csv")},
		} {
			if code, _, errOut := runCmd(t, env, args...); code == 0 || errOut == "" {
				t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
			}
		}
	})
}

func TestTicketsCommand(t *testing.T) {
	env := seededEnv(t)
	out := filepath.Join(t.TempDir(), "tickets")
	code, stdout, errOut := runCmd(t, env, "tickets", "--event", demo.Slug, "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(stdout, "200 tickets written") {
		t.Fatalf("stdout: %s", stdout)
	}
	pngs, _ := filepath.Glob(filepath.Join(out, "*.png"))
	if len(pngs) != 200 {
		t.Fatalf("%d PNG files, want 200", len(pngs))
	}
	f, err := os.Open(filepath.Join(out, "DEMO-0001.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if img, err := png.Decode(f); err != nil || img.Bounds().Dx() < qrcode.MinPixels {
		t.Fatalf("DEMO-0001.png: %v (want a PNG at least %d pixels wide)", err, qrcode.MinPixels)
	}
	raw, err := os.ReadFile(filepath.Join(out, "index.csv"))
	if err != nil || !bytes.HasPrefix(raw, []byte("\xef\xbb\xbf")) {
		t.Fatalf("index.csv: %v (BOM missing?)", err)
	}
	rows, err := csv.NewReader(bytes.NewReader(raw[3:])).ReadAll()
	if err != nil || len(rows) != 201 || rows[0][0] != "file" || rows[0][3] != "name" {
		t.Fatalf("index.csv: %v, %d rows, header %v", err, len(rows), rows[0])
	}
	for _, r := range rows[1:] {
		if _, err := os.Stat(filepath.Join(out, r[0])); err != nil || r[3] == "" {
			t.Fatalf("index row %v: %v", r, err)
		}
	}
	if code, _, _ := runCmd(t, env, "tickets", "--event", demo.Slug); code == 0 {
		t.Fatal("tickets without --out exited 0")
	}
	t.Run("TextOnly", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "texts")
		if code, _, errOut := runCmd(t, env, "tickets", "--event", demo.Slug, "--out", out, "--text-only"); code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		if pngs, _ := filepath.Glob(filepath.Join(out, "*.png")); len(pngs) != 0 {
			t.Fatalf("%d PNG files with --text-only", len(pngs))
		}
		texts, err := os.ReadFile(filepath.Join(out, "tickets.txt"))
		if err != nil || strings.Count(string(texts), "\n") != 200 || !strings.HasPrefix(string(texts), "HC1.") {
			t.Fatalf("tickets.txt: %v %q…", err, texts[:min(len(texts), 40)])
		}
	})
}
