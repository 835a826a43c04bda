package app

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestHashSlots: at most SetPasswordHashes hashes run at once; a check
// finding every slot busy past its wait is EUnavailable with retry_after,
// and a freed slot lets a waiting one through.
func TestHashSlots(t *testing.T) {
	s := NewService(nil, nil, nil)
	s.SetPasswordHashes(2)

	t.Run("Bound", func(t *testing.T) {
		var running, peak atomic.Int32
		var wg sync.WaitGroup
		for range 6 {
			wg.Go(func() {
				release, err := s.hashSlot(context.Background())
				if err != nil {
					t.Error(err)
					return
				}
				n := running.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				time.Sleep(20 * time.Millisecond)
				running.Add(-1)
				release()
			})
		}
		wg.Wait()
		if got := peak.Load(); got != 2 {
			t.Fatalf("peak concurrent hashes %d, want 2", got)
		}
	})

	t.Run("BusyIsUnavailable", func(t *testing.T) {
		r1, _ := s.hashSlot(context.Background())
		r2, _ := s.hashSlot(context.Background())
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		defer cancel()
		_, err := s.hashPassword(ctx, "a good password")
		var e *Error
		if !errors.As(err, &e) || e.Code != EUnavailable {
			t.Fatalf("got %v, want %s", err, EUnavailable)
		}
		if d, ok := e.Details.(map[string]int); !ok || d["retry_after"] < 1 {
			t.Fatalf("details %#v, want retry_after ≥ 1", e.Details)
		}
		done := make(chan error, 1)
		go func() {
			_, err := s.checkPasswordHash(context.Background(), dummyHash(), "x")
			done <- err
		}()
		time.Sleep(20 * time.Millisecond)
		r1()
		if err := <-done; err != nil {
			t.Fatalf("a check waiting for a freed slot: %v", err)
		}
		r2()
	})
}
