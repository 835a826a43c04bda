package storage_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/storage/storagetest"
)

func TestSession(t *testing.T) {
	s := storagetest.Open(t)
	ctx := ctxT(t)
	ev := mustEvent(t, s)

	t.Run("VersionConflict", func(t *testing.T) {
		ses := mustSession(t, s, ev.ID)
		if ses.Version != 1 {
			t.Fatalf("new session version: got %d, want 1", ses.Version)
		}
		a, b := *ses, *ses
		a.State = "live"
		if err := s.UpdateSession(ctx, &a); err != nil {
			t.Fatal(err)
		}
		if a.Version != 2 {
			t.Fatalf("version after update: got %d, want 2", a.Version)
		}
		b.State = "cancelled"
		wantAppError(t, s.UpdateSession(ctx, &b), app.EConflict, "session "+itoa(ses.ID)+" changed meanwhile")
		if b.Version != 1 {
			t.Fatalf("a failed update changed the version: got %d", b.Version)
		}
		got, err := s.SessionByID(ctx, ses.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != "live" || got.Version != 2 {
			t.Fatalf("stored: got state %q version %d, want live 2", got.State, got.Version)
		}
		missing := app.Session{ID: 999999, Version: 1}
		wantAppError(t, s.UpdateSession(ctx, &missing), app.ENotFound, "session 999999 not found")
	})

	t.Run("WritesZeroValues", func(t *testing.T) {
		ses := mustSession(t, s, ev.ID)
		at := day.Add(time.Hour)
		ses.FixedStart = true
		ses.ActualStart, ses.PausedAt = &at, &at
		ses.PausedSeconds = 30
		ses.StreamLinks = map[string]string{"cn": "https://live.example.cn/1", "default": "https://example.org/1"}
		if err := s.UpdateSession(ctx, ses); err != nil {
			t.Fatal(err)
		}
		ses.FixedStart = false
		ses.PausedAt = nil
		ses.PausedSeconds = 0
		ses.Title = app.Text{}
		ses.StreamLinks = nil
		if err := s.UpdateSession(ctx, ses); err != nil {
			t.Fatal(err)
		}
		got, err := s.SessionByID(ctx, ses.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.FixedStart || got.PausedAt != nil || got.PausedSeconds != 0 || !got.Title.Empty() || len(got.StreamLinks) != 0 {
			t.Fatalf("zero values not written: got %+v", got)
		}
		if got.ActualStart == nil || !got.ActualStart.Equal(at) || got.Version != 3 {
			t.Fatalf("got actual start %v version %d, want %v 3", got.ActualStart, got.Version, at)
		}
	})

	t.Run("TimesInUTC", func(t *testing.T) {
		shanghai, err := time.LoadLocation("Asia/Shanghai")
		if err != nil {
			t.Skipf("no time zone data: %v", err)
		}
		start := time.Date(2021, 4, 23, 14, 30, 15, 123456789, shanghai)
		paused := start.Add(10 * time.Minute)
		ev := mustEvent(t, s) // a stage of its own: one running session per stage
		ses := &app.Session{EventID: ev.ID, StageID: onMain(ev.ID), State: "paused", PlannedStart: start, PlannedEnd: start.Add(time.Hour), PausedAt: &paused}
		if err := s.CreateSession(ctx, ses); err != nil {
			t.Fatal(err)
		}
		got, err := s.SessionByID(ctx, ses.ID)
		if err != nil {
			t.Fatal(err)
		}
		wantStart := start.Truncate(time.Microsecond)
		for name, tm := range map[string]time.Time{"planned start": got.PlannedStart, "paused at": *got.PausedAt} {
			if tm.Location() != time.UTC {
				t.Errorf("%s: got location %v, want UTC", name, tm.Location())
			}
		}
		if !got.PlannedStart.Equal(wantStart) || !got.PausedAt.Equal(paused.Truncate(time.Microsecond)) {
			t.Fatalf("times: got %v / %v, want %v / %v", got.PlannedStart, got.PausedAt, wantStart, paused)
		}
	})

	t.Run("Text", func(t *testing.T) {
		title := app.Text{
			ZH: "中国（重庆）—匈牙利科技创新成果展示暨签约仪式",
			EN: "China (Chongqing)–Hungary innovation showcase",
			HU: "Árvíztűrő tükörfúrógép: kínai–magyar innovációs bemutató ŐŰőű",
		}
		ses := &app.Session{EventID: ev.ID, StageID: onMain(ev.ID), Title: title, State: "scheduled", PlannedStart: day, PlannedEnd: day}
		if err := s.CreateSession(ctx, ses); err != nil {
			t.Fatal(err)
		}
		got, err := s.SessionByID(ctx, ses.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Title != title {
			t.Fatalf("Title: got %+v, want %+v", got.Title, title)
		}
		ann := &app.Announcement{EventID: ev.ID, Text: title, Pinned: true, Author: "szervező"}
		if err := s.CreateAnnouncement(ctx, ann); err != nil {
			t.Fatal(err)
		}
		anns, err := s.ListAnnouncements(ctx, ev.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(anns) != 1 || !reflect.DeepEqual(anns[0], *ann) {
			t.Fatalf("announcement: got %+v, want %+v", anns, *ann)
		}
	})

	t.Run("List", func(t *testing.T) {
		other := mustEvent(t, s)
		late := &app.Session{EventID: other.ID, StageID: onMain(other.ID), State: "scheduled", PlannedStart: day.Add(5 * time.Hour), PlannedEnd: day.Add(6 * time.Hour)}
		early := &app.Session{EventID: other.ID, StageID: onMain(other.ID), State: "scheduled", PlannedStart: day, PlannedEnd: day.Add(time.Hour)}
		for _, ses := range []*app.Session{late, early} {
			if err := s.CreateSession(ctx, ses); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.ListSessions(ctx, other.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].ID != early.ID || got[1].ID != late.ID {
			t.Fatalf("ListSessions: got %+v, want early then late", got)
		}
	})
}

func TestSlots(t *testing.T) {
	s := storagetest.Open(t)
	ctx := ctxT(t)
	ev := mustEvent(t, s)
	ses := mustSession(t, s, ev.ID)
	second := mustSession(t, s, ev.ID)
	var achs []*app.Achievement
	for _, ref := range []string{"A", "B", "C"} {
		achs = append(achs, mustAchievement(t, s, ev.ID, ref))
	}
	slots := []app.Slot{
		{AchievementID: achs[2].ID, PlannedSeconds: 300, State: app.SlotPending, Position: 9},
		{AchievementID: achs[0].ID, PlannedSeconds: 240, State: app.SlotPending},
	}
	if err := s.ReplaceSlots(ctx, ses.ID, slots); err != nil {
		t.Fatal(err)
	}
	for i, sl := range slots {
		if sl.ID == 0 || sl.Position != i+1 || sl.SessionID != ses.ID {
			t.Fatalf("slot %d after ReplaceSlots: got %+v, want an id, position %d, session %d", i, sl, i+1, ses.ID)
		}
	}
	// Replace again: the old slots go.
	slots = []app.Slot{
		{AchievementID: achs[1].ID, PlannedSeconds: 120, State: app.SlotPending},
		{AchievementID: achs[2].ID, PlannedSeconds: 300, State: app.SlotPending},
		{AchievementID: achs[0].ID, PlannedSeconds: 240, State: app.SlotPending},
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

	start := day.Add(2 * time.Hour)
	cur := got[0]
	cur.State, cur.ActualStart, cur.PauseBaseSeconds = app.SlotPresenting, &start, 45
	if err := s.UpdateSlot(ctx, &cur); err != nil {
		t.Fatal(err)
	}
	if err := s.ReplaceSlots(ctx, second.ID, []app.Slot{{AchievementID: achs[1].ID, State: app.SlotPending}}); err != nil {
		t.Fatal(err)
	}
	all, err := s.ListEventSlots(ctx, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 4 || !reflect.DeepEqual(all[0], cur) || all[3].SessionID != second.ID {
		t.Fatalf("ListEventSlots: got %+v", all)
	}

	wantAppError(t, s.UpdateSlot(ctx, &app.Slot{ID: 999999, SessionID: ses.ID, AchievementID: achs[0].ID, Position: 50}),
		app.ENotFound, "slot 999999 not found")
	wantCode(t, s.DeleteAchievement(ctx, achs[1].ID), app.EConflict)
	wantCode(t, s.ReplaceSlots(ctx, ses.ID, []app.Slot{{AchievementID: 999999}}), app.ENotFound)
	if got, _ := s.ListSlots(ctx, ses.ID); len(got) != 3 {
		t.Fatalf("a failed ReplaceSlots changed the showcase: %d slots, want 3", len(got))
	}
	if err := s.ReplaceSlots(ctx, ses.ID, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ListSlots(ctx, ses.ID); len(got) != 0 {
		t.Fatalf("ReplaceSlots(nil): %d slots left", len(got))
	}
}

func TestAchievement(t *testing.T) {
	s := storagetest.Open(t)
	ctx := ctxT(t)
	ev := mustEvent(t, s)
	a := mustAchievement(t, s, ev.ID, "GS-3")
	a.Title = app.Text{ZH: "甘肃", EN: "Gansu", HU: "Kanszu"}
	a.Sample = true
	a.Contact = ""
	if err := s.UpdateAchievement(ctx, a); err != nil {
		t.Fatal(err)
	}
	got, err := s.AchievementByID(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, a) {
		t.Fatalf("AchievementByID:\n got %+v\nwant %+v", got, a)
	}
	list, err := s.ListAchievements(ctx, ev.ID)
	if err != nil || len(list) != 1 {
		t.Fatalf("ListAchievements: got %d, %v", len(list), err)
	}
	if err := s.DeleteAchievement(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	wantAppError(t, s.DeleteAchievement(ctx, a.ID), app.ENotFound, "achievement "+itoa(a.ID)+" not found")
	wantAppError(t, s.UpdateAchievement(ctx, a), app.ENotFound, "achievement "+itoa(a.ID)+" not found")
}
