package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/hybridcon/hybridcon/app/api"
	"github.com/hybridcon/hybridcon/realtime"
)

// TestViewersPerAddressBehindProxy: the per-address cap on live
// connections counts the address the trusted proxy names (X-Real-IP),
// answers the API's JSON error with Retry-After past it, and frees a
// slot when a viewer leaves.
func TestViewersPerAddressBehindProxy(t *testing.T) {
	e := newEnv(t)
	hub := realtime.NewHub(realtime.HubConfig{Region: "cn", NodeID: "cap", KnownRegions: []string{"cn", "hu"}, MaxViewersPerAddress: 2},
		realtime.NewMemoryBroker(), e.svc, nil)
	ctx, cancel := context.WithCancel(context.Background())
	go hub.Run(ctx)
	t.Cleanup(func() {
		sctx, c := context.WithTimeout(context.Background(), 2*time.Second)
		defer c()
		hub.Shutdown(sctx)
		cancel()
	})
	e.srv = api.New(api.Config{TrustedProxies: []string{"127.0.0.1"}, ProxyHeader: "X-Real-IP"}, e.svc, hub)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = e.srv.App().Listener(ln) }()
	t.Cleanup(func() { _ = e.srv.App().ShutdownWithTimeout(2 * time.Second) })
	url := "ws://" + ln.Addr().String() + "/ws/events/cn-hu-2021"
	from := func(ip string) http.Header { return http.Header{"X-Real-IP": {ip}} }

	dial := func(ip string) (*websocket.Conn, *http.Response, error) {
		c, resp, err := websocket.DefaultDialer.Dial(url, from(ip))
		if err == nil {
			t.Cleanup(func() { c.Close() })
			if _, _, err := c.ReadMessage(); err != nil { // the snapshot
				t.Fatalf("viewer from %s: %v", ip, err)
			}
		}
		return c, resp, err
	}
	first, _, err := dial("203.0.113.7")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := dial("203.0.113.7"); err != nil {
		t.Fatal(err)
	}
	_, resp, err := dial("203.0.113.7")
	if err == nil || resp == nil {
		t.Fatalf("third viewer from one address: err %v, want a 429 answer", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var eb api.ErrorBody
	if err := json.Unmarshal(body, &eb); err != nil {
		t.Fatalf("refusal body %q: %v", body, err)
	}
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" ||
		eb.Error.Code != "rate_limited" || eb.Error.RequestID == "" {
		t.Fatalf("third viewer: %d Retry-After %q %s; want 429, Retry-After, rate_limited with a request id",
			resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	// Another address behind the same proxy has slots of its own.
	if _, _, err := dial("198.51.100.9"); err != nil {
		t.Fatalf("viewer from another address: %v", err)
	}
	// A viewer that leaves gives its slot back.
	first.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, _, err := dial("203.0.113.7")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("slot not freed after a viewer left: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
