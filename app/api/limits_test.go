package api_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hybridcon/hybridcon/app/api"
	"github.com/hybridcon/hybridcon/app/demo"
)

// rateLimited fails unless resp is a 429 in the JSON error shape with a
// sensible Retry-After.
func rateLimited(t *testing.T, resp response) {
	t.Helper()
	if resp.Status != 429 {
		t.Fatalf("got %d, want 429: %s", resp.Status, truncate(resp.Body))
	}
	if code := resp.errorCode(t); code != "rate_limited" {
		t.Fatalf("code %q", code)
	}
	retry, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err != nil || retry < 1 || retry > 60 {
		t.Fatalf("Retry-After %q", resp.Header.Get("Retry-After"))
	}
	var b struct {
		Error struct {
			Details struct {
				RetryAfter int `json:"retry_after"`
			}
		}
	}
	if err := json.Unmarshal(resp.Body, &b); err != nil || b.Error.Details.RetryAfter != retry {
		t.Fatalf("details.retry_after does not match Retry-After %d: %s", retry, resp.Body)
	}
}

func TestRateLimits(t *testing.T) {
	r := newRig(t, api.Config{Limits: api.Limits{
		Login:        api.Rate{Max: 3, Per: time.Minute},
		AuthFailures: api.Rate{Max: 3, Per: time.Minute},
		CheckIn:      api.Rate{Max: 3, Per: time.Minute},
		Writes:       api.Rate{Max: 3, Per: time.Minute},
	}})
	user, password := r.login(t)
	login := func(password string) response {
		return r.do(t, request{method: "POST", path: "/api/v1/auth/login", body: mustJSON(t, map[string]string{"username": user, "password": password})})
	}
	t.Run("LoginPerAddress", func(t *testing.T) {
		for i := 0; i < 3; i++ {
			if resp := login("wrong password!"); resp.Status != 401 {
				t.Fatalf("attempt %d: %d", i+1, resp.Status)
			}
		}
		before := r.fingerprint(t)
		// Over the limit even the right password is refused unchecked.
		rateLimited(t, login(password))
		r.ensureUnchanged(t, before, "a rate-limited login")
	})
	t.Run("AuthFailuresPerAddress", func(t *testing.T) {
		forged := request{method: "GET", path: "/api/v1/events", token: "hc_forged_but_well_formed_000000000000000000"}
		for i := 0; i < 3; i++ {
			if resp := r.do(t, forged); resp.Status != 401 {
				t.Fatalf("attempt %d: %d", i+1, resp.Status)
			}
		}
		rateLimited(t, r.do(t, forged))
		// Good tokens from the same address (kiosks behind one NAT) work.
		if resp := r.do(t, request{method: "GET", path: ev + "/checkin-kit", token: r.checker}); resp.Status != 200 {
			t.Fatalf("a good token after the failures: %d", resp.Status)
		}
	})
	t.Run("CheckInPerToken", func(t *testing.T) {
		ticket := r.freshAttendee(t).Ticket
		scan := func(token string) response {
			return r.do(t, request{method: "POST", path: ev + "/checkins", token: token,
				body: mustJSON(t, map[string]string{"ticket": ticket, "gate": "L", "scan_id": r.uniq("limit")})})
		}
		for i := 0; i < 2; i++ {
			if resp := scan(r.checker); resp.Status != 200 {
				t.Fatalf("scan %d: %d %s", i+1, resp.Status, resp.Body)
			}
		}
		batch := r.do(t, request{method: "POST", path: ev + "/checkins/batch", token: r.checker, body: []byte(`{"scans":[]}`)})
		if batch.Status != 200 {
			t.Fatalf("batch: %d %s", batch.Status, batch.Body)
		}
		before := r.fingerprint(t)
		rateLimited(t, scan(r.checker))
		r.ensureUnchanged(t, before, "a rate-limited scan")
		if resp := scan(r.organizer); resp.Status != 200 {
			t.Fatalf("another token: %d", resp.Status)
		}
	})
	t.Run("WritesPerToken", func(t *testing.T) {
		post := func(token string) response {
			return r.do(t, request{method: "POST", path: ev + "/announcements", token: token, body: []byte(`{"text":{"en":"limits"}}`)})
		}
		for i := 0; i < 3; i++ {
			if resp := post(r.organizer); resp.Status != 201 {
				t.Fatalf("post %d: %d", i+1, resp.Status)
			}
		}
		before := r.fingerprint(t)
		rateLimited(t, post(r.organizer))
		r.ensureUnchanged(t, before, "a rate-limited write")
		if resp := post(r.admin); resp.Status != 201 {
			t.Fatalf("another token: %d", resp.Status)
		}
		for i := 0; i < 10; i++ {
			if resp := r.do(t, request{method: "GET", path: ev + "/announcements", token: r.organizer}); resp.Status != 200 {
				t.Fatalf("reads are not limited: %d", resp.Status)
			}
		}
	})
	t.Run("Documented", func(t *testing.T) {
		lim, _ := r.doc.op(t, "POST", "/api/v1/auth/login").raw["x-rate-limit"].(map[string]any)
		if lim["max"] != float64(3) || lim["per_seconds"] != float64(60) {
			t.Fatalf("x-rate-limit %v", lim)
		}
		if _, ok := r.doc.op(t, "GET", "/api/v1/events").raw["x-rate-limit"]; ok {
			t.Fatal("reads have no rate limit")
		}
	})
}

func TestNoLimits(t *testing.T) {
	r := newRig(t, api.Config{Limits: api.NoLimits})
	for i := 0; i < 40; i++ {
		if resp := r.do(t, request{method: "GET", path: "/api/v1/events", token: "hc_forged"}); resp.Status != 401 {
			t.Fatalf("request %d: %d", i+1, resp.Status)
		}
	}
}

// TestDefaultLimits: a zero Config gets the documented defaults.
func TestDefaultLimits(t *testing.T) {
	// Not the zero Limits, which the rig turns into NoLimits; every zero
	// field still stands for its default.
	r := newRig(t, api.Config{Limits: api.Limits{AuthFailures: api.Rate{Max: 30}}})
	for route, want := range map[string][2]float64{
		"POST /api/v1/auth/login":                  {10, 60},
		"POST /api/v1/events/:slug/checkins":       {50, 1},
		"POST /api/v1/events/:slug/checkins/batch": {50, 1},
		"POST /api/v1/events/:slug/announcements":  {200, 10},
		"DELETE /api/v1/achievements/:id":          {200, 10},
	} {
		method, path, _ := strings.Cut(route, " ")
		lim, _ := r.doc.op(t, method, path).raw["x-rate-limit"].(map[string]any)
		if lim["max"] != want[0] || lim["per_seconds"] != want[1] {
			t.Errorf("%s: x-rate-limit %v, want %v", route, lim, want)
		}
	}
}

// TestClientAddressFromProxy: behind a trusted proxy, per-address limits
// use the address the proxy names; from anyone else the header is
// ignored.
func TestClientAddressFromProxy(t *testing.T) {
	login := func(r *rig, ip string) response {
		return r.do(t, request{method: "POST", path: "/api/v1/auth/login", header: map[string]string{"X-Real-IP": ip},
			body: mustJSON(t, map[string]string{"username": "nobody", "password": "wrong password"})})
	}
	limits := api.Limits{Login: api.Rate{Max: 1, Per: time.Minute}}
	t.Run("Trusted", func(t *testing.T) {
		// app.Test's connections come from 0.0.0.0.
		r := newRig(t, api.Config{Limits: limits, TrustedProxies: []string{"0.0.0.0"}, ProxyHeader: "X-Real-IP"})
		if a, b := login(r, "192.0.2.1"), login(r, "192.0.2.2"); a.Status != 401 || b.Status != 401 {
			t.Fatalf("two clients: %d %d", a.Status, b.Status)
		}
		rateLimited(t, login(r, "192.0.2.1"))
	})
	t.Run("Untrusted", func(t *testing.T) {
		r := newRig(t, api.Config{Limits: limits, ProxyHeader: "X-Real-IP"})
		if a := login(r, "192.0.2.1"); a.Status != 401 {
			t.Fatalf("first: %d", a.Status)
		}
		rateLimited(t, login(r, "192.0.2.2"))
	})
}

// TestBodyLimits sends every route a body one byte over its documented
// limit (413, nothing written) and, for writes, a compressed body (415:
// Fiber would inflate it without bound).
func TestBodyLimits(t *testing.T) {
	r := newRig(t, api.Config{})
	for key, o := range r.doc.ops {
		method, path, _ := strings.Cut(key, " ")
		path = strings.NewReplacer("{slug}", demo.Slug, "{id}", "1").Replace(path)
		t.Run(strings.ReplaceAll(key, "/", "_"), func(t *testing.T) {
			want := 64 << 10 // JSON bodies
			switch {
			case transferBodyLimits[key] != 0:
				want = transferBodyLimits[key]
			case method == "GET" || method == "DELETE" || strings.HasSuffix(key, "/start") || strings.HasSuffix(key, "/pause") ||
				strings.HasSuffix(key, "/resume") || strings.HasSuffix(key, "/end") || strings.HasSuffix(key, "/cancel") || strings.HasSuffix(key, "/logout"):
				want = 1 << 10 // no body, or "{}"
			case strings.HasSuffix(key, "/import"):
				want = api.DefaultBodyLimit
			case strings.HasSuffix(key, "/batch"):
				want = 1 << 20
			}
			if o.maxBody != want {
				t.Errorf("body limit %d bytes, want %d", o.maxBody, want)
			}
			before := r.fingerprint(t)
			var resp response
			if o.maxBody >= api.DefaultBodyLimit {
				// fasthttp refuses it from Content-Length alone.
				resp = r.overServerLimit(t, method, path, o.maxBody+1)
			} else {
				resp = r.do(t, request{method: method, path: path, token: r.admin, body: bytes.Repeat([]byte("x"), o.maxBody+1)})
			}
			if resp.Status != 413 || resp.errorCode(t) != "too_large" {
				t.Fatalf("%d bytes: got %d %s", o.maxBody+1, resp.Status, truncate(resp.Body))
			}
			o.checkError(t, resp)
			if method != "GET" {
				var gz bytes.Buffer
				w := gzip.NewWriter(&gz)
				_, _ = w.Write([]byte(`{}`))
				_ = w.Close()
				resp := r.do(t, request{method: method, path: path, token: r.admin, body: gz.Bytes(), header: map[string]string{"Content-Encoding": "gzip"}})
				if resp.Status != 415 {
					t.Fatalf("gzip body: got %d %s", resp.Status, truncate(resp.Body))
				}
				o.checkError(t, resp)
			}
			r.ensureUnchanged(t, before, "an oversized or compressed body")
		})
	}
}

// TestCompressedBomb: 50 KiB of gzip that inflates to 48 MiB is refused
// unread, where Fiber's Ctx.Body would have inflated it whole.
func TestCompressedBomb(t *testing.T) {
	r := newRig(t, api.Config{})
	var member bytes.Buffer
	w, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	_, _ = w.Write(make([]byte, 1<<20))
	_ = w.Close()
	// A gzip stream may hold many members; readers inflate them all.
	bomb := bytes.Repeat(member.Bytes(), 48)
	var gz bytes.Buffer
	gz.Write(bomb)
	if gz.Len() > 60<<10 {
		t.Fatalf("bomb is %d bytes", gz.Len())
	}
	before := r.fingerprint(t)
	start := time.Now()
	resp := r.do(t, request{method: "POST", path: ev + "/announcements", token: r.organizer, body: gz.Bytes(), header: map[string]string{"Content-Encoding": "gzip"}})
	if resp.Status != 415 || resp.errorCode(t) != "unsupported_media_type" {
		t.Fatalf("got %d %s", resp.Status, resp.Body)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("refusing took %v", d)
	}
	r.ensureUnchanged(t, before, "a compressed body")
	ok := r.do(t, request{method: "POST", path: ev + "/announcements", token: r.organizer, body: []byte(`{"text":{"en":"plain"}}`), header: map[string]string{"Content-Encoding": "identity"}})
	if ok.Status != 201 {
		t.Fatalf("identity encoding: %d %s", ok.Status, ok.Body)
	}
}

func TestSecurityHeaders(t *testing.T) {
	r := newRig(t, api.Config{})
	check := func(t *testing.T, resp response) {
		t.Helper()
		h := resp.Header
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" || h.Get("Referrer-Policy") != "no-referrer" ||
			!strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") || !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Errorf("security headers missing: %v", h)
		}
		if h.Get("Strict-Transport-Security") != "" {
			t.Error("HSTS without TLS configured")
		}
	}
	cases := map[string]struct {
		req   request
		cache string // Cache-Control wanted; "-" for anything but no-store
	}{
		"Public":        {request{method: "GET", path: "/api/v1/events"}, "-"},
		"Authenticated": {request{method: "GET", path: "/api/v1/events", token: r.checker}, "no-store"},
		"Error":         {request{method: "GET", path: "/api/v1/events/no-such"}, "no-store"},
		"Refused":       {request{method: "GET", path: ev + "/audit", token: r.checker}, "no-store"},
		"BadToken":      {request{method: "GET", path: "/api/v1/events", token: "hc_nope"}, "no-store"},
		"Write":         {request{method: "POST", path: ev + "/announcements", token: r.organizer, body: []byte(`{"text":{"en":"h"}}`)}, "no-store"},
		"KitKeepsOwn":   {request{method: "GET", path: ev + "/checkin-kit", token: r.checker}, "private, no-cache"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			resp := r.do(t, c.req)
			check(t, resp)
			cc := resp.Header.Get("Cache-Control")
			if c.cache == "-" && cc == "no-store" || c.cache != "-" && cc != c.cache {
				t.Errorf("Cache-Control %q, want %q", cc, c.cache)
			}
		})
	}
	t.Run("HSTS", func(t *testing.T) {
		https := map[string]string{"X-Forwarded-Proto": "https"}
		tls := newRig(t, api.Config{HSTSMaxAge: 180 * 24 * time.Hour, TrustedProxies: []string{"0.0.0.0"}})
		if h := tls.do(t, request{method: "GET", path: "/healthz", header: https}).Header.Get("Strict-Transport-Security"); !strings.HasPrefix(h, "max-age=15552000") {
			t.Errorf("behind a trusted TLS proxy: %q", h)
		}
		if h := tls.do(t, request{method: "GET", path: "/healthz"}).Header.Get("Strict-Transport-Security"); h != "" {
			t.Errorf("over plain HTTP: %q", h)
		}
		untrusted := newRig(t, api.Config{HSTSMaxAge: time.Hour})
		if h := untrusted.do(t, request{method: "GET", path: "/healthz", header: https}).Header.Get("Strict-Transport-Security"); h != "" {
			t.Errorf("X-Forwarded-Proto from an untrusted peer: %q", h)
		}
	})
}

// overServerLimit sends only the headers of a request announcing n bytes
// over a real connection and reads the answer (see TestBodyOverServerLimit).
func (r *rig) overServerLimit(t *testing.T, method, path string, n int) response {
	t.Helper()
	conn, err := net.Dial("tcp", r.listen(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: text/csv\r\nContent-Length: %d\r\n\r\n", method, path, r.admin, n)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Body: b, Header: resp.Header}
}
