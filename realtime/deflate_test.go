package realtime

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/hybridcon/hybridcon/app"
)

// TestSnapshotCompressed: a client that offers permessage-deflate gets a
// large snapshot compressed (and decodes the same envelope as one that
// does not); broadcasts reach both uncompressed.
func TestSnapshotCompressed(t *testing.T) {
	t.Parallel()
	src := newFakeSource()
	src.add(slug, "E1")
	src.snapPad = strings.Repeat("a live conference, ", 500) // ≈ 9.5 KB, compressible
	n := startNode(t, testConfig("a"), NewMemoryBroker(), src)

	read := func(compress bool) (env app.Envelope, wire int64, conn *websocket.Conn) {
		var counted *countingConn
		d := websocket.Dialer{HandshakeTimeout: 5 * time.Second, EnableCompression: compress,
			NetDial: func(network, addr string) (net.Conn, error) {
				c, err := net.Dial(network, addr)
				counted = &countingConn{Conn: c}
				return counted, err
			}}
		conn, resp, err := d.Dial(n.wsURL(slug, ""), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		if got := resp.Header.Get("Sec-WebSocket-Extensions") != ""; got != compress {
			t.Fatalf("offered compression %v, agreed %v", compress, got)
		}
		before := counted.n.Load()
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, msg, err := conn.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(msg, &env); err != nil {
			t.Fatal(err)
		}
		return env, counted.n.Load() - before, conn
	}
	plain, plainWire, plainConn := read(false)
	packed, packedWire, packedConn := read(true)
	if plain.Type != app.TypeSnapshot || packed.Type != app.TypeSnapshot || string(plain.Data) != string(packed.Data) {
		t.Fatalf("snapshots differ: %s %d bytes, %s %d bytes", plain.Type, len(plain.Data), packed.Type, len(packed.Data))
	}
	// What the client had read with the handshake may include the first
	// bytes of the frame, so compare loosely: a 9.5 KB snapshot of one
	// repeated phrase compresses to well under a tenth.
	if packedWire*5 > plainWire {
		t.Errorf("compressed snapshot took %d bytes on the wire, plain %d", packedWire, plainWire)
	}
	t.Logf("snapshot of %d bytes: %d on the wire plain, %d compressed", len(plain.Data), plainWire, packedWire)

	sent := src.append(slug)
	n.hub.Publish(context.Background(), sent)
	for _, c := range []*websocket.Conn{plainConn, packedConn} {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		var env app.Envelope
		var err error
		for env.Seq == 0 && err == nil { // volatile messages (presence) carry seq 0: skip them
			env = app.Envelope{}
			err = c.ReadJSON(&env)
		}
		if err != nil || env.Seq != sent.Seq {
			t.Fatalf("broadcast: seq %d, err %v; want seq %d", env.Seq, err, sent.Seq)
		}
	}
}

// countingConn counts the bytes read from a connection.
type countingConn struct {
	net.Conn
	n atomic.Int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	m, err := c.Conn.Read(p)
	c.n.Add(int64(m))
	return m, err
}
