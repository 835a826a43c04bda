package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/app/api"
	"github.com/hybridcon/hybridcon/app/demo"
)

// Fuzz targets for every JSON body the API decodes, one per body type.
// The fuzzer's bytes go through the real Fiber app with a token allowed
// to call the route; the answer must be a success the document describes
// or an error the document lists for the route, never a 5xx, and an error
// must leave the database as it was. Each target builds its rig once
// (per fuzzing process), not per input.
//
//	go test -fuzz=FuzzEventBody -fuzztime=30s ./app/api/
//
// Inputs that found bugs are kept under testdata/fuzz/<target>/ and run
// with the seeds: NUL characters in JSON text and in CSV fields (500 on
// PostgreSQL), a CSV header of 20,000 empty columns (a 1 MB error answer).

// fuzzRig builds the rig of a fuzz target: no rate limits (the fuzzer
// sends thousands of requests a second).
func fuzzRig(f *testing.F) *rig {
	f.Helper()
	return newRig(f, api.Config{Limits: api.NoLimits})
}

// exercise sends req and checks the answer against the route's entry in
// the document: success valid against its schema, or a documented 4xx
// that wrote nothing.
func (r *rig) exercise(t *testing.T, route string, req request) response {
	t.Helper()
	method, pattern, _ := strings.Cut(route, " ")
	o := r.doc.op(t, method, pattern)
	var resp response
	written := r.writes(t, func() { resp = r.do(t, req) })
	switch {
	case resp.Status >= 500:
		t.Fatalf("%s %s: %d %s", req.method, req.path, resp.Status, truncate(resp.Body))
	case resp.Status >= 400:
		o.checkError(t, resp)
		if written {
			t.Errorf("a %d answer changed the database", resp.Status)
		}
		if len(resp.Body) > maxErrorAnswer {
			t.Fatalf("a %d-byte error answer to a %d-byte request", len(resp.Body), len(req.body))
		}
	case resp.Status/100 == 2:
		r.doc.checkSuccess(t, o, resp)
	default:
		t.Fatalf("%s %s: unexpected status %d", req.method, req.path, resp.Status)
	}
	return resp
}

// maxErrorAnswer bounds error answers: an import lists at most 500 bad
// rows, each with a short column name and message.
const maxErrorAnswer = 256 << 10

// addSeeds adds the bodies every JSON target is seeded with besides its
// own: malformed, mistyped and hostile JSON.
func addSeeds(f *testing.F, bodies ...string) {
	common := []string{
		``, ` `, `{`, `}`, `{}`, `[]`, `null`, `true`, `0`, `"x"`, `{} {}`, `{}x`, `[{}]`,
		`{"x":1}`, `{"":null}`, `{"a":{"a":{"a":{"a":{"a":[[[[[[]]]]]]}}}}}`,
		`{"text":"\u0000"}`, "{\"name\":\"\xff\xfe\"}", `{"id":1e400}`, `{"id":-9223372036854775809}`,
		strings.Repeat("[", 5000), `{"title":{"en":"` + strings.Repeat("é", 3000) + `"}}`,
	}
	for _, b := range append(common, bodies...) {
		f.Add([]byte(b))
	}
}

// jsonTarget is a fuzz target posting its input to one route.
func jsonTarget(f *testing.F, route, path string, token func(r *rig) string, seeds ...string) {
	r := fuzzRig(f)
	addSeeds(f, seeds...)
	method, _, _ := strings.Cut(route, " ")
	f.Fuzz(func(t *testing.T, body []byte) {
		r.exercise(t, route, request{method: method, path: path, token: token(r), body: body})
	})
}

func admin(r *rig) string     { return r.admin }
func organizer(r *rig) string { return r.organizer }
func checker(r *rig) string   { return r.checker }

func FuzzLoginBody(f *testing.F) {
	r := fuzzRig(f)
	user, password := r.login(f)
	addSeeds(f, string(mustJSON(f, map[string]string{"username": user, "password": password})), `{"username":"rig-organizer","password":"wrong"}`,
		`{"username":"","password":""}`, `{"username":1}`, `{"username":"a","password":"b","extra":true}`)
	f.Fuzz(func(t *testing.T, body []byte) {
		r.exercise(t, "POST /api/v1/auth/login", request{method: "POST", path: "/api/v1/auth/login", body: body})
	})
}

func FuzzTokenBody(f *testing.F) {
	jsonTarget(f, "POST /api/v1/tokens", "/api/v1/tokens", admin,
		`{"name":"gate 1","role":"checker","event":"cn-hu-2021"}`, `{"role":"organizer"}`, `{"role":"checker"}`,
		`{"role":"king"}`, `{"role":"checker","event":"nope"}`, `{"name":"`+strings.Repeat("n", 101)+`","role":"admin"}`)
}

func FuzzUserBody(f *testing.F) {
	jsonTarget(f, "POST /api/v1/users", "/api/v1/users", admin,
		`{"username":"door-1","password":"long enough password","role":"checker","event":"cn-hu-2021"}`,
		`{"username":"org","password":"short","role":"organizer"}`, `{"username":"","password":"long enough password","role":"admin"}`,
		`{"username":"rig-organizer","password":"long enough password","role":"organizer"}`)
}

func FuzzAnnouncementBody(f *testing.F) {
	jsonTarget(f, "POST /api/v1/events/:slug/announcements", ev+"/announcements", organizer,
		`{"text":{"zh":"开始","en":"Starting","hu":"Kezdünk"},"pinned":true}`, `{"text":{"en":"  "}}`, `{"text":"hi"}`,
		`{"text":{"de":"Hallo"}}`, `{"pinned":1}`)
}

func FuzzScanBody(f *testing.F) {
	jsonTarget(f, "POST /api/v1/events/:slug/checkins", ev+"/checkins", checker,
		`{"ticket":"HC1.cn-hu-2021.x.y","gate":"North","scan_id":"scan-0001"}`,
		`{"ticket":"x","gate":"A","scan_id":"scan-0002","scanned_at":"2021-04-23T08:00:00+08:00"}`,
		`{"ticket":"x","gate":"A","scan_id":"short"}`, `{"ticket":"x","gate":"","scan_id":"scan-0003"}`,
		`{"ticket":"x","gate":"A","scan_id":"scan-0004","scanned_at":"yesterday"}`, `{"ticket":"x","gate":"A\u0000","scan_id":"scan-0005"}`)
}

func FuzzBatchBody(f *testing.F) {
	jsonTarget(f, "POST /api/v1/events/:slug/checkins/batch", ev+"/checkins/batch", checker,
		`{"scans":[]}`, `{"scans":null}`, `{"scans":[{"ticket":"x","gate":"K","scan_id":"batch-0001","scanned_at":"2021-04-23T00:00:00Z"}]}`,
		`{"scans":[{"ticket":"x","gate":"K","scan_id":"batch-0002"},{"ticket":"y","gate":"K","scan_id":"batch-0002"}]}`, `{"scans":[1]}`)
}

func FuzzAttendeeBody(f *testing.F) {
	r := fuzzRig(f)
	target := r.freshAttendee(f).ID
	addSeeds(f, `{"name":"Szűcs Örs","organization":"重庆大学","email":"ors@example.hu","category":"press","country":"HU"}`,
		`{"name":""}`, `{"email":"nope"}`, `{"revoked":true}`, `{"revoked":"yes"}`, `{"external_id":"REG-1","name":"X"}`, `{"name":"a\u0000b"}`)
	f.Fuzz(func(t *testing.T, body []byte) {
		// Even lengths create, odd ones change an attendee.
		if len(body)%2 == 0 {
			r.exercise(t, "POST /api/v1/events/:slug/attendees", request{method: "POST", path: ev + "/attendees", token: r.organizer, body: body})
		} else {
			r.exercise(t, "PATCH /api/v1/attendees/:id", request{method: "PATCH", path: "/api/v1/attendees/" + target, token: r.organizer, body: body})
		}
	})
}

func FuzzAchievementBody(f *testing.F) {
	r := fuzzRig(f)
	target := r.freshAchievement(f).ID
	addSeeds(f, `{"ref":"A-1","title":{"en":"Quantum"},"presenter_mode":"remote","region":"Hungary"}`, `{"ref":"bad ref!"}`,
		`{"presenter_mode":"teleport"}`, `{"title":{"en":""}}`, `{"contact":"`+strings.Repeat("c", 201)+`"}`)
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body)%2 == 0 {
			r.exercise(t, "POST /api/v1/events/:slug/achievements", request{method: "POST", path: ev + "/achievements", token: r.organizer, body: body})
		} else {
			r.exercise(t, "PATCH /api/v1/achievements/:id", request{method: "PATCH", path: fmt.Sprintf("/api/v1/achievements/%d", target), token: r.organizer, body: body})
		}
	})
}

func FuzzEventBody(f *testing.F) {
	r := fuzzRig(f)
	addSeeds(f, `{"slug":"fuzz-1","title":{"en":"F"},"venue_tz":"Asia/Shanghai","viewer_tzs":["Europe/Budapest"],"starts_at":"2030-01-01T00:00:00Z","ends_at":"2030-01-02T00:00:00Z"}`,
		`{"venue":{"en":"Hall","hu":"Terem"}}`, `{"venue":"Hall"}`, `{"venue":{}}`, `{"slug":"other-2022"}`, `{"venue_tz":"Mars/Olympus"}`, `{"viewer_tzs":[]}`, `{"languages":["de"]}`,
		`{"starts_at":"2030-01-02T00:00:00Z","ends_at":"2030-01-01T00:00:00Z"}`, `{"slug":"UPPER"}`, `{"venue_tz":"Local"}`)
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body)%2 == 0 {
			r.exercise(t, "POST /api/v1/events", request{method: "POST", path: "/api/v1/events", token: r.admin, body: body})
		} else {
			r.exercise(t, "PATCH /api/v1/events/:slug", request{method: "PATCH", path: "/api/v1/events/" + r.other, token: r.admin, body: body})
		}
	})
}

func FuzzSessionBody(f *testing.F) {
	r := fuzzRig(f)
	target := r.freshSession(f, 0).ID
	addSeeds(f, `{"title":{"en":"Panel"},"kind":"panel","planned_start":"2030-01-01T08:00:00Z","planned_end":"2030-01-01T09:00:00Z"}`,
		`{"mode":"teleport"}`, `{"stream_links":{"cn":"javascript:alert(1)"}}`, `{"stream_links":{"hu":"https://live.example.com/hu"}}`,
		`{"planned_start":"2030-01-01T08:00:00Z","planned_end":"2030-01-03T09:00:00Z"}`, `{"fixed_start":true}`, `{"kind":""}`)
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body)%2 == 0 {
			r.exercise(t, "POST /api/v1/events/:slug/sessions", request{method: "POST", path: ev + "/sessions", token: r.organizer, body: body})
		} else {
			r.exercise(t, "PATCH /api/v1/sessions/:id", request{method: "PATCH", path: fmt.Sprintf("/api/v1/sessions/%d", target), token: r.organizer, body: body})
		}
	})
}

// FuzzSessionAction fuzzes the body of the five state-machine actions
// (none or {}) and which action runs on which of a few sessions.
func FuzzSessionAction(f *testing.F) {
	r := fuzzRig(f)
	var ids []int64
	for range 3 {
		ids = append(ids, r.freshSession(f, 2).ID)
	}
	for i, a := range app.SessionActions {
		f.Add(uint8(i), []byte(nil))
		f.Add(uint8(i+5), []byte(`{}`))
		f.Add(uint8(i+10), []byte(`{"force":true}`))
		f.Add(uint8(i), []byte(`[`+a+`]`))
	}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		action := app.SessionActions[int(which)%len(app.SessionActions)]
		id := ids[int(which)/len(app.SessionActions)%len(ids)]
		req := request{method: "POST", path: fmt.Sprintf("/api/v1/sessions/%d/%s", id, action), token: r.organizer}
		if body != nil {
			req.body = body
		}
		r.exercise(t, "POST /api/v1/sessions/:id/"+action, req)
	})
}

func FuzzShowcaseBody(f *testing.F) {
	r := fuzzRig(f)
	target := r.freshSession(f, 0).ID
	a, b := r.freshAchievement(f).ID, r.freshAchievement(f).ID
	addSeeds(f, fmt.Sprintf(`{"slots":[{"achievement_id":%d,"planned_seconds":300},{"achievement_id":%d,"planned_seconds":600}]}`, a, b),
		fmt.Sprintf(`{"slots":[{"achievement_id":%d,"planned_seconds":300},{"achievement_id":%d,"planned_seconds":300}]}`, a, a),
		`{"slots":[]}`, `{"slots":null}`, `{"slots":[{"achievement_id":-1,"planned_seconds":300}]}`,
		fmt.Sprintf(`{"slots":[{"achievement_id":%d,"planned_seconds":1}]}`, a), `{"slots":[{"achievement_id":999999,"planned_seconds":300}]}`)
	path := fmt.Sprintf("/api/v1/sessions/%d/showcase", target)
	f.Fuzz(func(t *testing.T, body []byte) {
		r.exercise(t, "PUT /api/v1/sessions/:id/showcase", request{method: "PUT", path: path, token: r.organizer, body: body})
	})
}

// liveShowcase starts a fresh session with n slots and returns its id
// and the presenting slot.
func (r *rig) liveShowcase(f *testing.F, n int) (int64, int64) {
	s := r.freshSession(f, n, app.ActionStart)
	return s.ID, r.showcaseOf(f, s.ID).Current.ID
}

func FuzzAdvanceBody(f *testing.F) {
	r := fuzzRig(f)
	id, cur := r.liveShowcase(f, 12)
	addSeeds(f, fmt.Sprintf(`{"expected_slot_id":%d}`, cur), fmt.Sprintf(`{"expected_slot_id":%d}`, cur+1),
		`{"expected_slot_id":0}`, `{"expected_slot_id":"1"}`, `{"expected_slot_id":null}`, `{"expected_slot_id":1.5}`)
	path := fmt.Sprintf("/api/v1/sessions/%d/showcase/advance", id)
	f.Fuzz(func(t *testing.T, body []byte) {
		r.exercise(t, "POST /api/v1/sessions/:id/showcase/advance", request{method: "POST", path: path, token: r.organizer, body: body})
	})
}

func FuzzSkipBody(f *testing.F) {
	r := fuzzRig(f)
	id, cur := r.liveShowcase(f, 12)
	addSeeds(f, fmt.Sprintf(`{"slot_id":%d}`, cur), fmt.Sprintf(`{"slot_id":%d}`, cur+3), `{"slot_id":0}`, `{"slot_id":999999}`, `{"slot_id":[1]}`)
	path := fmt.Sprintf("/api/v1/sessions/%d/showcase/skip", id)
	f.Fuzz(func(t *testing.T, body []byte) {
		r.exercise(t, "POST /api/v1/sessions/:id/showcase/skip", request{method: "POST", path: path, token: r.organizer, body: body})
	})
}

func FuzzDelayBody(f *testing.F) {
	r := fuzzRig(f)
	live, _ := r.liveShowcase(f, 3)
	scheduled := r.freshSession(f, 0).ID
	addSeeds(f, `{"minutes":5}`, `{"minutes":-5}`, `{"minutes":0}`, `{"minutes":1441}`, `{"minutes":-100000}`,
		`{"minutes":9223372036854775807}`, `{"minutes":"5"}`, `{"minutes":5.5}`)
	f.Fuzz(func(t *testing.T, body []byte) {
		id := live
		if len(body)%2 == 1 {
			id = scheduled
		}
		r.exercise(t, "POST /api/v1/sessions/:id/delay", request{method: "POST", path: fmt.Sprintf("/api/v1/sessions/%d/delay", id), token: r.organizer, body: body})
	})
}

// FuzzTicket fuzzes ticket texts inside an otherwise valid scan: the
// answer is 200 (a rejected ticket is an answer) or 422 (empty, too
// long); a ticket other than the good one (up to its canonical form)
// must never check anyone in.
func FuzzTicket(f *testing.F) {
	r := fuzzRig(f)
	good := r.freshAttendee(f).Ticket
	for _, s := range []string{good, good[:len(good)-1], good + "A", strings.Replace(good, demo.Slug, "other-2022", 1), "", "HC1", "HC1....",
		"HC1.cn-hu-2021.\x00.x", "HC2." + good[4:], strings.Repeat("HC1.", 1000), "\xff\xfe", "HC1.cn-hu-2021." + strings.Repeat("a", 26) + ".!!!"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ticket string) {
		body, _ := json.Marshal(map[string]string{"ticket": ticket, "gate": "F", "scan_id": r.uniq("tk")})
		resp := r.exercise(t, "POST /api/v1/events/:slug/checkins", request{method: "POST", path: ev + "/checkins", token: r.checker, body: body})
		if resp.Status != 200 {
			return // an empty or oversized ticket: 422, checked by exercise
		}
		var ans app.ScanAnswer
		_ = json.Unmarshal(resp.Body, &ans)
		if ticket != good && ans.Result != app.ResultRejected {
			if tk, err := app.ParseTicket(ticket); err != nil || tk.String() != good {
				t.Fatalf("ticket %q was accepted: %s", truncate([]byte(ticket)), resp.Body)
			}
		}
	})
}

// TestNULRefused is the regression test of the first bug the fuzz seeds
// found: PostgreSQL cannot store the NUL character, so a JSON string or a
// CSV file carrying one answered 500 there (and was stored on SQLite).
// Both are refused with 422 on every database now; an escaped backslash
// followed by "u0000" is ordinary text.
func TestNULRefused(t *testing.T) {
	r := newRig(t, api.Config{})
	cases := []struct {
		name, route, path, body, contentType string
		status                               int
	}{
		{"Announcement", "POST /api/v1/events/:slug/announcements", ev + "/announcements", `{"text":{"en":"a\u0000b"}}`, "", 422},
		{"StreamLinkKey", "PATCH /api/v1/sessions/:id", "", `{"stream_links":{"c\u0000n":"https://x.example"}}`, "", 422},
		{"EscapedBackslash", "POST /api/v1/events/:slug/announcements", ev + "/announcements", `{"text":{"en":"C:\\u0000 is a path"}}`, "", 201},
		{"AchievementsCSV", "POST /api/v1/events/:slug/achievements/import", ev + "/achievements/import", "ref,title_en\nN-1,ok\nN-2,Nul\x00\n", "text/csv", 422},
		{"AttendeesCSV", "POST /api/v1/events/:slug/attendees/import", ev + "/attendees/import", "name,email\nA\x00B,nul@example.org\n", "text/csv", 422},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := c.path
			if path == "" {
				path = fmt.Sprintf("/api/v1/sessions/%d", r.freshSession(t, 0).ID)
			}
			resp := r.exercise(t, c.route, request{method: strings.SplitN(c.route, " ", 2)[0], path: path, token: r.organizer, body: []byte(c.body), contentType: c.contentType})
			if resp.Status != c.status {
				t.Fatalf("got %d, want %d: %s", resp.Status, c.status, truncate(resp.Body))
			}
		})
	}
}
