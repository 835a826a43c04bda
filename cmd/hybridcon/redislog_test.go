package main

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestRedisLoggerRateLimits(t *testing.T) {
	var buf lockedBuffer
	l := &redisLogger{log: slog.New(slog.NewTextHandler(&buf, nil))}
	for i := range 50 {
		l.Printf(context.Background(), "redis: connection pool: failed to dial after %d attempts", i)
	}
	if n := strings.Count(buf.String(), "\n"); n != 1 {
		t.Fatalf("50 messages in a burst logged %d lines, want 1:\n%s", n, buf.String())
	}
	if !strings.Contains(buf.String(), "level=WARN") || !strings.Contains(buf.String(), "failed to dial after 0 attempts") {
		t.Fatalf("got %q", buf.String())
	}
	l.last.Store(time.Now().Add(-redisLogEvery).UnixNano()) // as if 10 s passed
	l.Printf(context.Background(), "again")
	if !strings.Contains(buf.String(), "suppressed_since_last=49") {
		t.Fatalf("the next message does not count the 49 suppressed: %q", buf.String())
	}
}
