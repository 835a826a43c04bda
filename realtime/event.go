package realtime

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// eventState is one event on this node: what has been delivered, the
// ring of recent frames, envelopes held back until the ones before them
// arrive, the local viewers and the cached snapshot. Every field after mu
// is guarded by mu; deliveries happen under mu, so a viewer registered
// under mu sees each envelope exactly once, in seq order.
type eventState struct {
	h    *Hub
	slug string

	mu        sync.Mutex
	dead      bool   // dropped from Hub.events; joiners must look again
	epoch     string // the log's epoch as this node knows it
	delivered int64  // D: every seq ≤ D has been delivered, nothing above
	ring      ring
	pending   map[int64]*frame // seq > D+1 waiting for the seqs before them
	gapTimer  *time.Timer
	gapArmed  bool

	syncQueued, syncRunning, syncAgain bool    // see Hub.schedule / Hub.worker
	why                                trigger // what asked for the next sync (metrics)
	seqGauge                           Gauge   // delivered, for metrics

	viewers   map[*viewer]struct{}
	list      []*viewer // viewers as a slice for fan-out; rebuilt when stale
	listStale bool
	counts    map[string]int // local viewers by region
	idleSince time.Time      // when the last viewer left (or creation)
	presence  map[string]int // cluster totals by region; nil until computed

	snap   *frame // cached snapshot frame
	snapAt time.Time

	// published is the highest seq this node published and queued for
	// local delivery: a snapshot older than it is not current, even
	// before the delivery ran (GET …/live right after an action).
	published atomic.Int64
}

// notePublished records that f was published here.
func (ev *eventState) notePublished(f *frame) {
	for {
		p := ev.published.Load()
		if f.seq <= p || ev.published.CompareAndSwap(p, f.seq) {
			return
		}
	}
}

func newEventState(h *Hub, slug, epoch string, delivered int64) *eventState {
	g := h.m.logSeq(slug)
	g.Set(float64(delivered))
	return &eventState{
		h:         h,
		seqGauge:  g,
		slug:      slug,
		epoch:     epoch,
		delivered: delivered,
		ring:      newRing(h.cfg.RingSize, delivered),
		pending:   make(map[int64]*frame),
		viewers:   make(map[*viewer]struct{}),
		counts:    make(map[string]int),
		idleSince: time.Now(),
	}
}

// offerLocked takes a durable frame from any source (local publish,
// broker, log) and delivers whatever is now in order. Duplicates are
// dropped; a frame of another epoch makes the event check the log, which
// resets it if the epoch really changed.
func (ev *eventState) offerLocked(f *frame) {
	if f.epoch != ev.epoch {
		ev.scheduleLocked(trigEpoch)
		return
	}
	if f.seq <= ev.delivered {
		return
	}
	if _, ok := ev.pending[f.seq]; !ok {
		if len(ev.pending) >= ev.h.cfg.MaxLogCatchUp {
			// Far behind (the log is unreachable): stop buffering and let
			// the catch-up fetch it later.
			ev.scheduleLocked(trigGap)
			return
		}
		ev.pending[f.seq] = f
	}
	ev.drainLocked()
}

// drainLocked delivers held-back frames that are now next in order and
// arms the gap timer if a gap remains.
func (ev *eventState) drainLocked() {
	for {
		f, ok := ev.pending[ev.delivered+1]
		if !ok {
			break
		}
		delete(ev.pending, f.seq)
		ev.deliverLocked(f)
	}
	if len(ev.pending) > 0 {
		ev.armGapLocked(ev.h.cfg.HoldBack)
	}
}

// deliverLocked makes f (seq D+1) delivered: into the ring and onto every
// viewer's queue. Viewers whose queue overflows are closed and dropped.
func (ev *eventState) deliverLocked(f *frame) {
	ev.delivered = f.seq
	ev.seqGauge.Set(float64(f.seq))
	ev.ring.push(f)
	ev.fanOutLocked(f)
}

// fanOutLocked puts f on every viewer's queue (or straight on its
// socket), drops the viewers that overflow or fail, and counts the
// deliveries once for the whole broadcast. A large audience is split
// among up to GOMAXPROCS goroutines; the event's lock is held until all
// are done, so every viewer still sees the frames in order.
func (ev *eventState) fanOutLocked(f *frame) {
	list := ev.viewerListLocked()
	parts := min(runtime.GOMAXPROCS(0), 1+len(list)/fanOutChunk)
	var failed []*viewer
	if parts <= 1 {
		failed = deliverAll(list, f, nil)
	} else {
		per := (len(list) + parts - 1) / parts
		out := make([][]*viewer, parts)
		var wg sync.WaitGroup
		for i := 1; i < parts; i++ {
			wg.Go(func() { out[i] = deliverAll(list[i*per:min(len(list), (i+1)*per)], f, nil) })
		}
		out[0] = deliverAll(list[:per], f, nil)
		wg.Wait()
		for _, o := range out {
			failed = append(failed, o...)
		}
	}
	for _, v := range failed {
		ev.removeLocked(v)
	}
	if n := len(list) - len(failed); n > 0 {
		ev.h.m.deliveries[f.kind].Add(float64(n))
	}
}

// fanOutChunk is the least number of viewers worth a goroutine of their
// own in a fan-out.
const fanOutChunk = 1024

// deliverAll enqueues f on each viewer and appends those it had to drop
// to failed.
func deliverAll(vs []*viewer, f *frame, failed []*viewer) []*viewer {
	for _, v := range vs {
		if !v.enqueue(f) {
			failed = append(failed, v)
		}
	}
	return failed
}

// viewerListLocked returns the viewers as a slice, rebuilt after
// registrations changed. The slice is only read until the lock is
// released.
func (ev *eventState) viewerListLocked() []*viewer {
	if ev.listStale {
		clear(ev.list)
		ev.list = ev.list[:0]
		for v := range ev.viewers {
			ev.list = append(ev.list, v)
		}
		ev.listStale = false
	}
	return ev.list
}

// broadcastLocked puts a volatile frame on every viewer's queue.
func (ev *eventState) broadcastLocked(f *frame) {
	ev.fanOutLocked(f)
}

// applySnapshotLocked resets the event to a snapshot (another epoch, or
// too far behind to replay): D becomes its seq, the ring restarts there,
// and every viewer drops what it had queued and gets the snapshot.
func (ev *eventState) applySnapshotLocked(f *frame) {
	if f.epoch != ev.epoch {
		ev.published.Store(0) // seqs of the old log
	}
	ev.epoch = f.epoch
	ev.delivered = f.seq
	ev.seqGauge.Set(float64(f.seq))
	ev.ring.reset(f.seq)
	for seq, p := range ev.pending {
		if seq <= f.seq || p.epoch != f.epoch {
			delete(ev.pending, seq)
		}
	}
	ev.cacheSnapshotLocked(f)
	n := 0
	for v := range ev.viewers {
		if v.reset(f) {
			n++
		} else {
			ev.removeLocked(v)
		}
	}
	ev.h.m.deliveries[kindSnapshot].Add(float64(n))
	ev.drainLocked()
}

// cacheSnapshotLocked keeps f as the cached snapshot unless the cache
// already holds a newer one of the same epoch.
func (ev *eventState) cacheSnapshotLocked(f *frame) {
	if ev.snap == nil || ev.snap.epoch != f.epoch || f.seq >= ev.snap.seq {
		ev.snap, ev.snapAt = f, time.Now()
	}
}

// snapshotUsableLocked reports whether the cached snapshot can start a
// viewer now: same epoch, young enough, and either current or followed
// by ring frames up to D.
func (ev *eventState) snapshotUsableLocked() bool {
	f := ev.snap
	return f != nil && f.epoch == ev.epoch && time.Since(ev.snapAt) < ev.h.cfg.SnapshotMaxAge &&
		(f.seq >= ev.delivered || ev.ring.covers(f.seq))
}

// usableSnapshot returns the cached snapshot if it can start a viewer
// now (snapshotUsableLocked), else nil.
func (ev *eventState) usableSnapshot() *frame {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	if ev.snapshotUsableLocked() {
		return ev.snap
	}
	return nil
}

// watermark returns the event's epoch and the newest seq delivered or
// published here.
func (ev *eventState) watermark() (epoch string, seq int64) {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	return ev.epoch, max(ev.delivered, ev.published.Load())
}

// idleLocked reports whether the event has had no viewer for
// idleEventTTL at now.
func (ev *eventState) idleLocked(now time.Time) bool {
	return len(ev.viewers) == 0 && !ev.idleSince.IsZero() && now.Sub(ev.idleSince) > idleEventTTL
}

// currentSnapshot returns the cached snapshot if it includes every
// delivered seq and is young enough (for GET …/live), else nil.
func (ev *eventState) currentSnapshot() *frame {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	f := ev.snap
	if f != nil && f.epoch == ev.epoch && f.seq >= max(ev.delivered, ev.published.Load()) && time.Since(ev.snapAt) < ev.h.cfg.SnapshotMaxAge {
		return f
	}
	return nil
}

// addLocked registers v with its first frames. backlog is enqueued ahead
// of any live delivery and outside the queue bound; after is the last
// seq v already has, so live frames up to it are skipped.
func (ev *eventState) addLocked(v *viewer, backlog []*frame, after int64) {
	v.start(ev, backlog, after)
	ev.h.m.countBacklog(backlog)
	v.gauge.Add(1)
	ev.viewers[v] = struct{}{}
	ev.listStale = true
	ev.counts[v.region]++
	ev.idleSince = time.Time{}
}

// removeLocked unregisters v; it is safe to call twice.
func (ev *eventState) removeLocked(v *viewer) {
	if _, ok := ev.viewers[v]; !ok {
		return
	}
	delete(ev.viewers, v)
	ev.listStale = true
	v.gauge.Add(-1)
	if ev.counts[v.region]--; ev.counts[v.region] <= 0 {
		delete(ev.counts, v.region)
	}
	if len(ev.viewers) == 0 {
		ev.idleSince = time.Now()
	}
}

// armGapLocked makes the event sync with the log after d unless the gap
// closes before (the timer then finds nothing pending).
func (ev *eventState) armGapLocked(d time.Duration) {
	if ev.gapArmed || ev.dead {
		return
	}
	ev.gapArmed = true
	if ev.gapTimer == nil {
		ev.gapTimer = time.AfterFunc(d, ev.gapFired)
		return
	}
	ev.gapTimer.Reset(d)
}

func (ev *eventState) gapFired() {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	ev.gapArmed = false
	if len(ev.pending) > 0 {
		ev.scheduleLocked(trigGap)
	}
}

// scheduleLocked queues the event for a sync with the log (catch-up, gap
// fill, epoch check) unless one is already queued. If the work queue is
// full the periodic catch-up will come back to it. why is remembered for
// the metrics when no earlier reason is pending.
func (ev *eventState) scheduleLocked(why trigger) {
	if ev.dead {
		return
	}
	if ev.why == trigNone {
		ev.why = why
	}
	if ev.syncQueued {
		return
	}
	select {
	case ev.h.work <- ev:
		ev.syncQueued = true
	default:
	}
}
