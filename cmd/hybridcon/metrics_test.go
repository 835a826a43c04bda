package main

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/hybridcon/hybridcon/app/demo"
)

// TestMetricsEndpoint scrapes /metrics of a running server after a
// broadcast to a viewer, three check-ins and an unknown route.
func TestMetricsEndpoint(t *testing.T) {
	env := baseEnv(t)
	env["HYBRIDCON_ADMIN_TOKEN"] = testAdminToken
	s := start(t, env)
	c := newAPIClient(s.url)

	before := scrape(t, s.url)
	for _, k := range []string{
		`hybridcon_viewers{region="hu",transport="ws"}`,
		`hybridcon_viewers{region="cn",transport="sse"}`,
		`hybridcon_deliveries_total{kind="durable"}`,
		`hybridcon_viewers_dropped_total{reason="queue_full"}`,
		`hybridcon_recoveries_total{kind="log"}`,
		`hybridcon_catchups_total{trigger="resubscribe"}`,
		`hybridcon_checkins_total{reason="revoked",result="rejected"}`,
		`hybridcon_log_recovered_envelopes_total`,
		`hybridcon_gaps_filled_total`,
		`hybridcon_broker_publish_errors_total`,
		`hybridcon_broker_delivery_duration_seconds_count`,
		`go_goroutines`,
	} {
		if v, ok := before[k]; !ok || v != 0 && k != "go_goroutines" {
			t.Errorf("before any traffic: %s = %v (present %v), want a zero series", k, v, ok)
		}
	}
	if before[`hybridcon_build_info{node="test-node",region="cn",version="dev"}`] != 1 {
		t.Errorf("build info missing")
	}

	v := dialViewer(t, s.url, "region=hu&lang=zh")
	waitAll(t, 10*time.Second, 0, v)
	c.must(t, 201, "POST", "/api/v1/events/"+demo.Slug+"/announcements", map[string]any{"text": map[string]string{"en": "metrics"}})
	seq := c.lastSeq(t)
	waitAll(t, 10*time.Second, seq, v)

	tickets := issueTickets(t, env)
	for i, want := range []string{"checked_in", "already_checked_in"} {
		var ans struct{ Result string }
		if err := json.Unmarshal(c.must(t, 200, "POST", "/api/v1/events/"+demo.Slug+"/checkins",
			map[string]string{"ticket": tickets[0], "gate": "G1", "scan_id": fmt.Sprintf("metrics-scan-%d", i)}), &ans); err != nil || ans.Result != want {
			t.Fatalf("scan %d: %q, %v; want %s", i, ans.Result, err, want)
		}
	}
	c.must(t, 200, "POST", "/api/v1/events/"+demo.Slug+"/checkins", map[string]string{"ticket": "not-a-ticket", "gate": "G1", "scan_id": "metrics-scan-bad"})
	c.must(t, 404, "GET", "/no/such/route", nil)

	m := scrape(t, s.url)
	check := func(k string, want float64, atLeast bool) {
		t.Helper()
		got, ok := m[k]
		if !ok || got != want && !(atLeast && got > want) {
			t.Errorf("%s = %v (present %v), want %v (at least: %v)", k, got, ok, want, atLeast)
		}
	}
	for k, want := range map[string]float64{
		`hybridcon_viewers{region="hu",transport="ws"}`:                                                                        1,
		`hybridcon_deliveries_total{kind="snapshot"}`:                                                                          1,
		`hybridcon_checkins_total{reason="",result="checked_in"}`:                                                              1,
		`hybridcon_checkins_total{reason="",result="already_checked_in"}`:                                                      1,
		`hybridcon_checkins_total{reason="invalid_ticket",result="rejected"}`:                                                  1,
		`hybridcon_http_request_duration_seconds_count{method="POST",route="/api/v1/events/:slug/announcements",status="2xx"}`: 1,
		`hybridcon_http_request_duration_seconds_count{method="POST",route="/api/v1/events/:slug/checkins",status="2xx"}`:      3,
		`hybridcon_http_request_duration_seconds_count{method="GET",route="/ws/events/:slug",status="1xx"}`:                    1,
		`hybridcon_http_request_duration_seconds_count{method="other",route="unmatched",status="4xx"}`:                         1,
		`hybridcon_broker_publish_errors_total`:                                                                                0,
		`hybridcon_recoveries_total{kind="ring"}`:                                                                              0,
		`hybridcon_viewers_dropped_total{reason="queue_full"}`:                                                                 0,
	} {
		check(k, want, false)
	}
	// The schedule refresher may add envelopes of its own meanwhile.
	for k, want := range map[string]float64{
		`hybridcon_deliveries_total{kind="durable"}`:      1,
		`hybridcon_live_log_seq{event="cn-hu-2021"}`:      float64(seq),
		`hybridcon_broker_publish_duration_seconds_count`: 1,
		`hybridcon_http_request_duration_seconds_bucket{method="GET",route="/api/v1/events/:slug/log",status="2xx",le="+Inf"}`: 1,
	} {
		check(k, want, true)
	}

	// A reconnect with since and epoch is served from the node's memory.
	var live struct {
		Epoch string `json:"epoch"`
	}
	if err := json.Unmarshal(c.must(t, 200, "GET", "/api/v1/events/"+demo.Slug+"/live", nil), &live); err != nil {
		t.Fatal(err)
	}
	dialViewer(t, s.url, fmt.Sprintf("since=%d&epoch=%s", seq-1, live.Epoch))
	deadline := time.Now().Add(10 * time.Second)
	for scrape(t, s.url)[`hybridcon_recoveries_total{kind="ring"}`] != 1 {
		if time.Now().After(deadline) {
			t.Fatal("recoveries_total{kind=ring} did not reach 1")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
