package realtime

import (
	"errors"
	"net"
	"sync"
	"time"

	"github.com/fasthttp/websocket"
)

// closeGrace is how long a server-initiated close waits for the client's
// close frame, and bounds writing the close frame itself.
const closeGrace = time.Second

// viewer is one connection (websocket or SSE). The event delivers by
// appending shared frames to q; a single writer drains it. For websockets
// the writer goroutine exists only while q is non-empty (started by the
// enqueue that finds it idle, ending when q is empty), so an idle viewer
// costs no goroutine besides its reader; for SSE the stream goroutine
// that fasthttp runs is the writer and waits on wake.
type viewer struct {
	h      *Hub
	region string
	gauge  Gauge           // open viewers of this region and transport (metrics)
	bucket uint8           // ping bucket, see Hub.sweep
	ws     *websocket.Conn // nil for SSE
	nc     net.Conn        // the raw connection, to force it closed
	wake   chan struct{}   // SSE: signalled when there is something to do

	ev *eventState // set once by start, under the event's lock

	mu          sync.Mutex
	q           []*frame
	qBytes      int   // bytes of q not yet written
	grace       int   // bytes at the head of q that do not count against the bound
	after       int64 // durable frames with seq ≤ after are skipped
	writing     bool  // a websocket writer goroutine is running
	pingQueued  bool
	closing     bool
	closeCode   int // close frame still to send (websocket), 0 for none
	closeReason string
	done        chan struct{} // closed when the writer stops; made by finish
}

// start sets v's first frames; called under the event's lock by addLocked.
func (v *viewer) start(ev *eventState, backlog []*frame, after int64) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.ev = ev
	v.after = after
	for _, f := range backlog {
		v.q = append(v.q, f)
		v.qBytes += f.size()
		v.grace += f.size()
	}
	if len(v.q) > 0 {
		v.kickLocked()
	}
}

// enqueue queues f without blocking. It returns false when v is closed,
// possibly by this call because f would overflow MaxQueueBytes; the
// caller then unregisters v.
func (v *viewer) enqueue(f *frame) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closing {
		return false
	}
	if f.kind == kindDurable && f.seq <= v.after {
		return true
	}
	if v.qBytes-v.grace+f.size() > v.h.cfg.MaxQueueBytes {
		v.closeLocked(CloseSlowConsumer, ReasonSlowConsumer)
		v.h.m.dropQueueFull.Add(1)
		return false
	}
	v.q = append(v.q, f)
	v.qBytes += f.size()
	v.kickLocked()
	return true
}

// reset replaces whatever v had queued with snapshot f (event reset).
func (v *viewer) reset(f *frame) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closing {
		return false
	}
	clear(v.q)
	v.q = append(v.q[:0], f)
	v.qBytes, v.grace = f.size(), f.size()
	v.pingQueued = false
	v.after = f.seq
	v.kickLocked()
	return true
}

// marker queues a ping (websocket) or heartbeat (SSE) unless one is
// already waiting.
func (v *viewer) marker() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closing || v.pingQueued {
		return
	}
	v.pingQueued = true
	if v.ws != nil {
		v.q = append(v.q, pingFrame)
	} else {
		v.q = append(v.q, heartbeatFrame)
	}
	v.kickLocked()
}

// close asks the writer to send a close frame with code and reason (SSE:
// to end the stream) and drops everything queued.
func (v *viewer) close(code int, reason string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.closeLocked(code, reason)
}

func (v *viewer) closeLocked(code int, reason string) {
	if v.closing {
		return
	}
	v.closing = true
	v.closeCode, v.closeReason = code, reason
	clear(v.q)
	v.q, v.qBytes, v.grace = nil, 0, 0
	v.kickLocked()
}

// kickLocked makes sure a writer will look at the queue.
func (v *viewer) kickLocked() {
	if v.ws == nil {
		select {
		case v.wake <- struct{}{}:
		default:
		}
		return
	}
	if !v.writing {
		v.writing = true
		go v.writeLoop()
	}
}

// take hands the writer the queued frames, or the close to send; it stops
// the writer (returns ok false) when there is nothing left to do.
func (v *viewer) take() (batch []*frame, closeCode int, closeReason string, ok bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	batch, v.q = v.q, nil
	v.pingQueued = false
	if v.closing && v.closeCode != 0 {
		closeCode, closeReason = v.closeCode, v.closeReason
		v.closeCode = 0
		return nil, closeCode, closeReason, true
	}
	if len(batch) > 0 && !v.closing {
		return batch, 0, "", true
	}
	v.writing = false
	if v.done != nil {
		close(v.done)
	}
	return nil, 0, "", false
}

// written accounts n bytes as sent and returns the batch's array for
// reuse when the queue is still empty.
func (v *viewer) written(batch []*frame, n int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closing {
		return
	}
	v.qBytes -= n
	v.grace = max(0, v.grace-n)
	if v.q == nil && cap(batch) <= 64 {
		clear(batch)
		v.q = batch[:0]
	}
}

// isTimeout reports whether err is a deadline that passed (as opposed to
// a connection the client closed).
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// fail marks v closed after a failed write and breaks its connection so
// the reader ends too.
func (v *viewer) fail() {
	v.mu.Lock()
	v.closing = true
	v.closeCode = 0
	clear(v.q)
	v.q = nil
	v.mu.Unlock()
	_ = v.nc.Close()
}

// writeLoop is the websocket writer: the only goroutine that writes data
// frames to v.ws (WriteControl for ping and close is allowed beside the
// reader's own control replies).
func (v *viewer) writeLoop() {
	for {
		batch, code, reason, ok := v.take()
		if !ok {
			return
		}
		if code != 0 {
			v.sendClose(code, reason)
			continue
		}
		deadline := time.Now().Add(v.h.cfg.WriteTimeout)
		_ = v.ws.SetWriteDeadline(deadline)
		n := 0
		for _, f := range batch {
			var err error
			if f.kind == kindPing {
				err = v.ws.WriteControl(websocket.PingMessage, nil, deadline)
			} else {
				err = v.ws.WritePreparedMessage(f.pm)
				n += f.size()
			}
			if err != nil {
				if isTimeout(err) {
					v.h.m.dropWrite.Add(1)
				}
				v.fail()
				break
			}
		}
		v.written(batch, n)
	}
}

// sendClose writes a close frame and gives the client closeGrace to
// answer before the reader gives up.
func (v *viewer) sendClose(code int, reason string) {
	msg := websocket.FormatCloseMessage(code, reason)
	if err := v.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(closeGrace)); err != nil {
		_ = v.nc.Close()
		return
	}
	_ = v.nc.SetReadDeadline(time.Now().Add(closeGrace))
}

// isClosing reports whether v is being closed.
func (v *viewer) isClosing() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.closing
}

// finish is called by the connection's own goroutine when it ends: v is
// unregistered, and finish returns once no writer runs any more.
func (v *viewer) finish() {
	if ev := v.ev; ev != nil {
		ev.mu.Lock()
		ev.removeLocked(v)
		ev.mu.Unlock()
	}
	v.mu.Lock()
	v.closing = true
	v.closeCode = 0
	clear(v.q)
	v.q = nil
	var done chan struct{}
	if v.writing {
		v.done = make(chan struct{})
		done = v.done
	}
	v.mu.Unlock()
	if done != nil {
		_ = v.nc.Close() // unblock a write stuck on a full socket
		<-done
	}
}
