package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hybridcon/hybridcon/app"
)

// maxShowcaseFrame bounds the showcase.updated frame of the demo's
// 27-item showcase. With achievements embedded in every slot it was
// ≈36 KiB; slim it is ≈3.5 KiB (docs/api.md "Live updates").
const maxShowcaseFrame = 4 << 10

// logOf returns the durable envelopes after seq of the given type.
func (e *env) logOf(since int64, typ string) []app.Envelope {
	e.t.Helper()
	var out []app.Envelope
	for _, env := range e.logPage(since) {
		if env.Type == typ {
			out = append(out, env)
		}
	}
	return out
}

// TestShowcaseFrameSize: every showcase.updated an advance sends for the
// demo showcase is a few KiB, names achievements by id only and carries
// the presenting and next slots whole. It logs the size beside that of
// the same run-of-show with its achievements embedded (the frame before
// the live envelopes were slimmed).
func TestShowcaseFrameSize(t *testing.T) {
	e := newEnv(t)
	org := e.token("organizer", "")
	show := e.agenda()["showcase"]
	sid := fmt.Sprintf("/api/v1/sessions/%d", show.ID)
	seq := e.liveRows()
	e.mustOK(e.do("POST", sid+"/start", org, nil), "start")
	for i := 0; i < 5; i++ {
		sc := e.showcase(show.ID)
		e.mustOK(e.do("POST", sid+"/showcase/advance", org, map[string]int64{"expected_slot_id": sc.Current.ID}), "advance")
	}
	frames := e.logOf(seq, app.TypeShowcaseUpdated)
	if len(frames) != 6 {
		t.Fatalf("%d showcase.updated envelopes, want 6", len(frames))
	}
	for i, env := range frames {
		frame, err := json.Marshal(env)
		if err != nil {
			t.Fatal(err)
		}
		if len(frame) > maxShowcaseFrame {
			t.Errorf("frame %d is %d bytes, want at most %d", i, len(frame), maxShowcaseFrame)
		}
		var data map[string]json.RawMessage
		if err := json.Unmarshal(env.Data, &data); err != nil {
			t.Fatal(err)
		}
		if got := slices.Sorted(maps.Keys(data)); !slices.Equal(got, []string{"current", "next", "session_id", "slots"}) {
			t.Errorf("frame %d has keys %v; want session_id, slots, current, next (no achievements: nothing in the catalogue changed)", i, got)
		}
		var rows []map[string]json.RawMessage
		_ = json.Unmarshal(data["slots"], &rows)
		if len(rows) != 27 {
			t.Fatalf("frame %d has %d slots", i, len(rows))
		}
		for _, r := range rows {
			if got := slices.Sorted(maps.Keys(r)); !slices.Equal(got, []string{"achievement_id", "expected_start", "id", "position", "state"}) {
				t.Fatalf("frame %d: a slot row has keys %v", i, got)
			}
		}
		var ls app.LiveShowcase
		if err := json.Unmarshal(env.Data, &ls); err != nil {
			t.Fatal(err)
		}
		if ls.SessionID != show.ID || ls.Current == nil || ls.Next == nil || ls.Current.Achievement != nil || ls.Next.Achievement != nil ||
			ls.Current.PlannedEnd.IsZero() || ls.Current.ExpectedEnd.IsZero() || ls.Next.PlannedStart.IsZero() {
			t.Errorf("frame %d: session %d, current %+v, next %+v; want both whole, without achievement", i, ls.SessionID, ls.Current, ls.Next)
		}
	}

	// The same run-of-show with every achievement embedded, in an
	// envelope with the same head: what the frame used to be.
	last := frames[len(frames)-1]
	full := e.do("GET", sid+"/showcase", "", nil)
	old := last
	old.Data = bytes.TrimSpace(full.Body)
	oldFrame, _ := json.Marshal(old)
	newFrame, _ := json.Marshal(last)
	t.Logf("showcase.updated for the demo's 27 items: %d bytes (with embedded achievements: %d bytes)", len(newFrame), len(oldFrame))
	if len(newFrame)*5 > len(oldFrame) {
		t.Errorf("the slim frame (%d bytes) is not a fifth of the embedded one (%d bytes)", len(newFrame), len(oldFrame))
	}
}

// liveModel is what a client keeps of the live state's run-of-shows: the
// rows of each and a map of achievements, filled by the snapshot and by
// the achievements envelopes carry.
type liveModel struct {
	achievements map[int64]app.Achievement
	showcases    map[int64]app.LiveShowcase
	// catalogue fetches the catalogue a snapshot names, as a page does.
	catalogue func(version string) []app.Achievement
	// programme fills in the programme a snapshot names, as a page does.
	programme func(st *app.LiveState)
}

func (m *liveModel) apply(t *testing.T, env app.Envelope) {
	t.Helper()
	switch env.Type {
	case app.TypeSnapshot:
		var st app.LiveState
		if err := json.Unmarshal(env.Data, &st); err != nil {
			t.Fatal(err)
		}
		m.programme(&st)
		m.achievements, m.showcases = map[int64]app.Achievement{}, map[int64]app.LiveShowcase{}
		for _, a := range m.catalogue(st.Catalogue) {
			if _, dup := m.achievements[a.ID]; dup {
				t.Errorf("the catalogue lists achievement %d twice", a.ID)
			}
			m.achievements[a.ID] = a
		}
		for _, sc := range st.Showcases {
			m.put(sc)
		}
	case app.TypeShowcaseUpdated:
		var sc app.LiveShowcase
		if err := json.Unmarshal(env.Data, &sc); err != nil {
			t.Fatal(err)
		}
		m.put(sc)
	case app.TypeScheduleShifted:
		var sh app.ScheduleShift
		if err := json.Unmarshal(env.Data, &sh); err != nil {
			t.Fatal(err)
		}
		for _, sc := range sh.Showcases {
			if len(sc.Achievements) > 0 {
				t.Errorf("schedule.shifted carries achievements %v", sc.Achievements)
			}
			m.put(sc)
		}
	}
}

func (m *liveModel) put(sc app.LiveShowcase) {
	for _, a := range sc.Achievements {
		m.achievements[a.ID] = a
	}
	sc.Achievements = nil
	m.showcases[sc.SessionID] = sc
}

// check compares the model with what the REST run-of-show of each
// showcase session says, achievement contents included.
func (m *liveModel) check(t *testing.T, e *env, when string) {
	t.Helper()
	for id, ls := range m.showcases {
		rest := e.showcase(id)
		if len(rest.Slots) != len(ls.Slots) {
			t.Errorf("%s: session %d has %d rows, REST %d slots", when, id, len(ls.Slots), len(rest.Slots))
			continue
		}
		for i, row := range ls.Slots {
			sl := rest.Slots[i]
			if row.ID != sl.ID || row.AchievementID != sl.AchievementID || row.Position != sl.Position || row.State != sl.State ||
				!row.ExpectedStart.Equal(sl.ExpectedStart) {
				t.Errorf("%s: session %d row %d is %+v, REST slot %+v", when, id, i, row, sl)
			}
			if row.AchievementID == 0 {
				// A free item carries its own text, as the REST item does.
				if row.Title == nil || sl.Title == nil || *row.Title != *sl.Title || row.Presenter != sl.Presenter || row.PresenterMode != sl.PresenterMode {
					t.Errorf("%s: session %d free row %d is %+v, REST %+v", when, id, i, row, sl)
				}
				continue
			}
			a, ok := m.achievements[row.AchievementID]
			if !ok {
				t.Errorf("%s: session %d row %d names achievement %d the client does not have", when, id, i, row.AchievementID)
				continue
			}
			if b := *sl.Achievement; a.Title != b.Title || a.Institution != b.Institution || a.Presenter != b.Presenter || !a.UpdatedAt.Equal(b.UpdatedAt) {
				t.Errorf("%s: the client's achievement %d is %+v, REST %+v", when, a.ID, a, b)
			}
		}
		same := func(a *app.Slot, b *app.Slot) bool {
			if a == nil || b == nil {
				return a == nil && b == nil
			}
			return a.ID == b.ID && a.State == b.State && a.ExpectedStart.Equal(b.ExpectedStart) && a.ExpectedEnd.Equal(b.ExpectedEnd) &&
				a.PlannedStart.Equal(b.PlannedStart) && a.PlannedEnd.Equal(b.PlannedEnd)
		}
		if !same(ls.Current, rest.Current) || !same(ls.Next, rest.Next) {
			t.Errorf("%s: session %d current/next %+v %+v, REST %+v %+v", when, id, ls.Current, ls.Next, rest.Current, rest.Next)
		}
	}
}

// TestLiveShowcaseKeepsClientsWhole: a client that starts from the
// snapshot and applies every envelope after it — each twice, as a
// replay would — always has every achievement its run-of-shows name,
// with the catalogue's current content: through advances, catalogue edits
// (PATCH and CSV import) and a run-of-show replaced with an achievement
// created after the snapshot. Only the envelopes that can bring an
// achievement a client lacks carry any, and only those.
func TestLiveShowcaseKeepsClientsWhole(t *testing.T) {
	e := newEnv(t)
	clk := &clock{}
	clk.Set(time.Now())
	e.svc.Now = clk.Now
	org := e.token("organizer", "")
	show := e.agenda()["showcase"]
	sid := fmt.Sprintf("/api/v1/sessions/%d", show.ID)

	snap := e.do("GET", "/api/v1/events/cn-hu-2021/live", "", nil)
	var first app.Envelope
	if err := json.Unmarshal(snap.Body, &first); err != nil {
		t.Fatal(err)
	}
	var st app.LiveState
	_ = json.Unmarshal(first.Data, &st)
	e.fillProgramme("cn-hu-2021", &st)
	catalogue := func(version string) []app.Achievement {
		t.Helper()
		r := e.do("GET", "/api/v1/events/cn-hu-2021/catalogue?v="+version, "", nil)
		var c app.Catalogue
		if err := json.Unmarshal(r.Body, &c); err != nil || r.Status != 200 || c.Version != version {
			t.Fatalf("catalogue %s: %d %.200s (err %v)", version, r.Status, r.Body, err)
		}
		return c.Achievements
	}
	if n := len(catalogue(st.Catalogue)); n != 27 || len(st.Showcases) != 3 {
		t.Fatalf("snapshot: a catalogue of %d achievements, %d run-of-shows; want the demo's 27 and 3 (showcase, forum, panel)", n, len(st.Showcases))
	}
	if bytes.Contains(first.Data, []byte(`"achievement":`)) || bytes.Contains(first.Data, []byte(`"achievements":`)) {
		t.Error("the snapshot embeds achievements")
	}
	m := &liveModel{catalogue: catalogue, programme: func(st *app.LiveState) { e.fillProgramme("cn-hu-2021", st) }}
	m.apply(t, first)
	m.check(t, e, "snapshot")
	seq := first.Seq
	step := func(what string, wantAchievements ...int64) {
		t.Helper()
		envs := e.logPage(seq)
		var got []int64
		for _, env := range envs {
			m.apply(t, env)
			m.apply(t, env) // idempotent
			seq = env.Seq
			if env.Type == app.TypeShowcaseUpdated {
				var sc app.LiveShowcase
				_ = json.Unmarshal(env.Data, &sc)
				for _, a := range sc.Achievements {
					got = append(got, a.ID)
				}
			}
		}
		slices.Sort(got)
		slices.Sort(wantAchievements)
		if !slices.Equal(got, wantAchievements) {
			t.Errorf("%s: showcase.updated carried achievements %v, want %v", what, got, wantAchievements)
		}
		m.check(t, e, what)
	}

	e.mustOK(e.do("POST", sid+"/start", org, nil), "start")
	step("start")
	for i := 0; i < 3; i++ {
		clk.Set(clk.Now().Add(4 * time.Minute))
		sc := e.showcase(show.ID)
		e.mustOK(e.do("POST", sid+"/showcase/advance", org, map[string]int64{"expected_slot_id": sc.Current.ID}), "advance")
		step("advance")
	}
	sc := e.showcase(show.ID)
	e.mustOK(e.do("POST", sid+"/showcase/skip", org, map[string]int64{"slot_id": sc.Next.ID}), "skip")
	step("skip")

	// A catalogue edit of the presenting item reaches the client.
	cur := sc.Current.Achievement
	e.mustOK(e.do("PATCH", fmt.Sprintf("/api/v1/achievements/%d", cur.ID), org, map[string]any{"title": map[string]string{"en": "Renamed on stage"}}), "patch")
	step("patch", cur.ID)
	if m.achievements[cur.ID].Title.EN != "Renamed on stage" {
		t.Errorf("the client's achievement %d is titled %q", cur.ID, m.achievements[cur.ID].Title.EN)
	}

	// An import that changes one used item and adds an unused one sends
	// only the changed one.
	last := sc.Slots[26].Achievement
	csv := fmt.Sprintf("ref,title_en\n%s,Imported title\nNEW-1,Not on any run-of-show\n", last.Ref)
	if r := e.postCSV("/api/v1/events/cn-hu-2021/achievements/import", org, csv); r.Status != 200 {
		t.Fatalf("import: %d %s", r.Status, r.Body)
	}
	step("import", last.ID)

	// A second showcase session whose run-of-show is set to an
	// achievement created after the snapshot and one the client has:
	// only the new one comes along.
	r := e.do("POST", "/api/v1/events/cn-hu-2021/achievements", org, map[string]any{"ref": "LATE-1", "title": map[string]string{"en": "Late entry"}})
	e.mustOK(r, "create achievement")
	var late app.Achievement
	_ = json.Unmarshal(r.Body, &late)
	start := clk.Now().Add(48 * time.Hour).Truncate(time.Minute)
	r = e.do("POST", "/api/v1/events/cn-hu-2021/sessions", org, map[string]any{"title": map[string]string{"en": "Encore"}, "kind": "showcase",
		"stage": "forum", "planned_start": start, "planned_end": start.Add(time.Hour)})
	e.mustOK(r, "create session")
	var encore app.Session
	_ = json.Unmarshal(r.Body, &encore)
	step("create session")
	e.mustOK(e.do("PUT", fmt.Sprintf("/api/v1/sessions/%d/showcase", encore.ID), org, map[string]any{"slots": []map[string]int64{
		{"achievement_id": late.ID, "planned_seconds": 600}, {"achievement_id": cur.ID, "planned_seconds": 600}}}), "set showcase")
	step("set showcase", late.ID)
	if _, ok := m.showcases[encore.ID]; !ok {
		t.Fatal("the client did not learn the new run-of-show")
	}

	// A fresh snapshot agrees with the client that followed along.
	snap = e.do("GET", "/api/v1/events/cn-hu-2021/live", "", nil)
	var again app.Envelope
	_ = json.Unmarshal(snap.Body, &again)
	fresh := &liveModel{catalogue: catalogue, programme: m.programme}
	fresh.apply(t, again)
	fresh.check(t, e, "second snapshot")
	for id, a := range m.achievements {
		if f, ok := fresh.achievements[id]; !ok || f.Title != a.Title {
			t.Errorf("the client's achievement %d (%q) is not the fresh catalogue's (%q)", id, a.Title.EN, f.Title.EN)
		}
	}
	if _, ok := fresh.achievements[late.ID]; !ok || len(fresh.achievements) != 29 {
		t.Errorf("the fresh catalogue lists %d achievements (late one: %v); want all 29 (the demo's 27, the late one, the imported one)", len(fresh.achievements), ok)
	}
	if strings.Contains(string(again.Data), "Not on any run-of-show") {
		t.Error("the snapshot carries an achievement no run-of-show uses")
	}
}
