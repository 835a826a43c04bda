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
