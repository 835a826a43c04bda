package realtime

import (
	"context"
	"encoding/json"
	"maps"
	"time"

	"github.com/hybridcon/hybridcon/app"
)

// volKey names one volatile value: latest wins per event and type.
type volKey struct{ slug, typ string }

// volEntry is the latest value of a volatile key since the last flush.
type volEntry struct {
	data    json.RawMessage // set by PublishVolatile here: encode, publish, deliver
	dataAt  time.Time
	relay   *frame // from another node (or presence, computed here): deliver only
	relayAt time.Time
}

// PublishVolatile implements app.Publisher: it records data as the latest
// value of type typ for the event. VolatileInterval after the first value
// since the last flush, the values that changed are encoded once (seq 0,
// the event's epoch) and sent to this node's viewers and, through the
// broker, to the other nodes; calls in between coalesce, the last one
// wins. data is encoded at once, so the
// caller may reuse it.
func (h *Hub) PublishVolatile(_ context.Context, slug, typ string, data any) {
	b, err := json.Marshal(data)
	if err != nil {
		h.log.Error("realtime: volatile data", "event", slug, "type", typ, "err", err)
		return
	}
	h.volMu.Lock()
	defer h.volMu.Unlock()
	e := h.volEntry(volKey{slug, typ})
	e.data, e.dataAt = b, time.Now()
}

// relayVolatile records a volatile frame to deliver locally at the next
// flush without publishing it.
func (h *Hub) relayVolatile(slug string, f *frame) {
	h.volMu.Lock()
	defer h.volMu.Unlock()
	e := h.volEntry(volKey{slug, f.typ})
	e.relay, e.relayAt = f, time.Now()
}

// volEntry returns k's entry, creating it; the first entry since a flush
// arms the flush. Called with volMu held.
func (h *Hub) volEntry(k volKey) *volEntry {
	e := h.vol[k]
	if e == nil {
		if len(h.vol) == 0 {
			select {
			case h.volKick <- struct{}{}:
			default: // armed already
			}
		}
		e = &volEntry{}
		h.vol[k] = e
	}
	return e
}

// flushVolatile sends at most one frame per event and type: the newest
// of the local and relayed values.
func (h *Hub) flushVolatile() {
	h.volMu.Lock()
	if len(h.vol) == 0 {
		h.volMu.Unlock()
		return
	}
	batch := h.vol
	h.vol = make(map[volKey]*volEntry)
	h.volMu.Unlock()

	now := time.Now().UTC()
	for k, e := range batch {
		ev := h.lookup(k.slug)
		deliver := e.relay
		if e.data != nil {
			epoch := ""
			if ev != nil {
				ev.mu.Lock()
				epoch = ev.epoch
				ev.mu.Unlock()
			}
			f, err := encodeEnvelope(app.Envelope{Epoch: epoch, Type: k.typ, At: now, Event: k.slug, Data: e.data}, kindVolatile)
			if err != nil {
				h.log.Error("realtime: volatile", "err", err)
				continue
			}
			h.send(k.slug, encodePayload(payloadVolatile, h.cfg.NodeID, f.json))
			if deliver == nil || !e.relayAt.After(e.dataAt) {
				deliver = f
			}
		}
		if ev != nil && deliver != nil {
			ev.mu.Lock()
			ev.broadcastLocked(deliver)
			ev.unlockAndFanOut()
		}
	}
}

// PresenceData is the data of a "presence" volatile message.
type PresenceData struct {
	Total   int            `json:"total"`
	Regions map[string]int `json:"regions"`
}

// Presence returns the event's online viewers by region across every
// node that reported within PresenceTTL (every known region and
// RegionOther is present, possibly 0). Before the first report it counts this node's viewers.
func (h *Hub) Presence(slug string) map[string]int {
	out := make(map[string]int, len(h.regions))
	for _, r := range h.regions {
		out[r] = 0
	}
	ev := h.lookup(slug)
	if ev == nil {
		return out
	}
	ev.mu.Lock()
	defer ev.mu.Unlock()
	src := ev.presence
	if src == nil {
		src = ev.counts
	}
	maps.Copy(out, src)
	return out
}

// presenceLoop reports this node's counts every PresenceInterval and
// recomputes the cluster totals; when they change, viewers get a
// "presence" volatile message (local only: every node computes the same
// totals for its own viewers).
func (h *Hub) presenceLoop(ctx context.Context) {
	t := time.NewTicker(h.cfg.PresenceInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			for _, ev := range h.eventList() {
				if ctx.Err() != nil {
					return
				}
				h.refreshPresence(ctx, ev)
			}
		}
	}
}

func (h *Hub) refreshPresence(ctx context.Context, ev *eventState) {
	ev.mu.Lock()
	counts := maps.Clone(ev.counts)
	ev.mu.Unlock()
	if err := h.b.SetPresence(ctx, ev.slug, h.cfg.NodeID, counts, h.cfg.PresenceTTL); err != nil {
		h.warn("realtime: cannot report presence", "event", ev.slug, "err", err)
	}
	nodes, err := h.b.Presence(ctx, ev.slug)
	if err != nil {
		h.warn("realtime: cannot read presence", "event", ev.slug, "err", err)
		return
	}
	nodes[h.cfg.NodeID] = counts // our own, even if the report failed
	totals := make(map[string]int, len(h.regions))
	for _, r := range h.regions {
		totals[r] = 0
	}
	sum := 0
	for _, c := range nodes {
		for r, n := range c {
			totals[r] += n
			sum += n
		}
	}
	ev.mu.Lock()
	changed := !maps.Equal(ev.presence, totals)
	ev.presence = totals
	epoch := ev.epoch
	ev.mu.Unlock()
	if !changed {
		return
	}
	b, err := json.Marshal(PresenceData{Total: sum, Regions: totals})
	if err != nil {
		return
	}
	f, err := encodeEnvelope(app.Envelope{Epoch: epoch, Type: app.TypePresence, At: time.Now().UTC(), Event: ev.slug, Data: b}, kindVolatile)
	if err == nil {
		h.relayVolatile(ev.slug, f)
	}
}
