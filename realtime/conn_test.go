package realtime

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/hybridcon/hybridcon/app"
)

// rawDial connects a viewer that never reads (so it never answers pings
// either) until the test reads from the returned connection.
func rawDial(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	conn, _, err := d.Dial(url, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

func TestSlowConsumerIsClosed(t *testing.T) {
	t.Parallel()
	src := newFakeSource()
	src.add(slug, "E1")
	cfg := testConfig("a")
	cfg.MaxQueueBytes = 256 << 10
	cfg.PingInterval = time.Minute // only the queue bound may close the silent client:
	// not the pong timeout, and not the write deadline either, which on a
	// loaded machine (the race detector, parallel tests) can pass between
	// the writer blocking on the full socket and the queue overflowing.
	cfg.WriteTimeout = time.Minute
	n := startNode(t, cfg, NewMemoryBroker(), src)

	fast := dial(t, n.wsURL(slug, ""), nil)
	fast.next(t, 5*time.Second)
	slow := rawDial(t, n.wsURL(slug, ""))
	eventually(t, 5*time.Second, "two viewers", func() bool { return n.hub.viewerCount(slug) == 2 })

	// Kernel socket buffers take several MiB before the server's writes block.
	big := json.RawMessage(`"` + strings.Repeat("x", 64<<10) + `"`)
	published := int64(0)
	for n.hub.viewerCount(slug) == 2 {
		if published == 2000 {
			t.Fatal("the slow viewer was never closed")
		}
		env := src.appendData(slug, big)
		n.hub.Publish(context.Background(), env)
		published = env.Seq
		// The fast viewer keeps up all along.
		if got := fast.nextDurable(t, 2*time.Second); got.Seq != env.Seq {
			t.Fatalf("fast viewer got seq %d, want %d", got.Seq, env.Seq)
		}
	}
	n.hub.Publish(context.Background(), src.append(slug))
	fast.expectSeqs(t, published+1)

	// The slow client, reading at last, finds the close frame after what
	// was already in flight.
	_ = slow.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, _, err := slow.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != CloseSlowConsumer || ce.Text != ReasonSlowConsumer {
			t.Fatalf("slow viewer ended with %v, want close %d %q", err, CloseSlowConsumer, ReasonSlowConsumer)
		}
		break
	}
}

func TestClientFrames(t *testing.T) {
	t.Parallel()
	src := newFakeSource()
	src.add(slug, "E1")
	n := startNode(t, testConfig("a"), NewMemoryBroker(), src)

	t.Run("SmallFramesIgnored", func(t *testing.T) {
		c := dial(t, n.wsURL(slug, ""), nil)
		c.next(t, 5*time.Second)
		for _, m := range []string{`{"type":"ping"}`, `hello`, strings.Repeat("y", 4000)} {
			if err := c.conn.WriteMessage(websocket.TextMessage, []byte(m)); err != nil {
				t.Fatal(err)
			}
		}
		n.hub.Publish(context.Background(), src.append(slug))
		c.expectSeqs(t, 1)
	})
	t.Run("PingAnswered", func(t *testing.T) {
		// The hub, not the library, writes the pong: it must arrive whole
		// between the hub's own frames.
		c := rawDial(t, n.wsURL(slug, ""))
		pong := make(chan string, 1)
		c.SetPongHandler(func(data string) error { pong <- data; return nil })
		if err := c.WriteControl(websocket.PingMessage, []byte("are you there"), time.Now().Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		n.hub.Publish(context.Background(), src.append(slug))
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		for frames := 0; ; frames++ {
			select {
			case got := <-pong:
				if got != "are you there" {
					t.Fatalf("pong %q", got)
				}
				return
			default:
			}
			if _, _, err := c.ReadMessage(); err != nil {
				t.Fatalf("after %d frames: %v (no pong)", frames, err)
			}
		}
	})
	t.Run("CloseEchoed", func(t *testing.T) {
		c := rawDial(t, n.wsURL(slug, ""))
		if _, _, err := c.ReadMessage(); err != nil { // the snapshot
			t.Fatal(err)
		}
		if err := c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "bye"), time.Now().Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		for {
			_, _, err := c.ReadMessage()
			if err == nil {
				continue
			}
			var ce *websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
				t.Fatalf("after the client's close: %v, want the close echoed with %d", err, websocket.CloseGoingAway)
			}
			return
		}
	})
	t.Run("Oversize", func(t *testing.T) {
		c := dial(t, n.wsURL(slug, ""), nil)
		c.next(t, 5*time.Second)
		if err := c.conn.WriteMessage(websocket.TextMessage, []byte(strings.Repeat("z", 5000))); err != nil {
			t.Fatal(err)
		}
		if code, _ := c.closeCode(t, 5*time.Second); code != CloseMessageTooBig {
			t.Fatalf("close code %d, want %d", code, CloseMessageTooBig)
		}
	})
	t.Run("Binary", func(t *testing.T) {
		c := dial(t, n.wsURL(slug, ""), nil)
		c.next(t, 5*time.Second)
		if err := c.conn.WriteMessage(websocket.BinaryMessage, []byte{1, 2, 3}); err != nil {
			t.Fatal(err)
		}
		if code, _ := c.closeCode(t, 5*time.Second); code != CloseUnsupportedData {
			t.Fatalf("close code %d, want %d", code, CloseUnsupportedData)
		}
	})
	eventually(t, 5*time.Second, "viewers gone", func() bool { return n.hub.viewerCount(slug) <= 1 })
}

func TestSilentClientDropped(t *testing.T) {
	t.Parallel()
	src := newFakeSource()
	src.add(slug, "E1")
	cfg := testConfig("a")
	// Generous enough that the reading viewer answers in time on a loaded
	// CI machine with -race.
	cfg.PingInterval = 200 * time.Millisecond
	cfg.PongWait = 1500 * time.Millisecond
	n := startNode(t, cfg, NewMemoryBroker(), src)

	alive := dial(t, n.wsURL(slug, ""), nil) // reads, so it answers pings
	alive.next(t, 5*time.Second)
	_ = rawDial(t, n.wsURL(slug, "")) // never reads: never answers a ping
	eventually(t, 5*time.Second, "two viewers", func() bool { return n.hub.viewerCount(slug) == 2 })
	eventually(t, 5*time.Second, "the silent viewer dropped", func() bool { return n.hub.viewerCount(slug) == 1 })
	time.Sleep(2 * cfg.PongWait)
	if got := n.hub.viewerCount(slug); got != 1 {
		t.Fatalf("viewers %d, want the one answering pings", got)
	}
}

func TestShutdownClosesViewers(t *testing.T) {
	t.Parallel()
	src := newFakeSource()
	src.add(slug, "E1")
	n := startNode(t, testConfig("a"), NewMemoryBroker(), src)
	var cs []*client
	for range 3 {
		c := dial(t, n.wsURL(slug, ""), nil)
		c.next(t, 5*time.Second)
		cs = append(cs, c)
	}
	sse := openSSE(t, n, slug, "", "")
	sse.event(t)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	n.hub.Shutdown(ctx)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Shutdown took %v", d)
	}
	for _, c := range cs {
		if code, reason := c.closeCode(t, 5*time.Second); code != CloseServiceRestart || reason != ReasonServiceRestart {
			t.Fatalf("close %d %q, want %d %q", code, reason, CloseServiceRestart, ReasonServiceRestart)
		}
	}
	if line := sse.untilEnd(t); line != ": close 1012 service restart" {
		t.Fatalf("SSE ended with %q", line)
	}
	if _, err := dialErr(n.wsURL(slug, ""), nil); err == nil || !strings.Contains(err.Error(), "status 503") {
		t.Fatalf("connect after shutdown: %v, want status 503", err)
	}
}

// sseClient reads a Server-Sent-Events stream.
type sseClient struct {
	resp *http.Response
	r    *bufio.Reader
}

type sseEvent struct {
	id    string
	event string
	data  string
}

func openSSE(t *testing.T, n *node, slug, query, lastID string) *sseClient {
	t.Helper()
	u := "http://" + n.addr + "/api/v1/events/" + slug + "/stream"
	if query != "" {
		u += "?" + query
	}
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return &sseClient{resp: resp, r: bufio.NewReader(resp.Body)}
}

// event returns the next event, skipping comments and retry lines.
func (s *sseClient) event(t *testing.T) sseEvent {
	t.Helper()
	var ev sseEvent
	got := false
	for {
		line, err := s.readLine(t)
		if err != nil {
			t.Fatalf("stream ended: %v", err)
		}
		switch {
		case line == "":
			if got {
				return ev
			}
		case strings.HasPrefix(line, "id: "):
			ev.id, got = line[4:], true
		case strings.HasPrefix(line, "event: "):
			ev.event, got = line[7:], true
		case strings.HasPrefix(line, "data: "):
			ev.data, got = line[6:], true
		}
	}
}

func (s *sseClient) readLine(t *testing.T) (string, error) {
	t.Helper()
	type res struct {
		line string
		err  error
	}
	ch := make(chan res, 1)
	go func() {
		l, err := s.r.ReadString('\n')
		ch <- res{strings.TrimSuffix(l, "\n"), err}
	}()
	select {
	case r := <-ch:
		return r.line, r.err
	case <-time.After(5 * time.Second):
		t.Fatal("no SSE line within 5s")
	}
	return "", nil
}

// untilEnd reads to the end of the stream and returns its last non-empty line.
func (s *sseClient) untilEnd(t *testing.T) string {
	t.Helper()
	last := ""
	for {
		line, err := s.readLine(t)
		if line != "" {
			last = line
		}
		if err != nil {
			return last
		}
	}
}

func TestSSE(t *testing.T) {
	t.Parallel()
	src := newFakeSource()
	src.add(slug, "E1")
	src.appendN(slug, 5)
	n := startNode(t, testConfig("a"), NewMemoryBroker(), src)

	t.Run("SnapshotFirst", func(t *testing.T) {
		s := openSSE(t, n, slug, "", "")
		ev := s.event(t)
		if ev.event != app.TypeSnapshot || ev.id != "5" {
			t.Fatalf("first event %+v, want snapshot id 5", ev)
		}
	})
	t.Run("LastEventID", func(t *testing.T) {
		s := openSSE(t, n, slug, "epoch=E1", "3")
		for _, want := range []int64{4, 5} {
			ev := s.event(t)
			var env app.Envelope
			if err := json.Unmarshal([]byte(ev.data), &env); err != nil {
				t.Fatal(err)
			}
			if ev.id != strconv.FormatInt(want, 10) || env.Seq != want || ev.event != env.Type {
				t.Fatalf("event %+v, want id %d", ev, want)
			}
		}
		n.hub.Publish(context.Background(), src.append(slug))
		if ev := s.event(t); ev.id != "6" {
			t.Fatalf("live event %+v, want id 6", ev)
		}
		n.hub.PublishVolatile(context.Background(), slug, app.TypeAttendance, map[string]int{"checked_in": 7})
		for {
			ev := s.event(t)
			if ev.event == app.TypeAttendance {
				if ev.id != "" || !strings.Contains(ev.data, `"checked_in":7`) {
					t.Fatalf("volatile event %+v, want no id and the data", ev)
				}
				break
			}
		}
	})
	t.Run("OutlivesServerTimeouts", func(t *testing.T) {
		t.Parallel()
		s := openSSE(t, n, slug, "", "")
		s.event(t)
		c := dial(t, n.wsURL(slug, ""), nil)
		c.next(t, 5*time.Second)
		time.Sleep(serverTimeout + time.Second) // longer than the server's read/write/idle timeouts
		env := src.append(slug)
		n.hub.Publish(context.Background(), env)
		for {
			if ev := s.event(t); ev.id == strconv.FormatInt(env.Seq, 10) {
				break
			}
		}
		for c.nextDurable(t, 5*time.Second).Seq != env.Seq {
		}
	})
	t.Run("BadLastEventID", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, "http://"+n.addr+"/api/v1/events/"+slug+"/stream", nil)
		req.Header.Set("Last-Event-ID", "x1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Fatalf("status %d, want 400", resp.StatusCode)
		}
	})
}

func TestNoGoroutineLeak(t *testing.T) {
	// Not parallel: it compares goroutine counts.
	checkGoroutines(t)
	src := newFakeSource()
	src.add(slug, "E1")
	b := NewMemoryBroker()
	a := startNode(t, testConfig("a"), b, src)
	bn := startNode(t, testConfig("b"), b, src)
	var cs []*client
	for i := range 10 {
		n := a
		if i%2 == 1 {
			n = bn
		}
		c := dial(t, n.wsURL(slug, ""), nil)
		c.next(t, 5*time.Second)
		cs = append(cs, c)
	}
	sse := openSSE(t, a, slug, "", "")
	sse.event(t)
	for range 20 {
		a.hub.Publish(context.Background(), src.append(slug))
	}
	for _, c := range cs {
		c.expectSeqs(t, seqs(1, 20)...)
	}
	// Half the clients leave by themselves, the rest are closed by shutdown.
	for _, c := range cs[:5] {
		_ = c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		<-c.closed
	}
	a.stop()
	bn.stop()
	for _, c := range cs[5:] {
		<-c.closed
	}
	sse.resp.Body.Close()
	http.DefaultClient.CloseIdleConnections()
}
