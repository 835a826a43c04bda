package api

import (
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/hybridcon/hybridcon/app"
)

// The OpenAPI part of the technology-transfer routes (transfer.go): their
// operations, query parameters, enumerations and who may call them, added
// to the document's tables when the package loads.

func init() {
	for k, v := range transferOperations {
		operations[k] = v
	}
	queryParams["achievement_id"] = schema{"type": "integer", "format": "int64", "minimum": 0, "description": "only this achievement's"}
	queryParams["slot_id"] = schema{"type": "integer", "format": "int64", "minimum": 0, "description": "only the questions to this run-of-show item"}
	roles[whoParticipant] = []string{app.RoleParticipant}
	roles[app.RoleTeam] = []string{app.RoleTeam}
	roles[whoParty] = []string{app.RoleParticipant, app.RoleTeam, app.RoleOrganizer, app.RoleAdmin}
	roles[whoTeam] = []string{app.RoleTeam, app.RoleOrganizer, app.RoleAdmin}
	roles[whoScanner] = []string{app.RoleChecker, app.RoleTeam, app.RoleOrganizer, app.RoleAdmin}
	for k, v := range map[string][]string{
		"Interest.purpose":         app.Purposes,
		"InterestView.purpose":     app.Purposes,
		"Contact.level":            {app.ContactFull, app.ContactIdentity, app.ContactWithheld},
		"MeetingRequest.mode":      {app.MeetingOnsite, app.MeetingOnline},
		"MeetingRequest.state":     {app.RequestRequested, app.RequestAccepted, app.RequestDeclined},
		"MeetingRequestView.mode":  {app.MeetingOnsite, app.MeetingOnline},
		"MeetingRequestView.state": {app.RequestRequested, app.RequestAccepted, app.RequestDeclined},
		"Meeting.mode":             {app.MeetingOnsite, app.MeetingOnline},
		"Meeting.state":            {app.MeetingScheduled, app.MeetingHeld},
		"MeetingView.mode":         {app.MeetingOnsite, app.MeetingOnline},
		"MeetingView.state":        {app.MeetingScheduled, app.MeetingHeld},
		"Question.state":           {app.QuestionPending, app.QuestionApproved, app.QuestionAnswered, app.QuestionHidden},
		"QuestionView.state":       {app.QuestionPending, app.QuestionApproved, app.QuestionAnswered, app.QuestionHidden},
		"MeetingScanAnswer.result": {app.ScanHeld, app.ScanAlreadyHeld, app.ResultRejected},
		"MeetingScanAnswer.reason": {app.ReasonInvalidTicket, app.ReasonWrongEvent, app.ReasonRevoked, app.ReasonNoMeeting},
		"UnplacedMeeting.reason":   {"no_common_time", "parties_booked", "no_free_place"},
		"MeetingConflict.party":    {"participant", "team"},
	} {
		enums[k] = v
	}
}

// ticketSecurity is the security scheme of participants and teams.
var ticketSecurity = schema{"type": "apiKey", "in": "header", "name": "Authorization",
	"description": "\"Ticket <credential>\": a participant's ticket (the text of its QR code), or a team link's token (hct_…). " +
		"A forged or unknown credential is 401 and a revoked ticket 403, on every route."}

// security is the security requirement of a route of who: bearer and
// cookie for staff roles, the ticket scheme for participants and teams.
func security(who string) []schema {
	var out []schema
	staff, party := false, false
	for _, w := range strings.Split(who, ",") {
		switch w {
		case app.RoleParticipant, app.RoleTeam:
			party = true
		default:
			staff = true
		}
	}
	if staff {
		out = append(out, schema{"bearerAuth": []string{}}, schema{"cookieAuth": []string{}})
	}
	if party {
		out = append(out, schema{"ticketAuth": []string{}})
	}
	return out
}

const (
	partyListDesc = "A participant (Ticket) gets their own, a team (Ticket with its link token) its achievement's, an organizer all. " +
		"A ticket or team link of another event is 403."
	anonymousDesc = " Anonymous viewers may do it too when the event allows it (transfer/settings); otherwise they get 401."
)

var transferOperations = map[string]op{
	"POST /api/v1/events/:slug/interests": {id: "markInterest", tag: "transfer", in: app.InterestInput{}, status: fiber.StatusCreated, out: app.Interest{},
		errs: []string{app.EInvalid}, desc: "One interest per participant and achievement: marking again changes it and answers 200 instead of 201. " +
			"consent (true or false) is required: contact details reach the team only with true. Limited per participant."},
	"GET /api/v1/events/:slug/interests": {id: "listInterests", tag: "transfer", query: []string{"achievement_id"}, out: listOf("interests", app.InterestView{}),
		desc: partyListDesc + " contact: full with the participant's consent; otherwise withheld for teams and name and organization only for organizers."},
	"POST /api/v1/events/:slug/meeting-requests": {id: "requestMeeting", tag: "transfer", in: app.MeetingRequestInput{}, status: fiber.StatusCreated,
		out: app.MeetingRequest{}, errs: []string{app.EInvalid, app.EConflict}, desc: "409 when the participant has an open request to this team. Limited per participant."},
	"GET /api/v1/events/:slug/meeting-requests": {id: "listMeetingRequests", tag: "transfer", out: listOf("meeting_requests", app.MeetingRequestView{}),
		desc: partyListDesc + " Teams and organizers see the participant's name and organization, and the e-mail once accepted."},
	"POST /api/v1/meeting-requests/:id/accept": {id: "acceptMeetingRequest", tag: "transfer", in: emptyObject, out: app.MeetingRequestView{},
		errs: []string{app.EInvalidTransition}, desc: "The achievement's team or an organizer. 409 invalid_transition when the request was decided before."},
	"POST /api/v1/meeting-requests/:id/decline": {id: "declineMeetingRequest", tag: "transfer", in: emptyObject, out: app.MeetingRequestView{},
		errs: []string{app.EInvalidTransition}, desc: "The achievement's team or an organizer. 409 invalid_transition when the request was decided before."},
	"GET /api/v1/events/:slug/meeting-sessions": {id: "listMeetingSessions", tag: "transfer", out: listOf("meeting_sessions", app.MeetingSession{}),
		desc: "Rooms' video links are shown to organizers only (each party sees the link of its own meetings)."},
	"POST /api/v1/events/:slug/meeting-sessions": {id: "createMeetingSession", tag: "transfer", in: app.MeetingSessionInput{}, status: fiber.StatusCreated,
		out: app.MeetingSession{}, errs: []string{app.EInvalid, app.EConflict}, desc: "409 when it overlaps another meeting session of the event."},
	"PATCH /api/v1/meeting-sessions/:id": {id: "updateMeetingSession", tag: "transfer", query: []string{"unschedule"}, in: app.MeetingSessionInput{},
		out: app.MeetingSessionChange{}, errs: []string{app.EInvalid, app.EConflict},
		desc: "The whole session as on creation. Scheduled meetings keep their time and place: a change that would move one (new start or slot length, fewer slots, tables or rooms) is 409 with details.meeting_ids (and held: false), unless ?unschedule=1, which takes those meetings out (their requests wait for the next scheduler run; they are listed in unscheduled). Held or started meetings are never taken out (409, held: true). A room's new link reaches its meetings."},
	"DELETE /api/v1/meeting-sessions/:id": {id: "deleteMeetingSession", tag: "transfer", query: []string{"unschedule"}, out: app.MeetingSessionChange{},
		errs: []string{app.EConflict},
		desc: "409 with details.meeting_ids while meetings are scheduled in it, unless ?unschedule=1 (their requests wait for the next scheduler run); a session with a held or started meeting cannot be deleted."},
	"POST /api/v1/events/:slug/meetings/schedule": {id: "scheduleMeetings", tag: "transfer", in: body{content: map[string]schema{fiber.MIMEApplicationJSON: obj(schema{
		"reschedule": schema{"type": "boolean", "description": "also move meetings confirmed by earlier runs (not held, not started)"}}, "reschedule")}},
		out: app.ScheduleResult{}, errs: []string{app.EConflict},
		desc: "Places accepted requests (docs/transfer.md: algorithm and guarantee). Confirmed meetings never move unless reschedule is true. 409 without meeting sessions."},
	"GET /api/v1/events/:slug/meetings": {id: "listMeetings", tag: "transfer", out: listOf("meetings", app.MeetingView{}), desc: partyListDesc},
	"GET /api/v1/events/:slug/meetings.ics": {id: "meetingsICS", tag: "transfer", query: []string{"lang"}, out: textOut, media: "text/calendar; charset=utf-8",
		desc: partyListDesc + " Calendar programs that cannot send headers subscribe to /p/{ticket}/meetings.ics or /t/{token}/meetings.ics."},
	"POST /api/v1/events/:slug/meeting-scans": {id: "scanMeeting", tag: "transfer", in: app.MeetingScanInput{}, out: app.MeetingScanAnswer{}, errs: []string{app.EInvalid},
		desc: "The table's host (the team, or door staff naming the table) scans the guest's ticket: their meeting due now becomes held. " +
			"A ticket that is not genuine, or no meeting here now, is a rejected answer and writes nothing. The door's check-in is not touched."},
	"POST /api/v1/meetings/:id/held": {id: "markMeetingHeld", tag: "transfer", in: emptyObject, out: app.Meeting{}, errs: []string{app.EInvalidTransition},
		desc: "For online meetings and tables without a scanner: the meeting's team or an organizer. 409 when held already."},

	"POST /api/v1/events/:slug/questions": {id: "askQuestion", tag: "questions", in: app.QuestionInput{}, status: fiber.StatusCreated, out: app.Question{},
		errs: []string{app.EInvalid, app.EConflict}, desc: "To the run-of-show item on stage (slot_id, or the only one presenting); it waits for an organizer's approval. " +
			"409 when the item is not on stage. Limited per participant." + anonymousDesc},
	"GET /api/v1/events/:slug/questions": {id: "listQuestions", tag: "questions", query: []string{"slot_id"}, out: listOf("questions", app.QuestionView{}),
		desc: "Most votes first. Approved and answered questions; a participant also sees their own; organizers see every state and the asker."},
	"POST /api/v1/questions/:id/vote": {id: "voteQuestion", tag: "questions", in: body{content: map[string]schema{fiber.MIMEApplicationJSON: obj(schema{
		"voter": schema{"type": "string", "description": "an anonymous viewer's voter id (8–64 of A–Z a–z 0–9 _ -); participants send none"}}, "voter")}},
		out: app.VoteAnswer{}, errs: []string{app.EInvalid, app.EInvalidTransition},
		desc: "One vote per participant (a second answers counted false and changes nothing). Pending and hidden questions are 404; answered ones 409." + anonymousDesc},
	"POST /api/v1/questions/:id/approve": {id: "approveQuestion", tag: "questions", in: emptyObject, out: app.Question{}, errs: []string{app.EInvalidTransition},
		desc: "Sends question.approved to viewers."},
	"POST /api/v1/questions/:id/hide": {id: "hideQuestion", tag: "questions", in: emptyObject, out: app.Question{}, errs: []string{app.EInvalidTransition},
		desc: "A question viewers saw is taken back with question.hidden and its text redacted from the live log; one they never saw sends nothing."},
	"POST /api/v1/questions/:id/answer": {id: "answerQuestion", tag: "questions", in: emptyObject, out: app.Question{}, errs: []string{app.EInvalidTransition},
		desc: "Sends question.answered to viewers."},
	"GET /api/v1/events/:slug/transfer/settings": {id: "getTransferSettings", tag: "questions", out: app.TransferSettings{}},
	"PUT /api/v1/events/:slug/transfer/settings": {id: "putTransferSettings", tag: "questions", in: app.TransferSettings{}, out: app.TransferSettings{},
		desc: "Both off by default. Sends transfer.settings to viewers."},

	"GET /api/v1/events/:slug/transfer/report": {id: "transferReport", tag: "transfer", out: app.TransferReport{}},
	"GET /api/v1/events/:slug/transfer/report.csv": {id: "transferReportCSV", tag: "transfer", out: textOut, media: "text/csv; charset=utf-8",
		desc: "One row per achievement: interest by purpose, meetings requested, accepted, declined, scheduled and held, questions. Counts only."},
	"GET /api/v1/events/:slug/transfer/leads.csv": {id: "transferLeadsCSV", tag: "transfer", out: textOut, media: "text/csv; charset=utf-8",
		desc: "For the transfer center's follow-up: one row per participant and achievement; name, organization and e-mail only with consent or an accepted meeting."},
	"GET /api/v1/events/:slug/my-data":    {id: "myData", tag: "transfer", out: app.MyTransferData{}, desc: "Everything the calling participant gave, and their registration."},
	"DELETE /api/v1/events/:slug/my-data": {id: "deleteMyData", tag: "transfer", in: emptyObject, out: app.TransferDeletion{}, desc: "Deletes the participant's interests, meeting requests and meetings, questions and votes; the registration stays with the organizers."},

	"GET /api/v1/events/:slug/teams": {id: "listTeams", tag: "teams", out: listOf("teams", app.Team{})},
	"POST /api/v1/events/:slug/teams": {id: "createTeam", tag: "teams", in: app.TeamInput{}, status: fiber.StatusCreated, out: app.TeamLink{},
		errs: []string{app.EInvalid, app.EConflict}, desc: "The link's token is shown once; 409 when the achievement has a team."},
	"GET /api/v1/events/:slug/my-team": {id: "myTeam", tag: "teams", out: app.TeamView{}},
	"PATCH /api/v1/teams/:id":          {id: "updateTeam", tag: "teams", in: app.TeamInput{}, out: app.Team{}, errs: []string{app.EInvalid}},
	"POST /api/v1/teams/:id/link":      {id: "rotateTeamLink", tag: "teams", in: emptyObject, out: app.TeamLink{}, desc: "A new token, shown once; the old one stops working at once."},
	"DELETE /api/v1/teams/:id/link":    {id: "revokeTeamLink", tag: "teams", in: emptyObject, out: app.Team{}},
}
