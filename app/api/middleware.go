package api

import (
	"crypto/subtle"
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/requestid"
	"github.com/hybridcon/hybridcon/app"
)

// Cookie names used by the pages.
const (
	SessionCookie = "hc_session"
	CSRFCookie    = "hc_csrf"
	CSRFHeader    = "X-CSRF-Token"
)

const (
	localPrincipal   = "principal"
	localViaCookie   = "via_cookie"
	localAuthFailure = "auth_failure"
)

func requestID(c *fiber.Ctx) string {
	if id, ok := c.Locals(requestid.ConfigDefault.ContextKey).(string); ok {
		return id
	}
	return ""
}

// accessLog logs one line per request with slog.
func accessLog(log *slog.Logger) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		status := c.Response().StatusCode()
		if err != nil {
			// The error handler has not run yet; derive the status it will set.
			status = statusForLog(err)
		}
		level := slog.LevelDebug
		if status >= 500 {
			level = slog.LevelWarn
		}
		log.Log(c.UserContext(), level, "http", "method", c.Method(), "path", c.Path(), "status", status,
			"ms", float64(time.Since(start).Microseconds())/1000, "request_id", requestID(c))
		return err
	}
}

func statusForLog(err error) int {
	if fe, ok := err.(*fiber.Error); ok {
		return fe.Code
	}
	if s, ok := statusOf[app.ErrorCode(err)]; ok {
		return s
	}
	return 500
}

// authenticate puts the caller's principal into the context: from an
// Authorization: Bearer token, else from the login cookie. A bad bearer
// token is refused, even on public routes, so a misconfigured client
// learns about it; a stale cookie just means anonymous. Answers to an
// authenticated caller are not stored by caches (Cache-Control: no-store,
// unless the handler says otherwise).
//
// A refused token is not answered here: the refusal is recorded for the
// failed-authentication limit (see refuseFailedAuth), which runs next.
func (s *Server) authenticate(c *fiber.Ctx) error {
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
			c.Locals(localAuthFailure, app.Errorf(app.EUnauthorized, "Authorization must be \"Bearer <token>\""))
			return c.Next()
		}
		p, err := s.svc.Authenticate(c.UserContext(), strings.TrimSpace(tok))
		if app.ErrorCode(err) == app.EUnauthorized {
			c.Locals(localAuthFailure, err)
			return c.Next()
		}
		if err != nil {
			return err
		}
		c.Locals(localPrincipal, p)
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Next()
	}
	if ck := c.Cookies(SessionCookie); ck != "" {
		p, err := s.svc.Authenticate(c.UserContext(), ck)
		if err == nil {
			c.Locals(localPrincipal, p)
			c.Locals(localViaCookie, true)
			c.Set(fiber.HeaderCacheControl, "no-store")
		} else if app.ErrorCode(err) != app.EUnauthorized {
			return err
		}
	}
	return c.Next()
}

// authFailure returns the refusal authenticate recorded, or nil.
func authFailure(c *fiber.Ctx) error {
	err, _ := c.Locals(localAuthFailure).(error)
	return err
}

// refuseFailedAuth answers a request whose token authenticate refused
// with that 401. Between the two sits the failed-authentication limiter
// (Limits.AuthFailures), which counts only these requests and answers
// 429 instead once an address has failed too often.
func refuseFailedAuth(c *fiber.Ctx) error {
	if err := authFailure(c); err != nil {
		return err
	}
	return c.Next()
}

// principal returns the caller (anonymous when nobody authenticated).
func principal(c *fiber.Ctx) app.Principal {
	p, _ := c.Locals(localPrincipal).(app.Principal)
	return p
}

// csrf protects cookie-authenticated writes with a double-submit token:
// the X-CSRF-Token header must equal the hc_csrf cookie set at login.
// Bearer-token requests carry no ambient credentials and need none.
func csrf(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	if via, _ := c.Locals(localViaCookie).(bool); !via {
		return c.Next()
	}
	want, got := c.Cookies(CSRFCookie), c.Get(CSRFHeader)
	if want == "" || subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
		return app.Errorf(app.EForbidden, "missing or wrong CSRF token (send the %s cookie's value in %s)", CSRFCookie, CSRFHeader)
	}
	return c.Next()
}
