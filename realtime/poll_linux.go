//go:build linux && (amd64 || arm64)

package realtime

import (
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// poller reads every polled websocket viewer of the process from one
// goroutine, woken by epoll when a client has sent something, so an idle
// viewer costs no goroutine (and no stack) of its own, and its HTTP
// request's memory is released once the upgrade is done. It is the
// read half only: writes go through the viewer's own paths as before.
//
// Each viewer's socket is registered level-triggered; a wake-up reads
// at most pollReadBudget bytes from one socket before moving on, so a
// flooding client cannot starve the others. Deadlines (PongWait, and
// closeGrace after the server's close frame) are checked every
// pollTick.
type poller struct {
	epfd  int
	mu    sync.Mutex
	conns map[int32]*pollConn
	gen   uint32
}

// pollConn is one registered viewer.
type pollConn struct {
	v     *viewer
	fd    int32
	gen   int32
	rd    clientReader
	ended atomic.Bool
	end   func() // cleanup, run on its own goroutine when reading ends
}

const (
	// pollTick is how often deadlines are checked: each check walks every
	// polled viewer, and each wake-up of an idle process costs the runtime
	// more than the walk. A second is fine-grained enough for PongWait
	// (50 s) and closeGrace (1 s: a closed viewer that never answers is
	// cut 1–2 s after the close).
	pollTick       = time.Second
	pollReadBudget = 64 << 10
	pollBuf        = 16 << 10
)

var (
	thePoller  *poller
	pollerOnce sync.Once
)

// getPoller returns the process's poller, starting it on first use; nil
// when epoll is not available.
func getPoller() *poller {
	pollerOnce.Do(func() {
		fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if err != nil {
			return
		}
		thePoller = &poller{epfd: fd, conns: make(map[int32]*pollConn)}
		go thePoller.loop()
	})
	return thePoller
}

// add registers v, whose join is done; end runs once reading ends (EOF,
// an error, the client's close, a deadline).
func (p *poller) add(v *viewer, limit int, end func()) error {
	if p == nil {
		return errNoPoller
	}
	fd := -1
	if err := v.raw.Control(func(u uintptr) { fd = int(u) }); err != nil {
		return err
	}
	pc := &pollConn{v: v, fd: int32(fd), rd: clientReader{limit: limit, deflate: v.deflate}, end: end}
	v.alive()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gen++
	pc.gen = int32(p.gen)
	// An entry under the same number is stale: its descriptor was closed
	// behind the poller's back (which cut avoids). End it now, or it would
	// never be cleaned up.
	if old := p.conns[pc.fd]; old != nil {
		delete(p.conns, pc.fd)
		if !old.ended.Swap(true) {
			go old.end()
		}
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP, Fd: pc.fd, Pad: pc.gen}
	if err := syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
		return err
	}
	p.conns[pc.fd] = pc
	return nil
}

func (p *poller) lookup(fd, gen int32) *pollConn {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pc := p.conns[fd]; pc != nil && pc.gen == gen {
		return pc
	}
	return nil
}

func (p *poller) loop() {
	events := make([]syscall.EpollEvent, 256)
	buf := make([]byte, pollBuf)
	next := time.Now().Add(pollTick)
	w := newEpollWaiter(p.epfd)
	for {
		n := w.wait(events, next)
		for i := 0; i < n; i++ {
			if pc := p.lookup(events[i].Fd, events[i].Pad); pc != nil {
				p.serve(pc, buf)
			}
		}
		if now := time.Now(); !now.Before(next) {
			p.expire(now)
			next = now.Add(pollTick)
		}
	}
}

// serve reads what pc's client sent, up to pollReadBudget (the rest
// waits for the next round: the socket stays readable).
func (p *poller) serve(pc *pollConn, buf []byte) {
	got := 0
	for got < pollReadBudget {
		n, err := pc.read(buf)
		if n > 0 {
			got += n
			if pc.rd.feed(buf[:n], pc.v) {
				p.finish(pc)
				return
			}
			if n < len(buf) {
				// A short read emptied the socket: no second read just to
				// hear EAGAIN (a pong is one short read). Anything that
				// arrives later makes the socket readable again
				// (level-triggered), and the next round reads it.
				pc.v.alive()
				return
			}
			continue
		}
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			if got > 0 {
				pc.v.alive()
			}
			return
		default: // EOF or a broken connection
			p.finish(pc)
			return
		}
	}
	pc.v.alive()
}

// read makes one non-blocking read from pc's socket.
func (pc *pollConn) read(buf []byte) (n int, err error) {
	rerr := pc.v.raw.Read(func(fd uintptr) bool {
		n, err = syscall.Read(int(fd), buf)
		return true // never wait: the poller does
	})
	if rerr != nil {
		return 0, rerr
	}
	if n < 0 {
		n = 0
	}
	return n, err
}

// finish stops reading pc and runs its cleanup.
func (p *poller) finish(pc *pollConn) {
	if pc.ended.Swap(true) {
		return
	}
	p.mu.Lock()
	if p.conns[pc.fd] == pc {
		delete(p.conns, pc.fd)
		// Under p.mu and only while the number is pc's: a newer
		// connection's registration under a reused number stays.
		_ = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_DEL, int(pc.fd), nil)
	}
	p.mu.Unlock()
	go pc.end()
}

// expire ends the viewers whose read deadline passed: silent for
// PongWait (counted as a pong drop), or not answering the server's close
// within closeGrace.
func (p *poller) expire(now time.Time) {
	t := now.UnixNano()
	var late []*pollConn
	p.mu.Lock()
	for _, pc := range p.conns {
		if pc.v.readDeadline.Load() < t {
			late = append(late, pc)
		}
	}
	p.mu.Unlock()
	for _, pc := range late {
		if !pc.v.isClosing() {
			pc.v.drop(pc.v.h.m.dropPong)
		}
		p.finish(pc)
	}
}

// shutdownConn shuts v's socket down both ways: a writer blocked on it
// fails, and the poller sees the end and cleans up (closing the
// descriptor instead would take it out of epoll unseen).
func shutdownConn(raw syscall.RawConn) error {
	var serr error
	err := raw.Control(func(fd uintptr) { serr = syscall.Shutdown(int(fd), syscall.SHUT_RDWR) })
	if err == nil {
		err = serr
	}
	return err
}

// epollWaiter waits for the poller's epoll descriptor to have events.
//
// Where it can, it waits in the Go runtime's network poller, the
// descriptor registered there like a socket (epoll descriptors nest), so
// no thread sits in epoll_wait: a goroutine blocked in a system call
// keeps its P, and while any P is not idle the runtime's monitor thread
// (sysmon) cannot sleep. Each time the poller went back into
// epoll_wait, the monitor woke and slept some sixty times (20 µs, then
// doubling) until it took the P back after 10 ms; on an idle node with
// 1,000 viewers that was a third of the process's CPU. Parked in the
// network poller, the goroutine holds nothing and the monitor sleeps
// through until the next timer.
//
// If the descriptor cannot be registered (it always can on Linux), it
// falls back to epoll_wait with a timeout, as before.
type epollWaiter struct {
	epfd     int
	f        *os.File        // epfd as a file, referenced so that its finalizer never closes it
	rc       syscall.RawConn // nil: not in the network poller, block in epoll_wait
	deadline time.Time
}

func newEpollWaiter(epfd int) *epollWaiter {
	w := &epollWaiter{epfd: epfd}
	if err := syscall.SetNonblock(epfd, true); err != nil {
		return w
	}
	w.f = os.NewFile(uintptr(epfd), "epoll")
	if rc, err := w.f.SyscallConn(); err == nil && w.f.SetReadDeadline(time.Now().Add(pollTick)) == nil {
		w.rc = rc
	}
	return w
}

// wait returns how many events it put in events, waiting until there is
// one or until deadline.
func (w *epollWaiter) wait(events []syscall.EpollEvent, deadline time.Time) int {
	if w.rc == nil {
		ms := int(time.Until(deadline) / time.Millisecond)
		if ms < 0 {
			ms = 0
		}
		n, err := syscall.EpollWait(w.epfd, events, ms+1)
		if err == syscall.EINTR {
			return 0
		}
		if err != nil {
			panic("realtime: epoll_wait: " + err.Error()) // cannot happen with a valid epoll descriptor
		}
		return n
	}
	if !deadline.Equal(w.deadline) {
		_ = w.f.SetReadDeadline(deadline) // cannot fail: it did in newEpollWaiter
		w.deadline = deadline
	}
	var n int
	var werr error
	// The runtime's poller is edge-triggered: it wakes this goroutine when
	// new events arrive. So the events are always collected (without
	// waiting) before waiting for more, including those left for the next
	// round by the read budget (level-triggered inside, they stay ready).
	err := w.rc.Read(func(fd uintptr) bool {
		for {
			n, werr = syscall.EpollWait(int(fd), events, 0)
			if werr != syscall.EINTR {
				break
			}
		}
		return n > 0 || werr != nil
	})
	if werr != nil {
		panic("realtime: epoll_wait: " + werr.Error())
	}
	if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
		panic("realtime: waiting for epoll: " + err.Error()) // the descriptor is never closed
	}
	return n
}
