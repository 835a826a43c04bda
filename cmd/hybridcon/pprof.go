package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/hybridcon/hybridcon/app/api"
)

// servePprof serves Go's profiler on its own listener (never on the public
// one) and returns a function that stops it.
func servePprof(addr string, log *slog.Logger) (func(), error) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return serveAside(addr, "HYBRIDCON_PPROF_ADDR", mux, log, "profiler")
}

// serveMetrics serves the Prometheus metrics at api.MetricsPath on a
// listener of its own (HYBRIDCON_METRICS_ADDR) and returns a function
// that stops it.
func serveMetrics(addr string, h http.Handler, log *slog.Logger) (func(), error) {
	mux := http.NewServeMux()
	mux.Handle("GET "+api.MetricsPath, h)
	return serveAside(addr, "HYBRIDCON_METRICS_ADDR", mux, log, "metrics")
}

// serveAside listens on addr (the value of setting) at once, so a taken
// port fails the start, then serves h with net/http until the returned
// function is called.
func serveAside(addr, setting string, h http.Handler, log *slog.Logger, what string) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s=%q: %w", setting, addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	log.Info(what+" listening", "addr", ln.Addr().String())
	return func() { _ = srv.Close() }, nil
}
