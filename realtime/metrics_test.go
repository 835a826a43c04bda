package realtime

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// recorder implements Metrics with a map from "name{label}" to value, so
// tests can read what the hub reported.
type recorder struct {
	mu sync.Mutex
	v  map[string]float64
}

type recSeries struct {
	r    *recorder
	name string
}

func (s recSeries) Add(x float64) {
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	s.r.v[s.name] += x
}

func (s recSeries) Set(x float64) {
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	s.r.v[s.name] = x
}

func (s recSeries) Observe(x float64) {
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	s.r.v[s.name+"_count"]++
	if x < 0 {
		s.r.v[s.name+"_negative"]++
	}
}

func (r *recorder) get(name string) float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.v[name]
}

func (r *recorder) metrics() *Metrics {
	s := func(name string) recSeries { return recSeries{r, name} }
	vec := func(name string) func(string) Counter {
		return func(l string) Counter { return s(name + "{" + l + "}") }
	}
	return &Metrics{
		Viewers:             func(region, tr string) Gauge { return s("viewers{" + region + "," + tr + "}") },
		Deliveries:          vec("deliveries"),
		Dropped:             vec("dropped"),
		BrokerPublish:       s("publish"),
		BrokerPublishErrors: s("publish_errors"),
		BrokerDelivery:      s("delivery"),
		Recoveries:          vec("recoveries"),
		LogRecovered:        s("log_recovered"),
		GapsFilled:          s("gaps_filled"),
		CatchUps:            vec("catchups"),
		LogSeq:              func(ev string) Gauge { return s("seq{" + ev + "}") },
	}
}

func newRecorder() *recorder { return &recorder{v: make(map[string]float64)} }

func TestMetrics(t *testing.T) {
	t.Parallel()
	src := newFakeSource()
	src.add(slug, "E1")
	src.appendN(slug, 2)
	rec := newRecorder()
	cfg := testConfig("a")
	cfg.CatchUpInterval = time.Hour // only the triggers under test start syncs
	cfg.Metrics = rec.metrics()
	subs := make(chan string, 10)
	n := startNode(t, cfg, countingBroker{NewMemoryBroker(), new(atomic.Int64), subs}, src)
	ctx := context.Background()

	var cs []*client
	for range 3 {
		c := dial(t, n.wsURL(slug, "region=hu"), nil)
		c.nextDurable(t, 5*time.Second) // the snapshot
		cs = append(cs, c)
	}
	cn := dial(t, n.wsURL(slug, "region=cn"), nil)
	cn.nextDurable(t, 5*time.Second)
	if got := rec.get("viewers{hu,ws}"); got != 3 {
		t.Fatalf("viewers{hu,ws} = %v, want 3", got)
	}
	if got := rec.get("deliveries{snapshot}"); got != 4 {
		t.Fatalf("deliveries{snapshot} = %v, want 4", got)
	}

	// One broadcast to four viewers counts four durable deliveries.
	n.hub.Publish(ctx, src.append(slug))
	for _, c := range append(cs, cn) {
		c.expectSeqs(t, 3)
	}
	// Viewers may have the frame before the fan-out that wrote it counts.
	eventually(t, 5*time.Second, "4 durable deliveries counted", func() bool { return rec.get("deliveries{durable}") == 4 })
	if got := rec.get("seq{" + slug + "}"); got != 3 {
		t.Errorf("seq gauge = %v, want 3", got)
	}
	eventually(t, 5*time.Second, "a broker publish observed", func() bool { return rec.get("publish_count") >= 1 })

	// Seq 5 arrives, 4 never does: the gap is filled from the log (and
	// nothing else looks at the log meanwhile).
	waitSettled(t, n.hub, subs)
	src.append(slug)
	n.hub.Publish(ctx, src.append(slug))
	for _, c := range cs {
		c.expectSeqs(t, 4, 5)
	}
	eventually(t, 5*time.Second, "gap counted", func() bool { return rec.get("gaps_filled") == 1 })
	if got := rec.get("log_recovered"); got != 1 {
		t.Errorf("log_recovered = %v, want 1 (seq 4)", got)
	}
	if got := rec.get("catchups{gap}"); got != 1 {
		t.Errorf("catchups{gap} = %v, want 1", got)
	}

	// A reconnect from seq 3 is served from the ring; one from another
	// epoch gets a snapshot.
	r := dial(t, n.wsURL(slug, "since=3&epoch=E1"), nil)
	r.expectSeqs(t, 4, 5)
	// The join counts the recovery after handing the viewer its frames.
	eventually(t, 5*time.Second, "recoveries{ring} = 1", func() bool { return rec.get("recoveries{ring}") == 1 })
	o := dial(t, n.wsURL(slug, "since=3&epoch=OLD"), nil)
	if env := o.nextDurable(t, 5*time.Second); env.Type != "snapshot" {
		t.Fatalf("other epoch: got %s", env.Type)
	}
	eventually(t, 5*time.Second, "recoveries{snapshot} = 1", func() bool { return rec.get("recoveries{snapshot}") == 1 })

	for _, c := range append(cs, cn, r, o) {
		_ = c.conn.Close()
	}
	eventually(t, 5*time.Second, "viewer gauges back to 0", func() bool {
		return rec.get("viewers{hu,ws}") == 0 && rec.get("viewers{cn,ws}") == 0
	})
}

func TestMetricsSlowViewerDropped(t *testing.T) {
	t.Parallel()
	src := newFakeSource()
	src.add(slug, "E1")
	rec := newRecorder()
	cfg := testConfig("a")
	cfg.MaxQueueBytes = 1024
	cfg.Metrics = rec.metrics()
	n := startNode(t, cfg, NewMemoryBroker(), src)
	c := dial(t, n.wsURL(slug, ""), nil)
	c.nextDurable(t, 5*time.Second)
	// A frame larger than the whole queue bound closes the viewer at once.
	f, err := newFrame(0, "E1", "attendance", kindVolatile, []byte(fmt.Sprintf(`{"pad":%q}`, strings.Repeat("x", 2000))))
	if err != nil {
		t.Fatal(err)
	}
	ev := n.hub.lookup(slug)
	ev.mu.Lock()
	ev.broadcastLocked(f)
	ev.mu.Unlock()
	if code, _ := c.closeCode(t, 5*time.Second); code != CloseSlowConsumer {
		t.Fatalf("close code %d, want %d", code, CloseSlowConsumer)
	}
	if got := rec.get("dropped{" + DropQueueFull + "}"); got != 1 {
		t.Errorf("dropped{queue_full} = %v, want 1", got)
	}
}

func TestMetricsBrokerLatency(t *testing.T) {
	t.Parallel()
	src := newFakeSource()
	src.add(slug, "E1")
	b := NewMemoryBroker()
	rec := newRecorder()
	cfgB := testConfig("b")
	cfgB.Metrics = rec.metrics()
	a := startNode(t, testConfig("a"), b, src)
	nb := startNode(t, cfgB, b, src)
	c := dial(t, nb.wsURL(slug, ""), nil) // node b now subscribes to the event
	c.nextDurable(t, 5*time.Second)
	eventually(t, 5*time.Second, "a delivery from node a observed on node b", func() bool {
		a.hub.Publish(context.Background(), src.append(slug))
		time.Sleep(20 * time.Millisecond)
		return rec.get("delivery_count") >= 1
	})
	if rec.get("delivery_negative") != 0 {
		t.Error("a negative latency was observed")
	}
}

func TestPayloadSentAt(t *testing.T) {
	before := time.Now().UnixNano()
	_, node, sent, env, err := splitPayload(encodePayload(payloadVolatile, "hu-1", []byte(`{}`)))
	if err != nil || node != "hu-1" || string(env) != `{}` || sent < before || sent > time.Now().UnixNano() {
		t.Fatalf("got node %q sent %d env %s err %v", node, sent, env, err)
	}
	// A header without the time (an older node) still decodes.
	_, node, sent, _, err = splitPayload([]byte("d hu-1\n{}"))
	if err != nil || node != "hu-1" || sent != 0 {
		t.Fatalf("old header: node %q sent %d err %v", node, sent, err)
	}
}
