package realtime

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"time"
)

// Broker carries encoded envelopes between the nodes of a cluster (one
// channel per event) and holds each node's presence counts. Delivery is
// at most once: the hub recovers anything lost from the log, so a Broker
// never needs to retry. Implementations are safe for concurrent use.
type Broker interface {
	// Publish sends payload on slug's channel to every node subscribed to
	// it, this one included. When the transport is down it returns an
	// error quickly (within about a second) instead of blocking. The
	// broker must not modify payload; receivers must not either.
	Publish(ctx context.Context, slug string, payload []byte) error
	// Listen runs one node's subscription until ctx is done, then returns
	// nil. It subscribes to the channels of l.Slugs() (again whenever
	// l.Changed() fires), hands messages to l.HandleMessage and reports
	// every confirmed (re)subscription with l.HandleSubscribed, so the hub
	// can catch up from the log. It reconnects by itself after failures.
	Listen(ctx context.Context, l Listener) error
	// SetPresence records node's viewer counts (by region) for slug, valid
	// for ttl unless refreshed.
	SetPresence(ctx context.Context, slug, node string, counts map[string]int, ttl time.Duration) error
	// Presence returns the counts of every node whose report for slug has
	// not expired, by node and region.
	Presence(ctx context.Context, slug string) (map[string]map[string]int, error)
}

// Listener is the node side of Broker.Listen; the Hub implements it. Its
// methods are called from the broker's receiving goroutines (over a Redis
// Cluster one per event, so concurrently) and must not block.
type Listener interface {
	// Slugs returns the events whose channels the node wants now.
	Slugs() []string
	// Changed receives a value when Slugs may have changed.
	Changed() <-chan struct{}
	// HandleMessage receives a payload published on slug's channel. The
	// listener may keep payload; the broker must not reuse it.
	HandleMessage(slug string, payload []byte)
	// HandleSubscribed reports that slug's channel is subscribed, after
	// the first subscription and after every resubscription; anything
	// published before it may have been missed.
	HandleSubscribed(slug string)
}

// Payload framing between hubs: one header line, then the envelope JSON.
// The header is "<kind> <node id> <sent>", kind 'd' for durable envelopes
// and 'v' for volatile ones, sent the sender's clock in Unix nanoseconds
// when it queued the message (for the delivery latency metric); a hub
// ignores its own messages (it already delivered them) and de-duplicates
// durable ones by seq. Node ids contain no whitespace, so a header
// without the sent field (written by an older node) still decodes: its
// latency is not measured.
const (
	payloadDurable  = 'd'
	payloadVolatile = 'v'
)

var errBadPayload = errors.New("realtime: malformed broker payload")

// encodePayload frames envelope JSON for the broker, stamped with now.
func encodePayload(kind byte, node string, envJSON []byte) []byte {
	b := make([]byte, 0, len(node)+24+len(envJSON))
	b = append(b, kind, ' ')
	b = append(b, node...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, time.Now().UnixNano(), 10)
	b = append(b, '\n')
	return append(b, envJSON...)
}

// decodePayload splits a broker payload into its kind, node and envelope.
func decodePayload(p []byte) (kind byte, node string, env []byte, err error) {
	kind, node, _, env, err = splitPayload(p)
	return kind, node, env, err
}

// splitPayload is decodePayload that also returns the sender's Unix
// nanoseconds (0 when the header has none).
func splitPayload(p []byte) (kind byte, node string, sent int64, env []byte, err error) {
	nl := bytes.IndexByte(p, '\n')
	if nl < 2 || p[1] != ' ' || (p[0] != payloadDurable && p[0] != payloadVolatile) {
		return 0, "", 0, nil, errBadPayload
	}
	head := p[2:nl]
	if i := bytes.LastIndexByte(head, ' '); i >= 0 {
		if n, err := strconv.ParseInt(string(head[i+1:]), 10, 64); err == nil {
			head, sent = head[:i], n
		}
	}
	return p[0], string(head), sent, p[nl+1:], nil
}
