package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/app/demo"
)

// The technology-transfer part of the authorization matrix: the callers
// that hold a ticket or a team link, and a valid request for every
// transfer route.

// transferRig holds the rig's participants and team: a participant of the
// demo, one of the other event, a revoked one, a forged ticket, and the
// team of an achievement of its own with its link token.
type transferRig struct {
	participant      string
	otherParticipant string
	revoked          string
	forged           string
	team             string
	teamAchievement  int64
	// meetingSession is the demo's session for the matrix's meetings:
	// far enough ahead to have open slots, and clear of the sessions the
	// samples of POST meeting-sessions create.
	meetingSession int64
}

// transfer returns the rig's participants and team, creating them on
// first use.
func (r *rig) transfer() *transferRig {
	r.xferOnce.Do(func() { r.xfer = newTransferRig(r, r.owner) })
	return r.xfer
}

func newTransferRig(r *rig, tb testing.TB) *transferRig {
	tb.Helper()
	ctx := context.Background()
	x := &transferRig{}
	x.participant = r.freshAttendee(tb).Ticket
	name := "Other Participant"
	o, err := r.svc.CreateAttendee(ctx, asAdmin, r.other, app.AttendeeInput{Name: &name})
	if err != nil {
		tb.Fatal(err)
	}
	x.otherParticipant = o.Ticket
	rv := r.freshAttendee(tb)
	yes := true
	if _, err := r.svc.UpdateAttendee(ctx, asAdmin, rv.ID, app.AttendeeInput{Revoked: &yes}); err != nil {
		tb.Fatal(err)
	}
	x.revoked = rv.Ticket
	x.forged = forge(x.participant)
	a := r.freshAchievement(tb)
	link, err := r.svc.CreateTeam(ctx, asAdmin, demo.Slug, app.TeamInput{AchievementID: &a.ID})
	if err != nil {
		tb.Fatal(err)
	}
	x.team, x.teamAchievement = link.Token, a.ID
	start := time.Now().Add(100 * 24 * time.Hour).Truncate(time.Hour)
	ms, err := r.svc.CreateMeetingSession(ctx, asAdmin, demo.Slug, app.MeetingSessionInput{StartsAt: start, EndsAt: start.Add(8 * time.Hour),
		SlotMinutes: 10, Tables: 5, Rooms: []app.MeetingRoom{{Name: "Room 1", Link: "https://meet.example.org/1"}}})
	if err != nil {
		tb.Fatal(err)
	}
	x.meetingSession = ms.ID
	r.known = ""
	return x
}

// forge returns ticket with another, well-formed signature.
func forge(ticket string) string {
	i := strings.LastIndexByte(ticket, '.') + 1
	c := byte('A')
	if ticket[i] == 'A' {
		c = 'B'
	}
	return ticket[:i] + string(c) + ticket[i+1:]
}

// as returns the principal of a ticket or team token.
func (r *rig) as(tb testing.TB, credential string) app.Principal {
	tb.Helper()
	p, err := r.svc.AuthenticateTicket(context.Background(), credential)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// freshRequest is a new meeting request of a fresh participant to the
// matrix team.
func (r *rig) freshRequest(tb testing.TB) *app.MeetingRequest {
	tb.Helper()
	x := r.transfer()
	rq, err := r.svc.RequestMeeting(context.Background(), r.as(tb, r.freshAttendee(tb).Ticket), demo.Slug,
		app.MeetingRequestInput{AchievementID: x.teamAchievement, Mode: app.MeetingOnsite})
	if err != nil {
		tb.Fatal(err)
	}
	r.known = ""
	return rq
}

// freshMeeting is a new scheduled meeting of the matrix team.
func (r *rig) freshMeeting(tb testing.TB) *app.Meeting {
	tb.Helper()
	ctx := context.Background()
	rq := r.freshRequest(tb)
	if _, err := r.svc.DecideMeetingRequest(ctx, asAdmin, rq.ID, true); err != nil {
		tb.Fatal(err)
	}
	if _, err := r.svc.ScheduleMeetings(ctx, asAdmin, demo.Slug, app.ScheduleInput{}); err != nil {
		tb.Fatal(err)
	}
	list, err := r.svc.Meetings(ctx, asAdmin, demo.Slug)
	if err != nil {
		tb.Fatal(err)
	}
	for _, m := range list {
		if m.RequestID == rq.ID {
			return &m.Meeting
		}
	}
	tb.Fatalf("request %d was not scheduled", rq.ID)
	return nil
}

// freshQuestion is a new question to a presenting item of a fresh
// session, approved when approve is set.
func (r *rig) freshQuestion(tb testing.TB, approve bool) *app.Question {
	tb.Helper()
	ctx := context.Background()
	sc := r.showcaseOf(tb, r.freshSession(tb, 1, app.ActionStart).ID)
	q, err := r.svc.AskQuestion(ctx, r.as(tb, r.freshAttendee(tb).Ticket), demo.Slug, app.QuestionInput{SlotID: sc.Current.ID, Text: "Matrix?"})
	if err != nil {
		tb.Fatal(err)
	}
	if approve {
		if q, err = r.svc.ModerateQuestion(ctx, asAdmin, q.ID, app.QuestionActionApprove); err != nil {
			tb.Fatal(err)
		}
	}
	r.known = ""
	return q
}

// freshTeam is the team of a fresh achievement (not the matrix team,
// whose link the callers use).
func (r *rig) freshTeam(tb testing.TB) *app.Team {
	tb.Helper()
	a := r.freshAchievement(tb)
	l, err := r.svc.CreateTeam(context.Background(), asAdmin, demo.Slug, app.TeamInput{AchievementID: &a.ID})
	if err != nil {
		tb.Fatal(err)
	}
	r.known = ""
	return &l.Team
}

func init() {
	byID := func(format string, id func(r *rig, tb testing.TB) int64) sampler {
		return func(r *rig, tb testing.TB) sample { return sample{path: fmt.Sprintf(format, id(r, tb))} }
	}
	for k, v := range map[string]sampler{
		"POST /api/v1/events/:slug/interests": func(r *rig, tb testing.TB) sample {
			return sample{path: ev + "/interests", body: mustJSON(tb, map[string]any{"achievement_id": r.freshAchievement(tb).ID,
				"purpose": app.PurposeLicensing, "note": "Matrix", "consent": true})}
		},
		"GET /api/v1/events/:slug/interests": at(ev + "/interests?achievement_id=0"),
		"POST /api/v1/events/:slug/meeting-requests": func(r *rig, tb testing.TB) sample {
			return sample{path: ev + "/meeting-requests", body: mustJSON(tb, map[string]any{"achievement_id": r.freshAchievement(tb).ID, "mode": app.MeetingOnline})}
		},
		"GET /api/v1/events/:slug/meeting-requests":    at(ev + "/meeting-requests"),
		"POST /api/v1/meeting-requests/:id/accept":     byID("/api/v1/meeting-requests/%d/accept", func(r *rig, tb testing.TB) int64 { return r.freshRequest(tb).ID }),
		"POST /api/v1/meeting-requests/:id/decline":    byID("/api/v1/meeting-requests/%d/decline", func(r *rig, tb testing.TB) int64 { return r.freshRequest(tb).ID }),
		"GET /api/v1/events/:slug/meeting-sessions":    at(ev + "/meeting-sessions"),
		"GET /api/v1/events/:slug/meetings":            at(ev + "/meetings"),
		"GET /api/v1/events/:slug/meetings.ics":        at(ev + "/meetings.ics?lang=hu"),
		"POST /api/v1/meetings/:id/held":               byID("/api/v1/meetings/%d/held", func(r *rig, tb testing.TB) int64 { return r.freshMeeting(tb).ID }),
		"GET /api/v1/events/:slug/questions":           at(ev + "/questions?slot_id=0"),
		"POST /api/v1/questions/:id/vote":              byID("/api/v1/questions/%d/vote", func(r *rig, tb testing.TB) int64 { return r.freshQuestion(tb, true).ID }),
		"POST /api/v1/questions/:id/approve":           byID("/api/v1/questions/%d/approve", func(r *rig, tb testing.TB) int64 { return r.freshQuestion(tb, false).ID }),
		"POST /api/v1/questions/:id/hide":              byID("/api/v1/questions/%d/hide", func(r *rig, tb testing.TB) int64 { return r.freshQuestion(tb, true).ID }),
		"POST /api/v1/questions/:id/answer":            byID("/api/v1/questions/%d/answer", func(r *rig, tb testing.TB) int64 { return r.freshQuestion(tb, true).ID }),
		"GET /api/v1/events/:slug/transfer/settings":   at(ev + "/transfer/settings"),
		"PUT /api/v1/events/:slug/transfer/settings":   withJSON(ev+"/transfer/settings", app.TransferSettings{}),
		"GET /api/v1/events/:slug/transfer/report":     at(ev + "/transfer/report"),
		"GET /api/v1/events/:slug/transfer/report.csv": at(ev + "/transfer/report.csv"),
		"GET /api/v1/events/:slug/transfer/leads.csv":  at(ev + "/transfer/leads.csv"),
		"GET /api/v1/events/:slug/my-data":             at(ev + "/my-data"),
		"DELETE /api/v1/events/:slug/my-data":          at(ev + "/my-data"),
		"GET /api/v1/events/:slug/teams":               at(ev + "/teams"),
		"POST /api/v1/events/:slug/teams": func(r *rig, tb testing.TB) sample {
			return sample{path: ev + "/teams", body: mustJSON(tb, map[string]any{"achievement_id": r.freshAchievement(tb).ID,
				"members": []app.TeamMember{{Name: "Matrix Presenter", Role: "presenter", Email: "presenter@example.org"}}})}
		},
		"GET /api/v1/events/:slug/my-team": at(ev + "/my-team"),
		"PATCH /api/v1/teams/:id": func(r *rig, tb testing.TB) sample {
			return sample{path: fmt.Sprintf("/api/v1/teams/%d", r.freshTeam(tb).ID), body: []byte(`{"name":"Matrix team"}`)}
		},
		"POST /api/v1/teams/:id/link":   byID("/api/v1/teams/%d/link", func(r *rig, tb testing.TB) int64 { return r.freshTeam(tb).ID }),
		"DELETE /api/v1/teams/:id/link": byID("/api/v1/teams/%d/link", func(r *rig, tb testing.TB) int64 { return r.freshTeam(tb).ID }),
		"POST /api/v1/events/:slug/meeting-sessions": func(r *rig, tb testing.TB) sample {
			start := time.Now().Add(time.Duration(200+r.seq.Add(1)) * 24 * time.Hour).Truncate(time.Hour)
			return sample{path: ev + "/meeting-sessions", body: mustJSON(tb, map[string]any{"title": map[string]string{"en": "Matrix meetings"},
				"starts_at": start, "ends_at": start.Add(2 * time.Hour), "slot_minutes": 20, "tables": 3,
				"rooms": []app.MeetingRoom{{Name: "Matrix room", Link: "https://meet.example.org/matrix"}}})}
		},
		"PATCH /api/v1/meeting-sessions/:id": func(r *rig, tb testing.TB) sample {
			ms := r.freshMeetingSession(tb)
			return sample{path: fmt.Sprintf("/api/v1/meeting-sessions/%d", ms.ID), body: mustJSON(tb, map[string]any{"title": map[string]string{"en": "Matrix meetings, renamed"},
				"starts_at": ms.StartsAt, "ends_at": ms.EndsAt, "slot_minutes": ms.SlotMinutes, "tables": ms.Tables + 1, "rooms": ms.Rooms})}
		},
		"DELETE /api/v1/meeting-sessions/:id": byID("/api/v1/meeting-sessions/%d", func(r *rig, tb testing.TB) int64 { return r.freshMeetingSession(tb).ID }),
		"POST /api/v1/events/:slug/meetings/schedule": func(r *rig, tb testing.TB) sample {
			r.transfer()
			return sample{path: ev + "/meetings/schedule", body: []byte(`{"reschedule":false}`)}
		},
		"POST /api/v1/events/:slug/meeting-scans": func(r *rig, tb testing.TB) sample {
			return sample{path: ev + "/meeting-scans", body: mustJSON(tb, app.MeetingScanInput{Ticket: r.transfer().participant})}
		},
		"POST /api/v1/events/:slug/questions": func(r *rig, tb testing.TB) sample {
			sc := r.showcaseOf(tb, r.freshSession(tb, 1, app.ActionStart).ID)
			return sample{path: ev + "/questions", body: mustJSON(tb, app.QuestionInput{SlotID: sc.Current.ID, Text: "What does it cost?", Lang: "en"})}
		},
	} {
		samples[k] = v
	}
}

// transferBodyLimits are the body limits of the technology-transfer
// writes (TestBodyLimits): a participant's or team's JSON 8 KiB, actions
// that take no body 1 KiB; the rest the usual 64 KiB.
var transferBodyLimits = map[string]int{
	"POST /api/v1/events/{slug}/interests":         8 << 10,
	"POST /api/v1/events/{slug}/meeting-requests":  8 << 10,
	"POST /api/v1/events/{slug}/meeting-scans":     8 << 10,
	"POST /api/v1/events/{slug}/questions":         8 << 10,
	"POST /api/v1/meeting-requests/{id}/accept":    1 << 10,
	"POST /api/v1/meeting-requests/{id}/decline":   1 << 10,
	"POST /api/v1/meetings/{id}/held":              1 << 10,
	"POST /api/v1/events/{slug}/meetings/schedule": 1 << 10,
	"POST /api/v1/questions/{id}/vote":             1 << 10,
	"POST /api/v1/questions/{id}/approve":          1 << 10,
	"POST /api/v1/questions/{id}/hide":             1 << 10,
	"POST /api/v1/questions/{id}/answer":           1 << 10,
	"PUT /api/v1/events/{slug}/transfer/settings":  1 << 10,
	"POST /api/v1/teams/{id}/link":                 1 << 10,
}

// freshMeetingSession defines a meeting session of the demo event on a
// day of its own, far ahead and clear of every other.
func (r *rig) freshMeetingSession(tb testing.TB) *app.MeetingSession {
	tb.Helper()
	start := time.Now().Add(time.Duration(400+r.seq.Add(1)) * 24 * time.Hour).Truncate(time.Hour)
	ms, err := r.svc.CreateMeetingSession(context.Background(), asAdmin, demo.Slug, app.MeetingSessionInput{
		Title: app.Text{EN: "Matrix meetings"}, StartsAt: start, EndsAt: start.Add(2 * time.Hour), SlotMinutes: 20, Tables: 3,
		Rooms: []app.MeetingRoom{{Name: "Matrix room", Link: "https://meet.example.org/matrix"}}})
	if err != nil {
		tb.Fatal(err)
	}
	r.known = ""
	return ms
}
