package realtime

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hybridcon/hybridcon/app"
	"github.com/redis/go-redis/v9"
)

// testRedis gives a test its own key prefix on HYBRIDCON_TEST_REDIS_URL,
// or on a fresh miniredis. kill breaks every pub/sub connection of the
// brokers it made: CLIENT KILL on real Redis, a restart on the same
// address with miniredis.
type testRedis struct {
	t      *testing.T
	url    string
	real   bool
	mini   *miniredis.Miniredis
	prefix string
	name   string // client name of this test's connections (real Redis)
}

func newTestRedis(t *testing.T) *testRedis {
	t.Helper()
	var id [6]byte
	_, _ = rand.Read(id[:])
	r := &testRedis{t: t, prefix: "hctest:" + hex.EncodeToString(id[:]) + ":", name: "hctest-" + hex.EncodeToString(id[:])}
	if url := os.Getenv("HYBRIDCON_TEST_REDIS_URL"); url != "" {
		r.url, r.real = url, true
		return r
	}
	r.mini = miniredis.RunT(t)
	r.url = "redis://" + r.mini.Addr()
	return r
}

func (r *testRedis) client() *redis.Client {
	opt, err := RedisOptions(r.url)
	if err != nil {
		r.t.Fatal(err)
	}
	if r.real {
		opt.ClientName = r.name
	}
	rdb := redis.NewClient(opt)
	r.t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

func (r *testRedis) broker() *RedisBroker {
	return NewRedisBroker(r.client(), RedisConfig{Prefix: r.prefix, ProbeInterval: 500 * time.Millisecond, Logger: testLogger()})
}

// kill breaks this test's pub/sub connections and reports how many. It
// may run outside the test goroutine, so it reports errors with Errorf.
func (r *testRedis) kill() int {
	if !r.real {
		r.mini.Close()
		if err := r.mini.Restart(); err != nil {
			r.t.Errorf("miniredis restart: %v", err)
			return 0
		}
		return 1
	}
	ctx := context.Background()
	admin := r.client()
	list, err := admin.Do(ctx, "client", "list", "type", "pubsub").Text()
	if err != nil {
		r.t.Errorf("client list: %v", err)
		return 0
	}
	killed := 0
	for _, line := range strings.Split(list, "\n") {
		if !strings.Contains(line, " name="+r.name+" ") {
			continue
		}
		for _, f := range strings.Fields(line) {
			if id, ok := strings.CutPrefix(f, "id="); ok {
				if err := admin.Do(ctx, "client", "kill", "id", id).Err(); err == nil {
					killed++
				}
			}
		}
	}
	return killed
}

// runCluster starts two hubs on the brokers, puts viewers on both, and
// publishes total envelopes concurrently through both hubs (each commit
// published by the node that made it, in whatever order goroutines
// reach the hub). midway runs once half are published. Every viewer must
// see exactly 1…total in order.
// It returns the count of envelopes the nodes received through the
// brokers (their own included), which may still be growing.
func runCluster(t *testing.T, ba, bb Broker, total int, midway func()) *atomic.Int64 {
	return runClusterWith(t, ba, bb, clusterRun{total: total, midwayAt: total / 2, midway: midway})
}

// clusterRun shapes runClusterWith: total envelopes, each of the 4
// publishers pausing pace between its envelopes, and midway run once
// the envelope of seq midwayAt is in the log.
type clusterRun struct {
	total    int
	pace     time.Duration
	midwayAt int
	midway   func()
	received *atomic.Int64 // counts as runClusterWith returns; nil: a new one
}

func runClusterWith(t *testing.T, ba, bb Broker, run clusterRun) *atomic.Int64 {
	total, midway := run.total, run.midway
	src := newFakeSource()
	src.add(slug, "E1")
	received := run.received
	if received == nil {
		received = new(atomic.Int64)
	}
	subsA, subsB := make(chan string, 100), make(chan string, 100)
	a := startNode(t, testConfig("a"), countingBroker{ba, received, subsA}, src)
	cfgB := testConfig("b")
	cfgB.Region = "hu"
	b := startNode(t, cfgB, countingBroker{bb, received, subsB}, src)

	var viewers []*client
	for i := range 6 {
		n := a
		if i%2 == 1 {
			n = b
		}
		c := dial(t, n.wsURL(slug, ""), nil)
		if env := c.next(t, 5*time.Second); env.Type != app.TypeSnapshot || env.Seq != 0 {
			t.Fatalf("first frame %s seq %d, want snapshot 0", env.Type, env.Seq)
		}
		viewers = append(viewers, c)
	}

	// Both nodes subscribed (what is published before that is only
	// recovered from the log, which is not what this test is about).
	for _, subs := range []chan string{subsA, subsB} {
		select {
		case <-subs:
		case <-time.After(10 * time.Second):
			t.Fatal("a node did not subscribe")
		}
	}

	const publishers = 4
	var wg sync.WaitGroup
	var once sync.Once
	per := total / publishers
	for p := range publishers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				n := a
				if (p+i)%2 == 1 {
					n = b
				}
				if run.pace > 0 && i > 0 {
					time.Sleep(run.pace)
				}
				env := src.append(slug)
				if env.Seq == int64(run.midwayAt) && midway != nil {
					once.Do(midway)
				}
				n.hub.Publish(context.Background(), env)
			}
		}()
	}
	wg.Wait()
	want := seqs(1, int64(per*publishers))
	for i, c := range viewers {
		for _, w := range want {
			env := c.nextDurable(t, 10*time.Second)
			if env.Seq != w || env.Type == app.TypeSnapshot {
				t.Fatalf("viewer %d: got %s seq %d, want seq %d", i, env.Type, env.Seq, w)
			}
		}
		c.expectNothing(t, 20*time.Millisecond)
	}
	return received
}

// viaBroker checks that pub/sub, not only the catch-up from the log,
// carried the envelopes: most of the 2 × total copies arrive.
func viaBroker(t *testing.T, received *atomic.Int64, total int) {
	t.Helper()
	// 30 s: the second realtime run of CI (goroutine readers, race
	// detector, after the whole suite) once took more than 10 s to see
	// all 400 through a real Redis; a broker that loses one never does.
	eventually(t, 30*time.Second, "envelopes through the broker", func() bool { return received.Load() >= int64(total) })
}

// countingBroker counts the durable envelopes its listener receives from
// other nodes, to show pub/sub (not only the catch-up) carried them.
type countingBroker struct {
	Broker
	n    *atomic.Int64
	subs chan string
}

func (b countingBroker) Listen(ctx context.Context, l Listener) error {
	return b.Broker.Listen(ctx, countingListener{l, b.n, b.subs})
}

type countingListener struct {
	Listener
	n    *atomic.Int64
	subs chan string
}

// HandleSubscribed reports slug after the hub has taken the confirmation
// (and scheduled its catch-up), so a test that waits for it can then wait
// for that catch-up too.
func (l countingListener) HandleSubscribed(slug string) {
	l.Listener.HandleSubscribed(slug)
	select {
	case l.subs <- slug:
	default:
	}
}

func (l countingListener) HandleMessage(slug string, payload []byte) {
	if len(payload) > 0 && payload[0] == payloadDurable {
		l.n.Add(1)
	}
	l.Listener.HandleMessage(slug, payload)
}

func TestClusterMemoryBroker(t *testing.T) {
	t.Parallel()
	b := NewMemoryBroker()
	viaBroker(t, runCluster(t, b, b, 400, nil), 400)
}

func TestClusterRedis(t *testing.T) {
	t.Parallel()
	r := newTestRedis(t)
	viaBroker(t, runCluster(t, r.broker(), r.broker(), 400, nil), 400)
}

func TestClusterRedisSubscriptionKilled(t *testing.T) {
	t.Parallel()
	r := newTestRedis(t)
	killed := 0
	runCluster(t, r.broker(), r.broker(), 400, func() { killed = r.kill() })
	if killed == 0 {
		t.Fatal("no pub/sub connection was killed")
	}
}

func TestRedisSubscriptionResumes(t *testing.T) {
	t.Parallel()
	// After the pub/sub connection dies, messages flow through pub/sub
	// again (not only through the periodic catch-up).
	r := newTestRedis(t)
	b := r.broker()
	l := &recordingListener{slugs: []string{slug}, changed: make(chan struct{}), got: make(chan string, 100), subs: make(chan string, 100)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		_ = b.Listen(ctx, l)
		close(done)
	}()
	t.Cleanup(func() { cancel(); <-done })
	waitSubscribed := func() {
		select {
		case <-l.subs:
		case <-time.After(10 * time.Second):
			t.Fatal("no subscription confirmed")
		}
	}
	waitSubscribed()
	r.kill()
	waitSubscribed()
	pub := r.broker()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_ = pub.Publish(context.Background(), slug, []byte("d x\n{}"))
		select {
		case <-l.got:
			return
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("no message after resubscription")
		}
	}
}

type recordingListener struct {
	slugs   []string
	changed chan struct{}
	got     chan string
	subs    chan string
}

func (l *recordingListener) Slugs() []string          { return l.slugs }
func (l *recordingListener) Changed() <-chan struct{} { return l.changed }
func (l *recordingListener) HandleMessage(slug string, payload []byte) {
	l.got <- string(payload)
}
func (l *recordingListener) HandleSubscribed(slug string) { l.subs <- slug }

func TestRedisDownStillServesLocalViewers(t *testing.T) {
	t.Parallel()
	opt, err := RedisOptions("redis://127.0.0.1:1/0") // nothing listens there
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { _ = rdb.Close() })
	b := NewRedisBroker(rdb, RedisConfig{Prefix: "hctest:down:", Logger: testLogger()})

	start := time.Now()
	if err := b.Publish(context.Background(), slug, []byte("x")); err == nil {
		t.Fatal("publish to an unreachable Redis succeeded")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("publish failed after %v, want quickly", d)
	}

	src := newFakeSource()
	src.add(slug, "E1")
	n := startNode(t, testConfig("a"), b, src)
	c := dial(t, n.wsURL(slug, ""), nil)
	c.next(t, 5*time.Second)
	start = time.Now()
	n.hub.Publish(context.Background(), src.append(slug), src.append(slug))
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("Hub.Publish took %v with Redis down", d)
	}
	c.expectSeqs(t, 1, 2)
}
