package realtime

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hybridcon/hybridcon/app"
)

// wireConn is a websocket client written against the bytes: it sends
// frames exactly as given and parses what the server sends frame by
// frame, so a stream with interleaved or cut frames cannot go unnoticed.
type wireConn struct {
	nc net.Conn
	r  *bufio.Reader
}

// dialWire opens a websocket to path on addr by hand. rcvBuf, when not
// zero, shrinks the client's socket receive buffer first.
func dialWire(t *testing.T, addr, path string, rcvBuf int) *wireConn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	if rcvBuf > 0 {
		_ = nc.(*net.TCPConn).SetReadBuffer(rcvBuf)
	}
	key := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef"))
	fmt.Fprintf(nc, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n", path, addr, key)
	r := bufio.NewReaderSize(nc, 4096)
	_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake answered %s", resp.Status)
	}
	_ = nc.SetReadDeadline(time.Time{})
	return &wireConn{nc: nc, r: r}
}

// clientFrame encodes a masked client frame (RFC 6455 §5.3).
func clientFrame(opcode byte, payload []byte) []byte {
	b := []byte{0x80 | opcode}
	switch n := len(payload); {
	case n < 126:
		b = append(b, 0x80|byte(n))
	case n <= 0xffff:
		b = append(b, 0x80|126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, 0x80|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	mask := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	b = append(b, mask[:]...)
	for i, c := range payload {
		b = append(b, c^mask[i%4])
	}
	return b
}

// serverFrame is one frame as the client parsed it.
type serverFrame struct {
	opcode  byte
	payload []byte
}

// readFrame parses the next server frame and checks it is well formed:
// final, unmasked, no reserved bits, a known opcode, control frames of at
// most 125 bytes, text frames holding one JSON envelope, close frames a
// code. Anything else means the stream is corrupt.
func (c *wireConn) readFrame() (serverFrame, error) {
	var h [2]byte
	if _, err := io.ReadFull(c.r, h[:]); err != nil {
		return serverFrame{}, err
	}
	if h[0]&0x70 != 0 || h[0]&0x80 == 0 || h[1]&0x80 != 0 {
		return serverFrame{}, fmt.Errorf("corrupt stream: header % x", h)
	}
	op := h[0] & 0x0f
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(c.r, b[:]); err != nil {
			return serverFrame{}, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(c.r, b[:]); err != nil {
			return serverFrame{}, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	if n > 16<<20 {
		return serverFrame{}, fmt.Errorf("corrupt stream: frame of %d bytes", n)
	}
	f := serverFrame{opcode: op, payload: make([]byte, n)}
	if _, err := io.ReadFull(c.r, f.payload); err != nil {
		return serverFrame{}, err
	}
	switch op {
	case 1:
		var env app.Envelope
		if err := json.Unmarshal(f.payload, &env); err != nil || env.Type == "" {
			return f, fmt.Errorf("corrupt stream: text frame %.60q is no envelope (%v)", f.payload, err)
		}
	case 8, 9, 10:
		if n > 125 {
			return f, fmt.Errorf("corrupt stream: control frame of %d bytes", n)
		}
		if op == 8 && n < 2 {
			return f, fmt.Errorf("corrupt stream: close frame without a code")
		}
	default:
		return f, fmt.Errorf("corrupt stream: opcode %d", op)
	}
	return f, nil
}

// closeCode returns a close frame's code and reason.
func (f serverFrame) closeCode() (int, string) {
	return int(binary.BigEndian.Uint16(f.payload)), string(f.payload[2:])
}

// liveHeap is the heap a collection found live (garbage allocated since
// does not count).
func liveHeap() uint64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// TestPingFloodBounded: a client that sends a million pings and never
// reads costs the server a bounded amount of memory and is closed with
// 1008, counted once as a drop. Not parallel: it measures the heap.
func TestPingFloodBounded(t *testing.T) {
	src := newFakeSource()
	src.add(slug, "E1")
	rec := newRecorder()
	cfg := testConfig("a")
	cfg.Metrics = rec.metrics()
	cfg.PingInterval = time.Minute
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// Small socket buffers, so the pongs back up within a few thousand
	// pings rather than after the kernel's megabytes.
	n := startNodeOn(t, cfg, NewMemoryBroker(), src, smallBufListener{ln})
	c := dialWire(t, n.addr, "/ws/events/"+slug, 4096)
	if f, err := c.readFrame(); err != nil || f.opcode != 1 {
		t.Fatalf("first frame: %v", err)
	}
	eventually(t, 5*time.Second, "the viewer", func() bool { return n.hub.viewerCount(slug) == 1 })
	const pings, perWrite = 1_000_000, 1000
	payload := bytes.Repeat([]byte("p"), 100)
	var chunk []byte
	for range perWrite {
		chunk = append(chunk, clientFrame(9, payload)...)
	}
	base := liveHeap()
	var sent atomic.Int64
	done := make(chan error, 1)
	go func() {
		_ = c.nc.SetWriteDeadline(time.Now().Add(60 * time.Second))
		for sent.Load() < pings {
			if _, err := c.nc.Write(chunk); err != nil {
				done <- err
				return
			}
			sent.Add(perWrite)
		}
		done <- nil
	}()
	var peak uint64
	var werr error
sampling:
	for {
		select {
		case werr = <-done:
			break sampling
		case <-time.After(20 * time.Millisecond):
			if h := liveHeap(); h > peak {
				peak = h
				if os.Getenv("HEAPPROF") != "" {
					f, _ := os.Create(os.Getenv("HEAPPROF"))
					_ = pprof.WriteHeapProfile(f)
					f.Close()
				}
			}
			if n.hub.viewerCount(slug) == 0 && sent.Load() > 0 {
				// Closed: the server stops reading, so the writes stall
				// until it cuts the connection.
				_ = c.nc.SetWriteDeadline(time.Now().Add(3 * time.Second))
			}
		}
	}
	peak = max(peak, liveHeap())
	t.Logf("%d pings sent (%v); live heap %d → peak %d bytes", sent.Load(), werr, base, peak)
	if peak > base && peak-base >= 1<<20 {
		t.Errorf("heap grew by %d bytes during the ping flood", peak-base)
	}
	eventually(t, 5*time.Second, "the flooding viewer closed", func() bool { return n.hub.viewerCount(slug) == 0 })
	if got := rec.get("dropped{" + DropQueueFull + "}"); got != 1 {
		t.Errorf("dropped{queue_full} = %v, want 1", got)
	}
	if got := rec.get("dropped{"+DropWriteTimeout+"}") + rec.get("dropped{"+DropPongTimeout+"}"); got != 0 {
		t.Errorf("the same drop counted again under another reason: %v", got)
	}
	// What reached the client is whole frames, pongs among them, then (if
	// it got out before the cut) the 1008 close.
	_ = c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		f, err := c.readFrame()
		if err != nil {
			if strings.HasPrefix(err.Error(), "corrupt") {
				t.Fatal(err)
			}
			break
		}
		if f.opcode == 8 {
			if code, reason := f.closeCode(); code != CloseSlowConsumer || reason != ReasonPingFlood {
				t.Fatalf("closed with %d %q, want %d %q", code, reason, CloseSlowConsumer, ReasonPingFlood)
			}
			break
		}
		if f.opcode == 1 {
			continue // presence and other envelopes
		}
		if f.opcode != 10 || !bytes.Equal(f.payload, payload) {
			t.Fatalf("unexpected frame opcode %d %.40q", f.opcode, f.payload)
		}
	}
}

// smallBufListener shrinks each accepted connection's send buffer, so
// the server's frames are cut into pieces on the wire.
type smallBufListener struct{ net.Listener }

func (l smallBufListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(4096)
	}
	return c, err
}

// TestStreamNeverCorrupt: with a small send buffer nearly every frame
// goes out in pieces, and pongs, snapshot resets and the final close
// arrive while one is half written. The client parses every byte: each
// frame must be whole and well formed.
func TestStreamNeverCorrupt(t *testing.T) {
	t.Parallel()
	src := newFakeSource()
	src.add(slug, "E1")
	cfg := testConfig("a")
	cfg.PingInterval = 300 * time.Millisecond // server pings too
	cfg.PongWait = 5 * time.Second            // answered late by the slow reader
	cfg.MaxQueueBytes = 4 << 20
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n := startNodeOn(t, cfg, NewMemoryBroker(), src, smallBufListener{ln})
	c := dialWire(t, n.addr, "/ws/events/"+slug, 16<<10)
	eventually(t, 5*time.Second, "the viewer", func() bool { return n.hub.viewerCount(slug) == 1 })

	type tally struct {
		text, snapshots, pongs, pings int
		closeCode                     int
		err                           error
	}
	var wmu sync.Mutex
	send := func(b []byte) {
		wmu.Lock()
		defer wmu.Unlock()
		_, _ = c.nc.Write(b)
	}
	res := make(chan tally, 1)
	go func() { // a slow reader: 4 KiB per millisecond at most
		var tl tally
		_ = c.nc.SetReadDeadline(time.Now().Add(30 * time.Second))
		c.r = bufio.NewReaderSize(io.MultiReader(c.r, throttled{c.nc}), 4096)
		for {
			f, err := c.readFrame()
			if err != nil {
				tl.err = err
				res <- tl
				return
			}
			switch f.opcode {
			case 1:
				tl.text++
				if bytes.Contains(f.payload, []byte(`"type":"snapshot"`)) {
					tl.snapshots++
				}
			case 9:
				tl.pings++
				send(clientFrame(10, f.payload)) // or the server drops a silent client
			case 10:
				tl.pongs++
			case 8:
				tl.closeCode, _ = f.closeCode()
				res <- tl
				return
			}
		}
	}()

	big := json.RawMessage(`"` + strings.Repeat("z", 30<<10) + `"`)
	ping := func(i int) { send(clientFrame(9, []byte(fmt.Sprintf("ping %d", i)))) }
	for i := range 60 {
		n.hub.Publish(context.Background(), src.appendData(slug, big))
		ping(i)
		if i == 30 { // a new epoch: every viewer is reset to a snapshot
			src.newEpoch(slug, "E2")
			n.hub.Publish(context.Background(), src.appendData(slug, big))
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The close lands mid-frame too: more is still queued.
	for range 20 {
		n.hub.Publish(context.Background(), src.appendData(slug, big))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	go n.hub.Shutdown(ctx)

	tl := <-res
	t.Logf("%d text frames (%d snapshots), %d pongs, %d pings, close %d, err %v", tl.text, tl.snapshots, tl.pongs, tl.pings, tl.closeCode, tl.err)
	if tl.err != nil {
		t.Fatalf("the stream ended without a close frame: %v", tl.err)
	}
	if tl.closeCode != CloseServiceRestart && tl.closeCode != CloseSlowConsumer {
		t.Fatalf("closed with %d", tl.closeCode)
	}
	if tl.snapshots < 2 || tl.pongs == 0 {
		t.Fatalf("the stream should hold the first snapshot, the reset and pongs")
	}
}

// throttled reads at most 4 KiB per millisecond.
type throttled struct{ r io.Reader }

func (t throttled) Read(p []byte) (int, error) {
	time.Sleep(time.Millisecond)
	return t.r.Read(p[:min(len(p), 4096)])
}

func TestInvalidUTF8Closes1007(t *testing.T) {
	t.Parallel()
	src := newFakeSource()
	src.add(slug, "E1")
	n := startNode(t, testConfig("a"), NewMemoryBroker(), src)
	for _, tc := range []struct {
		name  string
		frame []byte
		code  int
	}{
		{"Invalid", clientFrame(1, []byte("caf\xe9 ok")), CloseInvalidPayload},
		{"Truncated", clientFrame(1, []byte("ends in \xe2\x82")), CloseInvalidPayload},
		// Valid text split across two fragments inside a character.
		{"Fragmented", append(append([]byte{0x01}, clientFrame(0, []byte("x \xe2"))[1:]...),
			clientFrame(0, []byte("\x82\xac y"))...), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialWire(t, n.addr, "/ws/events/"+slug, 0)
			if _, err := c.readFrame(); err != nil {
				t.Fatal(err)
			}
			if _, err := c.nc.Write(tc.frame); err != nil {
				t.Fatal(err)
			}
			n.hub.Publish(context.Background(), src.append(slug))
			_ = c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
			if tc.code == 0 { // envelopes, and no close
				for {
					f, err := c.readFrame()
					if err != nil {
						return // the read deadline: still open
					}
					if f.opcode != 1 {
						t.Fatalf("valid text answered with opcode %d %q", f.opcode, f.payload)
					}
					_ = c.nc.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
				}
			}
			for { // the envelope may come first
				f, err := c.readFrame()
				if err != nil {
					t.Fatalf("no close frame: %v", err)
				}
				if f.opcode == 8 {
					if code, _ := f.closeCode(); code != tc.code {
						t.Fatalf("closed with %d, want %d", code, tc.code)
					}
					return
				}
			}
		})
	}
}

func TestReadUTF8(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("ő€😀a", 400) // sequences cross every 512-byte read
	for _, tc := range []struct {
		in    string
		valid bool
	}{
		{"", true}, {"plain", true}, {long, true}, {long + "\xff", false}, {"\xed\xa0\x80", false},
		{long[:len(long)-2], false}, {"\xef\xbf\xbd", true},
	} {
		n, valid, err := readUTF8(iotestOneByte(tc.in))
		if err != nil || n != int64(len(tc.in)) || valid != tc.valid || valid != utf8.ValidString(tc.in) {
			t.Errorf("%.20q: n %d valid %v err %v", tc.in, n, valid, err)
		}
		if _, valid, _ := readUTF8(strings.NewReader(tc.in)); valid != tc.valid {
			t.Errorf("%.20q whole: valid %v", tc.in, valid)
		}
	}
}

// iotestOneByte reads s a few bytes at a time.
func iotestOneByte(s string) io.Reader { return &fewBytes{s: s} }

type fewBytes struct{ s string }

func (f *fewBytes) Read(p []byte) (int, error) {
	if f.s == "" {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 3)], f.s)
	f.s = f.s[n:]
	return n, nil
}

// TestSnapshotNotOlderThanPublished: a GET …/live arriving after seq 4
// was published must not be served a build that began before it.
func TestSnapshotNotOlderThanPublished(t *testing.T) {
	t.Parallel()
	src := newFakeSource()
	src.add(slug, "E1")
	src.appendN(slug, 3)
	started, release := make(chan struct{}), make(chan struct{})
	var builds atomic.Int32
	src.snapHook = func() {
		if builds.Add(1) == 1 {
			close(started)
			<-release
		}
	}
	n := startNode(t, testConfig("a"), NewMemoryBroker(), src)
	ctx := context.Background()
	first := make(chan error, 1)
	go func() { _, err := n.hub.Snapshot(ctx, slug); first <- err }() // builds at seq 3, slowly
	<-started
	n.hub.Publish(ctx, src.append(slug)) // seq 4
	second := make(chan []byte, 1)
	go func() {
		b, err := n.hub.Snapshot(ctx, slug)
		if err != nil {
			t.Error(err)
		}
		second <- b
	}()
	time.Sleep(200 * time.Millisecond) // the second call joins the build in flight
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	var env app.Envelope
	if err := json.Unmarshal(<-second, &env); err != nil || env.Seq != 4 {
		t.Fatalf("GET …/live after seq 4 was published got seq %d (%v)", env.Seq, err)
	}
}
