package api

import (
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// MetricsPath is where the Prometheus text exposition is served: on the
// API's own listener, unless Config.MetricsAside moves it to a listener
// of its own (HYBRIDCON_METRICS_ADDR). It needs no credentials: serve it
// aside, or restrict it at the proxy (see docs/operations.md), if the
// numbers must not be public.
const MetricsPath = "/metrics"

// Metrics is the HTTP side of the node's metrics: a latency histogram of
// every request by method, route pattern and status class, and the
// handler that serves a whole registry at MetricsPath. Build it with
// NewMetrics and put it in Config.Metrics. Safe for concurrent use.
type Metrics struct {
	requests *prometheus.HistogramVec
	handler  http.Handler
	serve    fiber.Handler
}

// NewMetrics registers hybridcon_http_request_duration_seconds{method,
// route, status} on reg and serves everything g gathers (normally the
// same registry, holding the other packages' metrics too). It fails when
// reg already holds a metric of that name.
//
// route is the pattern the request matched (c.Route().Path, e.g.
// /api/v1/events/:slug), never the raw path, and "unmatched" (method
// "other") for requests answered before any route matched: unknown paths,
// and requests refused by middleware (a bad token, a missing CSRF
// token). So the number of series is bounded by the route table; status
// is the class: 1xx … 5xx.
func NewMetrics(reg prometheus.Registerer, g prometheus.Gatherer) (*Metrics, error) {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "hybridcon_http_request_duration_seconds",
		Help:    "Time to answer HTTP requests, by method, route pattern and status class (websocket and SSE requests: until the upgrade or the stream starts).",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	}, []string{"method", "route", "status"})
	if err := reg.Register(h); err != nil {
		return nil, err
	}
	ph := promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
	return &Metrics{requests: h, handler: ph, serve: adaptor.HTTPHandler(ph)}, nil
}

// Handler serves the text exposition over net/http, for a listener of
// its own (Config.MetricsAside).
func (m *Metrics) Handler() http.Handler { return m.handler }

// useMetrics installs the request observer in front of every other
// handler (so it sees panics recovered and errors returned, and their
// final status) and, unless Config.MetricsAside, the MetricsPath route;
// without Config.Metrics it does nothing. New calls it before any other
// middleware.
func (s *Server) useMetrics() {
	m := s.cfg.Metrics
	if m == nil {
		return
	}
	s.app.Use(m.observe)
	if !s.cfg.MetricsAside {
		s.app.Get(MetricsPath, m.serve)
	}
}

// statusClasses are the status label values, by status / 100.
var statusClasses = [...]string{"other", "1xx", "2xx", "3xx", "4xx", "5xx"}

// observe times the rest of the chain. Label values are strings the app
// owns (the route table's method and pattern), never request bytes that
// fasthttp reuses.
func (m *Metrics) observe(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	status := c.Response().StatusCode()
	if err != nil {
		status = statusForLog(err) // the error handler has not run yet
	}
	class := statusClasses[0]
	if k := status / 100; k >= 1 && k <= 5 {
		class = statusClasses[k]
	}
	// Middleware (app.Use) routes have the pattern "/" and match every
	// path; the one real "/" route matches only "/".
	method, route := "other", "unmatched"
	if r := c.Route(); r != nil && r.Path != "" && (r.Path != "/" || c.Path() == "/") {
		method, route = r.Method, r.Path
	}
	m.requests.WithLabelValues(method, route, class).Observe(time.Since(start).Seconds())
	return err
}
