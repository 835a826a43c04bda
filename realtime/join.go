package realtime

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/hybridcon/hybridcon/app"
)

// connParams are a connection's query parameters, validated.
type connParams struct {
	slug     string
	region   string
	lang     string // validated, not used by the hub: envelopes carry every language
	since    int64
	hasSince bool // since and epoch both given: resume instead of snapshot
	epoch    string
	slot     *addrSlot // the viewer's per-address slot (websocket: taken before the upgrade)
	deflate  bool      // websocket: permessage-deflate was agreed
	keep     bool      // websocket: the server leaves the hijacked connection open when the handler returns
	handback *handback // websocket taken by Hub.Handshakes: closed through it, not directly
	bell     bool      // bell=1: the page wants the "transfer" bell (see frame.bellOnly)
}

// maxSlug and maxEpoch bound what a client may send.
const (
	maxSlug  = 100
	maxEpoch = 128
)

// parseParams reads slug, since, epoch, region, lang and bell. For SSE a
// Last-Event-ID header takes the place of since. A since without epoch
// cannot be trusted (seqs restart with a new epoch) and gets a snapshot.
func (h *Hub) parseParams(c *fiber.Ctx, sse bool) (connParams, error) {
	return h.parseQuery(utils.CopyString(c.Params("slug")), c, sse)
}

// parseQuery is parseParams for a slug taken from the path already.
func (h *Hub) parseQuery(slug string, c *fiber.Ctx, sse bool) (connParams, error) {
	p := connParams{slug: slug}
	if !app.ValidSlug(p.slug) {
		return p, app.Errorf(app.ENotFound, "no event %q", p.slug)
	}
	since := c.Query("since")
	if sse {
		if id := c.Get("Last-Event-ID"); id != "" {
			since = id
		}
	}
	if since != "" {
		n, err := strconv.ParseInt(since, 10, 64)
		if err != nil || n < 0 {
			return p, app.Errorf(app.EBadRequest, "since must be a non-negative integer")
		}
		p.since = n
	}
	p.epoch = utils.CopyString(c.Query("epoch"))
	if len(p.epoch) > maxEpoch {
		return p, app.Errorf(app.EBadRequest, "epoch is too long")
	}
	p.hasSince = since != "" && p.epoch != ""
	p.region = c.Query("region")
	if p.region == "" {
		p.region = h.cfg.Region
	}
	if !slices.Contains(h.regions, p.region) {
		return p, app.Errorf(app.EBadRequest, "unknown region %q; known: %s", p.region, strings.Join(h.regions, ", "))
	}
	p.region = utils.CopyString(p.region)
	switch p.lang = c.Query("lang"); p.lang {
	case "":
		p.lang = "en"
	case "zh", "en", "hu":
		p.lang = utils.CopyString(p.lang)
	default:
		return p, app.Errorf(app.EBadRequest, "lang must be zh, en or hu")
	}
	switch c.Query("bell") {
	case "", "0":
	case "1":
		p.bell = true
	default:
		return p, app.Errorf(app.EBadRequest, "bell must be 1 or 0")
	}
	return p, nil
}

// originAllowed applies HubConfig.Origins to a handshake.
func (h *Hub) originAllowed(c *fiber.Ctx) bool { return h.cfg.Origins.Allows(c) }

// publicErr passes app errors (not found, …) through and turns anything
// else (the database did not answer) into 503 with a safe message.
func (h *Hub) publicErr(slug string, err error) error {
	var ae *app.Error
	if errors.As(err, &ae) {
		return ae
	}
	h.log.Warn("realtime: cannot open live updates", "event", slug, "err", err)
	return app.Errorf(app.EUnavailable, "live updates are unavailable right now; retry shortly")
}

// errShuttingDown refuses viewers once Shutdown began.
var errShuttingDown = errors.New("realtime: shutting down")

// join registers v for the event and queues its first frames: the
// envelopes it missed (from the ring, else from the log) when since and
// epoch can be served, otherwise a snapshot. Registration happens under
// the event's lock together with computing the backlog, so nothing is
// lost or duplicated between the backlog and live delivery; the backlog
// is sent once the lock is released (viewer.begin).
func (h *Hub) join(ctx context.Context, slug string, v *viewer, p connParams) error {
	for range 3 {
		ev, err := h.event(ctx, slug)
		if err != nil {
			return err
		}
		ok, err := h.tryJoin(ctx, ev, v, p)
		if ok && err == nil {
			v.begin() // the first frames, outside the event's lock
		}
		if err != nil || ok {
			return err
		}
	}
	return fmt.Errorf("realtime: %s changed too fast to join", slug)
}

// tryJoin makes one attempt; ok false means "look up the event and try
// again" (it was dropped or moved on while we fetched).
func (h *Hub) tryJoin(ctx context.Context, ev *eventState, v *viewer, p connParams) (ok bool, err error) {
	if p.hasSince {
		ok, err := h.tryResume(ctx, ev, v, p)
		if err != nil || ok {
			return ok, err
		}
	}
	f, err := h.snapshotForJoin(ctx, ev)
	if err != nil {
		return false, err
	}
	ev.mu.Lock()
	ok, err = h.joinSnapshotLocked(ev, v, p, f)
	run := !ev.fanning && len(ev.passes) > 0
	if run {
		ev.fanning = true
	}
	ev.mu.Unlock()
	if run {
		// Adopting a new epoch queued the other viewers' reset: a
		// goroutine of its own runs it, not this viewer's join.
		go ev.runPasses()
	}
	return ok, err
}

// joinSnapshotLocked registers v with snapshot f and the ring frames
// after it; ok false means the ring moved past f (or the event was
// dropped): try again.
func (h *Hub) joinSnapshotLocked(ev *eventState, v *viewer, p connParams, f *frame) (ok bool, err error) {
	if ev.dead {
		return false, nil
	}
	if h.closed.Load() {
		return false, errShuttingDown
	}
	if f.epoch != ev.epoch {
		// The log has a new epoch this node has not seen yet: adopt it.
		ev.applySnapshotLocked(f)
	}
	switch {
	case f.seq >= ev.delivered:
		ev.addLocked(v, []*frame{f}, f.seq)
		if f.seq > ev.delivered {
			ev.scheduleLocked(trigJoin) // this node is behind the log
		}
	case ev.ring.covers(f.seq):
		ev.addLocked(v, append([]*frame{f}, ev.ring.after(f.seq)...), f.seq)
	default:
		return false, nil // the ring moved past the snapshot; the next try rebuilds it
	}
	if p.hasSince {
		h.m.recSnapshot.Add(1) // asked to resume, could not
	}
	return true, nil
}

// tryResume serves a reconnect with since and epoch without a snapshot
// when it can: ok false means "send a snapshot".
func (h *Hub) tryResume(ctx context.Context, ev *eventState, v *viewer, p connParams) (ok bool, err error) {
	ev.mu.Lock()
	if ev.dead || p.epoch != ev.epoch {
		ev.mu.Unlock()
		return false, nil
	}
	if h.closed.Load() {
		ev.mu.Unlock()
		return false, errShuttingDown
	}
	d := ev.delivered
	switch {
	case ev.ring.covers(p.since):
		backlog := ev.ring.after(p.since)
		if h.fits(backlog) {
			ev.addLocked(v, backlog, p.since)
			ev.mu.Unlock()
			h.m.recRing.Add(1)
			return true, nil
		}
		ev.mu.Unlock()
		return false, nil
	case p.since > d:
		// The client saw more than this node has delivered: believe it
		// if the log agrees, and skip what it has.
		ev.mu.Unlock()
		last, epoch, err := h.src.LastSeq(ctx, ev.slug)
		if err != nil {
			return false, err
		}
		if epoch != p.epoch || p.since > last {
			return false, nil
		}
		ev.mu.Lock()
		defer ev.mu.Unlock()
		if ev.dead || ev.epoch != p.epoch || h.closed.Load() {
			return false, nil
		}
		// The lock was released for the log: the node may have delivered
		// past since meanwhile, and v must get those envelopes too.
		var backlog []*frame
		if ev.delivered > p.since {
			if !ev.ring.covers(p.since) {
				return false, nil
			}
			if backlog = ev.ring.after(p.since); !h.fits(backlog) {
				return false, nil
			}
		}
		ev.addLocked(v, backlog, p.since)
		ev.scheduleLocked(trigJoin)
		h.m.recRing.Add(1) // nothing to replay: the node's own catch-up brings the rest
		return true, nil
	case d-p.since > int64(h.cfg.MaxLogCatchUp):
		ev.mu.Unlock()
		return false, nil
	}
	ev.mu.Unlock()

	frames, err := h.fetchSince(ctx, ev, p.since, p.epoch)
	if err != nil {
		return false, err
	}
	last := p.since + int64(len(frames))
	ev.mu.Lock()
	defer ev.mu.Unlock()
	if ev.dead || ev.epoch != p.epoch || h.closed.Load() {
		return false, nil
	}
	backlog := slices.Clip(frames) // shared with other joiners: never append in place
	switch {
	case last >= ev.delivered:
		// Nothing newer in memory; if the log was ahead of this node,
		// live frames up to last are skipped for v.
		if last > ev.delivered {
			ev.scheduleLocked(trigJoin)
		}
	case ev.ring.covers(last):
		backlog = append(backlog, ev.ring.after(last)...)
	default:
		return false, nil
	}
	if !h.fits(backlog) {
		return false, nil
	}
	ev.addLocked(v, backlog, last)
	if len(frames) > 0 {
		h.m.recLog.Add(1)
	} else {
		h.m.recRing.Add(1)
	}
	return true, nil
}

// fits reports whether a backlog is small enough to send instead of a
// snapshot: half the queue bound, so live frames still fit behind it.
func (h *Hub) fits(backlog []*frame) bool {
	n := 0
	for _, f := range backlog {
		n += f.size()
	}
	return n <= h.cfg.MaxQueueBytes/2
}

// fetchSince reads the envelopes after since from the log up to where
// the ring starts (or D), once for all viewers resuming from the same
// point. The frames returned are consecutive from since+1.
func (h *Hub) fetchSince(ctx context.Context, ev *eventState, since int64, epoch string) ([]*frame, error) {
	key := "since:" + ev.slug + "\x00" + epoch + "\x00" + strconv.FormatInt(since, 10)
	v, err, _ := h.sf.Do(key, func() (any, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fetchTimeout)
		defer cancel()
		ev.mu.Lock()
		target := max(ev.ring.base, since) // the ring has the rest (base is D when it is empty)
		ev.mu.Unlock()
		var frames []*frame
		for cur := since; cur < target; {
			envs, err := h.src.Since(ctx, ev.slug, cur, int(min(target-cur, logPage)))
			if err != nil {
				return nil, err
			}
			if len(envs) == 0 {
				break
			}
			for _, env := range envs {
				if env.Epoch == "" {
					env.Epoch = epoch
				}
				if env.Seq != cur+1 || env.Epoch != epoch {
					return frames, nil
				}
				f, err := encodeEnvelope(env, kindDurable)
				if err != nil {
					return nil, err
				}
				frames = append(frames, f)
				cur = env.Seq
			}
		}
		return frames, nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]*frame), nil
}

// snapshotForJoin returns the cached snapshot if it can start a viewer
// now, else builds a fresh one (once for all concurrent joiners).
func (h *Hub) snapshotForJoin(ctx context.Context, ev *eventState) (*frame, error) {
	if f := ev.usableSnapshot(); f != nil {
		return f, nil
	}
	return h.buildSnapshot(ctx, ev, ev.usableSnapshot)
}
