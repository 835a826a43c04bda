package main

import (
	"slices"

	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/app/api"
	"github.com/hybridcon/hybridcon/configs"
	"github.com/hybridcon/hybridcon/realtime"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// nodeMetrics is the Prometheus side of one serving node: its own
// registry (no global default, so tests and several nodes in one process
// stay apart) and the instruments handed to the hub, the service and the
// HTTP layer. docs/operations.md lists every series.
type nodeMetrics struct {
	reg  *prometheus.Registry
	hub  *realtime.Metrics
	http *api.Metrics
	// scan counts one check-in answer (app.Service.ScanObserver).
	scan func(result, reason string)
}

// Histogram buckets, in seconds.
var (
	// brokerBuckets: a Redis round trip on a LAN is ~0.2–1 ms, across
	// regions tens to hundreds of ms; a failed publish takes the 1 s
	// operation timeout.
	brokerBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}
)

// newNodeMetrics registers every hybridcon series on a new registry, plus
// the Go runtime and process collectors, and creates each fixed label
// combination at zero so that dashboards and alerts see the series
// before the first event.
func newNodeMetrics(cfg configs.Config) (*nodeMetrics, error) {
	reg := prometheus.NewRegistry()
	m := &nodeMetrics{reg: reg}

	buildInfo := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "hybridcon_build_info", Help: "Always 1; labels name this node's version, region and node id.",
	}, []string{"version", "region", "node"})
	viewers := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "hybridcon_viewers", Help: "Open live-update connections on this node, by viewer region and transport (ws, sse).",
	}, []string{"region", "transport"})
	deliveries := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hybridcon_deliveries_total", Help: "Frames queued to viewers on this node, by kind (durable, volatile, snapshot).",
	}, []string{"kind"})
	dropped := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hybridcon_viewers_dropped_total", Help: "Viewers this node disconnected because they could not keep up or went silent, by reason (queue_full, write_timeout, pong_timeout).",
	}, []string{"reason"})
	publish := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "hybridcon_broker_publish_duration_seconds", Help: "Duration of each publish to the broker (Redis), failed ones included.", Buckets: brokerBuckets,
	})
	publishErrors := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hybridcon_broker_publish_errors_total", Help: "Publishes to the broker that failed; other nodes then catch up from the live log.",
	})
	delivery := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "hybridcon_broker_delivery_duration_seconds", Help: "Time from a message's publication on another node to its receipt here (clocks of two nodes: NTP skew shifts it).", Buckets: brokerBuckets,
	})
	recoveries := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hybridcon_recoveries_total", Help: "Reconnecting viewers (since and epoch given) by how they were served: ring (memory), log, snapshot (could not resume).",
	}, []string{"kind"})
	logRecovered := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hybridcon_log_recovered_envelopes_total", Help: "Envelopes this node read from the live log because the broker had not brought them.",
	})
	gaps := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hybridcon_gaps_filled_total", Help: "Holes in an event's seq sequence closed from the live log.",
	})
	catchUps := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hybridcon_catchups_total", Help: "Syncs with the live log that found this node behind, by trigger (periodic, resubscribe, gap, join, epoch).",
	}, []string{"trigger"})
	logSeq := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "hybridcon_live_log_seq", Help: "Last seq of the event's live log delivered by this node.",
	}, []string{"event"})
	refusedPerAddr := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hybridcon_live_refused_per_address_total", Help: "Websocket and SSE handshakes refused with 429 because their client address had viewers_per_address viewers open.",
	})
	checkins := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hybridcon_checkins_total", Help: "Scans answered, by result and (for rejected) reason; replays of a scan id included.",
	}, []string{"result", "reason"})

	for _, c := range []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		buildInfo, viewers, deliveries, dropped, publish, publishErrors, delivery,
		recoveries, logRecovered, gaps, catchUps, logSeq, refusedPerAddr, checkins,
	} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	httpMetrics, err := api.NewMetrics(reg, reg)
	if err != nil {
		return nil, err
	}
	m.http = httpMetrics

	buildInfo.WithLabelValues(version, cfg.Region, cfg.NodeID).Set(1)
	for _, r := range append(slices.Clone(cfg.Regions), realtime.RegionOther) {
		for _, tr := range realtime.Transports {
			viewers.WithLabelValues(r, tr)
		}
	}
	touch := func(v *prometheus.CounterVec, labels []string) {
		for _, l := range labels {
			v.WithLabelValues(l)
		}
	}
	touch(deliveries, realtime.DeliveryKinds)
	touch(dropped, realtime.DropReasons)
	touch(recoveries, realtime.RecoveryKinds)
	touch(catchUps, realtime.CatchUpTriggers)

	counterOf := func(v *prometheus.CounterVec) func(string) realtime.Counter {
		return func(l string) realtime.Counter { return v.WithLabelValues(l) }
	}
	m.hub = &realtime.Metrics{
		Viewers:             func(region, tr string) realtime.Gauge { return viewers.WithLabelValues(region, tr) },
		Deliveries:          counterOf(deliveries),
		Dropped:             counterOf(dropped),
		BrokerPublish:       publish,
		BrokerPublishErrors: publishErrors,
		BrokerDelivery:      delivery,
		Recoveries:          counterOf(recoveries),
		LogRecovered:        logRecovered,
		GapsFilled:          gaps,
		CatchUps:            counterOf(catchUps),
		LogSeq:              func(ev string) realtime.Gauge { return logSeq.WithLabelValues(ev) },
		EventGone:           func(ev string) { logSeq.DeleteLabelValues(ev) },
		RefusedPerAddress:   refusedPerAddr,
	}

	// Check-in answers: the known result and reason pairs resolved once;
	// anything else (a result added later) is looked up when it happens.
	known := map[[2]string]prometheus.Counter{}
	for _, rr := range [][2]string{
		{app.ResultCheckedIn, ""}, {app.ResultAlreadyCheckedIn, ""},
		{app.ResultRejected, app.ReasonInvalidTicket}, {app.ResultRejected, app.ReasonWrongEvent}, {app.ResultRejected, app.ReasonRevoked},
	} {
		known[rr] = checkins.WithLabelValues(rr[0], rr[1])
	}
	m.scan = func(result, reason string) {
		if c, ok := known[[2]string{result, reason}]; ok {
			c.Inc()
			return
		}
		checkins.WithLabelValues(result, reason).Inc()
	}
	return m, nil
}
