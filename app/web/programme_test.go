package web_test

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	ical "github.com/emersion/go-ical"

	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/app/demo"
	"github.com/hybridcon/hybridcon/app/web"
)

// sessionsOf returns the demo's sessions by kind.
func (s *server) sessionsOf() map[string]app.Session {
	s.t.Helper()
	var out struct{ Sessions []app.Session }
	s.call("GET", "/api/v1/events/"+demo.Slug+"/sessions", nil, &out)
	m := map[string]app.Session{}
	for _, se := range out.Sessions {
		m[se.Kind] = se
	}
	return m
}

// TestLivePageWithoutScripts: the pages carry now / next of every stage
// and the agenda in their HTML, in the page's language, so a reader with
// scripts blocked (or a search engine) sees the programme.
func TestLivePageWithoutScripts(t *testing.T) {
	srv := startServer(t)
	ag := srv.sessionsOf()
	srv.call("POST", fmt.Sprintf("/api/v1/sessions/%d/start", ag["showcase"].ID), nil, nil)
	srv.call("POST", fmt.Sprintf("/api/v1/sessions/%d/start", ag[demo.KindForum].ID), nil, nil)
	show, forum := srv.showcase(ag["showcase"].ID), srv.showcase(ag[demo.KindForum].ID)

	p := get(t, srv.url+"/e/"+demo.Slug+"?lang=en")
	if p.status != 200 {
		t.Fatalf("status %d", p.status)
	}
	for _, want := range []string{
		show.Current.Achievement.Title.EN, show.Next.Achievement.Title.EN, // the showcase's now and next
		forum.Current.Title.EN, forum.Next.Title.EN, forum.Current.Presenter, // the forum's, free items
		"Now presenting", "Main hall", "University forum room",
		`href="https://live.example.com/cn-hu-2021/main/intl"`, `href="https://live.example.com/cn-hu-2021/forum/intl"`, // both live: streams
		ag["panel"].Title.EN, ag["closing"].Title.EN, // the agenda, day two included
		"/e/" + demo.Slug + "/programme.ics",
	} {
		if !strings.Contains(p.body, htmlText(want)) && !strings.Contains(p.body, want) {
			t.Errorf("the live page without scripts lacks %q", want)
		}
	}
	// In the reader's language.
	zh := get(t, srv.url+"/e/"+demo.Slug, "Accept-Language", "zh-CN")
	for _, want := range []string{show.Current.Achievement.Title.ZH, forum.Current.Title.ZH, "正在展示", "主会场"} {
		if !strings.Contains(zh.body, want) {
			t.Errorf("the Chinese live page lacks %q", want)
		}
	}
	// A stage's page shows that stage only; an unknown stage is 404.
	st := get(t, srv.url+"/e/"+demo.Slug+"/s/"+demo.StageForum+"?lang=hu")
	if !strings.Contains(st.body, htmlText(forum.Current.Title.HU)) || strings.Contains(st.body, htmlText(show.Current.Achievement.Title.HU)) ||
		strings.Contains(st.body, htmlText(ag["signing"].Title.HU)) {
		t.Errorf("the forum's page does not show the forum alone")
	}
	if p := get(t, srv.url+"/e/"+demo.Slug+"/s/no-such-stage"); p.status != 404 {
		t.Errorf("unknown stage: %d, want 404", p.status)
	}
	// The timer and the foyer read without scripts too.
	timer := get(t, srv.url+"/e/"+demo.Slug+"/s/"+demo.StageMain+"/timer?lang=en")
	if timer.status != 200 || !strings.Contains(timer.body, htmlText(show.Current.Achievement.Title.EN)) || !strings.Contains(timer.body, `data-slot="questions"`) {
		t.Errorf("timer page: %d, lacks the current item or the questions' place", timer.status)
	}
	foyer := get(t, srv.url+"/e/"+demo.Slug+"/foyer?lang=en")
	if foyer.status != 200 || !strings.Contains(foyer.body, htmlText(forum.Current.Title.EN)) || !strings.Contains(foyer.body, htmlText(show.Current.Achievement.Title.EN)) {
		t.Errorf("foyer page: %d, lacks a stage's current item", foyer.status)
	}
}

// htmlText is s as html/template writes it in text.
func htmlText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}

// TestProgrammeICS: programme.ics parses with an independent iCalendar
// parser (and passes its encoder's checks), names its zone with a
// VTIMEZONE, and imports the planned times right in Beijing and
// Budapest; UIDs stay and SEQUENCE rises across an edit; a stage's
// calendar has that stage's sessions only.
func TestProgrammeICS(t *testing.T) {
	srv := startServer(t)
	beijing, err1 := time.LoadLocation("Asia/Shanghai")
	budapest, err2 := time.LoadLocation("Europe/Budapest")
	if err1 != nil || err2 != nil {
		t.Fatalf("zones: %v %v", err1, err2)
	}
	parse := func(path string) *ical.Calendar {
		t.Helper()
		p := get(t, srv.url+path)
		if p.status != 200 || !strings.HasPrefix(p.header.Get("Content-Type"), "text/calendar") {
			t.Fatalf("GET %s: %d %s", path, p.status, p.header.Get("Content-Type"))
		}
		if !strings.Contains(p.body, "\r\n") || strings.Contains(strings.ReplaceAll(p.body, "\r\n", ""), "\n") {
			t.Fatal("lines are not CRLF-terminated")
		}
		cal, err := ical.NewDecoder(strings.NewReader(p.body)).Decode()
		if err != nil {
			t.Fatalf("decoding %s: %v", path, err)
		}
		if err := ical.NewEncoder(io.Discard).Encode(cal); err != nil {
			t.Fatalf("%s fails the parser's checks: %v", path, err)
		}
		return cal
	}
	cal := parse("/e/" + demo.Slug + "/programme.ics?lang=en")
	var tzids []string
	for _, c := range cal.Children {
		if c.Name == ical.CompTimezone {
			tzids = append(tzids, c.Props.Get(ical.PropTimezoneID).Value)
			std := c.Children[0]
			if std.Props.Get(ical.PropTimezoneOffsetTo).Value != "+0800" {
				t.Errorf("Asia/Shanghai's VTIMEZONE says %s", std.Props.Get(ical.PropTimezoneOffsetTo).Value)
			}
		}
	}
	if len(tzids) != 1 || tzids[0] != "Asia/Shanghai" {
		t.Fatalf("VTIMEZONEs %v, want Asia/Shanghai", tzids)
	}
	ag := srv.sessionsOf()
	byUID := map[string]ical.Event{}
	for _, ev := range cal.Events() {
		byUID[ev.Props.Get(ical.PropUID).Value] = ev
	}
	if len(byUID) != len(ag) {
		t.Fatalf("%d events, want the demo's %d sessions", len(byUID), len(ag))
	}
	uid := func(s app.Session) string { return fmt.Sprintf("%d.session.%s@hybridcon", s.ID, demo.Slug) }
	for kind, se := range ag {
		ev, ok := byUID[uid(se)]
		if !ok {
			t.Fatalf("no event with UID %s", uid(se))
		}
		if p := ev.Props.Get(ical.PropDateTimeStart); p.Params.Get(ical.ParamTimezoneID) != "Asia/Shanghai" {
			t.Errorf("%s: DTSTART %q has no TZID", kind, p.Value)
		}
		start, err := ev.DateTimeStart(nil)
		if err != nil {
			t.Fatal(err)
		}
		if !start.Equal(se.PlannedStart) {
			t.Errorf("%s starts %v, want %v", kind, start, se.PlannedStart)
		}
		// What a calendar in Beijing and in Budapest shows.
		for _, loc := range []*time.Location{beijing, budapest} {
			if got, want := start.In(loc).Format("2006-01-02 15:04"), se.PlannedStart.In(loc).Format("2006-01-02 15:04"); got != want {
				t.Errorf("%s in %s: %s, want %s", kind, loc, got, want)
			}
		}
		if ev.Props.Get(ical.PropSummary).Value != se.Title.EN {
			t.Errorf("%s: SUMMARY %q", kind, ev.Props.Get(ical.PropSummary).Value)
		}
	}
	signing := ag["signing"]
	seq := byUID[uid(signing)].Props.Get(ical.PropSequence).Value

	// An edit keeps the UID and raises SEQUENCE.
	srv.call("PATCH", fmt.Sprintf("/api/v1/sessions/%d", signing.ID), map[string]any{"title": map[string]string{"en": "Signing ceremony (moved)"}}, nil)
	again := parse("/e/" + demo.Slug + "/programme.ics?lang=en")
	var found bool
	for _, ev := range again.Events() {
		if ev.Props.Get(ical.PropUID).Value != uid(signing) {
			continue
		}
		found = true
		if ev.Props.Get(ical.PropSummary).Value != "Signing ceremony (moved)" || ev.Props.Get(ical.PropSequence).Value <= seq {
			t.Errorf("after the edit: %q sequence %s (was %s)", ev.Props.Get(ical.PropSummary).Value, ev.Props.Get(ical.PropSequence).Value, seq)
		}
	}
	if !found {
		t.Fatal("the edited session lost its UID")
	}

	forum := parse("/e/" + demo.Slug + "/s/" + demo.StageForum + "/programme.ics?lang=hu")
	if evs := forum.Events(); len(evs) != 1 || evs[0].Props.Get(ical.PropUID).Value != uid(ag[demo.KindForum]) ||
		evs[0].Props.Get(ical.PropSummary).Value != ag[demo.KindForum].Title.HU {
		t.Fatalf("the forum's calendar: %d events", len(evs))
	}
	if p := get(t, srv.url+"/e/"+demo.Slug+"/s/nope/programme.ics"); p.status != 404 {
		t.Errorf("unknown stage's calendar: %d", p.status)
	}
}

// TestEmbedFraming: only the embeddable schedule may be framed, and only
// by the configured origins; every other page refuses framing.
func TestEmbedFraming(t *testing.T) {
	srv := startServerWith(t, web.Config{EmbedOrigins: []string{"https://www.example.org", "http://localhost:8081"}})
	p := get(t, srv.url+"/e/"+demo.Slug+"/embed?lang=en")
	csp := p.header.Get("Content-Security-Policy")
	if p.status != 200 || !strings.Contains(csp, "frame-ancestors https://www.example.org http://localhost:8081") || p.header.Get("X-Frame-Options") != "" {
		t.Fatalf("embed: %d, CSP %q, X-Frame-Options %q", p.status, csp, p.header.Get("X-Frame-Options"))
	}
	if !strings.Contains(p.body, htmlText(srv.sessionsOf()["showcase"].Title.EN)) || strings.Contains(p.body, "<script>") {
		t.Error("the embed page lacks the agenda or has an inline script")
	}
	for _, path := range []string{"/e/" + demo.Slug, "/e/" + demo.Slug + "/s/main", "/e/" + demo.Slug + "/foyer", "/e/" + demo.Slug + "/s/main/timer", "/"} {
		p := get(t, srv.url+path)
		if !strings.Contains(p.header.Get("Content-Security-Policy"), "frame-ancestors 'none'") || p.header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s may be framed: CSP %q, X-Frame-Options %q", path, p.header.Get("Content-Security-Policy"), p.header.Get("X-Frame-Options"))
		}
	}
	// Without origins nobody frames the embed either.
	plain := startServer(t)
	if p := get(t, plain.url+"/e/"+demo.Slug+"/embed"); !strings.Contains(p.header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("embed without origins: CSP %q", p.header.Get("Content-Security-Policy"))
	}
}
