package api

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/requestid"
	"github.com/valyala/fasthttp"
)

// Headers every answer carries — the request id and the security
// headers — whoever answers: the route's handler, a middleware's
// refusal, or fasthttp refusing a request before any handler ran (an
// over-limit body, oversized headers, a malformed request line: Fiber
// hands those to Config.ErrorHandler, with a fresh Ctx that no
// middleware has seen). So the headers are written by functions that the
// middleware and the error handler both call, not by a middleware alone.

// contentSecurityPolicy is the policy of API answers: they are data, not
// documents, so nothing may load from them or frame them. Pages set
// their own policy (app/web), which replaces this one.
const contentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// securityHeaderValues are the headers of every answer: no MIME
// sniffing, no framing, no referrer, cross-origin isolation, the API's
// content security policy (the values Fiber's helmet middleware would
// set with our settings).
var securityHeaderValues = [...][2]string{
	{fiber.HeaderXXSSProtection, "0"},
	{fiber.HeaderXContentTypeOptions, "nosniff"},
	{fiber.HeaderXFrameOptions, "DENY"},
	{"Cross-Origin-Embedder-Policy", "require-corp"},
	{"Cross-Origin-Opener-Policy", "same-origin"},
	{"Cross-Origin-Resource-Policy", "same-origin"},
	{"Origin-Agent-Cluster", "?1"},
	{"Referrer-Policy", "no-referrer"},
	{"X-DNS-Prefetch-Control", "off"},
	{"X-Download-Options", "noopen"},
	{"X-Permitted-Cross-Domain-Policies", "none"},
	{fiber.HeaderContentSecurityPolicy, contentSecurityPolicy},
}

// setSecurityHeaders writes the security headers, and
// Strict-Transport-Security when Config.HSTSMaxAge is set and the request
// came over HTTPS (TLS here, or a trusted proxy's X-Forwarded-Proto).
func (s *Server) setSecurityHeaders(c *fiber.Ctx) {
	h := &c.Response().Header
	for _, kv := range securityHeaderValues {
		h.Set(kv[0], kv[1])
	}
	if s.cfg.HSTSMaxAge > 0 && c.Protocol() == "https" {
		h.Set(fiber.HeaderStrictTransportSecurity, "max-age="+strconv.Itoa(int(s.cfg.HSTSMaxAge/time.Second))+"; includeSubDomains")
	}
}

// securityHeaders is the middleware form: it sets the headers before the
// handler runs, so handlers (the pages) may replace them.
func (s *Server) securityHeaders(c *fiber.Ctx) error {
	s.setSecurityHeaders(c)
	return c.Next()
}

// ensureAnswerHeaders gives an error answer what the middleware would
// have: a request id (X-Request-ID, returned) and the security headers,
// when they are missing because no middleware ran.
func (s *Server) ensureAnswerHeaders(c *fiber.Ctx) string {
	if len(c.Response().Header.Peek(fiber.HeaderXContentTypeOptions)) == 0 {
		s.setSecurityHeaders(c)
	}
	if id := requestID(c); id != "" {
		return id
	}
	id := requestid.ConfigDefault.Generator()
	c.Set(requestid.ConfigDefault.Header, id)
	return id
}

// refuseUnknownMethods answers a request whose method Fiber does not
// know (PROPFIND, BREW) with our 501 instead of Fiber's plain-text "Invalid
// http method", which it writes before any handler or the error handler
// runs. It wraps the fasthttp server's handler, which both Listener and
// Test use.
func (s *Server) refuseUnknownMethods() {
	srv := s.app.Server()
	next := srv.Handler
	known := map[string]bool{}
	for _, m := range fiber.DefaultMethods {
		known[m] = true
	}
	srv.Handler = func(fctx *fasthttp.RequestCtx) {
		if known[string(fctx.Method())] {
			next(fctx)
			return
		}
		c := s.app.AcquireCtx(fctx)
		defer s.app.ReleaseCtx(c)
		msg := "method " + truncate(string(fctx.Method()), 20) + " is not implemented"
		if err := s.onError(c, fiber.NewError(fiber.StatusNotImplemented, msg)); err != nil {
			fctx.SetStatusCode(fiber.StatusInternalServerError)
		}
	}
}
