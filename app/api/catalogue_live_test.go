package api_test

import (
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hybridcon/hybridcon/app"
)

// TestCatalogueEndpoint: the catalogue a snapshot names is served with
// its version as ETag, immutable when asked by version, revalidated
// (304) otherwise, and a change to an achievement changes the version
// the next snapshot names.
func TestCatalogueEndpoint(t *testing.T) {
	e := newEnv(t)
	snapshot := func() app.LiveState {
		t.Helper()
		var env app.Envelope
		var st app.LiveState
		r := e.do("GET", "/api/v1/events/cn-hu-2021/live", "", nil)
		if err := json.Unmarshal(r.Body, &env); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(env.Data, &st); err != nil {
			t.Fatal(err)
		}
		return st
	}
	st := snapshot()
	if st.Catalogue == "" {
		t.Fatal("the snapshot names no catalogue version")
	}
	base := "/api/v1/events/cn-hu-2021/catalogue"
	r := e.do("GET", base+"?v="+st.Catalogue, "", nil)
	var c app.Catalogue
	if err := json.Unmarshal(r.Body, &c); err != nil || r.Status != 200 {
		t.Fatalf("catalogue: %d %.200s", r.Status, r.Body)
	}
	if c.Version != st.Catalogue || len(c.Achievements) != 27 {
		t.Fatalf("catalogue version %q with %d achievements; want %q and the demo's 27", c.Version, len(c.Achievements), st.Catalogue)
	}
	etag := `"` + c.Version + `"`
	if got := r.Header.Get("ETag"); got != etag {
		t.Errorf("ETag %q, want %q", got, etag)
	}
	if got := r.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
		t.Errorf("Cache-Control by version: %q", got)
	}
	// Without a version (or with another) it is revalidated on every use.
	r = e.do("GET", base, "", nil)
	if r.Status != 200 || r.Header.Get("Cache-Control") != "public, no-cache" || r.Header.Get("ETag") != etag {
		t.Errorf("without v: %d, Cache-Control %q, ETag %q", r.Status, r.Header.Get("Cache-Control"), r.Header.Get("ETag"))
	}
	r = e.do("GET", base, "", nil, "If-None-Match", etag)
	if r.Status != 304 || len(r.Body) != 0 {
		t.Errorf("If-None-Match with the current ETag: %d, %d bytes; want 304, none", r.Status, len(r.Body))
	}
	r = e.do("GET", base, "", nil, "If-None-Match", `W/"other", `+etag)
	if r.Status != 304 {
		t.Errorf("If-None-Match listing the ETag: %d, want 304", r.Status)
	}
	r = e.do("GET", base, "", nil, "If-None-Match", `"stale"`)
	if r.Status != 200 {
		t.Errorf("If-None-Match with another ETag: %d, want 200", r.Status)
	}
	// Bad input.
	if r = e.do("GET", "/api/v1/events/no-such-event/catalogue", "", nil); r.Status != 404 || r.errorCode(t) != "not_found" {
		t.Errorf("unknown event: %d %s", r.Status, r.Body)
	}
	long := fmt.Sprintf("%065d", 0)
	if r = e.do("GET", base+"?v="+long, "", nil); r.Status != 400 || r.errorCode(t) != "bad_request" {
		t.Errorf("v of 65 characters: %d %s", r.Status, r.Body)
	}

	// An edit changes the version the next snapshot names, and the
	// catalogue asked for it has the edit at once (no second-long cache).
	org := e.token("organizer", "")
	e.mustOK(e.do("PATCH", fmt.Sprintf("/api/v1/achievements/%d", c.Achievements[0].ID), org,
		map[string]any{"title": map[string]string{"en": "Retitled"}}), "patch")
	st2 := snapshot()
	if st2.Catalogue == st.Catalogue {
		t.Fatal("the catalogue version did not change with an achievement")
	}
	r = e.do("GET", base+"?v="+st2.Catalogue, "", nil)
	var c2 app.Catalogue
	_ = json.Unmarshal(r.Body, &c2)
	if c2.Version != st2.Catalogue || c2.Achievements[0].Title.EN != "Retitled" {
		t.Errorf("catalogue after the edit: version %q (want %q), first title %q", c2.Version, st2.Catalogue, c2.Achievements[0].Title.EN)
	}
	if r = e.do("GET", base, "", nil, "If-None-Match", etag); r.Status != 200 {
		t.Errorf("the old ETag after an edit: %d, want 200", r.Status)
	}
}

// maxLeanSnapshot bounds the demo's snapshot as JSON: the catalogue
// (about 26 KB of it) and the programme (about 13 KB) are no longer in it.
const maxLeanSnapshot = 6 << 10

// TestSnapshotIsLean: the demo's snapshot carries ids and what changes
// live, not the catalogue: every new viewer gets it.
func TestSnapshotIsLean(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/api/v1/events/cn-hu-2021/live", "", nil)
	var env app.Envelope
	if err := json.Unmarshal(r.Body, &env); err != nil {
		t.Fatal(err)
	}
	frame, _ := json.Marshal(env)
	cat := e.do("GET", "/api/v1/events/cn-hu-2021/catalogue", "", nil)
	t.Logf("demo snapshot: %d bytes as a frame; the catalogue it names: %d bytes", len(frame), len(cat.Body))
	if len(frame) > maxLeanSnapshot {
		t.Errorf("the demo's snapshot is %d bytes, want at most %d", len(frame), maxLeanSnapshot)
	}
	var data map[string]json.RawMessage
	_ = json.Unmarshal(env.Data, &data)
	if _, ok := data["achievements"]; ok {
		t.Error("the snapshot still carries achievements")
	}
}

// maxSnapshotWire is the target for the demo's first frame on the wire.
const maxSnapshotWire = 8 << 10

// rawSnapshot opens a websocket by hand (offering permessage-deflate or
// not) and returns the first frame's size on the wire, whether it was
// compressed, and the envelope it carries.
func rawSnapshot(t *testing.T, addr string, offer bool) (wire int, compressed bool, env app.Envelope) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	req := "GET /ws/events/cn-hu-2021 HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
	if offer {
		req += "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
	}
	if _, err := io.WriteString(conn, req+"\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %v %v", resp, err)
	}
	agreed := strings.Contains(resp.Header.Get("Sec-WebSocket-Extensions"), "permessage-deflate")
	if agreed != offer {
		t.Fatalf("offered compression %v, agreed %v (%q)", offer, agreed, resp.Header.Get("Sec-WebSocket-Extensions"))
	}
	head := make([]byte, 2, 10)
	if _, err := io.ReadFull(br, head); err != nil {
		t.Fatal(err)
	}
	n := int(head[1] & 0x7f)
	switch n {
	case 126:
		head = head[:4]
		_, err = io.ReadFull(br, head[2:])
		n = int(binary.BigEndian.Uint16(head[2:]))
	case 127:
		head = head[:10]
		_, err = io.ReadFull(br, head[2:])
		n = int(binary.BigEndian.Uint64(head[2:]))
	}
	if err != nil {
		t.Fatal(err)
	}
	if head[0]&0x8f != 0x81 {
		t.Fatalf("first frame header %#x: want a final text frame", head[0])
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(br, payload); err != nil {
		t.Fatal(err)
	}
	compressed = head[0]&0x40 != 0
	if compressed {
		// RFC 7692 §7.2.2: append 00 00 ff ff and inflate.
		r := flate.NewReader(io.MultiReader(bytes.NewReader(payload), bytes.NewReader([]byte{0, 0, 0xff, 0xff})))
		plain, err := io.ReadAll(r)
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("inflate: %v", err)
		}
		payload = plain
	}
	if err := json.Unmarshal(payload, &env); err != nil {
		t.Fatalf("first frame is not an envelope: %v (%.100q)", err, payload)
	}
	return len(head) + n, compressed, env
}

// TestSnapshotOnTheWire: a new viewer whose client offers
// permessage-deflate (every browser) gets the demo's snapshot in at most
// 8 KiB; one that does not gets the same envelope uncompressed.
func TestSnapshotOnTheWire(t *testing.T) {
	e := newEnv(t)
	addr := e.listen()
	plainWire, plainCompressed, plain := rawSnapshot(t, addr, false)
	wire, compressed, env := rawSnapshot(t, addr, true)
	t.Logf("demo snapshot on the wire: %d bytes compressed, %d bytes plain", wire, plainWire)
	if plainCompressed || !compressed {
		t.Fatalf("compressed without the extension: %v; with it: %v", plainCompressed, compressed)
	}
	if wire > maxSnapshotWire {
		t.Errorf("the demo's snapshot is %d bytes on the wire, want at most %d", wire, maxSnapshotWire)
	}
	if env.Type != app.TypeSnapshot || plain.Type != app.TypeSnapshot || !bytes.Equal(env.Data, plain.Data) {
		t.Errorf("compressed and plain first frames differ: %s/%s, %d/%d bytes of data", env.Type, plain.Type, len(env.Data), len(plain.Data))
	}
}
