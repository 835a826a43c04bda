package app

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkConcurrentLogins checks 8 passwords at once, as 8 people
// pressing "log in" together, with 2 hashing slots (the default) and with
// 8 (no effective bound), and reports the peak Go heap during the burst
// (sampled every millisecond) beside the time per burst.
//
//	go test ./app -run '^$' -bench ConcurrentLogins -benchtime 10x
func BenchmarkConcurrentLogins(b *testing.B) {
	hash, err := HashPassword("a good password")
	if err != nil {
		b.Fatal(err)
	}
	for _, slots := range []int{DefaultPasswordHashes, 8} {
		b.Run(fmt.Sprintf("slots=%d", slots), func(b *testing.B) {
			s := NewService(nil, nil, nil)
			s.SetPasswordHashes(slots)
			var peak atomic.Uint64
			stop := make(chan struct{})
			sampled := make(chan struct{})
			go func() {
				defer close(sampled)
				sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
				t := time.NewTicker(time.Millisecond)
				defer t.Stop()
				for {
					select {
					case <-stop:
						return
					case <-t.C:
						metrics.Read(sample)
						if v := sample[0].Value.Uint64(); v > peak.Load() {
							peak.Store(v)
						}
					}
				}
			}()
			runtime.GC()
			b.ResetTimer()
			for range b.N {
				var wg sync.WaitGroup
				for range 8 {
					wg.Go(func() {
						if ok, err := s.checkPasswordHash(context.Background(), hash, "a good password"); !ok || err != nil {
							b.Errorf("check: %v %v", ok, err)
						}
					})
				}
				wg.Wait()
			}
			b.StopTimer()
			close(stop)
			<-sampled
			b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
		})
	}
}
