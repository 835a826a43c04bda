package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// defaultClockTicks is USER_HZ on every mainstream Linux build; used when
// `getconf CLK_TCK` is unavailable.
const defaultClockTicks = 100

// clockTicks returns the kernel's clock ticks per second (the unit of
// utime and stime in /proc/PID/stat), asking `getconf CLK_TCK` and falling
// back to 100.
func clockTicks(ctx context.Context) int64 {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "getconf", "CLK_TCK").Output()
	if err != nil {
		return defaultClockTicks
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
	if err != nil || n <= 0 {
		return defaultClockTicks
	}
	return n
}

// parseStatCPU returns utime+stime, in clock ticks, from the contents of
// /proc/PID/stat. The command name (field 2) is in parentheses and may
// itself hold spaces and parentheses, so fields are counted from the last
// ')'.
func parseStatCPU(stat string) (int64, error) {
	end := strings.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, errors.New("procstat: no ')' after the command name")
	}
	// After ") " come fields 3 (state) onwards; utime is field 14, stime 15.
	f := strings.Fields(stat[end+1:])
	const utime, stime = 14 - 3, 15 - 3
	if len(f) <= stime {
		return 0, fmt.Errorf("procstat: %d fields after the command name, want at least %d", len(f), stime+1)
	}
	u, err := strconv.ParseInt(f[utime], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("procstat: utime %q: %w", f[utime], err)
	}
	s, err := strconv.ParseInt(f[stime], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("procstat: stime %q: %w", f[stime], err)
	}
	return u + s, nil
}

// parseStatusRSS returns VmRSS in KiB from the contents of
// /proc/PID/status.
func parseStatusRSS(status string) (int64, error) {
	for line := range strings.Lines(status) {
		rest, ok := strings.CutPrefix(line, "VmRSS:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("procstat: unexpected VmRSS line %q", strings.TrimSpace(line))
		}
		return strconv.ParseInt(f[0], 10, 64)
	}
	return 0, errors.New("procstat: no VmRSS line (kernel thread or exited process?)")
}

// proc reads CPU time and RSS of one process through /proc. The zero
// value is not usable; build one with newProc.
type proc struct {
	pid   string // a number or "self"
	ticks int64  // clock ticks per second
}

func newProc(pid string, ticks int64) (proc, error) {
	if pid != "self" {
		if n, err := strconv.Atoi(pid); err != nil || n <= 0 {
			return proc{}, fmt.Errorf("--pid: %q is not a process id", pid)
		}
	}
	p := proc{pid: pid, ticks: ticks}
	_, err := p.cpu() // fail early on a wrong pid
	return p, err
}

// cpu returns the process's user+system CPU time so far.
func (p proc) cpu() (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + p.pid + "/stat")
	if err != nil {
		return 0, err
	}
	t, err := parseStatCPU(string(bytes.TrimSpace(b)))
	if err != nil {
		return 0, fmt.Errorf("pid %s: %w", p.pid, err)
	}
	return time.Duration(t) * time.Second / time.Duration(p.ticks), nil
}

// rss returns the process's resident set size in KiB.
func (p proc) rss() (int64, error) {
	b, err := os.ReadFile("/proc/" + p.pid + "/status")
	if err != nil {
		return 0, err
	}
	kib, err := parseStatusRSS(string(b))
	if err != nil {
		return 0, fmt.Errorf("pid %s: %w", p.pid, err)
	}
	return kib, nil
}

// procSet samples several processes (the nodes of a cluster) at once.
type procSet []proc

// cpu returns each process's CPU time; a process that cannot be read
// (it exited) gives -1 so the report can say so.
func (ps procSet) cpu() []time.Duration {
	out := make([]time.Duration, len(ps))
	for i, p := range ps {
		d, err := p.cpu()
		if err != nil {
			d = -1
		}
		out[i] = d
	}
	return out
}

// rss returns each process's RSS in KiB, -1 where it cannot be read.
func (ps procSet) rss() []int64 {
	out := make([]int64, len(ps))
	for i, p := range ps {
		k, err := p.rss()
		if err != nil {
			k = -1
		}
		out[i] = k
	}
	return out
}
