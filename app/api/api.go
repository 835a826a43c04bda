// Package api is hybridcon's HTTP API on Fiber: the route table, thin
// handlers (parse → validate → call app → respond), authentication and
// the one place where errors become statuses. It holds no business rules
// and no SQL.
package api

import (
	"context"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/fiber/v2/middleware/requestid"
	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/app/origin"
	"github.com/valyala/fasthttp"
)

// Live is the realtime side the API mounts: websocket and SSE handlers
// and the cached snapshot. realtime.Hub implements it.
type Live interface {
	WebsocketHandler() fiber.Handler
	SSEHandler() fiber.Handler
	Snapshot(ctx context.Context, slug string) ([]byte, error)
}

// handshaker is a Live that answers websocket handshakes for GET
// /ws/events/:slug ahead of the router when it can (realtime.Hub).
type handshaker interface {
	Handshakes(app *fiber.App, next fasthttp.RequestHandler) fasthttp.RequestHandler
}

// Check is one readiness check (database, Redis).
type Check struct {
	Name string
	Func func(ctx context.Context) error
}

// Config configures the HTTP layer.
type Config struct {
	// BodyLimit is the largest request body accepted, in bytes; zero
	// means DefaultBodyLimit. Routes may set smaller limits of their own.
	BodyLimit int
	// ReadyChecks run on /readyz; any failure answers 503.
	ReadyChecks []Check
	// SecureCookies sets the Secure flag on the login and CSRF cookies,
	// so browsers send them over HTTPS only. Set it behind TLS; false (the
	// zero value) also works over plain HTTP.
	SecureCookies bool
	// Origins are the browser origins from which cookie-authenticated
	// writes are accepted: the request's own, and those the policy allows
	// (the same policy the websocket handshake follows); a write whose
	// Origin header names any other is refused with 403. The zero value
	// allows the own origin only. Bearer requests are not checked. (Over
	// HTTPS, Fiber's CSRF middleware also wants a Referer of the request's
	// own host on such writes; see middleware.go.)
	Origins origin.Policy
	// Logger receives access and error logs; nil means slog.Default().
	Logger *slog.Logger
	// Metrics, when set, times every request and serves MetricsPath
	// (see metrics.go); nil serves no metrics.
	Metrics *Metrics
	// MetricsAside leaves MetricsPath off this listener: the caller serves
	// Metrics.Handler on one of its own. Requests are timed all the same.
	MetricsAside bool
	// Limits are the rate limits (see limits.go); the zero value means
	// DefaultLimits.
	Limits Limits
	// HSTSMaxAge, when positive, sends Strict-Transport-Security with
	// this max-age on answers to HTTPS requests (TLS here, or a trusted
	// proxy's X-Forwarded-Proto: https). Zero sends none.
	HSTSMaxAge time.Duration
	// TrustedProxies are the addresses or CIDR ranges of the reverse
	// proxies in front of this node. Only requests from them may set
	// ProxyHeader (the client address that per-address rate limits and
	// logs use), X-Forwarded-Proto and X-Forwarded-Host (the scheme and
	// host the origin and CSRF checks compare with). Empty trusts nobody.
	TrustedProxies []string
	// ProxyHeader names the header a trusted proxy puts the client's
	// address in. Use one the proxy overwrites (X-Real-IP): the first
	// address of X-Forwarded-For is whatever the client sent. Empty uses
	// the connection's address.
	ProxyHeader string
}

// DefaultBodyLimit bounds request bodies (CSV imports are the largest).
const DefaultBodyLimit = 4 << 20

// Server is the HTTP API.
type Server struct {
	svc  *app.Service
	live Live
	cfg  Config
	log  *slog.Logger
	app  *fiber.App
	// limits are the rate limiters; doc the OpenAPI document.
	limits *limiters
	doc    *openAPIDoc
	// onError is the app's error handler (errors.go).
	onError fiber.ErrorHandler
}

// Route is one row of the route table; the OpenAPI document and the
// authorization tests read the same table.
type Route struct {
	Method  string
	Path    string
	Who     string // public, checker, organizer or admin: who may call it
	Summary string
	Handler fiber.Handler
	// BodyLimit overrides the route's default body limit: 1 KiB for
	// GETs, 64 KiB for writes (see routeBodyLimit).
	BodyLimit int
}

// New builds the Fiber app with every route.
func New(cfg Config, svc *app.Service, live Live) *Server {
	if cfg.BodyLimit <= 0 {
		cfg.BodyLimit = DefaultBodyLimit
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{svc: svc, live: live, cfg: cfg, log: cfg.Logger, limits: newLimiters(cfg.Limits)}
	s.onError = s.errorHandler()
	s.app = fiber.New(fiber.Config{
		AppName:               "hybridcon",
		BodyLimit:             cfg.BodyLimit,
		ErrorHandler:          s.onError,
		DisableStartupMessage: true,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           120 * time.Second,
		ReadBufferSize:        8192,
		// Keeps idle connections (every websocket viewer) from holding
		// fasthttp's request buffers: 18 → 13 KiB per idle viewer,
		// measured by realtime's TestMemoryPerViewer.
		ReduceMemoryUsage: true,
		// c.IP() and c.Protocol() believe proxy headers only from these.
		EnableTrustedProxyCheck: true,
		TrustedProxies:          cfg.TrustedProxies,
		ProxyHeader:             cfg.ProxyHeader,
		EnableIPValidation:      true,
	})
	// Upgraded websockets stay open when their handler returns: the hub
	// closes them itself, and hands idle viewers to its poller rather
	// than keeping a goroutine and fasthttp's request context per viewer
	// (realtime.Hub.WebsocketHandler).
	s.app.Server().KeepHijackedConns = true
	s.useMetrics() // first: it times everything below, recovered panics included
	s.app.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: func(c *fiber.Ctx, e any) {
		cfg.Logger.Error("panic", "path", c.Path(), "panic", e)
	}}))
	s.app.Use(requestid.New())
	s.app.Use(accessLog(cfg.Logger))
	s.app.Use(s.securityHeaders)
	s.app.Use(s.authenticate)
	if s.limits.authFailures != nil {
		s.app.Use(s.limits.authFailures)
	}
	s.app.Use(refuseFailedAuth)
	// Cookie-authenticated writes: origin, then CSRF token (middleware.go).
	s.app.Use(s.checkOrigin)
	s.app.Use(s.newCSRF())
	s.app.Use(s.refreshCSRFCookie)
	routes := s.Routes()
	for _, r := range routes {
		s.app.Add(r.Method, r.Path, s.routeHandlers(r)...)
		if r.Method == fiber.MethodGet {
			// HEAD answers what GET would, without the body (fasthttp
			// skips it); the document lists GET only.
			head := r
			head.Method = fiber.MethodHead
			s.app.Add(head.Method, head.Path, s.routeHandlers(head)...)
		}
	}
	s.refuseUnknownMethods()
	if hs, ok := live.(handshaker); ok {
		// Websocket handshakes the hub can take go straight to it, ahead
		// of the router and the middleware (realtime.Hub.Handshakes).
		srv := s.app.Server()
		srv.Handler = hs.Handshakes(s.app, srv.Handler)
	}
	if cfg.Metrics != nil && !cfg.MetricsAside {
		routes = append(routes, Route{Method: fiber.MethodGet, Path: MetricsPath, Who: "public", Summary: "Prometheus metrics"})
	}
	doc, err := newOpenAPIDoc(routes, cfg.Limits)
	if err != nil {
		panic(err) // a schema the document cannot encode: a programming error the tests catch
	}
	s.doc = doc
	return s
}

// App returns the Fiber app (to listen on, or to test with app.Test).
func (s *Server) App() *fiber.App { return s.app }

// Routes is the route table.
func (s *Server) Routes() []Route {
	routes := []Route{
		{Method: "GET", Path: "/healthz", Who: "public", Summary: "liveness", Handler: s.healthz},
		{Method: "GET", Path: "/readyz", Who: "public", Summary: "readiness: database and Redis", Handler: s.readyz},
		{Method: "GET", Path: OpenAPIPath, Who: "public", Summary: "this API's OpenAPI 3.1 document", Handler: s.serveOpenAPI},

		{Method: "POST", Path: "/api/v1/auth/login", Who: "public", Summary: "log in to the pages (sets cookies)", Handler: s.login},
		{Method: "POST", Path: "/api/v1/auth/logout", Who: "public", Summary: "log out", Handler: s.logout, BodyLimit: smallBodyLimit},
		{Method: "GET", Path: "/api/v1/auth/me", Who: "public", Summary: "who is calling", Handler: s.me},

		{Method: "GET", Path: "/api/v1/events", Who: "public", Summary: "list events", Handler: s.listEvents},
		{Method: "GET", Path: "/api/v1/events/:slug", Who: "public", Summary: "one event", Handler: s.getEvent},
		{Method: "GET", Path: "/api/v1/events/:slug/sessions", Who: "public", Summary: "agenda with planned and expected times", Handler: s.listSessions},
		{Method: "GET", Path: "/api/v1/events/:slug/achievements", Who: "public", Summary: "showcase catalogue", Handler: s.listAchievements},
		{Method: "GET", Path: "/api/v1/events/:slug/catalogue", Who: "public", Summary: "the catalogue live pages load once per version (ETag, cacheable)", Handler: s.getCatalogue},
		{Method: "GET", Path: "/api/v1/events/:slug/programme", Who: "public", Summary: "the programme live pages load once per version (ETag, cacheable)", Handler: s.getProgramme},
		{Method: "GET", Path: "/api/v1/sessions/:id/showcase", Who: "public", Summary: "run-of-show with planned and expected times", Handler: s.getShowcase},
		{Method: "GET", Path: "/api/v1/events/:slug/announcements", Who: "public", Summary: "announcements, newest first", Handler: s.listAnnouncements},
		{Method: "POST", Path: "/api/v1/events/:slug/announcements", Who: "organizer", Summary: "post an announcement", Handler: s.postAnnouncement},
		{Method: "PATCH", Path: "/api/v1/events/:slug/announcements/:id", Who: "organizer", Summary: "edit, pin or unpin an announcement (emits announcement.updated)", Handler: s.updateAnnouncement},
		{Method: "DELETE", Path: "/api/v1/events/:slug/announcements/:id", Who: "organizer", Summary: "delete an announcement (emits announcement.deleted)", Handler: s.deleteAnnouncement, BodyLimit: smallBodyLimit},

		{Method: "POST", Path: "/api/v1/events", Who: "admin", Summary: "create an event", Handler: s.createEvent},
		{Method: "PATCH", Path: "/api/v1/events/:slug", Who: "admin", Summary: "change an event (emits event.updated)", Handler: s.updateEvent},
		{Method: "POST", Path: "/api/v1/events/:slug/sessions", Who: "organizer", Summary: "add a session", Handler: s.createSession},
		{Method: "PATCH", Path: "/api/v1/sessions/:id", Who: "organizer", Summary: "change a session", Handler: s.updateSession},
		{Method: "POST", Path: "/api/v1/sessions/:id/start", Who: "organizer", Summary: "start a session", Handler: s.moveSession(app.ActionStart), BodyLimit: smallBodyLimit},
		{Method: "POST", Path: "/api/v1/sessions/:id/pause", Who: "organizer", Summary: "pause a live session", Handler: s.moveSession(app.ActionPause), BodyLimit: smallBodyLimit},
		{Method: "POST", Path: "/api/v1/sessions/:id/resume", Who: "organizer", Summary: "resume a paused session", Handler: s.moveSession(app.ActionResume), BodyLimit: smallBodyLimit},
		{Method: "POST", Path: "/api/v1/sessions/:id/end", Who: "organizer", Summary: "end a session", Handler: s.moveSession(app.ActionEnd), BodyLimit: smallBodyLimit},
		{Method: "POST", Path: "/api/v1/sessions/:id/cancel", Who: "organizer", Summary: "cancel a scheduled session", Handler: s.moveSession(app.ActionCancel), BodyLimit: smallBodyLimit},
		{Method: "PUT", Path: "/api/v1/sessions/:id/showcase", Who: "organizer", Summary: "set the run-of-show", Handler: s.setShowcase},
		{Method: "POST", Path: "/api/v1/sessions/:id/showcase/advance", Who: "organizer", Summary: "finish the presenting slot, start the next", Handler: s.advance},
		{Method: "POST", Path: "/api/v1/sessions/:id/showcase/skip", Who: "organizer", Summary: "skip a slot", Handler: s.skip},
		{Method: "POST", Path: "/api/v1/sessions/:id/delay", Who: "organizer", Summary: "shift a session's plan", Handler: s.delay},
		{Method: "POST", Path: "/api/v1/events/:slug/achievements", Who: "organizer", Summary: "add an achievement", Handler: s.createAchievement},
		{Method: "POST", Path: "/api/v1/events/:slug/achievements/import", Who: "organizer", Summary: "import achievements from CSV", Handler: s.importAchievements, BodyLimit: DefaultBodyLimit},
		{Method: "PATCH", Path: "/api/v1/achievements/:id", Who: "organizer", Summary: "change an achievement", Handler: s.updateAchievement},
		{Method: "DELETE", Path: "/api/v1/achievements/:id", Who: "organizer", Summary: "delete an unused achievement", Handler: s.deleteAchievement, BodyLimit: smallBodyLimit},
		{Method: "GET", Path: "/api/v1/events/:slug/audit", Who: "organizer", Summary: "audit trail, newest first", Handler: s.listAudit},

		{Method: "GET", Path: "/api/v1/events/:slug/live", Who: "public", Summary: "current snapshot", Handler: s.getLive},
		{Method: "GET", Path: "/api/v1/events/:slug/log", Who: "public", Summary: "durable live envelopes after since", Handler: s.getLog},
		{Method: "GET", Path: "/api/v1/events/:slug/stream", Who: "public", Summary: "live envelopes as Server-Sent Events", Handler: s.live.SSEHandler()},
		{Method: "GET", Path: "/ws/events/:slug", Who: "public", Summary: "live envelopes over websocket", Handler: s.live.WebsocketHandler()},
	}
	routes = append(routes, s.checkinRoutes()...)
	routes = append(routes, s.accountRoutes()...)
	routes = append(routes, s.transferRoutes()...)
	routes = append(routes, s.stageRoutes()...)
	return routes
}

func (s *Server) healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

func (s *Server) readyz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	status := fiber.Map{}
	ok := true
	for _, ch := range s.cfg.ReadyChecks {
		if err := ch.Func(ctx); err != nil {
			status[ch.Name] = "down"
			ok = false
			s.log.Warn("readiness check failed", "check", ch.Name, "err", err)
		} else {
			status[ch.Name] = "ok"
		}
	}
	if !ok {
		return c.Status(fiber.StatusServiceUnavailable).JSON(ErrorBody{Error: ErrorDetail{
			Code: app.EUnavailable, Message: "not ready: a dependency is down", Details: status, RequestID: requestID(c)}})
	}
	return c.JSON(fiber.Map{"status": "ready", "checks": status})
}

// ctx gives a handler's database work its own deadline: fasthttp's
// request context is only cancelled at server shutdown.
func ctx(c *fiber.Ctx) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.UserContext(), 10*time.Second)
}
