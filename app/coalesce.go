package app

import (
	"context"
	"sync"
	"time"
)

// coalescer runs fn(key) after Notify(key), at most once per interval per
// key, and never twice at once for one key. A Notify while fn runs leads
// to one more run (the trailing update), so the last change is always
// reflected. It keeps no goroutine while idle: runs are timers. Safe for
// concurrent use.
type coalescer struct {
	interval time.Duration
	fn       func(ctx context.Context, key string)
	ctx      context.Context
	cancel   context.CancelFunc

	mu      sync.Mutex
	keys    map[string]*coalesceKey
	stopped bool
	wg      sync.WaitGroup // one per scheduled timer
}

type coalesceKey struct {
	last    time.Time   // start of the last run
	timer   *time.Timer // the scheduled run, if any
	running bool
	dirty   bool // notified while running
}

func newCoalescer(interval time.Duration, fn func(ctx context.Context, key string)) *coalescer {
	ctx, cancel := context.WithCancel(context.Background())
	return &coalescer{interval: interval, fn: fn, ctx: ctx, cancel: cancel, keys: map[string]*coalesceKey{}}
}

// Notify asks for a run of fn(key): at once if the last run started an
// interval ago or more, otherwise when the interval has passed.
func (c *coalescer) Notify(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return
	}
	k := c.keys[key]
	if k == nil {
		k = &coalesceKey{}
		c.keys[key] = k
	}
	switch {
	case k.running:
		k.dirty = true
	case k.timer == nil:
		c.schedule(key, k)
	}
	// A scheduled run reads the state when it fires: nothing to add.
}

// schedule starts k's timer; c.mu is held.
func (c *coalescer) schedule(key string, k *coalesceKey) {
	delay := max(time.Until(k.last.Add(c.interval)), 0)
	c.wg.Add(1)
	k.timer = time.AfterFunc(delay, func() { c.fire(key, k) })
}

func (c *coalescer) fire(key string, k *coalesceKey) {
	defer c.wg.Done()
	c.mu.Lock()
	k.timer = nil
	if c.stopped {
		c.mu.Unlock()
		return
	}
	k.running, k.dirty, k.last = true, false, time.Now()
	c.mu.Unlock()

	c.fn(c.ctx, key)

	c.mu.Lock()
	k.running = false
	if k.dirty && !c.stopped {
		k.dirty = false
		c.schedule(key, k)
	}
	c.mu.Unlock()
}

// Stop drops scheduled runs, cancels the context of a running one and
// waits for it. Notify does nothing afterwards. Stop is idempotent.
func (c *coalescer) Stop() {
	c.mu.Lock()
	c.stopped = true
	for _, k := range c.keys {
		if k.timer != nil && k.timer.Stop() {
			k.timer = nil
			c.wg.Done()
		}
	}
	c.mu.Unlock()
	c.cancel()
	c.wg.Wait()
}
