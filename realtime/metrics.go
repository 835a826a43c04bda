package realtime

import "time"

// Instruments the hub reports to. realtime declares these three small
// interfaces instead of importing a metrics library, so the hub stays
// free of Prometheus (cmd wires prometheus.Counter, Gauge and Histogram,
// which satisfy them) and tests can count with plain atomics.

// Counter only goes up. prometheus.Counter satisfies it. Add must be safe
// for concurrent use and cheap: the hub calls it under an event's lock.
type Counter interface{ Add(float64) }

// Gauge goes up and down. prometheus.Gauge satisfies it. Safe for
// concurrent use, cheap.
type Gauge interface {
	Add(float64)
	Set(float64)
}

// Observer records one sample, in seconds. prometheus.Observer (a
// Histogram) satisfies it. Safe for concurrent use, cheap.
type Observer interface{ Observe(float64) }

// Label values the hub passes to the Metrics functions.
const (
	TransportWS  = "ws"  // a websocket viewer
	TransportSSE = "sse" // a Server-Sent Events viewer

	DeliveryDurable  = "durable"  // a log envelope (seq ≥ 1), live or from a backlog
	DeliveryVolatile = "volatile" // attendance, presence
	DeliverySnapshot = "snapshot" // full state, at join or after a reset

	// DropQueueFull: the viewer's queue would exceed MaxQueueBytes
	// (closed with 1008 "slow consumer").
	DropQueueFull = "queue_full"
	// DropWriteTimeout: the socket accepted nothing for WriteTimeout.
	DropWriteTimeout = "write_timeout"
	// DropPongTimeout: a websocket viewer stayed silent for PongWait.
	DropPongTimeout = "pong_timeout"

	RecoveryRing     = "ring"     // a reconnect served from the node's memory
	RecoveryLog      = "log"      // a reconnect served from the live log
	RecoverySnapshot = "snapshot" // a reconnect that could not resume and got a snapshot

	TriggerPeriodic    = "periodic"    // the every-CatchUpInterval comparison with the log
	TriggerResubscribe = "resubscribe" // the broker (re)confirmed the event's subscription
	TriggerGap         = "gap"         // a later seq arrived and the earlier one did not follow in HoldBack
	TriggerJoin        = "join"        // a joining viewer or a snapshot showed the node behind the log
	TriggerEpoch       = "epoch"       // an envelope of another log epoch arrived
)

// Label value sets, in a stable order, so that a metrics registry can
// create every series at zero before the first event.
var (
	Transports      = []string{TransportWS, TransportSSE}
	DeliveryKinds   = []string{DeliveryDurable, DeliveryVolatile, DeliverySnapshot}
	DropReasons     = []string{DropQueueFull, DropWriteTimeout, DropPongTimeout}
	RecoveryKinds   = []string{RecoveryRing, RecoveryLog, RecoverySnapshot}
	CatchUpTriggers = []string{TriggerPeriodic, TriggerResubscribe, TriggerGap, TriggerJoin, TriggerEpoch}
)

// Metrics are the instruments a Hub reports to (HubConfig.Metrics). A nil
// field turns its instrument off. The func fields resolve one labelled
// series; NewHub calls them once per label value from the sets above (and
// per known region), the hub once per event for LogSeq: never per
// delivery, so the hot path is an atomic add on a pre-resolved series and
// one Add(n) per broadcast, not n increments.
type Metrics struct {
	// Viewers is the gauge of open viewer connections of a region and
	// transport (TransportWS, TransportSSE): +1 when a viewer starts
	// receiving, -1 when it leaves.
	Viewers func(region, transport string) Gauge
	// Deliveries counts frames queued to viewers by kind (DeliveryKinds):
	// a broadcast to n viewers adds n.
	Deliveries func(kind string) Counter
	// Dropped counts viewers the hub disconnected because they could not
	// keep up or went silent, by reason (DropReasons).
	Dropped func(reason string) Counter
	// BrokerPublish observes the duration of each Broker.Publish, failed
	// ones included (they take up to the broker's timeout).
	BrokerPublish Observer
	// BrokerPublishErrors counts failed Broker.Publish calls; the other
	// nodes then catch up from the log.
	BrokerPublishErrors Counter
	// BrokerDelivery observes, for each message received from another node,
	// the time from its publication there (the sender's clock, carried in
	// the broker payload) to its receipt here; clock skew between nodes
	// shifts it, negative values count as 0.
	BrokerDelivery Observer
	// Recoveries counts reconnecting viewers (since and epoch given) by how
	// they were served (RecoveryKinds).
	Recoveries func(kind string) Counter
	// LogRecovered counts envelopes this node read from the live log
	// because the broker had not brought them (lost messages, Redis down,
	// gaps); it excludes reconnect backlogs (see Recoveries).
	LogRecovered Counter
	// GapsFilled counts syncs that closed a hole in the seq sequence (a
	// later envelope waiting for an earlier one) from the log.
	GapsFilled Counter
	// CatchUps counts syncs with the log that found this node behind (and
	// fetched envelopes or a snapshot), by what started them
	// (CatchUpTriggers).
	CatchUps func(trigger string) Counter
	// LogSeq is the gauge of the last seq of an event's live log that this
	// node has delivered; nodes that agree are in step. It is resolved
	// when the node takes the event up (its first viewer or request).
	LogSeq func(event string) Gauge
	// EventGone is called when the node forgets an event (no viewer for a
	// while), so its LogSeq series can be deleted instead of going stale.
	EventGone func(event string)
	// RefusedPerAddress counts websocket and SSE handshakes refused (429)
	// because their client address had HubConfig.MaxViewersPerAddress
	// viewers open.
	RefusedPerAddress Counter
}

// trigger is why an event's sync with the log was scheduled.
type trigger uint8

const (
	trigNone trigger = iota
	trigPeriodic
	trigResubscribe
	trigGap
	trigJoin
	trigEpoch
	numTriggers
)

// instruments is Metrics resolved once by NewHub: every field non-nil
// (nop where the Metrics field was nil).
type instruments struct {
	viewers       map[string][2]Gauge // region → [ws, sse]
	deliveries    [3]Counter          // by frameKind: durable, volatile, snapshot
	dropQueueFull Counter
	dropWrite     Counter
	dropPong      Counter
	publish       Observer
	publishErrors Counter
	delivery      Observer
	recRing       Counter
	recLog        Counter
	recSnapshot   Counter
	logRecovered  Counter
	gapsFilled    Counter
	catchUps      [numTriggers]Counter
	logSeq        func(event string) Gauge
	eventGone     func(event string)
	// refusedPerAddr counts handshakes over the per-address cap.
	refusedPerAddr Counter
}

// nop is the instrument of a nil Metrics field.
type nop struct{}

func (nop) Add(float64)     {}
func (nop) Set(float64)     {}
func (nop) Observe(float64) {}

// resolveMetrics looks every fixed series up once.
func resolveMetrics(m *Metrics, regions []string) *instruments {
	if m == nil {
		m = &Metrics{}
	}
	counter := func(f func(string) Counter, label string) Counter {
		if f == nil {
			return nop{}
		}
		return f(label)
	}
	orNop := func(c Counter) Counter {
		if c == nil {
			return nop{}
		}
		return c
	}
	obs := func(o Observer) Observer {
		if o == nil {
			return nop{}
		}
		return o
	}
	in := &instruments{
		viewers:        make(map[string][2]Gauge, len(regions)),
		dropQueueFull:  counter(m.Dropped, DropQueueFull),
		dropWrite:      counter(m.Dropped, DropWriteTimeout),
		dropPong:       counter(m.Dropped, DropPongTimeout),
		publish:        obs(m.BrokerPublish),
		publishErrors:  orNop(m.BrokerPublishErrors),
		delivery:       obs(m.BrokerDelivery),
		recRing:        counter(m.Recoveries, RecoveryRing),
		recLog:         counter(m.Recoveries, RecoveryLog),
		recSnapshot:    counter(m.Recoveries, RecoverySnapshot),
		logRecovered:   orNop(m.LogRecovered),
		gapsFilled:     orNop(m.GapsFilled),
		refusedPerAddr: orNop(m.RefusedPerAddress),
		logSeq:         func(string) Gauge { return nop{} },
		eventGone:      func(string) {},
	}
	in.deliveries[kindDurable] = counter(m.Deliveries, DeliveryDurable)
	in.deliveries[kindVolatile] = counter(m.Deliveries, DeliveryVolatile)
	in.deliveries[kindSnapshot] = counter(m.Deliveries, DeliverySnapshot)
	in.catchUps[trigNone] = nop{}
	for t, name := range []string{trigPeriodic: TriggerPeriodic, trigResubscribe: TriggerResubscribe,
		trigGap: TriggerGap, trigJoin: TriggerJoin, trigEpoch: TriggerEpoch} {
		if t != int(trigNone) {
			in.catchUps[t] = counter(m.CatchUps, name)
		}
	}
	for _, r := range regions {
		g := [2]Gauge{nop{}, nop{}}
		if m.Viewers != nil {
			g = [2]Gauge{m.Viewers(r, TransportWS), m.Viewers(r, TransportSSE)}
		}
		in.viewers[r] = g
	}
	if m.LogSeq != nil {
		in.logSeq = m.LogSeq
	}
	if m.EventGone != nil {
		in.eventGone = m.EventGone
	}
	return in
}

// viewerGauge returns the resolved gauge of a region (one of the known
// regions, which parseParams enforces) and transport.
func (in *instruments) viewerGauge(region string, sse bool) Gauge {
	g, ok := in.viewers[region]
	if !ok {
		return nop{}
	}
	if sse {
		return g[1]
	}
	return g[0]
}

// countBacklog adds a joining viewer's first frames to the deliveries.
func (in *instruments) countBacklog(backlog []*frame) {
	var n [3]int
	for _, f := range backlog {
		if f.kind <= kindSnapshot {
			n[f.kind]++
		}
	}
	for k, c := range n {
		if c > 0 {
			in.deliveries[k].Add(float64(c))
		}
	}
}

// observeSince records the seconds from t to now (0 when t is ahead).
func observeSince(o Observer, t time.Time) {
	o.Observe(max(0, time.Since(t).Seconds()))
}
