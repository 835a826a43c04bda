package api_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/app/api"
)

// TestMeetingSessionChanges changes and deletes a meeting session with
// meetings scheduled in it: what keeps their time and place goes
// through, what would move them is refused (writing nothing) unless the
// organizer asks to unschedule them, a room's new link reaches its
// meetings, and a held meeting pins its session.
func TestMeetingSessionChanges(t *testing.T) {
	r := newRig(t, api.Config{})
	x := r.transfer()
	onsite, online := r.guest(t), r.guest(t)
	for _, g := range []struct {
		ticket, mode string
	}{{onsite.Ticket, app.MeetingOnsite}, {online.Ticket, app.MeetingOnline}} {
		var rq app.MeetingRequest
		want(t, r.send(t, "POST", ev+"/meeting-requests", g.ticket, app.MeetingRequestInput{AchievementID: x.teamAchievement, Mode: g.mode}), 201, "", &rq)
		want(t, r.send(t, "POST", fmt.Sprintf("/api/v1/meeting-requests/%d/accept", rq.ID), x.team, nil), 200, "", nil)
	}
	// Earlier than the matrix's session, and the demo's sample session
	// gone, so the scheduler fills this one first.
	var list struct {
		MeetingSessions []app.MeetingSession `json:"meeting_sessions"`
	}
	want(t, r.staff(t, "GET", ev+"/meeting-sessions", nil), 200, "", &list)
	for _, s := range list.MeetingSessions {
		if s.ID != x.meetingSession {
			want(t, r.staff(t, "DELETE", fmt.Sprintf("/api/v1/meeting-sessions/%d?unschedule=1", s.ID), nil), 200, "", nil)
		}
	}
	start := time.Now().Add(50 * 24 * time.Hour).Truncate(time.Hour)
	ms := r.meetingSession(t, start, 4, 2)
	var res app.ScheduleResult
	want(t, r.staff(t, "POST", ev+"/meetings/schedule", nil), 200, "", &res)
	if res.Placed != 2 {
		t.Fatalf("schedule: %+v", res)
	}
	meetingOf := func(ticket string) *app.Meeting {
		t.Helper()
		var got struct{ Meetings []app.MeetingView }
		want(t, r.send(t, "GET", ev+"/meetings", ticket, nil), 200, "", &got)
		if len(got.Meetings) == 0 {
			return nil
		}
		return &got.Meetings[0].Meeting
	}
	m1, m2 := meetingOf(onsite.Ticket), meetingOf(online.Ticket)
	if m1 == nil || m2 == nil || m1.SessionID != ms.ID || m2.SessionID != ms.ID || m2.Room != "Room A" {
		t.Fatalf("placed: %+v %+v in session %d", m1, m2, ms.ID)
	}
	path := fmt.Sprintf("/api/v1/meeting-sessions/%d", ms.ID)
	in := app.MeetingSessionInput{Title: ms.Title, StartsAt: ms.StartsAt, EndsAt: ms.EndsAt, SlotMinutes: ms.SlotMinutes, Tables: ms.Tables, Rooms: ms.Rooms}

	t.Run("KeepingEveryMeetingGoesThrough", func(t *testing.T) {
		c := in
		c.Title = app.Text{EN: "Meetings with the teams", HU: "Találkozók"}
		c.Tables = 5
		c.EndsAt = c.EndsAt.Add(30 * time.Minute)
		c.Rooms = []app.MeetingRoom{{Name: "Room A", Link: "https://meet.example.org/a-new"}, {Name: "Room B", Link: "https://meet.example.org/b"}}
		var out app.MeetingSessionChange
		want(t, r.staff(t, "PATCH", path, c), 200, "", &out)
		if out.Session == nil || out.Session.Tables != 5 || out.Session.SlotCount() != 6 || len(out.Unscheduled) != 0 {
			t.Fatalf("changed: %+v", out)
		}
		if got := meetingOf(onsite.Ticket); got.ID != m1.ID || !got.StartsAt.Equal(m1.StartsAt) || got.Table != m1.Table {
			t.Fatalf("the on-site meeting moved: %+v, was %+v", got, m1)
		}
		if got := meetingOf(online.Ticket); got.ID != m2.ID || got.Link != "https://meet.example.org/a-new" {
			t.Fatalf("the online meeting did not get the room's new link: %+v", got)
		}
		in = c
	})

	t.Run("MovingAMeetingIsRefused", func(t *testing.T) {
		for name, change := range map[string]func(c *app.MeetingSessionInput){
			"LaterStart": func(c *app.MeetingSessionInput) {
				c.StartsAt, c.EndsAt = c.StartsAt.Add(time.Hour), c.EndsAt.Add(time.Hour)
			},
			"LongerSlots": func(c *app.MeetingSessionInput) { c.SlotMinutes = 30 },
			"NoTables":    func(c *app.MeetingSessionInput) { c.Tables = 0 },
			"RoomRenamed": func(c *app.MeetingSessionInput) {
				c.Rooms = []app.MeetingRoom{{Name: "Room Z", Link: "https://meet.example.org/z"}}
			},
			"FirstSlotCut": func(c *app.MeetingSessionInput) { c.StartsAt = c.StartsAt.Add(15 * time.Minute) },
		} {
			t.Run(name, func(t *testing.T) {
				c := in
				change(&c)
				resp := r.staff(t, "PATCH", path, c)
				r.refuse(t, 409, app.EConflict, func() response { return r.staff(t, "PATCH", path, c) })
				var e struct {
					Error struct {
						Details struct {
							MeetingIDs []int64 `json:"meeting_ids"`
						} `json:"details"`
					} `json:"error"`
				}
				if err := json.Unmarshal(resp.Body, &e); err != nil || len(e.Error.Details.MeetingIDs) == 0 {
					t.Fatalf("the refusal names no meeting: %s", resp.Body)
				}
				for _, id := range e.Error.Details.MeetingIDs {
					if id != m1.ID && id != m2.ID {
						t.Fatalf("names meeting %d, not one of this session's", id)
					}
				}
			})
		}
	})

	t.Run("BadChanges", func(t *testing.T) {
		bad := in
		bad.SlotMinutes = 1
		r.refuse(t, 422, app.EInvalid, func() response { return r.staff(t, "PATCH", path, bad) })
		r.refuse(t, 422, app.EInvalid, func() response { return r.staff(t, "PATCH", path+"?unschedule=maybe", in) })
		r.refuse(t, 422, app.EInvalid, func() response { return r.staff(t, "DELETE", path+"?unschedule=yes", nil) })
		r.refuse(t, 404, app.ENotFound, func() response { return r.staff(t, "PATCH", "/api/v1/meeting-sessions/987654", in) })
		r.refuse(t, 404, app.ENotFound, func() response { return r.staff(t, "DELETE", "/api/v1/meeting-sessions/987654", nil) })
		r.refuse(t, 400, app.EBadRequest, func() response { return r.staff(t, "DELETE", "/api/v1/meeting-sessions/abc", nil) })
		r.refuse(t, 403, app.EForbidden, func() response { return r.send(t, "PATCH", path, x.team, in) })
		r.refuse(t, 403, app.EForbidden, func() response { return r.send(t, "DELETE", path, onsite.Ticket, nil) })
		other := r.meetingSession(t, start.Add(6*time.Hour), 4, 1)
		overlap := in
		overlap.EndsAt = other.StartsAt.Add(time.Hour)
		r.refuse(t, 409, app.EConflict, func() response { return r.staff(t, "PATCH", path, overlap) })
		want(t, r.staff(t, "DELETE", fmt.Sprintf("/api/v1/meeting-sessions/%d", other.ID), nil), 200, "", nil)
	})

	t.Run("DeleteReturnsMeetingsToTheScheduler", func(t *testing.T) {
		r.refuse(t, 409, app.EConflict, func() response { return r.staff(t, "DELETE", path, nil) })
		var out app.MeetingSessionChange
		want(t, r.staff(t, "DELETE", path+"?unschedule=1", nil), 200, "", &out)
		slices.Sort(out.Unscheduled)
		if want := []int64{min(m1.ID, m2.ID), max(m1.ID, m2.ID)}; !slices.Equal(out.Unscheduled, want) || out.Session != nil {
			t.Fatalf("deleted: %+v, want unscheduled %v", out, want)
		}
		if m := meetingOf(onsite.Ticket); m != nil {
			t.Fatalf("a meeting of the deleted session is still listed: %+v", m)
		}
		var again app.ScheduleResult
		want(t, r.staff(t, "POST", ev+"/meetings/schedule", nil), 200, "", &again)
		if again.Placed != 2 {
			t.Fatalf("the unscheduled requests were not placed again: %+v", again)
		}
		var audit struct {
			Entries []app.AuditEntry `json:"entries"`
		}
		want(t, r.staff(t, "GET", ev+"/audit", nil), 200, "", &audit)
		var actions []string
		for _, e := range audit.Entries {
			actions = append(actions, e.Action)
		}
		for _, a := range []string{"meeting_session.update", "meeting_session.delete"} {
			if !slices.Contains(actions, a) {
				t.Errorf("audit trail lacks %s: %v", a, actions)
			}
		}
	})

	t.Run("AHeldMeetingPinsItsSession", func(t *testing.T) {
		m := meetingOf(onsite.Ticket)
		r.setNow(m.StartsAt.Add(2 * time.Minute))
		defer r.setNow(time.Time{})
		want(t, r.send(t, "POST", fmt.Sprintf("/api/v1/meetings/%d/held", m.ID), x.team, nil), 200, "", nil)
		r.refuse(t, 409, app.EConflict, func() response {
			return r.staff(t, "DELETE", fmt.Sprintf("/api/v1/meeting-sessions/%d?unschedule=1", m.SessionID), nil)
		})
	})
}
