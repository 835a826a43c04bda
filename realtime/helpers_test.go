package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/hybridcon/hybridcon/app"
)

// fakeSource is an in-memory live log: realtime must not import storage,
// so its tests stand in for the store with a log the test appends to.
type fakeSource struct {
	mu     sync.Mutex
	events map[string]*fakeLog
	down   bool // every call fails, as with a database that is down

	snapshots, sinces, lastSeqs atomic.Int64
	sinceFrom                   map[int64]int // Since calls by their since, under mu
	snapDelay                   time.Duration
	// snapHook, when set, runs after a snapshot read the log and before
	// it is returned (a build that takes its time).
	snapHook func()
	// snapPad, when set, is added to every snapshot's data (a large one).
	snapPad string
}

type fakeLog struct {
	epoch string
	envs  []app.Envelope
}

func newFakeSource() *fakeSource { return &fakeSource{events: make(map[string]*fakeLog)} }

// add creates an event with an empty log.
func (s *fakeSource) add(slug, epoch string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events[slug] = &fakeLog{epoch: epoch}
}

// append writes the next envelope of slug's log and returns it; callers
// publish it (or not) themselves.
func (s *fakeSource) append(slug string) app.Envelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.events[slug]
	seq := int64(len(l.envs)) + 1
	env := app.Envelope{Seq: seq, Epoch: l.epoch, Type: app.TypeAnnouncement, At: time.Now().UTC(), Event: slug,
		Data: json.RawMessage(fmt.Sprintf(`{"n":%d}`, seq))}
	l.envs = append(l.envs, env)
	return env
}

// appendData appends an envelope carrying data.
func (s *fakeSource) appendData(slug string, data json.RawMessage) app.Envelope {
	env := s.append(slug)
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.events[slug]
	l.envs[env.Seq-1].Data = data
	env.Data = data
	return env
}

// appendN appends n envelopes.
func (s *fakeSource) appendN(slug string, n int) []app.Envelope {
	out := make([]app.Envelope, n)
	for i := range out {
		out[i] = s.append(slug)
	}
	return out
}

// newEpoch restarts slug's log under another epoch.
func (s *fakeSource) newEpoch(slug, epoch string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events[slug] = &fakeLog{epoch: epoch}
}

func (s *fakeSource) setDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

func (s *fakeSource) get(slug string) (*fakeLog, error) {
	if s.down {
		return nil, errors.New("database is down")
	}
	l := s.events[slug]
	if l == nil {
		return nil, app.Errorf(app.ENotFound, "no event %q", slug)
	}
	return l, nil
}

func (s *fakeSource) Since(_ context.Context, slug string, since int64, limit int) ([]app.Envelope, error) {
	s.sinces.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sinceFrom == nil {
		s.sinceFrom = make(map[int64]int)
	}
	s.sinceFrom[since]++
	l, err := s.get(slug)
	if err != nil {
		return nil, err
	}
	var out []app.Envelope
	for _, e := range l.envs {
		if e.Seq > since && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

// readsFrom is how many Since calls asked for the envelopes after since.
func (s *fakeSource) readsFrom(since int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sinceFrom[since]
}

func (s *fakeSource) LastSeq(_ context.Context, slug string) (int64, string, error) {
	s.lastSeqs.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	l, err := s.get(slug)
	if err != nil {
		return 0, "", err
	}
	return int64(len(l.envs)), l.epoch, nil
}

func (s *fakeSource) Snapshot(_ context.Context, slug string) (app.Envelope, error) {
	s.snapshots.Add(1)
	time.Sleep(s.snapDelay)
	s.mu.Lock()
	defer s.mu.Unlock()
	l, err := s.get(slug)
	if err != nil {
		return app.Envelope{}, err
	}
	seq := int64(len(l.envs))
	env := app.Envelope{Seq: seq, Epoch: l.epoch, Type: app.TypeSnapshot, At: time.Now().UTC(), Event: slug,
		Data: json.RawMessage(fmt.Sprintf(`{"upto":%d}`, seq))}
	if s.snapPad != "" {
		env.Data = json.RawMessage(fmt.Sprintf(`{"upto":%d,"pad":%q}`, seq, s.snapPad))
	}
	if s.snapHook != nil {
		s.mu.Unlock()
		s.snapHook()
		s.mu.Lock()
	}
	return env, nil
}

// testConfig is a configuration with short periods for tests.
func testConfig(node string) HubConfig {
	return HubConfig{
		Region:           "cn",
		NodeID:           node,
		KnownRegions:     []string{"cn", "hu"},
		PingInterval:     5 * time.Second, // long: a loaded machine must not look like dead clients
		HoldBack:         100 * time.Millisecond,
		CatchUpInterval:  500 * time.Millisecond,
		VolatileInterval: 200 * time.Millisecond,
		PresenceInterval: 200 * time.Millisecond,
		PresenceTTL:      600 * time.Millisecond,
		SSEHeartbeat:     time.Second,
		// Every test viewer comes from 127.0.0.1; TestViewersPerAddress
		// sets a cap of its own.
		MaxViewersPerAddress: UnlimitedViewers,
	}
}

func testLogger() *slog.Logger {
	if os.Getenv("HYBRIDCON_TEST_VERBOSE") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// testErrorHandler maps app errors as app/api does (which realtime cannot import).
func testErrorHandler(c *fiber.Ctx, err error) error {
	status := fiber.StatusInternalServerError
	code := app.ErrorCode(err)
	switch code {
	case app.EBadRequest:
		status = fiber.StatusBadRequest
	case app.EForbidden:
		status = fiber.StatusForbidden
	case app.ENotFound:
		status = fiber.StatusNotFound
	case app.EUnavailable:
		status = fiber.StatusServiceUnavailable
	case app.ERateLimited:
		status = fiber.StatusTooManyRequests
		var ae *app.Error
		if errors.As(err, &ae) {
			if d, ok := ae.Details.(map[string]int); ok {
				c.Set(fiber.HeaderRetryAfter, strconv.Itoa(d["retry_after"]))
			}
		}
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		status = fe.Code
	}
	return c.Status(status).JSON(fiber.Map{"error": fiber.Map{"code": code, "message": app.ErrorMessage(err)}})
}

// node is one hub behind a real Fiber server on 127.0.0.1:0.
type node struct {
	hub  *Hub
	addr string
	stop func()
}

// serverTimeout is the test server's read, write and idle timeout.
const serverTimeout = 4 * time.Second

// startNode runs a hub and its server until the test ends (or stop).
func startNode(t *testing.T, cfg HubConfig, b Broker, src Source) *node {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return startNodeOn(t, cfg, b, src, ln)
}

// startNodeOn is startNode serving on ln.
func startNodeOn(t *testing.T, cfg HubConfig, b Broker, src Source, ln net.Listener) *node {
	t.Helper()
	hub := NewHub(cfg, b, src, testLogger())
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() {
		hub.Run(ctx)
		close(ran)
	}()
	// Server timeouts as app/api sets them, only shorter: SSE streams and
	// websockets must outlive them (long enough that 200 handshakes at
	// once on a loaded 2-core CI machine with -race still fit).
	fa := fiber.New(fiber.Config{DisableStartupMessage: true, ErrorHandler: testErrorHandler,
		ReadTimeout: serverTimeout, WriteTimeout: serverTimeout, IdleTimeout: serverTimeout})
	// As app/api sets it: viewers are read by the poller. With
	// HYBRIDCON_TEST_WS_READER=goroutine each has its reader goroutine,
	// as on platforms without the poller.
	fa.Server().KeepHijackedConns = os.Getenv("HYBRIDCON_TEST_WS_READER") != "goroutine"
	fa.Get("/ws/events/:slug", hub.WebsocketHandler())
	fa.Get("/api/v1/events/:slug/stream", hub.SSEHandler())
	// As app/api wires it: handshakes the hub can take skip the router.
	fa.Server().Handler = hub.Handshakes(fa, fa.Server().Handler)
	served := make(chan struct{})
	go func() {
		_ = fa.Listener(ln)
		close(served)
	}()
	var once sync.Once
	n := &node{hub: hub, addr: ln.Addr().String()}
	n.stop = func() {
		once.Do(func() {
			sctx, c := context.WithTimeout(context.Background(), 5*time.Second)
			defer c()
			hub.Shutdown(sctx)
			cancel()
			<-ran
			_ = fa.ShutdownWithTimeout(2 * time.Second)
			<-served
		})
	}
	t.Cleanup(n.stop)
	return n
}

func (n *node) wsURL(slug, query string) string {
	u := "ws://" + n.addr + "/ws/events/" + slug
	if query != "" {
		u += "?" + query
	}
	return u
}

// client is a websocket viewer that reads everything into a channel.
type client struct {
	conn   *websocket.Conn
	envs   chan app.Envelope
	closed chan struct{} // closed when the read loop ends
	err    error         // the read error, valid after closed
}

// dial connects a viewer and starts reading.
func dial(t *testing.T, url string, hdr http.Header) *client {
	t.Helper()
	c, err := dialErr(url, hdr)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { _ = c.conn.Close() })
	return c
}

func dialErr(url string, hdr http.Header) (*client, error) {
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	conn, resp, err := d.Dial(url, hdr)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("%w (status %d)", err, resp.StatusCode)
		}
		return nil, err
	}
	c := &client{conn: conn, envs: make(chan app.Envelope, 100000), closed: make(chan struct{})}
	go c.read()
	return c, nil
}

func (c *client) read() {
	defer close(c.closed)
	for {
		_, b, err := c.conn.ReadMessage()
		if err != nil {
			c.err = err
			return
		}
		var env app.Envelope
		if err := json.Unmarshal(b, &env); err != nil {
			c.err = err
			return
		}
		c.envs <- env
	}
}

// next returns the next envelope, failing after d.
func (c *client) next(t *testing.T, d time.Duration) app.Envelope {
	t.Helper()
	select {
	case env := <-c.envs:
		return env
	case <-c.closed:
		select {
		case env := <-c.envs:
			return env
		default:
		}
		t.Fatalf("connection ended: %v", c.err)
	case <-time.After(d):
		t.Fatalf("no envelope within %v", d)
	}
	return app.Envelope{}
}

// nextDurable skips volatile envelopes.
func (c *client) nextDurable(t *testing.T, d time.Duration) app.Envelope {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		env := c.next(t, time.Until(deadline))
		if env.Seq > 0 || env.Type == app.TypeSnapshot {
			return env
		}
	}
}

// expectSeqs reads durable envelopes and checks they are exactly want.
func (c *client) expectSeqs(t *testing.T, want ...int64) {
	t.Helper()
	for _, w := range want {
		env := c.nextDurable(t, 5*time.Second)
		if env.Seq != w || env.Type == app.TypeSnapshot {
			t.Fatalf("got %s seq %d, want envelope seq %d", env.Type, env.Seq, w)
		}
	}
}

// expectNothing checks no durable envelope arrives within d.
func (c *client) expectNothing(t *testing.T, d time.Duration) {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case env := <-c.envs:
			if env.Seq > 0 || env.Type == app.TypeSnapshot {
				t.Fatalf("unexpected %s seq %d", env.Type, env.Seq)
			}
		case <-deadline:
			return
		}
	}
}

// closeCode waits for the connection to end and returns the close frame.
func (c *client) closeCode(t *testing.T, d time.Duration) (int, string) {
	t.Helper()
	select {
	case <-c.closed:
	case <-time.After(d):
		t.Fatalf("connection still open after %v", d)
	}
	var ce *websocket.CloseError
	if errors.As(c.err, &ce) {
		return ce.Code, ce.Text
	}
	t.Fatalf("connection ended without a close frame: %v", c.err)
	return 0, ""
}

// seqs builds 1..n style ranges.
func seqs(from, to int64) []int64 {
	var out []int64
	for s := from; s <= to; s++ {
		out = append(out, s)
	}
	return out
}

// eventually polls cond until it holds or d passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// viewers counts the hub's local viewers of slug.
func (h *Hub) viewerCount(slug string) int {
	ev := h.lookup(slug)
	if ev == nil {
		return 0
	}
	ev.mu.Lock()
	defer ev.mu.Unlock()
	return len(ev.viewers)
}

// checkGoroutines fails the test if goroutines started during it are
// still running shortly after its cleanups. fasthttp's own background
// goroutines (the server date ticker, a worker-pool cleaner that sleeps
// 10 s before noticing the server stopped) and the process's poller,
// started on first use and never stopped, are not counted.
func checkGoroutines(t *testing.T) {
	t.Helper()
	before, _ := goroutines()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for {
			n, stacks := goroutines()
			if n <= before {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("goroutines: %d before, %d after\n%s", before, n, stacks)
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

// goroutines counts the running goroutines that matter and returns their stacks.
func goroutines() (int, string) {
	buf := make([]byte, 4<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var kept []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "fasthttp.updateServerDate") || strings.Contains(g, "fasthttp.(*workerPool).Start.func2") ||
			strings.Contains(g, "realtime.(*poller).loop") {
			continue
		}
		kept = append(kept, g)
	}
	return len(kept), strings.Join(kept, "\n\n")
}
