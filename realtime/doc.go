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
// Concurrency model. Per event, one mutex orders deliveries; a delivery
// only appends a shared, once-encoded frame to each viewer's queue (bounded
// in bytes) and never writes to a socket. Each connection has at most one
// writer goroutine at a time, started when its queue becomes non-empty and
// ending when it is drained, so an idle viewer costs no goroutine beyond
// the one reading its socket. Lock order: Hub.mu → eventState.mu →
// viewer.mu; nothing blocks while holding any of them.
package realtime
