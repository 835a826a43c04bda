//go:build linux && (amd64 || arm64)

package realtime

import (
	"net"
	"syscall"
	"testing"
	"time"
)

// A polled descriptor closed behind the poller's back (which cut never
// does) leaves a stale entry; when its number comes back with the next
// connection, the stale viewer is ended (its clean-up runs) and the new
// one is read normally.
func TestPollerStaleNumber(t *testing.T) {
	p := getPoller()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	h := &Hub{cfg: HubConfig{PongWait: time.Minute}}
	dial := func() net.Conn {
		t.Helper()
		client, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		return client
	}
	accept := func(client net.Conn) (*viewer, net.Conn, int) {
		t.Helper()
		nc, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		v := &viewer{h: h, nc: nc, polled: true}
		v.raw, _ = nc.(syscall.Conn).SyscallConn()
		fd := -1
		_ = v.raw.Control(func(u uintptr) { fd = int(u) })
		return v, client, fd
	}
	a, ca, fdA := accept(dial())
	defer ca.Close()
	endedA := make(chan struct{})
	if err := p.add(a, 4096, func() { close(endedA) }); err != nil {
		t.Fatal(err)
	}
	cb0 := dial()    // before the close, so the client's end does not take the number
	_ = a.nc.Close() // behind the poller's back
	b, cb, fdB := accept(cb0)
	defer cb.Close()
	if fdB != fdA {
		t.Skipf("the new connection got descriptor %d, not %d", fdB, fdA)
	}
	endedB := make(chan struct{})
	if err := p.add(b, 4096, func() { close(endedB) }); err != nil {
		t.Fatal(err)
	}
	select {
	case <-endedA:
	case <-time.After(2 * time.Second):
		t.Fatal("the stale viewer was never ended")
	}
	select {
	case <-endedB:
		t.Fatal("the new viewer was ended with the stale one")
	case <-time.After(300 * time.Millisecond):
	}
	_ = cb.Close() // the new viewer is still read: its client's end is seen
	select {
	case <-endedB:
	case <-time.After(2 * time.Second):
		t.Fatal("the new viewer's end was not seen")
	}
	_ = b.nc.Close()
}

// The poller waits for its epoll descriptor in the runtime's network
// poller (no thread blocked in epoll_wait): events left unread are
// collected again without a new edge, a new event wakes the wait, and
// the deadline ends it.
func TestEpollWaiter(t *testing.T) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	w := newEpollWaiter(epfd)
	if w.rc == nil {
		t.Fatal("the epoll descriptor is not in the network poller")
	}
	defer w.f.Close()
	var sv [2]int
	if sv, err = syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0); err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(sv[0])
	defer syscall.Close(sv[1])
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(sv[0])}
	if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, sv[0], &ev); err != nil {
		t.Fatal(err)
	}
	events := make([]syscall.EpollEvent, 8)

	// Nothing ready: the deadline ends the wait.
	start := time.Now()
	if n := w.wait(events, start.Add(100*time.Millisecond)); n != 0 {
		t.Fatalf("%d events with nothing sent", n)
	}
	if d := time.Since(start); d < 90*time.Millisecond {
		t.Fatalf("returned after %v, before the deadline", d)
	}

	// A new event wakes a waiting goroutine.
	got := make(chan int, 1)
	go func() { got <- w.wait(events, time.Now().Add(10*time.Second)) }()
	time.Sleep(50 * time.Millisecond)
	if _, err := syscall.Write(sv[1], []byte("x")); err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-got:
		if n != 1 || events[0].Fd != int32(sv[0]) {
			t.Fatalf("woke with %d events (%+v)", n, events[:n])
		}
	case <-time.After(5 * time.Second):
		t.Fatal("an event did not wake the wait")
	}

	// Left unread, it is collected again at once: no new edge is needed.
	for i := 0; i < 3; i++ {
		start := time.Now()
		if n := w.wait(events, start.Add(10*time.Second)); n != 1 {
			t.Fatalf("round %d: %d events for a socket with unread data", i, n)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("round %d: waited %v for data already there", i, d)
		}
	}

	// Read, nothing is left: the next wait ends at its deadline.
	buf := make([]byte, 16)
	if _, err := syscall.Read(sv[0], buf); err != nil {
		t.Fatal(err)
	}
	if n := w.wait(events, time.Now().Add(50*time.Millisecond)); n != 0 {
		t.Fatalf("%d events after reading everything", n)
	}
}
