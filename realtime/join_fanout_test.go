package realtime

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/hybridcon/hybridcon/app"
)

// TestJoinDuringFanOutGetsEverySeqOnce: fan-out passes run outside the
// event's lock, so viewers join (with a snapshot, or resuming from the
// ring) while passes to 1,100 other viewers are queued and running. Each
// joiner must get its snapshot at N, or its resume point N, and then
// every seq after N exactly once, in order, up to the last one published.
func TestJoinDuringFanOutGetsEverySeqOnce(t *testing.T) {
	t.Parallel()
	src := newFakeSource()
	src.add(slug, "E1")
	src.appendN(slug, 5)
	h := NewHub(testConfig("a"), NewMemoryBroker(), src, testLogger())
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { h.Run(ctx); close(ran) }()
	t.Cleanup(func() { cancel(); <-ran })

	ln := loopbackListener(t)
	pair := func() (*viewer, net.Conn) { return loopbackViewer(t, h, ln) }
	var viewers []*viewer
	t.Cleanup(func() {
		for _, v := range viewers {
			v.finish()
		}
	})
	for range fanOutChunk + 76 { // two goroutines per pass with GOMAXPROCS ≥ 2
		v, c := pair()
		if err := h.join(ctx, slug, v, connParams{slug: slug, region: "cn"}); err != nil {
			t.Fatal(err)
		}
		viewers = append(viewers, v)
		go func() { _, _ = io.Copy(io.Discard, c) }()
	}

	const last = 5 + 60
	const joiners = 30
	type result struct {
		who string
		err error
	}
	results := make(chan result, joiners)
	var wg sync.WaitGroup
	wg.Go(func() { // bursts of 10 publishes, so passes queue up behind one another
		for range (last - 5) / 10 {
			for range 10 {
				h.Publish(ctx, src.append(slug))
			}
			time.Sleep(3 * time.Millisecond)
		}
	})
	for i := range joiners {
		v, c := pair()
		viewers = append(viewers, v)
		p := connParams{slug: slug, region: "cn"}
		if i%2 == 1 { // resume a few seqs back: served from the ring
			ev, err := h.event(ctx, slug)
			if err != nil {
				t.Fatal(err)
			}
			_, d := ev.watermark()
			p.since, p.epoch, p.hasSince = max(0, d-3), "E1", true
		}
		if err := h.join(ctx, slug, v, p); err != nil {
			t.Fatal(err)
		}
		who := fmt.Sprintf("joiner %d (since %d, resume %v)", i, p.since, p.hasSince)
		go func() { results <- result{who, readUntil(c, p, last)} }()
		time.Sleep(2 * time.Millisecond)
	}
	wg.Wait()
	for range joiners {
		select {
		case r := <-results:
			if r.err != nil {
				t.Error(r.who + ": " + r.err.Error())
			}
		case <-time.After(30 * time.Second):
			t.Fatal("a joiner did not get every seq within 30 s")
		}
	}
}

// readUntil reads a viewer's stream until seq last and checks it: a
// snapshot at N first (unless resuming from p.since, then N is since),
// then every seq after N once, in order.
func readUntil(c net.Conn, p connParams, last int64) error {
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	w := &wireConn{nc: c, r: bufio.NewReader(c)}
	next := int64(-1) // the seq expected next; -1 until the start is known
	if p.hasSince {
		next = p.since + 1
	}
	for next <= last {
		f, err := w.readFrame()
		if err != nil {
			return err
		}
		if f.opcode != 1 {
			continue // pings
		}
		var env app.Envelope
		if err := json.Unmarshal(f.payload, &env); err != nil {
			return err
		}
		switch {
		case env.Seq == 0:
			continue // volatile
		case env.Type == app.TypeSnapshot:
			if next != -1 {
				return fmt.Errorf("snapshot at %d where seq %d was due", env.Seq, next)
			}
			next = env.Seq + 1
		case next == -1:
			return fmt.Errorf("seq %d before the snapshot", env.Seq)
		case env.Seq != next:
			return fmt.Errorf("seq %d where %d was due", env.Seq, next)
		default:
			next++
		}
	}
	return nil
}
