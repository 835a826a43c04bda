package web_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/hybridcon/hybridcon/app"
)

// TestConferenceFromEmptyDatabase: an admin sets a small conference up
// from an empty database with the console only — the event, two stages,
// three sessions, an achievements CSV with one bad row (refused with its
// row listed and nothing written, then fixed and imported), an attendees
// CSV, a run-of-show of the imported achievements, a kiosk token created
// (with its QR code) and revoked — and starts the showcase; the live page
// then shows the event, its stages and the achievement on stage, and an
// attendee's ticket (the QR code the set-up card links) prints to PDF, and
// so do the attendees' ticket sheets (one A4 page each). The
// imports go through the set-up card's own upload (all or nothing, bad
// rows listed).
func TestConferenceFromEmptyDatabase(t *testing.T) {
	srv := startEmptyServer(t)
	ctx := context.Background()
	if _, err := srv.svc.CreateUser(ctx, app.Principal{Name: "t", Role: app.RoleAdmin}, app.UserInput{Username: "chief", Password: "chief password 1", Role: app.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	tab := newTab(t, b)
	login(t, tab, srv.url, "/console", "chief", "chief password 1", "/console")

	venue, _ := time.LoadLocation("Asia/Shanghai")
	base := time.Now().In(venue).Truncate(time.Minute).Add(10 * time.Minute)
	at := func(d time.Duration) string { return base.Add(d).Format("2006-01-02T15:04") }

	// The event.
	fill(t, tab, "#event-form", map[string]string{"slug": "small-conf", "title.en": "Small Conference", "title.zh": "小型会议",
		"venue.en": "Room 1", "venue_tz": "Asia/Shanghai", "viewer_tzs": "Asia/Shanghai, Europe/Budapest",
		"starts_at": at(-time.Hour), "ends_at": at(30 * time.Hour)})
	waitFor(t, tab, 15*time.Second, "the console of the new event", `location.search.includes('event=small-conf') && document.body.dataset.ready === 'true' && document.querySelector('#setup').dataset.tab === 'stages'`)

	// Two stages: the event's first, renamed, and a second one.
	openAndFill(t, tab, `#setup-list tr[data-stage="main"] button`, "#stage-form", map[string]string{"name.en": "Main hall", "stream_links.default": "https://live.example.org/main"})
	waitFor(t, tab, 10*time.Second, "the main hall", `(document.querySelector('#setup-list tr[data-stage="main"]')?.textContent || '').includes('Main hall')`)
	openAndFill(t, tab, "#setup-new-stage", "#stage-form", map[string]string{"slug": "forum", "name.en": "Forum"})
	waitFor(t, tab, 10*time.Second, "two stages", `document.querySelectorAll('#setup-list tr[data-stage]').length === 2`)

	// Three sessions.
	setupTab(t, tab, "sessions", `document.querySelector('#setup-new-session:not([disabled])')`)
	for _, s := range []map[string]string{
		{"title.en": "Opening", "kind": "opening", "stage": "main", "planned_start": at(0), "planned_end": at(30 * time.Minute), "fixed_start": "true"},
		{"title.en": "Showcase", "kind": "showcase", "stage": "main", "planned_start": at(30 * time.Minute), "planned_end": at(150 * time.Minute)},
		{"title.en": "Forum", "kind": "forum", "stage": "forum", "planned_start": at(30 * time.Minute), "planned_end": at(120 * time.Minute)},
	} {
		openAndFill(t, tab, "#setup-new-session", "#session-form", s)
		waitFor(t, tab, 10*time.Second, "the session "+s["title.en"], `[...document.querySelectorAll('#setup-list tr[data-session]')].some(r => r.textContent.includes(`+jsString(s["title.en"])+`))`)
	}

	// Achievements by CSV: row 3 has no title; nothing is imported until
	// the fixed file comes.
	setupTab(t, tab, "achievements", `document.querySelector('#setup-import-achievements')`)
	header := "ref,title_en,title_zh,institution,presenter\n"
	bad := writeFile(t, "achievements-bad.csv", header+"A-1,Rice robot,水稻机器人,CQU,Dr. Wang\nA-2,,,BME,Dr. Kiss\n")
	do(t, tab, 10*time.Second, "upload the bad CSV", chromedp.SetUploadFiles(chromedp.CSS("#setup-import-achievements"), []string{bad}))
	// The preview (console-import.js) lists the bad row before anything is written.
	waitFor(t, tab, 10*time.Second, "the bad row listed", `(document.querySelector('[data-import="achievements"] .import-errors')?.textContent || '').includes('Row 3') && !document.querySelector('[data-import="achievements"] [data-act="import"]')`)
	if n := eval[int](t, tab, `document.querySelectorAll('#setup-list tr[data-achievement]').length`); n != 0 {
		t.Fatalf("a refused import left %d achievements", n)
	}
	good := writeFile(t, "achievements.csv", header+"A-1,Rice robot,水稻机器人,CQU,Dr. Wang\nA-2,Bridge sensor,桥梁传感器,BME,Dr. Kiss\n")
	do(t, tab, 10*time.Second, "upload the fixed CSV", chromedp.SetUploadFiles(chromedp.CSS("#setup-import-achievements"), []string{good}))
	waitFor(t, tab, 10*time.Second, "the preview of the fixed CSV", `document.querySelectorAll('[data-import="achievements"] .import-table tbody tr').length === 2`)
	tap(t, tab, `[data-import="achievements"] [data-act="import"]`)
	waitFor(t, tab, 10*time.Second, "two achievements", `document.querySelectorAll('#setup-list tr[data-achievement]').length === 2 && (document.querySelector('#setup-import-achievements-result')?.textContent || '').includes('2 new')`)

	// Attendees by CSV.
	setupTab(t, tab, "attendees", `document.querySelector('#setup-import-attendees')`)
	people := writeFile(t, "attendees.csv", "\ufeffname,organization,email,category\n王秀英,重庆市科学技术局,wang@example.cn,official\nKovács Anna,BME,anna@example.hu,academic\nJohn Smith,Acme,john@example.org,enterprise\n")
	do(t, tab, 10*time.Second, "upload the attendees", chromedp.SetUploadFiles(chromedp.CSS("#setup-import-attendees"), []string{people}))
	waitFor(t, tab, 10*time.Second, "the attendees' preview", `document.querySelector('[data-import="attendees"] [data-act="import"]')`)
	tap(t, tab, `[data-import="attendees"] [data-act="import"]`)
	waitFor(t, tab, 10*time.Second, "three attendees", `document.querySelectorAll('#setup-list tr[data-attendee]').length === 3`)
	ticket := eval[string](t, tab, `document.querySelector('#setup-list tr[data-attendee] a[href$="ticket.png"]').href`)
	sheets := eval[string](t, tab, `document.querySelector('#setup-print-sheets').href`)

	// The showcase's run-of-show: both achievements.
	setupTab(t, tab, "items", `document.querySelector('#items-form')`)
	showcase := eval[string](t, tab, `(() => { const s = document.querySelector('#setup-panel select[name="session"]'); s.value = [...s.options].find(o => o.textContent.includes('Showcase')).value; s.dispatchEvent(new Event('change')); return s.value })()`)
	waitFor(t, tab, 10*time.Second, "the showcase's items", `document.querySelector('#setup-panel').dataset.session === `+jsString(showcase)+` && document.querySelector('#items-form')`)
	tap(t, tab, "#setup-add-item")
	tap(t, tab, "#setup-add-item")
	eval[bool](t, tab, `(() => { document.querySelectorAll('#setup-items li').forEach((li, i) => { const a = li.querySelector('[name=achievement_id]'); a.value = a.options[i + 1].value; a.dispatchEvent(new Event('change')); });
	  document.querySelector('#items-form button[type=submit]').click(); return true })()`)
	waitFor(t, tab, 10*time.Second, "the run-of-show saved", `[...document.querySelectorAll('#setup-items li')].filter(li => li.dataset.id !== '0').length === 2`)

	// A kiosk token with its QR code, then revoked.
	do(t, tab, 10*time.Second, "issue a kiosk token",
		chromedp.SendKeys(chromedp.CSS("#token-name"), "Door kiosk"),
		chromedp.SetValue(chromedp.CSS("#token-role"), "checker"),
		chromedp.Click(chromedp.CSS(`#token-form button[type="submit"]`)))
	waitFor(t, tab, 10*time.Second, "the QR code", `document.querySelector('#kiosk-qr img')?.naturalWidth >= 256 && document.querySelector('#kiosk-qr a').href.includes('%2Fe%2Fsmall-conf%2Fcheckin#token=')`)
	row := `[...document.querySelectorAll('#tokens tr')].find(r => r.textContent.includes('Door kiosk'))`
	waitFor(t, tab, 10*time.Second, "the token listed", `!!`+row)
	eval[bool](t, tab, `(() => { `+row+`.querySelector('button').click(); return true })()`)
	waitFor(t, tab, 5*time.Second, "the revoke dialog", `document.querySelector('#confirm').open`)
	press(t, tab, "#confirm-ok")
	waitFor(t, tab, 10*time.Second, "the token revoked", `!`+row)
	tokens, err := srv.svc.Tokens(ctx, app.Principal{Name: "t", Role: app.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range tokens {
		if tk.Name == "Door kiosk" {
			t.Fatalf("the revoked kiosk token is still listed: %+v", tk)
		}
	}

	// Start the showcase from the console; the live page shows it.
	start := `#sessions button[data-session="` + showcase + `"][data-action="start"]`
	do(t, tab, 20*time.Second, "reload the console", chromedp.Reload())
	waitFor(t, tab, 10*time.Second, "the showcase in the console", `document.body.dataset.ready === 'true' && document.querySelector('`+start+`')`)
	press(t, tab, start)
	waitFor(t, tab, 5*time.Second, "the start dialog", `document.querySelector('#confirm').open`)
	press(t, tab, "#confirm-ok")
	waitFor(t, tab, 10*time.Second, "the showcase live", `document.querySelector('#sessions tr[data-session="`+showcase+`"] .chip')?.textContent === 'Live'`)

	viewer := newTab(t, b)
	do(t, viewer, 20*time.Second, "open the live page", chromedp.Navigate(srv.url+"/e/small-conf"))
	waitFor(t, viewer, 10*time.Second, "the live page", `document.querySelector('#event-title')?.textContent.includes('Small Conference') && document.querySelector('#stages [data-stage="main"] .now-title')?.textContent === 'Rice robot' && document.querySelector('#stages [data-stage="main"] .next-title')?.textContent === 'Bridge sensor'`)
	text := eval[string](t, viewer, `document.body.innerText`)

	// An attendee's ticket, from the set-up card's link, printed to PDF.
	do(t, tab, 20*time.Second, "open the ticket", chromedp.Navigate(ticket))
	waitFor(t, tab, 10*time.Second, "the ticket's QR code", `document.querySelector('img')?.naturalWidth >= 256`)
	var pdf []byte
	do(t, tab, 20*time.Second, "print the ticket", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		out, err := chromedp.Call(ctx, cdppage.PrintToPDF, cdppage.PrintToPDFParams{PaperWidth: 8.27, PaperHeight: 11.69})
		pdf = out.Data
		return err
	}))
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || len(pdf) < 1000 {
		t.Fatalf("the printed ticket is not a PDF: %d bytes %q", len(pdf), pdf[:min(len(pdf), 8)])
	}
	// The attendees' ticket sheets, from the set-up card's print link:
	// one A4 page per guest.
	do(t, tab, 20*time.Second, "open the ticket sheets", chromedp.Navigate(sheets))
	waitFor(t, tab, 10*time.Second, "the sheets", `document.querySelectorAll('.sheet img.qr').length === 3 && [...document.querySelectorAll('img.qr')].every(i => i.complete && i.naturalWidth >= 256)`)
	if _, pages := printPDF(t, tab); pages != 3 {
		t.Errorf("the ticket sheets of 3 guests print on %d pages", pages)
	}
	for _, want := range []string{"Main hall", "Forum", "Opening", "Showcase", "Room 1"} {
		if !strings.Contains(text, want) {
			t.Errorf("the live page does not show %q", want)
		}
	}
}
