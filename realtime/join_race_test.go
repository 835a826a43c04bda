package realtime

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// gatedSource blocks the first LastSeq call after it is armed until the
// test releases it, to hold a join inside the window where the event's
// lock is released.
type gatedSource struct {
	*fakeSource
	armed   atomic.Bool
	entered chan struct{}
	release chan struct{}
}

func (g *gatedSource) LastSeq(ctx context.Context, slug string) (int64, string, error) {
	if g.armed.CompareAndSwap(true, false) {
		close(g.entered)
		<-g.release
	}
	return g.fakeSource.LastSeq(ctx, slug)
}

// TestResumeAheadOfNodeGetsWhatArrivesMeanwhile: a viewer resumes with a
// since beyond what this node has delivered; while the node asks the log,
// it delivers past since. The viewer must still get those envelopes.
func TestResumeAheadOfNodeGetsWhatArrivesMeanwhile(t *testing.T) {
	t.Parallel()
	src := &gatedSource{fakeSource: newFakeSource(), entered: make(chan struct{}), release: make(chan struct{})}
	src.add(slug, "E1")
	src.appendN(slug, 9)
	cfg := testConfig("a")
	cfg.HoldBack = 10 * time.Second // 11 waits for 10 until the test publishes it
	cfg.CatchUpInterval = time.Minute
	n := startNode(t, cfg, NewMemoryBroker(), src)

	first := dial(t, n.wsURL(slug, ""), nil)
	if env := first.next(t, 5*time.Second); env.Seq != 9 {
		t.Fatalf("snapshot seq %d, want 9", env.Seq)
	}
	e10, e11 := src.append(slug), src.append(slug)
	n.hub.Publish(context.Background(), e11) // held back: 10 is missing

	src.armed.Store(true)
	// The handshake's answer may wait for the join (Hub.Handshakes), so
	// the dial runs beside the test.
	dialed := make(chan *client, 1)
	dialErrs := make(chan error, 1)
	go func() {
		c, err := dialErr(n.wsURL(slug, "since=10&epoch=E1"), nil)
		if err != nil {
			dialErrs <- err
			return
		}
		dialed <- c
	}()
	select {
	case <-src.entered:
	case err := <-dialErrs:
		t.Fatal(err)
	case <-time.After(5 * time.Second):
		t.Fatal("the resume never asked the log for its last seq")
	}
	n.hub.Publish(context.Background(), e10) // the node now delivers 10 and 11
	first.expectSeqs(t, 10, 11)
	close(src.release)
	var late *client
	select {
	case late = <-dialed:
		t.Cleanup(func() { _ = late.conn.Close() })
	case err := <-dialErrs:
		t.Fatal(err)
	case <-time.After(10 * time.Second):
		t.Fatal("the resumed viewer's handshake did not finish")
	}

	if env := late.nextDurable(t, 5*time.Second); env.Seq != 11 {
		t.Fatalf("resumed viewer got seq %d first, want 11", env.Seq)
	}
}
