package realtime

import (
	"bytes"
	"io"
	"testing"
	"time"
)

// The direct write is on every delivery: it writes what it is given,
// whole or in one writev, and allocates nothing.
func TestDirectWriteAllocatesNothing(t *testing.T) {
	v, client := loopbackViewer(t, nil, loopbackListener(t))
	if v.raw == nil {
		t.Skip("no raw descriptor on this platform")
	}
	frame := bytes.Repeat([]byte("x"), 100)
	if n, err := v.tryWrite(frame); n != len(frame) || err != nil {
		t.Fatalf("tryWrite = %d, %v", n, err)
	}
	if n, err := v.tryWritev([][]byte{[]byte("ab"), []byte("cde"), []byte("f")}); n != 6 || err != nil {
		t.Fatalf("tryWritev = %d, %v", n, err)
	}
	got := make([]byte, 106)
	if _, err := io.ReadFull(client, got); err != nil {
		t.Fatal(err)
	}
	if want := append(bytes.Repeat([]byte("x"), 100), "abcdef"...); !bytes.Equal(got, want) {
		t.Fatalf("read %q", got)
	}
	if raceEnabled {
		return // sync.Pool drops items under the race detector
	}
	go func() { _, _ = io.Copy(io.Discard, client) }()
	if a := testing.AllocsPerRun(200, func() {
		if _, err := v.tryWrite(frame); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Fatalf("tryWrite allocates %.1f times per call", a)
	}
	bufs := [][]byte{frame[:10], frame[10:]}
	if a := testing.AllocsPerRun(200, func() {
		if _, err := v.tryWritev(bufs); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Fatalf("tryWritev allocates %.1f times per call", a)
	}
}

// A socket that is full takes part of a write, with no error; a closed
// one gives an error.
func TestDirectWritePartialAndBroken(t *testing.T) {
	v, client := loopbackViewer(t, nil, loopbackListener(t))
	if v.raw == nil {
		t.Skip("no raw descriptor on this platform")
	}
	big := make([]byte, 64<<20) // more than any socket buffer takes while nobody reads
	n, err := v.tryWrite(big)
	if err != nil || n == 0 || n >= len(big) {
		t.Fatalf("tryWrite of 64 MiB to an unread socket = %d, %v; want part of it, no error", n, err)
	}
	// The peer's acknowledgements may still free some room: a full
	// socket takes part of a write or none of it, never an error.
	small := [][]byte{big[:1024], big[:1024]}
	for i := 0; ; i++ {
		n2, err := v.tryWritev(small)
		if err != nil {
			t.Fatalf("tryWritev to a full socket: %v", err)
		}
		if n2 < 2048 {
			break
		}
		if i == 1000 {
			t.Fatal("an unread socket kept taking whole writes")
		}
	}
	client.Close()
	deadline := time.Now().Add(5 * time.Second)
	for { // the peer's reset arrives after a write or two
		if _, err := v.tryWrite(big[:1024]); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("writes to a closed peer never failed")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
