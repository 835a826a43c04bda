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
// is guarded by mu.
//
// A delivery changes the state under mu (D, the ring) and queues a
// fan-out pass: the frame and the viewers registered at that moment. The
// passes run in order outside mu, one goroutine at a time (runPasses), so
// joining, presence and the snapshot cache never wait for a fan-out to a
// large audience. A viewer registered under mu at D is in the pass of
// every frame delivered after it (seq > D) and in none before, and its
// first frames (snapshot or backlog up to D) are queued on it at
// registration: it sees each envelope exactly once, in seq order.
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

	viewers map[*viewer]struct{}
	// list is the viewers as a slice for the fan-out passes. A pass keeps
	// the slice it was given, so list is never changed below its length:
	// a new viewer is appended (a pass reads only its own prefix), a
	// removal marks it stale and the next pass gets a new slice.
	list      []*viewer
	listStale bool
	passes    []pass         // fan-out passes waiting to run, in delivery order
	spare     []pass         // the last batch's array, for reuse
	fanning   bool           // a goroutine is running the passes (runPasses)
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

// pass is one fan-out: f for the viewers registered when it was
// delivered. reset replaces whatever they have queued with f (a
// snapshot) instead of adding f.
type pass struct {
	f     *frame
	list  []*viewer
	reset bool
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

// deliverLocked makes f (seq D+1) delivered: into the ring, and a pass
// puts it on every viewer's queue.
func (ev *eventState) deliverLocked(f *frame) {
	ev.delivered = f.seq
	ev.seqGauge.Set(float64(f.seq))
	ev.ring.push(f)
	ev.queuePassLocked(f, false)
}

// queuePassLocked queues a fan-out pass of f to the viewers registered
// now. The caller runs it after releasing mu (unlockAndFanOut).
func (ev *eventState) queuePassLocked(f *frame, reset bool) {
	list := ev.viewerListLocked()
	if len(list) == 0 {
		return
	}
	ev.passes = append(ev.passes, pass{f: f, list: list, reset: reset})
}

// unlockAndFanOut releases mu and then runs the queued fan-out passes,
// unless another goroutine is running them already (it runs these too,
// in order, before it stops). Every path that may deliver under mu ends
// with it instead of mu.Unlock.
func (ev *eventState) unlockAndFanOut() {
	run := !ev.fanning && len(ev.passes) > 0
	if run {
		ev.fanning = true
	}
	ev.mu.Unlock()
	if run {
		ev.runPasses()
	}
}

// runPasses runs the queued passes in order until none is left, then
// drops the viewers that overflowed or failed. Only the goroutine that
// set fanning runs it.
func (ev *eventState) runPasses() {
	var failed []*viewer
	completed := false
	defer func() {
		if !completed {
			// A pass panicked. The panic goes on (it ends the process
			// from the delivering goroutine; a request's goroutine may
			// recover it), but later passes must not wait for this run.
			ev.mu.Lock()
			ev.fanning = false
			ev.mu.Unlock()
		}
	}()
	for {
		ev.mu.Lock()
		for _, v := range failed {
			ev.removeLocked(v)
		}
		batch := ev.passes
		if len(batch) == 0 {
			ev.fanning = false
			ev.mu.Unlock()
			completed = true
			return
		}
		ev.passes, ev.spare = ev.spare, nil
		ev.mu.Unlock()
		failed = failed[:0]
		for _, p := range batch {
			failed = ev.runPass(p, failed)
		}
		clear(batch)
		ev.mu.Lock()
		if ev.spare == nil {
			ev.spare = batch[:0]
		}
		ev.mu.Unlock()
	}
}

// runPass puts p's frame on every viewer of the pass (or straight on its
// socket), appends those it had to drop to failed, and counts the
// deliveries once for the whole pass. A large audience is split among up
// to GOMAXPROCS goroutines, and the pass ends when all are done, so every
// viewer still sees the frames in order.
func (ev *eventState) runPass(p pass, failed []*viewer) []*viewer {
	n0 := len(failed)
	if p.reset {
		for _, v := range p.list {
			if !v.reset(p.f) {
				failed = append(failed, v)
			}
		}
	} else {
		if p.f.bellOnly {
			p.list = bellViewers(p.list)
		}
		failed = fanOut(p.list, p.f, failed)
	}
	if n := len(p.list) - (len(failed) - n0); n > 0 {
		ev.h.m.deliveries[p.f.kind].Add(float64(n))
	}
	return failed
}

// fanOut enqueues f on every viewer of list, split among up to
// GOMAXPROCS goroutines for a large audience, and appends the viewers it
// had to drop to failed.
func fanOut(list []*viewer, f *frame, failed []*viewer) []*viewer {
	parts := min(runtime.GOMAXPROCS(0), 1+len(list)/fanOutChunk)
	if parts <= 1 {
		return deliverAll(list, f, failed)
	}
	per := (len(list) + parts - 1) / parts
	out := make([][]*viewer, parts)
	var wg sync.WaitGroup
	for i := 1; i < parts; i++ {
		wg.Go(func() { out[i] = deliverAll(list[i*per:min(len(list), (i+1)*per)], f, nil) })
	}
	failed = deliverAll(list[:per], f, failed)
	wg.Wait()
	for _, o := range out {
		failed = append(failed, o...)
	}
	return failed
}

// bellViewers returns the viewers of list that asked for the bell (a new
// slice: a pass's list is shared with the event).
func bellViewers(list []*viewer) []*viewer {
	var out []*viewer
	for _, v := range list {
		if v.bell {
			out = append(out, v)
		}
	}
	return out
}

// fanOutChunk is how many viewers bring one more goroutine into a
// fan-out, up to GOMAXPROCS: on two cores a broadcast to 256 viewers or
// more is written from two. Measured there at 1,000 viewers against 1,024
// (one goroutine): per broadcast, its 99th percentile minus its first
// delivery 9.3–12.6 ms against 11.9–16.9 ms in ten alternating runs each,
// CPU per delivery the same within the noise (docs/benchmarks.md, "A
// broadcast's first and last viewer"). Smaller audiences and more cores
// were not measured.
const fanOutChunk = 256

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

// viewerListLocked returns the viewers as a slice, rebuilt (as a new
// slice) after a removal. The caller may keep it: it is never changed
// below its length.
func (ev *eventState) viewerListLocked() []*viewer {
	if ev.listStale {
		n := len(ev.viewers)
		list := make([]*viewer, 0, n+n/8+8)
		for v := range ev.viewers {
			list = append(list, v)
		}
		ev.list, ev.listStale = list, false
	}
	return ev.list
}

// broadcastLocked queues a pass of a volatile frame to every viewer.
func (ev *eventState) broadcastLocked(f *frame) {
	ev.queuePassLocked(f, false)
}

// applySnapshotLocked resets the event to a snapshot (another epoch, or
// too far behind to replay): D becomes its seq, the ring restarts there,
// and a pass makes every viewer drop what it had queued and get the
// snapshot (after the passes queued before, so nothing of the old state
// follows it).
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
	ev.queuePassLocked(f, true)
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
	if !ev.listStale {
		ev.list = append(ev.list, v) // beyond every pass's length
	}
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
