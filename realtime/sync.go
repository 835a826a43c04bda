package realtime

import (
	"context"
	"time"

	"github.com/hybridcon/hybridcon/app"
)

// fillRing loads the newest RingSize envelopes up to seq into a new
// event's ring, so reconnects after a node restart are served from
// memory. Failures leave the ring empty (reconnects then use the log).
func (h *Hub) fillRing(ctx context.Context, ev *eventState, seq int64) {
	from := max(0, seq-int64(h.cfg.RingSize))
	var frames []*frame
	for cur := from; cur < seq; {
		envs, err := h.src.Since(ctx, ev.slug, cur, int(min(seq-cur, logPage)))
		if err != nil {
			h.log.Warn("realtime: cannot preload ring", "event", ev.slug, "err", err)
			return
		}
		if len(envs) == 0 {
			break
		}
		for _, env := range envs {
			if env.Seq != cur+1 {
				return
			}
			if env.Epoch == "" {
				env.Epoch = ev.epoch
			}
			f, err := encodeEnvelope(env, kindDurable)
			if err != nil || f.epoch != ev.epoch {
				return
			}
			frames = append(frames, f)
			cur = env.Seq
		}
	}
	if len(frames) == 0 || frames[len(frames)-1].seq < seq {
		return
	}
	ev.ring.reset(from)
	for _, f := range frames {
		ev.ring.push(f)
	}
}

// worker syncs scheduled events with the log, one sync per event at a time.
func (h *Hub) worker(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-h.work:
			ev.mu.Lock()
			ev.syncQueued = false
			if ev.syncRunning {
				ev.syncAgain = true
				ev.mu.Unlock()
				continue
			}
			ev.syncRunning = true
			why := ev.why
			ev.why = trigNone
			ev.mu.Unlock()

			h.syncEvent(ctx, ev, why)

			ev.mu.Lock()
			ev.syncRunning = false
			if ev.syncAgain {
				ev.syncAgain = false
				ev.scheduleLocked(trigNone) // keeps the why recorded meanwhile
			}
			ev.mu.Unlock()
		}
	}
}

// syncEvent compares the event with the log and fetches what is missing:
// it fills gaps, catches up after a lost or silently dead subscription,
// and resets the event to a snapshot when the epoch changed or the node
// is more than MaxLogCatchUp behind. why is what scheduled it, for the
// catch-up metrics.
func (h *Hub) syncEvent(runCtx context.Context, ev *eventState, why trigger) {
	ctx, cancel := context.WithTimeout(runCtx, fetchTimeout)
	defer cancel()
	retry := func(err error) {
		if runCtx.Err() != nil {
			return // shutting down
		}
		if app.ErrorCode(err) == app.ENotFound {
			h.log.Info("realtime: event is gone", "event", ev.slug)
		} else {
			h.warn("realtime: cannot read the live log; retrying", "event", ev.slug, "err", err)
		}
		ev.mu.Lock()
		if len(ev.pending) > 0 {
			ev.armGapLocked(max(h.cfg.HoldBack, 500*time.Millisecond))
		}
		ev.mu.Unlock()
	}
	seq, epoch, err := h.src.LastSeq(ctx, ev.slug)
	if err != nil {
		retry(err)
		return
	}
	ev.mu.Lock()
	cur, d := ev.epoch, ev.delivered
	hadGap := len(ev.pending) > 0
	ev.mu.Unlock()
	if seq > d || epoch != cur {
		h.m.catchUps[why].Add(1)
	}
	recovered := 0
	defer func() {
		if recovered > 0 {
			h.m.logRecovered.Add(float64(recovered))
			if hadGap {
				h.m.gapsFilled.Add(1)
			}
		}
	}()
	if epoch != cur || seq-d > int64(h.cfg.MaxLogCatchUp) {
		f, err := h.buildSnapshot(ctx, ev, nil)
		if err != nil {
			retry(err)
			return
		}
		ev.mu.Lock()
		if f.epoch != ev.epoch || f.seq > ev.delivered+int64(h.cfg.MaxLogCatchUp) {
			ev.applySnapshotLocked(f)
		}
		cur, d = ev.epoch, ev.delivered
		ev.unlockAndFanOut()
		if cur != epoch {
			return
		}
	}
	for d < seq {
		envs, err := h.src.Since(ctx, ev.slug, d, int(min(seq-d, logPage)))
		if err != nil {
			retry(err)
			return
		}
		frames := make([]*frame, 0, len(envs))
		for _, env := range envs {
			if env.Epoch == "" {
				env.Epoch = epoch
			}
			f, err := encodeEnvelope(env, kindDurable)
			if err != nil {
				h.log.Error("realtime: log envelope", "event", ev.slug, "err", err)
				return
			}
			frames = append(frames, f)
		}
		ev.mu.Lock()
		for _, f := range frames {
			if f.seq > ev.delivered && f.epoch == ev.epoch && ev.pending[f.seq] == nil {
				recovered++ // neither delivered nor waiting: the broker lost it
			}
			ev.offerLocked(f)
		}
		nd := ev.delivered
		ev.unlockAndFanOut()
		if nd <= d {
			break // no progress: the log disagrees with itself; the next sync retries
		}
		d = nd
	}
	ev.mu.Lock()
	if len(ev.pending) > 0 {
		ev.armGapLocked(max(h.cfg.HoldBack, 500*time.Millisecond))
	}
	ev.mu.Unlock()
}

// buildSnapshot asks the Source for a fresh snapshot, once for all
// concurrent callers, and caches it. With reuse, the cached snapshot that
// reuse accepts — cached by a build that ended between the caller's look
// at the cache and this call — is returned instead of building again, so
// a storm of joiners costs one build; the log sync (reuse nil) always
// builds, since it needs the log's state, not the node's.
func (h *Hub) buildSnapshot(ctx context.Context, ev *eventState, reuse func() *frame) (*frame, error) {
	key := "snap:" + ev.slug
	if reuse == nil {
		key = "snap-sync:" + ev.slug
	}
	v, err, _ := h.sf.Do(key, func() (any, error) {
		if reuse != nil {
			if f := reuse(); f != nil {
				return f, nil
			}
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fetchTimeout)
		defer cancel()
		env, err := h.src.Snapshot(ctx, ev.slug)
		if err != nil {
			return nil, err
		}
		env.Type, env.Event = app.TypeSnapshot, ev.slug
		f, err := encodeEnvelope(env, kindSnapshot)
		if err != nil {
			return nil, err
		}
		ev.mu.Lock()
		ev.cacheSnapshotLocked(f)
		ev.mu.Unlock()
		return f, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*frame), nil
}
