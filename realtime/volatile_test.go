package realtime

import (
	"context"
	"encoding/json"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/hybridcon/hybridcon/app"
)

// expectNoFrame checks nothing at all arrives within d.
func (c *client) expectNoFrame(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case env := <-c.envs:
		t.Fatalf("unexpected %s seq %d: %s", env.Type, env.Seq, env.Data)
	case <-time.After(d):
	}
}

// twoNodesFlushedByHand starts nodes a and b on one memory broker with
// event slug; volatile messages go out only when the test calls
// flushVolatile, and presence never. subscribed waits until both nodes
// listen to the event on the broker (a node subscribes after its first
// viewer joined; what is published before does not reach it).
func twoNodesFlushedByHand(t *testing.T) (a, b *node, subscribed func()) {
	t.Helper()
	src := newFakeSource()
	src.add(slug, "E1")
	br := NewMemoryBroker()
	cfg := testConfig("a")
	cfg.VolatileInterval = time.Hour
	cfg.PresenceInterval = time.Hour
	a = startNode(t, cfg, br, src)
	cfg.NodeID = "b"
	b = startNode(t, cfg, br, src)
	return a, b, func() {
		t.Helper()
		eventually(t, 5*time.Second, "both nodes subscribed", func() bool {
			br.mu.Lock()
			defer br.mu.Unlock()
			n := 0
			for ml := range br.listeners {
				if ml.slugs[slug] {
					n++
				}
			}
			return n == 2
		})
	}
}

func TestVolatileCoalesced(t *testing.T) {
	t.Parallel()
	a, bn, subscribed := twoNodesFlushedByHand(t)
	ca := dial(t, a.wsURL(slug, ""), nil)
	cb := dial(t, bn.wsURL(slug, ""), nil)
	ca.next(t, 5*time.Second)
	cb.next(t, 5*time.Second)
	subscribed()

	for i := range 10 {
		a.hub.PublishVolatile(context.Background(), slug, app.TypeAttendance, app.Attendance{CheckedIn: int64(i + 1), Expected: 50})
	}
	a.hub.flushVolatile()
	check := func(c *client) {
		t.Helper()
		env := c.next(t, 5*time.Second)
		var got app.Attendance
		if err := json.Unmarshal(env.Data, &got); err != nil {
			t.Fatal(err)
		}
		if env.Type != app.TypeAttendance || env.Seq != 0 || env.Epoch != "E1" || env.Event != slug || got.CheckedIn != 10 {
			t.Fatalf("got %s seq %d epoch %q data %s, want attendance seq 0 epoch E1 with the last value", env.Type, env.Seq, env.Epoch, env.Data)
		}
		c.expectNoFrame(t, 200*time.Millisecond)
	}
	check(ca)

	// The other node relays it to its viewers at its own next flush.
	eventually(t, 5*time.Second, "node b received the volatile message", func() bool {
		bn.hub.volMu.Lock()
		defer bn.hub.volMu.Unlock()
		return len(bn.hub.vol) == 1
	})
	bn.hub.flushVolatile()
	check(cb)
	// Nothing dirty: the next flush sends nothing.
	a.hub.flushVolatile()
	ca.expectNoFrame(t, 100*time.Millisecond)
}

func TestVolatileEveryInterval(t *testing.T) {
	t.Parallel()
	src := newFakeSource()
	src.add(slug, "E1")
	cfg := testConfig("a")
	cfg.PresenceInterval = time.Hour
	n := startNode(t, cfg, NewMemoryBroker(), src)
	c := dial(t, n.wsURL(slug, ""), nil)
	c.next(t, 5*time.Second)
	start := time.Now()
	for i := range 50 {
		n.hub.PublishVolatile(context.Background(), slug, app.TypeAttendance, app.Attendance{CheckedIn: int64(i + 1)})
	}
	frames := 0
	for {
		env := c.next(t, 5*time.Second)
		frames++
		var got app.Attendance
		_ = json.Unmarshal(env.Data, &got)
		if got.CheckedIn == 50 {
			break
		}
	}
	if maxFrames := int(time.Since(start)/cfg.VolatileInterval) + 1; frames > maxFrames {
		t.Fatalf("%d frames in %v, want at most one per %v", frames, time.Since(start), cfg.VolatileInterval)
	}
}

func TestPresence(t *testing.T) {
	t.Parallel()
	t.Run("Memory", func(t *testing.T) {
		t.Parallel()
		b := NewMemoryBroker()
		testPresence(t, b, b)
	})
	t.Run("Redis", func(t *testing.T) {
		t.Parallel()
		r := newTestRedis(t)
		testPresence(t, r.broker(), r.broker())
	})
}

func testPresence(t *testing.T, ba, bb Broker) {
	src := newFakeSource()
	src.add(slug, "E1")
	a := startNode(t, testConfig("a"), ba, src)
	cfgB := testConfig("b")
	cfgB.Region = "hu"
	bn := startNode(t, cfgB, bb, src)

	viewer := dial(t, a.wsURL(slug, ""), nil)
	viewer.next(t, 5*time.Second)
	dial(t, a.wsURL(slug, ""), nil)
	dial(t, a.wsURL(slug, "region=hu"), nil)
	dial(t, bn.wsURL(slug, ""), nil) // b's own region: hu
	// "Other countries" is a region of its own, not the node's.
	dial(t, bn.wsURL(slug, "region=other"), nil)

	waitPresence := func(what string, want map[string]int) {
		t.Helper()
		for _, n := range []*node{a, bn} {
			if n == bn && bn.hub.isClosing() {
				continue
			}
			eventually(t, 5*time.Second, what, func() bool { return maps.Equal(n.hub.Presence(slug), want) })
		}
	}
	waitPresence("presence from both nodes", map[string]int{"cn": 2, "hu": 2, "other": 1})

	// Viewers are told: a presence message with the totals.
	deadline := time.Now().Add(5 * time.Second)
	for {
		env := viewer.next(t, time.Until(deadline))
		if env.Type != app.TypePresence {
			continue
		}
		var p PresenceData
		if err := json.Unmarshal(env.Data, &p); err != nil {
			t.Fatal(err)
		}
		if env.Seq == 0 && p.Total == 5 && maps.Equal(p.Regions, map[string]int{"cn": 2, "hu": 2, "other": 1}) {
			break
		}
	}

	// A node that reports once and dies drops out after its TTL.
	if err := ba.SetPresence(context.Background(), slug, "ghost", map[string]int{"hu": 5}, 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	waitPresence("the ghost node counted", map[string]int{"cn": 2, "hu": 7, "other": 1})
	waitPresence("the ghost node expired", map[string]int{"cn": 2, "hu": 2, "other": 1})

	// Node b stops reporting: its viewer drops out of a's totals.
	bn.stop()
	waitPresence("node b expired", map[string]int{"cn": 2, "hu": 1, "other": 0})
}

// The "transfer" bell goes only to connections that asked for it (bell=1:
// the participant, team and organizer pages), on the node that rang it
// and on the others, over websocket and SSE; other volatile messages go
// to everyone. bell takes 1 or 0, anything else is 400.
func TestBellOnlyToThoseWhoAsked(t *testing.T) {
	t.Parallel()
	a, bn, subscribed := twoNodesFlushedByHand(t)
	plainA := dial(t, a.wsURL(slug, ""), nil)
	bellA := dial(t, a.wsURL(slug, "bell=1"), nil)
	plainB := dial(t, bn.wsURL(slug, "bell=0"), nil)
	bellB := dial(t, bn.wsURL(slug, "bell=1&region=cn"), nil)
	for _, c := range []*client{plainA, bellA, plainB, bellB} {
		if env := c.next(t, 5*time.Second); env.Type != app.TypeSnapshot {
			t.Fatalf("first frame %s, want the snapshot", env.Type)
		}
	}
	subscribed()
	sse := openSSE(t, a, slug, "bell=1", "")
	if ev := sse.event(t); ev.event != app.TypeSnapshot {
		t.Fatalf("SSE: first event %q, want the snapshot", ev.event)
	}

	a.hub.PublishVolatile(context.Background(), slug, app.TypeTransfer, app.TransferBell{At: time.Now()})
	a.hub.PublishVolatile(context.Background(), slug, app.TypeAttendance, app.Attendance{CheckedIn: 1, Expected: 2})
	a.hub.flushVolatile()
	eventually(t, 5*time.Second, "node b received both volatile messages", func() bool {
		bn.hub.volMu.Lock()
		defer bn.hub.volMu.Unlock()
		return len(bn.hub.vol) == 2
	})
	bn.hub.flushVolatile()

	got := func(c *client) map[string]int {
		t.Helper()
		types := map[string]int{}
		for {
			select {
			case env := <-c.envs:
				types[env.Type]++
			case <-time.After(300 * time.Millisecond):
				return types
			}
		}
	}
	for name, c := range map[string]*client{"node a without bell": plainA, "node b with bell=0": plainB} {
		if types := got(c); types[app.TypeTransfer] != 0 || types[app.TypeAttendance] != 1 {
			t.Errorf("%s: got %v, want the attendance and no bell", name, types)
		}
	}
	for name, c := range map[string]*client{"node a with bell=1": bellA, "node b with bell=1": bellB} {
		if types := got(c); types[app.TypeTransfer] != 1 || types[app.TypeAttendance] != 1 {
			t.Errorf("%s: got %v, want the attendance and the bell", name, types)
		}
	}
	seen := map[string]bool{}
	for len(seen) < 2 {
		seen[sse.event(t).event] = true
	}
	if !seen[app.TypeTransfer] || !seen[app.TypeAttendance] {
		t.Errorf("SSE with bell=1: got %v, want the bell and the attendance", seen)
	}

	for _, q := range []string{"bell=yes", "bell=2", "bell=true"} {
		if _, err := dialErr(a.wsURL(slug, q), nil); err == nil || !strings.Contains(err.Error(), "status 400") {
			t.Errorf("%s: %v, want status 400", q, err)
		}
	}
}
