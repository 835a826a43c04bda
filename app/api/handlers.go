package api

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/hybridcon/hybridcon/app"
)

func (s *Server) listEvents(c *fiber.Ctx) error {
	cx, cancel := ctx(c)
	defer cancel()
	evs, err := s.svc.ListEvents(cx)
	if err != nil {
		return err
	}
	if evs == nil {
		evs = []app.Event{}
	}
	return c.JSON(fiber.Map{"events": evs})
}

func (s *Server) getEvent(c *fiber.Ctx) error {
	cx, cancel := ctx(c)
	defer cancel()
	ev, err := s.svc.Event(cx, c.Params("slug"))
	if err != nil {
		return err
	}
	return c.JSON(ev)
}

func (s *Server) listSessions(c *fiber.Ctx) error {
	cx, cancel := ctx(c)
	defer cancel()
	ss, err := s.svc.Sessions(cx, c.Params("slug"))
	if err != nil {
		return err
	}
	if ss == nil {
		ss = []app.Session{}
	}
	return c.JSON(fiber.Map{"sessions": ss})
}

func (s *Server) listAchievements(c *fiber.Ctx) error {
	cx, cancel := ctx(c)
	defer cancel()
	as, err := s.svc.Achievements(cx, c.Params("slug"))
	if err != nil {
		return err
	}
	if as == nil {
		as = []app.Achievement{}
	}
	return c.JSON(fiber.Map{"achievements": as})
}

// getCatalogue serves the catalogue a snapshot names by version.
func (s *Server) getCatalogue(c *fiber.Ctx) error {
	return s.serveVersioned(c, "catalogue", s.svc.Catalogue)
}

// getProgramme serves the programme a snapshot names by version.
func (s *Server) getProgramme(c *fiber.Ctx) error {
	return s.serveVersioned(c, "programme", s.svc.Programme)
}

// serveVersioned answers for a document a snapshot names by version (the
// catalogue, the programme). Asked for the version it serves (?v=, as the
// snapshot gives it) the answer never changes, so anyone may keep it for
// a year; otherwise it is revalidated by ETag on every use. A client that
// accepts gzip gets the compressed form the node built once (its ETag
// names the encoding: the two representations differ).
func (s *Server) serveVersioned(c *fiber.Ctx, what string, get func(ctx context.Context, slug, want string) (app.Doc, error)) error {
	want := c.Query("v")
	if len(want) > 64 {
		return app.Errorf(app.EBadRequest, "v is a %s version from a snapshot (at most 64 characters)", what)
	}
	cx, cancel := ctx(c)
	defer cancel()
	doc, err := get(cx, utils.CopyString(c.Params("slug")), utils.CopyString(want))
	if err != nil {
		return err
	}
	body, etag := doc.JSON, `"`+doc.Version+`"`
	if acceptsGzip(c.Get(fiber.HeaderAcceptEncoding)) {
		if gz := doc.Gzip(); len(gz) > 0 {
			body, etag = gz, `"`+doc.Version+`.gz"`
			c.Set(fiber.HeaderContentEncoding, "gzip")
		}
	}
	c.Set(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
	c.Set(fiber.HeaderETag, etag)
	if want == doc.Version {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "public, no-cache")
	}
	if etagMatches(c.Get(fiber.HeaderIfNoneMatch), etag) {
		c.Response().Header.Del(fiber.HeaderContentEncoding)
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(body)
}

// acceptsGzip says whether an Accept-Encoding header accepts gzip (listed
// without q=0, or * without q=0 and gzip not refused).
func acceptsGzip(h string) bool {
	star := false
	for _, part := range strings.Split(h, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		refused := false
		for _, p := range strings.Split(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				if q, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && q == 0 {
					refused = true
				}
			}
		}
		switch name {
		case "gzip", "x-gzip":
			return !refused
		case "*":
			star = !refused
		}
	}
	return star
}

func (s *Server) getShowcase(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	cx, cancel := ctx(c)
	defer cancel()
	sc, err := s.svc.Showcase(cx, id)
	if err != nil {
		return err
	}
	return c.JSON(sc)
}

func (s *Server) listAnnouncements(c *fiber.Ctx) error {
	limit, err := queryInt(c, "limit", 50, 200)
	if err != nil {
		return err
	}
	cx, cancel := ctx(c)
	defer cancel()
	as, err := s.svc.Announcements(cx, c.Params("slug"), int(limit))
	if err != nil {
		return err
	}
	if as == nil {
		as = []app.Announcement{}
	}
	return c.JSON(fiber.Map{"announcements": as})
}

func (s *Server) postAnnouncement(c *fiber.Ctx) error {
	var in app.AnnouncementInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	cx, cancel := ctx(c)
	defer cancel()
	a, err := s.svc.PostAnnouncement(cx, principal(c), utils.CopyString(c.Params("slug")), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(a)
}

func (s *Server) updateAnnouncement(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var in app.AnnouncementUpdate
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	cx, cancel := ctx(c)
	defer cancel()
	a, err := s.svc.UpdateAnnouncement(cx, principal(c), utils.CopyString(c.Params("slug")), id, in)
	if err != nil {
		return err
	}
	return c.JSON(a)
}

func (s *Server) deleteAnnouncement(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	cx, cancel := ctx(c)
	defer cancel()
	if err := s.svc.DeleteAnnouncement(cx, principal(c), utils.CopyString(c.Params("slug")), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) getLive(c *fiber.Ctx) error {
	cx, cancel := ctx(c)
	defer cancel()
	b, err := s.live.Snapshot(cx, utils.CopyString(c.Params("slug")))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.Send(b)
}

func (s *Server) getLog(c *fiber.Ctx) error {
	since, err := queryInt(c, "since", 0, 0)
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit", app.MaxLogPage, app.MaxLogPage)
	if err != nil {
		return err
	}
	cx, cancel := ctx(c)
	defer cancel()
	page, err := s.svc.Log(cx, c.Params("slug"), since, int(limit))
	if err != nil {
		return err
	}
	return c.JSON(page)
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

func (s *Server) login(c *fiber.Ctx) error {
	var in loginRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if in.Username == "" || in.Password == "" {
		return app.Errorf(app.EInvalid, "username and password are required")
	}
	cx, cancel := ctx(c)
	defer cancel()
	secret, u, err := s.svc.Login(cx, in.Username, in.Password)
	if err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{Name: SessionCookie, Value: secret, Path: "/", HTTPOnly: true, Secure: s.cfg.SecureCookies,
		SameSite: fiber.CookieSameSiteStrictMode, MaxAge: int(app.LoginTTL.Seconds())})
	// The CSRF token of this login, which the csrf middleware checks on
	// every cookie-authenticated write, on any node (see middleware.go).
	// The pages' scripts read it from the cookie; other clients may take
	// it from the answer.
	csrfToken := csrfTokenFor(secret)
	s.setCSRFCookie(c, csrfToken)
	return c.JSON(fiber.Map{"user": u, "csrf_token": csrfToken})
}

func (s *Server) logout(c *fiber.Ctx) error {
	if ck := c.Cookies(SessionCookie); ck != "" && !viaAPITokenCookie(c) {
		cx, cancel := ctx(c)
		defer cancel()
		if err := s.svc.Logout(cx, ck); err != nil {
			return err
		}
	}
	// Both cookies expire at once (fasthttp writes no Max-Age for a
	// negative MaxAge, so a past Expires does it); this replaces the
	// hc_csrf cookie the csrf middleware renewed before the handler ran.
	for _, name := range []string{SessionCookie, CSRFCookie} {
		c.Cookie(&fiber.Cookie{Name: name, Value: "", Path: "/", Expires: time.Unix(0, 0), HTTPOnly: name == SessionCookie,
			SameSite: fiber.CookieSameSiteStrictMode, Secure: s.cfg.SecureCookies})
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) me(c *fiber.Ctx) error {
	p := principal(c)
	if p.Anonymous() {
		return app.Errorf(app.EUnauthorized, "not logged in")
	}
	out := fiber.Map{"name": p.Name, "role": p.Role}
	if p.UserID != nil {
		out["user_id"] = *p.UserID
	}
	if p.EventID != nil {
		cx, cancel := ctx(c)
		defer cancel()
		if ev, err := s.svc.Store().EventByID(cx, *p.EventID); err == nil {
			out["event"] = ev.Slug
		}
	}
	return c.JSON(out)
}
