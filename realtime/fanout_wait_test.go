package realtime

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// BenchmarkWaitDuringFanOut measures how long the calls that must not
// wait for a fan-out pass take while the hub fans envelopes out, back to
// back, to HYBRIDCON_BENCH_VIEWERS (default 10,000) websocket viewers: a
// viewer joining (Hub.join), GET …/live's snapshot (Hub.Snapshot, which
// rebuilds after every publish) and a presence read (Hub.Presence). One
// op is one envelope published and delivered to every viewer; meanwhile
// one probe goroutine per kind of call makes a call, waits a millisecond,
// and so on.
//
// The viewers are loopback TCP connections whose other ends a child
// process (this test binary, TestFanOutSink) reads and discards, so the
// server's side costs what it costs in production (one non-blocking
// write(2) per viewer when its socket is idle) and the 20,000 descriptors
// are split between two processes. The viewers skip the websocket
// handshake: the hub writes its pre-encoded frames itself.
//
//	go test -run '^$' -bench WaitDuringFanOut -benchtime 40x ./realtime
//
// Custom metrics: {join,snapshot,presence}-{p99,max}-ms, the latency of
// each probed call; {join,snapshot,presence}-probes, how many were made;
// cpu-ns/delivery, this process's CPU time (the hub's, the probes'; not
// the sink's) per envelope and viewer. HYBRIDCON_BENCH_PROBES=off leaves
// the probes out, for the fan-out's CPU alone.
func BenchmarkWaitDuringFanOut(b *testing.B) {
	n := 10000
	if s := os.Getenv("HYBRIDCON_BENCH_VIEWERS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < 1 {
			b.Fatalf("HYBRIDCON_BENCH_VIEWERS=%q: want a positive number", s)
		}
	}
	addr, stopSink := startSink(b)
	defer stopSink()

	src := newFakeSource()
	src.add(slug, "E1")
	src.appendN(slug, 10)
	var delivered atomic.Int64
	cfg := HubConfig{NodeID: "bench", Region: "cn", KnownRegions: []string{"cn", "hu"},
		Metrics: &Metrics{Deliveries: func(kind string) Counter {
			if kind == DeliveryDurable {
				return atomicCounter{&delivered}
			}
			return nop{}
		}}}
	h := NewHub(cfg, NewMemoryBroker(), src, testLogger())
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { h.Run(ctx); close(ran) }()
	defer func() { cancel(); <-ran }()

	join := func() (*viewer, time.Duration, error) {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			return nil, 0, err
		}
		v := benchViewer(h, nc)
		start := time.Now()
		if err := h.join(ctx, slug, v, connParams{slug: slug, region: "cn"}); err != nil {
			_ = nc.Close()
			return nil, 0, err
		}
		return v, time.Since(start), nil
	}
	viewers := make([]*viewer, 0, n)
	defer func() {
		for _, v := range viewers {
			v.finish()
			_ = v.nc.Close()
		}
	}()
	for range n {
		v, _, err := join()
		if err != nil {
			b.Fatal(err)
		}
		viewers = append(viewers, v)
	}
	// A realistic announcement: a few hundred bytes in three languages.
	data := json.RawMessage(`{"id":42,"level":"info","text":{"en":"` + strings.Repeat("Keynote starts in the main hall. ", 4) +
		`","zh":"` + strings.Repeat("主会场主题演讲即将开始。", 4) + `","hu":"` + strings.Repeat("A nyitóelőadás a nagyteremben kezdődik. ", 3) + `"}}`)
	publish := func() {
		target := delivered.Load() + int64(n)
		h.Publish(ctx, src.appendData(slug, data))
		for delivered.Load() < target {
			time.Sleep(50 * time.Microsecond)
		}
	}
	publish() // warm up: every viewer has had its snapshot and one envelope

	// Each kind of call has its own probe goroutine, so no call starts
	// in step with another's end (which is often a fan-out pass's end).
	var joins, snaps, pres []time.Duration
	stop := make(chan struct{})
	var probes sync.WaitGroup
	probe := func(out *[]time.Duration, call func() (time.Duration, error)) {
		if os.Getenv("HYBRIDCON_BENCH_PROBES") == "off" {
			return // the fan-out's own cost, without the probes' share
		}
		probes.Go(func() {
			for {
				select {
				case <-stop:
					return
				case <-time.After(time.Millisecond):
				}
				d, err := call()
				if err != nil {
					b.Error(err)
					return
				}
				*out = append(*out, d)
			}
		})
	}
	probe(&joins, func() (time.Duration, error) {
		v, d, err := join()
		if err == nil {
			v.finish()
			_ = v.nc.Close()
		}
		return d, err
	})
	probe(&snaps, func() (time.Duration, error) {
		start := time.Now()
		_, err := h.Snapshot(ctx, slug)
		return time.Since(start), err
	})
	probe(&pres, func() (time.Duration, error) {
		start := time.Now()
		_ = h.Presence(slug)
		return time.Since(start), nil
	})
	cpu0 := cpuTime()
	b.ResetTimer()
	for range b.N {
		publish()
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N*n), "cpu-ns/delivery")
	close(stop)
	probes.Wait()
	for _, m := range []struct {
		name string
		ds   []time.Duration
	}{{"join", joins}, {"snapshot", snaps}, {"presence", pres}} {
		p99, worst := quantiles(m.ds)
		b.ReportMetric(p99, m.name+"-p99-ms")
		b.ReportMetric(worst, m.name+"-max-ms")
		b.ReportMetric(float64(len(m.ds)), m.name+"-probes")
	}
}

// cpuTime is the CPU time (user and system) this process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// atomicCounter is a Counter over an atomic integer.
type atomicCounter struct{ n *atomic.Int64 }

func (c atomicCounter) Add(x float64) { c.n.Add(int64(x)) }

// quantiles returns the 99th percentile and the maximum of ds in ms.
func quantiles(ds []time.Duration) (p99, worst float64) {
	if len(ds) == 0 {
		return 0, 0
	}
	slices.Sort(ds)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	i := int(math.Ceil(0.99*float64(len(ds)))) - 1
	return ms(ds[i]), ms(ds[len(ds)-1])
}

// benchViewer makes a websocket viewer over nc without a handshake or a
// reader: the hub writes frames to it as to any websocket viewer.
func benchViewer(h *Hub, nc net.Conn) *viewer {
	v := &viewer{h: h, region: "cn", gauge: nop{}, ws: &websocket.Conn{}, nc: nc}
	if sc, ok := nc.(syscall.Conn); ok {
		v.raw, _ = sc.SyscallConn()
	}
	return v
}

// loopbackViewer dials ln (a loopback listener) and returns a benchViewer
// of h over the accepted end, and the client's end; both are closed when
// the test ends.
func loopbackViewer(t *testing.T, h *Hub, ln net.Listener) (*viewer, net.Conn) {
	t.Helper()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(); _ = s.Close() })
	return benchViewer(h, s), c
}

// loopbackListener listens on a free loopback port until the test ends.
func loopbackListener(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	return ln
}

// startSink runs TestFanOutSink in a child process and returns the
// address it accepts connections on.
func startSink(b *testing.B) (addr string, stop func()) {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestFanOutSink$")
	cmd.Env = append(os.Environ(), "HYBRIDCON_FANOUT_SINK=1")
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	stop = func() { stdin.Close(); _ = cmd.Wait() }
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "ADDR "); ok {
			go func() { _, _ = io.Copy(io.Discard, stdout) }()
			return a, stop
		}
	}
	stop()
	b.Fatal("the sink process did not start")
	return "", nil
}

// TestFanOutSink is BenchmarkWaitDuringFanOut's child process: it accepts
// connections on 127.0.0.1 and reads and discards what they carry until
// its standard input closes. Without HYBRIDCON_FANOUT_SINK it skips.
func TestFanOutSink(t *testing.T) {
	if os.Getenv("HYBRIDCON_FANOUT_SINK") == "" {
		t.Skip("the child process of BenchmarkWaitDuringFanOut")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("ADDR " + ln.Addr().String())
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				buf := make([]byte, 2048)
				for {
					if _, err := c.Read(buf); err != nil {
						_ = c.Close()
						return
					}
				}
			}()
		}
	}()
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	_ = ln.Close()
}
