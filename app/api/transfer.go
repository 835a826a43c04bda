package api

import (
	"context"
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
		{Method: "POST", Path: ev + "/meeting-requests", Who: whoParticipant, Summary: "ask a team for a meeting", Handler: write(false, fiber.StatusCreated, s.svc.RequestMeeting), BodyLimit: small},
		{Method: "GET", Path: ev + "/meeting-requests", Who: whoParty, Summary: "meeting requests: your own, your team's, or all", Handler: read("meeting_requests", s.svc.MeetingRequests)},
		{Method: "POST", Path: "/api/v1/meeting-requests/:id/accept", Who: whoTeam, Summary: "accept a meeting request", Handler: idAction(false, s.decideMeetingRequest(true)), BodyLimit: smallBodyLimit},
		{Method: "POST", Path: "/api/v1/meeting-requests/:id/decline", Who: whoTeam, Summary: "decline a meeting request", Handler: idAction(false, s.decideMeetingRequest(false)), BodyLimit: smallBodyLimit},
		{Method: "GET", Path: ev + "/meeting-sessions", Who: whoParty, Summary: "meeting sessions (slots, tables, rooms)", Handler: read("meeting_sessions", s.svc.MeetingSessions)},
		{Method: "POST", Path: ev + "/meeting-sessions", Who: "organizer", Summary: "define a meeting session", Handler: write(true, fiber.StatusCreated, s.svc.CreateMeetingSession)},
		{Method: "PATCH", Path: "/api/v1/meeting-sessions/:id", Who: "organizer", Summary: "change a meeting session (scheduled meetings keep their time and place)", Handler: s.updateMeetingSession},
		{Method: "DELETE", Path: "/api/v1/meeting-sessions/:id", Who: "organizer", Summary: "delete a meeting session", Handler: s.deleteMeetingSession, BodyLimit: smallBodyLimit},
		{Method: "POST", Path: ev + "/meetings/schedule", Who: "organizer", Summary: "place accepted meetings into slots", Handler: s.scheduleMeetings, BodyLimit: smallBodyLimit},
		{Method: "GET", Path: ev + "/meetings", Who: whoParty, Summary: "scheduled meetings: your own, your team's, or all", Handler: read("meetings", s.svc.Meetings)},
		{Method: "GET", Path: ev + "/meetings.ics", Who: whoParty, Summary: "scheduled meetings as iCalendar", Handler: s.meetingsICS},
		{Method: "POST", Path: ev + "/meeting-scans", Who: whoScanner, Summary: "the table's host scans a guest: the meeting is held", Handler: write(false, fiber.StatusOK, s.svc.ScanMeeting), BodyLimit: small},
		{Method: "POST", Path: "/api/v1/meetings/:id/held", Who: whoTeam, Summary: "mark a meeting held without a scan", Handler: idAction(false, s.svc.MarkMeetingHeld), BodyLimit: smallBodyLimit},

		{Method: "POST", Path: ev + "/questions", Who: whoParticipant, Summary: "ask the item on stage a question", Handler: write(false, fiber.StatusCreated, s.svc.AskQuestion), BodyLimit: small},
		{Method: "GET", Path: ev + "/questions", Who: "public", Summary: "questions shown to viewers (all for organizers)", Handler: s.listQuestions},
		{Method: "POST", Path: "/api/v1/questions/:id/vote", Who: whoParticipant, Summary: "vote for a question (counts once)", Handler: s.vote, BodyLimit: smallBodyLimit},
		{Method: "POST", Path: "/api/v1/questions/:id/approve", Who: "organizer", Summary: "show a question to viewers", Handler: idAction(true, s.moderate(app.QuestionActionApprove)), BodyLimit: smallBodyLimit},
		{Method: "POST", Path: "/api/v1/questions/:id/hide", Who: "organizer", Summary: "hide a question from viewers", Handler: idAction(true, s.moderate(app.QuestionActionHide)), BodyLimit: smallBodyLimit},
		{Method: "POST", Path: "/api/v1/questions/:id/answer", Who: "organizer", Summary: "mark a question answered", Handler: idAction(true, s.moderate(app.QuestionActionAnswer)), BodyLimit: smallBodyLimit},
		{Method: "GET", Path: ev + "/transfer/settings", Who: "public", Summary: "whether anonymous viewers may ask and vote", Handler: read("", s.transferSettings)},
		{Method: "PUT", Path: ev + "/transfer/settings", Who: "organizer", Summary: "let anonymous viewers ask or vote", Handler: write(true, fiber.StatusOK, s.svc.SetTransferSettings), BodyLimit: smallBodyLimit},

		{Method: "GET", Path: ev + "/transfer/report", Who: "organizer", Summary: "interest, meetings and questions per achievement", Handler: read("", s.svc.TransferReport)},
		{Method: "GET", Path: ev + "/transfer/report.csv", Who: "organizer", Summary: "the report as CSV", Handler: csvDownload("-transfer-report.csv", s.svc.TransferReportCSV)},
		{Method: "GET", Path: ev + "/transfer/leads.csv", Who: "organizer", Summary: "one row per participant and achievement, contacts where allowed (CSV)", Handler: csvDownload("-transfer-leads.csv", s.svc.TransferLeadsCSV)},
		{Method: "GET", Path: ev + "/my-data", Who: whoParticipant, Summary: "everything you gave", Handler: read("", s.svc.MyData)},
		{Method: "DELETE", Path: ev + "/my-data", Who: whoParticipant, Summary: "delete everything you gave", Handler: s.deleteMyData, BodyLimit: smallBodyLimit},

		{Method: "GET", Path: ev + "/teams", Who: "organizer", Summary: "achievement teams", Handler: read("teams", s.svc.Teams)},
		{Method: "POST", Path: ev + "/teams", Who: "organizer", Summary: "give an achievement its team and link", Handler: write(true, fiber.StatusCreated, s.svc.CreateTeam)},
		{Method: "GET", Path: ev + "/my-team", Who: "team", Summary: "the calling team and its achievement", Handler: read("", s.svc.MyTeam)},
		{Method: "PATCH", Path: "/api/v1/teams/:id", Who: "organizer", Summary: "change a team", Handler: s.updateTeam},
		{Method: "POST", Path: "/api/v1/teams/:id/link", Who: "organizer", Summary: "give a team a new link (the old one stops working)", Handler: idAction(true, s.svc.RotateTeamLink), BodyLimit: smallBodyLimit},
		{Method: "DELETE", Path: "/api/v1/teams/:id/link", Who: "organizer", Summary: "revoke a team's link", Handler: idAction(true, s.svc.RevokeTeamLink), BodyLimit: smallBodyLimit},
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

// emptyBody refuses a body that is neither empty nor "{}" (actions take
// no input).
func emptyBody(c *fiber.Ctx) error {
	if b := strings.TrimSpace(string(c.Body())); b != "" && b != "{}" {
		return app.Errorf(app.EBadRequest, "this action takes no body (or {})")
	}
	return nil
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

// unscheduleFlag reads ?unschedule: "1" or "true" lets a change of a
// meeting session take its scheduled meetings out; absent, "0" or
// "false" refuses such a change. Anything else is EInvalid.
func unscheduleFlag(c *fiber.Ctx) (bool, error) {
	switch v := c.Query("unschedule"); v {
	case "1", "true":
		return true, nil
	case "", "0", "false":
		return false, nil
	default:
		return false, &app.Error{Code: app.EInvalid, Message: "unschedule must be 1, true, 0 or false", Details: map[string]string{"field": "unschedule"}}
	}
}

func (s *Server) updateMeetingSession(c *fiber.Ctx) error {
	if err := principal(c).RequireOrganizer(); err != nil {
		return err
	}
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	unschedule, err := unscheduleFlag(c)
	if err != nil {
		return err
	}
	var in app.MeetingSessionInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	cx, cancel := ctx(c)
	defer cancel()
	res, err := s.svc.UpdateMeetingSession(cx, principal(c), id, in, unschedule)
	if err != nil {
		return err
	}
	return c.JSON(res)
}

func (s *Server) deleteMeetingSession(c *fiber.Ctx) error {
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
	unschedule, err := unscheduleFlag(c)
	if err != nil {
		return err
	}
	cx, cancel := ctx(c)
	defer cancel()
	res, err := s.svc.DeleteMeetingSession(cx, principal(c), id, unschedule)
	if err != nil {
		return err
	}
	return c.JSON(res)
}

// read handles a GET route of an event: do's answer as JSON, inside
// {key: …} when key is set.
func read[T any](key string, do func(context.Context, app.Principal, string) (T, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		cx, cancel := ctx(c)
		defer cancel()
		v, err := do(cx, principal(c), slugOf(c))
		if err != nil {
			return err
		}
		if key != "" {
			return c.JSON(fiber.Map{key: v})
		}
		return c.JSON(v)
	}
}

// idAction handles a POST or DELETE of …/{id}/<action> that takes no body
// (nothing, or "{}"): organizerOnly refuses everyone else before anything
// is parsed; then :id is parsed and do's answer sent as JSON.
func idAction[T any](organizerOnly bool, do func(context.Context, app.Principal, int64) (T, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if organizerOnly {
			if err := principal(c).RequireOrganizer(); err != nil {
				return err
			}
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
		v, err := do(cx, principal(c), id)
		if err != nil {
			return err
		}
		return c.JSON(v)
	}
}

// decideMeetingRequest is DecideMeetingRequest with accept bound.
func (s *Server) decideMeetingRequest(accept bool) func(context.Context, app.Principal, int64) (*app.MeetingRequestView, error) {
	return func(cx context.Context, p app.Principal, id int64) (*app.MeetingRequestView, error) {
		return s.svc.DecideMeetingRequest(cx, p, id, accept)
	}
}

// moderate is ModerateQuestion with the action bound.
func (s *Server) moderate(action string) func(context.Context, app.Principal, int64) (*app.Question, error) {
	return func(cx context.Context, p app.Principal, id int64) (*app.Question, error) {
		return s.svc.ModerateQuestion(cx, p, id, action)
	}
}

// write handles a write to an event that takes a JSON body:
// organizerOnly refuses everyone else before the body is read; do's
// answer is sent with status.
func write[In, Out any](organizerOnly bool, status int, do func(context.Context, app.Principal, string, In) (Out, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if organizerOnly {
			if err := principal(c).RequireOrganizer(); err != nil {
				return err
			}
		}
		var in In
		if err := decodeJSON(c, &in); err != nil {
			return err
		}
		cx, cancel := ctx(c)
		defer cancel()
		v, err := do(cx, principal(c), slugOf(c), in)
		if err != nil {
			return err
		}
		return c.Status(status).JSON(v)
	}
}

// csvDownload answers do's CSV as a download named <slug><suffix>.
func csvDownload(suffix string, do func(context.Context, app.Principal, string) ([]byte, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		cx, cancel := ctx(c)
		defer cancel()
		slug := slugOf(c)
		b, err := do(cx, principal(c), slug)
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+slug+suffix+`"`)
		return c.Send(b)
	}
}

// transferSettings is the public TransferSettings as read needs it.
func (s *Server) transferSettings(cx context.Context, _ app.Principal, slug string) (*app.TransferSettings, error) {
	return s.svc.TransferSettings(cx, slug)
}
