package realtime

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// refusedHandshake opens a websocket that must be refused and returns the
// refusal's status, Retry-After and error code.
func refusedHandshake(t *testing.T, url string) (status int, retry, code string) {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	conn, resp, err := d.Dial(url, nil)
	if err == nil {
		conn.Close()
		t.Fatalf("dial %s: accepted, want a refusal", url)
	}
	if resp == nil {
		t.Fatalf("dial %s: %v (no HTTP answer)", url, err)
	}
	return readRefusal(t, resp)
}

func readRefusal(t *testing.T, resp *http.Response) (status int, retry, code string) {
	t.Helper()
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var body struct {
		Error struct{ Code string } `json:"error"`
	}
	if err := json.Unmarshal(b, &body); err != nil {
		t.Fatalf("refusal body %q: %v", b, err)
	}
	return resp.StatusCode, resp.Header.Get("Retry-After"), body.Error.Code
}

func TestViewersPerAddress(t *testing.T) {
	t.Parallel()
	src := newFakeSource()
	src.add(slug, "E1")
	cfg := testConfig("a")
	cfg.MaxViewersPerAddress = 3
	n := startNode(t, cfg, NewMemoryBroker(), src)

	ws1 := dial(t, n.wsURL(slug, ""), nil)
	ws1.next(t, 5*time.Second)
	ws2 := dial(t, n.wsURL(slug, "region=hu"), nil)
	ws2.next(t, 5*time.Second)
	sse := openSSE(t, n, slug, "", "")
	sse.event(t)

	// The fourth, websocket or SSE, is refused before any upgrade.
	if st, retry, code := refusedHandshake(t, n.wsURL(slug, "")); st != http.StatusTooManyRequests || retry == "" || code != "rate_limited" {
		t.Fatalf("4th websocket: status %d, Retry-After %q, code %q; want 429 with Retry-After, rate_limited", st, retry, code)
	}
	resp, err := http.Get("http://" + n.addr + "/api/v1/events/" + slug + "/stream")
	if err != nil {
		t.Fatal(err)
	}
	if st, retry, code := readRefusal(t, resp); st != http.StatusTooManyRequests || retry == "" || code != "rate_limited" {
		t.Fatalf("4th SSE stream: status %d, Retry-After %q, code %q", st, retry, code)
	}
	if got := n.hub.viewerCount(slug); got != 3 {
		t.Fatalf("%d viewers after the refusals, want 3", got)
	}

	// A viewer that leaves frees its slot; so does an SSE stream.
	_ = ws1.conn.Close()
	eventually(t, 5*time.Second, "the closed websocket's slot freed", func() bool { return n.hub.perAddr.count("127.0.0.1") == 2 })
	ws4 := dial(t, n.wsURL(slug, ""), nil)
	ws4.next(t, 5*time.Second)
	sse.resp.Body.Close()
	eventually(t, 5*time.Second, "the SSE stream's slot freed", func() bool { return n.hub.perAddr.count("127.0.0.1") == 2 })
	sse2 := openSSE(t, n, slug, "", "")
	sse2.event(t)
	if st, _, _ := refusedHandshake(t, n.wsURL(slug, "")); st != http.StatusTooManyRequests {
		t.Fatalf("over the cap again: status %d", st)
	}

	// Bad parameters are answered as such, before the cap is looked at;
	// after everything closes, the address holds no slot.
	if st, _, _ := refusedHandshake(t, n.wsURL(slug, "region=xx")); st != http.StatusBadRequest {
		t.Fatalf("bad region: status %d", st)
	}
	_ = ws2.conn.Close()
	_ = ws4.conn.Close()
	sse2.resp.Body.Close()
	eventually(t, 5*time.Second, "every slot freed", func() bool { return n.hub.perAddr.count("127.0.0.1") == 0 })
}

// A websocket whose 101 was never written (its handler never ran) holds
// a reservation only until reserveTTL.
func TestAddrLimiterReservations(t *testing.T) {
	l := newAddrLimiter(2)
	now := time.Unix(1000, 0)
	l.now = func() time.Time { return now }
	a := l.acquire("1.2.3.4")
	b := l.acquire("1.2.3.4")
	if a == nil || b == nil {
		t.Fatal("slots under the cap refused")
	}
	if l.acquire("1.2.3.4") != nil {
		t.Fatal("third slot accepted at cap 2")
	}
	if l.acquire("5.6.7.8") == nil {
		t.Fatal("another address refused")
	}
	l.start(a) // a's connection started; b's never will
	now = now.Add(reserveTTL + time.Second)
	c := l.acquire("1.2.3.4")
	if c == nil {
		t.Fatal("the stale reservation still counted")
	}
	if l.acquire("1.2.3.4") != nil {
		t.Fatal("an open connection was swept with the stale reservation")
	}
	l.release(b) // late release of the swept reservation: no effect
	if got := l.count("1.2.3.4"); got != 2 {
		t.Fatalf("count %d after a stale release, want 2", got)
	}
	l.release(a)
	l.release(c)
	if got := l.count("1.2.3.4"); got != 0 || len(l.addrs) != 1 {
		t.Fatalf("count %d, %d addresses after releasing everything, want 0 and 1 (5.6.7.8)", got, len(l.addrs))
	}
	var none *addrLimiter // unlimited
	if s := none.acquire("x"); s == nil {
		t.Fatal("unlimited refused")
	}
}
