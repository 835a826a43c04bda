package api_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/app/demo"
)

// liveState is the data of the current snapshot (GET …/live), as sent.
func (e *env) liveState(slug string) (app.Envelope, app.LiveState) {
	e.t.Helper()
	r := e.do("GET", "/api/v1/events/"+slug+"/live", "", nil)
	var env app.Envelope
	var st app.LiveState
	if err := json.Unmarshal(r.Body, &env); err != nil || r.Status != 200 {
		e.t.Fatalf("live: %d %.200s", r.Status, r.Body)
	}
	if err := json.Unmarshal(env.Data, &st); err != nil {
		e.t.Fatal(err)
	}
	return env, st
}

// TestProgrammeEndpoint: the snapshot names the programme (event,
// sessions, run-of-shows) by version instead of carrying it; the version
// it names is served exactly and may be kept for a year, an older version
// a node still has is served as it was, and a version the node does not
// have is answered with the current programme (revalidated, never older
// than the snapshot). Bad input changes nothing.
func TestProgrammeEndpoint(t *testing.T) {
	e := newEnv(t)
	env, st := e.liveState("cn-hu-2021")
	if st.Programme == "" {
		t.Fatal("the snapshot names no programme version")
	}
	var keys map[string]json.RawMessage
	_ = json.Unmarshal(env.Data, &keys)
	for _, k := range []string{"event", "sessions", "showcases"} {
		if _, ok := keys[k]; ok {
			t.Errorf("the snapshot still carries %s", k)
		}
	}
	base := "/api/v1/events/cn-hu-2021/programme"
	r := e.do("GET", base+"?v="+st.Programme, "", nil)
	var p app.Programme
	if err := json.Unmarshal(r.Body, &p); err != nil || r.Status != 200 {
		t.Fatalf("programme: %d %.200s", r.Status, r.Body)
	}
	sessions := e.agenda()
	if p.Version != st.Programme || p.Event.Slug != "cn-hu-2021" || len(p.Sessions) != len(sessions) || len(p.Showcases) != 3 {
		t.Fatalf("programme %q: event %q, %d sessions, %d run-of-shows; want %q, the demo's %d and 3",
			p.Version, p.Event.Slug, len(p.Sessions), len(p.Showcases), st.Programme, len(sessions))
	}
	if bytes.Contains(r.Body, []byte(`"achievement":`)) {
		t.Error("the programme embeds achievements (they are in the catalogue)")
	}
	plain := r.Body
	etag := `"` + p.Version + `"`
	if got := r.Header.Get("ETag"); got != etag {
		t.Errorf("ETag %q, want %q", got, etag)
	}
	if got := r.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
		t.Errorf("Cache-Control by version: %q", got)
	}
	if r = e.do("GET", base+"?v="+st.Programme, "", nil, "If-None-Match", etag); r.Status != 304 || len(r.Body) != 0 {
		t.Errorf("If-None-Match with the ETag: %d, %d bytes; want 304, none", r.Status, len(r.Body))
	}
	// Compressed once, for every client that accepts gzip: the same JSON,
	// its own ETag (the representations differ), Vary.
	for _, tc := range []struct {
		accept string
		gzip   bool
	}{{"gzip", true}, {"deflate, gzip;q=0.5", true}, {"*", true}, {"br", false}, {"gzip;q=0", false}, {"*, gzip;q=0", false}, {"", false}} {
		r := e.do("GET", base+"?v="+st.Programme, "", nil, "Accept-Encoding", tc.accept)
		got := r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(r.Body))
			if err != nil {
				t.Fatalf("Accept-Encoding %q: %v", tc.accept, err)
			}
			if got, err = io.ReadAll(zr); err != nil {
				t.Fatalf("Accept-Encoding %q: %v", tc.accept, err)
			}
		}
		wantTag := etag
		if tc.gzip {
			wantTag = `"` + p.Version + `.gz"`
		}
		if (r.Header.Get("Content-Encoding") == "gzip") != tc.gzip || !bytes.Equal(got, plain) || r.Header.Get("ETag") != wantTag ||
			r.Header.Get("Vary") != "Accept-Encoding" {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q, ETag %q, Vary %q, %d bytes (%d inflated); want gzip %v, the same JSON",
				tc.accept, r.Header.Get("Content-Encoding"), r.Header.Get("ETag"), r.Header.Get("Vary"), len(r.Body), len(got), tc.gzip)
		}
		if tc.gzip && len(r.Body) > len(plain)/3 {
			t.Errorf("compressed programme %d bytes of %d", len(r.Body), len(plain))
		}
	}
	if r = e.do("GET", base+"?v="+st.Programme, "", nil, "Accept-Encoding", "gzip", "If-None-Match", `"`+p.Version+`.gz"`); r.Status != 304 || r.Header.Get("Content-Encoding") != "" {
		t.Errorf("If-None-Match with the gzip ETag: %d, Content-Encoding %q; want 304, none", r.Status, r.Header.Get("Content-Encoding"))
	}
	// A version newer than any this node built (another node's snapshot
	// after a change): built at once, the current programme, revalidated.
	future := p.Event.Epoch + "-999999"
	r = e.do("GET", base+"?v="+future, "", nil)
	var cur app.Programme
	if err := json.Unmarshal(r.Body, &cur); err != nil || r.Status != 200 || cur.Version != st.Programme || len(cur.Sessions) != len(sessions) {
		t.Fatalf("a version from the future: %d %.200s", r.Status, r.Body)
	}
	if got := r.Header.Get("Cache-Control"); got != "public, no-cache" {
		t.Errorf("Cache-Control for another version: %q", got)
	}
	if r = e.do("GET", base+"?v=0123456789abcdef", "", nil); r.Status != 400 || r.errorCode(t) != "bad_request" {
		t.Errorf("a v that is no version: %d %s", r.Status, r.Body)
	}
	// Bad input.
	if r = e.do("GET", "/api/v1/events/no-such-event/programme", "", nil); r.Status != 404 || r.errorCode(t) != "not_found" {
		t.Errorf("unknown event: %d %s", r.Status, r.Body)
	}
	if r = e.do("GET", base+"?v="+fmt.Sprintf("%065d", 0), "", nil); r.Status != 400 || r.errorCode(t) != "bad_request" {
		t.Errorf("v of 65 characters: %d %s", r.Status, r.Body)
	}

	// A change moves the version the next snapshot names; the new version
	// has the change, and the old one is answered with the new programme
	// (newer than asked, revalidated).
	org := e.token("organizer", "")
	opening := sessions["opening"]
	e.mustOK(e.do("POST", fmt.Sprintf("/api/v1/sessions/%d/start", opening.ID), org, nil), "start")
	_, st2 := e.liveState("cn-hu-2021")
	if st2.Programme == st.Programme {
		t.Fatal("the programme version did not change when a session started")
	}
	state := func(asked string) (string, string) {
		t.Helper()
		r := e.do("GET", base+"?v="+asked, "", nil)
		var q app.Programme
		if err := json.Unmarshal(r.Body, &q); err != nil || r.Status != 200 {
			t.Fatalf("programme %s: %d %.200s", asked, r.Status, r.Body)
		}
		for _, s := range q.Sessions {
			if s.ID == opening.ID {
				return q.Version, s.State
			}
		}
		t.Fatalf("programme %s has no session %d", asked, opening.ID)
		return "", ""
	}
	if v, got := state(st2.Programme); v != st2.Programme || got != app.StateLive {
		t.Errorf("asked for %s: version %s with the opening %s, want it live", st2.Programme, v, got)
	}
	if v, got := state(st.Programme); v != st2.Programme || got != app.StateLive {
		t.Errorf("asked for the old %s: version %s with the opening %s, want the new one (%s, live)", st.Programme, v, got, st2.Programme)
	}
	// Announcements and questions are not in the programme: its version stays.
	e.mustOK(e.do("POST", "/api/v1/events/cn-hu-2021/announcements", org, map[string]any{"text": map[string]string{"en": "Coffee"}}), "announce")
	if _, st3 := e.liveState("cn-hu-2021"); st3.Programme != st2.Programme {
		t.Errorf("an announcement moved the programme version (%s → %s)", st2.Programme, st3.Programme)
	}

	// A session that should have started and has not is expected to start
	// now: its expected start moves with the clock at every build. The
	// version stays until something is logged (a schedule.shifted past a
	// minute of drift, an organizer's action), so pages and proxies keep
	// their copy.
	now := time.Now().UTC()
	late := e.do("POST", "/api/v1/events/cn-hu-2021/sessions", org, map[string]any{"title": map[string]string{"en": "Running late"}, "kind": "panel",
		"stage": demo.StageForum, "planned_start": now.Add(-10 * time.Minute), "planned_end": now.Add(20 * time.Minute)})
	e.mustOK(late, "create an overdue session")
	var ls app.Session
	_ = json.Unmarshal(late.Body, &ls)
	build := func() (version string, start time.Time) {
		t.Helper()
		env, err := e.svc.Snapshot(context.Background(), "cn-hu-2021")
		if err != nil {
			t.Fatal(err)
		}
		var s app.LiveState
		_ = json.Unmarshal(env.Data, &s)
		e.fillProgramme("cn-hu-2021", &s)
		for _, se := range s.Sessions {
			if se.ID == ls.ID {
				return s.Programme, se.ExpectedStart
			}
		}
		t.Fatalf("the programme has no session %d", ls.ID)
		return "", time.Time{}
	}
	v1, s1 := build()
	time.Sleep(20 * time.Millisecond)
	v2, _ := build()
	if v2 != v1 {
		t.Errorf("two builds 20 ms apart while a session is overdue name versions %s and %s", v1, v2)
	}
	if !s1.After(ls.PlannedStart) {
		t.Errorf("the overdue session is expected at %v, not after its planned start %v: the case this checks did not arise", s1, ls.PlannedStart)
	}
}
