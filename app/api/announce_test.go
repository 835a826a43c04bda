package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/hybridcon/hybridcon/app"
)

// TestAnnouncementEditPinDelete: an organizer edits, unpins, pins and
// deletes an announcement; each change is one envelope in the log, the
// snapshot (what a viewer who missed them gets) agrees, and refused
// requests change nothing.
func TestAnnouncementEditPinDelete(t *testing.T) {
	e := newEnv(t)
	organizer := e.token("organizer", "")
	base := "/api/v1/events/cn-hu-2021/announcements"
	r := e.do("POST", base, organizer, map[string]any{"text": map[string]string{"en": "Doors open at 9"}, "pinned": true})
	if r.Status != 201 {
		t.Fatalf("post: %d %s", r.Status, r.Body)
	}
	var a app.Announcement
	if err := json.Unmarshal(r.Body, &a); err != nil {
		t.Fatal(err)
	}
	one := fmt.Sprintf("%s/%d", base, a.ID)

	// Refusals first: each leaves the log and the announcement alone.
	checker := e.token("checker", "cn-hu-2021")
	for _, c := range []struct {
		method, path, token string
		body                any
		status              int
		code                string
	}{
		{"PATCH", one, organizer, map[string]any{}, 422, app.EInvalid},
		{"PATCH", one, organizer, map[string]any{"text": map[string]string{"en": "  "}}, 422, app.EInvalid},
		{"PATCH", one, organizer, map[string]any{"text": map[string]string{"en": strings.Repeat("x", app.MaxAnnouncementRunes+1)}}, 422, app.EInvalid},
		{"PATCH", one, organizer, `{"pinned": "yes"}`, 400, app.EBadRequest},
		{"PATCH", one, organizer, `{"text":`, 400, app.EBadRequest},
		{"PATCH", one, checker, map[string]any{"pinned": false}, 403, app.EForbidden},
		{"PATCH", one, "", map[string]any{"pinned": false}, 401, app.EUnauthorized},
		{"PATCH", base + "/999999", organizer, map[string]any{"pinned": false}, 404, app.ENotFound},
		{"PATCH", fmt.Sprintf("/api/v1/events/no-such-event/announcements/%d", a.ID), organizer, map[string]any{"pinned": false}, 404, app.ENotFound},
		{"PATCH", base + "/abc", organizer, map[string]any{"pinned": false}, 400, app.EBadRequest},
		{"DELETE", base + "/999999", organizer, nil, 404, app.ENotFound},
		{"DELETE", one, checker, nil, 403, app.EForbidden},
	} {
		r := e.do(c.method, c.path, c.token, c.body)
		if r.Status != c.status || r.errorCode(t) != c.code {
			t.Errorf("%s %s %v: %d %s, want %d %s", c.method, c.path, c.body, r.Status, r.Body, c.status, c.code)
		}
	}
	if got := logTypes(t, e); strings.Join(got, ",") != app.TypeAnnouncement {
		t.Fatalf("refused requests wrote to the log: %v", got)
	}

	r = e.do("PATCH", one, organizer, map[string]any{"text": map[string]string{"en": "Doors open at 9:30", "hu": "Kapunyitás 9:30"}})
	if r.Status != 200 || !strings.Contains(string(r.Body), `"pinned":true`) || !strings.Contains(string(r.Body), "9:30") {
		t.Fatalf("edit: %d %s", r.Status, r.Body)
	}
	if r = e.do("PATCH", one, organizer, map[string]any{"pinned": false}); r.Status != 200 || !strings.Contains(string(r.Body), `"pinned":false`) {
		t.Fatalf("unpin: %d %s", r.Status, r.Body)
	}
	snap := liveAnnouncements(t, e)
	if got := snap[a.ID]; got == nil || got.Pinned || got.Text.EN != "Doors open at 9:30" || got.Text.HU != "Kapunyitás 9:30" {
		t.Fatalf("snapshot after edit and unpin: %+v", got)
	}
	if r = e.do("PATCH", one, organizer, map[string]any{"pinned": true}); r.Status != 200 {
		t.Fatalf("pin: %d %s", r.Status, r.Body)
	}
	if r = e.do("DELETE", one, organizer, nil); r.Status != 204 {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	if r = e.do("DELETE", one, organizer, nil); r.Status != 404 {
		t.Fatalf("second delete: %d %s", r.Status, r.Body)
	}
	want := []string{app.TypeAnnouncement, app.TypeAnnouncementUpdated, app.TypeAnnouncementUpdated, app.TypeAnnouncementUpdated, app.TypeAnnouncementDeleted}
	if got := logTypes(t, e); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("log: %v, want %v", got, want)
	}
	if _, ok := liveAnnouncements(t, e)[a.ID]; ok {
		t.Fatal("the snapshot still carries the deleted announcement")
	}
	r = e.do("GET", base, "", nil)
	if strings.Contains(string(r.Body), "Doors open") {
		t.Fatalf("the list still has the deleted announcement: %s", r.Body)
	}
	r = e.do("GET", "/api/v1/events/cn-hu-2021/audit", e.admin, nil)
	for _, action := range []string{"announcement.update", "announcement.delete"} {
		if !strings.Contains(string(r.Body), action) {
			t.Errorf("audit has no %s", action)
		}
	}
}

func logTypes(t *testing.T, e *env) []string {
	t.Helper()
	var page app.LogPage
	if err := json.Unmarshal(e.do("GET", "/api/v1/events/cn-hu-2021/log?since=0", "", nil).Body, &page); err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, env := range page.Envelopes {
		types = append(types, env.Type)
	}
	return types
}

func liveAnnouncements(t *testing.T, e *env) map[int64]*app.Announcement {
	t.Helper()
	var snap struct {
		Data struct {
			Announcements []app.Announcement `json:"announcements"`
		} `json:"data"`
	}
	if err := json.Unmarshal(e.do("GET", "/api/v1/events/cn-hu-2021/live", "", nil).Body, &snap); err != nil {
		t.Fatal(err)
	}
	out := map[int64]*app.Announcement{}
	for i := range snap.Data.Announcements {
		out[snap.Data.Announcements[i].ID] = &snap.Data.Announcements[i]
	}
	return out
}
