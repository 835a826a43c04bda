package realtime

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hybridcon/hybridcon/app"
)

// sseRetry is the reconnection delay suggested to EventSource clients.
const sseRetry = "retry: 2000\n\n"

// SSEHandler serves GET /api/v1/events/:slug/stream: the websocket's
// envelopes as Server-Sent Events, for networks that block websockets.
// Each durable envelope (and the snapshot) is written as
//
//	id: <seq>
//	event: <type>
//	data: <envelope json>
//
// followed by an empty line; volatile ones have no id line. A Last-Event-ID
// header (sent by EventSource when it reconnects) or ?since= gives since,
// and ?epoch= the epoch; the first events follow the websocket's rules.
// A comment line is sent every SSEHeartbeat. A stream closed by the
// server ends with a comment ": close <code> <reason>". Errors before
// the stream starts are *app.Error values, as for WebsocketHandler
// (no Origin check: the stream is public and read-only), the per-address
// cap included.
//
// The stream runs in the goroutine fasthttp starts for a body stream
// writer; each flush pushes the connection's write deadline forward, so
// a server WriteTimeout does not cut healthy streams.
func (h *Hub) SSEHandler() fiber.Handler {
	return func(c *fiber.Ctx) error {
		p, err := h.parseParams(c, true)
		if err != nil {
			return err
		}
		slot, err := h.takeSlot(c)
		if err != nil {
			return err
		}
		if !h.track() {
			h.perAddr.release(slot)
			return app.Errorf(app.EUnavailable, "the server is restarting; reconnect")
		}
		v := &viewer{h: h, sse: true, bell: p.bell, region: p.region, gauge: h.m.viewerGauge(p.region, true), nc: c.Context().Conn(), wake: make(chan struct{}, 1)}
		ctx, cancel := context.WithTimeout(c.UserContext(), joinTimeout)
		err = h.join(ctx, p.slug, v, p)
		cancel()
		if err != nil {
			h.perAddr.release(slot)
			h.conns.Done()
			if errors.Is(err, errShuttingDown) {
				return app.Errorf(app.EUnavailable, "the server is restarting; reconnect")
			}
			return h.publicErr(p.slug, err)
		}
		c.Set(fiber.HeaderContentType, "text/event-stream; charset=utf-8")
		c.Set(fiber.HeaderCacheControl, "no-cache")
		c.Set("X-Accel-Buffering", "no")
		h.perAddr.start(slot)
		c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
			defer h.conns.Done()
			defer h.perAddr.release(slot)
			v.streamSSE(w)
			v.finish()
		})
		return nil
	}
}

// streamSSE is an SSE viewer's writer: it writes queued frames until the
// viewer is closed or a write fails.
func (v *viewer) streamSSE(w *bufio.Writer) {
	idle := v.h.cfg.SSEHeartbeat + v.h.cfg.WriteTimeout
	_, _ = w.WriteString(sseRetry)
	if v.flush(w, idle) != nil {
		return
	}
	for {
		v.mu.Lock()
		batch := v.q
		v.q = nil
		v.pingQueued = false
		gen := v.gen
		closing, code, reason := v.closing, v.closeCode, v.closeReason
		v.mu.Unlock()
		if closing {
			if code != 0 {
				_, _ = w.WriteString(": close " + strconv.Itoa(code) + " " + reason + "\n\n")
				_ = v.flush(w, v.h.cfg.WriteTimeout)
			}
			return
		}
		if len(batch) == 0 {
			<-v.wake
			continue
		}
		n := 0
		for _, f := range batch {
			writeSSE(w, f)
			n += f.size()
		}
		if err := v.flush(w, idle); err != nil {
			v.mu.Lock()
			v.closing = true
			v.mu.Unlock()
			if isTimeout(err) {
				v.drop(v.h.m.dropWrite)
			}
			return
		}
		v.written(batch, gen, n)
	}
}

// flush sends what w holds and gives the connection until d from now to
// accept the next write.
func (v *viewer) flush(w *bufio.Writer, d time.Duration) error {
	err := w.Flush()
	if err == nil && v.nc != nil {
		_ = v.nc.SetWriteDeadline(time.Now().Add(d))
	}
	return err
}

// writeSSE writes one frame as an event (or a heartbeat comment).
func writeSSE(w *bufio.Writer, f *frame) {
	if f.kind == kindHeartbeat {
		_, _ = w.WriteString(": ping\n\n")
		return
	}
	if f.kind != kindVolatile {
		_, _ = w.WriteString("id: ")
		_, _ = w.WriteString(strconv.FormatInt(f.seq, 10))
		_ = w.WriteByte('\n')
	}
	_, _ = w.WriteString("event: ")
	_, _ = w.WriteString(f.typ)
	_ = w.WriteByte('\n')
	data := f.json
	for { // JSON from json.Marshal is one line; split defensively anyway
		line, rest, more := bytes.Cut(data, []byte{'\n'})
		_, _ = w.WriteString("data: ")
		_, _ = w.Write(line)
		_ = w.WriteByte('\n')
		if !more {
			break
		}
		data = rest
	}
	_ = w.WriteByte('\n')
}
