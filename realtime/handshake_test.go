package realtime

import (
	"bufio"
	"bytes"
	"compress/flate"
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/app/origin"
)

// rawHandshake sends a websocket handshake for path with the extra
// header lines and returns the connection, the response and a reader
// positioned after the response's head.
func rawHandshake(t *testing.T, addr, path, extra string) (net.Conn, *http.Response, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	req := "GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" + extra + "\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c, resp, br
}

// readFrame reads one unmasked server frame: opcode, flags' RSV1 and
// payload.
func readFrame(t *testing.T, r io.Reader) (op byte, rsv1 bool, payload []byte) {
	t.Helper()
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		t.Fatal(err)
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			t.Fatal(err)
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			t.Fatal(err)
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		t.Fatal(err)
	}
	return h[0] & 0x0f, h[0]&0x40 != 0, payload
}

// readEnvelope reads text frames until a durable or snapshot envelope
// (presence and other volatile frames carry seq 0 and another type).
func readEnvelope(t *testing.T, r io.Reader) app.Envelope {
	t.Helper()
	for {
		op, rsv1, p := readFrame(t, r)
		if op != 1 {
			continue // a ping
		}
		if rsv1 {
			fr := flate.NewReader(io.MultiReader(bytes.NewReader(p), strings.NewReader("\x00\x00\xff\xff")))
			var err error
			if p, err = io.ReadAll(fr); err != nil && err != io.ErrUnexpectedEOF {
				t.Fatal(err)
			}
		}
		var env app.Envelope
		if err := json.Unmarshal(p, &env); err != nil {
			t.Fatalf("frame %q: %v", p, err)
		}
		if env.Type == app.TypeSnapshot || env.Seq > 0 {
			return env
		}
	}
}

// TestHandshakeTakenAheadOfRouter: a well-formed handshake for a loaded
// event is answered by the hub itself (RFC 6455's accept key, no header
// of fasthttp's such as Date) with the snapshot behind it, compressed
// when the client offers permessage-deflate; everything the hub does not
// take goes the library's way with the same answers as before.
func TestHandshakeTakenAheadOfRouter(t *testing.T) {
	if getPoller() == nil || os.Getenv("HYBRIDCON_TEST_WS_READER") == "goroutine" {
		t.Skip("handshakes are taken ahead of the router only where the poller reads viewers")
	}
	t.Parallel()
	src := newFakeSource()
	src.add(slug, "E1")
	src.appendN(slug, 3)
	cfg := testConfig("a")
	cfg.Origins = origin.NewPolicy([]string{"https://live.example.org"})
	n := startNode(t, cfg, NewMemoryBroker(), src)
	path := "/ws/events/" + slug

	// The event's first viewer on the node loads it, through the library.
	_, resp, _ := rawHandshake(t, n.addr, path, "")
	if resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Date") == "" {
		t.Fatalf("first viewer: status %d, Date %q; want 101 from the library", resp.StatusCode, resp.Header.Get("Date"))
	}

	direct := func(extra string) (*http.Response, *bufio.Reader) {
		t.Helper()
		_, resp, br := rawHandshake(t, n.addr, path, extra)
		if resp.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if got := resp.Header.Get("Sec-WebSocket-Accept"); got != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
			t.Fatalf("Sec-WebSocket-Accept %q", got)
		}
		if resp.Header.Get("Date") != "" {
			t.Fatalf("a Date header: the handshake went through fasthttp's response (%v)", resp.Header)
		}
		return resp, br
	}
	resp, plain := direct("Origin: https://live.example.org\r\n")
	if ext := resp.Header.Get("Sec-WebSocket-Extensions"); ext != "" {
		t.Fatalf("no compression offered, %q agreed", ext)
	}
	if env := readEnvelope(t, plain); env.Type != app.TypeSnapshot || env.Seq != 3 {
		t.Fatalf("first frame %s seq %d; want the snapshot at 3", env.Type, env.Seq)
	}
	resp, packed := direct("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n")
	if ext := resp.Header.Get("Sec-WebSocket-Extensions"); !strings.HasPrefix(ext, "permessage-deflate; server_no_context_takeover") {
		t.Fatalf("compression offered, extensions %q agreed", ext)
	}
	if env := readEnvelope(t, packed); env.Type != app.TypeSnapshot || env.Seq != 3 {
		t.Fatalf("first frame %s seq %d; want the snapshot at 3", env.Type, env.Seq)
	}
	// An offer that limits the server's window is not agreed, by either way in.
	resp, _ = direct("Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10\r\n")
	if ext := resp.Header.Get("Sec-WebSocket-Extensions"); ext != "" {
		t.Fatalf("a 1 KiB window offered, %q agreed", ext)
	}
	_, resp, _ = rawHandshake(t, n.addr, path+"?bell=1", "Authorization: Bearer x\r\nSec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10\r\n")
	if resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Date") == "" || resp.Header.Get("Sec-WebSocket-Extensions") != "" {
		t.Fatalf("through the library: status %d, Date %q, extensions %q", resp.StatusCode, resp.Header.Get("Date"), resp.Header.Get("Sec-WebSocket-Extensions"))
	}

	// Broadcasts reach the viewers the hub upgraded.
	sent := src.append(slug)
	n.hub.Publish(context.Background(), sent)
	for _, r := range []*bufio.Reader{plain, packed} {
		if env := readEnvelope(t, r); env.Seq != sent.Seq {
			t.Fatalf("broadcast seq %d; want %d", env.Seq, sent.Seq)
		}
	}

	// What the hub does not take gets the answers WebsocketHandler gives.
	for _, tc := range []struct {
		name, path, extra string
		status            int
	}{
		{"foreign origin", path, "Origin: https://evil.example\r\n", http.StatusForbidden},
		{"bad region", path + "?region=mars", "", http.StatusBadRequest},
		{"unknown event", "/ws/events/no-such-event", "", http.StatusNotFound},
	} {
		_, resp, _ := rawHandshake(t, n.addr, tc.path, tc.extra)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d; want %d", tc.name, resp.StatusCode, tc.status)
		}
	}
	eventually(t, 5*time.Second, "five viewers", func() bool { return n.hub.viewerCount(slug) == 5 })
}

// TestFirstFramesLargerThanTheSocket: a first frame the socket cannot
// take at once (a snapshot of several megabytes to a client not reading
// yet) is finished by the writer after the hub's own 101 response, byte
// for byte.
func TestFirstFramesLargerThanTheSocket(t *testing.T) {
	t.Parallel()
	src := newFakeSource()
	src.add(slug, "E1")
	src.appendN(slug, 3)
	src.snapPad = strings.Repeat("0123456789abcdef", 1<<18) // 4 MiB
	n := startNode(t, testConfig("a"), NewMemoryBroker(), src)
	_, _, first := rawHandshake(t, n.addr, "/ws/events/"+slug, "") // loads the event
	if env := readEnvelope(t, first); env.Type != app.TypeSnapshot {
		t.Fatalf("first viewer: %s", env.Type)
	}
	c, resp, br := rawHandshake(t, n.addr, "/ws/events/"+slug, "")
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d", resp.StatusCode)
	}
	time.Sleep(200 * time.Millisecond) // the socket fills; the rest waits in the queue
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	env := readEnvelope(t, br)
	if env.Type != app.TypeSnapshot || env.Seq != 3 || !bytes.Contains(env.Data, []byte(src.snapPad)) {
		t.Fatalf("first frame %s seq %d, %d bytes of data", env.Type, env.Seq, len(env.Data))
	}
	sent := src.append(slug)
	n.hub.Publish(context.Background(), sent)
	if env := readEnvelope(t, br); env.Seq != sent.Seq {
		t.Fatalf("after the snapshot: seq %d; want %d", env.Seq, sent.Seq)
	}
}

func TestHandshakeHeaderParsing(t *testing.T) {
	for _, tc := range []struct {
		v     string
		token string
		want  bool
	}{
		{"Upgrade", "upgrade", true},
		{"keep-alive, Upgrade", "upgrade", true},
		{"keep-alive,upgrade ", "upgrade", true},
		{"keep-alive", "upgrade", false},
		{"upgrade-insecure", "upgrade", false},
		{"", "upgrade", false},
		{"WebSocket", "websocket", true},
	} {
		if got := hasToken([]byte(tc.v), tc.token); got != tc.want {
			t.Errorf("hasToken(%q, %q) = %v", tc.v, tc.token, got)
		}
	}
	for _, tc := range []struct {
		v    string
		want bool
	}{
		{"permessage-deflate", true},
		{"permessage-deflate; client_max_window_bits", true},
		{"x-webkit-deflate-frame", false},
		{"permessage-deflate; server_max_window_bits=10", false},
		{"permessage-deflate; server_max_window_bits=10, permessage-deflate", true},
		{`permessage-deflate; server_max_window_bits="15"`, true},
		{"permessage-deflate; server_max_window_bits=x", false},
		{"PerMessage-Deflate ;server_no_context_takeover", true},
		{"", false},
	} {
		if got := offersDeflate([]byte(tc.v)); got != tc.want {
			t.Errorf("offersDeflate(%q) = %v", tc.v, got)
		}
	}
	for _, tc := range []struct {
		key  string
		want bool
	}{
		{"dGhlIHNhbXBsZSBub25jZQ==", true},
		{"dGhlIHNhbXBsZSBub25jZQ", false},
		{"dGhlIHNhbXBsZSBub25jZQ=!", false},
		{"", false},
		{"dGhlIHNhbXBsZSBub25jZXh4eA==", false},
	} {
		if got := validKey([]byte(tc.key)); got != tc.want {
			t.Errorf("validKey(%q) = %v", tc.key, got)
		}
	}
	if got := string(upgradeResponse([]byte("dGhlIHNhbXBsZSBub25jZQ=="), false)); got !=
		"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n" {
		t.Errorf("response %q", got)
	}
}

// TestHandshakeRefusedAfterTaken: a handshake the hub took ahead of the
// router whose viewer is then refused (the database is down and the
// cached snapshot too old) gets its 101 and the close, and the node
// keeps serving. The refusal closes the connection inside fasthttp's
// handler; fasthttp still sets the connection's write deadline after the
// handler returns and panics (taking the process down) if it is closed,
// so the hub closes it only once fasthttp has handed it over.
func TestHandshakeRefusedAfterTaken(t *testing.T) {
	if getPoller() == nil || os.Getenv("HYBRIDCON_TEST_WS_READER") == "goroutine" {
		t.Skip("handshakes are taken ahead of the router only where the poller reads viewers")
	}
	t.Parallel()
	src := newFakeSource()
	src.add(slug, "E1")
	cfg := testConfig("a")
	cfg.SnapshotMaxAge = time.Millisecond
	n := startNode(t, cfg, NewMemoryBroker(), src)
	path := "/ws/events/" + slug
	rawHandshake(t, n.addr, path, "") // the event's first viewer loads it
	src.setDown(true)
	time.Sleep(5 * time.Millisecond) // the cached snapshot is too old to serve
	for i := 0; i < 3; i++ {
		_, resp, br := rawHandshake(t, n.addr, path, "")
		if resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Date") != "" {
			t.Fatalf("status %d, Date %q; want the hub's 101", resp.StatusCode, resp.Header.Get("Date"))
		}
		op, _, payload := readFrame(t, br)
		if op != 8 || len(payload) < 2 || int(binary.BigEndian.Uint16(payload)) != CloseTryAgainLater {
			t.Fatalf("frame op %d %q; want a close %d", op, payload, CloseTryAgainLater)
		}
	}
	src.setDown(false)
	_, resp, br := rawHandshake(t, n.addr, path, "")
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("after the outage: status %d", resp.StatusCode)
	}
	if env := readEnvelope(t, br); env.Type != app.TypeSnapshot {
		t.Fatalf("after the outage: first frame %s; want the snapshot", env.Type)
	}
}
