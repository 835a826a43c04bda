package realtime

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/fasthttp/websocket"
	"github.com/hybridcon/hybridcon/app"
)

// frameKind tells the writers what a queued frame is.
type frameKind uint8

const (
	kindDurable   frameKind = iota // a log envelope, seq ≥ 1
	kindVolatile                   // seq 0, latest value wins
	kindSnapshot                   // full state; seq is the last seq it includes
	kindPing                       // websocket ping (no payload)
	kindHeartbeat                  // SSE comment line (no payload)
	kindControl                    // websocket pong or close reply (wire only)
	kindPartial                    // websocket: the unwritten tail of a frame begun on the wire
)

// frame is one envelope encoded once and shared, read-only, by every
// viewer queue it is put on.
type frame struct {
	seq   int64
	epoch string
	typ   string
	kind  frameKind
	json  []byte // the envelope as JSON, one line
	wire  []byte // the same bytes as a websocket text frame (server frames are unmasked)
	// deflated is the same message as a compressed websocket frame
	// (permessage-deflate, RFC 7692, no context takeover: it stands
	// alone), for viewers that negotiated compression; nil when not worth
	// it. Only snapshots carry one: they are large and go to each new
	// viewer, while broadcasts are small and go out as they are.
	deflated []byte
	// bellOnly: a volatile frame for the viewers that asked for it (bell=1)
	// and no one else: the "transfer" bell, which tells the participant,
	// team and organizer pages to read their own lists again and carries
	// nothing for anyone else.
	bellOnly bool
}

// Markers queued instead of data.
var (
	pingFrame      = &frame{kind: kindPing, wire: wsFrame(websocket.PingMessage, nil)}
	heartbeatFrame = &frame{kind: kindHeartbeat}
)

// wsFrame encodes one unfragmented, unmasked websocket frame (RFC 6455
// §5.2) as a server sends it.
func wsFrame(opcode int, payload []byte) []byte {
	return appendWSFrame(make([]byte, 0, 10+len(payload)), opcode, payload)
}

// appendWSFrame appends the frame wsFrame encodes to b.
func appendWSFrame[P []byte | string](b []byte, opcode int, payload P) []byte {
	n := len(payload)
	head := byte(0x80 | opcode) // FIN
	switch {
	case n < 126:
		b = append(b, head, byte(n))
	case n <= 0xffff:
		b = append(b, head, 126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, head, 127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	return append(b, payload...)
}

// size is what the frame counts against a viewer's MaxQueueBytes:
// envelope bytes for data, the whole frame for pings, pongs and the tail
// of a frame begun on the wire (an SSE heartbeat has no wire bytes).
func (f *frame) size() int {
	if len(f.json) > 0 {
		return len(f.json)
	}
	return len(f.wire)
}

// encodeEnvelope encodes env once into a frame of the given kind.
func encodeEnvelope(env app.Envelope, kind frameKind) (*frame, error) {
	if len(env.Data) == 0 {
		env.Data = json.RawMessage("null")
	}
	b, err := json.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("realtime: encode %s envelope of %q: %w", env.Type, env.Event, err)
	}
	return newFrame(env.Seq, env.Epoch, env.Type, kind, b)
}

// newFrame wraps already-encoded envelope JSON (copied into the frame).
func newFrame(seq int64, epoch, typ string, kind frameKind, b []byte) (*frame, error) {
	wire := wsFrame(websocket.TextMessage, b)
	// json shares wire's bytes: one copy per frame, however many queues.
	f := &frame{seq: seq, epoch: epoch, typ: typ, kind: kind, json: wire[len(wire)-len(b):], wire: wire,
		bellOnly: kind == kindVolatile && typ == app.TypeTransfer}
	if kind == kindSnapshot && len(b) >= minDeflate {
		f.deflated = deflateFrame(b)
	}
	return f, nil
}

// minDeflate is the smallest snapshot worth compressing.
const minDeflate = 1 << 10

// deflateFrame encodes payload as one compressed text frame: RSV1 set,
// the payload deflated on its own (a fresh compressor, so no context is
// taken over) and the final empty stored block's 00 00 ff ff removed
// (RFC 7692 §7.2.1). It returns nil if compression does not shrink it.
func deflateFrame(payload []byte) []byte {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.DefaultCompression) // the level is valid
	_, _ = w.Write(payload)
	_ = w.Flush() // a sync flush ends on 00 00 ff ff
	c := bytes.TrimSuffix(buf.Bytes(), []byte{0, 0, 0xff, 0xff})
	if len(c) >= len(payload) {
		return nil
	}
	out := appendWSFrame(make([]byte, 0, 10+len(c)), websocket.TextMessage, c)
	out[0] |= 0x40 // RSV1: compressed
	return out
}

// wireFor is what goes on the socket for f: the compressed frame when the
// viewer negotiated compression and f has one.
func (f *frame) wireFor(deflate bool) []byte {
	if deflate && f.deflated != nil {
		return f.deflated
	}
	return f.wire
}

// envelopeHead is the part of an encoded envelope the hub routes on.
type envelopeHead struct {
	Seq   int64  `json:"seq"`
	Epoch string `json:"epoch"`
	Type  string `json:"type"`
	Event string `json:"event"`
}

// decodeFrame builds a frame from envelope JSON received from the broker,
// copying b.
func decodeFrame(b []byte, kind frameKind) (*frame, string, error) {
	var h envelopeHead
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, "", fmt.Errorf("realtime: bad envelope from broker: %w", err)
	}
	if kind == kindDurable && h.Seq < 1 {
		return nil, "", fmt.Errorf("realtime: durable envelope without seq from broker")
	}
	f, err := newFrame(h.Seq, h.Epoch, h.Type, kind, b)
	return f, h.Event, err
}

// ring keeps the most recent durable frames of one event: seqs base+1 …
// base+n, consecutive. When empty, base is the event's delivered seq.
type ring struct {
	buf   []*frame // circular once it has grown to capacity
	start int      // index of the oldest frame
	n     int
	base  int64
	limit int
}

func newRing(limit int, base int64) ring { return ring{limit: limit, base: base} }

// last is the newest seq held (base when empty).
func (r *ring) last() int64 { return r.base + int64(r.n) }

// reset empties the ring at base.
func (r *ring) reset(base int64) {
	clear(r.buf)
	r.buf, r.start, r.n, r.base = r.buf[:0], 0, 0, base
}

// push appends f, which must be seq last()+1, dropping the oldest frame
// when full.
func (r *ring) push(f *frame) {
	if f.seq != r.last()+1 {
		r.reset(f.seq - 1)
	}
	if r.n < r.limit { // still growing: start is 0 and len(buf) == n
		r.buf = append(r.buf, f)
		r.n++
		return
	}
	r.buf[r.start] = f
	r.start = (r.start + 1) % r.limit
	r.base++
}

// covers reports whether the ring holds every frame after since up to
// last(), i.e. since is within [base, last()].
func (r *ring) covers(since int64) bool { return since >= r.base && since <= r.last() }

// after returns the frames with seq > since; covers(since) must hold.
func (r *ring) after(since int64) []*frame {
	k := int(r.last() - since)
	out := make([]*frame, 0, k)
	for i := r.n - k; i < r.n; i++ {
		out = append(out, r.buf[(r.start+i)%len(r.buf)])
	}
	return out
}
