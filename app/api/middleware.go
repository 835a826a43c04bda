package api

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/csrf"
	"github.com/gofiber/fiber/v2/middleware/requestid"
	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/app/origin"
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
// Authorization: Bearer token (or an Authorization: Ticket credential of
// a participant or team, see transferAuth), else from the login cookie. A bad bearer
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
		if ok && strings.EqualFold(scheme, "Ticket") && strings.TrimSpace(tok) != "" {
			return s.transferAuth(c, strings.TrimSpace(tok)) // a participant's ticket or a team link (transfer.go)
		}
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
			c.Locals(localAuthFailure, app.Errorf(app.EUnauthorized, "Authorization must be \"Bearer <token>\" (or \"Ticket <ticket>\" for participants and teams)"))
			return c.Next()
		}
		cx, cancel := authCtx(c)
		p, err := s.svc.Authenticate(cx, strings.TrimSpace(tok))
		cancel()
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
		cx, cancel := authCtx(c)
		p, err := s.svc.Authenticate(cx, ck)
		cancel()
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

// authTimeout bounds authenticating one request: a database read when
// the token is not in the cache (the last use is recorded later, off the
// request's path).
const authTimeout = 5 * time.Second

// authCtx is the deadline of authenticate's database work: fasthttp's
// request context is only cancelled at server shutdown.
func authCtx(c *fiber.Ctx) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.UserContext(), authTimeout)
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

// Protection of cookie-authenticated writes.
//
// A browser attaches the login cookie (hc_session) to every request to
// this site, including requests a page of another site makes it send.
// So a write (any method but GET, HEAD, OPTIONS and TRACE) authenticated
// by that cookie must show that one of our own pages sent it; Bearer
// requests carry no ambient credentials and skip all of this.
//
//  1. checkOrigin: a browser's Origin header, when present, must be this
//     site's own origin (as Fiber sees it behind trusted proxies) or one
//     of the allowed origins (Config.Origins).
//  2. Fiber's csrf middleware (newCSRF): over HTTPS, a Referer of this
//     host; then the X-CSRF-Token header must equal the hc_csrf cookie (a
//     double submit: another site's page can neither read the cookie nor
//     set the header).
//
// Fiber's middleware also looks every token up in a Storage, by default
// this process's memory, where a token issued by one node is unknown to
// the next one behind the load balancer. Ours needs no storage: the token
// is derived from the login it belongs to (csrfTokenFor: HMAC-SHA256
// keyed with the login secret the hc_session cookie carries), so every
// node recomputes it from the request itself. The extractor
// (boundCSRFToken) accepts a header only when it is the token of the
// request's own login, and the storage (csrfTokens) keeps nothing. A
// token of another login — another user's, or one a sibling domain
// planted in the hc_csrf cookie — is refused.

// csrfTokenLabel is what csrfTokenFor authenticates; changing it
// invalidates every page's token at once.
const csrfTokenLabel = "hybridcon csrf v1"

// csrfTokenLen is the length of a token from csrfTokenFor.
var csrfTokenLen = base64.RawURLEncoding.EncodedLen(sha256.Size)

// csrfTokenFor is the CSRF token of the login (or token) secret: the
// same on every node, different for every login, and telling nothing
// about the secret, which stays in the HttpOnly hc_session cookie.
func csrfTokenFor(secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(csrfTokenLabel))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// safeMethod reports whether m changes nothing (RFC 9110 §9.2.1): the
// methods Fiber's csrf middleware does not check either.
func safeMethod(m string) bool {
	switch m {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions, fiber.MethodTrace:
		return true
	}
	return false
}

// viaCookie reports whether the caller authenticated with the login
// cookie (see authenticate).
func viaCookie(c *fiber.Ctx) bool {
	v, _ := c.Locals(localViaCookie).(bool)
	return v
}

// cookieWrite reports whether c is a write authenticated by the login
// cookie: the requests the origin and CSRF checks apply to.
func cookieWrite(c *fiber.Ctx) bool { return viaCookie(c) && !safeMethod(c.Method()) }

// setCSRFCookie sends the hc_csrf cookie: readable by the pages' scripts
// (api.js echoes it in X-CSRF-Token), SameSite=Strict like hc_session.
func (s *Server) setCSRFCookie(c *fiber.Ctx, token string) {
	c.Cookie(&fiber.Cookie{Name: CSRFCookie, Value: token, Path: "/", Secure: s.cfg.SecureCookies,
		SameSite: fiber.CookieSameSiteStrictMode, MaxAge: int(app.LoginTTL.Seconds())})
}

// refreshCSRFCookie (re)sends the hc_csrf cookie on a cookie-authenticated
// read when the browser lacks the token of its login: the cookie was
// lost, or predates the login. Pages load with GETs, so the token is in
// place before their first write.
func (s *Server) refreshCSRFCookie(c *fiber.Ctx) error {
	if viaCookie(c) && safeMethod(c.Method()) {
		if want := csrfTokenFor(c.Cookies(SessionCookie)); c.Cookies(CSRFCookie) != want {
			s.setCSRFCookie(c, want)
		}
	}
	return c.Next()
}

// errCSRFOtherLogin is boundCSRFToken's refusal of a token that belongs
// to another login.
var errCSRFOtherLogin = errors.New("csrf token of another login")

// boundCSRFToken is the csrf middleware's extractor: the X-CSRF-Token
// header, provided it is the token of the login in the request's
// hc_session cookie.
func boundCSRFToken(c *fiber.Ctx) (string, error) {
	got := c.Get(CSRFHeader)
	if got == "" {
		return "", csrf.ErrMissingHeader
	}
	want := csrfTokenFor(c.Cookies(SessionCookie))
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return "", errCSRFOtherLogin
	}
	return got, nil
}

// csrfTokens is the csrf middleware's Storage. It stores nothing, so
// that any node accepts a token another node issued: boundCSRFToken has
// already checked the token against the request's login, and Get only
// confirms the token has the shape csrfTokenFor gives. It is safe for
// concurrent use.
type csrfTokens struct{}

var _ fiber.Storage = csrfTokens{}

var csrfKnown = []byte{1}

// Get returns a non-nil value for a token of csrfTokenFor's shape.
func (csrfTokens) Get(key string) ([]byte, error) {
	if len(key) != csrfTokenLen {
		return nil, nil
	}
	if _, err := base64.RawURLEncoding.DecodeString(key); err != nil {
		return nil, nil
	}
	return csrfKnown, nil
}

// Set does nothing: tokens are derived, not remembered.
func (csrfTokens) Set(string, []byte, time.Duration) error { return nil }

// Delete does nothing: a token ends with its login.
func (csrfTokens) Delete(string) error { return nil }

// Reset does nothing.
func (csrfTokens) Reset() error { return nil }

// Close does nothing.
func (csrfTokens) Close() error { return nil }

// newCSRF is Fiber's csrf middleware, configured for hybridcon: it checks
// cookie-authenticated writes only, takes the token from X-CSRF-Token
// (boundCSRFToken), compares it with the hc_csrf cookie, and answers our
// JSON 403 (csrfRefusal). On success it renews the hc_csrf cookie.
func (s *Server) newCSRF() fiber.Handler {
	return csrf.New(csrf.Config{
		Next:           func(c *fiber.Ctx) bool { return !cookieWrite(c) },
		CookieName:     CSRFCookie,
		CookiePath:     "/",
		CookieSecure:   s.cfg.SecureCookies,
		CookieHTTPOnly: false, // api.js reads it
		CookieSameSite: fiber.CookieSameSiteStrictMode,
		Expiration:     app.LoginTTL,
		Extractor:      boundCSRFToken,
		Storage:        csrfTokens{},
		ErrorHandler:   csrfRefusal,
	})
}

// csrfRefusal turns the csrf middleware's refusals into 403 forbidden
// with a sentence saying what to do.
func csrfRefusal(_ *fiber.Ctx, err error) error {
	var msg string
	switch {
	case errors.Is(err, csrf.ErrMissingHeader), errors.Is(err, csrf.ErrTokenNotFound):
		msg = "missing CSRF token: a change made with the login cookie must send the " + CSRFCookie +
			" cookie's value in the " + CSRFHeader + " header"
	case errors.Is(err, errCSRFOtherLogin):
		msg = "the CSRF token in " + CSRFHeader + " belongs to another login; reload the page or log in again"
	case errors.Is(err, csrf.ErrTokenInvalid):
		msg = "the " + CSRFHeader + " header does not match the " + CSRFCookie + " cookie; reload the page"
	case errors.Is(err, csrf.ErrNoReferer):
		msg = "a change made with the login cookie over HTTPS must carry a Referer header from this site"
	case errors.Is(err, csrf.ErrBadReferer):
		msg = "a change made with the login cookie must come from a page of this site (the Referer names another)"
	default:
		msg = "the CSRF check failed"
	}
	return app.Errorf(app.EForbidden, "%s", msg)
}

// checkOrigin refuses a cookie-authenticated write whose Origin header
// names a site other than this one or the allowed origins (Config.Origins,
// the rule websockets follow too). Browsers send Origin with every
// cross-origin request and with same-origin writes; a request without it
// (not from a browser, or from an old one) is left to the CSRF check.
func (s *Server) checkOrigin(c *fiber.Ctx) error {
	if !cookieWrite(c) || s.cfg.Origins.Allows(c) {
		return c.Next()
	}
	o := c.Get(fiber.HeaderOrigin)
	if len(o) > 100 {
		o = o[:100] + "…"
	}
	return app.Errorf(app.EForbidden,
		"a change made with the login cookie is not accepted from origin %q: only from %s and the allowed origins (HYBRIDCON_ALLOWED_ORIGINS)",
		o, origin.Own(c))
}
