package realtime

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisCluster is a Redis Cluster of 3 primaries and 3 replicas started
// from the machine's redis-server on free loopback ports, for one test.
type redisCluster struct {
	t     *testing.T
	dir   string
	ports []int
	mu    sync.Mutex
	procs map[int]*exec.Cmd
	url   string // redis://first?addr=second&addr=…
}

// startRedisCluster starts the cluster, or skips the test when
// redis-server is missing and HYBRIDCON_TEST_REDIS_URL is unset (with it
// set, as in CI, a cluster that cannot start fails the test).
func startRedisCluster(t *testing.T) *redisCluster {
	t.Helper()
	server, err := exec.LookPath("redis-server")
	if err == nil {
		_, err = exec.LookPath("redis-cli")
	}
	if err != nil {
		if os.Getenv("HYBRIDCON_TEST_REDIS_URL") == "" {
			t.Skipf("no Redis Cluster test: %v (and HYBRIDCON_TEST_REDIS_URL is unset)", err)
		}
		t.Fatalf("HYBRIDCON_TEST_REDIS_URL is set, so the Redis Cluster test must run, but: %v", err)
	}
	rc := &redisCluster{t: t, dir: t.TempDir(), procs: make(map[int]*exec.Cmd)}
	t.Cleanup(rc.stop)

	// 6 client ports and 6 cluster bus ports, held until all are chosen.
	var lns []net.Listener
	for range 12 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("free port: %v", err)
		}
		lns = append(lns, ln)
	}
	for _, ln := range lns {
		_ = ln.Close()
	}
	port := func(i int) int { return lns[i].Addr().(*net.TCPAddr).Port }
	for i := range 6 {
		p := port(i)
		rc.ports = append(rc.ports, p)
		dir := filepath.Join(rc.dir, strconv.Itoa(p))
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(server,
			"--port", strconv.Itoa(p), "--cluster-port", strconv.Itoa(port(6+i)), "--bind", "127.0.0.1",
			"--cluster-enabled", "yes", "--cluster-config-file", filepath.Join(dir, "nodes.conf"),
			"--cluster-node-timeout", "1000", "--cluster-replica-validity-factor", "0",
			"--save", "", "--appendonly", "no", "--dir", dir, "--logfile", filepath.Join(dir, "redis.log"))
		dieWithTest(cmd)
		if err := cmd.Start(); err != nil {
			t.Fatalf("starting redis-server on %d: %v", p, err)
		}
		rc.mu.Lock()
		rc.procs[p] = cmd
		rc.mu.Unlock()
	}
	for _, p := range rc.ports {
		rc.waitFor(p, 10*time.Second, "answers PING", func(c *redis.Client) bool { return c.Ping(context.Background()).Err() == nil })
	}
	args := []string{"--cluster", "create"}
	for _, p := range rc.ports {
		args = append(args, "127.0.0.1:"+strconv.Itoa(p))
	}
	args = append(args, "--cluster-replicas", "1", "--cluster-yes")
	if out, err := exec.Command("redis-cli", args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	for _, p := range rc.ports {
		rc.waitFor(p, 20*time.Second, "sees the whole cluster ok", func(c *redis.Client) bool {
			info, err := c.ClusterInfo(context.Background()).Result()
			return err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, "cluster_known_nodes:6")
		})
		rc.waitFor(p, 20*time.Second, "is a primary or a replica in sync", func(c *redis.Client) bool {
			info, err := c.Info(context.Background(), "replication").Result()
			return err == nil && (strings.Contains(info, "role:master") || strings.Contains(info, "master_link_status:up"))
		})
	}
	rc.url = fmt.Sprintf("redis://127.0.0.1:%d?addr=127.0.0.1:%d&addr=127.0.0.1:%d", rc.ports[0], rc.ports[1], rc.ports[2])
	return rc
}

// waitFor polls the node on port until cond holds, failing the test
// (with the node's log) after d.
func (rc *redisCluster) waitFor(port int, d time.Duration, what string, cond func(*redis.Client) bool) {
	rc.t.Helper()
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port), DialTimeout: time.Second, ReadTimeout: time.Second, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(d)
	for !cond(c) {
		if time.Now().After(deadline) {
			rc.t.Fatalf("redis node %d never %s; its log:\n%s", port, what, rc.logTail(port))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (rc *redisCluster) logTail(port int) string {
	b, _ := os.ReadFile(filepath.Join(rc.dir, strconv.Itoa(port), "redis.log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// stop kills every node still running.
func (rc *redisCluster) stop() {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for p, cmd := range rc.procs {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		delete(rc.procs, p)
	}
}

// kill stops the node on port at once (SIGKILL), as a crash would.
func (rc *redisCluster) kill(port int) {
	rc.mu.Lock()
	cmd := rc.procs[port]
	delete(rc.procs, port)
	rc.mu.Unlock()
	if cmd == nil {
		rc.t.Errorf("no redis node on %d to kill", port)
		return
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
}

// broker opens a broker on the cluster through OpenRedisBroker (so cluster
// mode is detected as a node detects it).
func (rc *redisCluster) broker(prefix string) *RedisBroker {
	rc.t.Helper()
	b, err := OpenRedisBroker(context.Background(), rc.url, RedisConfig{Prefix: prefix, ProbeInterval: 500 * time.Millisecond, Logger: testLogger()})
	if err != nil {
		rc.t.Fatal(err)
	}
	rc.t.Cleanup(func() { _ = b.Close() })
	if !b.Cluster() {
		rc.t.Fatal("OpenRedisBroker did not detect the Redis Cluster")
	}
	return b
}

// owner returns the port of the primary that owns key's slot now.
func (rc *redisCluster) owner(b *RedisBroker, key string) int {
	rc.t.Helper()
	c, err := b.cluster.MasterForKey(context.Background(), key)
	if err != nil {
		rc.t.Fatalf("owner of %s: %v", key, err)
	}
	_, p, _ := net.SplitHostPort(c.Options().Addr)
	port, _ := strconv.Atoi(p)
	return port
}

func TestRedisClusterShardFailover(t *testing.T) {
	t.Parallel()
	rc := startRedisCluster(t)
	prefix := newTestRedis(t).prefix
	ba, bb := rc.broker(prefix), rc.broker(prefix)
	primary := rc.owner(ba, ba.channel(slug))

	// 600 envelopes over about 7.5 s; at the 40th the primary owning the
	// event's slot dies. Its replica takes over within a few seconds
	// (node timeout 1 s); meanwhile publishing fails and the nodes
	// resubscribe on the new primary. Every viewer must still see
	// 1…600 in order, and the envelopes after the failover must travel
	// by pub/sub again (not only through the log).
	var atKill int64
	var received atomic.Int64
	killed := make(chan struct{})
	resumed := make(chan time.Duration, 1) // kill → pub/sub carrying envelopes again
	runClusterWith(t, ba, bb, clusterRun{total: 600, pace: 50 * time.Millisecond, midwayAt: 40, received: &received, midway: func() {
		atKill = received.Load()
		rc.kill(primary)
		close(killed)
		start := time.Now()
		go func() {
			for time.Since(start) < 30*time.Second {
				if received.Load() > atKill+10 {
					resumed <- time.Since(start)
					return
				}
				time.Sleep(10 * time.Millisecond)
			}
		}()
	}})
	select {
	case <-killed:
	default:
		t.Fatal("the primary was not killed")
	}
	if err := ba.Ping(context.Background()); err != nil {
		t.Errorf("ping with one primary lost: %v (want ready: the other shards answer)", err)
	}
	eventually(t, 10*time.Second, "the event's slot on a new primary", func() bool {
		ba.cluster.ReloadState(context.Background())
		return rc.owner(ba, ba.channel(slug)) != primary
	})
	// Before the kill about 2 × 40 arrived; those after it failed while
	// the shard was down (a few seconds), then travelled by pub/sub again.
	eventually(t, 10*time.Second, "envelopes by pub/sub after the failover", func() bool {
		return received.Load()-atKill >= 200
	})
	select {
	case d := <-resumed:
		t.Logf("pub/sub carried envelopes again %v after the primary was killed", d.Round(100*time.Millisecond))
	case <-time.After(time.Second):
	}
}

func TestRedisClusterEventsOnTheirShards(t *testing.T) {
	t.Parallel()
	rc := startRedisCluster(t)
	prefix := newTestRedis(t).prefix
	ba, bb := rc.broker(prefix), rc.broker(prefix)
	ctx := context.Background()

	// Events whose slots spread over the shards.
	slugs := []string{"cn-hu-2021", "cn-hu-2022", "cn-hu-2023", "expo", "forum", "gala"}
	shards := make(map[int]bool)
	for _, s := range slugs {
		ch := ba.channel(s)
		shards[rc.owner(ba, ch)] = true
		// Everything of one event hashes to one slot.
		slot, err := ba.cluster.ClusterKeySlot(ctx, ch).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{ba.presenceKey(s), ba.shardProbe(s), bb.shardProbe(s)} {
			if ks, err := ba.cluster.ClusterKeySlot(ctx, k).Result(); err != nil || ks != slot {
				t.Fatalf("%s is in slot %d (%v), %s in %d", k, ks, err, ch, slot)
			}
		}
	}
	if len(shards) < 2 {
		t.Fatalf("the test's events all live on one shard (%v); pick others", shards)
	}

	l := &recordingListener{slugs: slugs, changed: make(chan struct{}), got: make(chan string, 100), subs: make(chan string, 100)}
	lctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		_ = ba.Listen(lctx, l)
		close(done)
	}()
	t.Cleanup(func() { cancel(); <-done })
	subscribed := make(map[string]bool)
	for len(subscribed) < len(slugs) {
		select {
		case s := <-l.subs:
			subscribed[s] = true
		case <-time.After(10 * time.Second):
			t.Fatalf("subscribed to %v only", subscribed)
		}
	}
	want := make(map[string]bool)
	for _, s := range slugs {
		p := "d other " + s + "\n{}"
		want[p] = true
		if err := bb.Publish(ctx, s, []byte(p)); err != nil {
			t.Fatalf("publish on %s: %v", s, err)
		}
	}
	for len(want) > 0 {
		select {
		case p := <-l.got:
			if !want[p] {
				t.Fatalf("unexpected message %q", p)
			}
			delete(want, p)
		case <-time.After(5 * time.Second):
			t.Fatalf("never received %v", want)
		}
	}

	// Presence per event, on the event's shard.
	for i, s := range slugs {
		if err := ba.SetPresence(ctx, s, "a", map[string]int{"cn": i}, time.Minute); err != nil {
			t.Fatal(err)
		}
		if err := bb.SetPresence(ctx, s, "b", map[string]int{"hu": 1}, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	for i, s := range slugs {
		got, err := bb.Presence(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got["a"]["cn"] != i || got["b"]["hu"] != 1 {
			t.Fatalf("presence of %s: %v", s, got)
		}
	}
	if err := ba.Ping(ctx); err != nil {
		t.Fatalf("ping: %v", err)
	}
}

func TestOpenRedisBroker(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct{ url, err string }{
		{"redis://127.0.0.1:1/3?addr=127.0.0.1:2", "only database 0"},
		{"redis://127.0.0.1:1?addr=nope", "addr"},
		{"redis://127.0.0.1:1?addr=127.0.0.1:2&bogus=1", "bogus"},
		{"http://127.0.0.1:1", "scheme"},
	} {
		if _, err := OpenRedisBroker(ctx, tc.url, RedisConfig{Logger: testLogger()}); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("OpenRedisBroker(%s): err %v, want one saying %q", tc.url, err, tc.err)
		}
	}

	// Nobody answers: seeds name a cluster, one address a single Redis.
	for url, cluster := range map[string]bool{"redis://127.0.0.1:1?addr=127.0.0.1:2": true, "redis://127.0.0.1:1/0": false} {
		b, err := OpenRedisBroker(ctx, url, RedisConfig{Logger: testLogger()})
		if err != nil {
			t.Fatalf("OpenRedisBroker(%s): %v", url, err)
		}
		if b.Cluster() != cluster {
			t.Errorf("OpenRedisBroker(%s).Cluster() = %v", url, b.Cluster())
		}
		_ = b.Close()
	}

	// A single Redis answers cluster_enabled:0.
	r := newTestRedis(t)
	if !r.real {
		return // miniredis has no INFO cluster
	}
	b, err := OpenRedisBroker(ctx, r.url, RedisConfig{Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.Cluster() {
		t.Fatal("a single Redis was taken for a cluster")
	}
	if err := b.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	addr := strings.TrimPrefix(strings.SplitN(r.url, "/", 4)[2], "redis://")
	if _, err := OpenRedisBroker(ctx, "redis://"+addr+"?addr="+addr, RedisConfig{Logger: testLogger()}); err == nil || !strings.Contains(err.Error(), "cluster_enabled:0") {
		t.Fatalf("seeds naming a single Redis: err %v", err)
	}
}
