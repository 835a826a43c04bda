package main

import (
	"net/http"
	"strings"
	"testing"
)

// TestProxySettingsReachTheAPI checks the wiring of the settings for
// running behind a TLS proxy, and of allowed origins, into the API.
func TestProxySettingsReachTheAPI(t *testing.T) {
	const admin = "a-fixed-admin-token-for-tests"
	env := baseEnv(t)
	env["HYBRIDCON_DEMO"] = "false"
	env["HYBRIDCON_ADMIN_TOKEN"] = admin
	env["HYBRIDCON_TRUSTED_PROXIES"] = "127.0.0.1,::1"
	env["HYBRIDCON_PROXY_HEADER"] = "X-Real-IP"
	env["HYBRIDCON_SECURE_COOKIES"] = "true"
	env["HYBRIDCON_HSTS_MAX_AGE"] = "1h"
	env["HYBRIDCON_ALLOWED_ORIGINS"] = "https://console.example.org"
	s := start(t, env)

	send := func(method, path, body string, header ...string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}

	// HSTS on HTTPS as the trusted proxy reports it, not on plain HTTP.
	if h := send("GET", "/healthz", "", "X-Forwarded-Proto", "https").Header.Get("Strict-Transport-Security"); !strings.HasPrefix(h, "max-age=3600") {
		t.Errorf("HSTS behind the proxy: %q", h)
	}
	if h := send("GET", "/healthz", "").Header.Get("Strict-Transport-Security"); h != "" {
		t.Errorf("HSTS over plain HTTP: %q", h)
	}

	// The page cookies are Secure; a read with the login cookie hands
	// out the CSRF token.
	cookie := "hc_session=" + admin
	var csrf *http.Cookie
	for _, c := range send("GET", "/api/v1/auth/me", "", "Cookie", cookie).Cookies() {
		if c.Name == "hc_csrf" {
			csrf = c
		}
	}
	if csrf == nil || !csrf.Secure || csrf.Value == "" {
		t.Fatalf("hc_csrf: %+v", csrf)
	}
	cookie += "; hc_csrf=" + csrf.Value
	body := `{"name":"k","role":"organizer"}`
	if code := send("POST", "/api/v1/tokens", body, "Cookie", cookie, "X-CSRF-Token", csrf.Value,
		"Origin", "https://evil.example").StatusCode; code != 403 {
		t.Errorf("cookie write from a foreign origin: %d, want 403", code)
	}
	if code := send("POST", "/api/v1/tokens", body, "Cookie", cookie, "X-CSRF-Token", csrf.Value,
		"Origin", "https://console.example.org").StatusCode; code != 201 {
		t.Errorf("cookie write from an allowed origin: %d, want 201", code)
	}
}
