package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/app/demo"
	"github.com/hybridcon/hybridcon/configs"
)

// Helpers shared by the metrics and fault tests: an API client with the
// admin token, a websocket viewer that checks the seq sequence, a
// Prometheus text scraper, and a TCP proxy that can be cut.

// testAdminToken is HYBRIDCON_ADMIN_TOKEN in these tests.
const testAdminToken = "ops-test-admin-token-0123456789"

// apiClient calls one node's API with a bearer token (the admin's unless
// withToken gave another).
type apiClient struct {
	base  string
	token string
	hc    *http.Client
}

func newAPIClient(base string) *apiClient {
	return &apiClient{base: base, token: testAdminToken, hc: &http.Client{Timeout: 15 * time.Second}}
}

// withToken returns a client of the same node using token.
func (c *apiClient) withToken(token string) *apiClient {
	return &apiClient{base: c.base, token: token, hc: c.hc}
}

// do sends body (JSON-encoded unless nil) and returns the status and the
// answer; a transport error is returned as is.
func (c *apiClient) do(method, path string, body any) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, out, err
}

// must is do that fails the test on a transport error or another status.
func (c *apiClient) must(t *testing.T, want int, method, path string, body any) []byte {
	t.Helper()
	code, out, err := c.do(method, path, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if code != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, code, want, out)
	}
	return out
}

// announce posts an announcement on the demo event.
func (c *apiClient) announce(text string) (int, []byte, error) {
	return c.do("POST", "/api/v1/events/"+demo.Slug+"/announcements", map[string]any{"text": map[string]string{"en": text}})
}

// scan checks a ticket in at gate with scanID.
func (c *apiClient) scan(ticket, scanID string) (int, []byte, error) {
	return c.do("POST", "/api/v1/events/"+demo.Slug+"/checkins", map[string]string{"ticket": ticket, "gate": "G1", "scan_id": scanID})
}

// lastSeq returns the demo event's last live-log seq as the API reports it.
func (c *apiClient) lastSeq(t *testing.T) int64 {
	t.Helper()
	var page struct {
		LastSeq int64 `json:"last_seq"`
	}
	if err := json.Unmarshal(c.must(t, 200, "GET", "/api/v1/events/"+demo.Slug+"/log?since=0&limit=1", nil), &page); err != nil {
		t.Fatal(err)
	}
	return page.LastSeq
}

// issueTickets returns the demo event's ticket texts, read from the
// node's database with the same configuration the node runs with.
func issueTickets(t *testing.T, env map[string]string) []string {
	t.Helper()
	cfg, err := configs.Load("", false, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := openStore(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := app.NewService(st, nil, slog.New(slog.DiscardHandler))
	defer svc.StopAttendance()
	tks, err := svc.Tickets(ctx, cliPrincipal, demo.Slug)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(tks))
	for i, tk := range tks {
		out[i] = tk.Ticket
	}
	return out
}

// scrape reads a node's /metrics into "name{labels}" → value, labels as
// the exposition writes them (sorted by name).
func scrape(t *testing.T, base string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	out := make(map[string]float64)
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// liveViewer is a websocket viewer that checks, as it reads, that durable
// envelopes follow its snapshot with no gap and no repeat.
type liveViewer struct {
	conn *websocket.Conn
	done chan struct{}

	mu        sync.Mutex
	last      int64 // the snapshot's seq, then each durable envelope's
	snapshots int
	durable   int
	problems  []string
	closeCode int
	readErr   error
}

// dialViewer connects a viewer of the demo event to node base (http://…).
func dialViewer(t *testing.T, base, query string) *liveViewer {
	t.Helper()
	u := "ws" + strings.TrimPrefix(base, "http") + "/ws/events/" + demo.Slug + "?" + query
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	conn, resp, err := d.Dial(u, nil)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (status %d)", u, err, status)
	}
	v := &liveViewer{conn: conn, done: make(chan struct{})}
	go v.read()
	t.Cleanup(func() {
		_ = conn.Close()
		<-v.done
	})
	return v
}

func (v *liveViewer) read() {
	defer close(v.done)
	for {
		_, b, err := v.conn.ReadMessage()
		if err != nil {
			v.mu.Lock()
			v.readErr = err
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				v.closeCode = ce.Code
			}
			v.mu.Unlock()
			return
		}
		var env struct {
			Seq  int64  `json:"seq"`
			Type string `json:"type"`
		}
		if err := json.Unmarshal(b, &env); err != nil {
			v.fail("bad frame %q", b)
			continue
		}
		v.mu.Lock()
		switch {
		case env.Type == "snapshot":
			v.snapshots++
			if v.snapshots > 1 {
				v.problems = append(v.problems, fmt.Sprintf("a second snapshot (seq %d after %d)", env.Seq, v.last))
			}
			v.last = env.Seq
		case env.Seq > 0:
			v.durable++
			if v.snapshots == 0 || env.Seq != v.last+1 {
				v.problems = append(v.problems, fmt.Sprintf("seq %d after %d", env.Seq, v.last))
			}
			v.last = max(v.last, env.Seq)
		}
		v.mu.Unlock()
	}
}

func (v *liveViewer) fail(format string, args ...any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.problems = append(v.problems, fmt.Sprintf(format, args...))
}

// state returns the last seq seen, whether the snapshot came, and the
// problems found so far.
func (v *liveViewer) state() (last int64, started bool, problems []string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.last, v.snapshots > 0, append([]string(nil), v.problems...)
}

// waitAll waits until every viewer has seq ≥ want, and returns how long
// that took; it fails the test after d.
func waitAll(t *testing.T, d time.Duration, want int64, vs ...*liveViewer) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		behind := 0
		for _, v := range vs {
			if last, started, _ := v.state(); !started || last < want {
				behind++
			}
		}
		if behind == 0 {
			return time.Since(start)
		}
		if time.Since(start) > d {
			t.Fatalf("%d of %d viewers do not have seq %d after %v", behind, len(vs), want, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// checkGapless fails the test for every viewer that saw a gap, a repeat
// or a second snapshot.
func checkGapless(t *testing.T, vs ...*liveViewer) {
	t.Helper()
	for i, v := range vs {
		if _, _, p := v.state(); len(p) > 0 {
			t.Errorf("viewer %d: %s", i, strings.Join(p, "; "))
		}
	}
}

// tcpProxy forwards 127.0.0.1 connections to a target (PostgreSQL,
// Redis) and can cut them all: cut closes the listener (new connections
// are refused) and every open connection; restore listens again on the
// same address. The machine's shared servers are never touched.
type tcpProxy struct {
	t      *testing.T
	target string
	addr   string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	p := &tcpProxy{t: t, target: target, conns: make(map[net.Conn]struct{})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(func() {
		p.cut()
		p.wg.Wait()
	})
	return p
}

func (p *tcpProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				p.pipe(c)
			}()
		}
	}()
}

// pipe copies both ways until either side ends or the proxy is cut.
func (p *tcpProxy) pipe(c net.Conn) {
	up, err := net.DialTimeout("tcp", p.target, 2*time.Second)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.ln == nil { // cut while dialling
		p.mu.Unlock()
		c.Close()
		up.Close()
		return
	}
	p.conns[c], p.conns[up] = struct{}{}, struct{}{}
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	cp := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		done <- struct{}{}
	}
	go cp(up, c)
	go cp(c, up)
	<-done
	c.Close()
	up.Close()
	<-done
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}

// cut stops the proxy: the listener closes and every connection through
// it is closed at once.
func (p *tcpProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
}

// restore listens again on the proxy's address.
func (p *tcpProxy) restore() {
	p.t.Helper()
	var ln net.Listener
	var err error
	for range 50 { // the old socket may take a moment to free the port
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		p.t.Fatalf("proxy: listen again on %s: %v", p.addr, err)
	}
	p.serve(ln)
}
