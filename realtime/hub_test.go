package realtime

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/app/origin"
)

const slug = "cn-hu-2021"

func TestFirstFrameIsSnapshot(t *testing.T) {
	t.Parallel()
	src := newFakeSource()
	src.add(slug, "E1")
	src.appendN(slug, 3)
	n := startNode(t, testConfig("a"), NewMemoryBroker(), src)

	c := dial(t, n.wsURL(slug, "region=hu&lang=zh"), nil)
	env := c.next(t, 5*time.Second)
	if env.Type != app.TypeSnapshot || env.Seq != 3 || env.Epoch != "E1" || env.Event != slug {
		t.Fatalf("first frame: got %s seq %d epoch %q event %q, want snapshot seq 3 epoch E1", env.Type, env.Seq, env.Epoch, env.Event)
	}
	var data struct{ Upto int64 }
	if err := json.Unmarshal(env.Data, &data); err != nil || data.Upto != 3 {
		t.Fatalf("snapshot data %s: %v", env.Data, err)
	}
	n.hub.Publish(context.Background(), src.append(slug))
	c.expectSeqs(t, 4)
}

func TestOutOfOrderDeliveredInOrder(t *testing.T) {
	t.Parallel()
	src := newFakeSource()
	src.add(slug, "E1")
	src.appendN(slug, 4)
	n := startNode(t, testConfig("a"), NewMemoryBroker(), src)
	c := dial(t, n.wsURL(slug, ""), nil)
	if env := c.next(t, 5*time.Second); env.Seq != 4 {
		t.Fatalf("snapshot seq %d, want 4", env.Seq)
	}
	e5, e6 := src.append(slug), src.append(slug)
	ctx := context.Background()
	n.hub.Publish(ctx, e6)
	n.hub.Publish(ctx, e5)
	c.expectSeqs(t, 5, 6)
	// The same envelopes again (a retry, or the broker echo) are not repeated.
	n.hub.Publish(ctx, e5, e6)
	n.hub.Publish(ctx, src.append(slug))
	c.expectSeqs(t, 7)
}

func TestGapFilledFromLog(t *testing.T) {
	t.Parallel()
	src := newFakeSource()
	src.add(slug, "E1")
	src.appendN(slug, 6)
	cfg := testConfig("a")
	cfg.CatchUpInterval = time.Hour // the periodic check would fill the gap early, by chance
	rec := newRecorder()
	cfg.Metrics = rec.metrics()
	subs := make(chan string, 10)
	n := startNode(t, cfg, countingBroker{NewMemoryBroker(), new(atomic.Int64), subs}, src)
	c := dial(t, n.wsURL(slug, ""), nil)
	c.next(t, 5*time.Second)
	waitSettled(t, n.hub, subs)
	// One ordinary delivery first: whatever the join still had to do
	// (its own look at the log) is done before the gap opens.
	n.hub.Publish(context.Background(), src.append(slug))
	c.expectSeqs(t, 7)
	waitSettled(t, n.hub, nil)

	src.append(slug) // seq 8 is committed but its publish is lost
	start := time.Now()
	n.hub.Publish(context.Background(), src.append(slug))
	c.expectSeqs(t, 8, 9)
	if waited := time.Since(start); waited < n.hub.cfg.HoldBack {
		t.Errorf("gap filled after %v, before the hold-back of %v", waited, n.hub.cfg.HoldBack)
	}
	for _, tr := range CatchUpTriggers {
		want := 0.0
		if tr == TriggerGap {
			want = 1
		}
		if got := rec.get("catchups{" + tr + "}"); got != want {
			t.Errorf("catchups{%s} = %v, want %v", tr, got, want)
		}
	}
}

// waitSettled waits until the node's subscription to slug is confirmed
// (a report on subs, from a countingBroker; nil: already waited for) and
// the look at the log that the confirmation and the joins schedule is
// over. On a loaded machine the confirmation may come late, and its look
// at the log would find whatever gap a test opened meanwhile.
func waitSettled(t *testing.T, h *Hub, subs chan string) {
	t.Helper()
	if subs != nil {
		select {
		case <-subs:
		case <-time.After(10 * time.Second):
			t.Fatal("the node did not subscribe")
		}
	}
	eventually(t, 10*time.Second, "the event's catch-up idle", func() bool {
		ev := h.lookup(slug)
		if ev == nil {
			return false
		}
		ev.mu.Lock()
		defer ev.mu.Unlock()
		return !ev.syncQueued && !ev.syncRunning && ev.why == trigNone
	})
}

func TestResume(t *testing.T) {
	t.Parallel()
	src := newFakeSource()
	src.add(slug, "E1")
	cfg := testConfig("a")
	cfg.RingSize = 8
	cfg.MaxLogCatchUp = 30
	n := startNode(t, cfg, NewMemoryBroker(), src)
	warm := dial(t, n.wsURL(slug, ""), nil)
	warm.next(t, 5*time.Second)
	for _, env := range src.appendN(slug, 40) {
		n.hub.Publish(context.Background(), env)
	}
	// The warm viewer reaches seq 40, envelope by envelope or, when the
	// publishes outran its pass on a loaded machine, by a snapshot.
	for warm.next(t, 5*time.Second).Seq != 40 {
	}

	t.Run("FromRing", func(t *testing.T) {
		c := dial(t, n.wsURL(slug, "since=35&epoch=E1"), nil)
		c.expectSeqs(t, seqs(36, 40)...)
		c.expectNothing(t, 100*time.Millisecond)
		// The node's own catch-ups may read the log meanwhile (a loaded
		// machine); the resume must not.
		if got := src.readsFrom(35); got != 0 {
			t.Errorf("log reads after 35: %d, want 0 (the ring holds 33…40)", got)
		}
	})
	t.Run("FromLog", func(t *testing.T) {
		c := dial(t, n.wsURL(slug, "since=20&epoch=E1"), nil)
		c.expectSeqs(t, seqs(21, 40)...)
		n.hub.Publish(context.Background(), src.append(slug))
		c.expectSeqs(t, 41)
	})
	t.Run("UpToDate", func(t *testing.T) {
		c := dial(t, n.wsURL(slug, "since=41&epoch=E1"), nil)
		c.expectNothing(t, 100*time.Millisecond)
		n.hub.Publish(context.Background(), src.append(slug))
		c.expectSeqs(t, 42)
	})
	for name, q := range map[string]string{
		"WrongEpoch":   "since=30&epoch=OLD",
		"NoEpoch":      "since=30",
		"TooFarBehind": "since=5&epoch=E1",
		"Ahead":        "since=999&epoch=E1",
	} {
		t.Run(name, func(t *testing.T) {
			c := dial(t, n.wsURL(slug, q), nil)
			env := c.next(t, 5*time.Second)
			if env.Type != app.TypeSnapshot || env.Epoch != "E1" {
				t.Fatalf("got %s seq %d epoch %q, want a snapshot of epoch E1", env.Type, env.Seq, env.Epoch)
			}
		})
	}
}

func TestEpochChangeResetsViewers(t *testing.T) {
	t.Parallel()
	src := newFakeSource()
	src.add(slug, "E1")
	src.appendN(slug, 5)
	n := startNode(t, testConfig("a"), NewMemoryBroker(), src)
	c := dial(t, n.wsURL(slug, ""), nil)
	c.next(t, 5*time.Second)

	src.newEpoch(slug, "E2") // the log was rebuilt
	e1 := src.append(slug)
	n.hub.Publish(context.Background(), e1)
	env := c.nextDurable(t, 5*time.Second)
	if env.Type != app.TypeSnapshot || env.Epoch != "E2" || env.Seq != 1 {
		t.Fatalf("got %s seq %d epoch %q, want a snapshot of E2 at seq 1", env.Type, env.Seq, env.Epoch)
	}
	n.hub.Publish(context.Background(), src.append(slug))
	c.expectSeqs(t, 2)
}

func TestCatchUpWithoutBroker(t *testing.T) {
	t.Parallel()
	// Envelopes committed by another node whose publishes never arrive
	// (a dead subscription) reach viewers through the periodic catch-up.
	src := newFakeSource()
	src.add(slug, "E1")
	n := startNode(t, testConfig("a"), NewMemoryBroker(), src)
	c := dial(t, n.wsURL(slug, ""), nil)
	c.next(t, 5*time.Second)
	src.appendN(slug, 3)
	c.expectSeqs(t, 1, 2, 3)
}

func TestSnapshotStormCostsOneBuild(t *testing.T) {
	t.Parallel()
	src := newFakeSource()
	src.add(slug, "E1")
	src.appendN(slug, 10)
	src.snapDelay = 50 * time.Millisecond
	cfg := testConfig("a")
	// On a loaded CI machine 200 handshakes can take longer than the
	// default 5 s, after which a rebuild is correct: keep the cache valid.
	cfg.SnapshotMaxAge = time.Minute
	n := startNode(t, cfg, NewMemoryBroker(), src)

	const viewers = 200
	var wg sync.WaitGroup
	errs := make(chan error, viewers)
	clients := make(chan *client, viewers)
	for range viewers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := dialErr(n.wsURL(slug, ""), nil)
			if err != nil {
				errs <- err
				return
			}
			clients <- c
		}()
	}
	wg.Wait()
	close(errs)
	close(clients)
	for err := range errs {
		t.Fatal(err)
	}
	for c := range clients {
		t.Cleanup(func() { _ = c.conn.Close() })
		if env := c.next(t, 5*time.Second); env.Type != app.TypeSnapshot || env.Seq != 10 {
			t.Fatalf("got %s seq %d, want snapshot 10", env.Type, env.Seq)
		}
	}
	if got := src.snapshots.Load(); got != 1 {
		t.Errorf("Source.Snapshot calls: %d, want 1", got)
	}
	if got := src.sinces.Load(); got > 1 {
		t.Errorf("Source.Since calls: %d, want at most 1 (ring preload)", got)
	}
}

func TestHTTPErrorsBeforeUpgrade(t *testing.T) {
	t.Parallel()
	src := newFakeSource()
	src.add(slug, "E1")
	cfg := testConfig("a")
	n := startNode(t, cfg, NewMemoryBroker(), src)
	cfg.Origins = origin.NewPolicy([]string{"https://live.example.org"})
	strict := startNode(t, cfg, NewMemoryBroker(), src)

	cases := []struct {
		name   string
		node   *node
		slug   string
		query  string
		origin string
		status int
	}{
		{"BadSince", n, slug, "since=-1&epoch=E1", "", 400},
		{"GarbageSince", n, slug, "since=abc", "", 400},
		{"UnknownRegion", n, slug, "region=mars", "", 400},
		{"BadLang", n, slug, "lang=de", "", 400},
		{"UnknownEvent", n, "nope", "", "", 404},
		{"BadSlug", n, "a%20b", "", "", 404},
		{"CrossOrigin", n, slug, "", "https://evil.example.com", 403},
		{"OtherOriginNotListed", strict, slug, "", "https://evil.example.com", 403},
		{"ListedOrigin", strict, slug, "", "https://live.example.org", 101},
		{"SameOrigin", n, slug, "", "http://" + n.addr, 101},
		{"SameOriginWithList", strict, slug, "", "http://" + strict.addr, 101}, // the node's own pages need no listing
		{"NoOrigin", n, slug, "", "", 101},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hdr := http.Header{}
			if tc.origin != "" {
				hdr.Set("Origin", tc.origin)
			}
			c, err := dialErr(tc.node.wsURL(tc.slug, tc.query), hdr)
			if tc.status == 101 {
				if err != nil {
					t.Fatalf("dial: %v", err)
				}
				_ = c.conn.Close()
				return
			}
			if err == nil {
				_ = c.conn.Close()
				t.Fatalf("upgraded, want status %d", tc.status)
			}
			if want := fmt.Sprintf("(status %d)", tc.status); !strings.Contains(err.Error(), want) {
				t.Fatalf("got %v, want %s", err, want)
			}
		})
	}
	t.Run("PlainGET", func(t *testing.T) {
		resp, err := http.Get("http://" + n.addr + "/ws/events/" + slug)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Fatalf("status %d, want 400", resp.StatusCode)
		}
	})
	t.Run("DatabaseDown", func(t *testing.T) {
		down := newFakeSource()
		down.add(slug, "E1")
		down.setDown(true)
		d := startNode(t, testConfig("d"), NewMemoryBroker(), down)
		_, err := dialErr(d.wsURL(slug, ""), nil)
		if err == nil || !strings.Contains(err.Error(), "(status 503)") {
			t.Fatalf("got %v, want status 503", err)
		}
	})
}

// TestSnapshotAfterPublishIsCurrent: local delivery runs after Publish
// returns, yet GET …/live right after an organizer's action must show it.
func TestSnapshotAfterPublishIsCurrent(t *testing.T) {
	t.Parallel()
	src := newFakeSource()
	src.add(slug, "E1")
	src.appendN(slug, 3)
	n := startNode(t, testConfig("a"), NewMemoryBroker(), src)
	c := dial(t, n.wsURL(slug, ""), nil) // the event is followed here
	c.next(t, 5*time.Second)
	ctx := context.Background()
	if _, err := n.hub.Snapshot(ctx, slug); err != nil { // cached at seq 3
		t.Fatal(err)
	}
	for want := int64(4); want <= 8; want++ {
		n.hub.Publish(ctx, src.append(slug))
		b, err := n.hub.Snapshot(ctx, slug)
		if err != nil {
			t.Fatal(err)
		}
		var env app.Envelope
		if err := json.Unmarshal(b, &env); err != nil || env.Seq != want {
			t.Fatalf("snapshot right after publishing seq %d has seq %d (%v)", want, env.Seq, err)
		}
	}
}
