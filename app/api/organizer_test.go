package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hybridcon/hybridcon/app"
)

// agenda returns the demo's sessions by kind.
func (e *env) agenda() map[string]app.Session {
	e.t.Helper()
	m := map[string]app.Session{}
	for _, s := range e.agendaList() {
		m[s.Kind] = s
	}
	return m
}

func (e *env) showcase(id int64) app.Showcase {
	e.t.Helper()
	r := e.do("GET", fmt.Sprintf("/api/v1/sessions/%d/showcase", id), "", nil)
	var sc app.Showcase
	if err := json.Unmarshal(r.Body, &sc); err != nil || r.Status != 200 {
		e.t.Fatalf("showcase: %d %v", r.Status, err)
	}
	return sc
}

func (e *env) mustOK(r response, what string) {
	e.t.Helper()
	if r.Status/100 != 2 {
		e.t.Fatalf("%s: %d %s", what, r.Status, truncate(r.Body))
	}
}

// TestShowcaseEndToEnd plays the demo showcase through the API: opening,
// the showcase with one overrun, one skip and a pause, the end; then the
// live log holds exactly what each action produced, in order, expected
// times moved for the showcase but not for the fixed-start signing (which
// is flagged to organizers instead), and a viewer connected throughout
// received every envelope.
func TestShowcaseEndToEnd(t *testing.T) {
	e := newEnv(t)
	clk := &clock{}
	e.svc.Now = clk.Now
	addr := e.listen()
	org := e.token("organizer", "")
	ag := e.agenda()
	opening, show, signing := ag["opening"], ag["showcase"], ag["signing"]
	v := dialViewer(t, addr, "?region=hu&lang=hu")
	if first := v.first(t); first.Type != app.TypeSnapshot || first.Seq != 0 {
		t.Fatalf("first frame %s seq %d", first.Type, first.Seq)
	}

	type step struct {
		what  string
		types []string // envelope types the step must append, in order
	}
	var steps []step
	var actions int
	seq := func() int64 { return e.liveRows() }
	act := func(at time.Time, what, method, path string, body any) {
		t.Helper()
		clk.Set(at)
		before := seq()
		e.mustOK(e.do(method, path, org, body), what)
		actions++
		page := e.logPage(before)
		var types []string
		for _, env := range page {
			types = append(types, env.Type)
		}
		steps = append(steps, step{what, types})
	}
	sid := fmt.Sprintf("/api/v1/sessions/%d", show.ID)
	advance := func(at time.Time) {
		sc := e.showcase(show.ID)
		if sc.Current == nil {
			t.Fatal("advance with nothing presenting")
		}
		act(at, fmt.Sprintf("advance from slot %d", sc.Current.Position), "POST", sid+"/showcase/advance", map[string]int64{"expected_slot_id": sc.Current.ID})
	}

	t0 := opening.PlannedStart
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	act(at(0), "start opening", "POST", fmt.Sprintf("/api/v1/sessions/%d/start", opening.ID), nil)
	act(at(30), "end opening", "POST", fmt.Sprintf("/api/v1/sessions/%d/end", opening.ID), nil)
	act(at(30), "start showcase", "POST", sid+"/start", nil)
	min := 30
	sc := e.showcase(show.ID)
	skipped := sc.Slots[11] // slot 12 will be skipped while pending
	for pos := 1; pos <= 27; pos++ {
		if pos == 12 {
			continue
		}
		switch pos {
		case 5: // slot 5 overruns by 35 minutes; time alone moves the schedule
			min += 40
			clk.Set(at(min))
			before := seq()
			if err := e.svc.RefreshSchedules(context.Background()); err != nil {
				t.Fatal(err)
			}
			page := e.logPage(before)
			if len(page) != 1 || page[0].Type != app.TypeScheduleShifted {
				t.Fatalf("overrun: refresh appended %v, want one schedule.shifted", page)
			}
			var shift app.ScheduleShift
			_ = json.Unmarshal(page[0].Data, &shift)
			moved := map[int64]bool{}
			for _, s := range shift.Sessions {
				moved[s.ID] = true
			}
			if !moved[show.ID] || moved[signing.ID] {
				t.Fatalf("overrun moved %v; want the showcase, not the fixed-start signing", moved)
			}
			sg := e.agenda()["signing"]
			if c := sg.Conflict; c == nil || c.Kind != app.ConflictOverlap || c.SessionID != show.ID || c.Minutes != 30 {
				t.Fatalf("signing after the overrun: conflict %+v, want an overlap of 30 min with the showcase", c)
			}
			var rows int
			for _, sc := range shift.Showcases {
				if sc.SessionID == show.ID {
					rows = len(sc.Slots)
				}
			}
			if rows != 27 {
				t.Fatalf("schedule.shifted lacks the showcase's slots")
			}
			steps = append(steps, step{"overrun refresh", []string{app.TypeScheduleShifted}})
		case 10:
			min += 5
			act(at(min), "skip slot 12", "POST", sid+"/showcase/skip", map[string]int64{"slot_id": skipped.ID})
		case 15:
			act(at(min+2), "pause", "POST", sid+"/pause", nil)
			act(at(min+7), "resume", "POST", sid+"/resume", nil)
			min += 10
		default:
			min += 5
		}
		advance(at(min))
	}
	act(at(min+1), "end showcase", "POST", sid+"/end", nil)

	// Every action appended session.updated then showcase.updated (the
	// showcase session sends its run-of-show after every action), then a
	// schedule.shifted when other sessions' expected times moved.
	for _, s := range steps {
		if s.what == "overrun refresh" {
			continue
		}
		want := []string{app.TypeSessionUpdated}
		if !strings.Contains(s.what, "opening") {
			want = append(want, app.TypeShowcaseUpdated)
		}
		got := s.types
		if len(got) == len(want)+1 && got[len(got)-1] == app.TypeScheduleShifted {
			got = got[:len(want)]
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s appended %v, want %v (+ optional schedule.shifted)", s.what, s.types, want)
		}
	}
	var shiftedOnResume bool
	for _, s := range steps {
		if s.what == "resume" {
			shiftedOnResume = s.types[len(s.types)-1] == app.TypeScheduleShifted
		}
	}
	if !shiftedOnResume {
		t.Error("a 5-minute pause did not shift the schedule")
	}

	// The log is exactly the concatenation of the steps.
	log := e.logPage(0)
	var all []string
	for _, s := range steps {
		all = append(all, s.types...)
	}
	if len(log) != len(all) {
		t.Fatalf("log has %d envelopes, steps appended %d", len(log), len(all))
	}
	for i, env := range log {
		if env.Seq != int64(i+1) || env.Type != all[i] {
			t.Fatalf("log[%d] = seq %d %s, want seq %d %s", i, env.Seq, env.Type, i+1, all[i])
		}
	}

	// Final state: all slots done but the skipped one; the signing, past
	// its planned start, is due now and flagged overdue.
	sc = e.showcase(show.ID)
	for _, sl := range sc.Slots {
		want := app.SlotDone
		if sl.ID == skipped.ID {
			want = app.SlotSkipped
		}
		if sl.State != want {
			t.Errorf("slot %d is %s, want %s", sl.Position, sl.State, want)
		}
	}
	if sc.Session.State != app.StateEnded {
		t.Errorf("showcase is %s", sc.Session.State)
	}
	final := e.agenda()
	if now := clk.Now(); !now.After(signing.PlannedStart.Add(time.Minute)) {
		t.Fatalf("the test ends at %v, before the signing's planned %v", now, signing.PlannedStart)
	}
	if sg := final["signing"]; !sg.ExpectedStart.Equal(clk.Now()) || sg.Conflict == nil || sg.Conflict.Kind != app.ConflictOverdue {
		t.Errorf("signing at the end: expected %v with conflict %+v; want now (%v), overdue", sg.ExpectedStart, sg.Conflict, clk.Now())
	}

	// The viewer connected throughout received exactly the log.
	got := v.waitSeq(t, int64(len(log)))
	if len(got) != len(log) {
		t.Fatalf("viewer got %d durable envelopes, log has %d", len(got), len(log))
	}
	for i := range log {
		if got[i].Seq != log[i].Seq || got[i].Type != log[i].Type || string(got[i].Data) != string(log[i].Data) {
			t.Fatalf("viewer envelope %d differs from the log: seq %d %s vs seq %d %s", i, got[i].Seq, got[i].Type, log[i].Seq, log[i].Type)
		}
	}
	t.Logf("%d actions, %d envelopes", actions, len(log))
}

// logPage returns every durable envelope after since.
func (e *env) logPage(since int64) []app.Envelope {
	e.t.Helper()
	r := e.do("GET", fmt.Sprintf("/api/v1/events/cn-hu-2021/log?since=%d", since), "", nil)
	var page app.LogPage
	if err := json.Unmarshal(r.Body, &page); err != nil {
		e.t.Fatal(err)
	}
	return page.Envelopes
}

// TestConcurrentAdvance: organizers pressing Next at once advance once;
// the others get 409 stale_slot naming the slot now presenting.
func TestConcurrentAdvance(t *testing.T) {
	e := newEnv(t)
	org := e.token("organizer", "")
	show := e.agenda()["showcase"]
	e.mustOK(e.do("POST", fmt.Sprintf("/api/v1/sessions/%d/start", show.ID), org, nil), "start")
	cur := e.showcase(show.ID).Current
	const n = 8
	var wg sync.WaitGroup
	results := make([]response, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			results[i] = e.do("POST", fmt.Sprintf("/api/v1/sessions/%d/showcase/advance", show.ID), org, map[string]int64{"expected_slot_id": cur.ID})
		}(i)
	}
	wg.Wait()
	ok := 0
	next := e.showcase(show.ID).Current
	for _, r := range results {
		switch r.Status {
		case 200:
			ok++
		case 409:
			var b struct {
				Error struct {
					Code    string
					Details app.Slot
				}
			}
			_ = json.Unmarshal(r.Body, &b)
			if b.Error.Code != app.EStaleSlot || b.Error.Details.ID != next.ID {
				t.Errorf("409 body %s; want stale_slot with slot %d", r.Body, next.ID)
			}
		default:
			t.Errorf("status %d: %s", r.Status, r.Body)
		}
	}
	if ok != 1 {
		t.Fatalf("%d advances succeeded, want exactly 1", ok)
	}
	if next.Position != 2 {
		t.Fatalf("slot %d presenting, want 2", next.Position)
	}
}

func TestSessionErrors(t *testing.T) {
	e := newEnv(t)
	org := e.token("organizer", "")
	checker := e.token("checker", "cn-hu-2021")
	ag := e.agenda()
	show := ag["showcase"]
	sid := fmt.Sprintf("/api/v1/sessions/%d", show.ID)
	done := ag["opening"]
	e.mustOK(e.do("POST", fmt.Sprintf("/api/v1/sessions/%d/start", done.ID), org, nil), "start opening")
	e.mustOK(e.do("POST", fmt.Sprintf("/api/v1/sessions/%d/end", done.ID), org, nil), "end opening")
	e.mustOK(e.do("POST", sid+"/start", org, nil), "start")
	slots := e.showcase(show.ID).Slots
	cases := []struct {
		name, method, path, token string
		body                      any
		status                    int
		code                      string
	}{
		{"StartLive", "POST", sid + "/start", org, nil, 409, "invalid_transition"},
		{"ResumeLive", "POST", sid + "/resume", org, nil, 409, "invalid_transition"},
		{"CancelLive", "POST", sid + "/cancel", org, nil, 409, "invalid_transition"},
		{"StartEnded", "POST", fmt.Sprintf("/api/v1/sessions/%d/start", done.ID), org, nil, 409, "invalid_transition"},
		{"StartOnBusyStage", "POST", fmt.Sprintf("/api/v1/sessions/%d/start", ag["signing"].ID), org, nil, 409, "conflict"},
		{"PatchOntoUnknownStage", "PATCH", sid, org, map[string]string{"stage": "no-such-stage"}, 422, "invalid"},
		{"PatchBadStageSlug", "PATCH", sid, org, map[string]string{"stage": "Hall B"}, 422, "invalid"},
		{"PauseEnded", "POST", fmt.Sprintf("/api/v1/sessions/%d/pause", done.ID), org, nil, 409, "invalid_transition"},
		{"DelayEnded", "POST", fmt.Sprintf("/api/v1/sessions/%d/delay", done.ID), org, map[string]int{"minutes": 5}, 409, "invalid_transition"},
		{"PauseScheduled", "POST", fmt.Sprintf("/api/v1/sessions/%d/pause", ag["closing"].ID), org, nil, 409, "invalid_transition"},
		{"SetShowcaseLive", "PUT", sid + "/showcase", org, map[string]any{"slots": []map[string]int64{{"achievement_id": slots[0].AchievementID, "planned_seconds": 300}}}, 409, "invalid_transition"},
		{"StaleAdvance", "POST", sid + "/showcase/advance", org, map[string]int64{"expected_slot_id": slots[5].ID}, 409, "stale_slot"},
		{"AdvanceNoBody", "POST", sid + "/showcase/advance", org, nil, 400, "bad_request"},
		{"AdvanceMissingID", "POST", sid + "/showcase/advance", org, map[string]any{}, 400, "bad_request"},
		{"AdvanceBadJSON", "POST", sid + "/showcase/advance", org, `{"expected_slot_id": "x"}`, 400, "bad_request"},
		{"SkipDone", "POST", fmt.Sprintf("/api/v1/sessions/%d/showcase/skip", show.ID), org, map[string]int64{"slot_id": 999999}, 404, "not_found"},
		{"DelayZero", "POST", sid + "/delay", org, map[string]int{"minutes": 0}, 422, "invalid"},
		{"DelayHuge", "POST", sid + "/delay", org, map[string]int{"minutes": 100000}, 422, "invalid"},
		{"DelayMissing", "POST", sid + "/delay", org, map[string]int{}, 400, "bad_request"},
		{"UnknownSession", "POST", "/api/v1/sessions/424242/start", org, nil, 404, "not_found"},
		{"MalformedSession", "POST", "/api/v1/sessions/x1/start", org, nil, 400, "bad_request"},
		{"ActionWithGarbage", "POST", sid + "/pause", org, `[1,2]`, 400, "bad_request"},
		{"AnonymousStart", "POST", fmt.Sprintf("/api/v1/sessions/%d/start", ag["closing"].ID), "", nil, 401, "unauthorized"},
		{"CheckerStart", "POST", fmt.Sprintf("/api/v1/sessions/%d/start", ag["closing"].ID), checker, nil, 403, "forbidden"},
		{"CheckerAdvance", "POST", sid + "/showcase/advance", checker, map[string]int64{"expected_slot_id": slots[0].ID}, 403, "forbidden"},
		{"PatchBadMode", "PATCH", sid, org, map[string]string{"mode": "teleport"}, 422, "invalid"},
		{"PatchEndBeforeStart", "PATCH", fmt.Sprintf("/api/v1/sessions/%d", ag["closing"].ID), org, map[string]any{"planned_end": ag["closing"].PlannedStart.Add(-time.Minute)}, 422, "invalid"},
		{"PatchBadStream", "PATCH", sid, org, map[string]any{"stream_links": map[string]string{"cn": "javascript:alert(1)"}}, 422, "invalid"},
		{"CreateNoTitle", "POST", "/api/v1/events/cn-hu-2021/sessions", org, map[string]any{"kind": "panel", "planned_start": show.PlannedStart, "planned_end": show.PlannedEnd}, 422, "invalid"},
		{"CreateUnknownEvent", "POST", "/api/v1/events/nope/sessions", org, map[string]any{"title": map[string]string{"en": "x"}, "kind": "panel", "planned_start": show.PlannedStart, "planned_end": show.PlannedEnd}, 404, "not_found"},
		{"CheckerCreate", "POST", "/api/v1/events/cn-hu-2021/sessions", checker, map[string]any{"title": map[string]string{"en": "x"}}, 403, "forbidden"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.liveRows()
			beforeAgenda := e.agenda()
			beforeShow := e.showcase(show.ID)
			r := e.do(tc.method, tc.path, tc.token, tc.body)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, truncate(r.Body))
			}
			if code := r.errorCode(t); code != tc.code {
				t.Fatalf("code %q, want %q", code, tc.code)
			}
			if tc.code == "invalid_transition" && !strings.Contains(string(r.Body), `"state"`) {
				t.Errorf("invalid_transition does not name the current state: %s", r.Body)
			}
			if e.liveRows() != before {
				t.Error("the live log moved")
			}
			for k, s := range e.agenda() {
				if s.Version != beforeAgenda[k].Version || s.State != beforeAgenda[k].State || !s.PlannedStart.Equal(beforeAgenda[k].PlannedStart) {
					t.Errorf("session %s changed", k)
				}
			}
			after := e.showcase(show.ID)
			for i := range after.Slots {
				if after.Slots[i].State != beforeShow.Slots[i].State {
					t.Errorf("slot %d changed", i+1)
				}
			}
		})
	}
}

func TestDelayAndCreateSession(t *testing.T) {
	e := newEnv(t)
	org := e.token("organizer", "")
	ag := e.agenda()
	// Delaying the (scheduled) opening by 20 minutes moves its plan; the
	// showcase follows, the fixed-start signing does not.
	r := e.do("POST", fmt.Sprintf("/api/v1/sessions/%d/delay", ag["opening"].ID), org, map[string]int{"minutes": 20})
	e.mustOK(r, "delay")
	after := e.agenda()
	if !after["opening"].PlannedStart.Equal(ag["opening"].PlannedStart.Add(20 * time.Minute)) {
		t.Errorf("opening planned start %v", after["opening"].PlannedStart)
	}
	if !after["signing"].ExpectedStart.Equal(ag["signing"].ExpectedStart) {
		t.Errorf("signing moved")
	}
	log := e.logPage(0)
	if len(log) == 0 || log[0].Type != app.TypeSessionUpdated {
		t.Fatalf("delay log: %v", log)
	}
	e.mustOK(e.do("POST", "/api/v1/events/cn-hu-2021/stages", org, map[string]any{"slug": "hall-b", "name": map[string]string{"en": "Hall B"}}), "create stage")
	r = e.do("POST", "/api/v1/events/cn-hu-2021/sessions", org, map[string]any{
		"title": map[string]string{"zh": "圆桌讨论", "en": "Round table", "hu": "Kerekasztal"}, "kind": "panel", "stage": "hall-b",
		"planned_start": ag["showcase"].PlannedStart, "planned_end": ag["showcase"].PlannedEnd,
		"stream_links": map[string]string{"hu": "https://live.example.com/b/hu"}})
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	var created app.Session
	_ = json.Unmarshal(r.Body, &created)
	if created.State != app.StateScheduled || created.Stage != "hall-b" || created.Title.HU != "Kerekasztal" {
		t.Fatalf("created %+v", created)
	}
	r = e.do("PATCH", fmt.Sprintf("/api/v1/sessions/%d", created.ID), org, map[string]any{"title": map[string]string{"zh": "圆桌", "en": "Panel", "hu": "Panel"}})
	e.mustOK(r, "patch")
	audit := e.do("GET", "/api/v1/events/cn-hu-2021/audit", org, nil)
	for _, want := range []string{"session.delay", "session.create", "session.update"} {
		if !strings.Contains(string(audit.Body), want) {
			t.Errorf("audit lacks %s", want)
		}
	}
	if r := e.do("GET", "/api/v1/events/cn-hu-2021/audit", e.token("checker", "cn-hu-2021"), nil); r.Status != 403 {
		t.Errorf("checker reads audit: %d", r.Status)
	}
}

// TestConcurrentActionsOnOneAgenda: organizers acting on different
// sessions of one event at once, with the schedule refresh running, never
// deadlock (on PostgreSQL every such transaction locks the event first)
// and every action succeeds.
func TestConcurrentActionsOnOneAgenda(t *testing.T) {
	e := newEnv(t)
	org := e.token("organizer", "")
	ag := e.agenda()
	ids := []int64{ag["opening"].ID, ag["showcase"].ID, ag["closing"].ID}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for w, id := range ids {
		wg.Add(1)
		go func(w int, id int64) {
			defer wg.Done()
			for i := 0; i < 6; i++ {
				minutes := 5
				if (i+w)%2 == 1 {
					minutes = -5
				}
				r := e.do("POST", fmt.Sprintf("/api/v1/sessions/%d/delay", id), org, map[string]int{"minutes": minutes})
				if r.Status != 200 {
					errs <- fmt.Sprintf("session %d delay: %d %s", id, r.Status, truncate(r.Body))
				}
			}
		}(w, id)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 6; i++ {
			if err := e.svc.RefreshSchedules(context.Background()); err != nil {
				errs <- "refresh: " + err.Error()
			}
		}
	}()
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
	// The log stayed gapless.
	for i, env := range e.logPage(0) {
		if env.Seq != int64(i+1) {
			t.Fatalf("log[%d] has seq %d", i, env.Seq)
		}
	}
}
