package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/storage"
	"github.com/hybridcon/hybridcon/storage/storagetest"
)

// The technology-transfer tables keep their rules in the schema: whatever
// the code does, no participant, team, table or room is booked twice at
// one time, one interest per participant and achievement, one open
// request, one vote per voter.

type transferFixture struct {
	st       *storage.Store
	ev       *app.Event
	a1, a2   *app.Achievement
	p1, p2   *app.Attendee
	session  *app.MeetingSession
	requests []*app.MeetingRequest
}

func newTransferFixture(t *testing.T) *transferFixture {
	t.Helper()
	ctx := context.Background()
	f := &transferFixture{st: storagetest.Open(t)}
	now := time.Now().UTC()
	f.ev = &app.Event{Slug: "transfer", VenueTZ: "Asia/Shanghai", StartsAt: now, EndsAt: now.Add(time.Hour)}
	must(t, f.st.CreateEvent(ctx, f.ev))
	for _, a := range []**app.Achievement{&f.a1, &f.a2} {
		*a = &app.Achievement{EventID: f.ev.ID, Title: app.Text{EN: "A"}, CreatedAt: now, UpdatedAt: now}
		must(t, f.st.CreateAchievement(ctx, *a))
	}
	for _, p := range []**app.Attendee{&f.p1, &f.p2} {
		*p = &app.Attendee{EventID: f.ev.ID, Name: "P", Category: "guest", CreatedAt: now, UpdatedAt: now}
		must(t, f.st.CreateAttendee(ctx, *p))
	}
	f.session = &app.MeetingSession{EventID: f.ev.ID, StartsAt: now, EndsAt: now.Add(time.Hour), SlotMinutes: 20, Tables: 2, CreatedAt: now}
	must(t, f.st.CreateMeetingSession(ctx, f.session))
	for _, p := range []*app.Attendee{f.p1, f.p2} {
		for _, a := range []*app.Achievement{f.a1, f.a2} {
			r := &app.MeetingRequest{EventID: f.ev.ID, AttendeeID: p.ID, AchievementID: a.ID, Mode: app.MeetingOnsite, State: app.RequestAccepted, CreatedAt: now, UpdatedAt: now}
			must(t, f.st.CreateMeetingRequest(ctx, r))
			f.requests = append(f.requests, r)
		}
	}
	return f
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// meeting is request i of the fixture (p1a1, p1a2, p2a1, p2a2) in slot
// at table.
func (f *transferFixture) meeting(i, slot, table int) app.Meeting {
	r := f.requests[i]
	start, end := f.session.SlotTimes(slot)
	return app.Meeting{EventID: f.ev.ID, RequestID: r.ID, SessionID: f.session.ID, Slot: slot, AttendeeID: r.AttendeeID,
		AchievementID: r.AchievementID, StartsAt: start, EndsAt: end, Mode: app.MeetingOnsite, Table: table,
		State: app.MeetingScheduled, CreatedAt: start}
}

func TestTransferSchemaRefusesDoubleBooking(t *testing.T) {
	f := newTransferFixture(t)
	ctx := context.Background()
	must(t, f.st.ReplaceMeetings(ctx, nil, []app.Meeting{f.meeting(0, 0, 1)}))
	for name, m := range map[string]app.Meeting{
		"SameTable":       f.meeting(3, 0, 1), // p2 with a2 at p1's table
		"SameParticipant": f.meeting(1, 0, 2), // p1 meets a2 at the same time
		"SameTeam":        f.meeting(2, 0, 2), // a1 meets p2 at the same time
		"SameRequest":     f.meeting(0, 1, 1),
	} {
		t.Run(name, func(t *testing.T) {
			if err := f.st.ReplaceMeetings(ctx, nil, []app.Meeting{m}); app.ErrorCode(err) != app.EConflict {
				t.Fatalf("got %v, want a conflict", err)
			}
		})
	}
	t.Run("PlaceMustFitTheKind", func(t *testing.T) {
		m := f.meeting(3, 1, 0)
		if err := f.st.ReplaceMeetings(ctx, nil, []app.Meeting{m}); err == nil {
			t.Fatal("an on-site meeting without a table was stored")
		}
	})
	t.Run("MovingFreesThePlace", func(t *testing.T) {
		list, err := f.st.ListMeetings(ctx, app.TransferFilter{EventID: f.ev.ID})
		must(t, err)
		must(t, f.st.ReplaceMeetings(ctx, []int64{list[0].ID}, []app.Meeting{f.meeting(3, 0, 1), f.meeting(0, 1, 1)}))
		if list, _ = f.st.ListMeetings(ctx, app.TransferFilter{EventID: f.ev.ID}); len(list) != 2 || list[0].Who == nil {
			t.Fatalf("after the move: %+v", list)
		}
	})
}

func TestTransferSchemaOneOfEach(t *testing.T) {
	f := newTransferFixture(t)
	ctx := context.Background()
	now := time.Now()
	t.Run("OpenRequest", func(t *testing.T) {
		r := &app.MeetingRequest{EventID: f.ev.ID, AttendeeID: f.p1.ID, AchievementID: f.a1.ID, Mode: app.MeetingOnline, State: app.RequestRequested, CreatedAt: now, UpdatedAt: now}
		if err := f.st.CreateMeetingRequest(ctx, r); app.ErrorCode(err) != app.EConflict {
			t.Fatalf("a second open request: %v", err)
		}
	})
	t.Run("InterestIsChangedNotDoubled", func(t *testing.T) {
		in := &app.Interest{EventID: f.ev.ID, AttendeeID: f.p1.ID, AchievementID: f.a1.ID, Purpose: app.PurposeLicensing, Consent: true, CreatedAt: now, UpdatedAt: now}
		created, err := f.st.SaveInterest(ctx, in)
		must(t, err)
		again := &app.Interest{EventID: f.ev.ID, AttendeeID: f.p1.ID, AchievementID: f.a1.ID, Purpose: app.PurposeInvestment, CreatedAt: now, UpdatedAt: now}
		created2, err := f.st.SaveInterest(ctx, again)
		must(t, err)
		counts, err := f.st.InterestCounts(ctx, f.ev.ID)
		must(t, err)
		if !created || created2 || again.ID != in.ID || again.Purpose != app.PurposeInvestment || counts[f.a1.ID] != 1 {
			t.Fatalf("created %v %v, ids %d %d, counts %v", created, created2, in.ID, again.ID, counts)
		}
	})
	t.Run("OneVotePerVoter", func(t *testing.T) {
		q := &app.Question{EventID: f.ev.ID, SessionID: 1, SlotID: 1, Text: "?", State: app.QuestionApproved, CreatedAt: now, UpdatedAt: now}
		must(t, f.st.CreateQuestion(ctx, q))
		for i, want := range []struct {
			added bool
			votes int64
		}{{true, 1}, {false, 1}} {
			added, votes, err := f.st.AddVote(ctx, q.ID, "a:"+f.p2.ID, f.p2.ID, now)
			must(t, err)
			if added != want.added || votes != want.votes {
				t.Fatalf("vote %d: added %v votes %d", i, added, votes)
			}
		}
		del, err := f.st.DeleteParticipantData(ctx, f.p2.ID)
		must(t, err)
		got, err := f.st.QuestionByID(ctx, q.ID)
		must(t, err)
		if del.Votes != 1 || got.Votes != 0 {
			t.Fatalf("after deleting the voter's data: %+v, votes %d", del, got.Votes)
		}
	})
	t.Run("AchievementWithTransferDataStays", func(t *testing.T) {
		if err := f.st.DeleteAchievement(ctx, f.a1.ID); app.ErrorCode(err) != app.EConflict {
			t.Fatalf("deleting an achievement with requests: %v", err)
		}
	})
}
