package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// runViewersJSON runs the viewers mode against f with extra flags and
// returns the exit code and the decoded report.
func runViewersJSON(t *testing.T, f *fakeServer, extra ...string) (int, ViewersReport) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	args := append([]string{"viewers", "--url", f.srv.URL, "--event", "demo", "--token", fakeToken,
		"--rate", "50", "--wait", "5s", "--duration", "15s", "--json"}, extra...)
	var stdout, stderr bytes.Buffer
	code := run(ctx, args, &stdout, &stderr)
	var rep ViewersReport
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("exit %d, output is not a report: %v\nstdout: %s\nstderr: %s", code, err, stdout.String(), stderr.String())
	}
	if t.Failed() || testing.Verbose() {
		t.Logf("stderr:\n%s", stderr.String())
	}
	return code, rep
}

// checkNoLeak fails if goroutines started during the test outlive it.
func checkNoLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(3 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<16)
			t.Errorf("%d goroutines before, %d after:\n%s", before, n, buf[:runtime.Stack(buf, true)])
		}
	})
}

func TestViewersAnnounce(t *testing.T) {
	checkNoLeak(t)
	f := newFakeServer(t, nil)
	code, rep := runViewersJSON(t, f, "--viewers", "50", "--broadcasts", "5")
	if code != 0 {
		t.Errorf("exit code %d, want 0; problems %q", code, rep.Problems)
	}
	if rep.Connect.Ready != 50 || rep.Connect.Failed != 0 {
		t.Errorf("connect: %d ready, %d failed, want 50, 0 (%v)", rep.Connect.Ready, rep.Connect.Failed, rep.Connect.Errors)
	}
	b := rep.Broadcast
	if b.Sent != 5 || b.Expected != 250 || b.Deliveries != 250 || b.Missing != 0 {
		t.Errorf("sent %d, expected %d, deliveries %d, missing %d; want 5, 250, 250, 0", b.Sent, b.Expected, b.Deliveries, b.Missing)
	}
	if b.Duplicates != 0 || b.OutOfOrder != 0 || b.SeqGaps != 0 || b.Unmatched != 0 {
		t.Errorf("duplicates %d, out of order %d, gaps %d, unmatched %d; want 0", b.Duplicates, b.OutOfOrder, b.SeqGaps, b.Unmatched)
	}
	if b.Latency.Count != 250 || b.Latency.Max <= 0 || b.Latency.P50 > b.Latency.P99 || b.Latency.P99 > b.Latency.Max {
		t.Errorf("latency %+v: want 250 ordered samples", b.Latency)
	}
	// The fake sends each connection a presence frame right after its
	// snapshot; the viewer may read it after the broadcasts began counting,
	// so up to one volatile frame per viewer may join the 250 deliveries.
	if b.FramesReceived != 250+b.VolatileFrames || b.VolatileFrames > 50 {
		t.Errorf("frames %d (%d volatile), want 250 and at most 50 presence frames", b.FramesReceived, b.VolatileFrames)
	}
	if b.FanoutComplete.Count != 5 || b.API.Count != 5 {
		t.Errorf("fan-out %d samples, API %d; want 5 each", b.FanoutComplete.Count, b.API.Count)
	}
	if rep.Connect.Time.Count != 50 {
		t.Errorf("connect times: %d samples, want 50", rep.Connect.Time.Count)
	}
	if rep.Server != nil || rep.Storm != nil || len(rep.Nodes) != 0 {
		t.Errorf("server/storm/nodes sections present without --pid/--reconnect-storm/several URLs")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.annID != 5 {
		t.Errorf("the fake got %d announcements, want 5", f.annID)
	}
}

func TestViewersDroppedFrame(t *testing.T) {
	f := newFakeServer(t, func(f *fakeServer) {
		f.drop = func(conn int, seq int64) bool { return conn == 0 && seq == 3 }
	})
	code, rep := runViewersJSON(t, f, "--viewers", "50", "--broadcasts", "5", "--wait", "1s")
	if code != 1 {
		t.Errorf("exit code %d, want 1 for a missing delivery", code)
	}
	b := rep.Broadcast
	if b.Missing != 1 || b.Deliveries != 249 || b.SeqGaps != 1 {
		t.Errorf("missing %d, deliveries %d, seq gaps %d; want 1, 249, 1", b.Missing, b.Deliveries, b.SeqGaps)
	}
	if !slices.ContainsFunc(rep.Problems, func(p string) bool { return strings.Contains(p, "1 of 250 deliveries missing") }) {
		t.Errorf("problems %q do not name the missing delivery", rep.Problems)
	}
}

func TestViewersTwoNodesWithPid(t *testing.T) {
	f1 := newFakeServer(t, nil)
	pid := strconv.Itoa(os.Getpid())
	// Both "nodes" are the same fake, so every viewer sees every broadcast.
	code, rep := runViewersJSON(t, f1, "--url", f1.srv.URL+","+strings.Replace(f1.srv.URL, "127.0.0.1", "localhost", 1),
		"--viewers", "20", "--broadcasts", "3", "--pid", pid+","+pid)
	if code != 0 {
		t.Fatalf("exit code %d, problems %q", code, rep.Problems)
	}
	if len(rep.Nodes) != 2 {
		t.Fatalf("%d node sections, want 2", len(rep.Nodes))
	}
	for _, n := range rep.Nodes {
		if n.Ready != 10 || n.Deliveries != 30 || n.Missing != 0 {
			t.Errorf("node %s: %d ready, %d deliveries, %d missing; want 10, 30, 0", n.URL, n.Ready, n.Deliveries, n.Missing)
		}
	}
	s := rep.Server
	if s == nil {
		t.Fatal("no server section with --pid")
	}
	if s.RSSBeforeKiB <= 0 || s.RSSAfterKiB <= 0 || len(s.Unreadable) != 0 || s.BroadcastCPUSeconds < 0 {
		t.Errorf("server section %+v", s)
	}
	if rep.Generator.TotalCPUSeconds <= 0 {
		t.Errorf("generator total CPU %v, want > 0", rep.Generator.TotalCPUSeconds)
	}
}

func TestViewersAdvance(t *testing.T) {
	f := newFakeServer(t, nil)
	code, rep := runViewersJSON(t, f, "--viewers", "10", "--broadcasts", "3", "--kind", "advance")
	if code != 0 {
		t.Errorf("exit code %d, problems %q", code, rep.Problems)
	}
	if !slices.Equal(rep.Prepared, []string{"start session 9"}) {
		t.Errorf("prepared %q, want the showcase session started", rep.Prepared)
	}
	if b := rep.Broadcast; b.Sent != 3 || b.Deliveries != 30 || b.Missing != 0 || b.Unmatched != 0 {
		t.Errorf("sent %d, deliveries %d, missing %d, unmatched %d; want 3, 30, 0, 0", b.Sent, b.Deliveries, b.Missing, b.Unmatched)
	}
	f.mu.Lock()
	cur := f.cur
	f.mu.Unlock()
	if cur != 3 {
		t.Errorf("fake showcase at slot index %d, want 3", cur)
	}

	// Only one slot is left: the run sends one advance and says so.
	code, rep = runViewersJSON(t, f, "--viewers", "10", "--broadcasts", "3", "--kind", "advance")
	if code != 1 || rep.Broadcast.Sent != 1 || rep.Broadcast.Deliveries != 10 {
		t.Errorf("exit %d, sent %d, deliveries %d; want 1, 1, 10", code, rep.Broadcast.Sent, rep.Broadcast.Deliveries)
	}
	// Now nothing presents: the run stops before connecting.
	code, rep = runViewersJSON(t, f, "--viewers", "10", "--kind", "advance")
	if code != 1 || rep.Connect.Ready != 0 || len(rep.Problems) != 1 {
		t.Errorf("exit %d, ready %d, problems %q; want 1, 0 and one problem", code, rep.Connect.Ready, rep.Problems)
	}
}

func TestViewersReconnectStorm(t *testing.T) {
	for _, tt := range []struct {
		name         string
		snapshotOnly bool
		liveOnResume bool
	}{{"Recover", false, false}, {"RecoverWithLiveTraffic", false, true}, {"Snapshot", true, false}} {
		t.Run(tt.name, func(t *testing.T) {
			checkNoLeak(t)
			f := newFakeServer(t, func(f *fakeServer) { f.snapshotOnly, f.liveOnResume = tt.snapshotOnly, tt.liveOnResume })
			code, rep := runViewersJSON(t, f, "--viewers", "20", "--broadcasts", "3", "--reconnect-storm", "--storm-missed", "2")
			if code != 0 {
				t.Errorf("exit code %d, problems %q", code, rep.Problems)
			}
			s := rep.Storm
			if s == nil {
				t.Fatal("no storm section")
			}
			if s.Viewers != 20 || s.Ready != 20 || s.MissedBroadcasts != 2 || s.TargetSeq != 5 || s.TargetEstimated {
				t.Errorf("storm %+v: want 20 viewers ready, 2 missed, target 5 read from the log", s)
			}
			want := [4]int{20, 0, 0, 0} // recovered, snapshots, up to date, wrong
			if tt.snapshotOnly {
				want = [4]int{0, 20, 0, 0}
			}
			if got := [4]int{s.Recovered, s.Snapshots, s.UpToDate, s.Wrong}; got != want {
				t.Errorf("recovered, snapshots, up to date, wrong = %v, want %v", got, want)
			}
			if !tt.snapshotOnly && s.RecoveredEnvelopes != 40 {
				t.Errorf("recovered envelopes %d, want 40", s.RecoveredEnvelopes)
			}
		})
	}
}

func TestViewersUpToDateStorm(t *testing.T) {
	f := newFakeServer(t, nil)
	code, rep := runViewersJSON(t, f, "--viewers", "5", "--broadcasts", "0", "--reconnect-storm", "--storm-missed", "0")
	if code != 0 || rep.Storm == nil || rep.Storm.UpToDate != 5 {
		t.Errorf("exit %d, storm %+v: want 5 viewers up to date", code, rep.Storm)
	}
}

func TestViewersUnauthorized(t *testing.T) {
	f := newFakeServer(t, nil)
	code, rep := runViewersJSON(t, f, "--viewers", "3", "--broadcasts", "2", "--token", "wrong")
	if code != 1 || rep.Broadcast.Failed != 2 || rep.Broadcast.Errors["HTTP 401 unauthorized"] != 2 {
		t.Errorf("exit %d, failed %d, errors %v; want 1, 2, 2× HTTP 401 unauthorized", code, rep.Broadcast.Failed, rep.Broadcast.Errors)
	}
}

func TestViewersConnectFailure(t *testing.T) {
	f := newFakeServer(t, nil)
	url := f.srv.URL
	f.srv.Close() // nothing listens any more
	ctx := context.Background()
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"viewers", "--url", url, "--viewers", "4", "--broadcasts", "1", "--token", "x", "--ready-timeout", "5s"}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stdout.String(), "0 ready, 4 failed") || !strings.Contains(stdout.String(), "connection refused") {
		t.Errorf("exit %d, output:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
}

func TestViewersHumanOutput(t *testing.T) {
	f := newFakeServer(t, nil)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"viewers", "--url", f.srv.URL, "--event", "demo", "--token", fakeToken,
		"--viewers", "4", "--broadcasts", "2", "--rate", "0", "--pid", strconv.Itoa(os.Getpid()), "--reconnect-storm"}, &stdout, &stderr)
	out := stdout.String()
	for _, want := range []string{"4 ready, 0 failed", "8 of 8 delivered: missing 0", "µs per delivery", "KiB per viewer",
		"recovered 4 (12 envelopes)", "CPU until all ready: server", "result:     OK"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if code != 0 {
		t.Errorf("exit code %d", code)
	}
}

func TestStageToStart(t *testing.T) {
	list := []stageSession{
		{ID: 1, Stage: "main", State: "ended"},
		{ID: 2, Stage: "main", State: "live"},
		{ID: 3, Stage: "main", State: "scheduled"},
		{ID: 4, Stage: "forum", State: "scheduled"},
		{ID: 5, Stage: "forum", State: "scheduled"},
		{ID: 6, Stage: "old", State: "ended"},
	}
	for _, tt := range []struct {
		stage string
		id    int64
		ok    bool
	}{{"main", 0, true}, {"forum", 4, true}, {"old", 0, false}, {"none", 0, false}} {
		if id, ok := stageToStart(list, tt.stage); id != tt.id || ok != tt.ok {
			t.Errorf("stageToStart(%s) = %d, %v; want %d, %v", tt.stage, id, ok, tt.id, tt.ok)
		}
	}
}

func TestViewersQuestions(t *testing.T) {
	checkNoLeak(t)
	f := newFakeServer(t, nil)
	code, rep := runViewersJSON(t, f, "--viewers", "20", "--broadcasts", "5", "--rate", "10",
		"--questions-rate", "40", "--questions-approve", "0.25")
	if code != 0 {
		t.Errorf("exit code %d, want 0; problems %q", code, rep.Problems)
	}
	if !slices.Contains(rep.Prepared, "start session 9") {
		t.Errorf("prepared %q: want the showcase started", rep.Prepared)
	}
	// The announcements' accounting is untouched by the questions.
	b := rep.Broadcast
	if b.Sent != 5 || b.Deliveries != 100 || b.Missing != 0 || b.Duplicates != 0 || b.SeqGaps != 0 || b.Unmatched != 0 || b.Latency.Count != 100 {
		t.Errorf("broadcast %+v: want 5 sent, 100 delivered, nothing missing, duplicated or unmatched", b)
	}
	q := rep.Questions
	if q == nil {
		t.Fatal("no questions section")
	}
	// 5 broadcasts at 10/s last 0.4 s: 40/s asks about 16 questions.
	if q.Sent < 10 || q.Sent > 20 || q.Accepted != q.Sent || q.Failed != 0 || q.Statuses["201"] != q.Sent || q.Participants != 3 || q.SlotID != 101 {
		t.Errorf("questions %+v: want 10–20 sent and accepted from 3 participants to slot 101", q)
	}
	if q.Submit.Count != q.Sent {
		t.Errorf("submit latency %d samples, want %d", q.Submit.Count, q.Sent)
	}
	wantApproved := q.Accepted / 4
	if q.Approved != wantApproved || q.ApproveFailed != 0 || q.Expected != int64(20*wantApproved) || q.Deliveries != q.Expected || q.Missing != 0 || q.Duplicates != 0 || q.Unmatched != 0 {
		t.Errorf("questions %+v: want %d approved, each delivered to 20 viewers once", q, wantApproved)
	}
	if q.Latency.Count != int(q.Deliveries) || q.FanoutComplete.Count != q.Approved {
		t.Errorf("question latency %d samples, fan-out %d; want %d, %d", q.Latency.Count, q.FanoutComplete.Count, q.Deliveries, q.Approved)
	}
	// The viewers do not ask for the transfer bell (bell=1), so the questions
	// add no frame but the approved ones; a volatile frame is at most the
	// presence frame each connection gets after its snapshot.
	if b.VolatileFrames > 20 || b.FramesReceived != b.Deliveries+q.Deliveries+b.VolatileFrames {
		t.Errorf("frames %d (%d volatile): want the %d + %d deliveries and at most 20 presence frames", b.FramesReceived, b.VolatileFrames, b.Deliveries, q.Deliveries)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.askers["tk-revoked"] != 0 || len(f.askers) != 3 {
		t.Errorf("askers %v: want the 3 valid tickets round-robin", f.askers)
	}
	for _, tk := range []string{"tk-a", "tk-b", "tk-c"} {
		if n := f.askers[tk]; n < q.Sent/3 || n > q.Sent/3+1 {
			t.Errorf("%s asked %d of %d questions: want an even spread", tk, n, q.Sent)
		}
	}
	if f.qslots[101] != q.Sent {
		t.Errorf("questions by slot %v: want all %d to slot 101", f.qslots, q.Sent)
	}
}

func TestViewersQuestionsWithDuration(t *testing.T) {
	f := newFakeServer(t, nil)
	tickets := writeTickets(t, "tk-a", "tk-revoked")
	code, rep := runViewersJSON(t, f, "--viewers", "3", "--broadcasts", "0",
		"--questions-rate", "20", "--questions-duration", "500ms", "--tickets", tickets)
	q := rep.Questions
	if code != 1 || q == nil || q.Sent != 10 || q.Accepted != 5 || q.Failed != 5 || q.Statuses["HTTP 401 unauthorized"] != 5 || q.Participants != 2 {
		t.Fatalf("exit %d, questions %+v: want 10 sent from 2 tickets, 5 refused for the revoked one, exit 1", code, q)
	}
	if !slices.ContainsFunc(rep.Problems, func(p string) bool { return strings.Contains(p, "5 of 10 questions failed") }) {
		t.Errorf("problems %q: want the failed questions", rep.Problems)
	}
}

func TestChosen(t *testing.T) {
	for _, tt := range []struct {
		f    float64
		n    int
		want int
	}{{0, 100, 0}, {0.1, 100, 10}, {0.25, 10, 2}, {1, 7, 7}, {1.0 / 3, 9, 3}} {
		got := 0
		for i := range tt.n {
			if chosen(i, tt.f) {
				got++
			}
		}
		if got != tt.want {
			t.Errorf("chosen over %d at %g: %d, want %d", tt.n, tt.f, got, tt.want)
		}
	}
}

func TestViewersShowcaseLiveWithoutQuestions(t *testing.T) {
	f := newFakeServer(t, nil)
	code, rep := runViewersJSON(t, f, "--viewers", "5", "--broadcasts", "2", "--showcase-live")
	if code != 0 || !slices.Contains(rep.Prepared, "start session 9") || rep.Questions != nil || rep.Broadcast.Deliveries != 10 {
		t.Errorf("exit %d, prepared %q, questions %+v, deliveries %d: want the showcase started, no questions, 10 deliveries",
			code, rep.Prepared, rep.Questions, rep.Broadcast.Deliveries)
	}
}
