package realtime

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hybridcon/hybridcon/app"
	"golang.org/x/sync/singleflight"
)

// Source is where the hub reads history and state; the app implements it
// over the store. Methods must be safe for concurrent use.
type Source interface {
	// Since returns durable envelopes of the event with seq > since, in
	// order, at most limit.
	Since(ctx context.Context, slug string, since int64, limit int) ([]app.Envelope, error)
	// LastSeq returns the event's last durable seq and log epoch
	// (app.ENotFound for unknown slugs).
	LastSeq(ctx context.Context, slug string) (seq int64, epoch string, err error)
	// Snapshot builds the full current state as a "snapshot" envelope
	// whose Seq is the last seq it includes.
	Snapshot(ctx context.Context, slug string) (app.Envelope, error)
}

// Tuning constants that are not worth a configuration field.
const (
	logPage      = app.MaxLogPage // envelopes per Source.Since call
	fetchTimeout = 10 * time.Second
	joinTimeout  = 10 * time.Second
	workers      = 4               // goroutines syncing events with the log
	outboxSize   = 4096            // broker publishes waiting to be sent
	idleEventTTL = 2 * time.Minute // an event without viewers is forgotten after this
	pingBuckets  = 8               // viewers are pinged in 8 staggered groups
)

// Hub delivers live envelopes to this node's viewers in seq order and
// exchanges them with the other nodes through a Broker. Create it with
// NewHub, run Run in a goroutine for as long as the node serves, mount
// WebsocketHandler and SSEHandler, and call Shutdown before cancelling
// Run's context. All methods are safe for concurrent use.
type Hub struct {
	cfg HubConfig
	b   Broker
	src Source
	log *slog.Logger

	mu      sync.Mutex
	events  map[string]*eventState
	closing bool
	conns   sync.WaitGroup // connection goroutines; Add only under mu while !closing
	// closed mirrors closing for code that holds an event's lock (and so
	// must not take mu): set before Shutdown sweeps the events.
	closed atomic.Bool

	sf      singleflight.Group
	work    chan *eventState
	outbox  chan outMsg
	changed chan struct{}

	volMu   sync.Mutex
	vol     map[volKey]*volEntry
	volKick chan struct{} // the first value since a flush arms the flush timer

	// Frames published on this node wait here for their local fan-out,
	// done by one goroutine at a time (started on demand) so that
	// Publish returns without waiting for the viewers.
	localMu      sync.Mutex
	local        []localFrame
	localRunning bool

	m *instruments // never nil

	// regions are KnownRegions and RegionOther: what viewers may name
	// and presence counts.
	regions []string
	// perAddr caps viewers per client address (nil: no cap).
	perAddr *addrLimiter

	writePool  sync.Pool // websocket write buffers (unused by prepared writes; avoids per-connection ones)
	nextBucket atomic.Uint32
	lastWarn   atomic.Int64 // unix nanos of the last rate-limited warning
}

var _ app.Publisher = (*Hub)(nil)

type localFrame struct {
	ev *eventState
	f  *frame
}

type outMsg struct {
	slug    string
	payload []byte
}

// NewHub returns a hub over broker b and history source src. A nil log
// means slog.Default(). cfg's zero fields take their defaults.
func NewHub(cfg HubConfig, b Broker, src Source, log *slog.Logger) *Hub {
	if log == nil {
		log = slog.Default()
	}
	cfg = cfg.withDefaults()
	regions := cfg.KnownRegions
	if !slices.Contains(regions, RegionOther) {
		regions = append(slices.Clip(regions), RegionOther)
	}
	return &Hub{
		cfg:     cfg,
		regions: regions,
		perAddr: newAddrLimiter(cfg.MaxViewersPerAddress),
		m:       resolveMetrics(cfg.Metrics, regions),
		b:       b,
		src:     src,
		log:     log,
		events:  make(map[string]*eventState),
		work:    make(chan *eventState, 1024),
		outbox:  make(chan outMsg, outboxSize),
		changed: make(chan struct{}, 1),
		vol:     make(map[volKey]*volEntry),
		volKick: make(chan struct{}, 1),
	}
}

// Config returns the hub's configuration with defaults applied.
func (h *Hub) Config() HubConfig { return h.cfg }

// Run runs the hub's background work until ctx is done: the broker
// subscription, publishing to the broker, syncing events with the log
// (gap fills, periodic catch-up, epoch changes), volatile messages,
// presence, and pings. Call it once. It returns when all of that stopped.
func (h *Hub) Run(ctx context.Context) {
	var wg sync.WaitGroup
	spawn := func(f func(context.Context)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(ctx)
		}()
	}
	spawn(func(ctx context.Context) {
		if err := h.b.Listen(ctx, hubListener{h}); err != nil {
			h.log.Error("broker listener stopped", "err", err)
		}
	})
	spawn(h.publishLoop)
	for range workers {
		spawn(h.worker)
	}
	spawn(h.tickLoop)
	spawn(h.presenceLoop)
	wg.Wait()
}

// lookup returns the event's state if this node has it.
func (h *Hub) lookup(slug string) *eventState {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.events[slug]
}

// event returns the event's state, creating it from the Source on first
// use (once, however many callers ask at the same time): last seq,
// epoch, and the ring filled with the newest envelopes of the log.
func (h *Hub) event(ctx context.Context, slug string) (*eventState, error) {
	if ev := h.lookup(slug); ev != nil {
		return ev, nil
	}
	v, err, _ := h.sf.Do("init:"+slug, func() (any, error) {
		if ev := h.lookup(slug); ev != nil {
			return ev, nil
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fetchTimeout)
		defer cancel()
		seq, epoch, err := h.src.LastSeq(ctx, slug)
		if err != nil {
			return nil, err
		}
		ev := newEventState(h, slug, epoch, seq)
		h.fillRing(ctx, ev, seq)
		h.mu.Lock()
		h.events[slug] = ev
		h.mu.Unlock()
		h.signalChanged()
		return ev, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*eventState), nil
}

// signalChanged tells the broker listener that the set of events changed.
func (h *Hub) signalChanged() {
	select {
	case h.changed <- struct{}{}:
	default:
	}
}

// Publish implements app.Publisher: each envelope is encoded once,
// queued for this node's viewers (delivered in seq order, held back if
// an earlier seq is still missing) and for the broker. It returns at once,
// waiting neither for viewers nor for the broker; what the broker loses,
// other nodes fetch from the log. Envelopes without Event or Seq are
// logged and dropped.
func (h *Hub) Publish(_ context.Context, envs ...app.Envelope) {
	for _, env := range envs {
		if env.Event == "" || env.Seq < 1 {
			h.log.Error("realtime: publish of an envelope without event or seq", "event", env.Event, "seq", env.Seq, "type", env.Type)
			continue
		}
		f, err := encodeEnvelope(env, kindDurable)
		if err != nil {
			h.log.Error("realtime: publish", "err", err)
			continue
		}
		h.send(env.Event, encodePayload(payloadDurable, h.cfg.NodeID, f.json))
		h.deliverLocal(env.Event, f)
	}
}

// deliverLocal queues f for this node's viewers of the event, starting
// the delivering goroutine when none runs.
func (h *Hub) deliverLocal(slug string, f *frame) {
	ev := h.lookup(slug)
	if ev == nil {
		return // nobody here follows the event
	}
	ev.notePublished(f)
	h.localMu.Lock()
	defer h.localMu.Unlock()
	h.local = append(h.local, localFrame{ev, f})
	if !h.localRunning {
		h.localRunning = true
		go h.localLoop()
	}
}

// localLoop delivers queued local frames in the order they were
// published, and ends when the queue is empty.
func (h *Hub) localLoop() {
	for {
		h.localMu.Lock()
		batch := h.local
		h.local = nil
		if len(batch) == 0 {
			h.localRunning = false
			h.localMu.Unlock()
			return
		}
		h.localMu.Unlock()
		for _, x := range batch {
			x.ev.mu.Lock()
			x.ev.offerLocked(x.f) // a state dropped meanwhile has no viewers left
			x.ev.unlockAndFanOut()
		}
	}
}

// send queues a payload for the broker, dropping it when the queue is full.
func (h *Hub) send(slug string, payload []byte) {
	select {
	case h.outbox <- outMsg{slug: slug, payload: payload}:
	default:
		h.warn("realtime: broker queue full; message dropped (nodes catch up from the log)", "event", slug)
	}
}

// publishLoop sends queued payloads to the broker in order.
func (h *Hub) publishLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-h.outbox:
			start := time.Now()
			err := h.b.Publish(ctx, m.slug, m.payload)
			observeSince(h.m.publish, start)
			if err != nil && ctx.Err() == nil {
				h.m.publishErrors.Add(1)
				h.warn("realtime: broker publish failed; local viewers still served, other nodes catch up from the log", "event", m.slug, "err", err)
			}
		}
	}
}

// warn logs at most one warning per 10 seconds.
func (h *Hub) warn(msg string, args ...any) {
	now := time.Now().UnixNano()
	last := h.lastWarn.Load()
	if now-last < int64(10*time.Second) || !h.lastWarn.CompareAndSwap(last, now) {
		return
	}
	h.log.Warn(msg, args...)
}

// hubListener is the hub's side of Broker.Listen, kept off Hub's own
// method set.
type hubListener struct{ h *Hub }

func (l hubListener) Slugs() []string {
	l.h.mu.Lock()
	defer l.h.mu.Unlock()
	out := make([]string, 0, len(l.h.events))
	for s := range l.h.events {
		out = append(out, s)
	}
	return out
}

func (l hubListener) Changed() <-chan struct{} { return l.h.changed }

func (l hubListener) HandleSubscribed(slug string) {
	if ev := l.h.lookup(slug); ev != nil {
		ev.mu.Lock()
		ev.scheduleLocked(trigResubscribe)
		ev.mu.Unlock()
	}
}

func (l hubListener) HandleMessage(slug string, payload []byte) {
	h := l.h
	kind, node, sent, envJSON, err := splitPayload(payload)
	if err != nil {
		h.warn("realtime: bad broker payload", "event", slug, "err", err)
		return
	}
	if node == h.cfg.NodeID {
		return // delivered locally when published
	}
	if sent != 0 {
		observeSince(h.m.delivery, time.Unix(0, sent))
	}
	if kind == payloadVolatile {
		f, _, err := decodeFrame(envJSON, kindVolatile)
		if err != nil {
			h.warn("realtime: bad volatile message", "event", slug, "err", err)
			return
		}
		h.relayVolatile(slug, f)
		return
	}
	ev := h.lookup(slug)
	if ev == nil {
		return
	}
	f, _, err := decodeFrame(envJSON, kindDurable)
	if err != nil {
		h.warn("realtime: bad envelope", "event", slug, "err", err)
		return
	}
	ev.mu.Lock()
	ev.offerLocked(f)
	ev.unlockAndFanOut()
}

// Snapshot returns the event's current snapshot envelope, encoded (for
// GET /api/v1/events/{slug}/live). It is served from a per-event cache
// that is rebuilt (once for all concurrent callers) when a newer seq was
// delivered than it includes or it is older than SnapshotMaxAge. It never
// includes less than what was delivered or published here when the call
// began: a build begun before that and shared is not enough, another one
// is made. The returned bytes are shared: do not modify them. Errors are
// the Source's (app.ENotFound for an unknown slug).
func (h *Hub) Snapshot(ctx context.Context, slug string) ([]byte, error) {
	ev, err := h.event(ctx, slug)
	if err != nil {
		return nil, err
	}
	epoch, mark := ev.watermark()
	for range maxSnapshotBuilds {
		f := ev.currentSnapshot()
		if f == nil {
			if f, err = h.buildSnapshot(ctx, ev, ev.currentSnapshot); err != nil {
				return nil, err
			}
		}
		if f.epoch != epoch || f.seq >= mark {
			return f.json, nil
		}
	}
	return nil, app.Errorf(app.EUnavailable, "the live state is still being rebuilt; retry shortly")
}

// maxSnapshotBuilds bounds the builds one Snapshot call waits for: the
// second begins after the call did, so it normally includes everything
// the call must see.
const maxSnapshotBuilds = 3

// eventList returns the current event states.
func (h *Hub) eventList() []*eventState {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*eventState, 0, len(h.events))
	for _, ev := range h.events {
		out = append(out, ev)
	}
	return out
}

// tickLoop runs the periodic work that needs no I/O: scheduling catch-up
// syncs, forgetting idle events, flushing volatile messages, and queuing
// pings (in staggered buckets) and SSE heartbeats.
func (h *Hub) tickLoop(ctx context.Context) {
	catchUp := time.NewTicker(h.cfg.CatchUpInterval)
	volatile := time.NewTimer(h.cfg.VolatileInterval)
	volatile.Stop() // armed by the first volatile value: an idle hub has no timer firing
	ping := time.NewTicker(h.cfg.PingInterval / pingBuckets)
	heartbeat := time.NewTicker(h.cfg.SSEHeartbeat)
	defer catchUp.Stop()
	defer volatile.Stop()
	defer ping.Stop()
	defer heartbeat.Stop()
	var bucket uint8
	for {
		select {
		case <-ctx.Done():
			return
		case <-catchUp.C:
			h.catchUpAll()
		case <-h.volKick:
			volatile.Reset(h.cfg.VolatileInterval)
		case <-volatile.C:
			h.flushVolatile()
		case <-ping.C:
			prev := bucket
			bucket = (bucket + 1) % pingBuckets
			h.sweep(func(v *viewer) {
				switch {
				case v.sse:
				case v.bucket == prev:
					v.payPing()
				case v.bucket == bucket:
					v.owePing()
				}
			})
		case <-heartbeat.C:
			h.sweep(func(v *viewer) {
				if v.sse {
					v.marker()
				}
			})
		}
	}
}

// catchUpAll schedules a sync of every event and forgets events that
// have had no viewer for idleEventTTL. Hub.mu is held only to copy the
// event list and, briefly, to drop idle events (which have no viewers, so
// no fan-out holds their lock): lookups, Publish and the broker receiver
// never wait for an event's fan-out here.
func (h *Hub) catchUpAll() {
	now := time.Now()
	var idle []*eventState
	for _, ev := range h.eventList() {
		ev.mu.Lock()
		if ev.idleLocked(now) {
			idle = append(idle, ev)
		} else {
			ev.scheduleLocked(trigPeriodic)
		}
		ev.mu.Unlock()
	}
	if len(idle) == 0 {
		return
	}
	h.mu.Lock()
	for _, ev := range idle {
		ev.mu.Lock()
		if ev.idleLocked(now) && h.events[ev.slug] == ev { // nobody joined meanwhile
			ev.dead = true
			if ev.gapTimer != nil {
				ev.gapTimer.Stop()
			}
			delete(h.events, ev.slug)
			h.m.eventGone(ev.slug) // under mu: a new state for slug cannot exist yet
		}
		ev.mu.Unlock()
	}
	h.mu.Unlock()
	h.signalChanged()
}

// sweep runs visit on every viewer, outside the event's lock.
//
// Pings: each tick of PingInterval/pingBuckets makes one bucket's
// viewers owe their ping, which rides on the next broadcast written to
// them (no system call of its own while the event is live), and sends
// alone the pings the previous bucket still owes. Every viewer is
// pinged once per PingInterval, at most one tick late.
func (h *Hub) sweep(visit func(*viewer)) {
	for _, ev := range h.eventList() {
		ev.mu.Lock()
		list := ev.viewerListLocked()
		ev.mu.Unlock()
		for _, v := range list {
			visit(v) // a viewer gone meanwhile is closing: nothing happens
		}
	}
}

// track registers a connection goroutine unless the hub is shutting down.
func (h *Hub) track() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return false
	}
	h.conns.Add(1)
	return true
}

func (h *Hub) isClosing() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closing
}

// Shutdown stops accepting viewers, closes every websocket with 1012
// "service restart", ends every SSE stream, and waits until their
// goroutines are gone or ctx is done (then it cuts the remaining
// connections and returns). Call it before cancelling Run's context.
func (h *Hub) Shutdown(ctx context.Context) {
	h.mu.Lock()
	h.closing = true
	h.closed.Store(true)
	h.mu.Unlock()
	var all []*viewer
	for _, ev := range h.eventList() {
		ev.mu.Lock()
		for v := range ev.viewers {
			v.close(CloseServiceRestart, ReasonServiceRestart)
			ev.removeLocked(v)
			all = append(all, v)
		}
		ev.mu.Unlock()
	}
	done := make(chan struct{})
	go func() {
		h.conns.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		for _, v := range all {
			v.cut()
		}
		h.log.Warn("realtime: shutdown timed out; connections cut", "viewers", len(all))
	}
}
