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
// work. Per event, eventState.mu orders deliveries: a delivery runs under
// it and hands one shared, once-encoded frame to every viewer. A viewer
// whose socket is idle (nothing queued, no writer) gets the frame at once
// with one non-blocking write(2) from the delivering goroutine, under the
// viewer's mutex; whatever the socket does not take is queued (bounded in
// bytes, pongs and pings included) and the viewer's writer goroutine,
// started then and ending when the queue is drained, finishes it with
// blocking writes, each frame under WriteTimeout. So a delivery does write
// to sockets but never waits on one, and a fan-out to a large audience is
// split among up to GOMAXPROCS goroutines while the event's lock is held:
// joining the event and reading its cached snapshot wait for the fan-out
// pass under way. Deliveries come from the goroutine that delivers this
// node's publishes, the broker's receiver and the log-sync workers. An
// SSE viewer's writer is its stream goroutine. At most one goroutine
// writes to a connection at a time, so frames never interleave; an idle
// websocket viewer costs no goroutine beyond the one reading its socket.
// Lock order: Hub.mu → eventState.mu → viewer.mu; no lock is held across
// a blocking call.
package realtime
