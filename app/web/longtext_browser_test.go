package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/app/demo"
)

// overflowing lists what sticks out past the right edge of the window,
// and says whether the page scrolls sideways at all.
const overflowing = `(() => {
  const wide = document.documentElement.scrollWidth > innerWidth;
  const out = [...document.querySelectorAll('body *')].filter((e) => {
    const r = e.getBoundingClientRect();
    // A box whose own text spills out of it (a nowrap button) counts too.
    const spills = getComputedStyle(e).overflowX === 'visible' && e.scrollWidth > e.clientWidth + 1 && r.right - r.width + e.scrollWidth > innerWidth + 1;
    if (!r.width || r.right <= innerWidth + 1 && !spills) return false;
    // Inside a box that scrolls sideways on purpose (a wide table) is fine.
    for (let p = e.parentElement; p; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (/(auto|scroll|hidden|clip)/.test(s.overflowX) && p.getBoundingClientRect().right <= innerWidth + 1) return false;
    }
    return true;
  });
  // Name the innermost culprits: those with no culprit inside.
  const leaves = out.filter((e) => !out.some((o) => o !== e && e.contains(o)));
  return (wide ? 'scrolls sideways: ' + document.documentElement.scrollWidth + 'px (window ' + innerWidth + 'px); ' : '') + leaves.slice(0, 4).map((e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + '.' + String(e.className).split(' ').join('.') + ' ' + Math.round(e.getBoundingClientRect().right) + 'px ' + JSON.stringify(e.textContent.slice(0, 30))).join(', ');
})()`

// TestLongTextFits: a 1,000-character announcement without a space in
// any language, and unbroken titles of a stage (100 characters), a session
// and an achievement and a guest's name, leave the live page, the hall
// screen, the foyer, the presenter timer, a guest's own page (achievement
// cards, agenda) and the console as wide as the window, on a phone and
// on a desktop.
func TestLongTextFits(t *testing.T) {
	srv, long, ticket, stage := longTextServer(t)
	b := newBrowser(t)
	for _, size := range []struct {
		name string
		w, h int64
	}{{"phone", 390, 844}, {"desktop", 1280, 900}} {
		t.Run(size.name, func(t *testing.T) {
			tab := newTab(t, b)
			do(t, tab, 5*time.Second, "viewport", chromedp.EmulateViewport(size.w, size.h))
			check := func(what string) {
				t.Helper()
				if got := eval[string](t, tab, overflowing); got != "" {
					t.Errorf("%s on a %s is wider than the window: %s", what, size.name, got)
				}
			}
			for _, lang := range []string{"en", "zh"} {
				do(t, tab, 20*time.Second, "the live page", chromedp.Navigate(srv.url+"/e/"+demo.Slug+"?lang="+lang))
				waitFor(t, tab, 10*time.Second, "the announcement on the live page", `document.body.innerText.includes(`+jsString(long(map[string]string{"en": "Announcement", "zh": "通知"}[lang], 40))+`)`)
				check("the live page (" + lang + ")")
			}
			do(t, tab, 20*time.Second, "the hall screen", chromedp.Navigate(srv.url+"/e/"+demo.Slug+"?screen=1&lang=en"))
			waitFor(t, tab, 10*time.Second, "the hall screen", `document.body.innerText.includes('HydrogenHydrogen')`)
			check("the hall screen")
			do(t, tab, 20*time.Second, "the foyer", chromedp.Navigate(srv.url+"/e/"+demo.Slug+"/foyer?lang=en"))
			waitFor(t, tab, 10*time.Second, "the foyer", `document.body.innerText.includes('ShowcaseShowcase')`)
			check("the foyer")
			do(t, tab, 20*time.Second, "the presenter timer", chromedp.Navigate(srv.url+"/e/"+demo.Slug+"/s/"+stage+"/timer?lang=en"))
			waitFor(t, tab, 10*time.Second, "the timer", `document.body.dataset.ready === 'true' && document.body.innerText.includes('HydrogenHydrogen')`)
			check("the presenter timer")
			do(t, tab, 20*time.Second, "the guest's page", chromedp.Navigate(srv.url+"/p/"+ticket+"?lang=en"))
			waitFor(t, tab, 10*time.Second, "the guest's page", `document.body.dataset.ready === 'true' && document.body.innerText.includes('HydrogenHydrogen')`)
			check("the guest's own page (achievement cards, agenda)")

			login(t, tab, srv.url, "/console?event="+demo.Slug+"&lang=en", organizerName, organizerPassword, "/console")
			waitFor(t, tab, 10*time.Second, "the console", `document.body.innerText.includes('AnnouncementAnnouncement') && document.body.innerText.includes('HydrogenHydrogen')`)
			check("the console")
			setupTab(t, tab, "attendees", `document.querySelector('#setup-list tr[data-attendee]')`)
			eval[bool](t, tab, `(() => { const f = document.querySelector('.setup-search-form'); f.elements.q.value = 'GulyásGulyás'; f.requestSubmit(); return true })()`)
			waitFor(t, tab, 10*time.Second, "the long name listed", `document.querySelectorAll('#setup-list tr[data-attendee]').length === 1`)
			check("the console's attendees")
			setupTab(t, tab, "achievements", `document.querySelector('#setup-list tr[data-achievement]')`)
			check("the console's achievements")
		})
	}
}

// longTextServer is the demo conference with a 1,000-character
// announcement without a space, a second one that is one long address,
// and unbroken 100- and 200-character names and titles on a stage, the
// showcase, its first achievements and a guest; the showcase is live.
// long(word, n) repeats word to at most n characters.
func longTextServer(t *testing.T) (srv *server, long func(string, int) string, ticket, stage string) {
	t.Helper()
	srv = startServer(t)
	// long is word repeated to at most n characters: one unbroken word.
	long = func(word string, n int) string { return strings.Repeat(word, n/len([]rune(word))) }
	srv.call("POST", "/api/v1/events/"+demo.Slug+"/announcements", map[string]any{"pinned": true,
		"text": map[string]string{"en": long("Announcement", 996), "zh": long("通知", 1000), "hu": long("Közlemény", 999)}}, nil)
	srv.call("POST", "/api/v1/events/"+demo.Slug+"/announcements", map[string]any{"text": map[string]string{"en": "https://example.org/" + long("path", 900)}}, nil)
	showcase := srv.showcaseID()
	srv.call("PATCH", fmt.Sprintf("/api/v1/sessions/%d", showcase), map[string]any{"title": map[string]string{"en": long("Showcase", 200), "zh": long("展示", 200), "hu": long("Bemutató", 200)}}, nil)
	sc := srv.showcase(showcase)
	for _, sl := range sc.Slots[:3] {
		if sl.AchievementID != 0 {
			srv.call("PATCH", fmt.Sprintf("/api/v1/achievements/%d", sl.AchievementID), map[string]any{"title": map[string]string{"en": long("Hydrogen", 200), "zh": long("氢能", 200), "hu": long("Hidrogén", 200)}}, nil)
		}
	}
	srv.call("PATCH", "/api/v1/events/"+demo.Slug+"/stages/"+sc.Session.Stage, map[string]any{"name": map[string]string{"en": long("Stage", 100), "zh": long("舞台", 100), "hu": long("Színpad", 100)}}, nil)
	srv.call("POST", fmt.Sprintf("/api/v1/sessions/%d/start", showcase), nil, nil)
	guest := srv.attendees(1)[0]
	if _, err := srv.svc.UpdateAttendee(context.Background(), app.Principal{Name: "t", Role: app.RoleAdmin}, guest.ID,
		app.AttendeeInput{Name: ptr(long("Gulyás", 200)), Organization: ptr(long("Organization", 200))}); err != nil {
		t.Fatal(err)
	}
	return srv, long, guest.Ticket, sc.Session.Stage
}
