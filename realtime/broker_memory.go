package realtime

import (
	"context"
	"maps"
	"sync"
	"time"
)

// memoryQueue is how many messages a MemoryBroker buffers per listening
// node; beyond it messages are dropped, as pub/sub would drop them, and
// the hub recovers them from the log.
const memoryQueue = 4096

// MemoryBroker is an in-process Broker: the single-node default, and a
// cluster of several Hubs in one process when they share it (tests use
// that). Each listening node gets its own queue and goroutine, so one
// node never runs inside another's publish. Safe for concurrent use; the
// zero value is not usable, call NewMemoryBroker.
type MemoryBroker struct {
	mu        sync.Mutex
	listeners map[*memListener]struct{}
	presence  map[string]map[string]memPresence // slug → node → counts
	now       func() time.Time
}

var _ Broker = (*MemoryBroker)(nil)

type memListener struct {
	slugs map[string]bool // guarded by MemoryBroker.mu
	ch    chan memMessage
}

type memMessage struct {
	slug    string
	payload []byte
}

type memPresence struct {
	counts  map[string]int
	expires time.Time
}

// NewMemoryBroker returns an empty in-process broker.
func NewMemoryBroker() *MemoryBroker {
	return &MemoryBroker{
		listeners: make(map[*memListener]struct{}),
		presence:  make(map[string]map[string]memPresence),
		now:       time.Now,
	}
}

// Publish queues payload for every node listening on slug; a node whose
// queue is full misses it. It never blocks and never fails.
func (b *MemoryBroker) Publish(_ context.Context, slug string, payload []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ml := range b.listeners {
		if !ml.slugs[slug] {
			continue
		}
		select {
		case ml.ch <- memMessage{slug: slug, payload: payload}:
		default:
		}
	}
	return nil
}

// Listen delivers l's channels until ctx is done. A subscription takes
// effect at once and is reported with HandleSubscribed.
func (b *MemoryBroker) Listen(ctx context.Context, l Listener) error {
	ml := &memListener{slugs: make(map[string]bool), ch: make(chan memMessage, memoryQueue)}
	b.mu.Lock()
	b.listeners[ml] = struct{}{}
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.listeners, ml)
		b.mu.Unlock()
	}()
	b.reconcile(ml, l)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-l.Changed():
			b.reconcile(ml, l)
		case m := <-ml.ch:
			l.HandleMessage(m.slug, m.payload)
		}
	}
}

// reconcile makes ml's subscriptions equal l.Slugs() and reports the new ones.
func (b *MemoryBroker) reconcile(ml *memListener, l Listener) {
	want := l.Slugs()
	var added []string
	b.mu.Lock()
	next := make(map[string]bool, len(want))
	for _, s := range want {
		next[s] = true
		if !ml.slugs[s] {
			added = append(added, s)
		}
	}
	ml.slugs = next
	b.mu.Unlock()
	for _, s := range added {
		l.HandleSubscribed(s)
	}
}

// SetPresence records node's counts for slug until ttl passes.
func (b *MemoryBroker) SetPresence(_ context.Context, slug, node string, counts map[string]int, ttl time.Duration) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	m := b.presence[slug]
	if m == nil {
		m = make(map[string]memPresence)
		b.presence[slug] = m
	}
	m[node] = memPresence{counts: maps.Clone(counts), expires: b.now().Add(ttl)}
	return nil
}

// Presence returns the unexpired counts for slug by node, dropping
// expired ones.
func (b *MemoryBroker) Presence(_ context.Context, slug string) (map[string]map[string]int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	out := make(map[string]map[string]int)
	for node, p := range b.presence[slug] {
		if now.After(p.expires) {
			delete(b.presence[slug], node)
			continue
		}
		out[node] = maps.Clone(p.counts)
	}
	return out, nil
}
