package web_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/app/api"
	"github.com/hybridcon/hybridcon/app/demo"
	"github.com/hybridcon/hybridcon/app/web"
	"github.com/hybridcon/hybridcon/realtime"
	"github.com/hybridcon/hybridcon/storage"
	"github.com/hybridcon/hybridcon/storage/storagetest"
)

// Credentials of the users every server of these tests has.
const (
	adminToken        = "web-test-admin-token-0123456789"
	organizerName     = "organizer"
	organizerPassword = "organizer-password-1"
	checkerName       = "door1"
	checkerPassword   = "checker-password-1"
)

// server is the whole application in-process: storage, service, hub with
// the in-process broker, API and pages, on 127.0.0.1:0.
type server struct {
	t     *testing.T
	url   string
	st    *storage.Store
	svc   *app.Service
	clock *atomic.Int64 // the service's clock in Unix nanoseconds; 0 is real time
}

// setNow sets the service's clock; the zero time restores real time.
func (s *server) setNow(at time.Time) {
	if at.IsZero() {
		s.clock.Store(0)
		return
	}
	s.clock.Store(at.UnixNano())
}

func startServer(t *testing.T) *server {
	t.Helper()
	return startServerWith(t, web.Config{})
}

// startServerWith is startServer with the pages configured as cfg says
// (its Regions and Snapshot are filled in when empty).
func startServerWith(t *testing.T, cfg web.Config) *server {
	t.Helper()
	return startServerOpts(t, cfg, true)
}

// startEmptyServer is a server with an empty database: no conference, no
// organizer or checker, only the bootstrap admin token.
func startEmptyServer(t *testing.T) *server {
	t.Helper()
	return startServerOpts(t, web.Config{}, false)
}

// startServerOpts starts a server; withDemo seeds the demo conference and
// its organizer and checker.
func startServerOpts(t *testing.T, cfg web.Config, withDemo bool) *server {
	t.Helper()
	st := storagetest.Open(t)
	svc := app.NewService(st, nil, nil)
	clock := new(atomic.Int64)
	svc.Now = func() time.Time {
		if v := clock.Load(); v != 0 {
			return time.Unix(0, v).UTC()
		}
		return time.Now().UTC()
	}
	ctx := context.Background()
	if withDemo {
		if err := svc.Seed(ctx, app.ConferenceSeed(demo.Build(time.Now()))); err != nil {
			t.Fatalf("seed: %v", err)
		}
	}
	if _, err := svc.Bootstrap(ctx, adminToken); err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	admin := app.Principal{Name: "admin", Role: app.RoleAdmin}
	if withDemo {
		if _, err := svc.CreateUser(ctx, admin, app.UserInput{Username: organizerName, Password: organizerPassword, Role: app.RoleOrganizer}); err != nil {
			t.Fatalf("create organizer: %v", err)
		}
		if _, err := svc.CreateUser(ctx, admin, app.UserInput{Username: checkerName, Password: checkerPassword, Role: app.RoleChecker, Event: demo.Slug}); err != nil {
			t.Fatalf("create checker: %v", err)
		}
	}
	hub := realtime.NewHub(realtime.HubConfig{Region: "cn", NodeID: "web-test", KnownRegions: []string{"cn", "hu"},
		PresenceInterval: 500 * time.Millisecond}, realtime.NewMemoryBroker(), svc, nil)
	svc.SetPublisher(hub)
	svc.Presence = hub.Presence
	hctx, stopHub := context.WithCancel(context.Background())
	go hub.Run(hctx)
	srv := api.New(api.Config{ReadyChecks: []api.Check{{Name: "database", Func: st.Ping}}}, svc, hub)
	if cfg.Regions == nil {
		cfg.Regions = []string{"cn", "hu"}
	}
	if cfg.Snapshot == nil {
		cfg.Snapshot = hub.Snapshot
	}
	web.Mount(srv.App(), cfg, svc)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		_ = srv.App().Listener(ln)
		close(done)
	}()
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		hub.Shutdown(sctx)
		_ = srv.App().ShutdownWithContext(sctx)
		// A test that skips at once (no chromium) can shut the app down
		// before the goroutine above began serving, which would then serve
		// forever: closing the listener ends it either way.
		_ = ln.Close()
		stopHub()
		svc.StopAttendance()
		<-done
	})
	return &server{t: t, url: "http://" + ln.Addr().String(), st: st, svc: svc, clock: clock}
}

// call sends an API request as the admin and decodes the answer into out
// (when not nil); it fails the test unless the status is 2xx.
func (s *server) call(method, path string, body, out any) {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		s.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			s.t.Fatalf("%s %s: decoding %s: %v", method, path, b, err)
		}
	}
}

// showcaseID returns the id of the demo's showcase session.
func (s *server) showcaseID() int64 {
	s.t.Helper()
	var out struct{ Sessions []app.Session }
	s.call("GET", "/api/v1/events/"+demo.Slug+"/sessions", nil, &out)
	for _, se := range out.Sessions {
		if se.Kind == app.KindShowcase {
			return se.ID
		}
	}
	s.t.Fatal("the demo has no showcase session")
	return 0
}

func (s *server) showcase(id int64) app.Showcase {
	s.t.Helper()
	var sc app.Showcase
	s.call("GET", fmt.Sprintf("/api/v1/sessions/%d/showcase", id), nil, &sc)
	return sc
}

// attendees returns the first n attendees of the demo with their tickets.
func (s *server) attendees(n int) []app.AttendeeView {
	s.t.Helper()
	var page app.AttendeePage
	s.call("GET", fmt.Sprintf("/api/v1/events/%s/attendees?limit=%d", demo.Slug, n), nil, &page)
	if len(page.Attendees) < n {
		s.t.Fatalf("want %d attendees, got %d", n, len(page.Attendees))
	}
	return page.Attendees
}

// ---- the browser ---------------------------------------------------------

// envBrowser makes a missing browser a failure instead of a skip (CI).
const envBrowser = "HYBRIDCON_TEST_BROWSER"

// chromiumPath returns Debian's chromium, skipping the test when it is not
// installed unless HYBRIDCON_TEST_BROWSER=1.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("HYBRIDCON_CHROMIUM"), "/usr/bin/chromium"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv(envBrowser) == "1" {
		t.Fatalf("%s=1 but chromium is not installed at /usr/bin/chromium", envBrowser)
	}
	t.Skip("chromium is not installed (apt-get install chromium); set " + envBrowser + "=1 to make this a failure")
	return ""
}

// browser is the one headless chromium the tests of this package share;
// every tab gets a browser context of its own (its own cookies and
// storage), so tests do not see each other. TestMain stops it.
var browser struct {
	once   sync.Once
	ctx    context.Context
	stop   func()
	dir    string
	err    error
	starts time.Duration
}

// newBrowser returns the shared chromium, starting it on first use with a
// fresh profile.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath(t)
	browser.once.Do(func() {
		started := time.Now()
		dir, err := os.MkdirTemp("", "hybridcon-chromium-")
		if err != nil {
			browser.err = err
			return
		}
		browser.dir = dir
		opts := []chromedp.ExecAllocatorOption{
			chromedp.ExecPath(path),
			chromedp.Headless,
			chromedp.NoSandbox,
			chromedp.DisableGPU,
			chromedp.NoFirstRun,
			chromedp.NoDefaultBrowserCheck,
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("disable-dev-shm-usage", true),
			chromedp.Flag("lang", "en-US"),
			chromedp.UserDataDir(dir),
			chromedp.WindowSize(1280, 900),
		}
		allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancel := chromedp.NewContext(allocCtx)
		browser.ctx = ctx
		browser.stop = func() {
			cancel()
			cancelAlloc()
		}
		browser.err = chromedp.Do(ctx)
		browser.starts = time.Since(started)
	})
	if browser.err != nil {
		t.Fatalf("starting chromium: %v", browser.err)
	}
	return browser.ctx
}

// stopBrowser stops the shared chromium and removes its profile.
func stopBrowser() {
	if browser.stop == nil {
		return
	}
	browser.stop()
	// Chromium's helpers may still write to the profile for a moment.
	for range 50 {
		if os.RemoveAll(browser.dir) == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	stopBrowser()
	os.Exit(code)
}

// newTab opens a tab in a browser context of its own: its own cookies
// and storage, like a second browser.
func newTab(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		t.Fatalf("opening a tab: %v", err)
	}
	t.Cleanup(cancel)
	return ctx
}

// do runs actions with a deadline, failing the test with what on error.
func do(t *testing.T, ctx context.Context, timeout time.Duration, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := chromedp.Do(c, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression and decodes its value.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(c, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// waitFor evaluates a JavaScript predicate every 25 ms until it is truthy,
// failing the test after timeout. Evaluation errors (a page navigating
// away) count as "not yet".
func waitFor(t *testing.T, ctx context.Context, timeout time.Duration, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var lastErr error
	for {
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		ok, err := chromedp.Run(c, chromedp.Evaluate[bool]("!!("+expr+")"))
		cancel()
		if err == nil && ok {
			return
		}
		if err != nil {
			lastErr = err
		}
		if time.Now().After(deadline) {
			// Say what the page said, if it said something.
			c, cancel := context.WithTimeout(ctx, 2*time.Second)
			said, _ := chromedp.Run(c, chromedp.Evaluate[string](`[...document.querySelectorAll('#toast:not([hidden]), .notice:not([hidden]), .form-error')].map(e => e.textContent.trim()).filter(Boolean).join(' | ')`))
			cancel()
			t.Fatalf("waited %v for %s: %s (last error: %v; page notices: %q)", timeout, what, expr, lastErr, said)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// login signs in through the login page and waits for the page it leads
// to (path).
func login(t *testing.T, ctx context.Context, base, start, user, password, path string) {
	t.Helper()
	do(t, ctx, 20*time.Second, "open "+start,
		chromedp.Navigate(base+start),
		chromedp.WaitVisible(chromedp.CSS("#username")),
	)
	if got := eval[string](t, ctx, `location.pathname`); got != "/login" {
		t.Fatalf("%s without a login: at %s, want the login page", start, got)
	}
	do(t, ctx, 20*time.Second, "sign in as "+user,
		chromedp.SendKeys(chromedp.CSS("#username"), user),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS("#login-submit")),
	)
	waitFor(t, ctx, 10*time.Second, "the page after login", `location.pathname === `+jsString(path)+` && document.body.dataset.ready === 'true'`)
}

// setOffline cuts (or restores) the tab's network, including what
// navigator.onLine says.
func setOffline(t *testing.T, ctx context.Context, offline bool) {
	t.Helper()
	conds := []*network.Conditions{}
	if offline {
		conds = append(conds, &network.Conditions{Offline: true, Latency: 0, DownloadThroughput: -1, UploadThroughput: -1})
	}
	do(t, ctx, 10*time.Second, "network emulation", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: conds}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: offline, DownloadThroughput: -1, UploadThroughput: -1})
		return err
	}))
}

// setTimezone makes the tab believe it is in tz.
func setTimezone(t *testing.T, ctx context.Context, tz string) {
	t.Helper()
	do(t, ctx, 10*time.Second, "time zone", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: tz})
		return err
	}))
}

// ---- a network that can be cut ---------------------------------------------

// cutProxy forwards TCP connections to a server. setCut drops every open
// connection (as a failed network does) and refuses new ones until
// restored; setBlock does the same to the connections whose request line
// matches (websocket only, or every live connection), leaving the others
// through. It records the request lines it forwards.
type cutProxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	cut   bool
	block func(requestLine string) bool // nil: block nothing
	conns map[net.Conn]string           // open connections → their first request line
	lines []string
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: strings.TrimPrefix(target, "http://"), conns: map[net.Conn]string{}}
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.setCut(true)
	})
	return p
}

func (p *cutProxy) url() string { return "http://" + p.ln.Addr().String() }

func (p *cutProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.forward(c)
	}
}

// isLive matches the live connections: websocket and Server-Sent Events.
func isLive(requestLine string) bool {
	return isWebsocket(requestLine) || strings.Contains(requestLine, "/stream")
}

// isWebsocket matches websocket handshakes.
func isWebsocket(requestLine string) bool { return strings.Contains(requestLine, " /ws/") }

func (p *cutProxy) forward(c net.Conn) {
	br := bufio.NewReader(c)
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	line, err := br.ReadString('\n')
	if err != nil {
		c.Close()
		return
	}
	_ = c.SetReadDeadline(time.Time{})
	p.mu.Lock()
	p.lines = append(p.lines, strings.TrimSpace(line))
	if p.cut || p.block != nil && p.block(line) {
		p.mu.Unlock()
		c.Close()
		return
	}
	p.conns[c] = line
	p.mu.Unlock()
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[up] = line
	p.mu.Unlock()
	go func() {
		_, _ = up.Write([]byte(line))
		// The recorder sees each later request on this keep-alive
		// connection before the server does, and stops a blocked one.
		_, _ = io.Copy(io.MultiWriter(&lineRecorder{p: p, conns: []net.Conn{c, up}}, up), br)
		up.Close()
		c.Close()
	}()
	_, _ = io.Copy(c, up)
	c.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}

// setCut cuts the whole network, or restores it.
func (p *cutProxy) setCut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	if cut {
		for c := range p.conns {
			c.Close()
			delete(p.conns, c)
		}
	}
}

// setBlock drops and refuses the connections whose first request line
// matches; nil lets everything through again.
func (p *cutProxy) setBlock(match func(requestLine string) bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.block = match
	if match == nil {
		return
	}
	for c, line := range p.conns {
		if match(line) {
			c.Close()
			delete(p.conns, c)
		}
	}
}

// requests returns the request lines seen so far.
func (p *cutProxy) requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.lines...)
}

// lineRecorder records the request lines of later requests on a
// keep-alive connection, marks the connection with the latest one, and
// fails (ending the connection) when that request is blocked.
type lineRecorder struct {
	p     *cutProxy
	conns []net.Conn
	buf   []byte
}

var errBlocked = errors.New("blocked by the test proxy")

func (r *lineRecorder) Write(b []byte) (int, error) {
	r.buf = append(r.buf, b...)
	for {
		i := bytes.Index(r.buf, []byte("\r\n"))
		if i < 0 {
			if len(r.buf) > 8192 {
				r.buf = r.buf[:0]
			}
			return len(b), nil
		}
		line := string(r.buf[:i])
		r.buf = r.buf[i+2:]
		if !strings.HasPrefix(line, "GET ") && !strings.HasPrefix(line, "POST ") {
			continue
		}
		r.p.mu.Lock()
		r.p.lines = append(r.p.lines, line)
		blocked := r.p.cut || r.p.block != nil && r.p.block(line)
		for _, c := range r.conns {
			if _, open := r.p.conns[c]; open {
				r.p.conns[c] = line
			}
		}
		r.p.mu.Unlock()
		if blocked {
			return 0, errBlocked
		}
	}
}
