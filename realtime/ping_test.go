package realtime

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/hybridcon/hybridcon/app"
)

// TestOwedPingRidesOnBroadcast: a viewer whose ping is due gets it in
// front of the next broadcast (the same write), and alone at the next
// tick when no broadcast came; a viewer that owes none gets no ping.
func TestOwedPingRidesOnBroadcast(t *testing.T) {
	t.Parallel()
	src := newFakeSource()
	src.add(slug, "E1")
	cfg := testConfig("a")
	cfg.PingInterval = time.Hour // no tick of the hub's own interferes
	n := startNode(t, cfg, NewMemoryBroker(), src)
	c := dialWire(t, n.addr, "/ws/events/"+slug, 0)
	_ = c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	expect := func(what string, opcode byte, seq int64) {
		t.Helper()
		f, err := c.readFrame()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if f.opcode != opcode {
			t.Fatalf("%s: opcode %d (%.40q), want %d", what, f.opcode, f.payload, opcode)
		}
		if opcode == 1 {
			var env app.Envelope
			_ = json.Unmarshal(f.payload, &env)
			if env.Seq != seq {
				t.Fatalf("%s: seq %d, want %d", what, env.Seq, seq)
			}
		}
	}
	expect("snapshot", 1, 0)

	var v *viewer
	eventually(t, 5*time.Second, "the viewer idle", func() bool {
		ev := n.hub.lookup(slug)
		if ev == nil {
			return false
		}
		ev.mu.Lock()
		for w := range ev.viewers {
			v = w
		}
		ev.mu.Unlock()
		if v == nil {
			return false
		}
		v.mu.Lock()
		defer v.mu.Unlock()
		return v.idleLocked()
	})
	owes := func() bool {
		v.mu.Lock()
		defer v.mu.Unlock()
		return v.pingOwed
	}

	v.owePing()
	n.hub.Publish(context.Background(), src.append(slug))
	expect("the owed ping, first", 9, 0)
	expect("then the broadcast", 1, 1)
	if owes() {
		t.Fatal("the ping went out and is still owed")
	}

	v.owePing()
	v.payPing() // the next tick: no broadcast carried it
	expect("the owed ping, alone", 9, 0)
	if owes() {
		t.Fatal("the ping went out and is still owed")
	}

	v.payPing() // nothing owed: nothing sent
	n.hub.Publish(context.Background(), src.append(slug))
	expect("a broadcast without a ping", 1, 2)
}

// TestClientFrameInPieces: a client frame that arrives a few bytes at a
// time (each piece one short read for the poller, which then waits for
// the socket to be readable again) is put together and answered, and so
// is the next one, sent whole.
func TestClientFrameInPieces(t *testing.T) {
	t.Parallel()
	src := newFakeSource()
	src.add(slug, "E1")
	cfg := testConfig("a")
	cfg.PingInterval = time.Hour
	n := startNode(t, cfg, NewMemoryBroker(), src)
	c := dialWire(t, n.addr, "/ws/events/"+slug, 0)
	_ = c.nc.SetDeadline(time.Now().Add(10 * time.Second))
	if f, err := c.readFrame(); err != nil || f.opcode != 1 {
		t.Fatalf("first frame: %v", err)
	}
	eventually(t, 5*time.Second, "the viewer", func() bool { return n.hub.viewerCount(slug) == 1 })
	frame := clientFrame(9, []byte("in pieces"))
	for i := 0; i < len(frame); i += 3 {
		if _, err := c.nc.Write(frame[i:min(i+3, len(frame))]); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := c.nc.Write(clientFrame(9, []byte("whole"))); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"in pieces", "whole"} {
		f, err := c.readFrame()
		if err != nil {
			t.Fatalf("pong %q: %v", want, err)
		}
		if f.opcode != 10 || string(f.payload) != want {
			t.Fatalf("got opcode %d %q, want the pong %q", f.opcode, f.payload, want)
		}
	}
}
