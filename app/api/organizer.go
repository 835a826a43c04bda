package api

import (
	"bytes"
	"io"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/hybridcon/hybridcon/app"
)

// Organizer routes: the agenda, the run-of-show, the catalogue, events
// and the audit trail. Each handler parses, calls app, responds.

func (s *Server) createEvent(c *fiber.Ctx) error {
	var in app.EventInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	cx, cancel := ctx(c)
	defer cancel()
	ev, err := s.svc.CreateEvent(cx, principal(c), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(ev)
}

func (s *Server) updateEvent(c *fiber.Ctx) error {
	var in app.EventInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	cx, cancel := ctx(c)
	defer cancel()
	ev, err := s.svc.UpdateEvent(cx, principal(c), utils.CopyString(c.Params("slug")), in)
	if err != nil {
		return err
	}
	return c.JSON(ev)
}

func (s *Server) createSession(c *fiber.Ctx) error {
	var in app.SessionInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	cx, cancel := ctx(c)
	defer cancel()
	se, err := s.svc.CreateSession(cx, principal(c), utils.CopyString(c.Params("slug")), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(se)
}

func (s *Server) updateSession(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var in app.SessionInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	cx, cancel := ctx(c)
	defer cancel()
	se, err := s.svc.UpdateSession(cx, principal(c), id, in)
	if err != nil {
		return err
	}
	return c.JSON(se)
}

// moveSession serves POST /sessions/:id/{start,pause,resume,end,cancel}.
func (s *Server) moveSession(action string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := paramID(c, "id")
		if err != nil {
			return err
		}
		if err := emptyOrJSONObject(c); err != nil {
			return err
		}
		cx, cancel := ctx(c)
		defer cancel()
		se, err := s.svc.MoveSession(cx, principal(c), id, action)
		if err != nil {
			return err
		}
		return c.JSON(se)
	}
}

// emptyOrJSONObject accepts an action request with no body or "{}".
func emptyOrJSONObject(c *fiber.Ctx) error {
	if len(c.Body()) == 0 {
		return nil
	}
	var v struct{}
	return decodeJSON(c, &v)
}

type showcaseRequest struct {
	Slots []app.SlotInput `json:"slots"`
}

func (s *Server) setShowcase(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var in showcaseRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if in.Slots == nil {
		return app.Errorf(app.EBadRequest, "body must be {\"slots\": [{\"achievement_id\": …, \"planned_seconds\": …}, …]}")
	}
	cx, cancel := ctx(c)
	defer cancel()
	sc, err := s.svc.SetShowcase(cx, principal(c), id, in.Slots)
	if err != nil {
		return err
	}
	return c.JSON(sc)
}

type advanceRequest struct {
	ExpectedSlotID *int64 `json:"expected_slot_id"`
}

func (s *Server) advance(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var in advanceRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if in.ExpectedSlotID == nil || *in.ExpectedSlotID <= 0 {
		return app.Errorf(app.EBadRequest, "expected_slot_id is required: the id of the slot presenting now")
	}
	cx, cancel := ctx(c)
	defer cancel()
	sc, err := s.svc.AdvanceShowcase(cx, principal(c), id, *in.ExpectedSlotID)
	if err != nil {
		return err
	}
	return c.JSON(sc)
}

type skipRequest struct {
	SlotID *int64 `json:"slot_id"`
}

func (s *Server) skip(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var in skipRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if in.SlotID == nil || *in.SlotID <= 0 {
		return app.Errorf(app.EBadRequest, "slot_id is required")
	}
	cx, cancel := ctx(c)
	defer cancel()
	sc, err := s.svc.SkipSlot(cx, principal(c), id, *in.SlotID)
	if err != nil {
		return err
	}
	return c.JSON(sc)
}

type delayRequest struct {
	Minutes *int `json:"minutes"`
}

func (s *Server) delay(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var in delayRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if in.Minutes == nil {
		return app.Errorf(app.EBadRequest, "minutes is required")
	}
	cx, cancel := ctx(c)
	defer cancel()
	se, err := s.svc.DelaySession(cx, principal(c), id, *in.Minutes)
	if err != nil {
		return err
	}
	return c.JSON(se)
}

func (s *Server) createAchievement(c *fiber.Ctx) error {
	var in app.AchievementInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	cx, cancel := ctx(c)
	defer cancel()
	a, err := s.svc.CreateAchievement(cx, principal(c), utils.CopyString(c.Params("slug")), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(a)
}

func (s *Server) updateAchievement(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var in app.AchievementInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	cx, cancel := ctx(c)
	defer cancel()
	a, err := s.svc.UpdateAchievement(cx, principal(c), id, in)
	if err != nil {
		return err
	}
	return c.JSON(a)
}

func (s *Server) deleteAchievement(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	cx, cancel := ctx(c)
	defer cancel()
	if err := s.svc.DeleteAchievement(cx, principal(c), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) importAchievements(c *fiber.Ctx) error {
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
		res, err = s.svc.PreviewAchievements(cx, principal(c), utils.CopyString(c.Params("slug")), data)
	} else {
		res, err = s.svc.ImportAchievements(cx, principal(c), utils.CopyString(c.Params("slug")), data)
	}
	if err != nil {
		return err
	}
	return c.JSON(res)
}

// dryRun reports whether an import was asked only to be previewed
// (?dry_run=1 or true): checked and counted, nothing written.
func dryRun(c *fiber.Ctx) bool {
	v := c.Query("dry_run")
	return v == "1" || v == "true"
}

// csvBody returns an uploaded CSV file: the raw body (text/csv) or the
// "file" part of a multipart form. A file holding a NUL byte is refused
// (EInvalid, naming its line): it is not text, and PostgreSQL cannot
// store the character.
func csvBody(c *fiber.Ctx) ([]byte, error) {
	data, err := csvUpload(c)
	if err != nil {
		return nil, err
	}
	utf16 := bytes.HasPrefix(data, []byte("\xff\xfe")) || bytes.HasPrefix(data, []byte("\xfe\xff"))
	if i := bytes.IndexByte(data, 0); i >= 0 && !utf16 { // UTF-16 gets its own help from the importer
		line := 1 + bytes.Count(data[:i], []byte("\n"))
		return nil, &app.Error{Code: app.EInvalid, Message: "the file is not CSV text: it contains a NUL character",
			Details: app.ImportErrors{Errors: []app.RowError{{Row: line, Message: "NUL character"}}}}
	}
	return data, nil
}

func csvUpload(c *fiber.Ctx) ([]byte, error) {
	if strings.HasPrefix(string(c.Request().Header.ContentType()), "multipart/form-data") {
		fh, err := c.FormFile("file")
		if err != nil {
			return nil, app.Errorf(app.EBadRequest, "multipart upload needs a \"file\" part with the CSV")
		}
		f, err := fh.Open()
		if err != nil {
			return nil, app.Errorf(app.EBadRequest, "cannot read the uploaded file")
		}
		defer f.Close()
		buf, err := io.ReadAll(io.LimitReader(f, DefaultBodyLimit+1))
		if err != nil {
			return nil, app.Errorf(app.EBadRequest, "cannot read the uploaded file")
		}
		return buf, nil
	}
	if len(c.Body()) == 0 {
		return nil, app.Errorf(app.EBadRequest, "send the CSV file as the body (Content-Type: text/csv) or as a multipart \"file\" part")
	}
	return utils.CopyBytes(c.Body()), nil
}

func (s *Server) listAudit(c *fiber.Ctx) error {
	before, err := queryInt(c, "before", 0, 0)
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit", 50, 200)
	if err != nil {
		return err
	}
	cx, cancel := ctx(c)
	defer cancel()
	entries, err := s.svc.Audit(cx, principal(c), utils.CopyString(c.Params("slug")), before, int(limit))
	if err != nil {
		return err
	}
	return c.JSON(auditPage(entries, int(limit)))
}

// auditPage is the answer of an audit route: the entries and, when the
// page is full, next_before for the next one.
func auditPage(entries []app.AuditEntry, limit int) fiber.Map {
	if entries == nil {
		entries = []app.AuditEntry{}
	}
	out := fiber.Map{"entries": entries}
	if n := len(entries); n > 0 && n == limit {
		out["next_before"] = entries[n-1].ID
	}
	return out
}
