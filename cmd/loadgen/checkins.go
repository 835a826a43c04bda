package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// checkinsConfig holds the flags of the checkins mode.
type checkinsConfig struct {
	common
	ticketsPath    string
	rate           float64
	concurrency    int
	duration       time.Duration
	dupRatio       float64
	gate           string
	requestTimeout time.Duration
	seed           uint64
}

func (c *checkinsConfig) register(fs *flag.FlagSet) {
	c.common.register(fs)
	fs.StringVar(&c.ticketsPath, "tickets", "", "file of ticket texts, one per line (required)")
	fs.Float64Var(&c.rate, "rate", 0, "scans per second over all workers (0: as fast as the workers go)")
	fs.IntVar(&c.concurrency, "concurrency", 64, "scans in flight at most")
	fs.DurationVar(&c.duration, "duration", 30*time.Second, "how long to start new scans; requests in flight then may finish")
	fs.Float64Var(&c.dupRatio, "dup-ratio", 0.1, "share of scans that reuse an already scanned ticket (answer already_checked_in)")
	fs.StringVar(&c.gate, "gate", "g1", "gate name sent with every scan")
	fs.DurationVar(&c.requestTimeout, "request-timeout", 10*time.Second, "timeout of one scan request")
	fs.Uint64Var(&c.seed, "seed", 1, "seed for choosing repeated tickets")
}

func (c *checkinsConfig) validate() error {
	if err := c.common.validate(); err != nil {
		return err
	}
	switch {
	case c.ticketsPath == "":
		return errors.New("--tickets is required")
	case c.token == "":
		return errors.New("--token (a checker or organizer token) is required")
	case c.rate < 0:
		return errors.New("--rate must not be negative")
	case c.concurrency < 1:
		return errors.New("--concurrency must be at least 1")
	case c.duration <= 0 || c.requestTimeout <= 0:
		return errors.New("--duration and --request-timeout must be positive")
	case c.dupRatio < 0 || c.dupRatio > 1:
		return errors.New("--dup-ratio must be from 0 to 1")
	}
	return nil
}

// CheckinsReport is the outcome of the checkins mode, printed as JSON
// with --json. Scans counts requests that got an answer or failed;
// Answered those with a 2xx answer; Rate is Answered per second over the
// run. Results counts the "result" field of the answers, Errors the
// failed requests by status and error code. Latency covers the answered
// scans, from request start to the end of the answer.
type CheckinsReport struct {
	Mode             string           `json:"mode"`
	URLs             []string         `json:"urls"`
	Event            string           `json:"event"`
	Started          time.Time        `json:"started"`
	Concurrency      int              `json:"concurrency"`
	TargetRate       float64          `json:"target_rate_per_s"`
	DupRatio         float64          `json:"dup_ratio"`
	Tickets          int              `json:"tickets"`
	TicketsExhausted bool             `json:"tickets_exhausted"`
	DurationMS       float64          `json:"duration_ms"`
	Scans            int64            `json:"scans"`
	Answered         int64            `json:"answered"`
	Rate             float64          `json:"rate_per_s"`
	Results          map[string]int64 `json:"results"`
	Errors           map[string]int64 `json:"errors"`
	Latency          Latency          `json:"latency"`
	Problems         []string         `json:"problems"`
}

func runCheckins(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var c checkinsConfig
	fs := newFlagSet("checkins", stderr)
	c.register(fs)
	if ok, code := parseFlags(fs, args, stderr, c.validate); !ok {
		return code
	}
	tickets, err := readTickets(c.ticketsPath)
	if err != nil {
		fmt.Fprintf(stderr, "loadgen checkins: --tickets: %v\n", err)
		return 2
	}
	fmt.Fprintf(stderr, "posting check-ins for %s with %d workers (%d tickets)\n", c.duration, c.concurrency, len(tickets))
	rep := checkins(ctx, c, tickets)
	if c.json {
		err = writeJSON(stdout, rep)
	} else {
		err = rep.print(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "loadgen checkins: %v\n", err)
		return 1
	}
	if len(rep.Problems) > 0 {
		return 1
	}
	return 0
}

// readTickets reads one ticket per line, skipping blank lines and lines
// starting with '#'.
func readTickets(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		t := strings.TrimSpace(sc.Text())
		if t != "" && !strings.HasPrefix(t, "#") {
			out = append(out, t)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no ticket", path)
	}
	return out, nil
}

// ticketPicker hands out tickets: a new one each time, except that a
// share dupRatio of picks (and every pick once all were used) repeats a
// ticket already handed out. Safe for concurrent use.
type ticketPicker struct {
	mu        sync.Mutex
	tickets   []string
	next      int
	dupRatio  float64
	rng       *rand.Rand
	exhausted bool
}

func (p *ticketPicker) pick() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.next == len(p.tickets) {
		p.exhausted = true
	}
	if p.next > 0 && (p.exhausted || p.rng.Float64() < p.dupRatio) {
		return p.tickets[p.rng.IntN(p.next)]
	}
	p.next++
	return p.tickets[p.next-1]
}

type scanIn struct {
	Ticket    string `json:"ticket"`
	Gate      string `json:"gate"`
	ScanID    string `json:"scan_id"`
	ScannedAt string `json:"scanned_at"`
}

// workerTally is one worker's counts, merged at the end.
type workerTally struct {
	scans, answered int64
	results         map[string]int64
	errors          map[string]int64
	lat             []time.Duration
}

// checkins runs the scan workers until c.duration passed or ctx ended and
// returns the report.
func checkins(ctx context.Context, c checkinsConfig, tickets []string) *CheckinsReport {
	api := &apiClient{hc: newHTTPClient(c.concurrency, c.requestTimeout), token: c.token}
	defer api.hc.CloseIdleConnections()
	picker := &ticketPicker{tickets: tickets, dupRatio: c.dupRatio, rng: rand.New(rand.NewPCG(c.seed, 0x6c67))}
	started := time.Now()
	runID := strconv.FormatInt(started.UnixMilli(), 36)
	urls := make([]string, len(c.urls))
	for i, u := range c.urls {
		urls[i] = u.JoinPath("api/v1/events", c.event, "checkins").String()
	}
	stopAt := started.Add(c.duration)
	dctx, cancel := context.WithDeadline(ctx, stopAt)
	defer cancel()

	var next atomic.Int64
	tallies := make([]workerTally, c.concurrency)
	var wg sync.WaitGroup
	for w := range tallies {
		t := &tallies[w]
		t.results, t.errors = map[string]int64{}, map[string]int64{}
		wg.Go(func() {
			for {
				n := next.Add(1) - 1
				if c.rate > 0 {
					due := started.Add(time.Duration(float64(n) / c.rate * float64(time.Second)))
					// A scan due at or after the deadline never starts:
					// waiting for it, its timer may fire before the
					// deadline's does (52 scans in 500 ms at 100/s in CI).
					if !due.Before(stopAt) || !sleepCtx(dctx, time.Until(due)) {
						return
					}
				}
				if dctx.Err() != nil {
					return
				}
				in := scanIn{Ticket: picker.pick(), Gate: c.gate, ScanID: "lg-" + runID + "-" + strconv.FormatInt(n, 10),
					ScannedAt: time.Now().UTC().Format("2006-01-02T15:04:05.000Z07:00")}
				var out struct {
					Result string `json:"result"`
				}
				t0 := time.Now()
				// The request keeps the parent ctx: one started before the
				// deadline may finish (bounded by --request-timeout).
				err := api.do(ctx, "POST", urls[int(n)%len(urls)], in, &out)
				t.scans++
				if err != nil {
					t.errors[errKey(err)]++
					continue
				}
				t.lat = append(t.lat, time.Since(t0))
				t.answered++
				if out.Result == "" {
					out.Result = "(none)"
				}
				t.results[out.Result]++
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(started)

	rep := &CheckinsReport{Mode: "checkins", Event: c.event, Started: started.UTC(), Concurrency: c.concurrency,
		TargetRate: c.rate, DupRatio: c.dupRatio, Tickets: len(tickets), DurationMS: ms(elapsed),
		Results: map[string]int64{}, Errors: map[string]int64{}, Problems: []string{}}
	for _, u := range c.urls {
		rep.URLs = append(rep.URLs, u.String())
	}
	var lat []time.Duration
	for _, t := range tallies {
		rep.Scans += t.scans
		rep.Answered += t.answered
		for k, n := range t.results {
			rep.Results[k] += n
		}
		for k, n := range t.errors {
			rep.Errors[k] += n
		}
		lat = append(lat, t.lat...)
	}
	rep.Latency = summarize(lat)
	if elapsed > 0 {
		rep.Rate = float64(rep.Answered) / elapsed.Seconds()
	}
	picker.mu.Lock()
	rep.TicketsExhausted = picker.exhausted
	picker.mu.Unlock()
	if failed := rep.Scans - rep.Answered; failed > 0 {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%d of %d scans failed", failed, rep.Scans))
	}
	if rep.Answered > 0 && rep.Results["rejected"] == rep.Answered {
		rep.Problems = append(rep.Problems, "every scan was rejected: are the tickets for this event?")
	}
	if rep.Scans == 0 {
		rep.Problems = append(rep.Problems, "no scan was sent")
	}
	return rep
}

// print writes the human-readable summary.
func (r *CheckinsReport) print(w io.Writer) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	target := "max"
	if r.TargetRate > 0 {
		target = fmt.Sprintf("%g/s", r.TargetRate)
	}
	p("checkins: %s event %s, %d workers, rate %s, dup ratio %g, %d tickets", strings.Join(r.URLs, " "), r.Event, r.Concurrency, target, r.DupRatio, r.Tickets)
	p("scans:      %d sent, %d answered in %s = %.1f scans/s", r.Scans, r.Answered, fmtMS(r.DurationMS), r.Rate)
	var res []string
	for _, k := range sortedKeys(r.Results) {
		res = append(res, fmt.Sprintf("%s %d", k, r.Results[k]))
	}
	if len(res) == 0 {
		res = append(res, "none")
	}
	p("results:    %s", strings.Join(res, ", "))
	p("latency:    %s", r.Latency)
	for _, k := range sortedKeys(r.Errors) {
		p("            error %q × %d", k, r.Errors[k])
	}
	if r.TicketsExhausted {
		p("note:       every ticket was used; later scans were all repeats")
	}
	printProblems(p, r.Problems)
	_, err := io.WriteString(w, b.String())
	return err
}
