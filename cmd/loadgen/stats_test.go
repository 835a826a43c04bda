package main

import (
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	var hundred []time.Duration
	for i := 1; i <= 100; i++ {
		hundred = append(hundred, time.Duration(i)*time.Millisecond)
	}
	ten := []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for _, tt := range []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"Empty", nil, 50, 0},
		{"One", []time.Duration{7}, 99, 7},
		{"P50of100", hundred, 50, 50 * time.Millisecond},
		{"P90of100", hundred, 90, 90 * time.Millisecond},
		{"P99of100", hundred, 99, 99 * time.Millisecond},
		{"P100of100", hundred, 100, 100 * time.Millisecond},
		{"P0IsMin", hundred, 0, time.Millisecond},
		{"P50of10", ten, 50, 5},
		{"P99of10IsMax", ten, 99, 10},
		{"P91of10RoundsUp", ten, 91, 10},
		{"P90of10", ten, 90, 9},
		{"TinyP", ten, 0.001, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("percentile(%d samples, %v) = %v, want %v", len(tt.sorted), tt.p, got, tt.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	if got := summarize(nil); got != (Latency{}) {
		t.Errorf("summarize(nil) = %+v, want zero", got)
	}
	// Unsorted input: summarize sorts it.
	ds := []time.Duration{4 * time.Millisecond, 1 * time.Millisecond, 3 * time.Millisecond, 2 * time.Millisecond, 1500 * time.Microsecond}
	got := summarize(ds)
	want := Latency{Count: 5, Mean: 2.3, P50: 2, P90: 4, P99: 4, Max: 4}
	if got != want {
		t.Errorf("summarize = %+v, want %+v", got, want)
	}
	if ds[0] != time.Millisecond || ds[4] != 4*time.Millisecond {
		t.Errorf("summarize left %v unsorted", ds)
	}
	if s := got.String(); s != "p50 2.00ms  p90 4.00ms  p99 4.00ms  max 4.00ms  (mean 2.30ms, n=5)" {
		t.Errorf("String() = %q", s)
	}
}

func TestMS(t *testing.T) {
	for d, want := range map[time.Duration]float64{
		0: 0, time.Microsecond: 0.001, 1500 * time.Microsecond: 1.5, 1499 * time.Nanosecond: 0.001, 2 * time.Second: 2000,
	} {
		if got := ms(d); got != want {
			t.Errorf("ms(%v) = %v, want %v", d, got, want)
		}
	}
}
