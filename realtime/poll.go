package realtime

import (
	"errors"
	"time"
)

// errNoPoller: this platform, or this server, reads every websocket
// viewer with a goroutine of its own.
var errNoPoller = errors.New("realtime: no poller")

// alive extends v's read deadline by PongWait after a sign of life from
// the client, unless v is closing (then the deadline is the close's).
func (v *viewer) alive() {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.closing { // checked and stored under v.mu: a close's own deadline is never extended
		v.readDeadline.Store(time.Now().Add(v.h.cfg.PongWait).UnixNano())
	}
}

// The poller's clientEvents, for a polled viewer.

func (v *viewer) ping(payload []byte) bool { return v.answerPing(string(payload)) }

func (v *viewer) clientClose(code int) { v.close(code, "") }

func (v *viewer) refuse(code int, reason string) { v.close(code, reason) }

// cut breaks v's connection so that its reader ends: a polled viewer's
// socket is shut down (the poller then cleans up and closes it), any
// other is closed.
//
// A polled viewer's descriptor is never closed here, even when shutdown
// fails (a connection the client reset): closed, it would leave epoll
// unseen and its number could go to the next connection while the
// poller still holds it. Its read deadline is moved to now instead, so
// the poller ends it within pollTick.
func (v *viewer) cut() {
	if v.polled {
		if shutdownConn(v.raw) != nil {
			v.readDeadline.Store(0)
		}
		return
	}
	_ = v.nc.Close()
}
