package realtime

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/fasthttp/websocket"
	"github.com/gofiber/fiber/v2"
	fws "github.com/gofiber/websocket/v2"
	"github.com/hybridcon/hybridcon/app"
)

// WebsocketHandler serves GET /ws/events/:slug?since=&epoch=&region=&lang=.
//
// Before upgrading it answers with an *app.Error (for the app's error
// handler): 403 for a disallowed Origin (see HubConfig.Origins),
// 400 for a bad since, epoch, region or lang or a request that is not a
// websocket handshake, 404 for an unknown event, 429 (with Retry-After)
// when the client's address has HubConfig.MaxViewersPerAddress viewers
// open, 503 while shutting down or when the log cannot be read.
//
// After the upgrade the server sends text frames, each one envelope; the
// first frames are the envelopes missed since since (when since and epoch
// are given and can be served) or a snapshot. The client may send text
// frames of at most MaxClientFrame bytes; they are read and ignored
// (e.g. {"type":"ping"} as an application keep-alive), and any frame
// counts as activity for PongWait. A larger frame closes with 1009, a
// binary frame with 1003, a text frame that is not UTF-8 with 1007. The
// server pings every PingInterval; a client silent for PongWait is
// dropped. Client pings are answered, only the latest one when several
// arrive while a pong waits to go out. Close codes: 1008 "slow consumer"
// or "too many pings", 1012 "service restart", 1013 "try again later"
// (see the constants).
//
// The upgrade goes through gofiber/websocket; the checks above run first
// so a refused request gets the API's JSON error instead of a bare 426.
// Most handshakes never get here: Handshakes takes those it can ahead of
// the router, and the result for the client is the same.
// The connection's goroutine lives as long as the connection.
func (h *Hub) WebsocketHandler() fiber.Handler {
	upgrade := fws.New(func(c *fws.Conn) {
		pp, _ := c.Locals(localParams).(*connParams)
		if pp == nil {
			return
		}
		p := *pp
		if p.slot != nil {
			h.perAddr.start(p.slot)
		}
		h.serveWS(c.Conn, p)
	}, fws.Config{
		HandshakeTimeout: 10 * time.Second,
		// Origins are checked before the upgrade, with our own error shape.
		Origins:        []string{"*"},
		ReadBufferSize: h.cfg.ReadBufferSize,
		// permessage-deflate without context takeover, when the client
		// offers it: snapshots then go out compressed (see frame.deflated).
		EnableCompression: true,
		// The hub writes frames itself (see viewer); the library writes
		// only on handshake failures and protocol errors.
		WriteBufferSize: 1024,
		WriteBufferPool: &h.writePool,
	})
	return func(c *fiber.Ctx) error {
		if !h.originAllowed(c) {
			return app.Errorf(app.EForbidden, "origin %q may not open live updates", c.Get(fiber.HeaderOrigin))
		}
		p, err := h.parseParams(c, false)
		if err != nil {
			return err
		}
		if !fws.IsWebSocketUpgrade(c) {
			return app.Errorf(app.EBadRequest, "this endpoint speaks websocket only; use the stream endpoint for Server-Sent Events")
		}
		if h.isClosing() {
			return app.Errorf(app.EUnavailable, "the server is restarting; reconnect")
		}
		if p.slot, err = h.takeSlot(c); err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(c.UserContext(), joinTimeout)
		_, err = h.event(ctx, p.slug)
		cancel()
		if err != nil {
			h.perAddr.release(p.slot)
			return h.publicErr(p.slug, err)
		}
		// A pointer: the library copies the locals before the upgrade, and
		// whether compression was agreed is known only after it.
		// Whether the server leaves hijacked connections open after the
		// handler returns: then an idle viewer can be handed to the
		// poller (see serveWS).
		p.keep = c.App().Server().KeepHijackedConns
		// An offer the hub's compressed snapshots would not satisfy is
		// not agreed (see offersDeflate): the library would agree to any.
		if ext := c.Request().Header.Peek("Sec-WebSocket-Extensions"); len(ext) > 0 && !offersDeflate(ext) {
			c.Request().Header.Del("Sec-WebSocket-Extensions")
		}
		pp := &p
		c.Locals(localParams, pp)
		if err := upgrade(c); err != nil {
			h.perAddr.release(p.slot)
			return app.Errorf(app.EBadRequest, "websocket handshake failed")
		}
		pp.deflate = bytes.Contains(c.Response().Header.Peek("Sec-WebSocket-Extensions"), []byte("permessage-deflate"))
		return nil
	}
}

// localParams carries the parsed query from the checks to the upgraded
// connection.
const localParams = "hybridcon.ws.params"

// rawConn returns the TCP connection under fasthttp's hijacked wrapper,
// whose own Close does nothing while the handler runs.
func rawConn(nc net.Conn) net.Conn {
	if u, ok := nc.(interface{ UnsafeConn() net.Conn }); ok {
		return u.UnsafeConn()
	}
	return nc
}

// serveWS runs one websocket connection upgraded by the library (see
// runWebsocket).
func (h *Hub) serveWS(ws *websocket.Conn, p connParams) {
	ws.EnableWriteCompression(false) // the library writes control frames only; the hub compresses snapshots itself
	h.runWebsocket(rawConn(ws.NetConn()), ws, p, nil)
}

// runWebsocket runs one websocket connection: join, then read until it
// ends. It owns the connection's per-address slot and, when the server
// keeps hijacked connections (p.keep), the connection itself. ws is the
// library's connection, or nil for one upgraded by takeHandshake, which
// leaves its response (pre) to go out in front of the first frame.
//
// Reading: where the platform has the poller and the server keeps
// hijacked connections (app/api sets fasthttp's KeepHijackedConns),
// runWebsocket hands the joined viewer to the poller and returns, so the
// handshake's goroutine, its stack and fasthttp's request context are
// released, and the poller's cleanup ends the viewer later. Otherwise
// the connection's goroutine reads until the connection ends (always
// polled when ws is nil).
func (h *Hub) runWebsocket(nc net.Conn, ws *websocket.Conn, p connParams, pre []byte) {
	v := &viewer{
		h:       h,
		deflate: p.deflate,
		bell:    p.bell,
		region:  p.region,
		gauge:   h.m.viewerGauge(p.region, false),
		bucket:  uint8(h.nextBucket.Add(1) % pingBuckets),
		nc:      nc,
	}
	if sc, ok := v.nc.(syscall.Conn); ok {
		v.raw, _ = sc.SyscallConn()
	}
	if len(pre) > 0 {
		// The upgrade's response is the head of the first write.
		v.q = append(v.q, &frame{kind: kindPartial, wire: pre})
		v.qBytes, v.grace = len(pre), len(pre)
	}
	tracked, handedOff := false, false
	cleanup := func() {
		if p.slot != nil {
			h.perAddr.release(p.slot)
		}
		switch {
		case p.handback != nil:
			p.handback.close(v.nc)
		case p.keep:
			_ = v.nc.Close()
		}
		if tracked {
			h.conns.Done()
		}
	}
	defer func() {
		if !handedOff {
			cleanup()
		}
	}()
	refuse := func(code int, reason string) {
		if ws != nil {
			closeNow(ws, code, reason)
			return
		}
		_ = nc.SetWriteDeadline(time.Now().Add(closeGrace))
		_, _ = nc.Write(append(pre, wsFrame(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason))...))
	}
	var poll *poller
	if p.keep && v.raw != nil {
		poll = getPoller()
	}
	if poll != nil {
		v.polled = true
	} else if ws == nil {
		h.warn("realtime: a websocket upgraded without the library needs the poller; it is dropped", "event", p.slug)
		refuse(CloseTryAgainLater, ReasonTryAgainLater)
		return
	} else {
		v.ws = ws
		// Replies the client's frames call for go through v's writers,
		// like everything else this server sends: the library writing
		// them itself could split a frame the hub has begun.
		ws.SetPingHandler(func(data string) error {
			if !v.answerPing(data) {
				return errPingFlood // stop reading; finish lets the close go out
			}
			return nil
		})
		ws.SetCloseHandler(func(code int, _ string) error {
			if code == websocket.CloseNoStatusReceived {
				code = websocket.CloseNormalClosure
			}
			v.close(code, "") // nothing more after the reply; finish lets it go out
			return nil
		})
	}
	if !h.track() {
		refuse(CloseServiceRestart, ReasonServiceRestart)
		return
	}
	tracked = true
	ctx, cancel := context.WithTimeout(context.Background(), joinTimeout)
	err := h.join(ctx, p.slug, v, p)
	cancel()
	switch {
	case errors.Is(err, errShuttingDown):
		refuse(CloseServiceRestart, ReasonServiceRestart)
		return
	case err != nil:
		h.warn("realtime: cannot start a viewer", "event", p.slug, "err", err)
		refuse(CloseTryAgainLater, ReasonTryAgainLater)
		return
	}
	if poll != nil {
		err := poll.add(v, h.cfg.MaxClientFrame, func() {
			v.finish()
			cleanup()
		})
		if err == nil {
			handedOff = true
			return
		}
		h.warn("realtime: cannot poll a viewer; it is dropped", "event", p.slug, "err", err)
		v.finish()
		return
	}
	v.readLoop()
	v.finish()
}

// errPingFlood ends the reader of a viewer closed while it was pinging.
var errPingFlood = errors.New("realtime: viewer closed while it kept pinging")

// readUTF8 reads r to its end and reports how many bytes it held and
// whether they are valid UTF-8, checked in small steps so a frame costs
// no buffer of its size.
func readUTF8(r io.Reader) (n int64, valid bool, err error) {
	var buf [512]byte
	carry := 0 // bytes of an incomplete sequence kept from the last read
	valid = true
	for {
		m, rerr := r.Read(buf[carry:])
		n += int64(m)
		end := carry + m
		i := 0
		for i < end && valid {
			if buf[i] < utf8.RuneSelf {
				i++
				continue
			}
			if !utf8.FullRune(buf[i:end]) {
				break // the sequence continues in the next read
			}
			c, size := utf8.DecodeRune(buf[i:end])
			valid = c != utf8.RuneError || size > 1
			i += size
		}
		if !valid {
			i = end
		}
		carry = copy(buf[:], buf[i:end])
		switch {
		case rerr == io.EOF:
			return n, valid && carry == 0, nil
		case rerr != nil:
			return n, valid, rerr
		}
	}
}

// closeNow sends a close frame from the connection goroutine before any
// writer exists.
func closeNow(ws *websocket.Conn, code int, reason string) {
	_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(closeGrace))
}

// readLoop reads (and ignores) client frames until the connection fails,
// the client closes, or PongWait passes without a sign of life.
func (v *viewer) readLoop() {
	ws, wait := v.ws, v.h.cfg.PongWait
	// The size limit is checked here rather than by the library, which
	// would write its 1009 close itself, possibly into a frame the hub
	// has begun.
	ws.SetReadLimit(0)
	limit := int64(v.h.cfg.MaxClientFrame)
	_ = ws.SetReadDeadline(time.Now().Add(wait))
	alive := func() {
		if !v.isClosing() {
			_ = ws.SetReadDeadline(time.Now().Add(wait))
		}
	}
	ws.SetPongHandler(func(string) error { alive(); return nil })
	for {
		mt, r, err := ws.NextReader()
		if err != nil {
			if isTimeout(err) && !v.isClosing() {
				v.drop(v.h.m.dropPong)
			}
			return // the library already answered a close or an oversize frame (1009)
		}
		if mt == websocket.BinaryMessage {
			v.close(CloseUnsupportedData, "binary frames are not supported")
			continue // wait for the client's close answer, bounded by closeGrace
		}
		n, valid, err := readUTF8(io.LimitReader(r, limit+1))
		if err != nil {
			return
		}
		if n > limit {
			v.close(CloseMessageTooBig, "frame too large")
			continue // the rest of the frame is skipped; closeGrace bounds the wait
		}
		if !valid {
			v.close(CloseInvalidPayload, "text frame is not UTF-8")
			continue
		}
		alive()
	}
}
