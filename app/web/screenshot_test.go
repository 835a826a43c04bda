package web_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/fasthttp/websocket"
	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/app/demo"
)

// envScreenshots names the folder TestScreenshots writes into; relative
// paths are taken from the module root, so from the repository:
//
//	HYBRIDCON_SCREENSHOTS=docs/screenshots go test ./app/web -run TestScreenshots
const envScreenshots = "HYBRIDCON_SCREENSHOTS"

// TestScreenshots writes PNGs of the pages in a realistic state: the
// showcase under way (some items done, one skipped, running a few minutes
// late), guests checked in, viewers online in both regions.
func TestScreenshots(t *testing.T) {
	dir := os.Getenv(envScreenshots)
	if dir == "" {
		t.Skip("set " + envScreenshots + "=<folder> to write screenshots of the pages")
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(moduleRoot(t), dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t)
	stageScene(t, srv)
	openViewers(t, srv, map[string]int{"cn": 14, "hu": 9})

	b := newBrowser(t)
	shot := func(name string, ctx context.Context) {
		t.Helper()
		c, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		png, err := chromedp.Run(c, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", filepath.Join(dir, name))
	}
	viewport := func(ctx context.Context, w, h int64, scale float64, mobile bool) {
		t.Helper()
		opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(scale)}
		if mobile {
			opts = append(opts, chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateTouch)
		}
		do(t, ctx, 10*time.Second, "viewport", chromedp.EmulateViewport(w, h, opts...))
	}
	settle := func(ctx context.Context, what, expr string) {
		t.Helper()
		waitFor(t, ctx, 15*time.Second, what, expr)
		time.Sleep(400 * time.Millisecond) // fonts and the last frame
	}
	live := `document.querySelector('#conn').dataset.state === 'live' && document.querySelector('#now-title') && document.querySelector('#count-online') && document.querySelector('#count-online').textContent !== '0'`

	// A viewer in China on a phone, in Chinese.
	phone := newTab(t, b)
	setTimezone(t, phone, "Asia/Shanghai")
	viewport(phone, 360, 780, 2, true)
	do(t, phone, 20*time.Second, "phone", chromedp.Navigate(srv.url+"/e/"+demo.Slug+"?lang=zh"))
	settle(phone, "the phone page", live)
	shot("live-phone-zh.png", phone)

	// A viewer elsewhere on a desktop, in English: three clocks.
	desktop := newTab(t, b)
	setTimezone(t, desktop, "Europe/London")
	viewport(desktop, 1440, 900, 1, false)
	do(t, desktop, 20*time.Second, "desktop", chromedp.Navigate(srv.url+"/e/"+demo.Slug+"?lang=en"))
	settle(desktop, "the desktop page", live)
	shot("live-desktop-en.png", desktop)

	// The hall screen in Chongqing, Chinese with English beneath.
	hall := newTab(t, b)
	setTimezone(t, hall, "Asia/Shanghai")
	viewport(hall, 1920, 1080, 1, false)
	do(t, hall, 20*time.Second, "hall screen", chromedp.Navigate(srv.url+"/e/"+demo.Slug+"?screen=1&lang=zh"))
	settle(hall, "the hall screen", `document.querySelector('#now-title') && document.querySelector('.clock-time').textContent.includes(':')`)
	shot("live-screen-zh.png", hall)

	// The foyer screen, in English, and the presenter timer of the forum.
	foyer := newTab(t, b)
	setTimezone(t, foyer, "Asia/Shanghai")
	viewport(foyer, 1920, 1080, 1, false)
	do(t, foyer, 20*time.Second, "foyer", chromedp.Navigate(srv.url+"/e/"+demo.Slug+"/foyer?lang=en"))
	settle(foyer, "the foyer", `document.body.dataset.ready === 'true' && document.querySelectorAll('.foyer-col .is-current').length === 2`)
	shot("foyer-screen-en.png", foyer)
	timer := newTab(t, b)
	viewport(timer, 1280, 800, 1, false)
	do(t, timer, 20*time.Second, "timer", chromedp.Navigate(srv.url+"/e/"+demo.Slug+"/s/forum/timer?lang=en"))
	settle(timer, "the timer", `document.body.dataset.ready === 'true' && /\d:\d\d$/.test(document.querySelector('#timer-digits').textContent)`)
	shot("timer-forum-en.png", timer)

	// The kiosk at a door, in Hungarian, after a few scans.
	kiosk := newTab(t, b)
	setTimezone(t, kiosk, "Asia/Shanghai")
	viewport(kiosk, 1024, 768, 1, false)
	login(t, kiosk, srv.url, "/e/"+demo.Slug+"/checkin", checkerName, checkerPassword, "/e/"+demo.Slug+"/checkin")
	do(t, kiosk, 20*time.Second, "kiosk in Hungarian", chromedp.Navigate(srv.url+"/e/"+demo.Slug+"/checkin?lang=hu"))
	waitFor(t, kiosk, 10*time.Second, "the kiosk", `document.body.dataset.ready === 'true' && !!document.body.dataset.kit`)
	eval[bool](t, kiosk, `(() => { const g = document.querySelector('#gate'); g.value = 'Északi kapu'; g.dispatchEvent(new Event('change')); return true })()`)
	guests := unchecked(t, srv, 3)
	forged := guests[2].Ticket[:len(guests[2].Ticket)-12] + "AAAAAAAAAAAA"
	for _, ticket := range []string{guests[0].Ticket, guests[1].Ticket, guests[0].Ticket, forged} {
		do(t, kiosk, 20*time.Second, "scan", chromedp.SetValue(chromedp.CSS("#scan"), ticket), chromedp.SendKeys(chromedp.CSS("#scan"), kb.Enter))
		time.Sleep(300 * time.Millisecond)
	}
	waitFor(t, kiosk, 6*time.Second, "the last result to clear", `document.querySelector('#result').hidden`)
	settle(kiosk, "the kiosk counters", `document.querySelector('#event-in').textContent !== '–'`)
	shot("kiosk-tablet-hu.png", kiosk)
	do(t, kiosk, 20*time.Second, "scan", chromedp.SetValue(chromedp.CSS("#scan"), guests[2].Ticket), chromedp.SendKeys(chromedp.CSS("#scan"), kb.Enter))
	waitFor(t, kiosk, 5*time.Second, "the green result", `document.querySelector('#result').dataset.result === 'ok' && !document.querySelector('#result').hidden`)
	shot("kiosk-green-hu.png", kiosk)

	// The organizer console, in English.
	console := newTab(t, b)
	setTimezone(t, console, "Asia/Shanghai")
	viewport(console, 1440, 900, 1, false)
	login(t, console, srv.url, "/console", organizerName, organizerPassword, "/console")
	settle(console, "the console", `document.querySelector('#conn').dataset.state === 'live' && document.querySelectorAll('#audit li').length > 5`)
	do(t, console, 10*time.Second, "draft", chromedp.SendKeys(chromedp.CSS("#ann-en"), "Coffee is served in the foyer after the signing ceremony."),
		chromedp.SendKeys(chromedp.CSS("#ann-zh"), "签约仪式结束后，请到前厅享用咖啡。"))
	eval[bool](t, console, `(() => { document.activeElement.blur(); return true })()`)
	time.Sleep(300 * time.Millisecond)
	shot("console-desktop-en.png", console)

	// Printed tickets: a sheet and a page of badges, as on screen.
	viewport(console, 1100, 1000, 1, false)
	for _, l := range []string{"sheet", "badges"} {
		do(t, console, 20*time.Second, "open the "+l, chromedp.Navigate(srv.url+"/e/"+demo.Slug+"/tickets?layout="+l+"&q=Consulate&lang=zh"))
		settle(console, "the "+l, `document.body.dataset.ready === 'true' && [...document.querySelectorAll('img.qr')].every(i => i.complete)`)
		shot("tickets-"+l+"-zh.png", console)
	}
}

// moduleRoot is the folder of go.mod above the test's directory.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test")
		}
		dir = parent
	}
}

// stageScene plays the morning of the demo conference so that now is
// 10:02 on the programme's clock: the plan is moved so (no reader sees
// "12 hours late"), then the opening runs two minutes over, the showcase
// starts four minutes late, items 1–3 and 5 are presented and item 4 is
// skipped; the forum beside it is on its second talk; 128 guests are
// checked in and one announcement is posted.
func stageScene(t *testing.T, srv *server) {
	t.Helper()
	ctx := context.Background()
	zhang := app.Principal{Name: "zhang.wei", Role: app.RoleOrganizer}
	kovacs := app.Principal{Name: "kovacs.eszter", Role: app.RoleOrganizer}
	sessions, err := srv.svc.Sessions(ctx, demo.Slug)
	if err != nil {
		t.Fatal(err)
	}
	var opening, showcase, forum app.Session
	for _, s := range sessions {
		switch s.Kind {
		case app.KindOpening:
			opening = s
		case app.KindShowcase:
			showcase = s
		case demo.KindForum:
			forum = s
		}
	}
	now := time.Now().UTC().Truncate(time.Minute)
	shift := int(now.Sub(showcase.PlannedStart.Add(32*time.Minute)) / time.Minute)
	for shift != 0 {
		step := max(min(shift, app.MaxDelayMinutes), -app.MaxDelayMinutes)
		for _, s := range sessions {
			if _, err := srv.svc.DelaySession(ctx, zhang, s.ID, step); err != nil {
				t.Fatalf("moving the plan: %v", err)
			}
		}
		shift -= step
	}
	base := now.Add(-62 * time.Minute) // 09:00 on the programme's clock
	at := func(min, sec int) {
		srv.setNow(base.Add(time.Duration(min)*time.Minute + time.Duration(sec)*time.Second))
	}
	defer srv.setNow(time.Time{})
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	at(1, 0)
	must(srv.svc.MoveSession(ctx, zhang, opening.ID, app.ActionStart))
	at(32, 10)
	must(srv.svc.MoveSession(ctx, zhang, opening.ID, app.ActionEnd))
	at(34, 0)
	must(srv.svc.MoveSession(ctx, zhang, showcase.ID, app.ActionStart))
	sc, err := srv.svc.Showcase(ctx, showcase.ID)
	if err != nil {
		t.Fatal(err)
	}
	slots := sc.Slots
	at(39, 20)
	must(srv.svc.AdvanceShowcase(ctx, zhang, showcase.ID, slots[0].ID))
	at(44, 50)
	must(srv.svc.AdvanceShowcase(ctx, kovacs, showcase.ID, slots[1].ID))
	at(46, 0)
	must(srv.svc.SkipSlot(ctx, zhang, showcase.ID, slots[3].ID))
	at(51, 30)
	must(srv.svc.AdvanceShowcase(ctx, zhang, showcase.ID, slots[2].ID))
	at(57, 40)
	must(srv.svc.AdvanceShowcase(ctx, kovacs, showcase.ID, slots[4].ID))
	// Beside the showcase the university forum started on time at 09:40
	// and is on its second talk.
	at(40, 0)
	must(srv.svc.MoveSession(ctx, kovacs, forum.ID, app.ActionStart))
	fo, err := srv.svc.Showcase(ctx, forum.ID)
	if err != nil {
		t.Fatal(err)
	}
	at(55, 30)
	must(srv.svc.AdvanceShowcase(ctx, kovacs, forum.ID, fo.Slots[0].ID))
	at(48, 0)
	must(srv.svc.PostAnnouncement(ctx, kovacs, demo.Slug, app.AnnouncementInput{Text: app.Text{
		ZH: "匈牙利频道现已提供匈牙利语同声传译。远程连线的展示嘉宾请在问答环节保持摄像头开启。",
		EN: "The Hungary channel now carries simultaneous interpretation into Hungarian. Presenters joining remotely: please keep your camera on for the questions.",
		HU: "A magyar csatornán mostantól magyar szinkrontolmácsolás is hallható. A távolról csatlakozó előadókat kérjük, a kérdések alatt hagyják bekapcsolva a kamerát.",
	}}))
	// Guests arrive from 08:20 to 09:50.
	page, err := srv.svc.Attendees(ctx, zhang, demo.Slug, "", nil, 200, 0)
	if err != nil {
		t.Fatal(err)
	}
	var scans []app.ScanInput
	for i, a := range page.Attendees {
		if i >= 128 {
			break
		}
		gate := []string{"North door", "South door", "VIP entrance"}[i%3]
		when := base.Add(-40*time.Minute + time.Duration(i)*40*time.Second)
		scans = append(scans, app.ScanInput{Ticket: a.Ticket, Gate: gate, ScanID: fmt.Sprintf("scene-%04d", i), ScannedAt: when.Format(time.RFC3339)})
	}
	srv.setNow(time.Time{})
	if _, err := srv.svc.CheckInBatch(ctx, app.Principal{Name: "door", Role: app.RoleOrganizer}, demo.Slug, scans); err != nil {
		t.Fatalf("check-ins: %v", err)
	}
}

// unchecked returns n attendees who have not checked in.
func unchecked(t *testing.T, srv *server, n int) []app.AttendeeView {
	t.Helper()
	var page app.AttendeePage
	srv.call("GET", fmt.Sprintf("/api/v1/events/%s/attendees?checked_in=false&limit=%d", demo.Slug, n), nil, &page)
	if len(page.Attendees) < n {
		t.Fatalf("want %d guests not checked in, got %d", n, len(page.Attendees))
	}
	return page.Attendees
}

// openViewers holds websocket viewers open by region for the presence
// counts, until the test ends.
func openViewers(t *testing.T, srv *server, byRegion map[string]int) {
	t.Helper()
	ws := "ws" + strings.TrimPrefix(srv.url, "http") + "/ws/events/" + demo.Slug
	for region, n := range byRegion {
		for range n {
			c, _, err := websocket.DefaultDialer.Dial(ws+"?region="+region, nil)
			if err != nil {
				t.Fatalf("viewer: %v", err)
			}
			go func() {
				for {
					if _, _, err := c.ReadMessage(); err != nil {
						return
					}
				}
			}()
			t.Cleanup(func() { c.Close() })
		}
	}
}
