package api_test

import (
	"encoding/json"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/hybridcon/hybridcon/app"
)

// listen serves the env's API on a real loopback port (websockets need
// one) and returns its host:port.
func (e *env) listen() string {
	e.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	go func() { _ = e.srv.App().Listener(ln) }()
	e.t.Cleanup(func() { _ = e.srv.App().ShutdownWithTimeout(2 * time.Second) })
	return ln.Addr().String()
}

// viewer is a websocket client that keeps every envelope it receives.
type viewer struct {
	conn *websocket.Conn
	mu   sync.Mutex
	envs []app.Envelope
	done chan struct{}
}

func dialViewer(t *testing.T, addr, query string) *viewer {
	t.Helper()
	conn, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws/events/cn-hu-2021"+query, nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	v := &viewer{conn: conn, done: make(chan struct{})}
	go func() {
		defer close(v.done)
		for {
			_, msg, err := conn.ReadMessage()
			if err != nil {
				return
			}
			var env app.Envelope
			if err := json.Unmarshal(msg, &env); err != nil {
				t.Errorf("viewer got a frame that is not an envelope: %s", msg)
				return
			}
			v.mu.Lock()
			v.envs = append(v.envs, env)
			v.mu.Unlock()
		}
	}()
	t.Cleanup(func() { conn.Close(); <-v.done })
	return v
}

// durable returns the durable envelopes received so far (seq > 0, not
// snapshots).
func (v *viewer) durable() []app.Envelope {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []app.Envelope
	for _, e := range v.envs {
		if e.Seq > 0 && e.Type != app.TypeSnapshot {
			out = append(out, e)
		}
	}
	return out
}

// first returns the first envelope received, waiting for it.
func (v *viewer) first(t *testing.T) app.Envelope {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		v.mu.Lock()
		if len(v.envs) > 0 {
			e := v.envs[0]
			v.mu.Unlock()
			return e
		}
		v.mu.Unlock()
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("no first frame within 5 s")
	return app.Envelope{}
}

// waitSeq waits until the viewer has durable envelopes up to seq.
func (v *viewer) waitSeq(t *testing.T, seq int64) []app.Envelope {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		d := v.durable()
		if n := len(d); n > 0 && d[n-1].Seq >= seq {
			return d
		}
		time.Sleep(10 * time.Millisecond)
	}
	d := v.durable()
	t.Fatalf("viewer has %d durable envelopes, never reached seq %d", len(d), seq)
	return nil
}

// clock is a settable time source for the service.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t.UTC()
	c.mu.Unlock()
}
