package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// ViewersReport is the outcome of the viewers mode, printed as JSON with
// --json. Problems lists everything that makes the exit code 1; it is
// empty (not null) for a clean run.
type ViewersReport struct {
	Mode      string           `json:"mode"`
	Kind      string           `json:"kind"`
	URLs      []string         `json:"urls"`
	Event     string           `json:"event"`
	Viewers   int              `json:"viewers"`
	Regions   []string         `json:"regions"`
	Started   time.Time        `json:"started"`
	Prepared  []string         `json:"prepared,omitempty"` // what the run changed in the programme before connecting (--live-stages, advance mode)
	Connect   ConnectReport    `json:"connect"`
	Broadcast BroadcastReport  `json:"broadcast"`
	Nodes     []NodeReport     `json:"nodes,omitempty"` // only with several --url
	Server    *ServerReport    `json:"server,omitempty"`
	Generator GeneratorReport  `json:"generator"`
	Storm     *StormReport     `json:"reconnect_storm,omitempty"`
	Questions *QuestionsReport `json:"questions,omitempty"` // only with --questions-rate
	Problems  []string         `json:"problems"`
	Notes     []string         `json:"notes,omitempty"` // caveats about the figures, not problems
}

// ConnectReport covers opening the viewers. Time is per viewer, from the
// start of its dial to the receipt of its snapshot; AllReadyMS is from
// the first dial to the last snapshot (or to the --ready-timeout).
type ConnectReport struct {
	Ready       int            `json:"ready"`
	Failed      int            `json:"failed"`
	Errors      map[string]int `json:"errors"`
	AllReadyMS  float64        `json:"all_ready_ms"`
	Time        Latency        `json:"connect_time"`
	NoFileLimit uint64         `json:"rlimit_nofile"`
}

// BroadcastReport covers the broadcasts and their deliveries. Expected is
// successful broadcasts × ready viewers; Deliveries are those that
// arrived, each once, before the wait ended; Missing = Expected −
// Deliveries. Duplicates count envelopes received twice (same seq, or the
// same broadcast under two seqs), OutOfOrder ones older than a seq
// already received, SeqGaps the durable seqs skipped (any type).
// Latency is viewer receipt − request start on the generator's monotonic
// clock; FanoutComplete is, per broadcast, the latency of its slowest
// viewer; API is the broadcast request's own duration. FramesReceived
// counts every message the viewers received from the first broadcast
// request to the end of the wait — the broadcasts, other durable
// envelopes (approved questions, session changes) and volatile ones
// (presence, the transfer bell, vote counts), VolatileFrames the latter.
type BroadcastReport struct {
	Sent           int            `json:"sent"`
	Failed         int            `json:"failed"`
	Errors         map[string]int `json:"errors"`
	AchievedRate   float64        `json:"achieved_rate_per_s"`
	DurationMS     float64        `json:"duration_ms"`
	WaitMS         float64        `json:"wait_ms"`
	Expected       int64          `json:"expected"`
	Deliveries     int64          `json:"deliveries"`
	Missing        int64          `json:"missing"`
	Duplicates     int64          `json:"duplicates"`
	OutOfOrder     int64          `json:"out_of_order"`
	SeqGaps        int64          `json:"seq_gaps"`
	LateSnapshots  int64          `json:"late_snapshots"`
	Unmatched      int64          `json:"unmatched"`
	FramesReceived int64          `json:"frames_received"`
	VolatileFrames int64          `json:"volatile_frames"`
	Dropped        int            `json:"dropped_connections"`
	Latency        Latency        `json:"latency"`
	FanoutComplete Latency        `json:"fanout_complete"`
	API            Latency        `json:"api"`
}

// NodeReport is one node's share of the broadcast figures.
type NodeReport struct {
	URL        string  `json:"url"`
	Ready      int     `json:"ready"`
	Failed     int     `json:"failed"`
	Deliveries int64   `json:"deliveries"`
	Missing    int64   `json:"missing"`
	Duplicates int64   `json:"duplicates"`
	Latency    Latency `json:"latency"`
}

// ServerReport holds the server processes' cost, summed over --pid.
// BroadcastCPUSeconds is utime+stime from the first broadcast to the end
// of the wait for deliveries (with --questions-rate it includes the
// questions' requests, approvals and their fan-out); CPUMicrosPerDelivery
// divides it by the broadcasts' deliveries. RSSPerViewerKiB is (RSS after every viewer is ready − RSS
// before the first dial) / ready viewers.
type ServerReport struct {
	PIDs                 []string `json:"pids"`
	ConnectCPUSeconds    float64  `json:"connect_cpu_s"`
	BroadcastCPUSeconds  float64  `json:"broadcast_cpu_s"`
	CPUMicrosPerDelivery float64  `json:"cpu_us_per_delivery"`
	// CPUMicrosPerDeliveryAll divides by the broadcasts' and the approved
	// questions' deliveries (only when questions were delivered).
	CPUMicrosPerDeliveryAll float64 `json:"cpu_us_per_delivery_all,omitempty"`
	// CPUMicrosPerFrame divides by every message the viewers received
	// (Broadcast.FramesReceived): the cost of a frame whatever it was.
	CPUMicrosPerFrame float64  `json:"cpu_us_per_frame"`
	RSSBeforeKiB      int64    `json:"rss_before_kib"`
	RSSAfterKiB       int64    `json:"rss_after_connect_kib"`
	RSSPerViewerKiB   float64  `json:"rss_per_viewer_kib"`
	Unreadable        []string `json:"unreadable,omitempty"` // pids that could not be read every time
}

// GeneratorReport is the load generator's own CPU time, for comparison
// with the server's, and its RSS once every viewer is connected.
type GeneratorReport struct {
	RSSKiB               int64   `json:"rss_after_connect_kib"`
	ConnectCPUSeconds    float64 `json:"connect_cpu_s"`
	BroadcastCPUSeconds  float64 `json:"broadcast_cpu_s"`
	CPUMicrosPerDelivery float64 `json:"cpu_us_per_delivery"`
	TotalCPUSeconds      float64 `json:"total_cpu_s"`
}

// StormReport covers --reconnect-storm. Each reconnected viewer is exactly
// one of: Recovered (got its missed envelopes in order, no duplicate, no
// gap; later live envelopes may follow in order),
// UpToDate (had missed nothing; ready once connected), Snapshots (got a
// snapshot first), Wrong (anything else), Failed (not ready in time).
// Time is per viewer, dial start to ready; AllReadyMS the whole storm.
type StormReport struct {
	Viewers             int            `json:"viewers"`
	MissedBroadcasts    int            `json:"missed_broadcasts"`
	TargetSeq           int64          `json:"target_seq"`
	TargetEstimated     bool           `json:"target_estimated,omitempty"`
	Ready               int            `json:"ready"`
	AllReadyMS          float64        `json:"all_ready_ms"`
	Time                Latency        `json:"ready_time"`
	Recovered           int            `json:"recovered"`
	RecoveredEnvelopes  int64          `json:"recovered_envelopes"`
	UpToDate            int            `json:"up_to_date"`
	Snapshots           int            `json:"snapshots"`
	Wrong               int            `json:"wrong"`
	Failed              int            `json:"failed"`
	Errors              map[string]int `json:"errors"`
	ServerCPUSeconds    *float64       `json:"server_cpu_s,omitempty"` // only with --pid
	GeneratorCPUSeconds float64        `json:"generator_cpu_s"`
}

// serverReport computes the server section from /proc samples taken
// before connecting (rss0, cpu0), after connecting (rss1, cpu1) and after
// the broadcast phase (cpu2).
func serverReport(pids []string, rss0, rss1 []int64, cpu0, cpu1, cpu2 []time.Duration, ready int, deliveries, frames int64) *ServerReport {
	s := &ServerReport{PIDs: pids}
	for i, pid := range pids {
		if rss0[i] < 0 || rss1[i] < 0 || cpu0[i] < 0 || cpu1[i] < 0 || cpu2[i] < 0 {
			s.Unreadable = append(s.Unreadable, pid)
		}
		if rss0[i] >= 0 && rss1[i] >= 0 {
			s.RSSBeforeKiB += rss0[i]
			s.RSSAfterKiB += rss1[i]
		}
	}
	s.ConnectCPUSeconds = seconds(sumDelta(cpu0, cpu1))
	bc := sumDelta(cpu1, cpu2)
	s.BroadcastCPUSeconds = seconds(bc)
	if deliveries > 0 {
		s.CPUMicrosPerDelivery = micros(bc) / float64(deliveries)
	}
	if frames > 0 {
		s.CPUMicrosPerFrame = micros(bc) / float64(frames)
	}
	if ready > 0 {
		s.RSSPerViewerKiB = float64(s.RSSAfterKiB-s.RSSBeforeKiB) / float64(ready)
	}
	return s
}

// print writes the human-readable summary.
func (r *ViewersReport) print(w io.Writer) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("viewers: %d on %s (event %s, regions %s), kind %s", r.Viewers, strings.Join(r.URLs, " "), r.Event, strings.Join(r.Regions, ","), r.Kind)
	for _, s := range r.Prepared {
		p("  prepared: %s", s)
	}
	c := r.Connect
	p("connect:    %d ready, %d failed; all ready after %s (RLIMIT_NOFILE %d)", c.Ready, c.Failed, fmtMS(c.AllReadyMS), c.NoFileLimit)
	p("            connect time (dial → snapshot) %s", c.Time)
	printErrors(p, c.Errors)
	bc := r.Broadcast
	p("broadcast:  %d sent, %d failed, %.2f/s achieved; request %s", bc.Sent, bc.Failed, bc.AchievedRate, bc.API)
	printErrors(p, bc.Errors)
	p("delivery:   %d of %d delivered: missing %d, duplicates %d, out of order %d, seq gaps %d, late snapshots %d, dropped connections %d",
		bc.Deliveries, bc.Expected, bc.Missing, bc.Duplicates, bc.OutOfOrder, bc.SeqGaps, bc.LateSnapshots, bc.Dropped)
	p("frames:     %d received by the viewers meanwhile (%d volatile)", bc.FramesReceived, bc.VolatileFrames)
	p("latency:    %s", bc.Latency)
	p("fan-out:    slowest viewer per broadcast %s", bc.FanoutComplete)
	for _, n := range r.Nodes {
		p("node %s: %d ready, %d failed, %d delivered, %d missing, %d duplicates; latency %s",
			n.URL, n.Ready, n.Failed, n.Deliveries, n.Missing, n.Duplicates, n.Latency)
	}
	if s := r.Server; s != nil {
		p("server %s: %.3f CPU s during broadcasts = %.2f µs per delivery, %.2f µs per frame; RSS %d → %d KiB = %.2f KiB per viewer (connect phase %.3f CPU s)",
			strings.Join(s.PIDs, ","), s.BroadcastCPUSeconds, s.CPUMicrosPerDelivery, s.CPUMicrosPerFrame, s.RSSBeforeKiB, s.RSSAfterKiB, s.RSSPerViewerKiB, s.ConnectCPUSeconds)
		if len(s.Unreadable) > 0 {
			p("  warning: could not always read /proc for pid(s) %s", strings.Join(s.Unreadable, ","))
		}
	}
	if q := r.Questions; q != nil {
		p("questions:  %d sent at %.2f/s (asked %g/s) by %d participants: %d accepted, %d failed; submit %s",
			q.Sent, q.AchievedRate, q.Rate, q.Participants, q.Accepted, q.Failed, q.Submit)
		for _, k := range sortedKeys(q.Statuses) {
			p("            answer %q × %d", k, q.Statuses[k])
		}
		if q.ApproveFraction > 0 {
			p("            approved %d (%d failed), request %s", q.Approved, q.ApproveFailed, q.ApproveAPI)
			p("            approved delivered %d of %d: missing %d, duplicates %d, unmatched %d; latency %s",
				q.Deliveries, q.Expected, q.Missing, q.Duplicates, q.Unmatched, q.Latency)
		}
		if s := r.Server; s != nil && s.CPUMicrosPerDeliveryAll > 0 {
			p("            server CPU per delivery, broadcasts and approved questions: %.2f µs", s.CPUMicrosPerDeliveryAll)
		}
	}
	g := r.Generator
	p("generator:  %.3f CPU s during broadcasts = %.2f µs per delivery; %.3f s connecting; %.3f s in total; RSS %d KiB",
		g.BroadcastCPUSeconds, g.CPUMicrosPerDelivery, g.ConnectCPUSeconds, g.TotalCPUSeconds, g.RSSKiB)
	if s := r.Storm; s != nil {
		est := ""
		if s.TargetEstimated {
			est = " (estimated)"
		}
		p("reconnect storm: %d viewers, %d announcements missed, log at seq %d%s", s.Viewers, s.MissedBroadcasts, s.TargetSeq, est)
		p("            %d ready again after %s; ready time %s", s.Ready, fmtMS(s.AllReadyMS), s.Time)
		p("            recovered %d (%d envelopes), up to date %d, snapshots %d, wrong %d, failed %d",
			s.Recovered, s.RecoveredEnvelopes, s.UpToDate, s.Snapshots, s.Wrong, s.Failed)
		if s.ServerCPUSeconds != nil {
			p("            CPU until all ready: server %.3f s, generator %.3f s", *s.ServerCPUSeconds, s.GeneratorCPUSeconds)
		} else {
			p("            CPU until all ready: generator %.3f s", s.GeneratorCPUSeconds)
		}
		printErrors(p, s.Errors)
	}
	for _, n := range r.Notes {
		p("note:       %s", n)
	}
	printProblems(p, r.Problems)
	_, err := io.WriteString(w, b.String())
	return err
}

func printErrors(p func(string, ...any), errs map[string]int) {
	for _, k := range sortedKeys(errs) {
		p("            error %q × %d", k, errs[k])
	}
}

func printProblems(p func(string, ...any), problems []string) {
	if len(problems) == 0 {
		p("result:     OK")
		return
	}
	for _, s := range problems {
		p("PROBLEM:    %s", s)
	}
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
