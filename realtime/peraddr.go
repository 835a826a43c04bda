package realtime

import (
	"strconv"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/hybridcon/hybridcon/app"
)

// Per-address connection cap: at most HubConfig.MaxViewersPerAddress
// websocket and SSE viewers open at once from one client address (the
// address Fiber's c.IP gives, which follows the app's trusted proxies and
// proxy header). Past it a handshake is refused with 429 rate_limited
// and Retry-After; a slot frees when its connection ends.
//
// A websocket slot is taken before the upgrade, when the 101 has not been
// written yet. If writing it fails, fasthttp never runs the connection's
// handler, so nothing would give the slot back: until the connection
// starts, a slot is only reserved, and a reservation older than
// reserveTTL is dropped by the next handshake from that address that
// finds the address full.

// reserveTTL bounds how long a websocket slot may stay reserved before its
// connection starts (the 101 is written within the server's write timeout).
const reserveTTL = time.Minute

// capRetryAfter is the Retry-After (seconds) of a refused connection.
const capRetryAfter = 10

// addrSlot is one viewer's slot, held from its handshake until it ends.
type addrSlot struct {
	addr     string
	reserved time.Time // when taken; zero once the connection started
}

// addrSlots are the slots of one address.
type addrSlots struct {
	open     int                    // started connections
	reserved map[*addrSlot]struct{} // handshakes not started yet
}

// addrLimiter counts viewers per client address. A nil *addrLimiter is
// unlimited.
type addrLimiter struct {
	max int
	now func() time.Time

	mu    sync.Mutex
	addrs map[string]*addrSlots
}

func newAddrLimiter(max int) *addrLimiter {
	if max <= 0 {
		return nil
	}
	return &addrLimiter{max: max, now: time.Now, addrs: make(map[string]*addrSlots)}
}

// acquire reserves a slot for addr, or returns nil when addr has max
// viewers open or reserved.
func (l *addrLimiter) acquire(addr string) *addrSlot {
	if l == nil {
		return &addrSlot{}
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.addrs[addr]
	if e == nil {
		e = &addrSlots{}
		l.addrs[addr] = e
	}
	if e.open+len(e.reserved) >= l.max {
		for s := range e.reserved {
			if now.Sub(s.reserved) > reserveTTL {
				delete(e.reserved, s)
			}
		}
		if e.open+len(e.reserved) >= l.max {
			return nil
		}
	}
	s := &addrSlot{addr: addr, reserved: now}
	if e.reserved == nil {
		e.reserved = make(map[*addrSlot]struct{})
	}
	e.reserved[s] = struct{}{}
	return s
}

// start turns s's reservation into an open connection (an SSE stream, a
// websocket after its upgrade).
func (l *addrLimiter) start(s *addrSlot) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.addrs[s.addr]
	if e == nil { // the reservation expired and the address was forgotten
		e = &addrSlots{}
		l.addrs[s.addr] = e
	}
	delete(e.reserved, s)
	s.reserved = time.Time{}
	e.open++
}

// release gives s back (started or not). Call it once per slot.
func (l *addrLimiter) release(s *addrSlot) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.addrs[s.addr]
	if e == nil {
		return
	}
	if s.reserved.IsZero() {
		e.open--
	} else {
		delete(e.reserved, s)
	}
	if e.open <= 0 && len(e.reserved) == 0 {
		delete(l.addrs, s.addr)
	}
}

// count returns how many slots addr holds (open and reserved).
func (l *addrLimiter) count(addr string) int {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if e := l.addrs[addr]; e != nil {
		return e.open + len(e.reserved)
	}
	return 0
}

// trySlot reserves a viewer slot for the request's client address, or
// returns nil when the address has as many as it may.
func (h *Hub) trySlot(c *fiber.Ctx) *addrSlot {
	if h.perAddr == nil {
		return &addrSlot{}
	}
	return h.perAddr.acquire(utils.CopyString(c.IP()))
}

// takeSlot reserves a viewer slot for the request's client address, or
// returns the 429 to answer.
func (h *Hub) takeSlot(c *fiber.Ctx) (*addrSlot, error) {
	if h.perAddr == nil {
		return &addrSlot{}, nil
	}
	if s := h.trySlot(c); s != nil {
		return s, nil
	}
	h.m.refusedPerAddr.Add(1)
	return nil, &app.Error{Code: app.ERateLimited,
		Message: "too many live connections from this address (at most " + strconv.Itoa(h.cfg.MaxViewersPerAddress) +
			"); close one or retry in " + strconv.Itoa(capRetryAfter) + " s",
		Details: map[string]int{"retry_after": capRetryAfter, "limit": h.cfg.MaxViewersPerAddress}}
}
