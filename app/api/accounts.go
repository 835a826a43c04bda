package api

import (
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/app/qrcode"
)

// Accounts and tokens: users who log in to the pages and API tokens, as
// administrators manage them, and the whole audit trail.

// accountRoutes are the routes of users, tokens and the global audit
// trail.
func (s *Server) accountRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/v1/users", Who: "admin", Summary: "list users", Handler: s.listUsers},
		{Method: "POST", Path: "/api/v1/users", Who: "admin", Summary: "create a user who logs in to the pages", Handler: s.createUser},
		{Method: "PATCH", Path: "/api/v1/users/:id", Who: "admin", Summary: "change a user: display name, disabled, password (anyone may change their own display name and password)", Handler: s.updateUser},
		{Method: "DELETE", Path: "/api/v1/users/:id", Who: "admin", Summary: "delete a user and end their logins", Handler: s.deleteUser, BodyLimit: smallBodyLimit},
		{Method: "GET", Path: "/api/v1/tokens", Who: "admin", Summary: "list API tokens (never their secrets)", Handler: s.listTokens},
		{Method: "POST", Path: "/api/v1/tokens", Who: "admin", Summary: "issue an API token (shown once)", Handler: s.createToken},
		{Method: "DELETE", Path: "/api/v1/tokens/:id", Who: "admin", Summary: "revoke an API token", Handler: s.revokeToken, BodyLimit: smallBodyLimit},
		{Method: "POST", Path: tokenLoginPath, Who: "public", Summary: "log in to the pages with a checker token (a kiosk's QR code; sets cookies)", Handler: s.tokenLogin},
		{Method: "POST", Path: "/api/v1/qr", Who: "admin", Summary: "a QR code (PNG) of a text: the login link of a kiosk token", Handler: s.qrPNG},
		{Method: "GET", Path: "/api/v1/audit", Who: "admin", Summary: "the whole audit trail, accounts and tokens included, newest first", Handler: s.listAllAudit},
	}
}

func (s *Server) listUsers(c *fiber.Ctx) error {
	cx, cancel := ctx(c)
	defer cancel()
	us, err := s.svc.Users(cx, principal(c))
	if err != nil {
		return err
	}
	if us == nil {
		us = []app.User{}
	}
	return c.JSON(fiber.Map{"users": us})
}

func (s *Server) createUser(c *fiber.Ctx) error {
	if err := principal(c).RequireAdmin(); err != nil {
		return err
	}
	var in app.UserInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	cx, cancel := ctx(c)
	defer cancel()
	u, err := s.svc.CreateUser(cx, principal(c), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(u)
}

func (s *Server) updateUser(c *fiber.Ctx) error {
	if err := requireCaller(c); err != nil {
		return err
	}
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var in app.UserUpdate
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	cx, cancel := ctx(c)
	defer cancel()
	u, err := s.svc.UpdateUser(cx, principal(c), id, in)
	if err != nil {
		return err
	}
	return c.JSON(u)
}

func (s *Server) deleteUser(c *fiber.Ctx) error {
	if err := principal(c).RequireAdmin(); err != nil {
		return err
	}
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	cx, cancel := ctx(c)
	defer cancel()
	if err := s.svc.DeleteUser(cx, principal(c), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) listTokens(c *fiber.Ctx) error {
	cx, cancel := ctx(c)
	defer cancel()
	ts, err := s.svc.Tokens(cx, principal(c))
	if err != nil {
		return err
	}
	if ts == nil {
		ts = []app.Token{}
	}
	return c.JSON(fiber.Map{"tokens": ts})
}

func (s *Server) createToken(c *fiber.Ctx) error {
	if err := principal(c).RequireAdmin(); err != nil {
		return err
	}
	var in app.TokenInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	cx, cancel := ctx(c)
	defer cancel()
	t, err := s.svc.IssueToken(cx, principal(c), in)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(t)
}

func (s *Server) revokeToken(c *fiber.Ctx) error {
	if err := principal(c).RequireAdmin(); err != nil {
		return err
	}
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	cx, cancel := ctx(c)
	defer cancel()
	if err := s.svc.RevokeToken(cx, principal(c), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) listAllAudit(c *fiber.Ctx) error {
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
	entries, err := s.svc.AuditAll(cx, principal(c), before, int(limit))
	if err != nil {
		return err
	}
	return c.JSON(auditPage(entries, int(limit)))
}

// tokenLoginPath is the page login with a kiosk's token; it counts
// against the login limit.
const tokenLoginPath = "/api/v1/auth/token"

type tokenLoginRequest struct {
	Token string `json:"token"`
}

// tokenLogin makes a checker token the browser's login: the hc_session
// cookie holds the token itself, so revoking it ends this login too.
func (s *Server) tokenLogin(c *fiber.Ctx) error {
	var in tokenLoginRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if in.Token == "" {
		return app.Errorf(app.EInvalid, "token is required")
	}
	cx, cancel := ctx(c)
	defer cancel()
	p, err := s.svc.TokenLogin(cx, in.Token)
	if err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{Name: SessionCookie, Value: in.Token, Path: "/", HTTPOnly: true, Secure: s.cfg.SecureCookies,
		SameSite: fiber.CookieSameSiteStrictMode, MaxAge: int(app.LoginTTL.Seconds())})
	csrfToken := csrfTokenFor(in.Token)
	s.setCSRFCookie(c, csrfToken)
	out := fiber.Map{"name": p.Name, "role": p.Role, "csrf_token": csrfToken}
	if ev, err := s.svc.Store().EventByID(cx, *p.EventID); err == nil {
		out["event"] = ev.Slug
	}
	return c.JSON(out)
}

// maxQRText bounds the text of POST /api/v1/qr: a login link is about
// 150 bytes, and a QR code of more than this is hard to scan from a
// screen.
const maxQRText = 512

type qrRequest struct {
	Text string `json:"text"`
}

// qrPNG draws a text as a QR code for the console (admin only): the
// secret of a kiosk token is known to the browser that issued it, never
// stored, so the picture is made from what the browser sends.
func (s *Server) qrPNG(c *fiber.Ctx) error {
	if err := principal(c).RequireAdmin(); err != nil {
		return err
	}
	var in qrRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if in.Text == "" || len(in.Text) > maxQRText || !utf8.ValidString(in.Text) {
		return app.Errorf(app.EInvalid, "text must be 1–%d bytes of UTF-8", maxQRText)
	}
	png, err := qrcode.PNG(in.Text)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "image/png")
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(png)
}

// viaAPITokenCookie reports whether the caller's login cookie holds an
// API token (a kiosk that logged in with its token): logging out forgets
// the cookie but leaves the token, which only revoking ends.
func viaAPITokenCookie(c *fiber.Ctx) bool {
	p := principal(c)
	via, _ := c.Locals(localViaCookie).(bool)
	return via && p.TokenID != 0 && p.UserID == nil
}
