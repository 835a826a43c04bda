package api_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/hybridcon/hybridcon/app"
)

// TestCatalogueEndpoint: the catalogue a snapshot names is served with
// its version as ETag, immutable when asked by version, revalidated
// (304) otherwise, and a change to an achievement changes the version
// the next snapshot names.
func TestCatalogueEndpoint(t *testing.T) {
	e := newEnv(t)
	snapshot := func() app.LiveState {
		t.Helper()
		var env app.Envelope
		var st app.LiveState
		r := e.do("GET", "/api/v1/events/cn-hu-2021/live", "", nil)
		if err := json.Unmarshal(r.Body, &env); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(env.Data, &st); err != nil {
			t.Fatal(err)
		}
		return st
	}
	st := snapshot()
	if st.Catalogue == "" {
		t.Fatal("the snapshot names no catalogue version")
	}
	base := "/api/v1/events/cn-hu-2021/catalogue"
	r := e.do("GET", base+"?v="+st.Catalogue, "", nil)
	var c app.Catalogue
	if err := json.Unmarshal(r.Body, &c); err != nil || r.Status != 200 {
		t.Fatalf("catalogue: %d %.200s", r.Status, r.Body)
	}
	if c.Version != st.Catalogue || len(c.Achievements) != 27 {
		t.Fatalf("catalogue version %q with %d achievements; want %q and the demo's 27", c.Version, len(c.Achievements), st.Catalogue)
	}
	etag := `"` + c.Version + `"`
	if got := r.Header.Get("ETag"); got != etag {
		t.Errorf("ETag %q, want %q", got, etag)
	}
	if got := r.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
		t.Errorf("Cache-Control by version: %q", got)
	}
	// Without a version (or with another) it is revalidated on every use.
	r = e.do("GET", base, "", nil)
	if r.Status != 200 || r.Header.Get("Cache-Control") != "public, no-cache" || r.Header.Get("ETag") != etag {
		t.Errorf("without v: %d, Cache-Control %q, ETag %q", r.Status, r.Header.Get("Cache-Control"), r.Header.Get("ETag"))
	}
	r = e.do("GET", base, "", nil, "If-None-Match", etag)
	if r.Status != 304 || len(r.Body) != 0 {
		t.Errorf("If-None-Match with the current ETag: %d, %d bytes; want 304, none", r.Status, len(r.Body))
	}
	r = e.do("GET", base, "", nil, "If-None-Match", `W/"other", `+etag)
	if r.Status != 304 {
		t.Errorf("If-None-Match listing the ETag: %d, want 304", r.Status)
	}
	r = e.do("GET", base, "", nil, "If-None-Match", `"stale"`)
	if r.Status != 200 {
		t.Errorf("If-None-Match with another ETag: %d, want 200", r.Status)
	}
	// Bad input.
	if r = e.do("GET", "/api/v1/events/no-such-event/catalogue", "", nil); r.Status != 404 || r.errorCode(t) != "not_found" {
		t.Errorf("unknown event: %d %s", r.Status, r.Body)
	}
	long := fmt.Sprintf("%065d", 0)
	if r = e.do("GET", base+"?v="+long, "", nil); r.Status != 400 || r.errorCode(t) != "bad_request" {
		t.Errorf("v of 65 characters: %d %s", r.Status, r.Body)
	}

	// An edit changes the version the next snapshot names, and the
	// catalogue asked for it has the edit at once (no second-long cache).
	org := e.token("organizer", "")
	e.mustOK(e.do("PATCH", fmt.Sprintf("/api/v1/achievements/%d", c.Achievements[0].ID), org,
		map[string]any{"title": map[string]string{"en": "Retitled"}}), "patch")
	st2 := snapshot()
	if st2.Catalogue == st.Catalogue {
		t.Fatal("the catalogue version did not change with an achievement")
	}
	r = e.do("GET", base+"?v="+st2.Catalogue, "", nil)
	var c2 app.Catalogue
	_ = json.Unmarshal(r.Body, &c2)
	if c2.Version != st2.Catalogue || c2.Achievements[0].Title.EN != "Retitled" {
		t.Errorf("catalogue after the edit: version %q (want %q), first title %q", c2.Version, st2.Catalogue, c2.Achievements[0].Title.EN)
	}
	if r = e.do("GET", base, "", nil, "If-None-Match", etag); r.Status != 200 {
		t.Errorf("the old ETag after an edit: %d, want 200", r.Status)
	}
}

// maxLeanSnapshot bounds the demo's snapshot as JSON: the catalogue
// (about 26 KB of it) is no longer in it.
const maxLeanSnapshot = 20 << 10

// TestSnapshotIsLean: the demo's snapshot carries ids and what changes
// live, not the catalogue: every new viewer gets it.
func TestSnapshotIsLean(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/api/v1/events/cn-hu-2021/live", "", nil)
	var env app.Envelope
	if err := json.Unmarshal(r.Body, &env); err != nil {
		t.Fatal(err)
	}
	frame, _ := json.Marshal(env)
	cat := e.do("GET", "/api/v1/events/cn-hu-2021/catalogue", "", nil)
	t.Logf("demo snapshot: %d bytes as a frame; the catalogue it names: %d bytes", len(frame), len(cat.Body))
	if len(frame) > maxLeanSnapshot {
		t.Errorf("the demo's snapshot is %d bytes, want at most %d", len(frame), maxLeanSnapshot)
	}
	var data map[string]json.RawMessage
	_ = json.Unmarshal(env.Data, &data)
	if _, ok := data["achievements"]; ok {
		t.Error("the snapshot still carries achievements")
	}
}
