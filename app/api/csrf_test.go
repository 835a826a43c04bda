package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/app/api"
	"github.com/hybridcon/hybridcon/app/origin"
)

// A login as the pages hold it: the two cookies and the token the login
// answer carries.
type pageLogin struct {
	session, csrfCookie, csrfBody string
	setCookies                    []*http.Cookie
}

// loginPage logs the rig's organizer in through the API.
func (r *rig) loginPage(tb testing.TB) pageLogin {
	tb.Helper()
	user, password := r.login(tb)
	resp := r.do(tb, request{method: "POST", path: "/api/v1/auth/login", body: mustJSON(tb, map[string]string{"username": user, "password": password})})
	if resp.Status != 200 {
		tb.Fatalf("login: %d %s", resp.Status, resp.Body)
	}
	return parseLogin(tb, resp)
}

func parseLogin(tb testing.TB, resp response) pageLogin {
	tb.Helper()
	var l pageLogin
	l.setCookies = (&http.Response{Header: resp.Header}).Cookies()
	for _, c := range l.setCookies {
		switch c.Name {
		case api.SessionCookie:
			l.session = c.Value
		case api.CSRFCookie:
			l.csrfCookie = c.Value
		}
	}
	var body struct {
		CSRFToken string `json:"csrf_token"`
	}
	if err := json.Unmarshal(resp.Body, &body); err != nil {
		tb.Fatalf("login answer: %v: %s", err, resp.Body)
	}
	l.csrfBody = body.CSRFToken
	if l.session == "" || l.csrfCookie == "" || l.csrfBody != l.csrfCookie {
		tb.Fatalf("login cookies %v, csrf_token %q", resp.Header.Values("Set-Cookie"), l.csrfBody)
	}
	return l
}

// cookies is the Cookie header of a page holding session and csrf.
func cookies(session, csrf string) string {
	h := api.SessionCookie + "=" + session
	if csrf != "" {
		h += "; " + api.CSRFCookie + "=" + csrf
	}
	return h
}

// announce is a write with the login cookie; extra headers are
// name, value pairs ("" values are left out).
func announce(session, csrfCookie string, extra ...string) request {
	h := map[string]string{"Cookie": cookies(session, csrfCookie)}
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] != "" {
			h[extra[i]] = extra[i+1]
		}
	}
	return request{method: "POST", path: ev + "/announcements", body: []byte(`{"text":{"en":"from the console"}}`), header: h}
}

// refusedWith checks a 403 forbidden whose message contains want.
func refusedWith(t *testing.T, resp response, want string) {
	t.Helper()
	var b api.ErrorBody
	if err := json.Unmarshal(resp.Body, &b); err != nil {
		t.Fatalf("status %d, not an error body: %s", resp.Status, resp.Body)
	}
	if resp.Status != 403 || b.Error.Code != app.EForbidden || !strings.Contains(b.Error.Message, want) {
		t.Errorf("got %d %s %q, want 403 forbidden containing %q", resp.Status, b.Error.Code, b.Error.Message, want)
	}
}

func TestCSRF_CookieWrites(t *testing.T) {
	r := newRig(t, api.Config{Origins: origin.NewPolicy([]string{"https://console.example.org"})})
	a := r.loginPage(t)
	b := r.loginPage(t) // the same user's second login (another browser)
	if a.csrfCookie == b.csrfCookie {
		t.Fatal("two logins got the same CSRF token")
	}
	for _, c := range a.setCookies {
		if c.Name == api.CSRFCookie && (c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Secure) {
			t.Errorf("hc_csrf cookie flags: %+v", c)
		}
	}

	refused := []struct {
		name string
		req  request
		want string
	}{
		{"NoToken", announce(a.session, a.csrfCookie), "missing CSRF token"},
		{"NoTokenNoCookie", announce(a.session, ""), "missing CSRF token"},
		{"WrongToken", announce(a.session, a.csrfCookie, api.CSRFHeader, "wrong"), "another login"},
		{"OtherLoginsToken", announce(a.session, b.csrfCookie, api.CSRFHeader, b.csrfCookie), "another login"},
		{"HeaderWithoutCookie", announce(a.session, "", api.CSRFHeader, a.csrfCookie), "does not match"},
		{"CookieDiffers", announce(a.session, b.csrfCookie, api.CSRFHeader, a.csrfCookie), "does not match"},
		{"ForeignOrigin", announce(a.session, a.csrfCookie, api.CSRFHeader, a.csrfCookie, "Origin", "https://evil.example"), `origin "https://evil.example"`},
		{"NullOrigin", announce(a.session, a.csrfCookie, api.CSRFHeader, a.csrfCookie, "Origin", "null"), `origin "null"`},
		{"OwnHostOtherScheme", announce(a.session, a.csrfCookie, api.CSRFHeader, a.csrfCookie, "Origin", "https://example.com"), "not accepted from origin"},
		{"ForeignOriginNoToken", announce(a.session, a.csrfCookie, "Origin", "https://evil.example"), "not accepted from origin"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			resp := r.refused(t, func() response { return r.do(t, tc.req) })
			refusedWith(t, resp, tc.want)
		})
	}
	t.Run("ForeignOriginMessage", func(t *testing.T) {
		resp := r.do(t, announce(a.session, a.csrfCookie, api.CSRFHeader, a.csrfCookie, "Origin", "https://evil.example"))
		refusedWith(t, resp, "only from http://example.com and the allowed origins")
	})
	t.Run("LongOriginTruncated", func(t *testing.T) {
		resp := r.do(t, announce(a.session, a.csrfCookie, api.CSRFHeader, a.csrfCookie, "Origin", "https://"+strings.Repeat("x", 3000)+".example"))
		if resp.Status != 403 || len(resp.Body) > 600 {
			t.Errorf("got %d, %d bytes", resp.Status, len(resp.Body))
		}
	})

	accepted := []struct {
		name string
		req  request
	}{
		{"Token", announce(a.session, a.csrfCookie, api.CSRFHeader, a.csrfCookie)},
		{"TokenOfSecondLogin", announce(b.session, b.csrfCookie, api.CSRFHeader, b.csrfCookie)},
		{"OwnOrigin", announce(a.session, a.csrfCookie, api.CSRFHeader, a.csrfCookie, "Origin", "http://example.com")},
		{"OwnOriginDefaultPort", announce(a.session, a.csrfCookie, api.CSRFHeader, a.csrfCookie, "Origin", "http://example.com:80")},
		{"AllowedOrigin", announce(a.session, a.csrfCookie, api.CSRFHeader, a.csrfCookie, "Origin", "https://console.example.org")},
		{"BearerNoToken", request{method: "POST", path: ev + "/announcements", token: r.organizer, body: []byte(`{"text":{"en":"bearer"}}`)}},
		{"BearerForeignOrigin", request{method: "POST", path: ev + "/announcements", token: r.organizer, body: []byte(`{"text":{"en":"bearer"}}`),
			header: map[string]string{"Origin": "https://evil.example"}}},
		// A bearer token wins over a cookie sent alongside it.
		{"BearerWithCookie", request{method: "POST", path: ev + "/announcements", token: r.organizer, body: []byte(`{"text":{"en":"bearer"}}`),
			header: map[string]string{"Cookie": cookies(a.session, "")}}},
	}
	for _, tc := range accepted {
		t.Run(tc.name, func(t *testing.T) {
			var resp response
			if !r.writes(t, func() { resp = r.do(t, tc.req) }) || resp.Status != 201 {
				t.Fatalf("got %d %s, want 201 and a write", resp.Status, resp.Body)
			}
		})
	}

	t.Run("WriteRenewsCookie", func(t *testing.T) {
		resp := r.do(t, announce(a.session, a.csrfCookie, api.CSRFHeader, a.csrfCookie))
		if got := setCookie(resp, api.CSRFCookie); got == nil || got.Value != a.csrfCookie || got.HttpOnly || got.Path != "/" {
			t.Errorf("hc_csrf after a write: %+v", got)
		}
	})
	t.Run("ReadRestoresLostCookie", func(t *testing.T) {
		resp := r.do(t, request{method: "GET", path: "/api/v1/auth/me", header: map[string]string{"Cookie": cookies(a.session, "")}})
		if got := setCookie(resp, api.CSRFCookie); resp.Status != 200 || got == nil || got.Value != a.csrfCookie {
			t.Errorf("GET me without hc_csrf: %d, hc_csrf %+v", resp.Status, got)
		}
		resp = r.do(t, request{method: "GET", path: "/api/v1/auth/me", header: map[string]string{"Cookie": cookies(a.session, b.csrfCookie)}})
		if got := setCookie(resp, api.CSRFCookie); got == nil || got.Value != a.csrfCookie {
			t.Errorf("GET me with another login's hc_csrf: hc_csrf %+v", got)
		}
		resp = r.do(t, request{method: "GET", path: "/api/v1/auth/me", header: map[string]string{"Cookie": cookies(a.session, a.csrfCookie)}})
		if got := setCookie(resp, api.CSRFCookie); got != nil {
			t.Errorf("GET me with the right hc_csrf sets it again: %+v", got)
		}
		resp = r.do(t, request{method: "GET", path: "/api/v1/events", token: r.organizer})
		if got := setCookie(resp, api.CSRFCookie); got != nil {
			t.Errorf("a bearer read sets hc_csrf: %+v", got)
		}
	})
	t.Run("Logout", func(t *testing.T) {
		resp := r.refused(t, func() response {
			return r.do(t, request{method: "POST", path: "/api/v1/auth/logout", header: map[string]string{"Cookie": cookies(b.session, b.csrfCookie)}})
		})
		refusedWith(t, resp, "missing CSRF token")
		resp = r.do(t, request{method: "POST", path: "/api/v1/auth/logout",
			header: map[string]string{"Cookie": cookies(b.session, b.csrfCookie), api.CSRFHeader: b.csrfCookie}})
		if resp.Status != 204 {
			t.Fatalf("logout: %d %s", resp.Status, resp.Body)
		}
		for _, name := range []string{api.SessionCookie, api.CSRFCookie} {
			if got := setCookie(resp, name); got == nil || got.Value != "" || !got.Expires.Before(time.Now()) {
				t.Errorf("logout leaves %s: %+v", name, got)
			}
		}
		// The login is gone: its cookie is anonymous now, and a write
		// with it is refused for want of a role, not of a token.
		resp = r.do(t, announce(b.session, b.csrfCookie, api.CSRFHeader, b.csrfCookie))
		if resp.Status != 401 {
			t.Errorf("write after logout: %d %s", resp.Status, resp.Body)
		}
	})
}

// setCookie returns the Set-Cookie of name in resp, or nil.
func setCookie(resp response, name string) *http.Cookie {
	for _, c := range (&http.Response{Header: resp.Header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// TestCSRF_TwoNodes checks that a token issued by one node is accepted by
// another over the same database: nothing about it lives in a node.
func TestCSRF_TwoNodes(t *testing.T) {
	r := newRig(t, api.Config{})
	n2 := r.secondNode(t)
	on2 := func(req request) response { t.Helper(); return n2.do(t, r, req) }

	a := r.loginPage(t) // on the first node
	if resp := on2(announce(a.session, a.csrfCookie, api.CSRFHeader, a.csrfCookie)); resp.Status != 201 {
		t.Fatalf("second node, token from the first: %d %s", resp.Status, resp.Body)
	}
	before := r.fingerprint(t)
	refusedWith(t, on2(announce(a.session, a.csrfCookie)), "missing CSRF token")
	r.ensureUnchanged(t, before, "a write without a token on the second node")

	// And the other way round: a login on the second node writes on the first.
	user, password := r.login(t)
	resp := on2(request{method: "POST", path: "/api/v1/auth/login", body: mustJSON(t, map[string]string{"username": user, "password": password})})
	if resp.Status != 200 {
		t.Fatalf("login on the second node: %d %s", resp.Status, resp.Body)
	}
	b := parseLogin(t, resp)
	if resp := r.do(t, announce(b.session, b.csrfCookie, api.CSRFHeader, b.csrfCookie)); resp.Status != 201 {
		t.Fatalf("first node, token from the second: %d %s", resp.Status, resp.Body)
	}
}

// TestCSRF_BehindTLSProxy covers HTTPS as a trusted proxy reports it:
// the origin the checks compare with comes from X-Forwarded-Proto and
// X-Forwarded-Host, and Fiber's CSRF middleware wants a Referer of this
// host on cookie-authenticated writes.
func TestCSRF_BehindTLSProxy(t *testing.T) {
	r := newRig(t, api.Config{TrustedProxies: []string{"0.0.0.0"}, SecureCookies: true,
		Origins: origin.NewPolicy([]string{"https://console.example.org"})})
	const site = "https://live.example.org"
	https := func(extra ...string) []string {
		return append([]string{"X-Forwarded-Proto", "https", "X-Forwarded-Host", "live.example.org"}, extra...)
	}
	user, password := r.login(t)
	resp := r.do(t, request{method: "POST", path: "/api/v1/auth/login", body: mustJSON(t, map[string]string{"username": user, "password": password}),
		header: map[string]string{"X-Forwarded-Proto": "https", "Origin": site, "Referer": site + "/login"}})
	if resp.Status != 200 {
		t.Fatalf("login: %d %s", resp.Status, resp.Body)
	}
	a := parseLogin(t, resp)
	for _, c := range a.setCookies {
		if !c.Secure {
			t.Errorf("cookie %s without Secure", c.Name)
		}
	}
	tok := a.csrfCookie

	var resp2 response
	if !r.writes(t, func() {
		resp2 = r.do(t, announce(a.session, tok, https(api.CSRFHeader, tok, "Origin", site, "Referer", site+"/console")...))
	}) || resp2.Status != 201 {
		t.Fatalf("same-site write over HTTPS: %d %s", resp2.Status, resp2.Body)
	}
	if c := setCookie(resp2, api.CSRFCookie); c == nil || !c.Secure {
		t.Errorf("renewed hc_csrf: %+v", c)
	}

	for _, tc := range []struct {
		name string
		req  request
		want string
	}{
		{"NoReferer", announce(a.session, tok, https(api.CSRFHeader, tok, "Origin", site)...), "Referer"},
		{"ForeignReferer", announce(a.session, tok, https(api.CSRFHeader, tok, "Referer", "https://evil.example/x")...), "Referer names another"},
		{"PlainHTTPOrigin", announce(a.session, tok, https(api.CSRFHeader, tok, "Origin", "http://live.example.org", "Referer", site+"/")...), "not accepted from origin"},
		// Fiber's middleware (v2) compares the Referer with this host
		// only: an allowed origin passes the origin check but cannot make
		// cookie-authenticated writes over HTTPS (see operations.md).
		{"AllowedOriginOverHTTPS", announce(a.session, tok, https(api.CSRFHeader, tok, "Origin", "https://console.example.org",
			"Referer", "https://console.example.org/")...), "Referer names another"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			refusedWith(t, r.refused(t, func() response { return r.do(t, tc.req) }), tc.want)
		})
	}

	t.Run("UntrustedPeerCannotClaimTheHost", func(t *testing.T) {
		plain := newRig(t, api.Config{})
		user, password := plain.login(t)
		resp := plain.do(t, request{method: "POST", path: "/api/v1/auth/login", body: mustJSON(t, map[string]string{"username": user, "password": password})})
		l := parseLogin(t, resp)
		req := announce(l.session, l.csrfCookie, https(api.CSRFHeader, l.csrfCookie, "Origin", site)...)
		refusedWith(t, plain.refused(t, func() response { return plain.do(t, req) }), "only from http://example.com")
	})
}
