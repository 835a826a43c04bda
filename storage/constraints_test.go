package storage_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/storage/storagetest"
)

// TestConstraints checks that the rules the application relies on are
// enforced by the schema itself, whichever code writes.
func TestConstraints(t *testing.T) {
	s := storagetest.Open(t)
	ctx := ctxT(t)
	ev := mustEvent(t, s)
	other := mustEvent(t, s)

	t.Run("EventSlug", func(t *testing.T) {
		e := &app.Event{Slug: ev.Slug, StartsAt: day, EndsAt: day}
		wantAppError(t, s.CreateEvent(ctx, e), app.EConflict, `event slug "`+ev.Slug+`" is taken`)
		o := *other
		o.Slug = ev.Slug
		wantCode(t, s.UpdateEvent(ctx, &o), app.EConflict)
	})

	t.Run("AttendeeEmail", func(t *testing.T) {
		mustAttendee(t, s, ev.ID, "a@example.org")
		dup := &app.Attendee{EventID: ev.ID, Name: "Twin", Email: "a@example.org"}
		wantCode(t, s.CreateAttendee(ctx, dup), app.EConflict)
		// Another event may hold the same email; many may have none.
		mustAttendee(t, s, other.ID, "a@example.org")
		mustAttendee(t, s, ev.ID, "")
		mustAttendee(t, s, ev.ID, "")
	})

	t.Run("AttendeeExternalID", func(t *testing.T) {
		a := &app.Attendee{EventID: ev.ID, Name: "X", ExternalID: "REG-1"}
		if err := s.CreateAttendee(ctx, a); err != nil {
			t.Fatal(err)
		}
		b := &app.Attendee{EventID: ev.ID, Name: "Y", ExternalID: "REG-1"}
		wantCode(t, s.CreateAttendee(ctx, b), app.EConflict)
		c := &app.Attendee{EventID: other.ID, Name: "Z", ExternalID: "REG-1"}
		if err := s.CreateAttendee(ctx, c); err != nil {
			t.Fatalf("same external id in another event: %v", err)
		}
	})

	t.Run("AttendeeID", func(t *testing.T) {
		a := mustAttendee(t, s, ev.ID, "")
		b := &app.Attendee{ID: a.ID, EventID: ev.ID, Name: "Impostor"}
		wantCode(t, s.CreateAttendee(ctx, b), app.EConflict)
	})

	t.Run("OneFirstCheckInPerAttendee", func(t *testing.T) {
		a := mustAttendee(t, s, ev.ID, "")
		if err := insertCheckIn(t, s, ev.ID, a.ID, "scan-first-1", true); err != nil {
			t.Fatal(err)
		}
		wantCode(t, insertCheckIn(t, s, ev.ID, a.ID, "scan-first-2", true), app.EConflict)
		// Later scans that are not first are kept.
		for _, id := range []string{"scan-first-3", "scan-first-4"} {
			if err := insertCheckIn(t, s, ev.ID, a.ID, id, false); err != nil {
				t.Fatalf("second non-first scan: %v", err)
			}
		}
		// Rejected scans of unknown tickets have no attendee.
		for _, id := range []string{"scan-unknown-1", "scan-unknown-2"} {
			if err := insertCheckIn(t, s, ev.ID, nil, id, false); err != nil {
				t.Fatalf("scan without attendee: %v", err)
			}
		}
	})

	t.Run("ScanIDOncePerEvent", func(t *testing.T) {
		a := mustAttendee(t, s, ev.ID, "")
		b := mustAttendee(t, s, ev.ID, "")
		if err := insertCheckIn(t, s, ev.ID, a.ID, "scan-dup", false); err != nil {
			t.Fatal(err)
		}
		wantCode(t, insertCheckIn(t, s, ev.ID, b.ID, "scan-dup", false), app.EConflict)
		c := mustAttendee(t, s, other.ID, "")
		if err := insertCheckIn(t, s, other.ID, c.ID, "scan-dup", false); err != nil {
			t.Fatalf("same scan id in another event: %v", err)
		}
	})

	t.Run("LiveSeqOncePerEvent", func(t *testing.T) {
		env, err := s.AppendLive(ctx, ev.ID, app.TypeEventUpdated, nil)
		if err != nil {
			t.Fatal(err)
		}
		err = s.ExecForTest(ctx, "INSERT INTO live_entries (event_id, seq, type, at, data) VALUES (?, ?, ?, ?, ?)",
			ev.ID, env.Seq, app.TypeEventUpdated, time.Now().UTC(), "null")
		wantCode(t, err, app.EConflict)
	})

	t.Run("AchievementRef", func(t *testing.T) {
		mustAchievement(t, s, ev.ID, "CQ-01")
		dup := &app.Achievement{EventID: ev.ID, Ref: "CQ-01"}
		wantAppError(t, s.CreateAchievement(ctx, dup), app.EConflict, `achievement ref "CQ-01" already exists in this event`)
		mustAchievement(t, s, other.ID, "CQ-01")
		mustAchievement(t, s, ev.ID, "")
		mustAchievement(t, s, ev.ID, "")
	})

	t.Run("SlotPosition", func(t *testing.T) {
		ses := mustSession(t, s, ev.ID)
		a1 := mustAchievement(t, s, ev.ID, "")
		a2 := mustAchievement(t, s, ev.ID, "")
		slots := []app.Slot{{AchievementID: a1.ID, State: app.SlotPending}, {AchievementID: a2.ID, State: app.SlotPending}}
		if err := s.ReplaceSlots(ctx, ses.ID, slots); err != nil {
			t.Fatal(err)
		}
		moved := slots[1]
		moved.Position = 1
		wantCode(t, s.UpdateSlot(ctx, &moved), app.EConflict)
	})

	t.Run("TokenHash", func(t *testing.T) {
		tok := &app.Token{Kind: app.TokenAPI, Hash: "h-dup", Role: app.RoleAdmin}
		if err := s.CreateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		dup := &app.Token{Kind: app.TokenAPI, Hash: "h-dup", Role: app.RoleChecker}
		wantCode(t, s.CreateToken(ctx, dup), app.EConflict)
	})

	t.Run("Username", func(t *testing.T) {
		if err := s.CreateUser(ctx, &app.User{Username: "anna", Role: app.RoleAdmin}); err != nil {
			t.Fatal(err)
		}
		wantAppError(t, s.CreateUser(ctx, &app.User{Username: "anna", Role: app.RoleOrganizer}),
			app.EConflict, `username "anna" is taken`)
	})

	t.Run("ForeignKeys", func(t *testing.T) {
		wantAppError(t, s.CreateSession(ctx, &app.Session{EventID: 987654, StageID: onMain(ev.ID), State: "scheduled"}),
			app.ENotFound, fmt.Sprintf("event 987654 or stage %d not found", onMain(ev.ID)))
		wantCode(t, insertCheckIn(t, s, ev.ID, "no-such-attendee", "scan-fk", false), app.EConflict)
	})
}

// TestCascade checks that deleting an event deletes what cannot outlive it
// and keeps its audit trail.
func TestCascade(t *testing.T) {
	s := storagetest.Open(t)
	ctx := ctxT(t)
	ev := mustEvent(t, s)
	keep := mustEvent(t, s)
	for _, e := range []*app.Event{ev, keep} {
		ses := mustSession(t, s, e.ID)
		a := mustAchievement(t, s, e.ID, "R1")
		if err := s.ReplaceSlots(ctx, ses.ID, []app.Slot{{AchievementID: a.ID, State: app.SlotPending}}); err != nil {
			t.Fatal(err)
		}
		at := mustAttendee(t, s, e.ID, "x@example.org")
		if err := insertCheckIn(t, s, e.ID, at.ID, "s1", true); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateAnnouncement(ctx, &app.Announcement{EventID: e.ID, Text: app.Text{EN: "hi"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AppendLive(ctx, e.ID, app.TypeAnnouncement, map[string]int{"n": 1}); err != nil {
			t.Fatal(err)
		}
		id := e.ID
		if err := s.CreateUser(ctx, &app.User{Username: e.Slug, Role: app.RoleChecker, EventID: &id}); err != nil {
			t.Fatal(err)
		}
		if err := s.AddAudit(ctx, &app.AuditEntry{EventID: &id, Actor: "t", Action: "create"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.ExecForTest(ctx, "DELETE FROM events WHERE id = ?", ev.ID); err != nil {
		t.Fatalf("delete event: %v", err)
	}
	for table, want := range map[string]int64{
		"sessions": 1, "achievements": 1, "showcase_slots": 1, "attendees": 1, "check_ins": 1,
		"announcements": 1, "live_entries": 1, "users": 1, "audit_entries": 2,
	} {
		n, err := s.CountRowsForTest(ctx, table)
		if err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("%s after deleting one of two events: got %d rows, want %d", table, n, want)
		}
	}
}
