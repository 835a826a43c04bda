package realtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// listenShards runs one subscription per event over a Redis Cluster until
// ctx is done: an event's channel lives on the shard owning its slug's
// slot, and a go-redis PubSub talks to one node only, so events on
// different shards cannot share one.
func (b *RedisBroker) listenShards(ctx context.Context, l Listener) error {
	subs := make(map[string]context.CancelFunc)
	var wg sync.WaitGroup
	defer func() {
		for _, stop := range subs {
			stop()
		}
		wg.Wait()
	}()
	reconcile := func() {
		want := make(map[string]bool)
		for _, s := range l.Slugs() {
			want[s] = true
			if subs[s] != nil {
				continue
			}
			sctx, stop := context.WithCancel(ctx)
			subs[s] = stop
			wg.Add(1)
			go func() {
				defer wg.Done()
				b.listenShard(sctx, l, s)
			}()
		}
		for s, stop := range subs {
			if !want[s] {
				stop()
				delete(subs, s)
			}
		}
	}
	reconcile()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-l.Changed():
			reconcile()
		}
	}
}

// listenShard keeps slug's sharded subscription alive until ctx is done,
// making a new one (on the slot's current primary) whenever the old one
// fails, goes silent or is dropped by the server.
func (b *RedisBroker) listenShard(ctx context.Context, l Listener, slug string) {
	backoff := 100 * time.Millisecond
	for {
		confirmed, err := b.shardOnce(ctx, l, slug)
		if ctx.Err() != nil {
			return
		}
		if confirmed {
			backoff = 100 * time.Millisecond
		}
		// The shard may have failed over: ask the cluster who owns the
		// slot now before connecting again.
		b.cluster.ReloadState(ctx)
		b.log.Warn("redis shard subscription lost; resubscribing", "event", slug, "err", err, "in", backoff)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		// At most a second: a failover completes within a few, and
		// everything published meanwhile waits in the log.
		backoff = min(2*backoff, time.Second)
	}
}

// errShardUnsubscribed ends a subscription the server dropped: Redis
// sends "sunsubscribe" when the slot moves to another shard.
var errShardUnsubscribed = errors.New("realtime: redis shard dropped the subscription (slot moved)")

// shardOnce runs one sharded PubSub for slug until it fails; confirmed
// reports whether Redis acknowledged the subscription. It does its own
// reading (no go-redis reconnection: after a failover the reconnection
// must go to another node, so the PubSub is replaced instead).
func (b *RedisBroker) shardOnce(ctx context.Context, l Listener, slug string) (confirmed bool, err error) {
	channel, probe := b.channel(slug), b.shardProbe(slug)
	sctx, cancel := b.opCtx(ctx)
	ps := b.cluster.SSubscribe(sctx, channel, probe)
	cancel()
	defer ps.Close()
	stop := context.AfterFunc(ctx, func() { _ = ps.Close() })
	defer stop()

	wait := 2 * b.cfg.OpTimeout
	for pending := 2; pending > 0; pending-- {
		msg, err := ps.ReceiveTimeout(ctx, wait)
		if err != nil {
			return false, err
		}
		s, ok := msg.(*redis.Subscription)
		if !ok || s.Kind != "ssubscribe" {
			return false, fmt.Errorf("realtime: unexpected first sharded pub/sub message %v", msg)
		}
	}
	// Both confirmed: anything published from now on arrives; what came
	// before is for the log.
	l.HandleSubscribed(slug)

	interval := b.cfg.ProbeInterval
	lastSeen, lastProbe := time.Now(), time.Time{}
	for {
		if ctx.Err() != nil {
			return true, nil
		}
		if time.Since(lastSeen) > 3*interval {
			return true, errStaleSubscription
		}
		if time.Since(lastProbe) >= interval {
			lastProbe = time.Now()
			pctx, cancel := b.opCtx(ctx)
			_ = b.cluster.SPublish(pctx, probe, "p").Err()
			cancel()
		}
		msg, err := ps.ReceiveTimeout(ctx, interval)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue // nothing for an interval: probe again
			}
			return true, err
		}
		lastSeen = time.Now()
		switch m := msg.(type) {
		case *redis.Message:
			if m.Channel == channel {
				l.HandleMessage(slug, []byte(m.Payload))
			}
		case *redis.Subscription:
			if m.Kind == "sunsubscribe" {
				return true, errShardUnsubscribed
			}
		}
	}
}

// RedisClusterOptions parses a redis:// URL naming a Redis Cluster (the
// host and any further seeds as addr= parameters) into client options
// with the short timeouts RedisOptions sets. A cluster has only database
// 0, so another database in the path is refused.
func RedisClusterOptions(rawURL string) (*redis.ClusterOptions, error) {
	opt, err := redis.ParseClusterURL(rawURL)
	if err != nil {
		return nil, fmt.Errorf("realtime: redis cluster url: %w", err)
	}
	if u, err := url.Parse(rawURL); err == nil {
		if db := strings.Trim(u.Path, "/"); db != "" && db != "0" {
			return nil, fmt.Errorf("realtime: redis cluster url: a Redis Cluster has only database 0, not %q", db)
		}
	}
	opt.DialTimeout = time.Second
	opt.ReadTimeout = time.Second
	opt.WriteTimeout = time.Second
	opt.PoolTimeout = time.Second
	opt.MaxRetries = 1
	opt.ContextTimeoutEnabled = true
	return opt, nil
}

// redisSeeds returns the addresses a URL names: its host, then every
// addr= parameter (URL without any is a single Redis's).
func redisSeeds(rawURL string) ([]string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	if !u.Query().Has("addr") {
		opt, err := redis.ParseURL(rawURL)
		if err != nil {
			return nil, err
		}
		return []string{opt.Addr}, nil
	}
	opt, err := redis.ParseClusterURL(rawURL)
	if err != nil {
		return nil, err
	}
	return opt.Addrs, nil
}

// ValidateRedisURL checks a HYBRIDCON_REDIS_URL without connecting: a
// single Redis, or (with addr= seeds) a Redis Cluster.
func ValidateRedisURL(rawURL string) error {
	seeds, err := redisSeeds(rawURL)
	if err != nil {
		return err
	}
	if len(seeds) > 1 {
		_, err = RedisClusterOptions(rawURL)
		return err
	}
	_, err = RedisOptions(rawURL)
	return err
}

// DetectRedisCluster asks the servers rawURL names, in turn, whether they
// run in cluster mode (INFO cluster, cluster_enabled:1). The first answer
// decides. When none answers, the error says so.
func DetectRedisCluster(ctx context.Context, rawURL string) (bool, error) {
	var opts []*redis.Options
	if seeds, err := redisSeeds(rawURL); err != nil {
		return false, fmt.Errorf("realtime: redis url: %w", err)
	} else if len(seeds) == 1 {
		opt, err := RedisOptions(rawURL)
		if err != nil {
			return false, err
		}
		opt.DB = 0 // a cluster node refuses SELECT of another
		opts = append(opts, opt)
	} else {
		copt, err := RedisClusterOptions(rawURL)
		if err != nil {
			return false, err
		}
		for _, addr := range copt.Addrs {
			opts = append(opts, &redis.Options{
				Addr: addr, Username: copt.Username, Password: copt.Password, TLSConfig: copt.TLSConfig,
				Protocol: copt.Protocol, DialTimeout: time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second,
				PoolTimeout: time.Second, MaxRetries: -1, ContextTimeoutEnabled: true,
			})
		}
	}
	var errs []error
	for _, opt := range opts {
		c := redis.NewClient(opt)
		info, err := c.Info(ctx, "cluster").Result()
		_ = c.Close()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", opt.Addr, err))
			continue
		}
		return strings.Contains(info, "cluster_enabled:1"), nil
	}
	return false, fmt.Errorf("realtime: no Redis answered: %w", errors.Join(errs...))
}

// OpenRedisBroker connects to the Redis rawURL names and returns a broker
// over it: over a Redis Cluster when the server says it runs in cluster
// mode, else over a single Redis. When no server answers within the
// detection's few seconds, a URL with addr= seeds is taken for a cluster
// and one without for a single Redis (logged). The broker owns the
// client: Close it.
func OpenRedisBroker(ctx context.Context, rawURL string, cfg RedisConfig) (*RedisBroker, error) {
	if err := ValidateRedisURL(rawURL); err != nil {
		return nil, err
	}
	seeds, _ := redisSeeds(rawURL)
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	dctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	cluster, err := DetectRedisCluster(dctx, rawURL)
	cancel()
	if err != nil {
		cluster = len(seeds) > 1
		log.Warn("cannot ask Redis whether it is a cluster; assuming from the URL", "cluster", cluster, "err", err)
	} else if !cluster && len(seeds) > 1 {
		return nil, fmt.Errorf("realtime: redis url names %d addresses (addr=), but the server is not in cluster mode (cluster_enabled:0)", len(seeds))
	}
	var b *RedisBroker
	if cluster {
		opt, err := RedisClusterOptions(rawURL)
		if err != nil {
			return nil, err
		}
		b = NewRedisClusterBroker(redis.NewClusterClient(opt), cfg)
	} else {
		opt, err := RedisOptions(rawURL)
		if err != nil {
			return nil, err
		}
		b = NewRedisBroker(redis.NewClient(opt), cfg)
	}
	b.owned = true
	return b, nil
}
