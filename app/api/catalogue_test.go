package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hybridcon/hybridcon/app"
)

// postCSV sends a CSV body to an import route.
func (e *env) postCSV(path, token, body string) response {
	e.t.Helper()
	req := httptest.NewRequest("POST", path, strings.NewReader(body))
	req.Header.Set("Content-Type", "text/csv; charset=utf-8")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.srv.App().Test(req, 10000)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Body: b, Header: resp.Header}
}

func (e *env) achievements() []app.Achievement {
	e.t.Helper()
	r := e.do("GET", "/api/v1/events/cn-hu-2021/achievements", "", nil)
	var out struct{ Achievements []app.Achievement }
	if err := json.Unmarshal(r.Body, &out); err != nil {
		e.t.Fatal(err)
	}
	return out.Achievements
}

const goodCatalogue = "\ufeffref,title_zh,title_en,title_hu,summary_en,institution,region,field,presenter,presenter_mode\n" +
	"B01,氢燃料电池重卡,Hydrogen fuel-cell truck,Hidrogén üzemanyagcellás kamion,A heavy truck.,Chongqing Auto Lab,Chongqing,energy,王磊,onsite\n" +
	"B02,智慧葡萄园,Smart vineyard,Okos szőlőültetvény,Sensors in the vineyard.,Tokaj Research,Hungary,agriculture,Kovács Éva,remote\n"

func TestAchievementImport(t *testing.T) {
	e := newEnv(t)
	org := e.token("organizer", "")
	before := len(e.achievements())

	r := e.postCSV("/api/v1/events/cn-hu-2021/achievements/import", org, goodCatalogue)
	if r.Status != 200 || !strings.Contains(string(r.Body), `"created":2`) {
		t.Fatalf("import: %d %s", r.Status, r.Body)
	}
	list := e.achievements()
	if len(list) != before+2 {
		t.Fatalf("%d achievements, want %d", len(list), before+2)
	}
	var found bool
	for _, a := range list {
		if a.Ref == "B02" {
			found = a.Title.HU == "Okos szőlőültetvény" && a.Presenter == "Kovács Éva" && a.Title.ZH == "智慧葡萄园" && a.PresenterMode == "remote"
		}
	}
	if !found {
		t.Fatal("B02 not imported intact")
	}

	t.Run("ReimportChangesNothing", func(t *testing.T) {
		r := e.postCSV("/api/v1/events/cn-hu-2021/achievements/import", org, goodCatalogue)
		if r.Status != 200 || !strings.Contains(string(r.Body), `"unchanged":2`) {
			t.Fatalf("re-import: %d %s", r.Status, r.Body)
		}
		if n := len(e.achievements()); n != before+2 {
			t.Fatalf("re-import made %d achievements", n)
		}
	})
	t.Run("ChangedRowUpdates", func(t *testing.T) {
		changed := strings.Replace(goodCatalogue, "Smart vineyard", "Smart vineyard 2.0", 1)
		r := e.postCSV("/api/v1/events/cn-hu-2021/achievements/import", org, changed)
		if r.Status != 200 || !strings.Contains(string(r.Body), `"updated":1`) {
			t.Fatalf("update: %d %s", r.Status, r.Body)
		}
	})

	bad := []struct {
		name, body, col string
		row             int
	}{
		{"UnknownColumn", "ref,title_en,colour\nC01,x,red\n", "colour", 1},
		{"MissingRef", "title_en\nx\n", "ref", 1},
		{"EmptyRef", "ref,title_en\n,x\n", "ref", 2},
		{"NoTitle", "ref,title_en\nC01,\n", "title_en", 2},
		{"BadMode", "ref,title_en,presenter_mode\nC01,x,teleport\n", "presenter_mode", 2},
		{"DuplicateRef", "ref,title_en\nC01,x\nC01,y\n", "ref", 3},
		{"BadRef", "ref,title_en\nC 01!,x\n", "ref", 2},
		{"SecondRowBad", "ref,title_en\nC01,fine\nC02,\n", "title_en", 3},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			n, seq := len(e.achievements()), e.liveRows()
			r := e.postCSV("/api/v1/events/cn-hu-2021/achievements/import", org, tc.body)
			if r.Status != 422 || r.errorCode(t) != "invalid" {
				t.Fatalf("got %d %s", r.Status, r.Body)
			}
			var body struct {
				Error struct {
					Details app.ImportErrors
				}
			}
			_ = json.Unmarshal(r.Body, &body)
			ok := false
			for _, re := range body.Error.Details.Errors {
				ok = ok || re.Row == tc.row && re.Column == tc.col && re.Message != ""
			}
			if !ok {
				t.Fatalf("want an error at row %d column %s, got %+v", tc.row, tc.col, body.Error.Details.Errors)
			}
			if len(e.achievements()) != n || e.liveRows() != seq {
				t.Fatal("a failed import changed something")
			}
		})
	}
	t.Run("NotUTF8", func(t *testing.T) {
		r := e.postCSV("/api/v1/events/cn-hu-2021/achievements/import", org, "ref,title_en\nC01,\xff\xfe\n")
		if r.Status != 422 {
			t.Fatalf("got %d", r.Status)
		}
	})
	t.Run("CheckerRefused", func(t *testing.T) {
		r := e.postCSV("/api/v1/events/cn-hu-2021/achievements/import", e.token("checker", "cn-hu-2021"), goodCatalogue)
		if r.Status != 403 {
			t.Fatalf("got %d", r.Status)
		}
	})
}

func TestAchievementEdits(t *testing.T) {
	e := newEnv(t)
	org := e.token("organizer", "")
	r := e.do("POST", "/api/v1/events/cn-hu-2021/achievements", org, map[string]any{
		"ref": "X1", "title": map[string]string{"en": "Spare item"}, "region": "Sichuan", "presenter_mode": "remote"})
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	var a app.Achievement
	_ = json.Unmarshal(r.Body, &a)
	if r := e.do("PATCH", fmt.Sprintf("/api/v1/achievements/%d", a.ID), org, map[string]any{"presenter_mode": "hologram"}); r.Status != 422 {
		t.Fatalf("bad mode: %d", r.Status)
	}
	if r := e.do("PATCH", fmt.Sprintf("/api/v1/achievements/%d", a.ID), org, map[string]any{"title": map[string]string{"hu": "Tartalék"}}); r.Status != 200 {
		t.Fatalf("patch: %d %s", r.Status, r.Body)
	}
	if r := e.do("POST", "/api/v1/events/cn-hu-2021/achievements", org, map[string]any{"ref": "X1", "title": map[string]string{"en": "dup"}}); r.Status != 409 {
		t.Fatalf("duplicate ref: %d %s", r.Status, r.Body)
	}
	if r := e.do("DELETE", fmt.Sprintf("/api/v1/achievements/%d", a.ID), org, nil); r.Status != 204 {
		t.Fatalf("delete unused: %d %s", r.Status, r.Body)
	}
	if r := e.do("DELETE", fmt.Sprintf("/api/v1/achievements/%d", a.ID), org, nil); r.Status != 404 {
		t.Fatalf("delete again: %d", r.Status)
	}
	// An achievement in the run-of-show cannot be deleted.
	used := e.achievements()[0]
	seq := e.liveRows()
	if r := e.do("DELETE", fmt.Sprintf("/api/v1/achievements/%d", used.ID), org, nil); r.Status != 409 {
		t.Fatalf("delete used: %d %s", r.Status, r.Body)
	}
	// Changing one that is on the run-of-show tells viewers.
	if r := e.do("PATCH", fmt.Sprintf("/api/v1/achievements/%d", used.ID), org, map[string]any{"institution": "Renamed Institute"}); r.Status != 200 {
		t.Fatalf("patch used: %d", r.Status)
	}
	log := e.logPage(seq)
	if len(log) != 1 || log[0].Type != app.TypeShowcaseUpdated || !strings.Contains(string(log[0].Data), "Renamed Institute") {
		t.Fatalf("after editing a scheduled achievement the log has %v", log)
	}
}

func TestEventsAdmin(t *testing.T) {
	e := newEnv(t)
	org := e.token("organizer", "")
	good := map[string]any{"slug": "budapest-2027", "title": map[string]string{"en": "Budapest follow-up", "hu": "Budapesti folytatás"},
		"venue": map[string]string{"en": "Budapest", "hu": "Budapest"}, "venue_tz": "Europe/Budapest", "viewer_tzs": []string{"Europe/Budapest", "Asia/Shanghai"},
		"languages": []string{"hu", "en", "zh"}, "starts_at": "2027-04-23T07:00:00Z", "ends_at": "2027-04-23T11:00:00Z"}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for kk, vv := range good {
			m[kk] = vv
		}
		m[k] = v
		return m
	}
	cases := []struct {
		name   string
		token  string
		body   any
		status int
	}{
		{"Organizer", org, good, 403},
		{"Anonymous", "", good, 401},
		{"BadTZ", adminToken, with("venue_tz", "Mars/Olympus"), 422},
		{"LocalTZ", adminToken, with("venue_tz", "Local"), 422},
		{"BadViewerTZ", adminToken, with("viewer_tzs", []string{"Europe/Budapest", "nowhere"}), 422},
		{"BadLanguage", adminToken, with("languages", []string{"de"}), 422},
		{"BadSlug", adminToken, with("slug", "Bad Slug!"), 422},
		{"EndsBeforeStart", adminToken, with("ends_at", "2027-04-22T11:00:00Z"), 422},
		{"VenueTooLong", adminToken, with("venue", map[string]string{"zh": strings.Repeat("厅", 201)}), 422},
		{"VenueOldString", adminToken, with("venue", "Budapest"), 400},
		{"DuplicateSlug", adminToken, with("slug", "cn-hu-2021"), 409},
		{"Created", adminToken, good, 201},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", "/api/v1/events", tc.token, tc.body)
			if r.Status != tc.status {
				t.Fatalf("got %d %s", r.Status, truncate(r.Body))
			}
		})
	}
	var evs struct{ Events []app.Event }
	_ = json.Unmarshal(e.do("GET", "/api/v1/events", "", nil).Body, &evs)
	if len(evs.Events) != 2 {
		t.Fatalf("%d events after the refused ones and one creation", len(evs.Events))
	}
	var created app.Event
	_ = json.Unmarshal(e.do("GET", "/api/v1/events/budapest-2027", "", nil).Body, &created)
	if want := (app.Text{EN: "Budapest", HU: "Budapest"}); created.Venue != want {
		t.Fatalf("created venue: got %+v, want %+v", created.Venue, want)
	}
	seq := e.liveRows()
	venue := app.Text{ZH: "重庆，B厅", EN: "Chongqing, hall B", HU: "Csungking, B terem"}
	r := e.do("PATCH", "/api/v1/events/cn-hu-2021", adminToken, map[string]any{"venue": venue})
	if r.Status != 200 {
		t.Fatalf("patch: %d %s", r.Status, r.Body)
	}
	var patched app.Event
	if err := json.Unmarshal(r.Body, &patched); err != nil || patched.Venue != venue {
		t.Fatalf("patched venue: got %+v (%v), want %+v", patched.Venue, err, venue)
	}
	log := e.logPage(seq)
	if len(log) != 1 || log[0].Type != app.TypeEventUpdated || !strings.Contains(string(log[0].Data), "B terem") {
		t.Fatalf("event.updated missing: %v", log)
	}
	// A refused venue changes nothing and tells no one.
	seq = e.liveRows()
	for _, bad := range []struct {
		name   string
		venue  any
		status int
	}{
		{"TooLong", map[string]string{"hu": strings.Repeat("é", 201)}, 422},
		{"OldString", "Chongqing, hall C", 400},
	} {
		r := e.do("PATCH", "/api/v1/events/cn-hu-2021", adminToken, map[string]any{"venue": bad.venue, "title": map[string]string{"en": "Changed"}})
		if r.Status != bad.status {
			t.Fatalf("%s venue: got %d %s, want %d", bad.name, r.Status, truncate(r.Body), bad.status)
		}
	}
	var after app.Event
	_ = json.Unmarshal(e.do("GET", "/api/v1/events/cn-hu-2021", "", nil).Body, &after)
	if after.Venue != venue || after.Title.EN == "Changed" || e.liveRows() != seq {
		t.Fatalf("a refused patch changed the event: venue %+v, title %q, live rows %d → %d", after.Venue, after.Title.EN, seq, e.liveRows())
	}
	if r := e.do("PATCH", "/api/v1/events/cn-hu-2021", adminToken, map[string]any{"slug": "renamed"}); r.Status != 422 {
		t.Fatalf("slug change: %d", r.Status)
	}
	if r := e.do("PATCH", "/api/v1/events/cn-hu-2021", org, map[string]any{"venue": map[string]string{"en": "x"}}); r.Status != 403 {
		t.Fatalf("organizer patch: %d", r.Status)
	}
}
