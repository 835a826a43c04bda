package api

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/hybridcon/hybridcon/app"
)

// Technology-transfer routes: interest, meeting requests, meeting
// sessions and the scheduler, meetings, questions and their moderation,
// reports, a participant's own data, teams and their links. Participants
// and teams authenticate with "Authorization: Ticket <ticket or team
// token>" (transferAuth); Who lists every kind of caller a route lets in,
// comma-separated. Each handler parses, calls app, responds.

// Who values of technology-transfer routes beyond the staff roles.
const (
	whoParticipant = "participant"
	whoParty       = "participant,team,organizer"
	whoTeam        = "team,organizer"
	whoScanner     = "checker,team"
)

// transferBodyLimit bounds the JSON bodies of participants and teams: a
// note or a question is a few hundred characters.
const transferBodyLimit = 8 << 10

func (s *Server) transferRoutes() []Route {
	ev := "/api/v1/events/:slug"
	small := transferBodyLimit
	return []Route{
		{Method: "POST", Path: ev + "/interests", Who: whoParticipant, Summary: "mark interest in an achievement (or change it)", Handler: s.markInterest, BodyLimit: small},
		{Method: "GET", Path: ev + "/interests", Who: whoParty, Summary: "interests: your own, your team's, or all", Handler: s.listInterests},
		{Method: "POST", Path: ev + "/meeting-requests", Who: whoParticipant, Summary: "ask a team for a meeting", Handler: s.requestMeeting, BodyLimit: small},
		{Method: "GET", Path: ev + "/meeting-requests", Who: whoParty, Summary: "meeting requests: your own, your team's, or all", Handler: s.listMeetingRequests},
		{Method: "POST", Path: "/api/v1/meeting-requests/:id/accept", Who: whoTeam, Summary: "accept a meeting request", Handler: s.decideMeetingRequest(true), BodyLimit: smallBodyLimit},
		{Method: "POST", Path: "/api/v1/meeting-requests/:id/decline", Who: whoTeam, Summary: "decline a meeting request", Handler: s.decideMeetingRequest(false), BodyLimit: smallBodyLimit},
		{Method: "GET", Path: ev + "/meeting-sessions", Who: whoParty, Summary: "meeting sessions (slots, tables, rooms)", Handler: s.listMeetingSessions},
		{Method: "POST", Path: ev + "/meeting-sessions", Who: "organizer", Summary: "define a meeting session", Handler: s.createMeetingSession},
		{Method: "POST", Path: ev + "/meetings/schedule", Who: "organizer", Summary: "place accepted meetings into slots", Handler: s.scheduleMeetings, BodyLimit: smallBodyLimit},
		{Method: "GET", Path: ev + "/meetings", Who: whoParty, Summary: "scheduled meetings: your own, your team's, or all", Handler: s.listMeetings},
		{Method: "GET", Path: ev + "/meetings.ics", Who: whoParty, Summary: "scheduled meetings as iCalendar", Handler: s.meetingsICS},
		{Method: "POST", Path: ev + "/meeting-scans", Who: whoScanner, Summary: "the table's host scans a guest: the meeting is held", Handler: s.scanMeeting, BodyLimit: small},
		{Method: "POST", Path: "/api/v1/meetings/:id/held", Who: whoTeam, Summary: "mark a meeting held without a scan", Handler: s.markMeetingHeld, BodyLimit: smallBodyLimit},

		{Method: "POST", Path: ev + "/questions", Who: whoParticipant, Summary: "ask the item on stage a question", Handler: s.askQuestion, BodyLimit: small},
		{Method: "GET", Path: ev + "/questions", Who: "public", Summary: "questions shown to viewers (all for organizers)", Handler: s.listQuestions},
		{Method: "POST", Path: "/api/v1/questions/:id/vote", Who: whoParticipant, Summary: "vote for a question (counts once)", Handler: s.vote, BodyLimit: smallBodyLimit},
		{Method: "POST", Path: "/api/v1/questions/:id/approve", Who: "organizer", Summary: "show a question to viewers", Handler: s.moderate(app.QuestionActionApprove), BodyLimit: smallBodyLimit},
		{Method: "POST", Path: "/api/v1/questions/:id/hide", Who: "organizer", Summary: "hide a question from viewers", Handler: s.moderate(app.QuestionActionHide), BodyLimit: smallBodyLimit},
		{Method: "POST", Path: "/api/v1/questions/:id/answer", Who: "organizer", Summary: "mark a question answered", Handler: s.moderate(app.QuestionActionAnswer), BodyLimit: smallBodyLimit},
		{Method: "GET", Path: ev + "/transfer/settings", Who: "public", Summary: "whether anonymous viewers may ask and vote", Handler: s.getTransferSettings},
		{Method: "PUT", Path: ev + "/transfer/settings", Who: "organizer", Summary: "let anonymous viewers ask or vote", Handler: s.putTransferSettings, BodyLimit: smallBodyLimit},

		{Method: "GET", Path: ev + "/transfer/report", Who: "organizer", Summary: "interest, meetings and questions per achievement", Handler: s.transferReport},
		{Method: "GET", Path: ev + "/transfer/report.csv", Who: "organizer", Summary: "the report as CSV", Handler: s.transferReportCSV},
		{Method: "GET", Path: ev + "/transfer/leads.csv", Who: "organizer", Summary: "one row per participant and achievement, contacts where allowed (CSV)", Handler: s.transferLeadsCSV},
		{Method: "GET", Path: ev + "/my-data", Who: whoParticipant, Summary: "everything you gave", Handler: s.myData},
		{Method: "DELETE", Path: ev + "/my-data", Who: whoParticipant, Summary: "delete everything you gave", Handler: s.deleteMyData, BodyLimit: smallBodyLimit},

		{Method: "GET", Path: ev + "/teams", Who: "organizer", Summary: "achievement teams", Handler: s.listTeams},
		{Method: "POST", Path: ev + "/teams", Who: "organizer", Summary: "give an achievement its team and link", Handler: s.createTeam},
		{Method: "GET", Path: ev + "/my-team", Who: "team", Summary: "the calling team and its achievement", Handler: s.myTeam},
		{Method: "PATCH", Path: "/api/v1/teams/:id", Who: "organizer", Summary: "change a team", Handler: s.updateTeam},
		{Method: "POST", Path: "/api/v1/teams/:id/link", Who: "organizer", Summary: "give a team a new link (the old one stops working)", Handler: s.rotateTeamLink, BodyLimit: smallBodyLimit},
		{Method: "DELETE", Path: "/api/v1/teams/:id/link", Who: "organizer", Summary: "revoke a team's link", Handler: s.revokeTeamLink, BodyLimit: smallBodyLimit},
	}
}

// partyPaths are the writes of participants and teams: counted per
// participant or team (Limits.Party), questions by their own limit.
var partyPaths = map[string]bool{
	"POST /api/v1/events/:slug/interests":        true,
	"POST /api/v1/events/:slug/meeting-requests": true,
	"POST /api/v1/meeting-requests/:id/accept":   true,
	"POST /api/v1/meeting-requests/:id/decline":  true,
	"POST /api/v1/events/:slug/meeting-scans":    true,
	"POST /api/v1/meetings/:id/held":             true,
	"POST /api/v1/questions/:id/vote":            true,
	"DELETE /api/v1/events/:slug/my-data":        true,
}

const questionsPath = "/api/v1/events/:slug/questions"

// transferAuth authenticates "Authorization: Ticket <credential>": a
// participant's ticket or a team's link token (app.AuthenticateTicket). A
// refused credential is recorded like a refused bearer token (see
// authenticate): 401, or 403 for a revoked ticket, on every route.
func (s *Server) transferAuth(c *fiber.Ctx, credential string) error {
	cx, cancel := ctx(c)
	defer cancel()
	p, err := s.svc.AuthenticateTicket(cx, credential)
	switch app.ErrorCode(err) {
	case "":
		c.Locals(localPrincipal, p)
		c.Set(fiber.HeaderCacheControl, "no-store")
	case app.EUnauthorized, app.EForbidden:
		c.Locals(localAuthFailure, err)
	default:
		return err
	}
	return c.Next()
}

// partyKey keys a rate limit by the calling participant or team, or ""
// for other callers.
func partyKey(c *fiber.Ctx) string {
	p := principal(c).Party
	switch {
	case p == nil:
		return ""
	case p.Attendee != nil:
		return "p " + p.Attendee.ID
	}
	return "team " + strconv.FormatInt(p.Team.ID, 10)
}

func slugOf(c *fiber.Ctx) string { return utils.CopyString(c.Params("slug")) }

func (s *Server) markInterest(c *fiber.Ctx) error {
	var in app.InterestInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	cx, cancel := ctx(c)
	defer cancel()
	i, created, err := s.svc.MarkInterest(cx, principal(c), slugOf(c), in)
	if err != nil {
		return err
	}
	status := fiber.StatusOK
	if created {
		status = fiber.StatusCreated
	}
	return c.Status(status).JSON(i)
}

func (s *Server) listInterests(c *fiber.Ctx) error {
	achievement, err := queryInt(c, "achievement_id", 0, 0)
	if err != nil {
		return err
	}
	cx, cancel := ctx(c)
	defer cancel()
	list, err := s.svc.Interests(cx, principal(c), slugOf(c), achievement)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"interests": list})
}

func (s *Server) requestMeeting(c *fiber.Ctx) error {
	var in app.MeetingRequestInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	cx, cancel := ctx(c)
	defer cancel()
	r, err := s.svc.RequestMeeting(cx, principal(c), slugOf(c), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(r)
}

func (s *Server) listMeetingRequests(c *fiber.Ctx) error {
	cx, cancel := ctx(c)
	defer cancel()
	list, err := s.svc.MeetingRequests(cx, principal(c), slugOf(c))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"meeting_requests": list})
}

func (s *Server) decideMeetingRequest(accept bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := emptyBody(c); err != nil {
			return err
		}
		id, err := paramID(c, "id")
		if err != nil {
			return err
		}
		cx, cancel := ctx(c)
		defer cancel()
		r, err := s.svc.DecideMeetingRequest(cx, principal(c), id, accept)
		if err != nil {
			return err
		}
		return c.JSON(r)
	}
}

// emptyBody refuses a body that is neither empty nor "{}" (actions take
// no input).
func emptyBody(c *fiber.Ctx) error {
	if b := strings.TrimSpace(string(c.Body())); b != "" && b != "{}" {
		return app.Errorf(app.EBadRequest, "this action takes no body (or {})")
	}
	return nil
}

func (s *Server) listMeetingSessions(c *fiber.Ctx) error {
	cx, cancel := ctx(c)
	defer cancel()
	list, err := s.svc.MeetingSessions(cx, principal(c), slugOf(c))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"meeting_sessions": list})
}

func (s *Server) createMeetingSession(c *fiber.Ctx) error {
	if err := principal(c).RequireOrganizer(); err != nil {
		return err
	}
	var in app.MeetingSessionInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	cx, cancel := ctx(c)
	defer cancel()
	m, err := s.svc.CreateMeetingSession(cx, principal(c), slugOf(c), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(m)
}

func (s *Server) scheduleMeetings(c *fiber.Ctx) error {
	if err := principal(c).RequireOrganizer(); err != nil {
		return err
	}
	var in app.ScheduleInput
	if len(strings.TrimSpace(string(c.Body()))) > 0 {
		if err := decodeJSON(c, &in); err != nil {
			return err
		}
	}
	cx, cancel := ctx(c)
	defer cancel()
	res, err := s.svc.ScheduleMeetings(cx, principal(c), slugOf(c), in)
	if err != nil {
		return err
	}
	return c.JSON(res)
}

func (s *Server) listMeetings(c *fiber.Ctx) error {
	cx, cancel := ctx(c)
	defer cancel()
	list, err := s.svc.Meetings(cx, principal(c), slugOf(c))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"meetings": list})
}

func (s *Server) meetingsICS(c *fiber.Ctx) error {
	lang := c.Query("lang")
	if lang != "" && lang != "zh" && lang != "en" && lang != "hu" {
		return app.Errorf(app.EBadRequest, "lang must be zh, en or hu")
	}
	cx, cancel := ctx(c)
	defer cancel()
	b, err := s.svc.MeetingsICS(cx, principal(c), slugOf(c), lang)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/calendar; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `inline; filename="meetings.ics"`)
	return c.Send(b)
}

func (s *Server) scanMeeting(c *fiber.Ctx) error {
	if principal(c).Anonymous() {
		return app.Errorf(app.EUnauthorized, "a team link or a door staff token is required")
	}
	var in app.MeetingScanInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	cx, cancel := ctx(c)
	defer cancel()
	ans, err := s.svc.ScanMeeting(cx, principal(c), slugOf(c), in)
	if err != nil {
		return err
	}
	return c.JSON(ans)
}

func (s *Server) markMeetingHeld(c *fiber.Ctx) error {
	if err := emptyBody(c); err != nil {
		return err
	}
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	cx, cancel := ctx(c)
	defer cancel()
	m, err := s.svc.MarkMeetingHeld(cx, principal(c), id)
	if err != nil {
		return err
	}
	return c.JSON(m)
}

func (s *Server) askQuestion(c *fiber.Ctx) error {
	var in app.QuestionInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	cx, cancel := ctx(c)
	defer cancel()
	q, err := s.svc.AskQuestion(cx, principal(c), slugOf(c), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(q)
}

func (s *Server) listQuestions(c *fiber.Ctx) error {
	slot, err := queryInt(c, "slot_id", 0, 0)
	if err != nil {
		return err
	}
	cx, cancel := ctx(c)
	defer cancel()
	list, err := s.svc.Questions(cx, principal(c), slugOf(c), slot)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"questions": list})
}

func (s *Server) vote(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var in app.VoteInput
	if len(strings.TrimSpace(string(c.Body()))) > 0 {
		if err := decodeJSON(c, &in); err != nil {
			return err
		}
	}
	cx, cancel := ctx(c)
	defer cancel()
	ans, err := s.svc.Vote(cx, principal(c), id, in)
	if err != nil {
		return err
	}
	return c.JSON(ans)
}

func (s *Server) moderate(action string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := principal(c).RequireOrganizer(); err != nil {
			return err
		}
		if err := emptyBody(c); err != nil {
			return err
		}
		id, err := paramID(c, "id")
		if err != nil {
			return err
		}
		cx, cancel := ctx(c)
		defer cancel()
		q, err := s.svc.ModerateQuestion(cx, principal(c), id, action)
		if err != nil {
			return err
		}
		return c.JSON(q)
	}
}

func (s *Server) getTransferSettings(c *fiber.Ctx) error {
	cx, cancel := ctx(c)
	defer cancel()
	set, err := s.svc.TransferSettings(cx, slugOf(c))
	if err != nil {
		return err
	}
	return c.JSON(set)
}

func (s *Server) putTransferSettings(c *fiber.Ctx) error {
	if err := principal(c).RequireOrganizer(); err != nil {
		return err
	}
	var in app.TransferSettings
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	cx, cancel := ctx(c)
	defer cancel()
	set, err := s.svc.SetTransferSettings(cx, principal(c), slugOf(c), in)
	if err != nil {
		return err
	}
	return c.JSON(set)
}

func (s *Server) transferReport(c *fiber.Ctx) error {
	cx, cancel := ctx(c)
	defer cancel()
	rep, err := s.svc.TransferReport(cx, principal(c), slugOf(c))
	if err != nil {
		return err
	}
	return c.JSON(rep)
}

// sendCSV answers a CSV download named name.
func sendCSV(c *fiber.Ctx, name string, b []byte) error {
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	return c.Send(b)
}

func (s *Server) transferReportCSV(c *fiber.Ctx) error {
	cx, cancel := ctx(c)
	defer cancel()
	slug := slugOf(c)
	b, err := s.svc.TransferReportCSV(cx, principal(c), slug)
	if err != nil {
		return err
	}
	return sendCSV(c, slug+"-transfer-report.csv", b)
}

func (s *Server) transferLeadsCSV(c *fiber.Ctx) error {
	cx, cancel := ctx(c)
	defer cancel()
	slug := slugOf(c)
	b, err := s.svc.TransferLeadsCSV(cx, principal(c), slug)
	if err != nil {
		return err
	}
	return sendCSV(c, slug+"-transfer-leads.csv", b)
}

func (s *Server) myData(c *fiber.Ctx) error {
	cx, cancel := ctx(c)
	defer cancel()
	d, err := s.svc.MyData(cx, principal(c), slugOf(c))
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (s *Server) deleteMyData(c *fiber.Ctx) error {
	if err := emptyBody(c); err != nil {
		return err
	}
	cx, cancel := ctx(c)
	defer cancel()
	d, err := s.svc.DeleteMyData(cx, principal(c), slugOf(c))
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (s *Server) listTeams(c *fiber.Ctx) error {
	cx, cancel := ctx(c)
	defer cancel()
	list, err := s.svc.Teams(cx, principal(c), slugOf(c))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"teams": list})
}

func (s *Server) createTeam(c *fiber.Ctx) error {
	if err := principal(c).RequireOrganizer(); err != nil {
		return err
	}
	var in app.TeamInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	cx, cancel := ctx(c)
	defer cancel()
	l, err := s.svc.CreateTeam(cx, principal(c), slugOf(c), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(l)
}

func (s *Server) myTeam(c *fiber.Ctx) error {
	cx, cancel := ctx(c)
	defer cancel()
	t, err := s.svc.MyTeam(cx, principal(c), slugOf(c))
	if err != nil {
		return err
	}
	return c.JSON(t)
}

// teamID parses :id for an organizer's team route.
func teamID(c *fiber.Ctx) (int64, error) {
	if err := principal(c).RequireOrganizer(); err != nil {
		return 0, err
	}
	return paramID(c, "id")
}

func (s *Server) updateTeam(c *fiber.Ctx) error {
	id, err := teamID(c)
	if err != nil {
		return err
	}
	var in app.TeamInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	cx, cancel := ctx(c)
	defer cancel()
	t, err := s.svc.UpdateTeam(cx, principal(c), id, in)
	if err != nil {
		return err
	}
	return c.JSON(t)
}

func (s *Server) rotateTeamLink(c *fiber.Ctx) error {
	id, err := teamID(c)
	if err != nil {
		return err
	}
	if err := emptyBody(c); err != nil {
		return err
	}
	cx, cancel := ctx(c)
	defer cancel()
	l, err := s.svc.RotateTeamLink(cx, principal(c), id)
	if err != nil {
		return err
	}
	return c.JSON(l)
}

func (s *Server) revokeTeamLink(c *fiber.Ctx) error {
	id, err := teamID(c)
	if err != nil {
		return err
	}
	if err := emptyBody(c); err != nil {
		return err
	}
	cx, cancel := ctx(c)
	defer cancel()
	t, err := s.svc.RevokeTeamLink(cx, principal(c), id)
	if err != nil {
		return err
	}
	return c.JSON(t)
}
