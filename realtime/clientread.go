package realtime

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"io"
	"sync"
	"unicode/utf8"

	"github.com/fasthttp/websocket"
)

// clientReader parses what a websocket client sends, fed in whatever
// pieces the socket hands over, for viewers read by the poller (see
// poller) rather than by a goroutine of their own. It holds nothing
// between calls except an unfinished frame or message, so an idle
// viewer costs it no buffer.
//
// It applies the rules serveWS's goroutine reader applies (see
// WebsocketHandler): text frames of at most limit bytes (after
// inflating, when the client compresses), valid UTF-8, no binary
// frames; pings answered, a close ends the reading. What breaks the
// framing itself (an unmasked frame, reserved bits, a bad opcode or
// control frame) closes with 1002 and the rest of the stream is ignored.
type clientReader struct {
	limit   int  // largest text message, bytes
	deflate bool // permessage-deflate was agreed: RSV1 marks a compressed message

	pend    []byte // an unfinished frame, carried to the next feed
	skip    int    // payload bytes still to ignore (a refused frame's rest)
	inMsg   bool   // a fragmented text message is under way
	ignore  bool   // ... and is refused already: its fragments are skipped
	msgDefl bool   // ... compressed
	msg     []byte // ... its payload so far (kept only when fragmented or compressed)
	broken  bool   // the framing failed: nothing more is parsed
}

// clientEvents receives what clientReader finds. ping returns false when
// the viewer is closed and reading should stop.
type clientEvents interface {
	ping(payload []byte) bool
	clientClose(code int)
	refuse(code int, reason string)
}

// feed parses b (which it may modify: payloads are unmasked in place)
// and reports whether reading should stop: the client closed, or a ping
// found the viewer closed.
func (r *clientReader) feed(b []byte, ev clientEvents) (stop bool) {
	if r.broken {
		return false
	}
	if len(r.pend) > 0 {
		r.pend = append(r.pend, b...)
		b = r.pend
	}
	for len(b) > 0 {
		if r.skip > 0 {
			n := min(r.skip, len(b))
			r.skip -= n
			b = b[n:]
			continue
		}
		n, stop := r.frame(b, ev)
		if stop || r.broken {
			r.pend = nil
			return stop
		}
		if n == 0 { // incomplete: keep it for the next feed
			break
		}
		b = b[n:]
	}
	switch {
	case len(b) == 0:
		r.pend = nil
	case len(r.pend) > 0 && &b[0] == &r.pend[0]:
		// still the same unfinished frame
	default:
		r.pend = append(r.pend[:0], b...) // copy: b may be the poller's shared buffer
	}
	return false
}

// Frame header bits (RFC 6455 §5.2).
const (
	finBit  = 0x80
	rsv1Bit = 0x40
	rsvBits = 0x70
	maskBit = 0x80
)

// frame handles the frame at the start of b and returns its length, or
// 0 when b does not hold all of it yet. A data frame larger than the
// limit is refused from its header alone and its payload skipped.
func (r *clientReader) frame(b []byte, ev clientEvents) (n int, stop bool) {
	if len(b) < 2 {
		return 0, false
	}
	fin, rsv, op := b[0]&finBit != 0, b[0]&rsvBits, int(b[0]&0x0f)
	if b[1]&maskBit == 0 {
		return r.fail(ev, "client frames must be masked")
	}
	size, hlen := uint64(b[1]&0x7f), 2
	switch size {
	case 126:
		if len(b) < 4 {
			return 0, false
		}
		size, hlen = uint64(binary.BigEndian.Uint16(b[2:])), 4
	case 127:
		if len(b) < 10 {
			return 0, false
		}
		size, hlen = binary.BigEndian.Uint64(b[2:]), 10
		if size > 1<<62 {
			return r.fail(ev, "frame length out of range")
		}
	}
	hlen += 4 // the mask
	if len(b) < hlen {
		return 0, false
	}
	control := op >= 8
	switch {
	case op != 0 && op != 1 && op != 2 && op != 8 && op != 9 && op != 10:
		return r.fail(ev, "unknown opcode")
	case control && (!fin || size > 125):
		return r.fail(ev, "bad control frame")
	case rsv&^rsv1Bit != 0 || rsv != 0 && (control || op == 0 || !r.deflate):
		return r.fail(ev, "reserved bits set")
	case op == 0 && !r.inMsg:
		return r.fail(ev, "continuation without a message")
	case (op == 1 || op == 2) && r.inMsg:
		return r.fail(ev, "new message inside a fragmented one")
	}
	// A compressed message may be a little larger than what it inflates
	// to (stored blocks); the limit applies to the inflated text, checked
	// at its end, so its frames get room for that.
	limit := r.limit
	if op == 1 && rsv&rsv1Bit != 0 || op == 0 && r.msgDefl {
		limit += r.limit/16 + 64
	}
	if !control && (op == 2 || r.ignore || size > uint64(limit) || len(r.msg)+int(size) > limit) {
		// Refused without reading the payload: a binary frame, one too
		// large, or a fragment of a message refused already.
		switch {
		case r.ignore:
		case op == 2:
			ev.refuse(CloseUnsupportedData, "binary frames are not supported")
		default:
			ev.refuse(CloseMessageTooBig, "frame too large")
		}
		r.inMsg, r.ignore, r.msg = !fin, !fin, nil
		if uint64(len(b)) < uint64(hlen)+size {
			r.skip = int(size - uint64(len(b)-hlen))
			return len(b), false
		}
		return hlen + int(size), false
	}
	if uint64(len(b)) < uint64(hlen)+size {
		return 0, false
	}
	end := hlen + int(size)
	p := b[hlen:end]
	unmask(b[hlen-4:hlen], p)
	switch op {
	case 9:
		return end, !ev.ping(p)
	case 10:
		return end, false
	case 8:
		code := websocket.CloseNormalClosure
		switch {
		case len(p) == 1:
			return r.fail(ev, "bad close frame")
		case len(p) >= 2:
			code = int(binary.BigEndian.Uint16(p))
			if !validCloseCode(code) || !utf8.Valid(p[2:]) {
				return r.fail(ev, "bad close code or reason")
			}
		}
		ev.clientClose(code)
		return end, true
	}
	if op == 1 {
		r.msgDefl = rsv&rsv1Bit != 0
	}
	if fin && op == 1 && !r.msgDefl { // the common case: one uncompressed frame
		if !utf8.Valid(p) {
			ev.refuse(CloseInvalidPayload, "text frame is not UTF-8")
		}
		return end, false
	}
	r.msg = append(r.msg, p...)
	r.inMsg = !fin
	if fin {
		r.finish(ev)
	}
	return end, false
}

// validCloseCode reports whether a client may send code in a close
// frame (RFC 6455 §7.4: 1004–1006 and 1015 are never sent, and nothing
// below 1000 or from 1016 to 2999).
func validCloseCode(code int) bool {
	switch {
	case code >= 3000 && code <= 4999:
		return true
	case code < 1000 || code > 1014:
		return false
	}
	return code < 1004 || code > 1006
}

// finish checks a message that came in fragments or compressed.
func (r *clientReader) finish(ev clientEvents) {
	msg, defl := r.msg, r.msgDefl
	r.msg, r.msgDefl = nil, false
	if !defl {
		if !utf8.Valid(msg) {
			ev.refuse(CloseInvalidPayload, "text frame is not UTF-8")
		}
		return
	}
	n, valid, err := inflateUTF8(msg, int64(r.limit)+1)
	switch {
	case err != nil:
		ev.refuse(CloseInvalidPayload, "compressed frame does not inflate")
	case n > int64(r.limit):
		ev.refuse(CloseMessageTooBig, "frame too large")
	case !valid:
		ev.refuse(CloseInvalidPayload, "text frame is not UTF-8")
	}
}

// fail refuses a stream whose framing broke: 1002, and nothing after it
// is parsed.
func (r *clientReader) fail(ev clientEvents, reason string) (int, bool) {
	r.broken = true
	r.pend, r.msg = nil, nil
	ev.refuse(websocket.CloseProtocolError, reason)
	return 0, false
}

// unmask applies a client frame's 4-byte mask to p in place.
func unmask(key, p []byte) {
	for i := range p {
		p[i] ^= key[i&3]
	}
}

// deflateTail ends a permessage-deflate message for the inflater: the
// four bytes the sender removed (RFC 7692 §7.2.2), then an empty final
// stored block so the reader sees a clean end.
var deflateTail = []byte{0x00, 0x00, 0xff, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff}

var inflaters sync.Pool // of io.ReadCloser from flate.NewReader

// inflateUTF8 inflates a compressed message, reading at most max bytes
// of it, and reports how many it read and whether they are UTF-8.
func inflateUTF8(msg []byte, max int64) (n int64, valid bool, err error) {
	src := io.MultiReader(bytes.NewReader(msg), bytes.NewReader(deflateTail))
	fr, _ := inflaters.Get().(io.ReadCloser)
	if fr == nil {
		fr = flate.NewReader(src)
	} else if err := fr.(flate.Resetter).Reset(src, nil); err != nil {
		return 0, false, err
	}
	defer inflaters.Put(fr)
	return readUTF8(io.LimitReader(fr, max))
}
