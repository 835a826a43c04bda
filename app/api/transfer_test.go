package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/app/api"
	"github.com/hybridcon/hybridcon/app/demo"
)

// Technology transfer through the real API: credentials, interest with and
// without consent, meeting requests, sessions and the scheduler, scans at
// the table, questions and moderation, a participant's own data, reports,
// limits per participant. Every refused request is checked to write
// nothing.

// send sends a JSON body (nil: none) with "Authorization: Ticket cred"
// (or a bearer token when bearer is set).
func (r *rig) send(tb testing.TB, method, path, cred string, body any) response {
	tb.Helper()
	req := request{method: method, path: path}
	if cred != "" {
		req.header = map[string]string{"Authorization": "Ticket " + cred}
	}
	if body != nil {
		if b, ok := body.([]byte); ok {
			req.body = b
		} else {
			req.body = mustJSON(tb, body)
		}
	}
	return r.do(tb, req)
}

// staff sends as the organizer's bearer token.
func (r *rig) staff(tb testing.TB, method, path string, body any) response {
	tb.Helper()
	req := request{method: method, path: path, token: r.organizer}
	if body != nil {
		req.body = mustJSON(tb, body)
	}
	return r.do(tb, req)
}

// want fails tb unless resp has status (and, when code is set, that
// error code); it decodes a 2xx body into out when out is not nil.
func want(tb testing.TB, resp response, status int, code string, out any) {
	tb.Helper()
	if resp.Status != status {
		tb.Fatalf("got %d, want %d: %s", resp.Status, status, truncate(resp.Body))
	}
	if code != "" {
		var e api.ErrorBody
		if err := json.Unmarshal(resp.Body, &e); err != nil || e.Error.Code != code {
			tb.Fatalf("error code %q, want %q: %s", e.Error.Code, code, truncate(resp.Body))
		}
	}
	if out != nil {
		if err := json.Unmarshal(resp.Body, out); err != nil {
			tb.Fatalf("decoding %s: %v", truncate(resp.Body), err)
		}
	}
}

// refuse sends a request that must be refused with status and code and
// write nothing.
func (r *rig) refuse(tb testing.TB, status int, code string, send func() response) {
	tb.Helper()
	want(tb, r.refused(tb, send), status, code, nil)
}

func TestTransferCredentials(t *testing.T) {
	r := newRig(t, api.Config{})
	x := r.transfer()
	a := r.freshAchievement(t)
	interest := map[string]any{"achievement_id": a.ID, "purpose": app.PurposeInvestment, "consent": true}
	path := ev + "/interests"
	t.Run("ForgedTicket", func(t *testing.T) {
		r.refuse(t, 401, app.EUnauthorized, func() response { return r.send(t, "POST", path, x.forged, interest) })
	})
	t.Run("TruncatedTicket", func(t *testing.T) {
		r.refuse(t, 401, app.EUnauthorized, func() response { return r.send(t, "POST", path, x.participant[:40], interest) })
	})
	t.Run("RevokedTicket", func(t *testing.T) {
		r.refuse(t, 403, app.EForbidden, func() response { return r.send(t, "POST", path, x.revoked, interest) })
	})
	t.Run("OtherEventTicket", func(t *testing.T) {
		r.refuse(t, 403, app.EForbidden, func() response { return r.send(t, "POST", path, x.otherParticipant, interest) })
	})
	t.Run("TeamCannotMarkInterest", func(t *testing.T) {
		r.refuse(t, 403, app.EForbidden, func() response { return r.send(t, "POST", path, x.team, interest) })
	})
	t.Run("UnknownTeamToken", func(t *testing.T) {
		r.refuse(t, 401, app.EUnauthorized, func() response { return r.send(t, "GET", ev+"/my-team", app.TeamTokenPrefix+"nope", nil) })
	})
	t.Run("RevokingTheTicketEndsIt", func(t *testing.T) {
		p := r.freshAttendee(t)
		want(t, r.send(t, "GET", ev+"/my-data", p.Ticket, nil), 200, "", nil)
		yes := true
		if _, err := r.svc.UpdateAttendee(context.Background(), asAdmin, p.ID, app.AttendeeInput{Revoked: &yes}); err != nil {
			t.Fatal(err)
		}
		r.known = ""
		r.refuse(t, 403, app.EForbidden, func() response { return r.send(t, "GET", ev+"/my-data", p.Ticket, nil) })
	})
	t.Run("RotatedAndRevokedTeamLinks", func(t *testing.T) {
		tm := r.freshTeam(t)
		var link app.TeamLink
		want(t, r.staff(t, "POST", fmt.Sprintf("/api/v1/teams/%d/link", tm.ID), nil), 200, "", &link)
		want(t, r.send(t, "GET", ev+"/my-team", link.Token, nil), 200, "", nil)
		var again app.TeamLink
		want(t, r.staff(t, "POST", fmt.Sprintf("/api/v1/teams/%d/link", tm.ID), nil), 200, "", &again)
		r.known = ""
		r.refuse(t, 401, app.EUnauthorized, func() response { return r.send(t, "GET", ev+"/my-team", link.Token, nil) })
		want(t, r.send(t, "GET", ev+"/my-team", again.Token, nil), 200, "", nil)
		want(t, r.staff(t, "DELETE", fmt.Sprintf("/api/v1/teams/%d/link", tm.ID), nil), 200, "", nil)
		r.known = ""
		r.refuse(t, 401, app.EUnauthorized, func() response { return r.send(t, "GET", ev+"/my-team", again.Token, nil) })
		var teams struct{ Teams []map[string]any }
		want(t, r.staff(t, "GET", ev+"/teams", nil), 200, "", &teams)
		if bytes.Contains(mustJSON(t, teams), []byte("token")) {
			t.Fatalf("the team list shows a token: %v", teams)
		}
	})
	t.Run("BadHeader", func(t *testing.T) {
		r.refuse(t, 401, app.EUnauthorized, func() response {
			return r.do(t, request{method: "POST", path: path, body: mustJSON(t, interest), header: map[string]string{"Authorization": "Ticket "}})
		})
	})
}

func TestInterestAndContactDetails(t *testing.T) {
	r := newRig(t, api.Config{})
	x := r.transfer()
	withConsent, without := r.guest(t), r.guest(t)
	path := ev + "/interests"
	mark := func(p *app.AttendeeView, consent bool, note string) response {
		return r.send(t, "POST", path, p.Ticket, map[string]any{"achievement_id": x.teamAchievement, "purpose": app.PurposeLicensing,
			"note": note, "consent": consent})
	}
	var first app.Interest
	want(t, mark(withConsent, true, "We make pumps."), 201, "", &first)
	var again app.Interest
	want(t, mark(withConsent, true, "We make valves."), 200, "", &again)
	if again.ID != first.ID || again.Note != "We make valves." {
		t.Fatalf("marking again: %+v, first %+v", again, first)
	}
	want(t, mark(without, false, "Call us later."), 201, "", nil)

	t.Run("BadInput", func(t *testing.T) {
		p := r.freshAttendee(t)
		for name, c := range map[string]struct {
			body         any
			status       int
			code         string
			contentValid bool
		}{
			"Malformed":          {[]byte(`{"achievement_id":`), 400, app.EBadRequest, false},
			"UnknownField":       {map[string]any{"achievement_id": x.teamAchievement, "purpose": "licensing", "consent": true, "email": "x"}, 400, app.EBadRequest, false},
			"NoConsent":          {map[string]any{"achievement_id": x.teamAchievement, "purpose": "licensing"}, 422, app.EInvalid, false},
			"BadPurpose":         {map[string]any{"achievement_id": x.teamAchievement, "purpose": "friendship", "consent": true}, 422, app.EInvalid, false},
			"LongNote":           {map[string]any{"achievement_id": x.teamAchievement, "purpose": "licensing", "consent": true, "note": strings.Repeat("é", 501)}, 422, app.EInvalid, false},
			"ControlInNote":      {map[string]any{"achievement_id": x.teamAchievement, "purpose": "licensing", "consent": true, "note": "a\x07b"}, 422, app.EInvalid, false},
			"UnknownAchievement": {map[string]any{"achievement_id": 999999, "purpose": "licensing", "consent": true}, 404, app.ENotFound, false},
			"UnknownSlot":        {map[string]any{"achievement_id": x.teamAchievement, "slot_id": 999999, "purpose": "licensing", "consent": true}, 404, app.ENotFound, false},
		} {
			t.Run(name, func(t *testing.T) {
				r.refuse(t, c.status, c.code, func() response { return r.send(t, "POST", path, p.Ticket, c.body) })
			})
		}
	})

	t.Run("TeamSeesContactOnlyWithConsent", func(t *testing.T) {
		resp := r.send(t, "GET", path, x.team, nil)
		var got struct{ Interests []app.InterestView }
		want(t, resp, 200, "", &got)
		if len(got.Interests) != 2 {
			t.Fatalf("team sees %d interests, want 2", len(got.Interests))
		}
		for _, i := range got.Interests {
			switch i.Consent {
			case true:
				if i.Contact.Level != app.ContactFull || i.Contact.Email != withConsent.Email || i.Contact.Name != withConsent.Name {
					t.Errorf("with consent: contact %+v", i.Contact)
				}
			case false:
				if i.Contact.Level != app.ContactWithheld || i.Contact.Name != "" || i.Contact.Email != "" || i.Contact.Organization != "" {
					t.Errorf("without consent: contact %+v", i.Contact)
				}
			}
		}
		if bytes.Contains(resp.Body, []byte(without.Name)) {
			t.Fatalf("the team's list names the participant who did not consent: %s", resp.Body)
		}
	})
	t.Run("ParticipantSeesOwnOnly", func(t *testing.T) {
		var got struct{ Interests []app.InterestView }
		want(t, r.send(t, "GET", path, without.Ticket, nil), 200, "", &got)
		if len(got.Interests) != 1 || got.Interests[0].Note != "Call us later." || got.Interests[0].Contact != nil {
			t.Fatalf("got %+v", got.Interests)
		}
	})
	t.Run("ViewersSeeTheCount", func(t *testing.T) {
		env, err := r.svc.Snapshot(context.Background(), demo.Slug)
		if err != nil {
			t.Fatal(err)
		}
		var st app.LiveState
		if err := json.Unmarshal(env.Data, &st); err != nil {
			t.Fatal(err)
		}
		if n := st.Transfer.Interest[x.teamAchievement]; n != 2 {
			t.Fatalf("snapshot counts %d interests, want 2", n)
		}
		if bytes.Contains(env.Data, []byte("We make valves")) || bytes.Contains(env.Data, []byte(withConsent.Name)) {
			t.Fatal("the snapshot carries an interest's note or name")
		}
	})
}

// meetingSession defines a session starting in an hour with n slots.
func (r *rig) meetingSession(tb testing.TB, start time.Time, slots, tables int) *app.MeetingSession {
	tb.Helper()
	var ms app.MeetingSession
	want(tb, r.staff(tb, "POST", ev+"/meeting-sessions", app.MeetingSessionInput{Title: app.Text{EN: "Meetings"}, StartsAt: start,
		EndsAt: start.Add(time.Duration(slots*15) * time.Minute), SlotMinutes: 15, Tables: tables,
		Rooms: []app.MeetingRoom{{Name: "Room A", Link: "https://meet.example.org/a"}}}), 201, "", &ms)
	return &ms
}

func TestMeetingRequestsAndScheduling(t *testing.T) {
	r := newRig(t, api.Config{})
	t.Run("ScheduleNeedsASession", func(t *testing.T) {
		r.refuse(t, 409, app.EConflict, func() response { return r.staff(t, "POST", ev+"/meetings/schedule", nil) })
	})
	x := r.transfer() // defines the matrix's meeting session
	guest, other := r.guest(t), r.guest(t)
	var req app.MeetingRequest
	want(t, r.send(t, "POST", ev+"/meeting-requests", guest.Ticket, app.MeetingRequestInput{AchievementID: x.teamAchievement, Mode: app.MeetingOnsite, Note: "Licensing in Hungary"}), 201, "", &req)

	t.Run("BadRequests", func(t *testing.T) {
		r.refuse(t, 409, app.EConflict, func() response {
			return r.send(t, "POST", ev+"/meeting-requests", guest.Ticket, app.MeetingRequestInput{AchievementID: x.teamAchievement, Mode: app.MeetingOnline})
		})
		r.refuse(t, 422, app.EInvalid, func() response {
			return r.send(t, "POST", ev+"/meeting-requests", other.Ticket, map[string]any{"achievement_id": x.teamAchievement, "mode": "teleport"})
		})
		r.refuse(t, 404, app.ENotFound, func() response {
			return r.send(t, "POST", ev+"/meeting-requests", other.Ticket, app.MeetingRequestInput{AchievementID: 424242, Mode: app.MeetingOnline})
		})
	})
	t.Run("TeamSeesWhoButNoEmailBeforeAccepting", func(t *testing.T) {
		var got struct {
			MeetingRequests []app.MeetingRequestView `json:"meeting_requests"`
		}
		want(t, r.send(t, "GET", ev+"/meeting-requests", x.team, nil), 200, "", &got)
		if len(got.MeetingRequests) != 1 || got.MeetingRequests[0].Contact.Name != guest.Name || got.MeetingRequests[0].Contact.Email != "" {
			t.Fatalf("got %+v", got.MeetingRequests)
		}
	})
	t.Run("OnlyTheTeamDecides", func(t *testing.T) {
		other := r.freshTeam(t)
		var link app.TeamLink
		want(t, r.staff(t, "POST", fmt.Sprintf("/api/v1/teams/%d/link", other.ID), nil), 200, "", &link)
		accept := fmt.Sprintf("/api/v1/meeting-requests/%d/accept", req.ID)
		r.refuse(t, 403, app.EForbidden, func() response { return r.send(t, "POST", accept, link.Token, nil) })
		r.refuse(t, 403, app.EForbidden, func() response { return r.send(t, "POST", accept, guest.Ticket, nil) })
		r.refuse(t, 404, app.ENotFound, func() response { return r.send(t, "POST", "/api/v1/meeting-requests/987654/accept", x.team, nil) })
		r.refuse(t, 400, app.EBadRequest, func() response { return r.send(t, "POST", "/api/v1/meeting-requests/abc/accept", x.team, nil) })
	})
	var accepted app.MeetingRequestView
	want(t, r.send(t, "POST", fmt.Sprintf("/api/v1/meeting-requests/%d/accept", req.ID), x.team, nil), 200, "", &accepted)
	if accepted.State != app.RequestAccepted || accepted.Contact.Email != guest.Email {
		t.Fatalf("accepted: %+v", accepted)
	}
	t.Run("IllegalMoves", func(t *testing.T) {
		for _, action := range []string{"accept", "decline"} {
			r.refuse(t, 409, app.EInvalidTransition, func() response {
				return r.send(t, "POST", fmt.Sprintf("/api/v1/meeting-requests/%d/%s", req.ID, action), x.team, nil)
			})
		}
	})

	t.Run("BadSessions", func(t *testing.T) {
		start := time.Now().Add(400 * 24 * time.Hour).Truncate(time.Hour)
		for name, in := range map[string]app.MeetingSessionInput{
			"EndsFirst":   {StartsAt: start, EndsAt: start.Add(-time.Hour), SlotMinutes: 15, Tables: 2},
			"NoPlaces":    {StartsAt: start, EndsAt: start.Add(time.Hour), SlotMinutes: 15},
			"TinySlots":   {StartsAt: start, EndsAt: start.Add(time.Hour), SlotMinutes: 1, Tables: 2},
			"BadLink":     {StartsAt: start, EndsAt: start.Add(time.Hour), SlotMinutes: 15, Rooms: []app.MeetingRoom{{Name: "R", Link: "javascript:alert(1)"}}},
			"RoomTwice":   {StartsAt: start, EndsAt: start.Add(time.Hour), SlotMinutes: 15, Rooms: []app.MeetingRoom{{Name: "R", Link: "https://a.example"}, {Name: "R", Link: "https://b.example"}}},
			"TooLong":     {StartsAt: start, EndsAt: start.Add(25 * time.Hour), SlotMinutes: 15, Tables: 2},
			"NegativeTab": {StartsAt: start, EndsAt: start.Add(time.Hour), SlotMinutes: 15, Tables: -1},
		} {
			t.Run(name, func(t *testing.T) {
				r.refuse(t, 422, app.EInvalid, func() response { return r.staff(t, "POST", ev+"/meeting-sessions", in) })
			})
		}
	})

	start := time.Now().Add(300 * 24 * time.Hour).Truncate(time.Hour)
	r.meetingSession(t, start, 4, 2)
	t.Run("OverlappingSession", func(t *testing.T) {
		r.refuse(t, 409, app.EConflict, func() response {
			return r.staff(t, "POST", ev+"/meeting-sessions", app.MeetingSessionInput{StartsAt: start.Add(30 * time.Minute), EndsAt: start.Add(2 * time.Hour), SlotMinutes: 15, Tables: 1})
		})
	})
	var res app.ScheduleResult
	want(t, r.staff(t, "POST", ev+"/meetings/schedule", nil), 200, "", &res)
	if res.Placed != 1 || len(res.Unplaced) != 0 {
		t.Fatalf("schedule: %+v", res)
	}
	var mine, theirs struct{ Meetings []app.MeetingView }
	want(t, r.send(t, "GET", ev+"/meetings", guest.Ticket, nil), 200, "", &mine)
	want(t, r.send(t, "GET", ev+"/meetings", x.team, nil), 200, "", &theirs)
	if len(mine.Meetings) != 1 || len(theirs.Meetings) != 1 || mine.Meetings[0].ID != theirs.Meetings[0].ID || mine.Meetings[0].Table == 0 {
		t.Fatalf("participant sees %+v, team %+v", mine.Meetings, theirs.Meetings)
	}
	m := mine.Meetings[0].Meeting
	if theirs.Meetings[0].Contact == nil || theirs.Meetings[0].Contact.Email != guest.Email || mine.Meetings[0].Contact != nil {
		t.Fatalf("contacts: team sees %+v, participant %+v", theirs.Meetings[0].Contact, mine.Meetings[0].Contact)
	}

	t.Run("ICS", func(t *testing.T) {
		resp := r.send(t, "GET", ev+"/meetings.ics", guest.Ticket, nil)
		want(t, resp, 200, "", nil)
		body := string(resp.Body)
		for _, s := range []string{"BEGIN:VCALENDAR\r\n", "DTSTART:" + m.StartsAt.UTC().Format("20060102T150405Z"), fmt.Sprintf("LOCATION:Table %d", m.Table), "END:VCALENDAR\r\n"} {
			if !strings.Contains(body, s) {
				t.Errorf("calendar lacks %q:\n%s", s, body)
			}
		}
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/calendar") {
			t.Errorf("content type %s", resp.Header.Get("Content-Type"))
		}
	})
	t.Run("RerunKeepsConfirmed", func(t *testing.T) {
		late := r.freshAttendee(t)
		var rq app.MeetingRequest
		want(t, r.send(t, "POST", ev+"/meeting-requests", late.Ticket, app.MeetingRequestInput{AchievementID: x.teamAchievement, Mode: app.MeetingOnline}), 201, "", &rq)
		want(t, r.send(t, "POST", fmt.Sprintf("/api/v1/meeting-requests/%d/accept", rq.ID), x.team, nil), 200, "", nil)
		var again app.ScheduleResult
		want(t, r.staff(t, "POST", ev+"/meetings/schedule", map[string]bool{"reschedule": false}), 200, "", &again)
		if again.Placed != 1 || again.Moved != 0 || again.Kept < 1 {
			t.Fatalf("re-run: %+v", again)
		}
		var now struct{ Meetings []app.MeetingView }
		want(t, r.send(t, "GET", ev+"/meetings", guest.Ticket, nil), 200, "", &now)
		if got := now.Meetings[0].Meeting; got.ID != m.ID || !got.StartsAt.Equal(m.StartsAt) || got.Table != m.Table {
			t.Fatalf("the confirmed meeting moved: %+v, was %+v", got, m)
		}
	})

	t.Run("ScanAtTheTable", func(t *testing.T) {
		r.setNow(m.StartsAt.Add(2 * time.Minute))
		defer r.setNow(time.Time{})
		scan := func(cred, ticket string) app.MeetingScanAnswer {
			var ans app.MeetingScanAnswer
			want(t, r.send(t, "POST", ev+"/meeting-scans", cred, app.MeetingScanInput{Ticket: ticket}), 200, "", &ans)
			return ans
		}
		var ans app.MeetingScanAnswer
		if r.writes(t, func() { ans = scan(x.team, forge(guest.Ticket)) }) || ans.Reason != app.ReasonInvalidTicket {
			t.Fatalf("a forged ticket: %+v (or it wrote)", ans)
		}
		if r.writes(t, func() { ans = scan(x.team, other.Ticket) }) || ans.Reason != app.ReasonNoMeeting {
			t.Fatalf("a guest without a meeting: %+v (or it wrote)", ans)
		}
		if ans = scan(x.team, guest.Ticket); ans.Result != app.ScanHeld || ans.Meeting.ID != m.ID {
			t.Fatalf("first scan: %+v", ans)
		}
		if ans = scan(x.team, guest.Ticket); ans.Result != app.ScanAlreadyHeld {
			t.Fatalf("second scan: %+v", ans)
		}
		r.refuse(t, 409, app.EInvalidTransition, func() response { return r.send(t, "POST", fmt.Sprintf("/api/v1/meetings/%d/held", m.ID), x.team, nil) })
		r.refuse(t, 403, app.EForbidden, func() response {
			return r.send(t, "POST", ev+"/meeting-scans", guest.Ticket, app.MeetingScanInput{Ticket: guest.Ticket})
		})
		var rep app.TransferReport
		want(t, r.staff(t, "GET", ev+"/transfer/report", nil), 200, "", &rep)
		for _, a := range rep.Achievements {
			if a.AchievementID == x.teamAchievement && (a.MeetingsHeld != 1 || a.MeetingsAccepted != 2 || a.MeetingsScheduled != 2) {
				t.Fatalf("report: %+v", a)
			}
		}
	})
}

func TestQuestionsModeration(t *testing.T) {
	r := newRig(t, api.Config{})
	team := r.transfer().team
	asker, voter, late := r.freshAttendee(t), r.freshAttendee(t), r.freshAttendee(t)
	sc := r.showcaseOf(t, r.freshSession(t, 2, app.ActionStart).ID)
	onStage, later := sc.Current.ID, sc.Slots[1].ID
	ask := func(cred string, in app.QuestionInput) response { return r.send(t, "POST", ev+"/questions", cred, in) }

	t.Run("BadQuestions", func(t *testing.T) {
		r.refuse(t, 409, app.EConflict, func() response { return ask(asker.Ticket, app.QuestionInput{SlotID: later, Text: "Too early?"}) })
		r.refuse(t, 404, app.ENotFound, func() response { return ask(asker.Ticket, app.QuestionInput{SlotID: 999999, Text: "Where?"}) })
		r.refuse(t, 422, app.EInvalid, func() response { return ask(asker.Ticket, app.QuestionInput{SlotID: onStage, Text: "  "}) })
		r.refuse(t, 422, app.EInvalid, func() response {
			return ask(asker.Ticket, app.QuestionInput{SlotID: onStage, Text: strings.Repeat("问", app.MaxQuestionRunes+1)})
		})
		r.refuse(t, 422, app.EInvalid, func() response { return ask(asker.Ticket, app.QuestionInput{SlotID: onStage, Text: "Hi", Lang: "de"}) })
		r.refuse(t, 401, app.EUnauthorized, func() response { return ask("", app.QuestionInput{SlotID: onStage, Text: "Anonymous?"}) })
		r.refuse(t, 403, app.EForbidden, func() response { return ask(team, app.QuestionInput{SlotID: onStage, Text: "Team?"}) })
	})
	var q app.Question
	text := "Mennyibe kerül a licenc? 许可证多少钱？"
	want(t, ask(asker.Ticket, app.QuestionInput{SlotID: onStage, Text: text, Lang: "hu"}), 201, "", &q)
	visible := func() (inList, inSnapshot, inLog bool) {
		t.Helper()
		var got struct{ Questions []app.QuestionView }
		want(t, r.do(t, request{method: "GET", path: ev + "/questions"}), 200, "", &got)
		for _, v := range got.Questions {
			inList = inList || v.ID == q.ID
		}
		env, err := r.svc.Snapshot(context.Background(), demo.Slug)
		if err != nil {
			t.Fatal(err)
		}
		log := r.do(t, request{method: "GET", path: ev + "/log?since=0"})
		return inList, bytes.Contains(env.Data, []byte("Mennyibe")), bytes.Contains(log.Body, []byte("Mennyibe"))
	}
	if a, b, c := visible(); a || b || c {
		t.Fatalf("a pending question reaches viewers: list %v snapshot %v log %v", a, b, c)
	}
	vote := func(cred string, body any) response {
		return r.send(t, "POST", fmt.Sprintf("/api/v1/questions/%d/vote", q.ID), cred, body)
	}
	t.Run("PendingTakesNoVotes", func(t *testing.T) {
		r.refuse(t, 404, app.ENotFound, func() response { return vote(voter.Ticket, nil) })
	})
	moderate := func(action string) response {
		return r.staff(t, "POST", fmt.Sprintf("/api/v1/questions/%d/%s", q.ID, action), nil)
	}
	want(t, moderate("approve"), 200, "", nil)
	if a, b, c := visible(); !a || !b || !c {
		t.Fatalf("an approved question: list %v snapshot %v log %v", a, b, c)
	}
	r.refuse(t, 409, app.EInvalidTransition, func() response { return moderate("approve") })

	t.Run("VoteStuffingCountsOnce", func(t *testing.T) {
		var ans app.VoteAnswer
		want(t, vote(voter.Ticket, nil), 200, "", &ans)
		if !ans.Counted || ans.Votes != 1 {
			t.Fatalf("first vote: %+v", ans)
		}
		for range 5 {
			if r.writes(t, func() { want(t, vote(voter.Ticket, nil), 200, "", &ans) }) || ans.Counted || ans.Votes != 1 {
				t.Fatalf("a repeated vote: %+v (or it wrote)", ans)
			}
		}
		r.refuse(t, 401, app.EUnauthorized, func() response { return vote("", map[string]string{"voter": "anonymous-1"}) })
		want(t, r.staff(t, "PUT", ev+"/transfer/settings", app.TransferSettings{AnonymousVotes: true}), 200, "", nil)
		r.refuse(t, 422, app.EInvalid, func() response { return vote("", map[string]string{"voter": "x"}) })
		for range 3 {
			want(t, vote("", map[string]string{"voter": "anonymous-1"}), 200, "", &ans)
		}
		if ans.Votes != 2 {
			t.Fatalf("one anonymous voter voting three times: %d votes, want 2", ans.Votes)
		}
		want(t, r.staff(t, "PUT", ev+"/transfer/settings", app.TransferSettings{}), 200, "", nil)
	})
	t.Run("AnonymousQuestionsWhenAllowed", func(t *testing.T) {
		want(t, r.staff(t, "PUT", ev+"/transfer/settings", app.TransferSettings{AnonymousQuestions: true}), 200, "", nil)
		want(t, ask("", app.QuestionInput{SlotID: onStage, Text: "From the hall"}), 201, "", nil)
		want(t, r.staff(t, "PUT", ev+"/transfer/settings", app.TransferSettings{}), 200, "", nil)
	})
	t.Run("HiddenLeavesSnapshotAndLog", func(t *testing.T) {
		want(t, moderate("hide"), 200, "", nil)
		if a, b, c := visible(); a || b || c {
			t.Fatalf("a hidden question: list %v snapshot %v log %v", a, b, c)
		}
		r.refuse(t, 404, app.ENotFound, func() response { return vote(voter.Ticket, nil) })
		var mine struct{ Questions []app.QuestionView }
		want(t, r.send(t, "GET", ev+"/questions", asker.Ticket, nil), 200, "", &mine)
		found := false
		for _, v := range mine.Questions {
			found = found || v.ID == q.ID && v.Mine && v.State == app.QuestionHidden
		}
		if !found {
			t.Fatalf("the asker does not see their hidden question: %+v", mine.Questions)
		}
	})
	t.Run("HiddenBeforeApprovalSendsNothing", func(t *testing.T) {
		var q2 app.Question
		want(t, ask(asker.Ticket, app.QuestionInput{SlotID: onStage, Text: "Secret sauce?"}), 201, "", &q2)
		before := r.do(t, request{method: "GET", path: ev + "/log?since=0"})
		want(t, r.staff(t, "POST", fmt.Sprintf("/api/v1/questions/%d/hide", q2.ID), nil), 200, "", nil)
		after := r.do(t, request{method: "GET", path: ev + "/log?since=0"})
		if !bytes.Equal(before.Body, after.Body) {
			t.Fatal("hiding a question viewers never saw changed the log")
		}
	})
	t.Run("AnsweredTakesNoVotes", func(t *testing.T) {
		want(t, moderate("approve"), 200, "", nil)
		want(t, moderate("answer"), 200, "", nil)
		r.refuse(t, 409, app.EInvalidTransition, func() response { return vote(late.Ticket, nil) })
		r.refuse(t, 409, app.EInvalidTransition, func() response { return moderate("answer") })
		r.refuse(t, 404, app.ENotFound, func() response { return r.staff(t, "POST", "/api/v1/questions/987654/approve", nil) })
	})
}

func TestMyDataAndDeletion(t *testing.T) {
	r := newRig(t, api.Config{})
	x := r.transfer()
	p := r.freshAttendee(t)
	want(t, r.send(t, "POST", ev+"/interests", p.Ticket, map[string]any{"achievement_id": x.teamAchievement, "purpose": "pilot_customer", "consent": true}), 201, "", nil)
	want(t, r.send(t, "POST", ev+"/meeting-requests", p.Ticket, app.MeetingRequestInput{AchievementID: x.teamAchievement, Mode: app.MeetingOnline}), 201, "", nil)
	sc := r.showcaseOf(t, r.freshSession(t, 1, app.ActionStart).ID)
	var q app.Question
	want(t, r.send(t, "POST", ev+"/questions", p.Ticket, app.QuestionInput{SlotID: sc.Current.ID, Text: "Personal question"}), 201, "", &q)
	want(t, r.staff(t, "POST", fmt.Sprintf("/api/v1/questions/%d/approve", q.ID), nil), 200, "", nil)

	var mine app.MyTransferData
	want(t, r.send(t, "GET", ev+"/my-data", p.Ticket, nil), 200, "", &mine)
	if mine.Attendee.ID != p.ID || len(mine.Interests) != 1 || len(mine.MeetingRequests) != 1 || len(mine.Questions) != 1 {
		t.Fatalf("my data: %+v", mine)
	}
	r.refuse(t, 400, app.EBadRequest, func() response { return r.send(t, "DELETE", ev+"/my-data", p.Ticket, []byte(`{"all":true}`)) })
	var del app.TransferDeletion
	want(t, r.send(t, "DELETE", ev+"/my-data", p.Ticket, nil), 200, "", &del)
	if del != (app.TransferDeletion{Interests: 1, MeetingRequests: 1, Questions: 1}) {
		t.Fatalf("deleted %+v", del)
	}
	want(t, r.send(t, "GET", ev+"/my-data", p.Ticket, nil), 200, "", &mine)
	if len(mine.Interests)+len(mine.MeetingRequests)+len(mine.Questions)+len(mine.Meetings) != 0 {
		t.Fatalf("after deletion: %+v", mine)
	}
	if log := r.do(t, request{method: "GET", path: ev + "/log?since=0"}); bytes.Contains(log.Body, []byte("Personal question")) {
		t.Fatal("the deleted question's text is still in the live log")
	}
}

func TestLeadsCSVContacts(t *testing.T) {
	r := newRig(t, api.Config{})
	x := r.transfer()
	consenting, shy, met := r.guest(t), r.guest(t), r.guest(t)
	mark := func(p *app.AttendeeView, consent bool) {
		want(t, r.send(t, "POST", ev+"/interests", p.Ticket, map[string]any{"achievement_id": x.teamAchievement, "purpose": "investment", "consent": consent}), 201, "", nil)
	}
	mark(consenting, true)
	mark(shy, false)
	mark(met, false)
	var rq app.MeetingRequest
	want(t, r.send(t, "POST", ev+"/meeting-requests", met.Ticket, app.MeetingRequestInput{AchievementID: x.teamAchievement, Mode: app.MeetingOnsite}), 201, "", &rq)
	want(t, r.send(t, "POST", fmt.Sprintf("/api/v1/meeting-requests/%d/accept", rq.ID), x.team, nil), 200, "", nil)
	resp := r.staff(t, "GET", ev+"/transfer/leads.csv", nil)
	want(t, resp, 200, "", nil)
	body := string(resp.Body)
	for _, p := range []*app.AttendeeView{consenting, met} {
		if !strings.Contains(body, p.Email) || !strings.Contains(body, p.Name) {
			t.Errorf("leads lack %s <%s>, whom consent or an accepted meeting allows", p.Name, p.Email)
		}
	}
	if strings.Contains(body, shy.Name) || strings.Contains(body, shy.Email) {
		t.Errorf("leads name a participant who did not consent:\n%s", body)
	}
	if !strings.Contains(body, ",withheld,") {
		t.Errorf("no withheld row:\n%s", body)
	}
	sum := r.staff(t, "GET", ev+"/transfer/report.csv", nil)
	want(t, sum, 200, "", nil)
	if !strings.HasPrefix(string(sum.Body), "\xef\xbb\xbfachievement_id,ref,") || strings.Contains(string(sum.Body), consenting.Email) {
		t.Errorf("report.csv: %s", truncate(sum.Body))
	}
}

// TestTransferLimitsPerParticipant: questions are limited per participant,
// not per address: two guests behind one address each get their own
// budget.
func TestTransferLimitsPerParticipant(t *testing.T) {
	r := newRig(t, api.Config{Limits: api.Limits{Login: api.Rate{Max: api.Unlimited}, AuthFailures: api.Rate{Max: api.Unlimited},
		CheckIn: api.Rate{Max: api.Unlimited}, Writes: api.Rate{Max: api.Unlimited}, Party: api.Rate{Max: api.Unlimited},
		Questions: api.Rate{Max: 2, Per: time.Minute}}})
	sc := r.showcaseOf(t, r.freshSession(t, 1, app.ActionStart).ID)
	a, b := r.freshAttendee(t), r.freshAttendee(t)
	ask := func(p *app.AttendeeView) response {
		return r.send(t, "POST", ev+"/questions", p.Ticket, app.QuestionInput{SlotID: sc.Current.ID, Text: "Again?"})
	}
	want(t, ask(a), 201, "", nil)
	want(t, ask(a), 201, "", nil)
	r.refuse(t, 429, app.ERateLimited, func() response { return ask(a) })
	want(t, ask(b), 201, "", nil)
}

// guest registers a participant with an e-mail address.
func (r *rig) guest(tb testing.TB) *app.AttendeeView {
	tb.Helper()
	name, email := "Guest "+r.uniq("g"), r.uniq("mail")+"@example.org"
	a, err := r.svc.CreateAttendee(context.Background(), asAdmin, demo.Slug, app.AttendeeInput{Name: &name, Email: &email})
	if err != nil {
		tb.Fatal(err)
	}
	r.known = ""
	return a
}
