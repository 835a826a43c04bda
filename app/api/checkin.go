package api

import (
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/app/qrcode"
)

// Check-in routes: attendees and their tickets (organizers), scans and
// the offline kit (door staff), reports. Each handler parses, calls app,
// responds. A rejected ticket is an answer (200 with result "rejected"),
// not an HTTP error: the request was fine, the ticket was not.

// batchBodyLimit bounds an offline upload: 1,000 scans of a few hundred
// bytes each.
const batchBodyLimit = 1 << 20

func (s *Server) checkinRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/events/:slug/attendees", Who: "organizer", Summary: "attendees with tickets and check-in state; ?q=&checked_in=&limit=&offset=", Handler: s.listAttendees},
		{Method: "POST", Path: "/api/v1/events/:slug/attendees", Who: "organizer", Summary: "register an attendee", Handler: s.createAttendee},
		{Method: "POST", Path: "/api/v1/events/:slug/attendees/import", Who: "organizer", Summary: "import attendees from CSV (all or nothing)", Handler: s.importAttendees, BodyLimit: DefaultBodyLimit},
		{Method: "PATCH", Path: "/api/v1/attendees/:id", Who: "organizer", Summary: "change or revoke an attendee", Handler: s.updateAttendee},
		{Method: "GET", Path: "/api/v1/attendees/:id/ticket.png", Who: "organizer", Summary: "the attendee's ticket as a QR code", Handler: s.ticketPNG},
		{Method: "POST", Path: "/api/v1/events/:slug/checkins", Who: "checker", Summary: "one scan at a gate; idempotent by scan_id", Handler: s.checkIn},
		{Method: "POST", Path: "/api/v1/events/:slug/checkins/batch", Who: "checker", Summary: "an offline kiosk's queued scans (at most 1,000)", Handler: s.checkInBatch, BodyLimit: batchBodyLimit},
		{Method: "GET", Path: "/api/v1/events/:slug/checkin-kit", Who: "checker", Summary: "public key, revoked ids and names for offline kiosks (ETag)", Handler: s.checkinKit},
		{Method: "GET", Path: "/api/v1/events/:slug/checkins/export.csv", Who: "organizer", Summary: "one row per checked-in attendee (CSV, UTF-8 with BOM)", Handler: s.exportCheckIns},
		{Method: "GET", Path: "/api/v1/events/:slug/checkins/summary", Who: "checker", Summary: "checked-in count by category and gate, rejections by reason", Handler: s.checkInSummary},
	}
}

// requireCaller answers 401 before any parsing for anonymous callers of
// door routes; the role and event are checked by app.
func requireCaller(c *fiber.Ctx) error {
	if principal(c).Anonymous() {
		return app.Errorf(app.EUnauthorized, "authentication required")
	}
	return nil
}

func (s *Server) listAttendees(c *fiber.Ctx) error {
	if err := principal(c).RequireOrganizer(); err != nil {
		return err
	}
	limit, err := queryInt(c, "limit", app.DefaultAttendeePage, app.MaxAttendeePage)
	if err != nil {
		return err
	}
	offset, err := queryInt(c, "offset", 0, 0)
	if err != nil {
		return err
	}
	var checkedIn *bool
	switch v := c.Query("checked_in"); v {
	case "":
	case "true", "false":
		b := v == "true"
		checkedIn = &b
	default:
		return app.Errorf(app.EBadRequest, "checked_in must be true or false")
	}
	cx, cancel := ctx(c)
	defer cancel()
	page, err := s.svc.Attendees(cx, principal(c), utils.CopyString(c.Params("slug")), utils.CopyString(c.Query("q")), checkedIn, int(limit), int(offset))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(page)
}

func (s *Server) createAttendee(c *fiber.Ctx) error {
	if err := principal(c).RequireOrganizer(); err != nil {
		return err
	}
	var in app.AttendeeInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	cx, cancel := ctx(c)
	defer cancel()
	v, err := s.svc.CreateAttendee(cx, principal(c), utils.CopyString(c.Params("slug")), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(v)
}

func (s *Server) updateAttendee(c *fiber.Ctx) error {
	if err := principal(c).RequireOrganizer(); err != nil {
		return err
	}
	var in app.AttendeeInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	cx, cancel := ctx(c)
	defer cancel()
	v, err := s.svc.UpdateAttendee(cx, principal(c), utils.CopyString(c.Params("id")), in)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (s *Server) importAttendees(c *fiber.Ctx) error {
	if err := principal(c).RequireOrganizer(); err != nil {
		return err
	}
	data, err := csvBody(c)
	if err != nil {
		return err
	}
	cx, cancel := ctx(c)
	defer cancel()
	var res *app.ImportResult
	if dryRun(c) {
		res, err = s.svc.PreviewAttendees(cx, principal(c), utils.CopyString(c.Params("slug")), data)
	} else {
		res, err = s.svc.ImportAttendees(cx, principal(c), utils.CopyString(c.Params("slug")), data, nil)
	}
	if err != nil {
		return err
	}
	return c.JSON(res)
}

func (s *Server) ticketPNG(c *fiber.Ctx) error {
	if err := principal(c).RequireOrganizer(); err != nil {
		return err
	}
	cx, cancel := ctx(c)
	defer cancel()
	ticket, err := s.svc.AttendeeTicket(cx, principal(c), utils.CopyString(c.Params("id")))
	if err != nil {
		return err
	}
	png, err := qrcode.PNG(ticket)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "image/png")
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(png)
}

func (s *Server) checkIn(c *fiber.Ctx) error {
	if err := requireCaller(c); err != nil {
		return err
	}
	var in app.ScanInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	cx, cancel := ctx(c)
	defer cancel()
	ans, err := s.svc.CheckIn(cx, principal(c), utils.CopyString(c.Params("slug")), in)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(ans)
}

type batchRequest struct {
	Scans *[]app.ScanInput `json:"scans"`
}

func (s *Server) checkInBatch(c *fiber.Ctx) error {
	if err := requireCaller(c); err != nil {
		return err
	}
	var in batchRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if in.Scans == nil {
		return app.Errorf(app.EBadRequest, "body must be {\"scans\": [{\"ticket\", \"gate\", \"scan_id\", \"scanned_at\"}, …]}")
	}
	cx, cancel := ctx(c)
	defer cancel()
	res, err := s.svc.CheckInBatch(cx, principal(c), utils.CopyString(c.Params("slug")), *in.Scans)
	if err != nil {
		return err
	}
	if res == nil {
		res = []app.ScanAnswer{}
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"results": res})
}

func (s *Server) checkinKit(c *fiber.Ctx) error {
	if err := requireCaller(c); err != nil {
		return err
	}
	cx, cancel := ctx(c)
	defer cancel()
	kit, err := s.svc.CheckinKit(cx, principal(c), utils.CopyString(c.Params("slug")))
	if err != nil {
		return err
	}
	etag := `"` + kit.Version + `"`
	c.Set(fiber.HeaderETag, etag)
	// Names of guests: kept by the kiosk, revalidated on every refresh.
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	if etagMatches(c.Get(fiber.HeaderIfNoneMatch), etag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	return c.JSON(kit)
}

// etagMatches reports whether an If-None-Match header names etag (weak
// comparison, as RFC 9110 prescribes for If-None-Match) or is "*".
func etagMatches(header, etag string) bool {
	for _, tag := range strings.Split(header, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == "*" || tag == etag {
			return true
		}
	}
	return false
}

func (s *Server) exportCheckIns(c *fiber.Ctx) error {
	if err := principal(c).RequireOrganizer(); err != nil {
		return err
	}
	slug := utils.CopyString(c.Params("slug"))
	cx, cancel := ctx(c)
	defer cancel()
	data, err := s.svc.CheckInsCSV(cx, principal(c), slug)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+slug+`-checkins.csv"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(data)
}

func (s *Server) checkInSummary(c *fiber.Ctx) error {
	if err := requireCaller(c); err != nil {
		return err
	}
	cx, cancel := ctx(c)
	defer cancel()
	sum, err := s.svc.CheckInSummary(cx, principal(c), utils.CopyString(c.Params("slug")))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(sum)
}
