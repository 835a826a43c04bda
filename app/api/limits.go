package api

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"
	"github.com/hybridcon/hybridcon/app"
)

// Limits and headers: rate limits (Fiber's limiter), request body limits
// per route, and the security headers of every answer (Fiber's helmet).
//
// The rate counters live in this process's memory (the limiter's default
// storage): each node counts on its own, so behind a load balancer
// spreading a client over N nodes the client may make up to N times a
// limit, and a restart forgets every count. That is enough to stop a
// runaway kiosk script or a password guesser; it is not a quota. (Each
// limiter's storage keeps one goroutine that collects expired counts for
// the life of the process.)

// Rate is a rate limit: at most Max requests per Per for one key.
type Rate struct {
	// Max is how many requests one key may make in a window. Zero means
	// the default; Unlimited (any negative value) turns the limit off.
	Max int
	// Per is the window, rounded up to whole seconds (the limiter counts
	// in seconds); windows are fixed, starting at a key's first request.
	// Zero means the default.
	Per time.Duration
}

// Unlimited, as a Rate's Max, turns that limit off (tests, load
// generators, a node behind a gateway that limits on its own).
const Unlimited = -1

// Limits are the API's rate limits; every zero field means the default
// of DefaultLimits. Refused requests get 429 with a Retry-After header
// and the error code rate_limited, and change nothing.
type Limits struct {
	// Login counts every POST /api/v1/auth/login per client IP, whatever
	// its outcome, so password guessing is slow. Zero: 10 per minute.
	Login Rate
	// AuthFailures counts requests whose Authorization: Bearer token was
	// refused, per client IP. Past the limit such requests get 429
	// instead of 401; requests with good tokens from the same address
	// (other kiosks behind the venue's NAT) are not affected. Zero: 30
	// per minute.
	AuthFailures Rate
	// CheckIn counts scans (POST …/checkins, and each batch upload as
	// one) per token. A busy gate scans several guests a second. Zero:
	// 50 per second.
	CheckIn Rate
	// Writes counts every other POST, PUT, PATCH and DELETE per token
	// (per client IP for anonymous callers): 20 a second on average, with
	// room for a burst (a console replaying queued actions, a script
	// creating a catalogue). Zero: 200 per 10 seconds.
	Writes Rate
	// Party counts the writes of participants and teams (interest,
	// meeting requests and decisions, votes, scans at a table, deleting
	// one's data) per participant or team, whatever address they come
	// from (a hall's guests share one). Zero: 30 per minute.
	Party Rate
	// Questions counts questions per participant (per client IP for
	// anonymous viewers, when the event takes their questions). Zero: 5
	// per minute.
	Questions Rate
}

// DefaultLimits are the limits a zero Limits stands for.
var DefaultLimits = Limits{
	Login:        Rate{Max: 10, Per: time.Minute},
	AuthFailures: Rate{Max: 30, Per: time.Minute},
	CheckIn:      Rate{Max: 50, Per: time.Second},
	Writes:       Rate{Max: 200, Per: 10 * time.Second},
	Party:        Rate{Max: 30, Per: time.Minute},
	Questions:    Rate{Max: 5, Per: time.Minute},
}

// NoLimits turns every rate limit off.
var NoLimits = Limits{
	Login:        Rate{Max: Unlimited},
	AuthFailures: Rate{Max: Unlimited},
	CheckIn:      Rate{Max: Unlimited},
	Writes:       Rate{Max: Unlimited},
	Party:        Rate{Max: Unlimited},
	Questions:    Rate{Max: Unlimited},
}

func (r Rate) withDefault(def Rate) Rate {
	if r.Max == 0 {
		r.Max = def.Max
	}
	if r.Per <= 0 {
		r.Per = def.Per
	}
	return r
}

func (l Limits) withDefaults() Limits {
	l.Login = l.Login.withDefault(DefaultLimits.Login)
	l.AuthFailures = l.AuthFailures.withDefault(DefaultLimits.AuthFailures)
	l.CheckIn = l.CheckIn.withDefault(DefaultLimits.CheckIn)
	l.Writes = l.Writes.withDefault(DefaultLimits.Writes)
	l.Party = l.Party.withDefault(DefaultLimits.Party)
	l.Questions = l.Questions.withDefault(DefaultLimits.Questions)
	return l
}

// Body limits below the server-wide Config.BodyLimit.
const (
	// smallBodyLimit bounds GET requests and writes that take no body
	// (session actions take nothing or "{}").
	smallBodyLimit = 1 << 10
	// jsonBodyLimit bounds ordinary JSON bodies.
	jsonBodyLimit = 64 << 10
)

// routeBodyLimit is the largest body a route accepts: its own BodyLimit,
// else smallBodyLimit for GETs and jsonBodyLimit for writes.
func routeBodyLimit(r Route) int {
	switch {
	case r.BodyLimit > 0:
		return r.BodyLimit
	case r.Method == fiber.MethodGet, r.Method == fiber.MethodHead:
		return smallBodyLimit
	}
	return jsonBodyLimit
}

// limitBody answers 413 for bodies over limit and 415 for compressed
// bodies. Fiber's Ctx.Body inflates a body sent with Content-Encoding
// (gzip, br, deflate) without any bound, so a few kilobytes could become
// gigabytes before a length check; no client of this API compresses what
// it sends, so such bodies are refused unread.
func limitBody(limit int, next fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		raw := c.Request().Body()
		if len(raw) > limit {
			return app.Errorf(app.ETooLarge, "request body is larger than %d bytes", limit)
		}
		if len(raw) > 0 {
			if ce := c.Request().Header.Peek(fiber.HeaderContentEncoding); len(ce) > 0 && string(ce) != "identity" {
				return fiber.NewError(fiber.StatusUnsupportedMediaType, "request bodies must not be compressed (Content-Encoding)")
			}
		}
		return next(c)
	}
}

// Rate classes: which limit counts a route.
const (
	rateNone    = ""
	rateLogin   = "login"
	rateCheckIn = "checkin"
	rateWrites  = "writes"
	// Technology transfer (transfer.go): writes of participants and
	// teams, and questions.
	rateParty     = "party"
	rateQuestions = "questions"
)

// loginPath and checkInPaths are the routes with limits of their own.
const loginPath = "/api/v1/auth/login"

var checkInPaths = map[string]bool{
	"/api/v1/events/:slug/checkins":       true,
	"/api/v1/events/:slug/checkins/batch": true,
}

// rateClass says which limit counts r: reads none, the login and the
// scans their own, every other write the per-token write limit.
func rateClass(r Route) string {
	switch {
	case r.Method == fiber.MethodGet, r.Method == fiber.MethodHead:
		return rateNone
	case r.Method == fiber.MethodPost && (r.Path == loginPath || r.Path == tokenLoginPath):
		return rateLogin
	case r.Method == fiber.MethodPost && checkInPaths[r.Path]:
		return rateCheckIn
	case r.Method == fiber.MethodPost && r.Path == questionsPath:
		return rateQuestions
	case partyPaths[r.Method+" "+r.Path]:
		return rateParty
	}
	return rateWrites
}

// limiters are the rate limiters of one Server, by rate class; a nil
// handler means that limit is off.
type limiters struct {
	byClass      map[string]fiber.Handler
	authFailures fiber.Handler
}

func newLimiters(l Limits) *limiters {
	l = l.withDefaults()
	return &limiters{
		byClass: map[string]fiber.Handler{
			rateLogin:     newLimiter(l.Login, clientIP, nil, "too many login attempts from this address"),
			rateCheckIn:   newLimiter(l.CheckIn, callerKey, nil, "too many scans with this token"),
			rateWrites:    newLimiter(l.Writes, callerKey, nil, "too many changes with this token"),
			rateParty:     newLimiter(l.Party, callerKey, nil, "too many changes by this participant or team"),
			rateQuestions: newLimiter(l.Questions, callerKey, nil, "too many questions from this participant"),
		},
		// Counts only requests whose token authenticate refused (see
		// authFailed); everything else skips it.
		authFailures: newLimiter(l.AuthFailures, clientIP, func(c *fiber.Ctx) bool { return authFailure(c) == nil },
			"too many failed authentications from this address"),
	}
}

// newLimiter returns a fixed-window limiter for r, or nil when r is off.
func newLimiter(r Rate, key func(*fiber.Ctx) string, skip func(*fiber.Ctx) bool, what string) fiber.Handler {
	if r.Max < 0 {
		return nil
	}
	return limiter.New(limiter.Config{
		Next:              skip,
		Max:               r.Max,
		Expiration:        r.Per,
		KeyGenerator:      key,
		LimiterMiddleware: limiter.FixedWindow{},
		LimitReached: func(c *fiber.Ctx) error {
			// The limiter has set Retry-After (whole seconds) already.
			retry, _ := strconv.Atoi(c.GetRespHeader(fiber.HeaderRetryAfter))
			return &app.Error{Code: app.ERateLimited, Message: what + "; retry in " + strconv.Itoa(retry) + " s",
				Details: map[string]int{"retry_after": retry}}
		},
	})
}

// clientIP keys a limit by the client's address (see Config.ProxyHeader).
func clientIP(c *fiber.Ctx) string { return c.IP() }

// callerKey keys a limit by the caller's token (API token or login), a
// participant or team by who they are (partyKey), and anonymous callers
// by address.
func callerKey(c *fiber.Ctx) string {
	if k := partyKey(c); k != "" {
		return k
	}
	if id := principal(c).TokenID; id != 0 {
		return "t" + strconv.FormatInt(id, 10)
	}
	return "ip " + c.IP()
}

// routeHandlers returns r's handler chain: its rate limiter (if any),
// the body limit, the handler.
func (s *Server) routeHandlers(r Route) []fiber.Handler {
	var hs []fiber.Handler
	if lim := s.limits.byClass[rateClass(r)]; lim != nil {
		hs = append(hs, lim)
	}
	return append(hs, limitBody(routeBodyLimit(r), r.Handler))
}
