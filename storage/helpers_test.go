package storage_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/storage"
	"github.com/hybridcon/hybridcon/storage/storagetest"
)

func TestMain(m *testing.M) {
	fmt.Printf("storage tests on %s\n", storagetest.Backend())
	m.Run()
}

// slugs makes event slugs unique within one test binary run.
var slugs atomic.Int64

// day is a fixed conference day in UTC.
var day = time.Date(2021, 4, 23, 1, 0, 0, 0, time.UTC)

// ctxT returns a context that ends with the test.
// sqliteOnly skips t unless the tests run on SQLite.
func sqliteOnly(t *testing.T) {
	t.Helper()
	if storagetest.Backend() != storage.DialectSQLite {
		t.Skip("SQLite only")
	}
}

func ctxT(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mustEvent(t *testing.T, s *storage.Store) *app.Event {
	t.Helper()
	e := &app.Event{
		Slug:      fmt.Sprintf("ev-%d", slugs.Add(1)),
		Title:     app.Text{ZH: "中匈科技成果展", EN: "CN-HU Showcase", HU: "Kínai–magyar bemutató"},
		VenueTZ:   "Asia/Shanghai",
		ViewerTZs: []string{"Asia/Shanghai", "Europe/Budapest"},
		Languages: []string{"zh", "en", "hu"},
		StartsAt:  day,
		EndsAt:    day.Add(8 * time.Hour),
	}
	if err := s.CreateEvent(ctxT(t), e); err != nil {
		t.Fatalf("CreateEvent: %v", err)
	}
	st := &app.Stage{EventID: e.ID, Slug: "main", Name: app.Text{EN: "Main hall"}, Position: 1}
	if err := s.CreateStage(ctxT(t), st); err != nil {
		t.Fatalf("CreateStage: %v", err)
	}
	mainStages.Store(e.ID, st.ID)
	return e
}

// mainStages maps an event made by mustEvent to its stage "main".
var mainStages sync.Map

// onMain returns the id of the stage "main" of an event made by mustEvent.
func onMain(eventID int64) int64 {
	id, _ := mainStages.Load(eventID)
	n, _ := id.(int64)
	return n
}

func mustSession(t *testing.T, s *storage.Store, eventID int64) *app.Session {
	t.Helper()
	ses := &app.Session{
		EventID:      eventID,
		Title:        app.Text{EN: "Showcase"},
		Kind:         app.KindShowcase,
		Stage:        "main",
		StageID:      onMain(eventID),
		Mode:         app.ModeHybrid,
		PlannedStart: day.Add(time.Hour),
		PlannedEnd:   day.Add(3 * time.Hour),
		State:        "scheduled",
	}
	if err := s.CreateSession(ctxT(t), ses); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	return ses
}

func mustAchievement(t *testing.T, s *storage.Store, eventID int64, ref string) *app.Achievement {
	t.Helper()
	a := &app.Achievement{EventID: eventID, Ref: ref, Title: app.Text{EN: "Achievement " + ref}}
	if err := s.CreateAchievement(ctxT(t), a); err != nil {
		t.Fatalf("CreateAchievement: %v", err)
	}
	return a
}

func mustAttendee(t *testing.T, s *storage.Store, eventID int64, email string) *app.Attendee {
	t.Helper()
	a := &app.Attendee{EventID: eventID, Name: "Guest " + email, Email: email, Category: app.CategoryGuest}
	if err := s.CreateAttendee(ctxT(t), a); err != nil {
		t.Fatalf("CreateAttendee: %v", err)
	}
	return a
}

// insertCheckIn inserts a check-in row directly: the Repo has no check-in
// methods yet.
func insertCheckIn(t *testing.T, s *storage.Store, eventID int64, attendeeID any, scanID string, first bool) error {
	t.Helper()
	now := time.Now().UTC()
	return s.ExecForTest(ctxT(t),
		`INSERT INTO check_ins (event_id, attendee_id, gate, scan_id, scanned_at, received_at, result, source, "first")
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		eventID, attendeeID, "A", scanID, now, now, app.ResultCheckedIn, app.SourceOnline, first)
}

// wantCode fails t unless err carries the app error code want.
func wantCode(t *testing.T, err error, want string) {
	t.Helper()
	if got := app.ErrorCode(err); got != want {
		t.Fatalf("error code: got %q (%v), want %q", got, err, want)
	}
}

// wantAppError fails t unless err is an *app.Error with code and message.
func wantAppError(t *testing.T, err error, code, msg string) {
	t.Helper()
	var e *app.Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v (%T), want *app.Error %s %q", err, err, code, msg)
	}
	if e.Code != code || e.Message != msg {
		t.Fatalf("got %s %q, want %s %q", e.Code, e.Message, code, msg)
	}
}
