package web_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/hybridcon/hybridcon/app"
)

// Helpers for driving the console's set-up card (console-setup.js).

// tap waits for an enabled control and clicks it in one step, so a panel
// that re-renders meanwhile cannot leave the click on a removed node.
func tap(t *testing.T, tab context.Context, sel string) {
	t.Helper()
	waitFor(t, tab, 10*time.Second, sel+" clicked", `(() => { const b = document.querySelector(`+jsString(sel)+`); if (!b || b.disabled) return false; b.click(); return true })()`)
}

// setupTab opens a tab of the set-up card and waits for its panel.
func setupTab(t *testing.T, tab context.Context, name, ready string) {
	t.Helper()
	tap(t, tab, `#setup-tabs [data-tab="`+name+`"]`)
	waitFor(t, tab, 10*time.Second, "the "+name+" tab", `document.querySelector('#setup').dataset.tab === '`+name+`' && (`+ready+`)`)
}

// fill sets the named controls of the form sel (a checkbox takes "true"
// or "false") as a reader typing would, and submits it.
func fill(t *testing.T, tab context.Context, sel string, values map[string]string) {
	t.Helper()
	openAndFill(t, tab, "", sel, values)
}

// openAndFill clicks opener until the form sel is there, then fills and
// submits it as fill does. One step, retried: a panel that re-renders
// between the click and the fill (a late list refresh replaces the
// editor) cannot leave it waiting for a form that is gone — it opens the
// form again. With opener "", it only waits for the form.
func openAndFill(t *testing.T, tab context.Context, opener, sel string, values map[string]string) {
	t.Helper()
	js := fmt.Sprintf(`(() => { const f = document.querySelector(%s); const opener = %s;
	  if (!f) { const b = opener && document.querySelector(opener); if (b && !b.disabled) b.click(); return false; }
	  const v = %s;
	  for (const [k, x] of Object.entries(v)) { const el = f.elements[k]; if (!el) throw new Error('no field ' + k);
	    if (el.type === 'checkbox') el.checked = x === 'true'; else el.value = x;
	    el.dispatchEvent(new Event('input', {bubbles: true})); el.dispatchEvent(new Event('change', {bubbles: true})); }
	  f.querySelector('button[type=submit]').click(); return true })()`, jsString(sel), jsString(opener), mustJSONString(t, values))
	waitFor(t, tab, 20*time.Second, "the form "+sel+" filled", js)
}

func mustJSONString(t *testing.T, v map[string]string) string {
	t.Helper()
	s := "{"
	first := true
	for k, x := range v {
		if !first {
			s += ","
		}
		first = false
		s += jsString(k) + ":" + jsString(x)
	}
	return s + "}"
}

// fieldError is the error shown beside the field name of form sel.
func fieldError(sel, name string) string {
	return `document.querySelector('` + sel + ` .field-error[data-field="` + name + `"]')?.textContent || ''`
}

// writeFile writes a file under the test's temporary directory.
func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestConsoleSetUp sets an event up from an empty database in the
// console's set-up card, on a phone-size screen: the event (a bad time
// zone refused beside its field), two stages (the event's first renamed,
// a bad stream link refused beside its field), three sessions, a run-of-show, achievements and
// attendees (add, search, edit, revoke), each list's paging, and the
// audit trail of every change.
func TestConsoleSetUp(t *testing.T) {
	srv := startEmptyServer(t)
	ctx := context.Background()
	if _, err := srv.svc.CreateUser(ctx, app.Principal{Name: "t", Role: app.RoleAdmin}, app.UserInput{Username: "chief", Password: "chief password 1", Role: app.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	tab := newTab(t, b)
	do(t, tab, 5*time.Second, "a phone", chromedp.EmulateViewport(390, 844))
	login(t, tab, srv.url, "/console", "chief", "chief password 1", "/console")
	waitFor(t, tab, 10*time.Second, "the new event form", `document.querySelector('#event-form [name="slug"]')`)

	venue, _ := time.LoadLocation("Asia/Shanghai")
	day := time.Now().In(venue).AddDate(0, 0, 1)
	at := func(d, hh, mm int) string {
		return time.Date(day.Year(), day.Month(), day.Day()+d, hh, mm, 0, 0, venue).Format("2006-01-02T15:04")
	}
	event := map[string]string{"slug": "expo-2026", "title.en": "Expo 2026", "title.zh": "博览会 2026", "title.hu": "Expó 2026",
		"venue.en": "Hall A", "venue_tz": "Asia/Shangai", "viewer_tzs": "Asia/Shanghai, Europe/Budapest",
		"starts_at": at(0, 9, 0), "ends_at": at(1, 18, 0)}
	fill(t, tab, "#event-form", event)
	waitFor(t, tab, 10*time.Second, "the time zone refused beside its field", fieldError("#event-form", "venue_tz")+`.includes('IANA')`)
	fill(t, tab, "#event-form", map[string]string{"venue_tz": "Asia/Shanghai"})
	waitFor(t, tab, 15*time.Second, "the console of the new event", `location.search.includes('event=expo-2026') && document.body.dataset.ready === 'true' && document.querySelector('#setup').dataset.tab === 'stages'`)
	ev, err := srv.svc.Store().EventBySlug(ctx, "expo-2026")
	if err != nil {
		t.Fatal(err)
	}
	if got := ev.StartsAt.In(venue).Format("2006-01-02T15:04"); got != at(0, 9, 0) || ev.Title.HU != "Expó 2026" {
		t.Fatalf("event starts %s (want %s), title %v", got, at(0, 9, 0), ev.Title)
	}

	// Stages: the event's first stage (every event has one) is renamed and
	// given links; one that is not a URL is refused beside its field.
	waitFor(t, tab, 10*time.Second, "the main stage", `document.querySelector('#setup-list tr[data-stage="main"]')`)
	openAndFill(t, tab, `#setup-list tr[data-stage="main"] button`, "#stage-form", map[string]string{"name.en": "Main hall", "name.zh": "主会场", "stream_links.cn": "not a url"})
	waitFor(t, tab, 10*time.Second, "the link refused", fieldError("#stage-form", "stream_links.cn")+` !== ''`)
	fill(t, tab, "#stage-form", map[string]string{"stream_links.cn": "https://live.example.cn/main"})
	waitFor(t, tab, 10*time.Second, "the main hall", `(document.querySelector('#setup-list tr[data-stage="main"]')?.textContent || '').includes('Main hall')`)
	openAndFill(t, tab, "#setup-new-stage", "#stage-form", map[string]string{"slug": "forum", "name.en": "Forum", "stream_links.default": "https://live.example.org/forum"})
	waitFor(t, tab, 10*time.Second, "two stages", `document.querySelectorAll('#setup-list tr[data-stage]').length === 2`)
	// A new stage's form offers the position after the last one, so
	// stages added in turn never share a position.
	openAndFill(t, tab, "#setup-new-stage", "#stage-form", map[string]string{"slug": "studio", "name.en": "Studio"})
	waitFor(t, tab, 10*time.Second, "three stages", `document.querySelectorAll('#setup-list tr[data-stage]').length === 3`)
	sts, err := srv.svc.Stages(ctx, "expo-2026")
	if err != nil {
		t.Fatal(err)
	}
	var positions []int
	for _, st := range sts {
		positions = append(positions, st.Position)
	}
	if fmt.Sprint(positions) != "[1 2 3]" {
		t.Errorf("stage positions %v, want [1 2 3]", positions)
	}

	// Sessions: one ending before it starts is refused beside its end.
	setupTab(t, tab, "sessions", `document.querySelector('#setup-new-session:not([disabled])')`)
	openAndFill(t, tab, "#setup-new-session", "#session-form", map[string]string{"title.en": "Opening", "kind": "opening", "stage": "main", "planned_start": at(0, 9, 30), "planned_end": at(0, 9, 0), "fixed_start": "true"})
	waitFor(t, tab, 10*time.Second, "the end refused", fieldError("#session-form", "planned_end")+` !== ''`)
	fill(t, tab, "#session-form", map[string]string{"planned_end": at(0, 10, 0)})
	waitFor(t, tab, 10*time.Second, "one session", `document.querySelectorAll('#setup-list tr[data-session]').length === 1`)
	for _, s := range []map[string]string{
		{"title.en": "Showcase", "kind": "showcase", "stage": "main", "planned_start": at(0, 10, 0), "planned_end": at(0, 12, 0)},
		{"title.en": "Forum", "kind": "forum", "stage": "forum", "planned_start": at(0, 10, 0), "planned_end": at(0, 11, 30), "stream_links.hu": "https://live.example.hu/forum"},
	} {
		openAndFill(t, tab, "#setup-new-session", "#session-form", s)
		waitFor(t, tab, 10*time.Second, "the session "+s["title.en"], `[...document.querySelectorAll('#setup-list tr[data-session]')].some(r => r.textContent.includes(`+jsString(s["title.en"])+`))`)
	}

	// Achievements: one added by hand.
	setupTab(t, tab, "achievements", `document.querySelector('#setup-new-achievement')`)
	openAndFill(t, tab, "#setup-new-achievement", "#achievement-form", map[string]string{"ref": "A-1", "title.en": "Rice robot", "presenter": "Dr. Wang"})
	waitFor(t, tab, 10*time.Second, "the achievement", `document.querySelectorAll('#setup-list tr[data-achievement]').length === 1`)

	// The showcase's run-of-show: the achievement and a free item.
	setupTab(t, tab, "items", `document.querySelector('#items-form')`)
	id := eval[string](t, tab, `(() => { const s = document.querySelector('#setup-panel select[name="session"]'); s.value = [...s.options].find(o => o.textContent.includes('Showcase')).value; s.dispatchEvent(new Event('change')); return s.value })()`)
	waitFor(t, tab, 10*time.Second, "the showcase's items", `document.querySelector('#setup-panel').dataset.session === `+jsString(id)+` && document.querySelector('#items-form')`)
	tap(t, tab, "#setup-add-item")
	tap(t, tab, "#setup-add-item")
	eval[bool](t, tab, `(() => { const li = document.querySelectorAll('#setup-items li');
	  const a = li[0].querySelector('[name=achievement_id]'); a.value = a.options[1].value; a.dispatchEvent(new Event('change'));
	  li[1].querySelector('[name=title]').value = 'Questions'; li[1].querySelector('[name=minutes]').value = '10'; return true })()`)
	eval[bool](t, tab, `(() => { document.querySelector('#items-form button[type=submit]').click(); return true })()`)
	waitFor(t, tab, 10*time.Second, "two items saved", `[...document.querySelectorAll('#setup-items li')].filter(li => li.dataset.id !== '0').length === 2`)

	// Attendees: 23 so the list pages; search, edit, revoke.
	setupTab(t, tab, "attendees", `document.querySelector('#setup-new-attendee')`)
	for i := range 23 {
		if _, err := srv.svc.CreateAttendee(ctx, app.Principal{Name: "t", Role: app.RoleAdmin}, "expo-2026", app.AttendeeInput{Name: ptr(fmt.Sprintf("Guest %02d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	openAndFill(t, tab, "#setup-new-attendee", "#attendee-form", map[string]string{"name": "Kovács Anna", "organization": "BME", "email": "not-an-email"})
	waitFor(t, tab, 10*time.Second, "the e-mail refused", fieldError("#attendee-form", "email")+` !== ''`)
	fill(t, tab, "#attendee-form", map[string]string{"email": "anna@example.hu", "category": "academic"})
	waitFor(t, tab, 10*time.Second, "24 attendees over two pages", `(document.querySelector('.setup-pager')?.textContent || '').includes('24') && document.querySelectorAll('#setup-list tr[data-attendee]').length === 20`)
	tap(t, tab, `.setup-pager [data-page="next"]`)
	waitFor(t, tab, 10*time.Second, "page two", `document.querySelectorAll('#setup-list tr[data-attendee]').length === 4`)
	eval[bool](t, tab, `(() => { const f = document.querySelector('.setup-search-form'); f.elements.q.value = 'Kovács'; f.requestSubmit(); return true })()`)
	waitFor(t, tab, 10*time.Second, "the search", `document.querySelectorAll('#setup-list tr[data-attendee]').length === 1`)
	eval[bool](t, tab, `(() => { document.querySelector('#setup-list tr[data-attendee] .btn-danger').click(); return true })()`)
	waitFor(t, tab, 5*time.Second, "the revoke dialog", `document.querySelector('#confirm').open`)
	press(t, tab, "#confirm-ok")
	waitFor(t, tab, 10*time.Second, "revoked", `(document.querySelector('#setup-list tr[data-attendee]')?.textContent || '').includes('revoked')`)

	// Nothing is wider than the phone's screen.
	if over := eval[string](t, tab, `[...document.querySelectorAll('#setup *')].filter(e => e.getBoundingClientRect().right > innerWidth + 1).slice(0, 3).map(e => e.tagName + '.' + e.className).join(' ')`); over != "" {
		t.Errorf("wider than a phone: %s", over)
	}

	// Every change is in the event's audit trail.
	var audit struct{ Entries []app.AuditEntry }
	srv.call("GET", "/api/v1/events/expo-2026/audit?limit=200", nil, &audit)
	seen := map[string]int{}
	for _, e := range audit.Entries {
		seen[e.Action]++
	}
	for action, n := range map[string]int{"event.create": 1, "stage.update": 1, "stage.create": 1, "session.create": 3, "achievement.create": 1, "attendee.create": 24, "attendee.update": 1} {
		if seen[action] < n {
			t.Errorf("audit: %d × %s, want %d (%v)", seen[action], action, n, seen)
		}
	}
}

func ptr[T any](v T) *T { return &v }
