package main

import (
	"context"
	"encoding/base64"
	"html"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	goqr "github.com/piglig/go-qr"

	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/app/demo"
	"github.com/hybridcon/hybridcon/storage"
)

var (
	cardRE = regexp.MustCompile(`(?s)<(?:section class="sheet"|article class="badge[^"]*") data-attendee="([a-z2-7]+)">(.*?)</(?:section|article)>`)
	qrRE   = regexp.MustCompile(`src="data:image/png;base64,([^"]+)"`)
)

// decodedCards maps each card of a printout to the text its QR decodes to.
func decodedCards(t *testing.T, doc string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, m := range cardRE.FindAllStringSubmatch(doc, -1) {
		q := qrRE.FindStringSubmatch(m[2])
		if q == nil {
			t.Fatalf("card %s has no QR", m[1])
		}
		b, err := base64.StdEncoding.DecodeString(html.UnescapeString(q[1]))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(strings.NewReader(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		text, err := goqr.Decode(img)
		if err != nil {
			t.Fatalf("card %s: %v", m[1], err)
		}
		out[m[1]] = text
	}
	return out
}

// TestTicketsCommandHTML: tickets --html writes the printout of one
// guest, a list or a category (sheets or badges) to stdout or a file;
// each card's QR decodes to its guest's ticket, revoked guests are left
// out and counted, and bad flags change nothing.
func TestTicketsCommandHTML(t *testing.T) {
	env := seededEnv(t)
	ctx := context.Background()
	st, err := storage.Open(ctx, storage.Options{DatabaseURL: env["HYBRIDCON_DATABASE_URL"], SQLitePath: filepath.Join(env["HYBRIDCON_DATA_DIR"], "hybridcon.db")})
	if err != nil {
		t.Fatal(err)
	}
	svc := app.NewService(st, nil, nil)
	admin := app.Principal{Name: "t", Role: app.RoleAdmin}
	page, err := svc.Attendees(ctx, admin, demo.Slug, "", nil, 500, 0)
	if err != nil {
		t.Fatal(err)
	}
	all := page.Attendees
	if _, err := svc.UpdateAttendee(ctx, admin, all[1].ID, app.AttendeeInput{Revoked: ptrTo(true)}); err != nil {
		t.Fatal(err)
	}
	svc.StopAttendance()
	st.Close()

	// Three ids, one revoked, as sheets to stdout.
	code, stdout, errOut := runCmd(t, env, "tickets", "--event", demo.Slug, "--html", "sheet", "--ids", all[0].ID+","+all[1].ID+","+all[2].ID)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.HasPrefix(stdout, "<!doctype html>") || !strings.Contains(stdout, "<style>") || !strings.Contains(stdout, "@page") {
		t.Fatalf("stdout is not a standalone printout: %.200s", stdout)
	}
	cards := decodedCards(t, stdout)
	if len(cards) != 2 || cards[all[0].ID] != all[0].Ticket || cards[all[2].ID] != all[2].Ticket {
		t.Fatalf("sheets %v, want the tickets of %s and %s", cards, all[0].ID, all[2].ID)
	}
	for _, a := range []app.AttendeeView{all[0], all[2]} {
		if !strings.Contains(stdout, html.EscapeString(a.Name)) {
			t.Errorf("the sheets do not name %s", a.Name)
		}
	}
	if !strings.Contains(errOut, "2 ticket sheets") || !strings.Contains(errOut, "revoked and left out: 1") {
		t.Errorf("stderr %q, want the counts", errOut)
	}

	// A category as badges, to a file.
	file := filepath.Join(t.TempDir(), "press.html")
	code, stdout, errOut = runCmd(t, env, "tickets", "--event", demo.Slug, "--html", "badges", "--category", "press", "--out", file, "--lang", "hu")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	doc, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	press := map[string]string{}
	for _, a := range all {
		if a.Category == app.CategoryPress && a.ID != all[1].ID {
			press[a.ID] = a.Ticket
		}
	}
	got := decodedCards(t, string(doc))
	if len(got) != len(press) || len(press) == 0 {
		t.Fatalf("%d badges, want the %d press guests", len(got), len(press))
	}
	for id, text := range got {
		if press[id] != text {
			t.Errorf("badge %s decodes to another ticket", id)
		}
	}
	if !strings.Contains(string(doc), `lang="hu"`) || !strings.Contains(stdout, "badges") {
		t.Errorf("--lang hu or the summary missing: %q", stdout)
	}

	// Bad command lines write nothing.
	for _, args := range [][]string{
		{"--html", "poster"},
		{"--html", "sheet", "--text-only"},
		{"--html", "sheet", "--ids", "not-an-id"},
		{"--html", "sheet", "--ids", strings.Repeat("a", 26)},
		{"--html", "sheet", "--category", "Not A Category"},
	} {
		bad := filepath.Join(t.TempDir(), "bad.html")
		code, stdout, errOut := runCmd(t, env, append([]string{"tickets", "--event", demo.Slug, "--out", bad}, args...)...)
		if code == 0 || errOut == "" || strings.Contains(stdout, "<html") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
		if _, err := os.Stat(bad); !os.IsNotExist(err) {
			t.Errorf("%v wrote %s", args, bad)
		}
	}
}

func ptrTo[T any](v T) *T { return &v }
