package realtime

import (
	"slices"
	"testing"
	"time"
)

func ringSeqs(fs []*frame) []int64 {
	var out []int64
	for _, f := range fs {
		out = append(out, f.seq)
	}
	return out
}

func TestRing(t *testing.T) {
	r := newRing(4, 10)
	if !r.covers(10) || r.covers(9) || r.covers(11) || len(r.after(10)) != 0 {
		t.Fatal("an empty ring covers exactly its base")
	}
	for s := int64(11); s <= 13; s++ {
		r.push(&frame{seq: s})
	}
	if got := ringSeqs(r.after(10)); !slices.Equal(got, []int64{11, 12, 13}) {
		t.Fatalf("after(10) = %v", got)
	}
	for s := int64(14); s <= 19; s++ {
		r.push(&frame{seq: s})
	}
	// Holds 16…19 now.
	if r.base != 15 || r.last() != 19 || !r.covers(15) || r.covers(14) {
		t.Fatalf("base %d last %d", r.base, r.last())
	}
	if got := ringSeqs(r.after(17)); !slices.Equal(got, []int64{18, 19}) {
		t.Fatalf("after(17) = %v", got)
	}
	if got := ringSeqs(r.after(15)); !slices.Equal(got, []int64{16, 17, 18, 19}) {
		t.Fatalf("after(15) = %v", got)
	}
	r.reset(40)
	r.push(&frame{seq: 41})
	if got := ringSeqs(r.after(40)); !slices.Equal(got, []int64{41}) {
		t.Fatalf("after reset: %v", got)
	}
	r.push(&frame{seq: 50}) // not consecutive: the ring restarts
	if r.base != 49 || !slices.Equal(ringSeqs(r.after(49)), []int64{50}) {
		t.Fatalf("after a jump: base %d", r.base)
	}
}

func TestPayload(t *testing.T) {
	p := encodePayload(payloadDurable, "node-1", []byte(`{"seq":3}`))
	kind, node, env, err := decodePayload(p)
	if err != nil || kind != payloadDurable || node != "node-1" || string(env) != `{"seq":3}` {
		t.Fatalf("round trip: %c %q %s %v", kind, node, env, err)
	}
	for _, bad := range []string{"", "d", "dx\n{}", "x n\n{}", "{}"} {
		if _, _, _, err := decodePayload([]byte(bad)); err == nil {
			t.Errorf("%q decoded", bad)
		}
	}
	if _, _, err := decodeFrame([]byte(`{"seq":0,"type":"x"}`), kindDurable); err == nil {
		t.Error("a durable envelope without seq was accepted")
	}
	if _, _, err := decodeFrame([]byte(`nope`), kindVolatile); err == nil {
		t.Error("invalid JSON was accepted")
	}
}

func TestConfigDefaults(t *testing.T) {
	c := HubConfig{}.withDefaults()
	if c.Region != "cn" || c.NodeID == "" || !slices.Equal(c.KnownRegions, []string{"cn"}) ||
		c.PingInterval != DefaultPingInterval || c.PongWait != 2*DefaultPingInterval ||
		c.MaxQueueBytes != DefaultMaxQueueBytes || c.RingSize != DefaultRingSize ||
		c.HoldBack != DefaultHoldBack || c.PresenceTTL != DefaultPresenceTTL ||
		c.MaxViewersPerAddress != DefaultMaxViewersPerAddress {
		t.Fatalf("defaults: %+v", c)
	}
	c = HubConfig{KnownRegions: []string{"hu", "cn"}, PingInterval: time.Second, PongWait: time.Second,
		PresenceInterval: 10 * time.Second, PresenceTTL: time.Second}.withDefaults()
	if c.Region != "hu" || c.PongWait != 2*time.Second || c.PresenceTTL != 20*time.Second {
		t.Fatalf("derived: region %q pong %v ttl %v", c.Region, c.PongWait, c.PresenceTTL)
	}
}
