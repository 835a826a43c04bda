package realtime

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"math/rand"
	"strings"
	"testing"
)

// clientLog is a clientEvents that writes down what it was told.
type clientLog struct {
	log        []string
	refusePing bool
}

func (r *clientLog) ping(p []byte) bool {
	r.log = append(r.log, "ping "+string(p))
	return !r.refusePing
}
func (r *clientLog) clientClose(code int) { r.log = append(r.log, fmt.Sprint("close ", code)) }
func (r *clientLog) refuse(code int, reason string) {
	r.log = append(r.log, fmt.Sprint("refuse ", code))
}

// maskedFrame builds a masked client frame: first byte b0 (FIN, RSV,
// opcode), payload masked with a fixed key.
func maskedFrame(b0 byte, payload []byte) []byte {
	n := len(payload)
	b := []byte{b0}
	switch {
	case n < 126:
		b = append(b, 0x80|byte(n))
	case n <= 0xffff:
		b = append(b, 0x80|126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, 0x80|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	key := []byte{0x12, 0x34, 0x56, 0x78}
	b = append(b, key...)
	start := len(b)
	b = append(b, payload...)
	unmask(key, b[start:])
	return b
}

// compressed deflates s as a permessage-deflate message body.
func compressed(t *testing.T, s string) []byte {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestSpeed)
	_, _ = w.Write([]byte(s))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{0, 0, 0xff, 0xff})
}

// stored is s as a permessage-deflate body of stored (uncompressed)
// blocks: a little larger than s.
func stored(t *testing.T, s string) []byte {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.NoCompression)
	_, _ = w.Write([]byte(s))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte{0, 0, 0xff, 0xff})
	if len(b) <= len(s) {
		t.Fatalf("stored body %d bytes, not larger than %d", len(b), len(s))
	}
	return b
}

// feedAll feeds stream to a fresh reader in pieces cut at random
// places (or all at once when pieces is 1) and returns the events.
func feedAll(stream []byte, limit int, deflate bool, rng *rand.Rand, pieces int) ([]string, bool) {
	r := &clientReader{limit: limit, deflate: deflate}
	rec := &clientLog{}
	b := bytes.Clone(stream)
	for len(b) > 0 {
		n := len(b)
		if pieces > 1 {
			n = 1 + rng.Intn(min(len(b), 1+len(stream)/pieces))
		}
		// The reader may keep what it was fed only by copying it: hand
		// it a buffer that is overwritten afterwards, as the poller's is.
		chunk := bytes.Clone(b[:n])
		stop := r.feed(chunk, rec)
		for i := range chunk {
			chunk[i] = 0xAA
		}
		b = b[n:]
		if stop {
			return rec.log, true
		}
	}
	return rec.log, false
}

func TestClientReader(t *testing.T) {
	long := strings.Repeat("é", 1000) // 2,000 bytes: a 16-bit length
	cases := []struct {
		name    string
		stream  [][]byte
		deflate bool
		want    []string
		stop    bool
	}{
		{"text, ping, pong", [][]byte{maskedFrame(0x81, []byte(`{"type":"ping"}`)), maskedFrame(0x89, []byte("hi")), maskedFrame(0x8a, nil)}, false, []string{"ping hi"}, false},
		{"long text is fine", [][]byte{maskedFrame(0x81, []byte(long))}, false, nil, false},
		{"close with code", [][]byte{maskedFrame(0x88, []byte{0x03, 0xe9}), maskedFrame(0x89, nil)}, false, []string{"close 1001"}, true},
		{"close without code is 1000", [][]byte{maskedFrame(0x88, nil)}, false, []string{"close 1000"}, true},
		{"close 1005 is refused", [][]byte{maskedFrame(0x88, []byte{0x03, 0xed})}, false, []string{"refuse 1002"}, false},
		{"close 1006 is refused", [][]byte{maskedFrame(0x88, []byte{0x03, 0xee})}, false, []string{"refuse 1002"}, false},
		{"close 999 is refused", [][]byte{maskedFrame(0x88, []byte{0x03, 0xe7})}, false, []string{"refuse 1002"}, false},
		{"close 4000 with a reason", [][]byte{maskedFrame(0x88, []byte{0x0f, 0xa0, 'o', 'k'})}, false, []string{"close 4000"}, true},
		{"close reason not UTF-8", [][]byte{maskedFrame(0x88, []byte{0x03, 0xe8, 0xff})}, false, []string{"refuse 1002"}, false},
		{"invalid UTF-8", [][]byte{maskedFrame(0x81, []byte{'a', 0xff}), maskedFrame(0x89, []byte("x"))}, false, []string{"refuse 1007", "ping x"}, false},
		{"binary", [][]byte{maskedFrame(0x82, []byte{1, 2, 3}), maskedFrame(0x89, []byte("x"))}, false, []string{"refuse 1003", "ping x"}, false},
		{"too large, rest skipped", [][]byte{maskedFrame(0x81, bytes.Repeat([]byte("a"), 5000)), maskedFrame(0x89, []byte("x"))}, false, []string{"refuse 1009", "ping x"}, false},
		{"huge 64-bit length refused from its header", [][]byte{maskedFrame(0x81, bytes.Repeat([]byte("a"), 70000)), maskedFrame(0x89, []byte("x"))}, false, []string{"refuse 1009", "ping x"}, false},
		{"fragments with a ping between", [][]byte{maskedFrame(0x01, []byte("ab")), maskedFrame(0x89, []byte("p")), maskedFrame(0x80, []byte("cd"))}, false, []string{"ping p"}, false},
		{"fragments split a rune", [][]byte{maskedFrame(0x01, []byte{0xc3}), maskedFrame(0x80, []byte{0xa9})}, false, nil, false},
		{"fragments with bad UTF-8", [][]byte{maskedFrame(0x01, []byte{0xc3}), maskedFrame(0x80, []byte{'a'})}, false, []string{"refuse 1007"}, false},
		{"fragments over the limit", [][]byte{maskedFrame(0x01, bytes.Repeat([]byte("a"), 3000)), maskedFrame(0x00, bytes.Repeat([]byte("a"), 3000)), maskedFrame(0x80, []byte("a")), maskedFrame(0x89, []byte("x"))}, false, []string{"refuse 1009", "ping x"}, false},
		{"unmasked", [][]byte{{0x81, 0x01, 'a'}, maskedFrame(0x89, []byte("x"))}, false, []string{"refuse 1002"}, false},
		{"reserved bit without deflate", [][]byte{maskedFrame(0xc1, []byte("a"))}, false, []string{"refuse 1002"}, false},
		{"RSV2", [][]byte{maskedFrame(0xa1, []byte("a"))}, true, []string{"refuse 1002"}, false},
		{"unknown opcode", [][]byte{maskedFrame(0x83, []byte("a"))}, false, []string{"refuse 1002"}, false},
		{"fragmented ping", [][]byte{maskedFrame(0x09, []byte("a"))}, false, []string{"refuse 1002"}, false},
		{"long ping", [][]byte{maskedFrame(0x89, bytes.Repeat([]byte("a"), 126))}, false, []string{"refuse 1002"}, false},
		{"continuation first", [][]byte{maskedFrame(0x80, []byte("a"))}, false, []string{"refuse 1002"}, false},
		{"text inside a fragmented message", [][]byte{maskedFrame(0x01, []byte("a")), maskedFrame(0x81, []byte("b"))}, false, []string{"refuse 1002"}, false},
		{"close of one byte", [][]byte{maskedFrame(0x88, []byte{3})}, false, []string{"refuse 1002"}, false},
		{"compressed text", [][]byte{maskedFrame(0xc1, compressed(t, `{"type":"ping"}`)), maskedFrame(0x89, []byte("x"))}, true, []string{"ping x"}, false},
		{"compressed, fragmented", [][]byte{maskedFrame(0x41, compressed(t, long)[:10]), maskedFrame(0x80, compressed(t, long)[10:])}, true, nil, false},
		{"stored (incompressible) just under the limit", [][]byte{maskedFrame(0xc1, stored(t, strings.Repeat("a", 4090)))}, true, nil, false},
		{"compressed bad UTF-8", [][]byte{maskedFrame(0xc1, compressed(t, "a\xff"))}, true, []string{"refuse 1007"}, false},
		{"compressed bomb", [][]byte{maskedFrame(0xc1, compressed(t, strings.Repeat("a", 100000)))}, true, []string{"refuse 1009"}, false},
		{"compressed garbage", [][]byte{maskedFrame(0xc1, []byte{0xff, 0xff, 0xff})}, true, []string{"refuse 1007"}, false},
		{"ping refused stops", [][]byte{maskedFrame(0x89, []byte("x"))}, false, []string{"ping x"}, false},
	}
	rng := rand.New(rand.NewSource(1))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stream := bytes.Join(c.stream, nil)
			for _, pieces := range []int{1, 2, 7, len(stream)} {
				for try := 0; try < 20; try++ {
					got, stop := feedAll(stream, 4096, c.deflate, rng, pieces)
					if fmt.Sprint(got) != fmt.Sprint(c.want) || stop != c.stop {
						t.Fatalf("pieces %d: got %q stop %v, want %q stop %v", pieces, got, stop, c.want, c.stop)
					}
				}
			}
		})
	}
	// A ping that finds the viewer closed stops the reading.
	r, rec := &clientReader{limit: 4096}, &clientLog{refusePing: true}
	if !r.feed(maskedFrame(0x89, nil), rec) {
		t.Error("a refused ping did not stop the reading")
	}
}

// An idle reader keeps no buffer: a whole frame leaves nothing behind.
func TestClientReaderKeepsNothing(t *testing.T) {
	r := &clientReader{limit: 4096}
	r.feed(maskedFrame(0x89, []byte("x")), &clientLog{})
	r.feed(maskedFrame(0x81, []byte("x"))[:3], &clientLog{})
	if len(r.pend) != 3 {
		t.Fatalf("partial frame: pend %d bytes, want 3", len(r.pend))
	}
	r.feed(maskedFrame(0x81, []byte("x"))[3:], &clientLog{})
	if r.pend != nil || r.msg != nil {
		t.Errorf("after a whole frame: pend %v msg %v, want nothing kept", r.pend, r.msg)
	}
}

// FuzzClientReader: any bytes, cut anywhere, give the same events as
// the same bytes at once, and never panic.
func FuzzClientReader(f *testing.F) {
	f.Add(maskedFrame(0x81, []byte("hello")), int64(1), false)
	f.Add(append(maskedFrame(0x01, []byte("he")), maskedFrame(0x80, []byte("llo"))...), int64(2), false)
	f.Add(maskedFrame(0xc1, []byte{0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00}), int64(3), true)
	f.Add([]byte{0x81, 0xff, 0, 0, 0, 0, 0, 0, 0, 5, 1, 2, 3, 4}, int64(4), false)
	f.Fuzz(func(t *testing.T, stream []byte, seed int64, deflate bool) {
		whole, wstop := feedAll(stream, 256, deflate, nil, 1)
		rng := rand.New(rand.NewSource(seed))
		cut, cstop := feedAll(stream, 256, deflate, rng, 1+rng.Intn(8))
		if fmt.Sprint(whole) != fmt.Sprint(cut) || wstop != cstop {
			t.Fatalf("at once %q %v, in pieces %q %v", whole, wstop, cut, cstop)
		}
	})
}
