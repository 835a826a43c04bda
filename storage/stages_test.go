package storage_test

import (
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/storage"
	"github.com/hybridcon/hybridcon/storage/storagetest"
)

func TestStages(t *testing.T) {
	s := storagetest.Open(t)
	ctx := ctxT(t)
	ev := mustEvent(t, s)
	forum := &app.Stage{EventID: ev.ID, Slug: "forum", Name: app.Text{ZH: "论坛", EN: "Forum", HU: "Fórum"}, Position: 2,
		StreamLinks: map[string]string{"cn": "https://live.example.com/forum/cn"}}
	if err := s.CreateStage(ctx, forum); err != nil {
		t.Fatal(err)
	}
	t.Run("ListAndGet", func(t *testing.T) {
		list, err := s.ListStages(ctx, ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].Slug != "main" || list[1].Slug != "forum" {
			t.Fatalf("ListStages: got %+v, want main then forum", list)
		}
		got, err := s.StageBySlug(ctx, ev.ID, "forum")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(*got, *forum) {
			t.Fatalf("StageBySlug:\n got %+v\nwant %+v", *got, *forum)
		}
		_, err = s.StageBySlug(ctx, ev.ID, "nope")
		wantCode(t, err, app.ENotFound)
	})
	t.Run("ErrSlugTaken", func(t *testing.T) {
		wantCode(t, s.CreateStage(ctx, &app.Stage{EventID: ev.ID, Slug: "forum", Name: app.Text{EN: "x"}}), app.EConflict)
	})
	t.Run("Update", func(t *testing.T) {
		forum.Name.EN, forum.Position = "Forum room", 5
		forum.StreamLinks = map[string]string{"default": "https://live.example.com/forum"}
		if err := s.UpdateStage(ctx, forum); err != nil {
			t.Fatal(err)
		}
		got, _ := s.StageBySlug(ctx, ev.ID, "forum")
		if got.Name.EN != "Forum room" || got.Position != 5 || got.StreamLinks["default"] == "" || got.StreamLinks["cn"] != "" {
			t.Fatalf("after UpdateStage: %+v", got)
		}
	})
	t.Run("ErrDeleteUsed", func(t *testing.T) {
		ses := mustSession(t, s, ev.ID)
		wantCode(t, s.DeleteStage(ctx, onMain(ev.ID)), app.EConflict)
		got, err := s.SessionByID(ctx, ses.ID)
		if err != nil || got.Stage != "main" || got.StageID != onMain(ev.ID) {
			t.Fatalf("session after a refused delete: %+v %v", got, err)
		}
		if err := s.DeleteStage(ctx, forum.ID); err != nil {
			t.Fatal(err)
		}
		wantCode(t, s.DeleteStage(ctx, forum.ID), app.ENotFound)
	})
}

// TestOneRunningSessionPerStage: the schema refuses a second live or
// paused session on a stage, whatever writes it.
func TestOneRunningSessionPerStage(t *testing.T) {
	s := storagetest.Open(t)
	ctx := ctxT(t)
	ev := mustEvent(t, s)
	a, b := mustSession(t, s, ev.ID), mustSession(t, s, ev.ID)
	a.State = app.StateLive
	if err := s.UpdateSession(ctx, a); err != nil {
		t.Fatal(err)
	}
	b.State = app.StatePaused
	wantAppError(t, s.UpdateSession(ctx, b), app.EConflict, `another session is already live or paused on stage "main"`)
	b.State = app.StateEnded
	if err := s.UpdateSession(ctx, b); err != nil {
		t.Fatalf("an ended session beside a live one: %v", err)
	}
}

func TestSlotsKeepIDsAndFreeItems(t *testing.T) {
	s := storagetest.Open(t)
	ctx := ctxT(t)
	ev := mustEvent(t, s)
	ses := mustSession(t, s, ev.ID)
	ach := mustAchievement(t, s, ev.ID, "A")
	title := app.Text{ZH: "开场", EN: "Opening talk", HU: "Nyitó előadás"}
	slots := []app.Slot{
		{AchievementID: ach.ID, PlannedSeconds: 300, State: app.SlotPending},
		{Title: &title, Presenter: "Kovács Anna", PresenterMode: app.PresenterRemote, PlannedSeconds: 600, State: app.SlotPending},
	}
	if err := s.ReplaceSlots(ctx, ses.ID, slots); err != nil {
		t.Fatal(err)
	}
	got, err := s.ListSlots(ctx, ses.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, slots) {
		t.Fatalf("ListSlots:\n got %+v\nwant %+v", got, slots)
	}
	// Reorder, keep both, add one: the kept ones keep their ids.
	other := app.Text{EN: "Questions"}
	again := []app.Slot{
		{ID: slots[1].ID, Title: &title, Presenter: "Kovács Anna", PresenterMode: app.PresenterRemote, PlannedSeconds: 900, State: app.SlotPending},
		{Title: &other, PresenterMode: app.PresenterOnsite, PlannedSeconds: 120, State: app.SlotPending},
		{ID: slots[0].ID, AchievementID: ach.ID, PlannedSeconds: 300, State: app.SlotPending},
	}
	if err := s.ReplaceSlots(ctx, ses.ID, again); err != nil {
		t.Fatal(err)
	}
	got, _ = s.ListSlots(ctx, ses.ID)
	if !reflect.DeepEqual(got, again) || got[0].ID != slots[1].ID || got[2].ID != slots[0].ID || got[1].Position != 2 {
		t.Fatalf("after reordering:\n got %+v\nwant %+v", got, again)
	}
	t.Run("ErrForeignItem", func(t *testing.T) {
		ses2 := mustSession(t, s, ev.ID)
		wantCode(t, s.ReplaceSlots(ctx, ses2.ID, []app.Slot{{ID: again[0].ID, Title: &title, State: app.SlotPending}}), app.ENotFound)
	})
	t.Run("ErrItemWithoutTitle", func(t *testing.T) {
		err := s.ExecForTest(ctx, `INSERT INTO showcase_slots (session_id, position, state) VALUES (?, ?, ?)`, ses.ID, 99, app.SlotPending)
		if err == nil {
			t.Fatal("an item with neither achievement nor title was stored")
		}
	})
}

// TestMigrateStages: a database as the binary of schema 3 left it, with
// sessions naming stages by free text (two live on one), moves to stages.
func TestMigrateStages(t *testing.T) {
	o := storagetest.NewOptions(t)
	o.NoMigrate = true
	ctx := ctxT(t)
	s, err := storage.Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.MigrateToForTest(ctx, 3); err != nil {
		t.Fatal(err)
	}
	insertEvent := func(slug string) int64 {
		t.Helper()
		if err := s.ExecForTest(ctx, `INSERT INTO events (slug, title_en, venue_tz, viewer_tzs, languages,
			starts_at, ends_at, private_key, public_key, epoch, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			slug, "Old", "Asia/Shanghai", `["Asia/Shanghai"]`, `["en"]`, day, day.Add(time.Hour), []byte("k"), "cHVi", "e1", day, day); err != nil {
			t.Fatal(err)
		}
		e, err := s.EventBySlug(ctx, slug)
		if err != nil {
			t.Fatal(err)
		}
		return e.ID
	}
	evID := insertEvent("old-stages")
	empty := insertEvent("old-empty")
	type old struct{ stage, state string }
	olds := []old{{"main", "ended"}, {"Hall B", "live"}, {"", "scheduled"}, {"hall-b", "scheduled"}, {"Hall B", "paused"}, {"main", "live"}}
	for i, o := range olds {
		start := day.Add(time.Duration(i) * time.Minute)
		if err := s.ExecForTest(ctx, `INSERT INTO sessions (event_id, title_en, kind, stage, mode, planned_start, planned_end, state, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, evID, "S", "panel", o.stage, "hybrid", start, start.Add(time.Hour), o.state, day, day); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.ExecForTest(ctx, `INSERT INTO achievements (event_id, ref, title_en, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`, evID, "A1", "A", day, day); err != nil {
		t.Fatal(err)
	}
	before, err := s.ListAchievements(ctx, evID)
	if err != nil || len(before) != 1 {
		t.Fatal(err)
	}
	if err := s.ExecForTest(ctx, `INSERT INTO showcase_slots (session_id, achievement_id, position, planned_seconds, state)
		SELECT id, ?, 1, 300, 'pending' FROM sessions WHERE event_id = ? AND stage = 'main' AND state = 'live'`, before[0].ID, evID); err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}

	stages, err := s.ListStages(ctx, evID)
	if err != nil {
		t.Fatal(err)
	}
	var slugs []string
	for _, st := range stages {
		slugs = append(slugs, st.Slug+"="+st.Name.EN)
	}
	// By first planned use; "" gets main's name; "hall-b" collides with
	// "Hall B"; the second running session of "Hall B" gets a stage of its own.
	want := []string{"main=main", "hall-b=Hall B", "main-2=Main hall", "hall-b-2=hall-b", "hall-b-3=Hall B (2)"}
	if !reflect.DeepEqual(slugs, want) {
		t.Fatalf("stages: got %v, want %v", slugs, want)
	}
	sessions, err := s.ListSessions(ctx, evID)
	if err != nil {
		t.Fatal(err)
	}
	var on []string
	for _, se := range sessions {
		on = append(on, se.Stage)
	}
	if want := []string{"main", "hall-b", "main-2", "hall-b-2", "hall-b-3", "main"}; !reflect.DeepEqual(on, want) {
		t.Fatalf("sessions' stages: got %v, want %v", on, want)
	}
	if st, err := s.ListStages(ctx, empty); err != nil || len(st) != 1 || st[0].Slug != "main" {
		t.Fatalf("an event without sessions: stages %+v %v, want main", st, err)
	}
	// The old slot is still there with its id; new ones get larger ids.
	slots, err := s.ListEventSlots(ctx, evID)
	if err != nil || len(slots) != 1 || slots[0].AchievementID != before[0].ID {
		t.Fatalf("slots after the migration: %+v %v", slots, err)
	}
	title := app.Text{EN: "Free item"}
	more := []app.Slot{slots[0], {Title: &title, PlannedSeconds: 60, State: app.SlotPending}}
	if err := s.ReplaceSlots(ctx, slots[0].SessionID, more); err != nil {
		t.Fatal(err)
	}
	if more[0].ID != slots[0].ID || more[1].ID <= slots[0].ID {
		t.Fatalf("ids after the migration: kept %d (want %d), new %d", more[0].ID, slots[0].ID, more[1].ID)
	}
	// The old stage column is gone.
	if err := s.ExecForTest(ctx, "UPDATE sessions SET stage = ?", "x"); err == nil {
		t.Error("the old stage column is still there")
	}
	ids := make([]int64, len(stages))
	for i, st := range stages {
		ids[i] = st.ID
	}
	if !sort.SliceIsSorted(ids, func(i, j int) bool { return ids[i] < ids[j] }) {
		t.Errorf("stage ids not in position order: %v", ids)
	}
}
