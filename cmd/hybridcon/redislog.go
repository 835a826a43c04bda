package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisLogEvery is the least time between two go-redis messages logged.
const redisLogEvery = 10 * time.Second

// redisLogger takes go-redis's own messages (failed dials, pub/sub
// reconnections), which it otherwise prints to stderr once per failed
// command — dozens of lines a second while Redis is down — and logs them
// through slog at warn, at most one per redisLogEvery, with the number
// of messages suppressed since the last one. The hub reports the outage
// itself (rate-limited warnings, metrics, /readyz).
type redisLogger struct {
	log        *slog.Logger
	last       atomic.Int64 // unix nanos of the last message logged
	suppressed atomic.Int64
}

// Printf implements go-redis's internal.Logging.
func (l *redisLogger) Printf(ctx context.Context, format string, v ...any) {
	now := time.Now().UnixNano()
	last := l.last.Load()
	if now-last < int64(redisLogEvery) || !l.last.CompareAndSwap(last, now) {
		l.suppressed.Add(1)
		return
	}
	l.log.WarnContext(ctx, "redis client: "+fmt.Sprintf(format, v...), "suppressed_since_last", l.suppressed.Swap(0))
}

var redisLoggerOnce sync.Once

// useRedisLogger installs a redisLogger over log for the process: go-redis
// has one logger for all its clients, so the first node that connects to
// Redis in a process sets it.
func useRedisLogger(log *slog.Logger) {
	redisLoggerOnce.Do(func() { redis.SetLogger(&redisLogger{log: log}) })
}
