package main

import (
	"bytes"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"
)

// rec is one recorded delivery of a broadcast-type envelope: its seq, the
// announcement id (announce mode) and when it arrived, as time since the
// run's monotonic origin.
type rec struct {
	seq int64
	id  int64
	at  time.Duration
}

// phase is what a connection is for.
type phase uint8

const (
	phaseMain  phase = iota // first connection: snapshot, then broadcasts
	phaseStorm              // reconnection with since/epoch
)

// countdown signals when n parties have each called done once.
type countdown struct {
	n  atomic.Int64
	ch chan struct{}
}

func newCountdown(n int) *countdown {
	c := &countdown{ch: make(chan struct{})}
	c.n.Store(int64(n))
	if n == 0 {
		close(c.ch)
	}
	return c
}

func (c *countdown) done() {
	if c.n.Add(-1) == 0 {
		close(c.ch)
	}
}

// viewer is one websocket connection and what it received. One goroutine
// reads the connection and updates the viewer under mu; the run's
// goroutine reads the results under mu (or after the reader exited).
type viewer struct {
	idx    int
	node   int
	region string

	delivered  atomic.Int64 // recorded broadcast-type envelopes, for the wait loop
	qdelivered atomic.Int64 // recorded question.approved envelopes, for the wait loop
	frames     atomic.Int64 // every message received, durable or volatile
	volatile   atomic.Int64 // of which volatile (seq 0, not a snapshot)

	mu       sync.Mutex
	ph       phase
	conn     *websocket.Conn
	closed   bool // the run closed or abandoned the connection on purpose
	signaled bool // readiness (or failure) reported to the phase countdown
	cd       *countdown
	ready    bool
	failErr  error // dial or protocol failure: the viewer never became ready
	readErr  error // the connection broke after it was ready
	gotFirst bool  // a durable envelope or snapshot arrived on this connection

	dialStart time.Duration // since the run's origin
	readyAt   time.Duration

	epoch   string
	snapSeq int64 // seq of the snapshot of the main phase

	// Durable seq tracking since the latest snapshot (or since for a
	// recovering reconnect): seqs ≤ base are old news; seen marks
	// base+1 … last.
	base, last      int64
	seen            []uint64
	dups, ooo, gaps int64
	lateSnapshots   int64 // snapshots after the first frame
	recs            []rec // deliveries of the broadcast type, main phase
	qrecs           []rec // deliveries of question.approved (id: the question's), main phase

	// Reconnect storm.
	since, target int64 // resume point and the last seq of the log
	stormSnapshot bool
	stormNext     int64 // next seq expected when recovering
	stormGot      int64 // durable envelopes received up to target
	stormWrong    int64 // envelopes out of since+1 … target order
}

// startTracking resets seq tracking at base.
func (v *viewer) startTracking(base int64) {
	v.base, v.last = base, base
	v.seen = v.seen[:0]
}

// mark records seq as seen and reports whether it had been seen before
// (or is older than the tracking base).
func (v *viewer) mark(seq int64) (dup bool) {
	if seq <= v.base {
		return true
	}
	i := seq - v.base - 1
	w, bit := int(i/64), uint64(1)<<(i%64)
	for len(v.seen) <= w {
		v.seen = append(v.seen, 0)
	}
	if v.seen[w]&bit != 0 {
		return true
	}
	v.seen[w] |= bit
	return false
}

// signal reports the viewer's phase outcome once; err nil means ready.
// Call with mu held.
func (v *viewer) signal(err error, at time.Duration) {
	if v.signaled {
		return
	}
	v.signaled = true
	if err != nil {
		v.failErr = err
	} else {
		v.ready, v.readyAt = true, at
	}
	v.cd.done()
}

// handle applies one received envelope. want is the broadcast frame type
// of the run. It returns an error to make the reader drop the connection.
func (v *viewer) handle(h envHead, at time.Duration, want frameType) error {
	if h.seq == 0 && h.typ != ftSnapshot {
		v.volatile.Add(1)
		return nil // volatile: not counted, not even as the first frame
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.gotFirst {
		v.gotFirst = true
		if h.typ == ftSnapshot {
			v.startTracking(h.seq)
			if h.epoch != "" {
				v.epoch = h.epoch
			}
			if v.ph == phaseMain {
				v.snapSeq = h.seq
			} else {
				v.stormSnapshot = true
			}
			v.signal(nil, at)
			return nil
		}
		if v.ph == phaseMain {
			err := errors.New("first frame is not a snapshot")
			v.signal(err, at)
			return err
		}
	}
	if h.typ == ftSnapshot { // the server resynchronised us
		v.lateSnapshots++
		v.startTracking(h.seq)
		return nil
	}
	switch {
	case v.mark(h.seq):
		v.dups++
		if v.ph == phaseStorm {
			v.stormWrong++
		}
		return nil
	case h.seq == v.last+1:
		v.last = h.seq
	case h.seq > v.last:
		v.gaps += h.seq - v.last - 1
		v.last = h.seq
	default:
		v.ooo++
	}
	if v.ph == phaseStorm {
		// Envelopes after the target are live traffic (the server also
		// writes to the log by itself, e.g. schedule.shifted): they must
		// follow in order too, but are not counted as recovered.
		if h.seq <= v.target {
			v.stormGot++
		}
		if h.seq == v.stormNext {
			v.stormNext++
		} else {
			v.stormWrong++
		}
		if v.stormNext > v.target {
			v.signal(nil, at)
		}
		return nil
	}
	switch h.typ {
	case want:
		v.recs = append(v.recs, rec{seq: h.seq, id: h.id, at: at})
		v.delivered.Add(1)
	case ftQuestion: // never the broadcast type: counted apart (--questions-approve)
		v.qrecs = append(v.qrecs, rec{seq: h.seq, id: h.id, at: at})
		v.qdelivered.Add(1)
	}
	return nil
}

// bufPool holds message buffers shared by all readers: a viewer holds one
// only while it reads a message, so 10,000 idle viewers hold none.
var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// read is the viewer's reader goroutine body: it reads frames until the
// connection ends, recording each one cheaply.
func (v *viewer) read(conn *websocket.Conn, since func() time.Duration, want frameType) {
	first := true // no snapshot or durable envelope yet: read the epoch
	for {
		_, r, err := conn.NextReader()
		if err != nil {
			v.broken(err, since())
			return
		}
		buf := bufPool.Get().(*bytes.Buffer)
		buf.Reset()
		_, err = buf.ReadFrom(r)
		at := since()
		v.frames.Add(1)
		if err == nil {
			var h envHead
			if h, err = scanEnvelope(buf.Bytes(), first); err == nil {
				err = v.handle(h, at, want)
				first = first && h.seq == 0 && h.typ != ftSnapshot
			}
		}
		if buf.Cap() <= 1<<20 {
			bufPool.Put(buf)
		}
		if err != nil {
			v.broken(err, at)
			conn.Close()
			return
		}
	}
}

// broken records why the connection ended, unless the run closed it.
func (v *viewer) broken(err error, at time.Duration) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.closed {
		return
	}
	if !v.signaled {
		v.signal(err, at)
		return
	}
	if v.readErr == nil {
		v.readErr = err
	}
}

// close marks the connection as closed on purpose and closes it: with a
// close frame written before politeBy, or abruptly (the TCP connection
// only) when politeBy is zero. It is safe to call at any time, also while
// the dial is in flight.
func (v *viewer) close(politeBy time.Time) {
	v.mu.Lock()
	v.closed = true
	conn := v.conn
	v.mu.Unlock()
	if conn == nil {
		return
	}
	if !politeBy.IsZero() {
		msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
		_ = conn.WriteControl(websocket.CloseMessage, msg, politeBy)
	}
	_ = conn.NetConn().Close()
}
