package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// uploadsConfig holds the flags of the uploads mode.
type uploadsConfig struct {
	common
	ticketsPath    string
	batch          int
	uploads        int
	dupRatio       float64
	spread         time.Duration
	gate           string
	replay         bool
	requestTimeout time.Duration
	seed           uint64
}

func (c *uploadsConfig) register(fs *flag.FlagSet) {
	c.common.register(fs)
	fs.StringVar(&c.ticketsPath, "tickets", "", "file of ticket texts, one per line (required)")
	fs.IntVar(&c.batch, "batch", 1000, "scans per upload (the server takes at most 1,000)")
	fs.IntVar(&c.uploads, "uploads", 10, "uploads, one after another, each with fresh tickets")
	fs.Float64Var(&c.dupRatio, "dup-ratio", 0.1, "share of scans in an upload that repeat a ticket already scanned")
	fs.DurationVar(&c.spread, "spread", 30*time.Minute, "scanned_at of the scans is spread over this much of the past, as a kiosk offline that long")
	fs.StringVar(&c.gate, "gate", "kiosk-lg", "gate name sent with every scan")
	fs.BoolVar(&c.replay, "replay", true, "upload every batch a second time (a kiosk that lost the answer) and time that too")
	fs.DurationVar(&c.requestTimeout, "request-timeout", 60*time.Second, "timeout of one upload")
	fs.Uint64Var(&c.seed, "seed", 1, "seed for choosing repeated tickets and scan times")
}

func (c *uploadsConfig) validate() error {
	if err := c.common.validate(); err != nil {
		return err
	}
	switch {
	case c.ticketsPath == "":
		return errors.New("--tickets is required")
	case c.token == "":
		return errors.New("--token (a checker or organizer token) is required")
	case c.batch < 1 || c.uploads < 1:
		return errors.New("--batch and --uploads must be at least 1")
	case c.spread <= 0 || c.requestTimeout <= 0:
		return errors.New("--spread and --request-timeout must be positive")
	case c.dupRatio < 0 || c.dupRatio > 1:
		return errors.New("--dup-ratio must be from 0 to 1")
	}
	return nil
}

// UploadsReport is the outcome of the uploads mode, printed as JSON with
// --json. Upload is the time of each first upload of a batch, from
// request start to the end of the answer; Replay that of sending the same
// batch again. Results counts the "result" of every answered scan of the
// first uploads.
type UploadsReport struct {
	Mode     string           `json:"mode"`
	URLs     []string         `json:"urls"`
	Event    string           `json:"event"`
	Started  time.Time        `json:"started"`
	Batch    int              `json:"batch"`
	Uploads  int              `json:"uploads"`
	DupRatio float64          `json:"dup_ratio"`
	Tickets  int              `json:"tickets"`
	Results  map[string]int64 `json:"results"`
	Errors   map[string]int64 `json:"errors"`
	Upload   Latency          `json:"upload"`
	Replay   Latency          `json:"replay"`
	Problems []string         `json:"problems"`
}

func runUploads(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var c uploadsConfig
	fs := newFlagSet("uploads", stderr)
	c.register(fs)
	if ok, code := parseFlags(fs, args, stderr, c.validate); !ok {
		return code
	}
	tickets, err := readTickets(c.ticketsPath)
	if err != nil {
		fmt.Fprintf(stderr, "loadgen uploads: --tickets: %v\n", err)
		return 2
	}
	fmt.Fprintf(stderr, "uploading %d batches of %d offline scans (%d tickets)\n", c.uploads, c.batch, len(tickets))
	rep := uploads(ctx, c, tickets)
	if c.json {
		err = writeJSON(stdout, rep)
	} else {
		err = rep.print(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "loadgen uploads: %v\n", err)
		return 1
	}
	if len(rep.Problems) > 0 {
		return 1
	}
	return 0
}

// uploads sends the batches one after another, as one kiosk coming back
// online does, and returns the report.
func uploads(ctx context.Context, c uploadsConfig, tickets []string) *UploadsReport {
	api := &apiClient{hc: newHTTPClient(1, c.requestTimeout), token: c.token}
	defer api.hc.CloseIdleConnections()
	rng := rand.New(rand.NewPCG(c.seed, 0x7570))
	picker := &ticketPicker{tickets: tickets, dupRatio: c.dupRatio, rng: rand.New(rand.NewPCG(c.seed, 0x6c67))}
	started := time.Now()
	runID := strconv.FormatInt(started.UnixMilli(), 36)
	rep := &UploadsReport{Mode: "uploads", Event: c.event, Started: started.UTC(), Batch: c.batch, Uploads: c.uploads,
		DupRatio: c.dupRatio, Tickets: len(tickets), Results: map[string]int64{}, Errors: map[string]int64{}, Problems: []string{}}
	for _, u := range c.urls {
		rep.URLs = append(rep.URLs, u.String())
	}
	var upLat, replayLat []time.Duration
	for n := range c.uploads {
		if ctx.Err() != nil {
			break
		}
		u := c.urls[n%len(c.urls)].JoinPath("api/v1/events", c.event, "checkins", "batch").String()
		now := time.Now().UTC()
		body := struct {
			Scans []scanIn `json:"scans"`
		}{Scans: make([]scanIn, c.batch)}
		for i := range body.Scans {
			at := now.Add(-time.Duration(rng.Int64N(int64(c.spread))))
			body.Scans[i] = scanIn{Ticket: picker.pick(), Gate: c.gate, ScanID: fmt.Sprintf("up-%s-%d-%d", runID, n, i),
				ScannedAt: at.Format("2006-01-02T15:04:05.000Z07:00")}
		}
		var out struct {
			Results []struct {
				Result string `json:"result"`
			} `json:"results"`
		}
		t0 := time.Now()
		if err := api.do(ctx, "POST", u, body, &out); err != nil {
			rep.Errors[errKey(err)]++
			continue
		}
		upLat = append(upLat, time.Since(t0))
		if len(out.Results) != c.batch {
			rep.Problems = append(rep.Problems, fmt.Sprintf("upload %d: %d answers for %d scans", n, len(out.Results), c.batch))
		}
		for _, r := range out.Results {
			rep.Results[r.Result]++
		}
		if !c.replay {
			continue
		}
		var again struct {
			Results []struct {
				Result string `json:"result"`
			} `json:"results"`
		}
		t0 = time.Now()
		if err := api.do(ctx, "POST", u, body, &again); err != nil {
			rep.Errors["replay "+errKey(err)]++
			continue
		}
		replayLat = append(replayLat, time.Since(t0))
		for i := range again.Results {
			if i < len(out.Results) && again.Results[i] != out.Results[i] {
				rep.Problems = append(rep.Problems, fmt.Sprintf("upload %d: the replay answered scan %d %q, first %q", n, i, again.Results[i].Result, out.Results[i].Result))
				break
			}
		}
	}
	rep.Upload, rep.Replay = summarize(upLat), summarize(replayLat)
	if len(rep.Errors) > 0 {
		rep.Problems = append(rep.Problems, "some uploads failed")
	}
	if len(upLat) == 0 {
		rep.Problems = append(rep.Problems, "no upload was answered")
	}
	return rep
}

// print writes the human-readable summary.
func (r *UploadsReport) print(w io.Writer) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("uploads: %s event %s, %d uploads of %d scans, dup ratio %g, %d tickets", strings.Join(r.URLs, " "), r.Event, r.Uploads, r.Batch, r.DupRatio, r.Tickets)
	var res []string
	for _, k := range sortedKeys(r.Results) {
		res = append(res, fmt.Sprintf("%s %d", k, r.Results[k]))
	}
	if len(res) == 0 {
		res = append(res, "none")
	}
	p("results:    %s", strings.Join(res, ", "))
	p("upload:     %s", r.Upload)
	p("replay:     %s", r.Replay)
	for _, k := range sortedKeys(r.Errors) {
		p("            error %q × %d", k, r.Errors[k])
	}
	printProblems(p, r.Problems)
	_, err := io.WriteString(w, b.String())
	return err
}
