// Command loadgen measures a hybridcon server: live fan-out to many
// websocket viewers and check-in throughput. It talks to loopback
// addresses only (127.0.0.0/8, ::1, localhost) and every mode stops by
// itself after its --duration.
//
//	loadgen viewers  --url http://127.0.0.1:8080 --event cn-hu-2021 --token T --viewers 10000 …
//	loadgen checkins --url http://127.0.0.1:8080 --event cn-hu-2021 --token T --tickets FILE …
//	loadgen uploads  --url http://127.0.0.1:8080 --event cn-hu-2021 --token T --tickets FILE --batch 1000 …
//
// Each mode prints a human-readable summary, or with --json one JSON
// object holding the same figures. The exit code is 0 when the run saw no
// problem, 1 when it finished with problems (missing deliveries, failed
// connections or requests), 2 for bad usage.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `usage: loadgen <mode> [flags]

modes:
  viewers    open N websocket viewers, send broadcasts, measure delivery
  checkins   post check-in scans as fast as asked, measure throughput
  uploads    upload batches of offline scans as a kiosk back online does, time each

Run "loadgen <mode> -h" for the flags of a mode. Only loopback targets
(127.0.0.0/8, ::1, localhost) are accepted.
`

// run is main without the process: it runs one mode with args and returns
// the exit code (0 clean run, 1 run with problems or failed, 2 bad usage).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "viewers":
		return runViewers(ctx, args[1:], stdout, stderr)
	case "checkins":
		return runCheckins(ctx, args[1:], stdout, stderr)
	case "uploads":
		return runUploads(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "loadgen: unknown mode %q\n\n%s", args[0], usage)
	return 2
}

// common holds the flags every mode shares.
type common struct {
	urlList string
	event   string
	token   string
	json    bool

	urls []*url.URL // parsed from urlList by validate
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.urlList, "url", "http://127.0.0.1:8080", "server base URL(s), comma-separated; loopback only")
	fs.StringVar(&c.event, "event", "cn-hu-2021", "event slug")
	fs.StringVar(&c.token, "token", "", "API token (organizer for viewers, checker for checkins), sent as Authorization: Bearer")
	fs.BoolVar(&c.json, "json", false, "print one JSON object instead of the human-readable summary")
}

func (c *common) validate() error {
	c.urls = c.urls[:0]
	for _, raw := range strings.Split(c.urlList, ",") {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		u, err := checkLoopback(raw)
		if err != nil {
			return fmt.Errorf("--url: %w", err)
		}
		c.urls = append(c.urls, u)
	}
	if len(c.urls) == 0 {
		return errors.New("--url: at least one server URL is needed")
	}
	if c.event == "" || strings.ContainsAny(c.event, "/?#") {
		return fmt.Errorf("--event: %q is not an event slug", c.event)
	}
	return nil
}

// newFlagSet returns a flag set that reports to stderr and does not exit.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("loadgen "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args and validates them with check; it prints the
// problem and returns false on bad usage.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer, check func() error) (ok bool, code int) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return false, 0
		}
		return false, 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return false, 2
	}
	if err := check(); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
		return false, 2
	}
	return true, 0
}

// checkLoopback parses raw as an http or https URL and accepts it only if
// its host is "localhost" or a loopback address (127.0.0.0/8, ::1). This
// workplace forbids load on anything else.
func checkLoopback(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%q: want an http:// or https:// URL", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%q: want a base URL (scheme, host, port, optional path)", raw)
	}
	if !loopbackHost(u.Hostname()) {
		return nil, fmt.Errorf("%q: host %q is not loopback; only 127.0.0.0/8, ::1 and localhost are allowed", raw, u.Hostname())
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return u, nil
}

// loopbackHost reports whether host (no port, no brackets) is "localhost"
// or a loopback IP address.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// loopbackDialer dials TCP and refuses, after name resolution, any address
// that is not loopback: a second guard in case "localhost" resolves
// elsewhere.
func loopbackDialer() *net.Dialer {
	return &net.Dialer{
		Timeout: 10 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip, err := netip.ParseAddr(host); err != nil || !ip.Unmap().IsLoopback() {
				return fmt.Errorf("loadgen: refusing to connect to non-loopback address %s", address)
			}
			return nil
		},
	}
}

// newHTTPClient returns a client for loopback API calls that keeps up to
// conns idle connections per node, uses no proxy and follows no redirect.
func newHTTPClient(conns int, timeout time.Duration) *http.Client {
	tr := &http.Transport{
		DialContext:         loopbackDialer().DialContext,
		MaxIdleConns:        4 * conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// apiClient calls the hybridcon API with a bearer token.
type apiClient struct {
	hc    *http.Client
	token string
}

// httpError is a non-2xx answer: the status and the error code of the
// body {"error":{"code","message"}} when there is one.
type httpError struct {
	Status  int
	Code    string
	Message string
}

func (e *httpError) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("HTTP %d", e.Status)
	}
	return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Code, e.Message)
}

// do sends method to u with in as a JSON body (nil for none) and decodes a
// 2xx answer into out (nil to discard it).
func (a *apiClient) do(ctx context.Context, method, u string, in, out any) error {
	auth := ""
	if a.token != "" {
		auth = "Bearer " + a.token
	}
	return a.doAuth(ctx, method, u, auth, in, out)
}

// doAuth is do with auth as the whole Authorization header ("" for
// none), e.g. "Ticket <ticket>" for a participant.
func (a *apiClient) doAuth(ctx context.Context, method, u, auth string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		he := &httpError{Status: resp.StatusCode}
		var eb struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal(b, &eb) == nil {
			he.Code, he.Message = eb.Error.Code, eb.Error.Message
		}
		return he
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: bad JSON answer: %w", method, u, err)
	}
	return nil
}

// errKey names an error for the "errors by kind" tables, without the
// addresses and ports that would make every error unique.
func errKey(err error) string {
	var he *httpError
	var errno syscall.Errno
	var ne net.Error
	switch {
	case errors.As(err, &he):
		if he.Code != "" {
			return fmt.Sprintf("HTTP %d %s", he.Status, he.Code)
		}
		return fmt.Sprintf("HTTP %d", he.Status)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.As(err, &errno):
		return errno.Error()
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed by server"
	}
	s := err.Error()
	if len(s) > 100 {
		s = s[:100] + "…"
	}
	return s
}

// writeJSON prints v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// sleepCtx sleeps for d or until ctx is done; it reports whether the full
// time passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
