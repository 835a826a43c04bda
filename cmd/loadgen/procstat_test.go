package main

import (
	"context"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	for _, tt := range []struct {
		name, stat string
		want       int64
		wantErr    bool
	}{
		{"Plain", "4242 (hybridcon) S 1 4242 4242 0 -1 4194560 1234 0 0 0 1234 56 0 0 20 0 8 0 123456 1234567 890 18446744073709551615", 1290, false},
		{"NameWithSpacesAndParens", "77 (my (odd) prog) R 1 77 77 0 -1 4194304 10 0 0 0 300 200 7 9 20 0 1 0 5 6 7", 500, false},
		{"NoParen", "77 prog R 1 2 3", 0, true},
		{"Short", "77 (prog) R 1 2 3 4 5 6 7 8 9 10 11", 0, true},
		{"NotANumber", "77 (prog) R 1 2 3 4 5 6 7 8 9 10 x 12", 0, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatCPU(tt.stat)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("parseStatCPU = %d, %v; want %d, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestParseStatusRSS(t *testing.T) {
	status := "Name:\thybridcon\nUmask:\t0022\nState:\tS (sleeping)\nVmPeak:\t  812345 kB\nVmRSS:\t   51200 kB\nRssAnon:\t   40000 kB\n"
	if got, err := parseStatusRSS(status); err != nil || got != 51200 {
		t.Errorf("parseStatusRSS = %d, %v; want 51200", got, err)
	}
	for _, bad := range []string{"Name:\tkthreadd\nState:\tS\n", "VmRSS:\t 12 MB\n", "VmRSS:\tlots kB\n"} {
		if _, err := parseStatusRSS(bad); err == nil {
			t.Errorf("parseStatusRSS(%q) accepted", bad)
		}
	}
}

func TestProcSelf(t *testing.T) {
	ticks := clockTicks(context.Background())
	if ticks <= 0 {
		t.Fatalf("clockTicks = %d", ticks)
	}
	p, err := newProc("self", ticks)
	if err != nil {
		t.Fatal(err)
	}
	before, err := p.cpu()
	if err != nil {
		t.Fatal(err)
	}
	// Burn at least 5 clock ticks of CPU.
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		now, err := p.cpu()
		if err != nil {
			t.Fatal(err)
		}
		if now-before >= 5*time.Second/time.Duration(ticks) {
			break
		}
	}
	after, _ := p.cpu()
	if after <= before {
		t.Errorf("CPU time went from %v to %v while spinning", before, after)
	}
	rss, err := p.rss()
	if err != nil || rss < 1024 {
		t.Errorf("rss = %d KiB, %v; want a plausible size", rss, err)
	}
	if _, err := newProc("0", ticks); err == nil {
		t.Error("newProc(0) accepted")
	}
	if _, err := newProc("999999999", ticks); err == nil {
		t.Error("newProc of a pid that does not exist accepted")
	}
	ps := procSet{p, {pid: "999999999", ticks: ticks}}
	if c := ps.cpu(); c[0] <= 0 || c[1] != -1 {
		t.Errorf("procSet.cpu = %v, want [>0 -1]", c)
	}
	if r := ps.rss(); r[0] <= 0 || r[1] != -1 {
		t.Errorf("procSet.rss = %v, want [>0 -1]", r)
	}
}
