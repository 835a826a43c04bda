package web_test

// Browser tests: the three pages in Debian's chromium (headless), driven
// by chromedp against the whole application started in-process. They skip
// when chromium is missing unless HYBRIDCON_TEST_BROWSER=1 (CI).

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/app/demo"
)

// TestConsoleNextReachesViewer: an organizer presses Next in the console
// and a viewer in another browser context sees the new item and the new
// expected times within 2 s.
func TestConsoleNextReachesViewer(t *testing.T) {
	srv := startServer(t)
	showcase := srv.showcaseID()
	srv.call("POST", fmt.Sprintf("/api/v1/sessions/%d/start", showcase), nil, nil)
	before := srv.showcase(showcase)
	if before.Current == nil || before.Next == nil {
		t.Fatalf("after start: current %v, next %v", before.Current, before.Next)
	}

	b := newBrowser(t)
	organizer := newTab(t, b)
	viewer := newTab(t, b)

	login(t, organizer, srv.url, "/console", organizerName, organizerPassword, "/console")
	waitFor(t, organizer, 10*time.Second, "the console to show slot 1",
		fmt.Sprintf(`document.querySelector('#ctl-now .ctl-title')?.dataset.slot === '%d' && !document.querySelector('#btn-next').disabled`, before.Current.ID))

	do(t, viewer, 20*time.Second, "open the live page", chromedp.Navigate(srv.url+"/e/"+demo.Slug))
	waitFor(t, viewer, 10*time.Second, "the viewer to show slot 1",
		`document.querySelector('#now-title')?.textContent === `+jsString(before.Current.Achievement.Title.EN))

	// Measure layout shifts on the viewer from here on: a live update must
	// not move what the viewer is reading.
	eval[bool](t, viewer, `(() => { window.__cls = 0; new PerformanceObserver((l) => { for (const e of l.getEntries()) if (!e.hadRecentInput) window.__cls += e.value; }).observe({ type: 'layout-shift' }); return true })()`)

	do(t, organizer, 10*time.Second, "press Next", chromedp.Click(chromedp.CSS("#btn-next")))
	waitFor(t, organizer, 5*time.Second, "the confirmation", `document.querySelector('#confirm').open`)
	start := time.Now()
	do(t, organizer, 10*time.Second, "confirm", chromedp.Click(chromedp.CSS("#confirm-ok")))

	// The viewer must show the new item and, for the item after it, the
	// expected start the server computed, within 2 s of the click.
	after := srv.showcase(showcase)
	for (after.Current == nil || after.Current.ID == before.Current.ID) && time.Since(start) < 2*time.Second {
		time.Sleep(20 * time.Millisecond) // the click's request is still on its way
		after = srv.showcase(showcase)
	}
	if after.Current == nil || after.Current.ID != before.Next.ID || after.Next == nil {
		t.Fatalf("after Next the server shows current %+v next %+v; want slot %d presenting", after.Current, after.Next, before.Next.ID)
	}
	want := after.Next.ExpectedStart
	waitFor(t, viewer, 2*time.Second-time.Since(start), "the viewer to show the new item and expected times",
		fmt.Sprintf(`document.querySelector('#now-title')?.textContent === %s &&
			Math.abs(Date.parse(document.querySelector('#next-times dl')?.dataset.expected) - %d) < 1000`,
			jsString(after.Current.Achievement.Title.EN), want.UnixMilli()))
	t.Logf("viewer updated %v after the click", time.Since(start).Round(time.Millisecond))
	if !want.Equal(before.Next.ExpectedStart) {
		// The item after the new one moved: the viewer shows the new time
		// (checked above), not the one it had.
		t.Logf("expected start of slot %d moved from %s to %s", after.Next.Position, before.Next.ExpectedStart.Format(time.RFC3339), want.Format(time.RFC3339))
	}
	// The run-of-show marks the first slot done and the second as now.
	waitFor(t, viewer, 2*time.Second, "the run-of-show markers",
		fmt.Sprintf(`document.querySelector('#ros [data-slot="%d"]')?.dataset.state === 'done' && document.querySelector('#ros [data-slot="%d"]')?.dataset.state === 'presenting'`,
			before.Current.ID, after.Current.ID))
	time.Sleep(300 * time.Millisecond)
	if cls := eval[float64](t, viewer, `window.__cls`); cls > 0.01 {
		t.Errorf("the update shifted the viewer's layout: cumulative layout shift %.3f", cls)
	}
	// The console followed too, and says who is on stage.
	waitFor(t, organizer, 2*time.Second, "the console to show slot 2",
		fmt.Sprintf(`document.querySelector('#ctl-now .ctl-title')?.dataset.slot === '%d'`, after.Current.ID))
}

// TestViewerResolvesAchievements: live envelopes name achievements by id
// (docs/api.md "Run-of-shows in live envelopes"); the live page, its
// hall-screen mode and the console show the titles from the map the
// snapshot filled, follow Next, and show a renamed achievement at once
// when the catalogue changes under a viewer that is already open.
func TestViewerResolvesAchievements(t *testing.T) {
	srv := startServer(t)
	showcase := srv.showcaseID()
	srv.call("POST", fmt.Sprintf("/api/v1/sessions/%d/start", showcase), nil, nil)
	sc := srv.showcase(showcase)

	b := newBrowser(t)
	viewer := newTab(t, b)
	hall := newTab(t, b)
	organizer := newTab(t, b)
	do(t, viewer, 20*time.Second, "open the live page", chromedp.Navigate(srv.url+"/e/"+demo.Slug+"?lang=en"))
	do(t, hall, 20*time.Second, "open the hall screen", chromedp.Navigate(srv.url+"/e/"+demo.Slug+"?screen=1&lang=en"))
	login(t, organizer, srv.url, "/console", organizerName, organizerPassword, "/console")

	titles := func(slots []app.Slot) string {
		var out []string
		for _, sl := range slots {
			out = append(out, sl.Achievement.Title.EN)
		}
		return jsString(strings.Join(out, "\n"))
	}
	rosTitles := `[...document.querySelectorAll('#ros .ros-title')].map((e) => e.textContent).join('\n')`
	showing := func(sc app.Showcase) string {
		return fmt.Sprintf(`document.querySelector('#conn').dataset.state === 'live' && document.querySelector('#now-title')?.textContent === %s &&
			document.querySelector('#next-title')?.textContent === %s && %s === %s &&
			document.querySelector('.now .meta .presenter')?.textContent.endsWith(%s)`,
			jsString(sc.Current.Achievement.Title.EN), jsString(sc.Next.Achievement.Title.EN), rosTitles, titles(sc.Slots),
			jsString(sc.Current.Achievement.Presenter))
	}
	waitFor(t, viewer, 10*time.Second, "the viewer to show the titles of now, next and the run-of-show", showing(sc))
	waitFor(t, hall, 10*time.Second, "the hall screen to show now and next with the second language",
		fmt.Sprintf(`document.querySelector('#now-title')?.textContent === %s && document.querySelector('.now .alt-title')?.textContent === %s &&
			document.querySelector('#next-title')?.textContent === %s`,
			jsString(sc.Current.Achievement.Title.EN), jsString(sc.Current.Achievement.Title.ZH), jsString(sc.Next.Achievement.Title.EN)))
	waitFor(t, organizer, 10*time.Second, "the console to show the titles",
		fmt.Sprintf(`document.querySelector('#ctl-now .ctl-title')?.textContent === %s && document.querySelector('#ctl-next .ctl-title')?.textContent === %s`,
			jsString(sc.Current.Achievement.Title.EN), jsString(sc.Next.Achievement.Title.EN)))

	// Next: the slim showcase.updated moves every page to the next item.
	srv.call("POST", fmt.Sprintf("/api/v1/sessions/%d/showcase/advance", showcase), map[string]int64{"expected_slot_id": sc.Current.ID}, nil)
	sc = srv.showcase(showcase)
	waitFor(t, viewer, 5*time.Second, "the viewer to show the next item", showing(sc))

	// A catalogue edit of the item on stage: showcase.updated carries the
	// changed achievement, and every page shows the new title and presenter.
	renamed := "Renamed while on stage"
	srv.call("PATCH", fmt.Sprintf("/api/v1/achievements/%d", sc.Current.AchievementID),
		map[string]any{"title": map[string]string{"en": renamed}, "presenter": "Dr. Új Előadó"}, nil)
	sc = srv.showcase(showcase)
	if sc.Current.Achievement.Title.EN != renamed {
		t.Fatalf("the edit did not take: %q", sc.Current.Achievement.Title.EN)
	}
	waitFor(t, viewer, 5*time.Second, "the viewer to show the renamed item", showing(sc))
	waitFor(t, hall, 5*time.Second, "the hall screen to show the renamed item", `document.querySelector('#now-title')?.textContent === `+jsString(renamed))
	waitFor(t, organizer, 5*time.Second, "the console to show the renamed item", `document.querySelector('#ctl-now .ctl-title')?.textContent === `+jsString(renamed))
}

// TestConsoleStaleNext: a console that missed another organizer's moves
// (its live connection is down, plain requests still go through) sends a
// stale Next; the server refuses it and the console says plainly who is
// on stage now and catches up.
func TestConsoleStaleNext(t *testing.T) {
	srv := startServer(t)
	proxy := newCutProxy(t, srv.url)
	showcase := srv.showcaseID()
	srv.call("POST", fmt.Sprintf("/api/v1/sessions/%d/start", showcase), nil, nil)
	sc := srv.showcase(showcase)

	b := newBrowser(t)
	organizer := newTab(t, b)
	login(t, organizer, proxy.url(), "/console", organizerName, organizerPassword, "/console")
	waitFor(t, organizer, 10*time.Second, "the console to show slot 1",
		fmt.Sprintf(`document.querySelector('#ctl-now .ctl-title')?.dataset.slot === '%d'`, sc.Current.ID))

	proxy.setBlock(isLive)
	waitFor(t, organizer, 10*time.Second, "the console to show that it reconnects", `document.querySelector('#conn').dataset.state === 'reconnecting'`)
	srv.call("POST", fmt.Sprintf("/api/v1/sessions/%d/showcase/advance", showcase), map[string]int64{"expected_slot_id": sc.Current.ID}, nil)
	srv.call("POST", fmt.Sprintf("/api/v1/sessions/%d/showcase/advance", showcase), map[string]int64{"expected_slot_id": sc.Next.ID}, nil)
	now := srv.showcase(showcase).Current
	if got := eval[string](t, organizer, `document.querySelector('#ctl-now .ctl-title')?.dataset.slot`); got != fmt.Sprint(sc.Current.ID) {
		t.Fatalf("the console caught up without its live connection (shows slot id %s)", got)
	}

	// The keyboard path: N, then Enter in the confirmation.
	do(t, organizer, 5*time.Second, "press N", chromedp.KeyEvent("n"))
	waitFor(t, organizer, 5*time.Second, "the confirmation", `document.querySelector('#confirm').open`)
	do(t, organizer, 5*time.Second, "confirm with Enter", chromedp.KeyEvent(kb.Enter))
	want := fmt.Sprintf("Someone else advanced to slot %d", now.Position)
	waitFor(t, organizer, 5*time.Second, "the conflict message and the current slot",
		fmt.Sprintf(`(document.querySelector('#toast')?.textContent || '').includes(%s) && document.querySelector('#ctl-now .ctl-title')?.dataset.slot === '%d'`,
			jsString(want), now.ID))
	if got := srv.showcase(showcase).Current.ID; got != now.ID {
		t.Errorf("the stale Next moved the showcase: slot %d presenting, want %d", got, now.ID)
	}
	proxy.setBlock(nil)
	waitFor(t, organizer, 20*time.Second, "the live connection to return", `document.querySelector('#conn').dataset.state === 'live'`)
}

// TestKioskOnline: green for a valid ticket, amber for a second scan of
// it (with the first time and gate), red for a forged one.
func TestKioskOnline(t *testing.T) {
	srv := startServer(t)
	guest := srv.attendees(1)[0]

	b := newBrowser(t)
	kiosk := newTab(t, b)
	login(t, kiosk, srv.url, "/e/"+demo.Slug+"/checkin", checkerName, checkerPassword, "/e/"+demo.Slug+"/checkin")
	waitFor(t, kiosk, 10*time.Second, "the scan input to have the focus", `document.activeElement?.id === 'scan'`)

	scans := 0
	scan := func(ticket, want string) {
		t.Helper()
		eval[bool](t, kiosk, `(() => { const r = document.querySelector('#result'); r.hidden = true; r.dataset.result = ''; return true })()`)
		if scans == 0 {
			// The first ticket is typed key by key, as a keyboard-wedge
			// scanner does; later ones are pasted to save time.
			do(t, kiosk, 20*time.Second, "scan", chromedp.SendKeys(chromedp.CSS("#scan"), ticket+kb.Enter))
		} else {
			do(t, kiosk, 20*time.Second, "scan", chromedp.SetValue(chromedp.CSS("#scan"), ticket), chromedp.SendKeys(chromedp.CSS("#scan"), kb.Enter))
		}
		scans++
		waitFor(t, kiosk, 5*time.Second, "the "+want+" result",
			`!document.querySelector('#result').hidden && document.querySelector('#result').dataset.result === `+jsString(want))
	}

	scan(guest.Ticket, "ok")
	if got := eval[string](t, kiosk, `document.querySelector('#result-name').textContent`); got != guest.Name {
		t.Errorf("green result names %q, want %q", got, guest.Name)
	}
	if !eval[bool](t, kiosk, `document.querySelector('#result-offline').hidden`) {
		t.Error("an online answer is marked as checked on the device")
	}

	scan(guest.Ticket, "already")
	detail := eval[string](t, kiosk, `document.querySelector('#result-detail').textContent`)
	if !strings.Contains(detail, "Gate 1") {
		t.Errorf("amber result %q does not name the first gate", detail)
	}

	sig := guest.Ticket[strings.LastIndex(guest.Ticket, ".")+1:]
	forged := guest.Ticket[:len(guest.Ticket)-len(sig)] + flip(sig[:10]) + sig[10:]
	scan(forged, "rejected")
	if got := eval[string](t, kiosk, `document.querySelector('#result-detail').textContent`); !strings.Contains(got, "not valid") {
		t.Errorf("red result says %q, want the invalid-ticket reason", got)
	}
	if got := eval[string](t, kiosk, `[...document.querySelectorAll('.device-counts dd')].map(d => d.textContent).join(',')`); got != "1,1,1" {
		t.Errorf("device counters %s, want 1,1,1", got)
	}
	waitFor(t, kiosk, 5*time.Second, "the result to clear and the focus to return",
		`document.querySelector('#result').hidden && document.activeElement?.id === 'scan'`)
	waitFor(t, kiosk, 5*time.Second, "the event counter", `document.querySelector('#event-in').textContent === '1'`)
}

// TestKioskOffline: with its network cut the kiosk judges two guests
// itself (and a repeat as amber), queues the scans, and uploads them when
// the network returns; the server then holds both check-ins, from an
// offline sync.
func TestKioskOffline(t *testing.T) {
	srv := startServer(t)
	all := srv.attendees(4)
	guests, revoked := all[1:3], all[3]
	srv.call("PATCH", "/api/v1/attendees/"+revoked.ID, map[string]bool{"revoked": true}, nil)

	b := newBrowser(t)
	kiosk := newTab(t, b)
	login(t, kiosk, srv.url, "/e/"+demo.Slug+"/checkin", checkerName, checkerPassword, "/e/"+demo.Slug+"/checkin")
	waitFor(t, kiosk, 10*time.Second, "the check-in kit", `!!document.body.dataset.kit`)
	eval[bool](t, kiosk, `(() => { const g = document.querySelector('#gate'); g.value = 'North door'; g.dispatchEvent(new Event('change')); return true })()`)

	setOffline(t, kiosk, true)
	waitFor(t, kiosk, 5*time.Second, "the kiosk to notice", `document.querySelector('#net').dataset.state === 'offline'`)

	scan := func(ticket, want string) {
		t.Helper()
		eval[bool](t, kiosk, `(() => { const r = document.querySelector('#result'); r.hidden = true; r.dataset.result = ''; return true })()`)
		do(t, kiosk, 20*time.Second, "scan", chromedp.SetValue(chromedp.CSS("#scan"), ticket), chromedp.SendKeys(chromedp.CSS("#scan"), kb.Enter))
		waitFor(t, kiosk, 5*time.Second, "the "+want+" result",
			`!document.querySelector('#result').hidden && document.querySelector('#result').dataset.result === `+jsString(want)+
				` && !document.querySelector('#result-offline').hidden`)
	}
	scan(guests[0].Ticket, "ok")
	scan(guests[1].Ticket, "ok")
	scan(guests[0].Ticket, "already")
	if got := eval[string](t, kiosk, `document.querySelector('#result-detail').textContent`); !strings.Contains(got, "North door") {
		t.Errorf("offline amber result %q does not name the first gate", got)
	}
	// Red without the network: a forged signature, a revoked guest, a
	// ticket of another event (signed with that event's key or not, it is
	// not ours).
	sig := guests[1].Ticket[strings.LastIndex(guests[1].Ticket, ".")+1:]
	rejects := map[string]string{
		guests[1].Ticket[:len(guests[1].Ticket)-len(sig)] + flip(sig[:10]) + sig[10:]: "not valid",
		revoked.Ticket: "cancelled",
		strings.Replace(guests[1].Ticket, "."+demo.Slug+".", ".another-event.", 1): "another event",
	}
	for ticket, reason := range rejects {
		scan(ticket, "rejected")
		if got := eval[string](t, kiosk, `document.querySelector('#result-detail').textContent`); !strings.Contains(got, reason) {
			t.Errorf("offline red result %q, want the reason %q", got, reason)
		}
	}
	waitFor(t, kiosk, 5*time.Second, "six queued scans", `document.body.dataset.queue === '6'`)
	if got := eval[string](t, kiosk, `document.querySelector('#queue-text').textContent`); !strings.Contains(got, "6") {
		t.Errorf("queue line %q does not show 6 scans", got)
	}
	for _, g := range guests {
		if checkedIn(t, srv, g.ID) {
			t.Fatalf("%s is checked in on the server while the kiosk is offline", g.Name)
		}
	}

	setOffline(t, kiosk, false)
	waitFor(t, kiosk, 15*time.Second, "the queue to upload", `document.body.dataset.queue === '0' && document.querySelector('#net').dataset.state === 'online'`)

	if checkedIn(t, srv, revoked.ID) {
		t.Errorf("the revoked guest %s is checked in after the upload", revoked.Name)
	}
	var page app.AttendeePage
	srv.call("GET", fmt.Sprintf("/api/v1/events/%s/attendees?checked_in=true&limit=50", demo.Slug), nil, &page)
	byID := map[string]app.AttendeeView{}
	for _, a := range page.Attendees {
		byID[a.ID] = a
	}
	for _, g := range guests {
		a, ok := byID[g.ID]
		if !ok || !a.CheckedIn || a.FirstGate != "North door" {
			t.Errorf("%s on the server: %+v; want checked in at North door", g.Name, a)
		}
		scans, err := srv.st.ValidCheckIns(context.Background(), g.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		var first *app.CheckIn
		for i := range scans {
			if scans[i].First {
				first = &scans[i]
			}
		}
		if first == nil || first.Source != app.SourceOfflineSync || first.Result != app.ResultCheckedIn {
			t.Errorf("%s: first check-in %+v, want checked_in from offline_sync", g.Name, first)
		}
	}
}

func checkedIn(t *testing.T, srv *server, id string) bool {
	t.Helper()
	scans, err := srv.st.ValidCheckIns(context.Background(), id, 0)
	if err != nil {
		t.Fatal(err)
	}
	return len(scans) > 0
}

// flip changes the characters of a base64url fragment so the signature
// stays well-formed but wrong.
func flip(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
	}
	return string(b)
}

// TestViewerRecoversMissedEnvelopes: the viewer's connection is cut (the
// network drops every open connection), two announcements are posted
// meanwhile, and when the network returns the page resumes with
// since/epoch and shows both, once each.
func TestViewerRecoversMissedEnvelopes(t *testing.T) {
	srv := startServer(t)
	proxy := newCutProxy(t, srv.url)

	b := newBrowser(t)
	viewer := newTab(t, b)
	do(t, viewer, 20*time.Second, "open the live page", chromedp.Navigate(proxy.url()+"/e/"+demo.Slug))
	waitFor(t, viewer, 10*time.Second, "the live connection and the demo announcements",
		`document.querySelector('#conn').dataset.state === 'live' && document.querySelectorAll('#announcements li[data-id]').length === 2`)

	proxy.setCut(true)
	waitFor(t, viewer, 10*time.Second, "the page to show that it reconnects", `document.querySelector('#conn').dataset.state === 'reconnecting'`)
	texts := []string{"Missed while offline: the signing starts at 11:50.", "Missed while offline: lunch is served in hall B."}
	for _, s := range texts {
		srv.call("POST", "/api/v1/events/"+demo.Slug+"/announcements", map[string]any{"text": map[string]string{"en": s, "zh": s, "hu": s}}, nil)
	}
	proxy.setCut(false)

	waitFor(t, viewer, 20*time.Second, "both missed announcements",
		`document.querySelector('#conn').dataset.state === 'live' && document.querySelectorAll('#announcements li[data-id]').length === 4`)
	for _, s := range texts {
		n := eval[int](t, viewer, `[...document.querySelectorAll('#announcements .ann-text')].filter(p => p.textContent === `+jsString(s)+`).length`)
		if n != 1 {
			t.Errorf("announcement %q shown %d times, want once", s, n)
		}
	}
	ids := eval[[]string](t, viewer, `[...document.querySelectorAll('#announcements li[data-id]')].map(li => li.dataset.id)`)
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Errorf("announcement %s shown twice: %v", id, ids)
		}
		seen[id] = true
	}
	// The page came back with since and epoch (it resumed, it did not
	// start over).
	resumed := false
	for _, line := range proxy.requests() {
		if strings.Contains(line, "/ws/events/"+demo.Slug) && strings.Contains(line, "since=") && strings.Contains(line, "epoch=") ||
			strings.Contains(line, "/stream?") && strings.Contains(line, "since=") {
			resumed = true
		}
	}
	if !resumed {
		t.Errorf("no reconnect carried since and epoch; requests: %q", proxy.requests())
	}
}

// TestViewerFallsBackToSSE: on a network that lets HTTP through but not
// websockets, the page switches to Server-Sent Events, says so, and
// still receives updates.
func TestViewerFallsBackToSSE(t *testing.T) {
	srv := startServer(t)
	proxy := newCutProxy(t, srv.url)
	proxy.setBlock(isWebsocket)

	b := newBrowser(t)
	viewer := newTab(t, b)
	do(t, viewer, 20*time.Second, "open the live page", chromedp.Navigate(proxy.url()+"/e/"+demo.Slug))
	waitFor(t, viewer, 15*time.Second, "the page to use Server-Sent Events",
		`document.querySelector('#conn').dataset.state === 'live' && document.querySelector('#conn').dataset.transport === 'sse' && document.querySelectorAll('#announcements li[data-id]').length === 2`)
	if got := eval[string](t, viewer, `document.querySelector('#conn .conn-text').textContent`); !strings.Contains(got, "compatibility") {
		t.Errorf("status says %q; want it to say it is in compatibility mode", got)
	}
	text := "Delivered over Server-Sent Events."
	srv.call("POST", "/api/v1/events/"+demo.Slug+"/announcements", map[string]any{"text": map[string]string{"en": text}}, nil)
	waitFor(t, viewer, 5*time.Second, "the announcement", `[...document.querySelectorAll('#announcements .ann-text')].some(p => p.textContent === `+jsString(text)+`)`)
}

// TestLanguageSwitch: the reader picks Chinese on the events list; the
// interface, <html lang> and the content switch at once, and the next page
// is rendered in Chinese by the server (remembered choice).
func TestLanguageSwitch(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t)
	tab := newTab(t, b)
	do(t, tab, 20*time.Second, "open the events list", chromedp.Navigate(srv.url+"/"))
	waitFor(t, tab, 10*time.Second, "the event card", `document.querySelectorAll('.event-item h2 a').length === 1`)
	if got := eval[string](t, tab, `document.documentElement.lang`); got != "en" {
		t.Fatalf("html lang %q, want en for an en-US browser", got)
	}
	do(t, tab, 10*time.Second, "choose 中文", chromedp.Click(chromedp.CSS(`.lang-btn[data-lang="zh"]`)))
	waitFor(t, tab, 5*time.Second, "the Chinese interface and content",
		`document.documentElement.lang === 'zh-CN' && document.querySelector('.page-title').textContent === '会议' && document.querySelector('.event-item h2 a').textContent.startsWith('中国') &&
		Array.from(document.querySelectorAll('.event-item p')).some((p) => p.textContent === '重庆')`)
	do(t, tab, 20*time.Second, "open the live page", chromedp.Navigate(srv.url+"/e/"+demo.Slug))
	if got := eval[string](t, tab, `document.querySelector('#event-title').textContent + '|' + document.documentElement.lang`); !strings.HasPrefix(got, "中国") || !strings.HasSuffix(got, "|zh-CN") {
		t.Errorf("the next page was rendered as %q; want the Chinese title and lang zh-CN", got)
	}
	waitFor(t, tab, 10*time.Second, "Chinese times and labels", `document.querySelector('.now .label')?.textContent.length > 0 && /[\u4e00-\u9fff]/.test(document.querySelector('.now .label').textContent)`)
	// The header, re-rendered from the live snapshot, keeps the venue in
	// the page's language.
	if got := eval[string](t, tab, `document.querySelector('#event-venue').textContent`); got != "重庆" {
		t.Errorf("venue on the Chinese live page: %q, want 重庆", got)
	}
}

// TestConsoleControls: session moves with confirmation for the ones that
// cannot be undone, a delay, a trilingual announcement with preview, the
// audit trail, and sign-out.
func TestConsoleControls(t *testing.T) {
	srv := startServer(t)
	sessions := map[string]app.Session{}
	var out struct{ Sessions []app.Session }
	srv.call("GET", "/api/v1/events/"+demo.Slug+"/sessions", nil, &out)
	for _, s := range out.Sessions {
		sessions[s.Kind] = s
	}
	opening, closing := sessions[app.KindOpening], sessions[app.KindClosing]

	b := newBrowser(t)
	tab := newTab(t, b)
	login(t, tab, srv.url, "/console", organizerName, organizerPassword, "/console")
	// The console opens on the main hall: its six sessions over both days.
	waitFor(t, tab, 10*time.Second, "the sessions", `document.querySelectorAll('#sessions tr').length === 6`)

	button := func(id int64, action string) string {
		return fmt.Sprintf(`#sessions button[data-session="%d"][data-action="%s"]`, id, action)
	}
	state := func(id int64) string {
		return fmt.Sprintf(`document.querySelector('#sessions tr[data-session="%d"] .chip')?.textContent`, id)
	}
	// Start asks first; the dialog's confirm button starts it.
	press(t, tab, button(opening.ID, "start"))
	waitFor(t, tab, 5*time.Second, "the start dialog", `document.querySelector('#confirm').open`)
	press(t, tab, "#confirm-ok")
	waitFor(t, tab, 5*time.Second, "live", state(opening.ID)+` === 'Live'`)
	// Pause and resume need no confirmation.
	press(t, tab, button(opening.ID, "pause"))
	waitFor(t, tab, 5*time.Second, "paused", state(opening.ID)+` === 'Paused'`)
	press(t, tab, button(opening.ID, "resume"))
	waitFor(t, tab, 5*time.Second, "live again", state(opening.ID)+` === 'Live'`)
	// End: the safe button has the focus; Escape keeps the session live.
	press(t, tab, button(opening.ID, "end"))
	waitFor(t, tab, 5*time.Second, "the end dialog", `document.querySelector('#confirm').open && document.activeElement?.id === 'confirm-cancel'`)
	do(t, tab, 5*time.Second, "escape", chromedp.KeyEvent(kb.Escape))
	waitFor(t, tab, 5*time.Second, "the dialog to close", `!document.querySelector('#confirm').open`)
	if got := eval[string](t, tab, state(opening.ID)); got != "Live" {
		t.Fatalf("Escape in the end dialog left the session %q", got)
	}
	press(t, tab, button(opening.ID, "end"))
	waitFor(t, tab, 5*time.Second, "the end dialog", `document.querySelector('#confirm').open`)
	press(t, tab, "#confirm-ok")
	waitFor(t, tab, 5*time.Second, "ended", state(opening.ID)+` === 'Ended' && !document.querySelector('`+button(opening.ID, "end")+`')`)
	// Cancel the closing.
	press(t, tab, button(closing.ID, "cancel"))
	waitFor(t, tab, 5*time.Second, "the cancel dialog", `document.querySelector('#confirm').open`)
	press(t, tab, "#confirm-ok")
	waitFor(t, tab, 5*time.Second, "cancelled", state(closing.ID)+` === 'Cancelled'`)

	// +5 on the (scheduled) showcase moves its plan by five minutes.
	showcase := sessions[app.KindShowcase]
	press(t, tab, `[data-delay="5"]`)
	waitFor(t, tab, 5*time.Second, "the delay", `(document.querySelector('#toast')?.textContent || '').includes('5 min')`)
	var after struct{ Sessions []app.Session }
	srv.call("GET", "/api/v1/events/"+demo.Slug+"/sessions", nil, &after)
	for _, s := range after.Sessions {
		if s.ID == showcase.ID && !s.PlannedStart.Equal(showcase.PlannedStart.Add(5*time.Minute)) {
			t.Errorf("showcase planned start %v after +5, want %v", s.PlannedStart, showcase.PlannedStart.Add(5*time.Minute))
		}
	}

	// An announcement in Chinese and Hungarian only: the English preview
	// falls back and says so.
	do(t, tab, 10*time.Second, "compose",
		chromedp.SendKeys(chromedp.CSS("#ann-zh"), "午餐在二楼。"),
		chromedp.SendKeys(chromedp.CSS("#ann-hu"), "Az ebéd az emeleten van."),
		chromedp.Click(chromedp.CSS(`#preview-langs [data-lang="en"]`)))
	waitFor(t, tab, 5*time.Second, "the preview", `document.querySelector('#preview .ann-text')?.textContent === '午餐在二楼。' && !!document.querySelector('#preview .preview-note')`)
	press(t, tab, "#compose-submit")
	waitFor(t, tab, 5*time.Second, "posted", `document.querySelector('#ann-zh').value === '' && (document.querySelector('#toast')?.textContent || '').includes('posted')`)
	var anns struct{ Announcements []app.Announcement }
	srv.call("GET", "/api/v1/events/"+demo.Slug+"/announcements", nil, &anns)
	if len(anns.Announcements) == 0 || anns.Announcements[0].Text.HU != "Az ebéd az emeleten van." || anns.Announcements[0].Author != organizerName {
		t.Errorf("newest announcement %+v", anns.Announcements[0])
	}

	// The audit trail shows the moves, newest first, and pages with More.
	waitFor(t, tab, 5*time.Second, "the audit trail", `[...document.querySelectorAll('#audit .audit-what')].some(e => e.textContent.startsWith('posted an announcement'))`)
	for i := 0; i < 20; i++ {
		srv.call("POST", fmt.Sprintf("/api/v1/sessions/%d/delay", showcase.ID), map[string]int{"minutes": 1 - 2*(i%2)}, nil)
	}
	do(t, tab, 10*time.Second, "reload", chromedp.Navigate(srv.url+"/console"))
	waitFor(t, tab, 10*time.Second, "a full first page", `document.querySelectorAll('#audit li').length === 20 && !document.querySelector('#audit-more').hidden`)
	press(t, tab, "#audit-more")
	waitFor(t, tab, 5*time.Second, "older entries", `document.querySelectorAll('#audit li').length > 20`)

	press(t, tab, "#logout")
	waitFor(t, tab, 5*time.Second, "the login page", `location.pathname === '/login'`)
	do(t, tab, 10*time.Second, "console again", chromedp.Navigate(srv.url+"/console"))
	if got := eval[string](t, tab, `location.pathname`); got != "/login" {
		t.Errorf("after sign-out /console shows %s, want the login page", got)
	}
}

// press waits until the control exists and is enabled (the console
// disables its controls while a request is on its way), then clicks it.
func press(t *testing.T, tab context.Context, sel string) {
	t.Helper()
	waitFor(t, tab, 5*time.Second, sel+" enabled", `(() => { const b = document.querySelector(`+jsString(sel)+`); return !!b && !b.disabled })()`)
	do(t, tab, 5*time.Second, "click "+sel, chromedp.Click(chromedp.CSS(sel)))
}
