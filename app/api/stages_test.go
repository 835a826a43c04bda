package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/app/demo"
	"github.com/hybridcon/hybridcon/storage/storagetest"
)

const stagesPath = "/api/v1/events/cn-hu-2021/stages"

func (e *env) stages() []app.Stage {
	e.t.Helper()
	r := e.do("GET", stagesPath, "", nil)
	var out struct{ Stages []app.Stage }
	if err := json.Unmarshal(r.Body, &out); err != nil || r.Status != 200 {
		e.t.Fatalf("stages: %d %v", r.Status, err)
	}
	return out.Stages
}

// TestStagesAPI: stages are listed in order, created, changed and
// deleted by organizers, each change tells viewers with stages.updated,
// and every refused request changes nothing.
func TestStagesAPI(t *testing.T) {
	e := newEnv(t)
	org := e.token("organizer", "")
	checker := e.token("checker", demo.Slug)
	if got := e.stages(); len(got) != 2 || got[0].Slug != demo.StageMain || got[1].Slug != demo.StageForum || got[0].StreamLinks["hu"] == "" {
		t.Fatalf("demo stages: %+v", got)
	}

	before := e.liveRows()
	r := e.do("POST", stagesPath, org, map[string]any{"slug": "hall-b", "name": map[string]string{"zh": "B厅", "en": "Hall B", "hu": "B terem"},
		"stream_links": map[string]string{"default": "https://live.example.com/b"}})
	e.mustOK(r, "create")
	var created app.Stage
	_ = json.Unmarshal(r.Body, &created)
	if r.Status != 201 || created.Slug != "hall-b" || created.Position != 3 || created.Name.HU != "B terem" {
		t.Fatalf("created %d %+v, want hall-b at position 3", r.Status, created)
	}
	envs := e.logPage(before)
	if len(envs) != 1 || envs[0].Type != app.TypeStagesUpdated {
		t.Fatalf("create appended %v, want one stages.updated", envs)
	}
	var upd app.StagesUpdate
	_ = json.Unmarshal(envs[0].Data, &upd)
	if len(upd.Stages) != 3 || upd.Stages[2].Slug != "hall-b" {
		t.Fatalf("stages.updated carries %+v, want all three stages", upd.Stages)
	}

	r = e.do("PATCH", stagesPath+"/hall-b", org, map[string]any{"name": map[string]string{"en": "Hall B (upstairs)"}, "position": 0})
	e.mustOK(r, "patch")
	if got := e.stages(); got[0].Slug != "hall-b" || got[0].Name.EN != "Hall B (upstairs)" || got[0].Name.ZH != "" {
		t.Fatalf("after the patch: %+v, want hall-b first, renamed", got[0])
	}

	// A session on the new stage; then the stage cannot go.
	start := time.Now().Add(72 * time.Hour).Truncate(time.Minute)
	r = e.do("POST", "/api/v1/events/cn-hu-2021/sessions", org, map[string]any{"title": map[string]string{"en": "Side panel"}, "kind": "panel",
		"stage": "hall-b", "planned_start": start, "planned_end": start.Add(time.Hour)})
	e.mustOK(r, "create session")
	var side app.Session
	_ = json.Unmarshal(r.Body, &side)

	cases := []struct {
		name, method, path, token string
		body                      any
		status                    int
		code                      string
	}{
		{"ErrSlugTaken", "POST", stagesPath, org, map[string]any{"slug": "forum", "name": map[string]string{"en": "x"}}, 409, "conflict"},
		{"ErrBadSlug", "POST", stagesPath, org, map[string]any{"slug": "Hall C", "name": map[string]string{"en": "x"}}, 422, "invalid"},
		{"ErrNoName", "POST", stagesPath, org, map[string]any{"slug": "hall-c"}, 422, "invalid"},
		{"ErrBadLink", "POST", stagesPath, org, map[string]any{"slug": "hall-c", "name": map[string]string{"en": "x"}, "stream_links": map[string]string{"cn": "ftp://x"}}, 422, "invalid"},
		{"ErrUnknownRegion", "PATCH", stagesPath + "/hall-b", org, map[string]any{"stream_links": map[string]string{"mars": "https://x.example"}}, 422, "invalid"},
		{"ErrUnknownField", "POST", stagesPath, org, map[string]any{"slug": "hall-c", "name": map[string]string{"en": "x"}, "colour": "red"}, 400, "bad_request"},
		{"ErrSlugChange", "PATCH", stagesPath + "/hall-b", org, map[string]any{"slug": "hall-c"}, 422, "invalid"},
		{"ErrPatchUnknown", "PATCH", stagesPath + "/nope", org, map[string]any{"position": 3}, 404, "not_found"},
		{"ErrDeleteUsed", "DELETE", stagesPath + "/hall-b", org, nil, 409, "conflict"},
		{"ErrDeleteUnknown", "DELETE", stagesPath + "/nope", org, nil, 404, "not_found"},
		{"ErrUnknownEvent", "GET", "/api/v1/events/nope/stages", "", nil, 404, "not_found"},
		{"ErrChecker", "POST", stagesPath, checker, map[string]any{"slug": "hall-c", "name": map[string]string{"en": "x"}}, 403, "forbidden"},
		{"ErrAnonymous", "DELETE", stagesPath + "/forum", "", nil, 401, "unauthorized"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rows, stages := e.liveRows(), e.stages()
			r := e.do(tc.method, tc.path, tc.token, tc.body)
			if r.Status != tc.status || r.errorCode(t) != tc.code {
				t.Fatalf("got %d %s, want %d %s", r.Status, r.Body, tc.status, tc.code)
			}
			if e.liveRows() != rows || fmt.Sprint(e.stages()) != fmt.Sprint(stages) {
				t.Fatal("a refused request changed the stages or the live log")
			}
		})
	}

	// Moved away, the stage can go.
	e.mustOK(e.do("PATCH", fmt.Sprintf("/api/v1/sessions/%d", side.ID), org, map[string]string{"stage": "forum"}), "move the session")
	if r := e.do("DELETE", stagesPath+"/hall-b", org, nil); r.Status != 204 {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	if got := e.stages(); len(got) != 2 {
		t.Fatalf("after the delete: %+v", got)
	}
	audit := string(e.do("GET", "/api/v1/events/cn-hu-2021/audit", org, nil).Body)
	for _, want := range []string{"stage.create", "stage.update", "stage.delete"} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit lacks %s", want)
		}
	}
}

// TestStartOnBusyStage: of sessions started at once on one stage exactly
// one goes live; the others get 409 conflict naming it, and change
// nothing. Runs on SQLite, and on PostgreSQL when
// HYBRIDCON_TEST_DATABASE_URL is set (CI).
func TestStartOnBusyStage(t *testing.T) {
	t.Logf("database: %s", storagetest.Backend())
	e := newEnv(t)
	org := e.token("organizer", "")
	start := time.Now().Add(48 * time.Hour).Truncate(time.Minute)
	const n = 6
	ids := make([]int64, n)
	for i := range ids {
		r := e.do("POST", "/api/v1/events/cn-hu-2021/sessions", org, map[string]any{"title": map[string]string{"en": fmt.Sprintf("Talk %d", i)},
			"kind": "panel", "stage": demo.StageForum, "planned_start": start.Add(time.Duration(i) * time.Hour), "planned_end": start.Add(time.Duration(i)*time.Hour + 50*time.Minute)})
		e.mustOK(r, "create")
		var s app.Session
		_ = json.Unmarshal(r.Body, &s)
		ids[i] = s.ID
	}
	rows := e.liveRows()
	results := make([]response, n)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() { results[i] = e.do("POST", fmt.Sprintf("/api/v1/sessions/%d/start", ids[i]), org, nil) })
	}
	wg.Wait()
	var winner int64
	for i, r := range results {
		if r.Status == 200 {
			if winner != 0 {
				t.Fatalf("two sessions went live on one stage: %d and %d", winner, ids[i])
			}
			winner = ids[i]
		}
	}
	if winner == 0 {
		t.Fatalf("no start succeeded: %v", results)
	}
	for i, r := range results {
		if ids[i] == winner {
			continue
		}
		var b struct {
			Error struct {
				Code    string
				Details struct {
					Stage     string `json:"stage"`
					SessionID int64  `json:"session_id"`
					State     string `json:"state"`
				}
			}
		}
		_ = json.Unmarshal(r.Body, &b)
		if r.Status != 409 || b.Error.Code != app.EConflict || b.Error.Details.SessionID != winner || b.Error.Details.Stage != demo.StageForum {
			t.Errorf("start of %d: %d %s; want 409 conflict naming session %d", ids[i], r.Status, r.Body, winner)
		}
	}
	// Only the winner's start reached the log and the agenda.
	for _, env := range e.logPage(rows) {
		if env.Type == app.TypeSessionUpdated {
			var s app.Session
			_ = json.Unmarshal(env.Data, &s)
			if s.ID != winner {
				t.Errorf("the log has session.updated of %d (%s)", s.ID, s.State)
			}
		}
	}
	live := 0
	for _, s := range e.agendaList() {
		if s.Stage == demo.StageForum && (s.State == app.StateLive || s.State == app.StatePaused) {
			live++
		}
	}
	if live != 1 {
		t.Fatalf("%d sessions running on the forum stage, want 1", live)
	}
	// Pausing does not free the stage; ending does.
	e.mustOK(e.do("POST", fmt.Sprintf("/api/v1/sessions/%d/pause", winner), org, nil), "pause")
	other := ids[0]
	if other == winner {
		other = ids[1]
	}
	if r := e.do("POST", fmt.Sprintf("/api/v1/sessions/%d/start", other), org, nil); r.Status != 409 {
		t.Fatalf("start beside a paused session: %d", r.Status)
	}
	e.mustOK(e.do("POST", fmt.Sprintf("/api/v1/sessions/%d/end", winner), org, nil), "end")
	e.mustOK(e.do("POST", fmt.Sprintf("/api/v1/sessions/%d/start", other), org, nil), "start after the end")
	// A running session cannot be moved onto a busy stage either.
	e.mustOK(e.do("POST", fmt.Sprintf("/api/v1/sessions/%d/start", e.agenda()["opening"].ID), org, nil), "start opening")
	if r := e.do("PATCH", fmt.Sprintf("/api/v1/sessions/%d", other), org, map[string]string{"stage": demo.StageMain}); r.Status != 409 {
		t.Fatalf("moving a live session onto a busy stage: %d %s", r.Status, r.Body)
	}
}

// agendaList returns the event's sessions.
func (e *env) agendaList() []app.Session {
	e.t.Helper()
	r := e.do("GET", "/api/v1/events/cn-hu-2021/sessions", "", nil)
	var out struct{ Sessions []app.Session }
	if err := json.Unmarshal(r.Body, &out); err != nil {
		e.t.Fatal(err)
	}
	return out.Sessions
}

// TestTwoStagesRunIndependently: the showcase and the forum run at once;
// Next on one never touches the other, a stale Next is refused per
// session, and the snapshot's stages say what is on each.
func TestTwoStagesRunIndependently(t *testing.T) {
	e := newEnv(t)
	org := e.token("organizer", "")
	ag := e.agenda()
	show, forum := ag["showcase"], ag["forum"]
	e.mustOK(e.do("POST", fmt.Sprintf("/api/v1/sessions/%d/cancel", ag["opening"].ID), org, nil), "cancel the opening")
	e.mustOK(e.do("POST", fmt.Sprintf("/api/v1/sessions/%d/start", show.ID), org, nil), "start showcase")
	e.mustOK(e.do("POST", fmt.Sprintf("/api/v1/sessions/%d/start", forum.ID), org, nil), "start forum")
	sc, fo := e.showcase(show.ID), e.showcase(forum.ID)
	if fo.Current == nil || fo.Current.Title == nil || fo.Current.AchievementID != 0 || fo.Current.Presenter == "" {
		t.Fatalf("the forum's first item is %+v, want a free item with a presenter", fo.Current)
	}
	seq := e.liveRows()
	e.mustOK(e.do("POST", fmt.Sprintf("/api/v1/sessions/%d/showcase/advance", forum.ID), org, map[string]int64{"expected_slot_id": fo.Current.ID}), "forum next")
	// The forum's Next frame carries its free items' own text and stays small.
	frames := e.logOf(seq, app.TypeShowcaseUpdated)
	if len(frames) != 1 {
		t.Fatalf("%d showcase.updated for the forum's Next, want 1", len(frames))
	}
	if frame, _ := json.Marshal(frames[0]); len(frame) > maxShowcaseFrame || !strings.Contains(string(frame), fo.Slots[3].Title.HU) {
		t.Errorf("the forum's Next frame is %d bytes (at most %d) or lacks its items' titles", len(frame), maxShowcaseFrame)
	} else {
		t.Logf("the forum's Next frame: %d bytes", len(frame))
	}
	if got := e.showcase(show.ID); got.Current.ID != sc.Current.ID || got.Session.Version != sc.Session.Version {
		t.Fatalf("Next on the forum moved the showcase: %+v", got.Current)
	}
	// The showcase's Next still names its own slot: no stale answer.
	e.mustOK(e.do("POST", fmt.Sprintf("/api/v1/sessions/%d/showcase/advance", show.ID), org, map[string]int64{"expected_slot_id": sc.Current.ID}), "showcase next")
	// A forum Next with the showcase's slot is stale for the forum.
	r := e.do("POST", fmt.Sprintf("/api/v1/sessions/%d/showcase/advance", forum.ID), org, map[string]int64{"expected_slot_id": sc.Current.ID})
	if r.Status != 409 || r.errorCode(t) != app.EStaleSlot {
		t.Fatalf("cross-stage advance: %d %s", r.Status, r.Body)
	}
	fo2 := e.showcase(forum.ID)
	if fo2.Current.Position != 2 {
		t.Fatalf("forum on item %d, want 2", fo2.Current.Position)
	}
	// Skip and delay work on free items as on achievements.
	e.mustOK(e.do("POST", fmt.Sprintf("/api/v1/sessions/%d/showcase/skip", forum.ID), org, map[string]int64{"slot_id": fo2.Next.ID}), "forum skip")
	e.mustOK(e.do("POST", fmt.Sprintf("/api/v1/sessions/%d/delay", forum.ID), org, map[string]int{"minutes": 5}), "forum delay")
	fo3 := e.showcase(forum.ID)
	if fo3.Slots[2].State != app.SlotSkipped || fo3.Current.PlannedSeconds != fo2.Current.PlannedSeconds+300 {
		t.Fatalf("after skip and delay: %+v / %+v", fo3.Slots[2], fo3.Current)
	}

	snap := e.do("GET", "/api/v1/events/cn-hu-2021/live", "", nil)
	var env app.Envelope
	_ = json.Unmarshal(snap.Body, &env)
	var st app.LiveState
	_ = json.Unmarshal(env.Data, &st)
	if len(st.Stages) != 2 {
		t.Fatalf("snapshot stages: %+v", st.Stages)
	}
	main, fs := st.Stages[0], st.Stages[1]
	if main.Slug != demo.StageMain || main.SessionID != show.ID || main.State != app.StateLive || main.Current == nil || main.Current.Position != 2 ||
		main.Name.EN == "" || main.StreamLinks["cn"] == "" || main.NextSessionID != ag["signing"].ID {
		t.Errorf("main stage in the snapshot: %+v", main)
	}
	if fs.Slug != demo.StageForum || fs.SessionID != forum.ID || fs.Current == nil || fs.Current.ID != fo3.Current.ID || fs.Next == nil || fs.Next.ID != fo3.Next.ID ||
		fs.Current.Title == nil || fs.NextSessionID != 0 {
		t.Errorf("forum stage in the snapshot: %+v", fs)
	}
}

// TestRunOfShowItems: any session takes a run-of-show of achievements
// and free items; items keep their ids across edits; bad items are 422
// and change nothing.
func TestRunOfShowItems(t *testing.T) {
	e := newEnv(t)
	org := e.token("organizer", "")
	panel := e.agenda()["panel"]
	path := fmt.Sprintf("/api/v1/sessions/%d/showcase", panel.ID)
	before := e.showcase(panel.ID)
	if len(before.Slots) != 5 {
		t.Fatalf("the demo panel has %d items, want 5", len(before.Slots))
	}
	ach := e.achievements()[0]
	keep := before.Slots[3]
	body := map[string]any{"slots": []map[string]any{
		{"id": keep.ID, "title": keep.Title, "presenter": keep.Presenter, "presenter_mode": keep.PresenterMode, "planned_seconds": 600},
		{"achievement_id": ach.ID, "planned_seconds": 300},
		{"title": map[string]string{"en": "Late addition"}, "presenter": "Dr. Új", "planned_seconds": 120},
	}}
	r := e.do("PUT", path, org, body)
	e.mustOK(r, "set")
	after := e.showcase(panel.ID)
	if len(after.Slots) != 3 || after.Slots[0].ID != keep.ID || after.Slots[0].PlannedSeconds != 600 || after.Slots[1].Achievement == nil ||
		after.Slots[2].PresenterMode != app.PresenterOnsite || after.Slots[2].Title.EN != "Late addition" {
		t.Fatalf("after the set: %+v", after.Slots)
	}
	// Set again naming the achievement only: its item keeps its id too.
	body["slots"] = []map[string]any{{"achievement_id": ach.ID, "planned_seconds": 300}}
	e.mustOK(e.do("PUT", path, org, body), "set again")
	if got := e.showcase(panel.ID); len(got.Slots) != 1 || got.Slots[0].ID != after.Slots[1].ID {
		t.Fatalf("the achievement's item got a new id: %+v (was %d)", got.Slots, after.Slots[1].ID)
	}

	bad := []struct {
		name  string
		slots []map[string]any
	}{
		{"Both", []map[string]any{{"achievement_id": ach.ID, "title": map[string]string{"en": "x"}, "planned_seconds": 300}}},
		{"Neither", []map[string]any{{"presenter": "x", "planned_seconds": 300}}},
		{"BlankTitle", []map[string]any{{"title": map[string]string{"en": "  "}, "planned_seconds": 300}}},
		{"BadMode", []map[string]any{{"title": map[string]string{"en": "x"}, "presenter_mode": "hologram", "planned_seconds": 300}}},
		{"ForeignID", []map[string]any{{"id": before.Slots[0].ID + 100000, "title": map[string]string{"en": "x"}, "planned_seconds": 300}}},
		{"TwiceSameID", []map[string]any{{"id": keep.ID, "title": map[string]string{"en": "x"}, "planned_seconds": 300}, {"id": keep.ID, "title": map[string]string{"en": "y"}, "planned_seconds": 300}}},
		{"TooShort", []map[string]any{{"title": map[string]string{"en": "x"}, "planned_seconds": 5}}},
	}
	for _, tc := range bad {
		t.Run("Err"+tc.name, func(t *testing.T) {
			rows, sc := e.liveRows(), e.showcase(panel.ID)
			r := e.do("PUT", path, org, map[string]any{"slots": tc.slots})
			if r.Status != 422 || r.errorCode(t) != app.EInvalid {
				t.Fatalf("got %d %s, want 422 invalid", r.Status, r.Body)
			}
			if e.liveRows() != rows || itemsSig(e.showcase(panel.ID)) != itemsSig(sc) {
				t.Fatal("a refused run-of-show changed something")
			}
		})
	}
}

// itemsSig says what a run-of-show holds, without the computed times.
func itemsSig(sc app.Showcase) string {
	out := ""
	for _, sl := range sc.Slots {
		out += fmt.Sprintf("%d:%d:%v:%s:%d:%s;", sl.ID, sl.AchievementID, sl.Title, sl.Presenter, sl.PlannedSeconds, sl.State)
	}
	return out
}
