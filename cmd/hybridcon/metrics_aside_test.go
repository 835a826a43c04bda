package main

import (
	"net"
	"net/http"
	"strings"
	"testing"
)

// TestMetricsAside: with HYBRIDCON_METRICS_ADDR the metrics are served on
// that listener only, and still count the API's requests.
func TestMetricsAside(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	env := baseEnv(t)
	env["HYBRIDCON_METRICS_ADDR"] = addr
	s := start(t, env)

	resp, err := http.Get(s.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /metrics on the API listener: %d %s, want the JSON 404", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if code := getJSON(t, s.url+"/healthz", nil); code != 200 {
		t.Fatalf("healthz: %d", code)
	}
	m := scrape(t, "http://"+addr)
	if m[`hybridcon_http_request_duration_seconds_count{method="GET",route="/healthz",status="2xx"}`] != 1 {
		t.Fatalf("the aside listener's metrics do not count the API's /healthz")
	}
}
