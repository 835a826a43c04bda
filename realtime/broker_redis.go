package realtime

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisConfig configures a RedisBroker. Zero values mean the defaults
// named in the comments.
type RedisConfig struct {
	// Prefix starts every channel and key the broker uses, so deployments
	// (and parallel tests) can share one Redis. Zero: "hybridcon:"; a
	// server derives it with DeploymentPrefix instead.
	Prefix string
	// OpTimeout bounds each publish, presence and subscribe command, so an
	// unreachable Redis costs callers at most this long. Zero: 1 s.
	OpTimeout time.Duration
	// ProbeInterval is how often the subscription is checked end to end:
	// the broker publishes on its own probe channel and, when nothing has
	// arrived for 3 intervals, drops the subscription and makes a new one
	// (a pub/sub connection can look healthy and receive nothing after a
	// failover). Zero: 2 s.
	ProbeInterval time.Duration
	// Logger receives connection problems. Zero: slog.Default().
	Logger *slog.Logger
}

// RedisBroker is the cluster Broker over Redis pub/sub (go-redis v9): one
// channel per event, "<prefix>ev:<slug>", and one presence hash per event,
// "<prefix>presence:<slug>", whose fields are node ids and whose values
// carry the counts and their expiry time.
//
// Over a Redis Cluster (NewRedisClusterBroker) events travel by sharded
// pub/sub (SPUBLISH/SSUBSCRIBE) and every name carries the slug as a hash
// tag, "<prefix>ev:{<slug>}", "<prefix>presence:{<slug>}" and the probe
// channel "<prefix>probe:{<slug>}:<id>", so everything of one event lives
// on the shard that owns the slug's slot. Each event then has its own
// subscription (a pub/sub connection to that shard's primary) with its
// own probe, remade after the shard fails over. Safe for concurrent use.
type RedisBroker struct {
	rdb     redis.UniversalClient
	cluster *redis.ClusterClient // non-nil over a Redis Cluster
	cfg     RedisConfig
	log     *slog.Logger
	id      string // random, names this broker's probe channels
	probe   string // this broker's probe channel (single Redis)
	owned   bool   // Close closes rdb
}

var _ Broker = (*RedisBroker)(nil)

// NewRedisBroker returns a broker over rdb. Give rdb short timeouts
// (RedisOptions does): the broker bounds its own commands with
// cfg.OpTimeout, but go-redis applies a context deadline to socket reads
// and writes only with Options.ContextTimeoutEnabled.
func NewRedisBroker(rdb *redis.Client, cfg RedisConfig) *RedisBroker {
	return newRedisBroker(rdb, nil, cfg)
}

// NewRedisClusterBroker returns a broker over a Redis Cluster (Redis 7 or
// later, for sharded pub/sub). Give rdb short timeouts
// (RedisClusterOptions does).
func NewRedisClusterBroker(rdb *redis.ClusterClient, cfg RedisConfig) *RedisBroker {
	return newRedisBroker(rdb, rdb, cfg)
}

func newRedisBroker(rdb redis.UniversalClient, cluster *redis.ClusterClient, cfg RedisConfig) *RedisBroker {
	if cfg.Prefix == "" {
		cfg.Prefix = "hybridcon:"
	}
	setDur(&cfg.OpTimeout, time.Second)
	setDur(&cfg.ProbeInterval, 2*time.Second)
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	var id [8]byte
	_, _ = rand.Read(id[:])
	b := &RedisBroker{rdb: rdb, cluster: cluster, cfg: cfg, log: cfg.Logger, id: hex.EncodeToString(id[:])}
	b.probe = cfg.Prefix + "probe:" + b.id
	return b
}

// Cluster reports whether the broker runs over a Redis Cluster.
func (b *RedisBroker) Cluster() bool { return b.cluster != nil }

// Ping checks that Redis answers: the server, or over a cluster at least
// one primary (a dead one degrades only its events, which catch up from
// the log, so it does not make the node unready).
func (b *RedisBroker) Ping(ctx context.Context) error {
	ctx, cancel := b.opCtx(ctx)
	defer cancel()
	if b.cluster == nil {
		return b.rdb.Ping(ctx).Err()
	}
	var ok atomic.Int32
	err := b.cluster.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		err := c.Ping(ctx).Err()
		if err == nil {
			ok.Add(1)
		}
		return err
	})
	if ok.Load() > 0 {
		if err != nil {
			b.cluster.ReloadState(ctx)
		}
		return nil
	}
	if err == nil {
		err = errors.New("realtime: the cluster has no primary")
	}
	return err
}

// Close closes the client when the broker opened it (OpenRedisBroker).
func (b *RedisBroker) Close() error {
	if !b.owned {
		return nil
	}
	return b.rdb.Close()
}

// DeploymentPrefix is the default Redis prefix for the deployment whose
// database has the given identity: "hc:" and the first 12 hex digits of the
// identity's SHA-256, e.g. "hc:3f9a0c27b1d4:". Every node of a deployment
// computes the same prefix; another database, even a restored copy of this
// one, gets another, so its broadcasts and seqs never mix with these.
func DeploymentPrefix(identity string) string {
	sum := sha256.Sum256([]byte(identity))
	return "hc:" + hex.EncodeToString(sum[:6]) + ":"
}

// RedisOptions parses a redis:// URL into client options with the short
// timeouts a broker needs: dial 1 s, read and write 1 s, pool wait 1 s,
// one retry, and context deadlines honoured.
func RedisOptions(url string) (*redis.Options, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("realtime: redis url: %w", err)
	}
	opt.DialTimeout = time.Second
	opt.ReadTimeout = time.Second
	opt.WriteTimeout = time.Second
	opt.PoolTimeout = time.Second
	opt.MaxRetries = 1
	opt.ContextTimeoutEnabled = true
	return opt, nil
}

// tag is how slug appears in names: as a hash tag over a cluster (slugs
// contain no braces, nor may the prefix).
func (b *RedisBroker) tag(slug string) string {
	if b.cluster != nil {
		return "{" + slug + "}"
	}
	return slug
}

func (b *RedisBroker) channel(slug string) string { return b.cfg.Prefix + "ev:" + b.tag(slug) }
func (b *RedisBroker) presenceKey(slug string) string {
	return b.cfg.Prefix + "presence:" + b.tag(slug)
}

// shardProbe is this broker's probe channel for slug over a cluster: on
// the event's shard, so it proves that shard's subscription alive.
func (b *RedisBroker) shardProbe(slug string) string {
	return b.cfg.Prefix + "probe:" + b.tag(slug) + ":" + b.id
}

// slugOf returns the slug of an event channel.
func (b *RedisBroker) slugOf(channel string) (string, bool) {
	return strings.CutPrefix(channel, b.cfg.Prefix+"ev:")
}

func (b *RedisBroker) opCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, b.cfg.OpTimeout)
}

// Publish sends payload on slug's channel, failing within OpTimeout when
// Redis is unreachable.
func (b *RedisBroker) Publish(ctx context.Context, slug string, payload []byte) error {
	ctx, cancel := b.opCtx(ctx)
	defer cancel()
	if b.cluster != nil {
		err := b.cluster.SPublish(ctx, b.channel(slug), payload).Err()
		if err != nil {
			// The shard may have failed over; go-redis does not ask
			// the cluster again after a failed dial by itself.
			b.cluster.ReloadState(ctx)
		}
		return err
	}
	return b.rdb.Publish(ctx, b.channel(slug), payload).Err()
}

// errStaleSubscription ends a subscription whose probes stopped arriving.
var errStaleSubscription = errors.New("realtime: redis subscription receives nothing")

// Listen keeps one subscription alive until ctx is done, making a new one
// whenever the old one fails or goes silent.
func (b *RedisBroker) Listen(ctx context.Context, l Listener) error {
	if b.cluster != nil {
		return b.listenShards(ctx, l)
	}
	backoff := 100 * time.Millisecond
	for {
		confirmed, err := b.listenOnce(ctx, l)
		if ctx.Err() != nil {
			return nil
		}
		if confirmed {
			backoff = 100 * time.Millisecond
		}
		b.log.Warn("redis subscription lost; resubscribing", "err", err, "in", backoff)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// listenOnce runs one PubSub until it fails; confirmed reports whether
// Redis acknowledged the subscription.
func (b *RedisBroker) listenOnce(ctx context.Context, l Listener) (confirmed bool, err error) {
	sctx, cancel := b.opCtx(ctx)
	ps := b.rdb.Subscribe(sctx, b.probe)
	cancel()
	defer ps.Close()
	// Subscribe does not wait for Redis: Receive the confirmation first.
	msg, err := ps.ReceiveTimeout(ctx, 2*b.cfg.OpTimeout)
	if err != nil {
		return false, err
	}
	if _, ok := msg.(*redis.Subscription); !ok {
		return false, fmt.Errorf("realtime: unexpected first pub/sub message %T", msg)
	}
	subscribed := make(map[string]bool)
	b.reconcile(ctx, ps, l, subscribed)
	ch := ps.ChannelWithSubscriptions(redis.WithChannelSize(1024), redis.WithChannelHealthCheckInterval(b.cfg.ProbeInterval))
	probe := time.NewTicker(b.cfg.ProbeInterval)
	defer probe.Stop()
	lastSeen := time.Now()
	for {
		select {
		case <-ctx.Done():
			return true, nil
		case <-l.Changed():
			b.reconcile(ctx, ps, l, subscribed)
		case m, ok := <-ch:
			if !ok {
				return true, errors.New("realtime: redis pub/sub closed")
			}
			lastSeen = time.Now()
			switch m := m.(type) {
			case *redis.Subscription:
				// Sent after our SUBSCRIBE and again after every automatic
				// reconnection of go-redis: time to catch up from the log.
				if slug, ok := b.slugOf(m.Channel); ok && m.Kind == "subscribe" {
					l.HandleSubscribed(slug)
				}
			case *redis.Message:
				if slug, ok := b.slugOf(m.Channel); ok {
					l.HandleMessage(slug, []byte(m.Payload))
				}
			}
		case <-probe.C:
			if time.Since(lastSeen) > 3*b.cfg.ProbeInterval {
				return true, errStaleSubscription
			}
			pctx, cancel := b.opCtx(ctx)
			_ = b.rdb.Publish(pctx, b.probe, "p").Err()
			cancel()
		}
	}
}

// reconcile subscribes ps to exactly l.Slugs(). Failures are only logged:
// go-redis keeps the channel set and resubscribes on reconnection, and
// the probe replaces a subscription that stays broken.
func (b *RedisBroker) reconcile(ctx context.Context, ps *redis.PubSub, l Listener, subscribed map[string]bool) {
	want := make(map[string]bool)
	var add, remove []string
	for _, s := range l.Slugs() {
		want[s] = true
		if !subscribed[s] {
			add = append(add, b.channel(s))
		}
	}
	for s := range subscribed {
		if !want[s] {
			remove = append(remove, b.channel(s))
			delete(subscribed, s)
		}
	}
	for s := range want {
		subscribed[s] = true
	}
	cctx, cancel := b.opCtx(ctx)
	defer cancel()
	if len(add) > 0 {
		if err := ps.Subscribe(cctx, add...); err != nil {
			b.log.Warn("redis subscribe failed", "channels", len(add), "err", err)
		}
	}
	if len(remove) > 0 {
		if err := ps.Unsubscribe(cctx, remove...); err != nil {
			b.log.Warn("redis unsubscribe failed", "channels", len(remove), "err", err)
		}
	}
}

// redisPresence is the value stored per node in an event's presence hash.
type redisPresence struct {
	Expires int64          `json:"exp"` // unix milliseconds
	Counts  map[string]int `json:"c"`
}

// presenceGC is how long after expiry a node's field is deleted.
const presenceGC = time.Minute

// SetPresence writes node's counts into slug's presence hash, valid for
// ttl, and keeps the hash itself alive for 2 × ttl.
func (b *RedisBroker) SetPresence(ctx context.Context, slug, node string, counts map[string]int, ttl time.Duration) error {
	v, err := json.Marshal(redisPresence{Expires: time.Now().Add(ttl).UnixMilli(), Counts: counts})
	if err != nil {
		return err
	}
	ctx, cancel := b.opCtx(ctx)
	defer cancel()
	key := b.presenceKey(slug)
	_, err = b.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, key, node, v)
		p.PExpire(ctx, key, 2*ttl)
		return nil
	})
	return err
}

// Presence reads slug's presence hash, ignoring expired reports and
// deleting those expired long ago (nodes that died).
func (b *RedisBroker) Presence(ctx context.Context, slug string) (map[string]map[string]int, error) {
	ctx, cancel := b.opCtx(ctx)
	defer cancel()
	key := b.presenceKey(slug)
	all, err := b.rdb.HGetAll(ctx, key).Result()
	if err != nil {
		return nil, err
	}
	now := time.Now().UnixMilli()
	out := make(map[string]map[string]int, len(all))
	var dead []string
	for node, raw := range all {
		var p redisPresence
		if json.Unmarshal([]byte(raw), &p) != nil {
			dead = append(dead, node)
			continue
		}
		if p.Expires < now {
			if p.Expires < now-presenceGC.Milliseconds() {
				dead = append(dead, node)
			}
			continue
		}
		out[node] = p.Counts
	}
	if len(dead) > 0 {
		_ = b.rdb.HDel(ctx, key, dead...).Err()
	}
	return out, nil
}
