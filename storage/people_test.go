package storage_test

import (
	"encoding/json"
	"reflect"
	"regexp"
	"testing"
	"time"

	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/storage"
	"github.com/hybridcon/hybridcon/storage/storagetest"
)

func TestAttendee(t *testing.T) {
	s := storagetest.Open(t)
	ctx := ctxT(t)
	ev := mustEvent(t, s)

	t.Run("UnguessableID", func(t *testing.T) {
		format := regexp.MustCompile(`^[a-z2-7]{26}$`)
		seen := map[string]bool{}
		for range 50 {
			a := mustAttendee(t, s, ev.ID, "")
			if !format.MatchString(a.ID) {
				t.Fatalf("attendee id %q: want 26 lowercase base32 characters", a.ID)
			}
			if seen[a.ID] {
				t.Fatalf("attendee id %q generated twice", a.ID)
			}
			seen[a.ID] = true
		}
		if id := storage.NewAttendeeID(); !format.MatchString(id) {
			t.Fatalf("NewAttendeeID: got %q", id)
		}
		given := &app.Attendee{ID: "given-id", EventID: ev.ID, Name: "Given"}
		if err := s.CreateAttendee(ctx, given); err != nil || given.ID != "given-id" {
			t.Fatalf("CreateAttendee with an id: got %q, %v", given.ID, err)
		}
	})

	t.Run("RoundTrip", func(t *testing.T) {
		a := &app.Attendee{
			EventID: ev.ID, Name: "Kovács Éva", Organization: "重庆大学", Country: "HU",
			Email: "eva@example.hu", ExternalID: "R-17", Category: app.CategoryOfficial, Sample: true,
		}
		if err := s.CreateAttendee(ctx, a); err != nil {
			t.Fatal(err)
		}
		got, err := s.AttendeeByID(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, a) {
			t.Fatalf("AttendeeByID:\n got %+v\nwant %+v", got, a)
		}
		if got.CreatedAt.IsZero() || got.CreatedAt.Location() != time.UTC {
			t.Fatalf("CreatedAt: got %v, want a UTC time", got.CreatedAt)
		}
	})

	t.Run("Count", func(t *testing.T) {
		other := mustEvent(t, s)
		in := mustAttendee(t, s, other.ID, "in@example.org")
		mustAttendee(t, s, other.ID, "out@example.org")
		revoked := &app.Attendee{EventID: other.ID, Name: "Revoked", Revoked: true}
		if err := s.CreateAttendee(ctx, revoked); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			attendee string
			scan     string
			first    bool
		}{{in.ID, "c1", true}, {in.ID, "c2", false}, {revoked.ID, "c3", true}} {
			if err := insertCheckIn(t, s, other.ID, c.attendee, c.scan, c.first); err != nil {
				t.Fatal(err)
			}
		}
		total, checkedIn, err := s.CountAttendees(ctx, other.ID)
		if err != nil {
			t.Fatal(err)
		}
		if total != 2 || checkedIn != 1 {
			t.Fatalf("CountAttendees: got %d total, %d checked in; want 2, 1", total, checkedIn)
		}
	})
}

func TestUsersAndTokens(t *testing.T) {
	s := storagetest.Open(t)
	ctx := ctxT(t)
	ev := mustEvent(t, s)
	if n, err := s.CountUsers(ctx); err != nil || n != 0 {
		t.Fatalf("CountUsers: got %d, %v; want 0", n, err)
	}
	eid := ev.ID
	u := &app.User{Username: "kapus", PasswordHash: "$argon2id$…", Role: app.RoleChecker, EventID: &eid}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	got, err := s.UserByName(ctx, "kapus")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, u) {
		t.Fatalf("UserByName:\n got %+v\nwant %+v", got, u)
	}
	if n, err := s.CountUsers(ctx); err != nil || n != 1 {
		t.Fatalf("CountUsers: got %d, %v; want 1", n, err)
	}

	exp := day.Add(24 * time.Hour)
	tok := &app.Token{Kind: app.TokenLogin, Name: "browser", Hash: "sha256-abc", Role: app.RoleChecker, EventID: &eid, UserID: &u.ID, ExpiresAt: &exp}
	if err := s.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	used := time.Now()
	if err := s.TouchToken(ctx, tok.ID, used); err != nil {
		t.Fatal(err)
	}
	gotTok, err := s.TokenByHash(ctx, "sha256-abc")
	if err != nil {
		t.Fatal(err)
	}
	if gotTok.LastUsedAt == nil || !gotTok.LastUsedAt.Equal(used.Truncate(time.Microsecond)) || gotTok.LastUsedAt.Location() != time.UTC {
		t.Fatalf("LastUsedAt: got %v, want %v in UTC", gotTok.LastUsedAt, used)
	}
	tok.LastUsedAt = gotTok.LastUsedAt
	if !reflect.DeepEqual(gotTok, tok) {
		t.Fatalf("TokenByHash:\n got %+v\nwant %+v", gotTok, tok)
	}
	if err := s.DeleteToken(ctx, "sha256-abc"); err != nil {
		t.Fatal(err)
	}
	wantAppError(t, s.DeleteToken(ctx, "sha256-abc"), app.ENotFound, "token not found")
	_, err = s.TokenByHash(ctx, "sha256-abc")
	wantAppError(t, err, app.ENotFound, "token not found")
	wantAppError(t, s.TouchToken(ctx, tok.ID, used), app.ENotFound, "token "+itoa(tok.ID)+" not found")
}

// TestInsertedRowsReadBack writes an audit entry and an announcement
// with a distinct value in every column (a time in another zone, to the
// nanosecond) and reads them back whole: a column the INSERT names in
// the wrong place, or a time stored differently, fails it.
func TestInsertedRowsReadBack(t *testing.T) {
	s := storagetest.Open(t)
	ctx := ctxT(t)
	ev := mustEvent(t, s)
	eid := ev.ID
	at := time.Date(2021, 4, 23, 9, 30, 15, 123456789, time.FixedZone("CST", 8*3600))
	want := []app.AuditEntry{
		{Actor: "root", Action: "token.create", ObjectType: "token", ObjectID: "7", At: at.Add(-time.Hour)},
		{EventID: &eid, Actor: "anna", Action: "session.start", ObjectType: "session", ObjectID: "12",
			Before: json.RawMessage(`{"state":"scheduled"}`), After: json.RawMessage(`{"state":"live"}`), At: at},
	}
	for i := range want {
		a := want[i]
		if err := s.AddAudit(ctx, &a); err != nil {
			t.Fatal(err)
		}
		want[i].ID, want[i].At = a.ID, at.Add(time.Duration(i-1)*time.Hour).UTC().Truncate(time.Microsecond)
	}
	got, err := s.ListAudit(ctx, 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !reflect.DeepEqual(got[1], want[0]) || !reflect.DeepEqual(got[0], want[1]) {
		t.Fatalf("audit entries read back:\n got %+v\nwant %+v (newest first)", got, []app.AuditEntry{want[1], want[0]})
	}

	a := &app.Announcement{EventID: ev.ID, Text: app.Text{ZH: "请入座", EN: "Please sit", HU: "Üljenek le"},
		Pinned: true, Author: "Organizer", CreatedAt: at}
	if err := s.CreateAnnouncement(ctx, a); err != nil {
		t.Fatal(err)
	}
	wantA := *a
	wantA.CreatedAt = at.UTC().Truncate(time.Microsecond)
	as, err := s.ListAnnouncements(ctx, ev.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 1 || !reflect.DeepEqual(as[0], wantA) {
		t.Fatalf("announcement read back:\n got %+v\nwant %+v", as, wantA)
	}
}

func TestAudit(t *testing.T) {
	s := storagetest.Open(t)
	ctx := ctxT(t)
	ev := mustEvent(t, s)
	eid := ev.ID
	var ids []int64
	for i := range 5 {
		a := &app.AuditEntry{EventID: &eid, Actor: "anna", Action: "session.start", ObjectType: "session", ObjectID: itoa(int64(i))}
		if i == 0 {
			a.Before = json.RawMessage(`{"state":"scheduled"}`)
			a.After = json.RawMessage(`{"state":"live"}`)
		}
		if err := s.AddAudit(ctx, a); err != nil {
			t.Fatal(err)
		}
		if a.At.IsZero() {
			t.Fatal("AddAudit did not set At")
		}
		ids = append(ids, a.ID)
	}
	if err := s.AddAudit(ctx, &app.AuditEntry{Actor: "root", Action: "token.create"}); err != nil {
		t.Fatal(err)
	}
	page, err := s.ListAudit(ctx, ev.ID, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 2 || page[0].ID != ids[4] || page[1].ID != ids[3] {
		t.Fatalf("first page: got %+v, want ids %d, %d", page, ids[4], ids[3])
	}
	page, err = s.ListAudit(ctx, ev.ID, page[1].ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 3 || page[2].ID != ids[0] {
		t.Fatalf("second page: got %d entries, want 3 ending with %d", len(page), ids[0])
	}
	if string(page[2].Before) != `{"state":"scheduled"}` || string(page[2].After) != `{"state":"live"}` || page[1].Before != nil {
		t.Fatalf("before/after: got %s / %s / %s", page[2].Before, page[2].After, page[1].Before)
	}
	all, err := s.ListAudit(ctx, 0, 0, 0)
	if err != nil || len(all) != 6 {
		t.Fatalf("ListAudit(all): got %d, %v; want 6", len(all), err)
	}
}
