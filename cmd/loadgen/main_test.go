package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCheckLoopback(t *testing.T) {
	for _, raw := range []string{
		"http://127.0.0.1:8080", "http://127.1.2.3", "http://[::1]:8080", "http://localhost:8081/",
		"https://LOCALHOST", "http://[::ffff:127.0.0.1]:80",
	} {
		if _, err := checkLoopback(raw); err != nil {
			t.Errorf("checkLoopback(%q) = %v, want accepted", raw, err)
		}
	}
	for _, raw := range []string{
		"http://10.0.0.1:8080", "http://example.com", "http://0.0.0.0:8080", "http://[::]:8080",
		"http://127.0.0.1.example.com", "http://localhost.example.com", "ws://127.0.0.1:8080",
		"127.0.0.1:8080", "http://user@127.0.0.1", "http://192.168.1.1", "http://[2001:db8::1]",
	} {
		if _, err := checkLoopback(raw); err == nil {
			t.Errorf("checkLoopback(%q) accepted, want refused", raw)
		}
	}
}

func TestLoopbackDialerRefusesOthers(t *testing.T) {
	// Control runs before connect(2): no packet leaves for 10.255.255.1.
	_, err := loopbackDialer().Dial("tcp", "10.255.255.1:9")
	if err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Errorf("dial 10.255.255.1: %v, want a refusal", err)
	}
}

func TestRunUsage(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"NoMode", nil, 2, "usage: loadgen"},
		{"Help", []string{"help"}, 0, "usage: loadgen"},
		{"UnknownMode", []string{"bogus"}, 2, `unknown mode "bogus"`},
		{"RemoteURL", []string{"viewers", "--url", "http://10.0.0.1:8080"}, 2, "not loopback"},
		{"OneRemoteOfTwo", []string{"checkins", "--url", "http://127.0.0.1:1,http://example.com", "--tickets", "x", "--token", "t"}, 2, "not loopback"},
		{"BadKind", []string{"viewers", "--kind", "shout", "--token", "t"}, 2, "--kind"},
		{"BadConnectRate", []string{"viewers", "--connect-rate", "fast", "--token", "t"}, 2, "--connect-rate"},
		{"NoToken", []string{"viewers"}, 2, "--token"},
		{"NoTickets", []string{"checkins", "--token", "t"}, 2, "--tickets"},
		{"MissingTicketsFile", []string{"checkins", "--token", "t", "--tickets", "/nonexistent/tickets"}, 2, "no such file"},
		{"NegativeQuestionsRate", []string{"viewers", "--token", "t", "--questions-rate", "-1"}, 2, "--questions-rate"},
		{"ApproveOverOne", []string{"viewers", "--token", "t", "--questions-rate", "20", "--questions-approve", "1.5"}, 2, "--questions-approve"},
		{"ApproveNaN", []string{"viewers", "--token", "t", "--questions-rate", "20", "--questions-approve", "NaN"}, 2, "--questions-approve"},
		{"ApproveWithoutQuestions", []string{"viewers", "--token", "t", "--questions-approve", "0.1"}, 2, "need --questions-rate"},
		{"TicketsWithoutQuestions", []string{"viewers", "--token", "t", "--tickets", "x"}, 2, "need --questions-rate"},
		{"QuestionsNoToken", []string{"viewers", "--broadcasts", "0", "--questions-rate", "20", "--questions-duration", "1s"}, 2, "--questions-rate needs --token"},
		{"QuestionsNoBroadcastsNoDuration", []string{"viewers", "--token", "t", "--broadcasts", "0", "--questions-rate", "20"}, 2, "--questions-duration"},
		{"NegativeQuestionsDuration", []string{"viewers", "--token", "t", "--questions-rate", "20", "--questions-duration", "-1s"}, 2, "--questions-duration"},
		{"QuestionsConcurrency", []string{"viewers", "--token", "t", "--questions-rate", "20", "--questions-concurrency", "0"}, 2, "--questions-concurrency"},
		{"ExtraArgument", []string{"viewers", "--token", "t", "extra"}, 2, "unexpected argument"},
		{"ModeHelp", []string{"checkins", "-h"}, 0, "-dup-ratio"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, &stdout, &stderr)
			out := stdout.String() + stderr.String()
			if code != tt.code || !strings.Contains(out, tt.want) {
				t.Errorf("exit %d, want %d; output lacks %q:\n%s", code, tt.code, tt.want, out)
			}
		})
	}
}

func TestParseRate(t *testing.T) {
	for in, want := range map[string]float64{"2000/s": 2000, "2000": 2000, "0": 0, " 12.5/s ": 12.5} {
		if got, err := parseRate(in); err != nil || got != want {
			t.Errorf("parseRate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "fast", "-1/s", "10/m"} {
		if _, err := parseRate(in); err == nil {
			t.Errorf("parseRate(%q) accepted", in)
		}
	}
}

func writeTickets(t *testing.T, lines ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tickets.txt")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func runCheckinsJSON(t *testing.T, f *fakeServer, extra ...string) (int, CheckinsReport) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	args := append([]string{"checkins", "--url", f.srv.URL, "--event", "demo", "--token", fakeToken, "--json"}, extra...)
	var stdout, stderr bytes.Buffer
	code := run(ctx, args, &stdout, &stderr)
	var rep CheckinsReport
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("exit %d, output is not a report: %v\nstdout: %s\nstderr: %s", code, err, stdout.String(), stderr.String())
	}
	return code, rep
}

func TestCheckinsMax(t *testing.T) {
	checkNoLeak(t)
	f := newFakeServer(t, nil)
	var tickets []string
	for i := range 5000 {
		tickets = append(tickets, fmt.Sprintf("HC1.ticket-%d", i))
	}
	path := writeTickets(t, append([]string{"# comment", ""}, tickets...)...)
	code, rep := runCheckinsJSON(t, f, "--tickets", path, "--duration", "300ms", "--concurrency", "8", "--dup-ratio", "0.3")
	if code != 0 {
		t.Errorf("exit %d, problems %q", code, rep.Problems)
	}
	if rep.Scans == 0 || rep.Answered != rep.Scans || len(rep.Errors) != 0 {
		t.Fatalf("scans %d, answered %d, errors %v", rep.Scans, rep.Answered, rep.Errors)
	}
	var sum int64
	for _, n := range rep.Results {
		sum += n
	}
	if sum != rep.Answered || rep.Results["already_checked_in"] == 0 || rep.Results["checked_in"] == 0 {
		t.Errorf("results %v over %d answers: want both kinds adding up", rep.Results, rep.Answered)
	}
	if rep.Tickets != 5000 || rep.Rate <= 0 || rep.Latency.Count != int(rep.Answered) {
		t.Errorf("tickets %d, rate %v, latency samples %d", rep.Tickets, rep.Rate, rep.Latency.Count)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.dupScans != 0 || int64(len(f.scans)) != rep.Scans {
		t.Errorf("the fake saw %d repeated scan ids and %d distinct ones for %d scans", f.dupScans, len(f.scans), rep.Scans)
	}
}

func TestCheckinsPacedWithErrors(t *testing.T) {
	f := newFakeServer(t, nil)
	path := writeTickets(t, "HC1.a", "forged-1", "broken-1", "HC1.b")
	code, rep := runCheckinsJSON(t, f, "--tickets", path, "--duration", "500ms", "--rate", "100", "--concurrency", "4", "--dup-ratio", "0")
	if code != 1 {
		t.Errorf("exit %d, want 1 for failed scans", code)
	}
	// 100/s for 0.5 s starts scans 0 … 49 (the 51st is due at the deadline).
	if rep.Scans < 40 || rep.Scans > 51 {
		t.Errorf("%d scans at 100/s for 500ms, want about 50", rep.Scans)
	}
	if !rep.TicketsExhausted || rep.Results["rejected"] == 0 || rep.Errors["HTTP 500 internal"] == 0 {
		t.Errorf("exhausted %v, results %v, errors %v", rep.TicketsExhausted, rep.Results, rep.Errors)
	}
	if rep.Results["checked_in"] != 2 {
		t.Errorf("checked_in %d, want 2 (two good tickets)", rep.Results["checked_in"])
	}
}

func TestTicketPicker(t *testing.T) {
	p := &ticketPicker{tickets: []string{"a", "b", "c"}, dupRatio: 0, rng: rand.New(rand.NewPCG(1, 2))}
	var got []string
	for range 3 {
		got = append(got, p.pick())
	}
	if strings.Join(got, "") != "abc" || p.exhausted {
		t.Errorf("picks %q, exhausted %v; want abc, false", got, p.exhausted)
	}
	if again := p.pick(); !strings.Contains("abc", again) || !p.exhausted {
		t.Errorf("fourth pick %q, exhausted %v; want a repeat, true", again, p.exhausted)
	}

	// With dupRatio 1 every pick after the first repeats the first.
	p = &ticketPicker{tickets: []string{"a", "b"}, dupRatio: 1, rng: rand.New(rand.NewPCG(1, 2))}
	for i := range 5 {
		if got := p.pick(); got != "a" {
			t.Errorf("pick %d = %q, want a", i, got)
		}
	}
}

func TestUploads(t *testing.T) {
	checkNoLeak(t)
	f := newFakeServer(t, nil)
	var tickets []string
	for i := range 500 {
		tickets = append(tickets, fmt.Sprintf("HC1.ticket-%d", i))
	}
	path := writeTickets(t, tickets...)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"uploads", "--url", f.srv.URL, "--event", "demo", "--token", fakeToken, "--json",
		"--tickets", path, "--batch", "100", "--uploads", "3", "--dup-ratio", "0.2"}, &stdout, &stderr)
	var rep UploadsReport
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("exit %d, output is not a report: %v\nstdout: %s\nstderr: %s", code, err, stdout.String(), stderr.String())
	}
	if code != 0 || len(rep.Problems) != 0 {
		t.Fatalf("exit %d, problems %q", code, rep.Problems)
	}
	if rep.Upload.Count != 3 || rep.Replay.Count != 3 || rep.Results["checked_in"]+rep.Results["already_checked_in"] != 300 || rep.Results["already_checked_in"] == 0 {
		t.Fatalf("report %+v", rep)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.answers) != 300 || f.dupScans != 300 {
		t.Errorf("the fake saw %d scan ids and %d replayed ones, want 300 and 300", len(f.answers), f.dupScans)
	}
}
