package realtime

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/gofiber/fiber/v2"
)

// TestMemoryPerViewer measures the resident memory one idle websocket
// viewer costs a server (run in a child process, so the clients' memory
// is not counted) in three set-ups (see memServer). It is a
// measurement, not a check of this package alone: it runs only with
// HYBRIDCON_TEST_MEMORY=<viewers>, e.g.
//
//	HYBRIDCON_TEST_MEMORY=5000 go test -run TestMemoryPerViewer -v ./realtime/
//
// and fails if a viewer costs more than 16 KiB with a reader goroutine
// and ReduceMemoryUsage on, or more than 10 KiB as app/api runs it (the
// poller, where the platform has it). (With ReduceMemoryUsage off,
// fasthttp keeps its request read buffer, Fiber's ReadBufferSize, for
// the life of every websocket read by a goroutine.)
func TestMemoryPerViewer(t *testing.T) {
	if mode := os.Getenv("HYBRIDCON_MEMSERVER"); mode != "" {
		memServer(mode)
		return
	}
	n, _ := strconv.Atoi(os.Getenv("HYBRIDCON_TEST_MEMORY"))
	if n <= 0 {
		t.Skip("set HYBRIDCON_TEST_MEMORY=<viewers> to measure memory per viewer")
	}
	for _, mode := range []string{"plain", "reduce", "poller"} {
		per := measureViewers(t, n, mode)
		t.Logf("%-7s: %.1f KiB per idle viewer (%d viewers)", mode, per, n)
		switch {
		case mode == "reduce" && per > 16:
			t.Errorf("%s: %.1f KiB per idle viewer, target ≤ 16", mode, per)
		case mode == "poller" && getPoller() != nil && per > 10:
			t.Errorf("%s: %.1f KiB per idle viewer, target ≤ 10", mode, per)
		}
	}
}

// measureViewers starts a child server, connects n idle viewers and
// returns the server's RSS growth per viewer in KiB.
func measureViewers(t *testing.T, n int, mode string) float64 {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestMemoryPerViewer$")
	cmd.Env = append(os.Environ(), "HYBRIDCON_MEMSERVER="+mode)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); _ = cmd.Wait() }()
	sc := bufio.NewScanner(stdout)
	addr := ""
	for sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "ADDR "); ok {
			addr = a
			break
		}
	}
	if addr == "" {
		t.Fatal("memory server did not start")
	}
	pid := cmd.Process.Pid
	time.Sleep(500 * time.Millisecond)
	before := rssKiB(t, pid)
	conns := make([]*websocket.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	for range n {
		c, _, err := d.Dial("ws://"+addr+"/ws/events/"+slug, nil)
		if err != nil {
			t.Fatalf("after %d viewers: %v", len(conns), err)
		}
		conns = append(conns, c)
	}
	// Read each first frame so every viewer is idle with an empty queue.
	for _, c := range conns {
		if _, _, err := c.ReadMessage(); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(3 * time.Second)
	return float64(rssKiB(t, pid)-before) / float64(n)
}

// memServer is the child process: one hub behind Fiber with the read
// buffer app/api configures, until stdin closes. Modes: "plain" (a
// reader goroutine per viewer, fasthttp's ReduceMemoryUsage off),
// "reduce" (the same with it on), "poller" (as app/api configures it:
// ReduceMemoryUsage on, hijacked connections kept, idle viewers read
// by the poller, handshakes taken by Hub.Handshakes).
func memServer(mode string) {
	src := newFakeSource()
	src.add(slug, "E1")
	src.appendN(slug, 10)
	hub := NewHub(HubConfig{NodeID: "mem", MaxViewersPerAddress: UnlimitedViewers}, NewMemoryBroker(), src, testLogger())
	ctx, cancel := context.WithCancel(context.Background())
	go hub.Run(ctx)
	fa := fiber.New(fiber.Config{DisableStartupMessage: true, ReadBufferSize: 8192, ReduceMemoryUsage: mode != "plain"})
	fa.Server().KeepHijackedConns = mode == "poller"
	fa.Get("/ws/events/:slug", hub.WebsocketHandler())
	fa.Server().Handler = hub.Handshakes(fa, fa.Server().Handler) // a no-op unless mode is "poller"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go func() { _ = fa.Listener(ln) }()
	fmt.Println("ADDR " + ln.Addr().String())
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	cancel()
}

func rssKiB(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	t.Fatal("no VmRSS")
	return 0
}
