package demo

import (
	"strings"
	"testing"
	"time"
)

// TestTransferSample: the sample data refers only to what the conference
// has, is marked as sample, and its meeting session is the
// programme's matchmaking session.
func TestTransferSample(t *testing.T) {
	c := Build(time.Date(2021, 4, 22, 20, 0, 0, 0, time.UTC))
	s := Transfer(c)
	refs, emails := map[string]bool{}, map[string]bool{}
	for _, a := range c.Achievements {
		refs[a.Ref] = true
	}
	for _, a := range c.Attendees {
		emails[a.Email] = true
	}
	if len(s.Teams) != len(c.Achievements) || len(s.Interests) < 4 || len(s.Requests) < 2 {
		t.Fatalf("%d teams, %d interests, %d requests", len(s.Teams), len(s.Interests), len(s.Requests))
	}
	accepted := 0
	for _, tm := range s.Teams {
		if !refs[tm.AchievementRef] || !strings.Contains(tm.Name, "sample") {
			t.Errorf("team %+v", tm)
		}
	}
	for _, i := range s.Interests {
		if !refs[i.AchievementRef] || !emails[i.Email] || !strings.Contains(i.Note, "sample") {
			t.Errorf("interest %+v", i)
		}
	}
	for _, r := range s.Requests {
		if !refs[r.AchievementRef] || !emails[r.Email] || !strings.Contains(r.Note, "sample") {
			t.Errorf("request %+v", r)
		}
		if r.Accepted {
			accepted++
		}
	}
	if accepted == 0 || accepted == len(s.Requests) {
		t.Errorf("%d of %d requests accepted: want some of each", accepted, len(s.Requests))
	}
	ms := s.MeetingSession
	mm := c.Sessions[IdxMatchmaking]
	if ms == nil || !ms.StartsAt.Equal(mm.PlannedStart) || ms.EndsAt.After(mm.PlannedEnd) || ms.EndsAt.Sub(ms.StartsAt) < time.Hour ||
		!strings.Contains(ms.Title.EN, "sample") || ms.Tables == 0 || len(ms.Rooms) == 0 {
		t.Fatalf("meeting session %+v, matchmaking %v–%v", ms, mm.PlannedStart, mm.PlannedEnd)
	}
	for _, rm := range ms.Rooms {
		if !strings.Contains(rm.Name, "sample") || !strings.HasPrefix(rm.Link, "https://meet.example.com/") {
			t.Errorf("room %+v", rm)
		}
	}
}
