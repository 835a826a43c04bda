// Package realtime fans live envelopes out to viewers: the Hub, its
// websocket and Server-Sent-Events connections, the per-event ordering
// (hold-back, gap filling from the log, memory ring, snapshot cache),
// volatile messages and presence, and the brokers that carry envelopes
// between nodes (MemoryBroker in-process, RedisBroker over Redis pub/sub).
//
// The log is the truth and pub/sub is the doorbell: every durable envelope
// has a seq in its event's live log, the hub delivers to each viewer in
// seq order with no gap and no duplicate, and whatever pub/sub loses is
// fetched through Source. realtime imports app for the envelope and the
// Publisher contract, never storage: history comes through Source, which
// the app implements over the store.
//
// Concurrency model. Hub.mu guards only the map of events; it is held to
// look one up, add or drop one, or copy the list, never across an event's
// work. Per event, eventState.mu guards the event's state: what has been
// delivered (D), the ring, held-back envelopes, the viewer set and its
// counts, presence and the cached snapshot. A delivery changes that state
// under it and queues a fan-out pass: the frame and the viewers
// registered at that moment (a slice never changed below its length, so
// a pass may keep it). The passes run after the lock is released, in the
// order they were queued, by one goroutine at a time: the one that queued
// a pass while none was running (the goroutine delivering this node's
// publishes, the broker's receiver, a log-sync worker, the volatile
// flush; a join that adopts a new epoch starts one for the others'
// reset) runs every pass queued until none is left. So a join, GET
// …/live's snapshot and a presence read take the event's lock only for
// the state they read or change and never wait for a fan-out pass. A
// viewer registered at D is in the pass of every seq after D and in none
// before, and its first frames (a snapshot, or the missed envelopes up to
// D) are queued on it when it registers: it gets each envelope once, in
// seq order. A pass hands one shared, once-encoded frame to every viewer
// of its slice, split among up to GOMAXPROCS goroutines for a large
// audience, and ends when all are done; the viewers it could not serve
// are unregistered under the lock afterwards. A viewer whose socket is
// idle (nothing queued, no writer) gets the frame at once with one
// non-blocking write(2) from the pass's goroutine, under the viewer's
// mutex; whatever the socket does not take is queued (bounded in bytes,
// pongs and pings included) and the viewer's writer goroutine, started
// then and ending when the queue is drained, finishes it with blocking
// writes, each frame under WriteTimeout. Pings and SSE heartbeats are
// queued the same way on a copy of the viewer list, outside the lock. An
// SSE viewer's writer is its stream goroutine. At most one goroutine
// writes to a connection at a time, so frames never interleave.
//
// Reading: on Linux, when the server keeps hijacked connections (app/api
// sets fasthttp's KeepHijackedConns), an idle websocket viewer costs no
// goroutine at all: once joined it is handed to the process's poller,
// one goroutine woken by epoll when a client sends something, which
// parses client frames with clientReader (pings answered through the
// viewer's writers, a close ends it) and ends viewers whose read
// deadline passed; the handshake's goroutine returns, releasing its
// stack and fasthttp's request context. Elsewhere each websocket viewer
// has a goroutine reading its socket.
// Lock order: Hub.mu → eventState.mu → viewer.mu; no socket is written
// under Hub.mu or eventState.mu, and no lock is held across a blocking
// call.
package realtime
