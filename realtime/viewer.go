package realtime

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fasthttp/websocket"
	"golang.org/x/sys/unix"
)

// closeGrace is how long a server-initiated close waits for the client's
// close frame, and bounds writing the close frame itself.
const closeGrace = time.Second

// viewer is one connection (websocket or SSE). The event delivers shared,
// pre-encoded frames to it.
//
// Websocket: a viewer whose socket is idle (nothing queued, no writer
// running) is written to directly by the delivering goroutine, with one
// non-blocking write(2) of the whole frame — the common case, costing no
// goroutine, channel, timer or deadline. Whatever the socket does not
// take at once (a slow or congested client) goes on q, and a writer
// goroutine, started then and ending when q is empty, finishes it with
// blocking writes, each frame under its own deadline. Every byte this
// server sends on the connection goes through these two paths, one at a
// time (v.mu and the writing flag), so frames never interleave: pongs and
// close replies to the client are queued here too (see serveWS). An idle
// viewer costs no goroutine besides its reader, and none at all when the
// poller reads it.
//
// Everything queued counts against MaxQueueBytes, pongs included, and at
// most one pong waits at a time: a newer ping replaces the waiting pong's
// payload (RFC 6455 §5.5.3 lets a server answer only the latest ping), and
// a client that keeps pinging while its pong cannot go out is closed with
// 1008.
//
// SSE: the stream goroutine that fasthttp runs is the writer and waits
// on wake.
type viewer struct {
	h      *Hub
	region string
	gauge  Gauge           // open viewers of this region and transport (metrics)
	bucket uint8           // ping bucket, see Hub.sweep
	sse    bool            // an SSE stream, not a websocket
	ws     *websocket.Conn // a websocket read by its own goroutine (not polled); nil otherwise
	polled bool            // a websocket read by the poller (see poller)
	nc     net.Conn        // the raw connection, to force it closed
	raw    syscall.RawConn // nc's descriptor for direct writes; nil (SSE, or not a socket): always queue
	wake   chan struct{}   // SSE: signalled when there is something to do
	// deflate: the client negotiated permessage-deflate, so snapshots go
	// out compressed (frame.deflated).
	deflate bool
	// bell: the page asked for the frames only private pages need
	// (frame.bellOnly).
	bell bool
	// readDeadline (Unix nanoseconds): when the poller gives up on a
	// polled viewer that sent nothing.
	readDeadline atomic.Int64

	ev *eventState // set once by start, under the event's lock

	mu         sync.Mutex
	q          []*frame
	qBytes     int   // bytes of q not yet written
	grace      int   // bytes at the head of q that do not count against the bound
	gen        int   // bumped when q is replaced, so a batch taken before does not count against the new q
	after      int64 // durable frames with seq ≤ after are skipped
	writing    bool  // a websocket writer goroutine is running
	pingQueued bool
	// pingOwed: this viewer's ping is due and rides on the next frame
	// written straight to its socket, or goes alone at the next ping tick
	// (see Hub.sweep).
	pingOwed    bool
	pong        *frame // the pong waiting in q, not yet taken by the writer
	pongsMerged int    // pings answered by replacing pong since a pong last went out
	closing     bool
	dropped     bool // counted in the drop metrics already
	closeCode   int  // close frame still to send (websocket), 0 for none
	closeReason string
	done        chan struct{} // closed when the writer stops; made by finish
}

// start sets v's first frames; called under the event's lock by addLocked.
// They wait in q for begin, which the joining goroutine calls once the
// event's lock is released; anything sent to v meanwhile queues behind
// them (and starts the writer, which then sends them all).
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
}

// begin sends what start queued (after the upgrade's response, when the
// handshake left that to the hub, see Hub.takeHandshake). A websocket
// whose socket takes it all at once — a new viewer's snapshot, a resuming
// one's few envelopes — gets it in one write(2) from the joining
// goroutine, with no writer goroutine, deadline or timer; whatever the
// socket does not take goes to the writer as usual.
func (v *viewer) begin() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closing || v.writing || len(v.q) == 0 {
		return
	}
	if !v.idleWriterLocked() || len(v.q) > maxBeginFrames {
		v.kickLocked()
		return
	}
	var bufs [maxBeginFrames][]byte
	for i, f := range v.q {
		bufs[i] = f.wireFor(v.deflate)
	}
	n, err := v.tryWritev(bufs[:len(v.q)])
	if err != nil {
		v.failLocked()
		return
	}
	i := 0
	for ; i < len(v.q); i++ {
		w := bufs[i]
		if n < len(w) {
			break
		}
		n -= len(w)
		v.qBytes -= v.q[i].size()
		v.grace = max(0, v.grace-v.q[i].size())
	}
	if i == len(v.q) {
		clear(v.q)
		v.q = v.q[:0]
		return
	}
	if n > 0 { // begun on the wire: its tail must go next
		f := v.q[i]
		rest := &frame{kind: kindPartial, wire: bufs[i][n:]} // wire bytes are never changed once built
		v.qBytes += len(rest.wire) - f.size()
		v.grace = max(0, v.grace+len(rest.wire)-f.size())
		v.q[i] = rest
	}
	m := copy(v.q, v.q[i:])
	clear(v.q[m:])
	v.q = v.q[:m]
	v.kickLocked()
}

// maxBeginFrames is the most first frames begin writes itself; a longer
// backlog (a viewer resuming far behind) goes to the writer goroutine.
const maxBeginFrames = 8

// idleWriterLocked reports whether frames may go straight to the socket:
// a websocket with its descriptor and no writer running.
func (v *viewer) idleWriterLocked() bool {
	return !v.sse && v.raw != nil && !v.writing
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
	if !v.fitsLocked(f.size()) {
		return false
	}
	return v.sendLocked(f)
}

// fitsLocked reports whether n more bytes fit under MaxQueueBytes; when
// they do not, v is closed as a slow consumer.
func (v *viewer) fitsLocked(n int) bool {
	if v.qBytes-v.grace+n <= v.h.cfg.MaxQueueBytes {
		return true
	}
	v.closeLocked(CloseSlowConsumer, ReasonSlowConsumer)
	v.dropLocked(v.h.m.dropQueueFull)
	return false
}

// dropLocked counts v's drop under reason c, once per viewer: a viewer
// closed for its queue whose stuck write then times out is one drop.
func (v *viewer) dropLocked(c Counter) {
	if !v.dropped {
		v.dropped = true
		c.Add(1)
	}
}

// drop is dropLocked for callers not holding v.mu.
func (v *viewer) drop(c Counter) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.dropLocked(c)
}

// idleLocked reports whether f can go straight to the socket: a
// websocket with its descriptor, nothing queued, no writer running.
func (v *viewer) idleLocked() bool {
	return v.raw != nil && !v.writing && len(v.q) == 0
}

// sendLocked writes f at once when the socket is idle, else queues it
// for the writer. It returns false when the connection failed.
func (v *viewer) sendLocked(f *frame) bool {
	if v.idleLocked() {
		return v.writeNowLocked(f)
	}
	v.q = append(v.q, f)
	v.qBytes += f.size()
	v.kickLocked()
	return true
}

// writeNowLocked writes f straight to the idle socket without blocking
// and queues what the socket did not take for the writer goroutine. An
// owed ping goes in the same write, ahead of f. It returns false when the
// connection failed.
func (v *viewer) writeNowLocked(f *frame) bool {
	wire := f.wireFor(v.deflate)
	if v.pingOwed {
		v.pingOwed = false
		wire = append(append(make([]byte, 0, len(pingFrame.wire)+len(wire)), pingFrame.wire...), wire...)
	}
	n, err := v.tryWrite(wire)
	if err != nil {
		v.failLocked()
		return false
	}
	if n == len(wire) {
		return true
	}
	rest := &frame{kind: kindPartial, wire: wire[n:]} // nothing changes bytes once they are on their way
	v.q = append(v.q, rest)
	v.qBytes += len(rest.wire)
	v.kickLocked()
	return true
}

// tryWrite writes as much of b as the socket takes now, without waiting.
// An error means the connection is broken.
func (v *viewer) tryWrite(b []byte) (n int, err error) {
	w := rawWrites.Get().(*rawWrite)
	w.b = b
	n, err = w.run(v.raw, w.writeFD)
	rawWrites.Put(w)
	return n, err
}

// tryWritev is tryWrite for up to maxBeginFrames buffers, in one
// writev(2) when the socket takes them all. bufs is not changed.
func (v *viewer) tryWritev(bufs [][]byte) (n int, err error) {
	if len(bufs) == 1 {
		return v.tryWrite(bufs[0])
	}
	w := rawWrites.Get().(*rawWrite)
	w.rest = w.iov[:copy(w.iov[:], bufs)]
	n, err = w.run(v.raw, w.writevFD)
	rawWrites.Put(w)
	return n, err
}

// rawWrite is one non-blocking write through a viewer's RawConn. The
// callback RawConn.Write takes is a method value made once per rawWrite
// (rawWrites pools them), not a closure over the caller's variables,
// which would be allocated for every delivery: a pprof profile of 10,000
// viewers put that allocation at 3 % of the server's CPU
// (docs/benchmarks.md, "The write without an allocation").
type rawWrite struct {
	b        []byte
	rest     [][]byte
	iov      [maxBeginFrames][]byte
	n        int
	err      error
	writeFD  func(fd uintptr) bool
	writevFD func(fd uintptr) bool
}

var rawWrites = sync.Pool{New: func() any {
	w := new(rawWrite)
	w.writeFD, w.writevFD = w.write, w.writev
	return w
}}

// run calls raw.Write with fn, one of w's callbacks, and returns what it
// wrote, leaving w holding no buffer.
func (w *rawWrite) run(raw syscall.RawConn, fn func(uintptr) bool) (n int, err error) {
	werr := raw.Write(fn)
	n, err = w.n, w.err
	if err == nil {
		err = werr
	}
	w.b, w.n, w.err = nil, 0, nil
	if w.rest != nil { // writev: drop the caller's buffers
		clear(w.iov[:])
		w.rest = nil
	}
	return n, err
}

// write is write(2) of w.b until the socket is full; it never asks the
// runtime to wait for room (the writer goroutine does that).
func (w *rawWrite) write(fd uintptr) bool {
	for w.n < len(w.b) {
		m, e := syscall.Write(int(fd), w.b[w.n:])
		if m > 0 {
			w.n += m
		}
		if w.stop(m, e) {
			break
		}
	}
	return true
}

// writev is write for w.rest, in writev(2) calls.
func (w *rawWrite) writev(fd uintptr) bool {
	for len(w.rest) > 0 {
		m, e := unix.Writev(int(fd), w.rest)
		if m > 0 {
			w.n += m
			w.rest = skipBytes(w.rest, m)
		}
		if w.stop(m, e) {
			break
		}
	}
	return true
}

// stop reports whether a write that returned m, e ends the attempt,
// recording a broken connection in w.err. EAGAIN (the socket is full)
// ends it without an error.
func (w *rawWrite) stop(m int, e error) bool {
	switch {
	case e == syscall.EINTR:
		return false
	case e == syscall.EAGAIN:
		return true
	case e != nil:
		w.err = e
		return true
	case m == 0:
		w.err = io.ErrUnexpectedEOF
		return true
	}
	return false
}

// skipBytes drops the first n bytes of bufs, changing bufs' elements.
func skipBytes(bufs [][]byte, n int) [][]byte {
	for len(bufs) > 0 && n >= len(bufs[0]) {
		n -= len(bufs[0])
		bufs = bufs[1:]
	}
	if n > 0 {
		bufs[0] = bufs[0][n:]
	}
	return bufs
}

// reset replaces whatever v had queued with snapshot f (event reset). A
// frame already begun on the wire is finished first.
func (v *viewer) reset(f *frame) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closing {
		return false
	}
	tail := v.keepTailLocked()
	v.q = append(v.q, f)
	v.qBytes, v.grace = tail+f.size(), tail+f.size()
	v.pingQueued = false
	v.pong = nil
	v.after = f.seq
	v.kickLocked()
	return true
}

// keepTailLocked empties q except for a frame begun on the wire at its
// head (which must be finished, or the stream is corrupt) and returns
// the bytes it keeps.
func (v *viewer) keepTailLocked() int {
	v.gen++
	v.pong = nil
	var tail *frame
	if len(v.q) > 0 && v.q[0].kind == kindPartial {
		tail = v.q[0]
	}
	clear(v.q)
	v.q = v.q[:0]
	if tail == nil {
		return 0
	}
	v.q = append(v.q, tail)
	return tail.size()
}

// marker queues a ping (websocket) or heartbeat (SSE) unless one is
// already waiting.
func (v *viewer) marker() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.markerLocked()
}

func (v *viewer) markerLocked() {
	if v.closing || v.pingQueued {
		return
	}
	v.pingOwed = false
	f := pingFrame
	if v.sse {
		f = heartbeatFrame
	}
	if !v.fitsLocked(f.size()) {
		return
	}
	v.pingQueued = !v.idleLocked() // a marker written at once waits for nobody
	v.sendLocked(f)
}

// owePing makes v's ping due: the next frame written straight to the
// socket carries it, at no extra system call. A viewer with a ping
// waiting in its queue owes none.
func (v *viewer) owePing() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.closing && !v.pingQueued {
		v.pingOwed = true
	}
}

// payPing sends the ping v still owes, alone.
func (v *viewer) payPing() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.pingOwed {
		v.markerLocked()
	}
}

// maxMergedPongs is how many pings a client may send while its pong is
// still waiting to go out before it counts as flooding.
const maxMergedPongs = 64

// answerPing answers a client's ping: at once when the socket is idle,
// else by queuing a pong, or by giving the pong already waiting the new
// payload. It returns false when v is closed (a flood closes it with
// 1008), so the reader stops reading.
func (v *viewer) answerPing(payload string) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closing {
		return false
	}
	if p := v.pong; p != nil {
		if v.pongsMerged++; v.pongsMerged > maxMergedPongs {
			v.closeLocked(CloseSlowConsumer, ReasonPingFlood)
			v.dropLocked(v.h.m.dropQueueFull)
			return false
		}
		grow := len(payload) - (len(p.wire) - 2)
		if !v.fitsLocked(grow) {
			return false
		}
		// Not taken by the writer yet (take clears pong), so the bytes
		// are still v's alone.
		p.wire = appendWSFrame(p.wire[:0], websocket.PongMessage, payload)
		v.qBytes += grow
		return true
	}
	// A control frame's payload is at most 125 bytes. buf is this call's
	// own (the compiler puts it on the heap: the frame may outlive the
	// call), so the pong, queued or partly written, keeps it uncopied.
	var buf [2 + 125]byte
	wire := appendWSFrame(buf[:0], websocket.PongMessage, payload)
	if !v.fitsLocked(len(wire)) {
		return false
	}
	if v.idleLocked() { // the common case: written at once, nothing queued
		return v.writeNowLocked(&frame{kind: kindControl, wire: wire})
	}
	f := &frame{kind: kindControl, wire: wire}
	v.pong = f
	v.q = append(v.q, f)
	v.qBytes += f.size()
	v.kickLocked()
	return true
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
	tail := v.keepTailLocked()
	v.qBytes, v.grace = tail, tail
	v.kickLocked()
}

// kickLocked makes sure a writer will look at the queue.
func (v *viewer) kickLocked() {
	if v.sse {
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
func (v *viewer) take() (batch []*frame, gen int, closeCode int, closeReason string, ok bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	gen = v.gen
	batch, v.q = v.q, nil
	v.pingQueued = false
	if v.pong != nil {
		v.pong, v.pongsMerged = nil, 0
	}
	if len(batch) > 0 && (!v.closing || batch[0].kind == kindPartial) {
		if v.closing { // only the frame begun on the wire, then the close
			batch = batch[:1]
		}
		return batch, gen, 0, "", true
	}
	if v.closing && v.closeCode != 0 {
		closeCode, closeReason = v.closeCode, v.closeReason
		v.closeCode = 0
		return nil, gen, closeCode, closeReason, true
	}
	v.writing = false
	if v.done != nil {
		close(v.done)
	}
	return nil, gen, 0, "", false
}

// written accounts n bytes of a batch taken at generation gen as sent
// and returns the batch's array for reuse when the queue is still empty.
func (v *viewer) written(batch []*frame, gen, n int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closing || gen != v.gen {
		return // q was replaced meanwhile; its count does not include the batch
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
	defer v.mu.Unlock()
	v.failLocked()
}

func (v *viewer) failLocked() {
	v.closing = true
	v.closeCode = 0
	clear(v.q)
	v.q, v.qBytes, v.grace, v.pong = nil, 0, 0, nil
	v.cut()
}

// writeLoop is the websocket writer for what the socket did not take at
// once: it writes the queue with blocking writes, each frame given
// WriteTimeout from its start (a client that takes a whole 256 KiB batch
// slowly but steadily is not cut for the batch's total time), and ends
// when the queue is empty. While it runs, nobody else writes to the
// connection.
func (v *viewer) writeLoop() {
	for {
		batch, gen, code, reason, ok := v.take()
		if !ok {
			return
		}
		if code != 0 {
			v.sendClose(code, reason)
			continue
		}
		n := 0
		var err error
		for i, f := range batch {
			if i > 0 && v.isClosing() {
				break // the rest was dropped by the close; send it now
			}
			_ = v.nc.SetWriteDeadline(time.Now().Add(v.h.cfg.WriteTimeout))
			if _, err = v.nc.Write(f.wireFor(v.deflate)); err != nil {
				break
			}
			n += f.size()
		}
		// No deadline left behind: direct writes refuse to run once one
		// has passed.
		_ = v.nc.SetWriteDeadline(time.Time{})
		if err != nil {
			if isTimeout(err) {
				v.drop(v.h.m.dropWrite)
			}
			v.fail()
		}
		v.written(batch, gen, n)
	}
}

// sendClose writes a close frame and gives the client closeGrace to
// answer before the reader gives up.
func (v *viewer) sendClose(code int, reason string) {
	_ = v.nc.SetWriteDeadline(time.Now().Add(closeGrace))
	if _, err := v.nc.Write(wsFrame(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason))); err != nil {
		v.cut()
		return
	}
	if v.polled {
		v.readDeadline.Store(time.Now().Add(closeGrace).UnixNano())
	} else {
		_ = v.nc.SetReadDeadline(time.Now().Add(closeGrace))
	}
}

// isClosing reports whether v is being closed.
func (v *viewer) isClosing() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.closing
}

// finish is called by the connection's reader when it ends (its own
// goroutine, or the poller's cleanup): v is
// unregistered, and finish returns once no writer runs any more. A close
// frame still to send (the reply to the client's close) gets closeGrace
// to go out before the connection is cut.
func (v *viewer) finish() {
	if ev := v.ev; ev != nil {
		ev.mu.Lock()
		ev.removeLocked(v)
		ev.mu.Unlock()
	}
	v.mu.Lock()
	v.closing = true
	if !v.sse {
		// A frame begun on the wire is finished before the close frame
		// still to send, or the stream would be corrupt.
		v.keepTailLocked()
	} else {
		clear(v.q)
		v.q = nil
	}
	var done chan struct{}
	if v.writing {
		v.done = make(chan struct{})
		done = v.done
	}
	v.mu.Unlock()
	if done == nil {
		return
	}
	t := time.NewTimer(closeGrace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		_ = v.nc.Close() // unblock a write stuck on a full socket
		<-done
	}
}
