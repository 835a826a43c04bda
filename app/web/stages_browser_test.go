package web_test

// Browser tests of the stages: two stages live at once, each page with its
// own now / next and stream, Next on one never touching the other, the
// foyer screen, the presenter timer on the server's clock, and dates on
// day two.

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/app/demo"
)

// TestTwoStagesLive: the showcase and the forum run at once. Each stage's
// page shows its own now, next and stream; the event page shows both side
// by side; the console, on the forum, presses Next and only the forum
// moves; the foyer screen lists both stages with their current items.
func TestTwoStagesLive(t *testing.T) {
	srv := startServer(t)
	ag := srv.sessionsOf()
	srv.call("POST", fmt.Sprintf("/api/v1/sessions/%d/start", ag["showcase"].ID), nil, nil)
	srv.call("POST", fmt.Sprintf("/api/v1/sessions/%d/start", ag[demo.KindForum].ID), nil, nil)
	show, forum := srv.showcase(ag["showcase"].ID), srv.showcase(ag[demo.KindForum].ID)

	b := newBrowser(t)
	mainTab, forumTab, eventTab, foyerTab, organizer := newTab(t, b), newTab(t, b), newTab(t, b), newTab(t, b), newTab(t, b)
	do(t, mainTab, 20*time.Second, "open the main hall's page", chromedp.Navigate(srv.url+"/e/"+demo.Slug+"/s/main?lang=en"))
	do(t, forumTab, 20*time.Second, "open the forum's page", chromedp.Navigate(srv.url+"/e/"+demo.Slug+"/s/forum?lang=en"))
	do(t, eventTab, 20*time.Second, "open the event page", chromedp.Navigate(srv.url+"/e/"+demo.Slug+"?lang=en"))
	do(t, foyerTab, 20*time.Second, "open the foyer screen", chromedp.Navigate(srv.url+"/e/"+demo.Slug+"/foyer?lang=en"))

	showing := func(stage string, now, next *app.Slot, title func(*app.Slot) string) string {
		return fmt.Sprintf(`document.querySelector('#conn').dataset.state === 'live' &&
			document.querySelectorAll('#stages .stage').length === 1 &&
			document.querySelector('#stages .stage').dataset.stage === %s &&
			document.querySelector('#now-title')?.textContent === %s && document.querySelector('#next-title')?.textContent === %s &&
			document.querySelector('.stream-link.is-live')?.getAttribute('href') === 'https://live.example.com/cn-hu-2021/%s/intl'`,
			jsString(stage), jsString(title(now)), jsString(title(next)), stage)
	}
	achievement := func(sl *app.Slot) string { return sl.Achievement.Title.EN }
	free := func(sl *app.Slot) string { return sl.Title.EN }
	waitFor(t, mainTab, 10*time.Second, "the main hall's now, next and stream", showing("main", show.Current, show.Next, achievement))
	waitFor(t, forumTab, 10*time.Second, "the forum's now, next and stream", showing("forum", forum.Current, forum.Next, free))
	waitFor(t, eventTab, 10*time.Second, "both stages side by side",
		fmt.Sprintf(`document.querySelector('#conn').dataset.state === 'live' &&
			document.querySelector('#stages .stage[data-stage="main"] .now-title')?.textContent === %s &&
			document.querySelector('#stages .stage[data-stage="forum"] .now-title')?.textContent === %s &&
			document.querySelectorAll('#stages .stream-link.is-live').length === 2 &&
			(() => { const [a, b] = [...document.querySelectorAll('#stages .stage')].map((e) => e.getBoundingClientRect()); return Math.abs(a.top - b.top) < 2 && a.left < b.left })()`,
			jsString(show.Current.Achievement.Title.EN), jsString(forum.Current.Title.EN)))
	waitFor(t, foyerTab, 10*time.Second, "the foyer with both stages and their current items",
		fmt.Sprintf(`document.querySelectorAll('#stages .stage').length === 2 &&
			document.querySelector('.foyer-col[data-stage="main"] .is-current .foyer-item')?.textContent.includes(%s) &&
			document.querySelector('.foyer-col[data-stage="forum"] .is-current .foyer-item')?.textContent.includes(%s)`,
			jsString(show.Current.Achievement.Title.EN), jsString(forum.Current.Title.EN)))

	// The console on the forum: Next moves the forum only.
	login(t, organizer, srv.url, "/console", organizerName, organizerPassword, "/console")
	press(t, organizer, `#stage-tabs [data-stage="forum"]`)
	waitFor(t, organizer, 10*time.Second, "the console on the forum",
		fmt.Sprintf(`document.querySelector('#ctl-now .ctl-title')?.dataset.slot === '%d' && !document.querySelector('#btn-next').disabled &&
			document.querySelectorAll('#ctl-ros li').length === %d`, forum.Current.ID, len(forum.Slots)))
	press(t, organizer, "#btn-next")
	waitFor(t, organizer, 5*time.Second, "the confirmation", `document.querySelector('#confirm').open`)
	start := time.Now()
	press(t, organizer, "#confirm-ok")
	waitFor(t, forumTab, 2*time.Second, "the forum's next item on its page",
		`document.querySelector('#now-title')?.textContent === `+jsString(forum.Next.Title.EN))
	t.Logf("the forum's page moved %v after the click", time.Since(start).Round(time.Millisecond))
	waitFor(t, eventTab, 2*time.Second, "the forum's next item on the event page",
		`document.querySelector('#stages .stage[data-stage="forum"] .now-title')?.textContent === `+jsString(forum.Next.Title.EN))
	if got := srv.showcase(show.Session.ID); got.Current.ID != show.Current.ID || got.Session.Version != show.Session.Version {
		t.Fatalf("Next on the forum changed the showcase: now %d (was %d)", got.Current.ID, show.Current.ID)
	}
	if got := eval[string](t, mainTab, `document.querySelector('#now-title')?.textContent`); got != show.Current.Achievement.Title.EN {
		t.Errorf("the main hall's page shows %q after Next on the forum, want %q", got, show.Current.Achievement.Title.EN)
	}
}

// TestPresenterTimer: the timer counts down to the current item's
// expected end on the server's clock, which here is two hours ahead of
// the device's, warns in the last minute and flips to overtime.
func TestPresenterTimer(t *testing.T) {
	srv := startServer(t)
	ag := srv.sessionsOf()
	forum := ag[demo.KindForum]
	serverStart := time.Now().Add(2 * time.Hour).Truncate(time.Second)
	srv.setNow(serverStart)
	srv.call("POST", fmt.Sprintf("/api/v1/sessions/%d/start", forum.ID), nil, nil)
	sc := srv.showcase(forum.ID)
	if sc.Current == nil || sc.Current.PlannedSeconds != 15*60 {
		t.Fatalf("the forum's first item: %+v", sc.Current)
	}
	// The server's clock now stands 4 s before the first item is due.
	srv.setNow(serverStart.Add(15*time.Minute - 4*time.Second))

	b := newBrowser(t)
	tab := newTab(t, b)
	do(t, tab, 20*time.Second, "open the timer", chromedp.Navigate(srv.url+"/e/"+demo.Slug+"/s/forum/timer?lang=en"))
	waitFor(t, tab, 10*time.Second, "the countdown in its last minute",
		fmt.Sprintf(`document.body.dataset.ready === 'true' && document.querySelector('#timer-title')?.textContent === %s &&
			document.querySelector('#timer-now').dataset.phase === 'warning' && /^0:0[0-4]$/.test(document.querySelector('#timer-digits').textContent) &&
			document.querySelector('#timer-next-title')?.textContent === %s`,
			jsString(sc.Current.Title.EN), jsString(sc.Next.Title.EN)))
	waitFor(t, tab, 8*time.Second, "overtime counting up",
		`document.querySelector('#timer-now').dataset.phase === 'overtime' && /^\+0:0[1-9]$/.test(document.querySelector('#timer-digits').textContent)`)
	if got := eval[bool](t, tab, `!!document.querySelector('#timer-questions[data-slot="questions"]')`); !got {
		t.Error("no place for the approved questions")
	}
}

// TestDayTwoShowsItsDate: the agenda has a tab per conference day (two,
// whatever the hour: an evening past midnight stays one day); on day two
// the times carry their date (they are not today), on day one only those
// past the venue's midnight do.
func TestDayTwoShowsItsDate(t *testing.T) {
	srv := startServer(t)
	ag := srv.sessionsOf()
	panel := ag["panel"]
	b := newBrowser(t)
	tab := newTab(t, b)
	setTimezone(t, tab, "Europe/Budapest")
	do(t, tab, 20*time.Second, "open the live page", chromedp.Navigate(srv.url+"/e/"+demo.Slug+"?lang=en"))
	// The server's HTML lists every day; the script's agenda shows one
	// (its list names the day) and takes over once the snapshot is in.
	waitFor(t, tab, 10*time.Second, "two day tabs and the script's agenda", `document.querySelector('#conn').dataset.state === 'live' && document.querySelectorAll('#day-tabs .day-tab').length === 2 &&
		!!document.querySelector('#agenda ol.agenda[data-day]')`)
	// Day one's times (first zone, the venue's) carry a date only where
	// they are not today there: at some hours day one runs past midnight.
	var all struct{ Sessions []app.Session }
	srv.call("GET", "/api/v1/events/"+demo.Slug+"/sessions", nil, &all)
	shanghai := mustZone(t, "Asia/Shanghai")
	today := time.Now().In(shanghai).Format("2006-01-02")
	want := map[string]string{}
	for _, se := range all.Sessions {
		if se.PlannedStart.Before(panel.PlannedStart) {
			at := se.ExpectedStart.In(shanghai)
			want[strconv.FormatInt(se.ID, 10)] = at.Format("15:04")
			if at.Format("2006-01-02") != today {
				want[strconv.FormatInt(se.ID, 10)] = at.Format("Mon 2 Jan 15:04")
			}
		}
	}
	got := eval[map[string]string](t, tab, `Object.fromEntries([...document.querySelectorAll('#agenda [data-session]')].map((r) => [r.dataset.session, r.querySelector('.zone dd time')?.textContent]))`)
	if len(got) != len(want) {
		t.Errorf("day one shows %d sessions %q, want %d", len(got), got, len(want))
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("day one's session %s shows %q, want %q", id, got[id], w)
		}
	}
	do(t, tab, 10*time.Second, "pick day two", chromedp.Click(chromedp.CSS(`#day-tabs .day-tab:nth-child(2)`)))
	dayTwo := panel.PlannedStart.In(mustZone(t, "Asia/Shanghai")).Format("Mon 2 Jan")
	waitFor(t, tab, 5*time.Second, "day two's sessions with their date",
		fmt.Sprintf(`(() => { const row = document.querySelector('#agenda [data-session="%d"]'); if (!row) return false;
			const t = [...row.querySelectorAll('.zone dd time')].map((e) => e.textContent); return t.length >= 2 && t[0].startsWith(%s) && / \d\d:\d\d$/.test(t[0]) })()`,
			panel.ID, jsString(dayTwo)))
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
