package realtime

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"net"
	"strconv"
	"sync"
	"syscall"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// WebsocketPath is where WebsocketHandler is mounted, the event's slug
// following it: GET /ws/events/{slug}.
const WebsocketPath = "/ws/events/"

// Handshakes wraps next, the fasthttp handler of app (the Fiber app that
// mounts WebsocketHandler at WebsocketPath), so that a websocket handshake
// the hub can take as it is — well formed, from an allowed origin, no
// Authorization header, valid parameters, an event this node has loaded,
// a free per-address slot, a connection the poller can read — is answered
// before Fiber's router and middleware see it: the hub writes the 101
// response itself, in the same write(2) as the viewer's first frame, and
// the connection goes to the poller from fasthttp's worker goroutine,
// with no goroutine, request context or library connection of its own.
// Every other request, a refused handshake included, goes to next, where
// WebsocketHandler checks it again and answers with the API's error; so
// the result for a client is the same either way.
//
// On platforms without the poller, or when app does not keep hijacked
// connections (fasthttp's KeepHijackedConns), Handshakes returns next.
//
// Measured in docs/benchmarks.md ("Connect storm"): the middleware's
// security headers, request id and access log, Fiber's routing and the
// library's upgrade were a quarter of the server's CPU in a storm of new
// viewers.
func (h *Hub) Handshakes(app *fiber.App, next fasthttp.RequestHandler) fasthttp.RequestHandler {
	if getPoller() == nil || !app.Server().KeepHijackedConns {
		return next
	}
	return func(fctx *fasthttp.RequestCtx) {
		if !h.takeHandshake(app, fctx) {
			next(fctx)
		}
	}
}

// takeHandshake answers fctx's websocket handshake and runs the viewer
// (see Handshakes), or returns false having changed nothing.
func (h *Hub) takeHandshake(app *fiber.App, fctx *fasthttp.RequestCtx) bool {
	path := fctx.Path()
	if !fctx.IsGet() || !bytes.HasPrefix(path, []byte(WebsocketPath)) {
		return false
	}
	hd := &fctx.Request.Header
	key := hd.Peek("Sec-WebSocket-Key")
	if len(hd.Peek(fiber.HeaderAuthorization)) > 0 || // authenticate answers a bad one with 401
		!hasToken(hd.Peek(fiber.HeaderConnection), "upgrade") ||
		!hasToken(hd.Peek(fiber.HeaderUpgrade), "websocket") ||
		string(hd.Peek("Sec-WebSocket-Version")) != "13" || !validKey(key) {
		return false
	}
	sc, ok := fctx.Conn().(syscall.Conn)
	if !ok { // a test connection, TLS: the library's way
		return false
	}
	raw, err := sc.SyscallConn()
	if err != nil || raw == nil {
		return false
	}
	slug := string(path[len(WebsocketPath):])
	if h.lookup(slug) == nil { // first viewer of an event on this node: WebsocketHandler loads it
		return false
	}
	c := app.AcquireCtx(fctx)
	defer app.ReleaseCtx(c)
	if !h.originAllowed(c) {
		return false
	}
	p, err := h.parseQuery(slug, c, false)
	if err != nil || h.isClosing() {
		return false
	}
	if p.slot = h.trySlot(c); p.slot == nil {
		return false
	}
	p.keep = true
	p.deflate = offersDeflate(hd.Peek("Sec-WebSocket-Extensions"))
	pre := upgradeResponse(key, p.deflate)
	// fasthttp writes no response and forgets the connection, which
	// runWebsocket owns from here, except for closing it (see handback).
	p.handback = new(handback)
	fctx.HijackSetNoResponse(true)
	fctx.Hijack(p.handback.release)
	h.perAddr.start(p.slot)
	h.runWebsocket(fctx.Conn(), nil, p, pre)
	return true
}

// acceptGUID is RFC 6455's magic string for Sec-WebSocket-Accept.
const acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// upgradeResponse is the 101 answer to a handshake with key.
func upgradeResponse(key []byte, deflate bool) []byte {
	var in [24 + len(acceptGUID)]byte
	sum := sha1.Sum(append(append(in[:0], key...), acceptGUID...))
	b := make([]byte, 0, 256)
	b = append(b, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "...)
	b = base64.StdEncoding.AppendEncode(b, sum[:])
	if deflate {
		b = append(b, "\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover"...)
	}
	return append(b, "\r\n\r\n"...)
}

// validKey reports whether key is a Sec-WebSocket-Key: 16 bytes in
// base64.
func validKey(key []byte) bool {
	var out [18]byte
	if len(key) != 24 {
		return false
	}
	n, err := base64.StdEncoding.Decode(out[:], key)
	return err == nil && n == 16
}

// hasToken reports whether the comma-separated header value v holds
// token (ASCII case-insensitive), as Connection: keep-alive, Upgrade does.
func hasToken(v []byte, token string) bool {
	for len(v) > 0 {
		var t []byte
		t, v, _ = bytes.Cut(v, []byte{','})
		if bytes.EqualFold(bytes.TrimSpace(t), []byte(token)) {
			return true
		}
	}
	return false
}

// offersDeflate reports whether a Sec-WebSocket-Extensions value offers
// permessage-deflate in a form the hub's compressed snapshots satisfy:
// the hub compresses without context takeover and with the full 32 KiB
// window, so an offer limiting the server's window (server_max_window_bits
// below 15) is passed over.
func offersDeflate(v []byte) bool {
	for len(v) > 0 {
		var offer []byte
		offer, v, _ = bytes.Cut(v, []byte{','})
		name, params, _ := bytes.Cut(offer, []byte{';'})
		if !bytes.EqualFold(bytes.TrimSpace(name), []byte("permessage-deflate")) {
			continue
		}
		ok := true
		for len(params) > 0 {
			var kv []byte
			kv, params, _ = bytes.Cut(params, []byte{';'})
			k, val, _ := bytes.Cut(kv, []byte{'='})
			if bytes.EqualFold(bytes.TrimSpace(k), []byte("server_max_window_bits")) {
				bits, err := strconv.Atoi(string(bytes.Trim(bytes.TrimSpace(val), `"`)))
				ok = err == nil && bits >= 15
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// handback closes a connection the hub took inside fasthttp's request
// handler (takeHandshake) only once fasthttp has let go of it. After the
// handler returns, fasthttp still sets the connection's deadlines, and
// panics in its connection goroutine (so the process ends) when the
// connection is closed by then; it lets go when it calls the hijack
// handler. A viewer refused during its join, or ended at once by the
// poller, asks for the close before that.
type handback struct {
	mu       sync.Mutex
	released bool
	pending  net.Conn // asked to be closed before fasthttp let go
}

// release is the connection's hijack handler: fasthttp is done with it.
func (b *handback) release(net.Conn) {
	b.mu.Lock()
	b.released = true
	c := b.pending
	b.mu.Unlock()
	if c != nil {
		_ = c.Close()
	}
}

// close closes c now, or as soon as fasthttp lets go of it.
func (b *handback) close(c net.Conn) {
	b.mu.Lock()
	if !b.released {
		b.pending = c
		b.mu.Unlock()
		return
	}
	b.mu.Unlock()
	_ = c.Close()
}
