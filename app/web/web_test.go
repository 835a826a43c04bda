package web_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/hybridcon/hybridcon/app/api"
	"github.com/hybridcon/hybridcon/app/demo"
)

// client does not follow redirects, so tests see them.
var client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

type page struct {
	status int
	header http.Header
	body   string
}

func get(t *testing.T, rawURL string, header ...string) page {
	t.Helper()
	req, err := http.NewRequest("GET", rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// loginCookie logs in through the API and returns the Cookie header value.
func loginCookie(t *testing.T, srv *server, user, password string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": user, "password": password})
	resp, err := http.Post(srv.url+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("login %s: %d", user, resp.StatusCode)
	}
	var parts []string
	for _, c := range resp.Cookies() {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return strings.Join(parts, "; ")
}

func TestPagesAnswerHTMLWithSecurityHeaders(t *testing.T) {
	srv := startServer(t)
	organizer := loginCookie(t, srv, organizerName, organizerPassword)
	inlineScript := regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`)
	handlerAttr := regexp.MustCompile(`\son[a-z]+\s*=`)
	for _, path := range []string{"/", "/login", "/e/" + demo.Slug, "/e/" + demo.Slug + "?screen=1", "/console", "/e/" + demo.Slug + "/checkin"} {
		p := get(t, srv.url+path, "Cookie", organizer)
		if p.status != 200 {
			t.Fatalf("%s: %d %s", path, p.status, p.body)
		}
		if ct := p.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("%s: Content-Type %q", path, ct)
		}
		csp := p.header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe") {
			t.Errorf("%s: CSP %q allows unsafe sources", path, csp)
		}
		if p.header.Get("X-Content-Type-Options") != "nosniff" || p.header.Get("Referrer-Policy") == "" {
			t.Errorf("%s: headers %v", path, p.header)
		}
		if inlineScript.MatchString(p.body) || handlerAttr.MatchString(p.body) || strings.Contains(p.body, " style=") {
			t.Errorf("%s: inline script, handler or style in the page", path)
		}
		if strings.Contains(p.body, "//cdn") || strings.Contains(p.body, "https://") {
			t.Errorf("%s: the page refers to another origin", path)
		}
	}
}

func TestLivePageLanguageAndNotFound(t *testing.T) {
	srv := startServer(t)
	p := get(t, srv.url+"/e/"+demo.Slug, "Accept-Language", "zh-CN,zh;q=0.9")
	if !strings.Contains(p.body, `<html lang="zh-CN"`) || !strings.Contains(p.body, "中国（成渝地区）") ||
		!strings.Contains(p.body, `id="event-venue">重庆<`) {
		t.Errorf("Accept-Language zh did not give the Chinese page: %.300s", p.body)
	}
	p = get(t, srv.url+"/e/"+demo.Slug, "Accept-Language", "zh-CN", "Cookie", "hc_lang=hu")
	if !strings.Contains(p.body, `<html lang="hu"`) || !strings.Contains(p.body, "Kína (Csengtu–Csungking régió)") ||
		!strings.Contains(p.body, `id="event-venue">Csungking<`) {
		t.Errorf("the hc_lang cookie did not win over Accept-Language")
	}
	p = get(t, srv.url+"/e/no-such-event")
	if p.status != 404 || !strings.HasPrefix(p.header.Get("Content-Type"), "text/html") || !strings.Contains(p.body, "Page not found") {
		t.Errorf("unknown event: %d %s %.200s", p.status, p.header.Get("Content-Type"), p.body)
	}
	p = get(t, srv.url+"/e/no-such-event/checkin")
	if p.status != 404 {
		t.Errorf("kiosk of an unknown event: %d", p.status)
	}
}

func TestRolePagesRedirectOrRefuse(t *testing.T) {
	srv := startServer(t)
	kiosk := "/e/" + demo.Slug + "/checkin"
	for _, path := range []string{"/console", kiosk, "/console?event=" + demo.Slug} {
		for _, cookie := range []string{"", api.SessionCookie + "=not-a-login"} {
			p := get(t, srv.url+path, "Cookie", cookie)
			want := "/login?next=" + url.QueryEscape(path)
			if p.status != 303 || p.header.Get("Location") != want {
				t.Errorf("%s with cookie %q: %d to %q, want 303 to %q", path, cookie, p.status, p.header.Get("Location"), want)
			}
		}
	}
	checker := loginCookie(t, srv, checkerName, checkerPassword)
	if p := get(t, srv.url+kiosk, "Cookie", checker); p.status != 200 || !strings.Contains(p.body, checkerName) {
		t.Errorf("checker on the kiosk: %d", p.status)
	}
	p := get(t, srv.url+"/console", "Cookie", checker)
	if p.status != 403 || !strings.HasPrefix(p.header.Get("Content-Type"), "text/html") || !strings.Contains(p.body, "do not have access") {
		t.Errorf("checker on the console: %d %s", p.status, p.header.Get("Content-Type"))
	}
	organizer := loginCookie(t, srv, organizerName, organizerPassword)
	for _, path := range []string{"/console", kiosk} {
		if p := get(t, srv.url+path, "Cookie", organizer); p.status != 200 {
			t.Errorf("organizer on %s: %d", path, p.status)
		}
	}
	// The login page carries a same-site next only.
	if p := get(t, srv.url+"/login?next="+url.QueryEscape("//evil.example/x")); strings.Contains(p.body, "evil.example") {
		t.Error("the login page passes on a next that leaves the site")
	}
	if p := get(t, srv.url+"/login?next="+url.QueryEscape(kiosk)); !strings.Contains(p.body, `data-next="`+kiosk+`"`) {
		t.Error("the login page lost a same-site next")
	}
}

func TestStaticAssets(t *testing.T) {
	srv := startServer(t)
	home := get(t, srv.url+"/")
	m := regexp.MustCompile(`/static/([0-9a-f]{12})/css/base\.css`).FindStringSubmatch(home.body)
	if m == nil {
		t.Fatalf("no versioned stylesheet in the page: %.400s", home.body)
	}
	version := m[1]
	js := get(t, srv.url+"/static/"+version+"/js/live.js")
	if js.status != 200 || !strings.HasPrefix(js.header.Get("Content-Type"), "text/javascript") ||
		!strings.Contains(js.header.Get("Cache-Control"), "immutable") || js.header.Get("ETag") == "" {
		t.Fatalf("live.js: %d %v", js.status, js.header)
	}
	if !strings.Contains(js.body, "LiveClient") {
		t.Error("live.js is not the module")
	}
	if p := get(t, srv.url+"/static/"+version+"/js/live.js", "If-None-Match", js.header.Get("ETag")); p.status != 304 {
		t.Errorf("If-None-Match: %d, want 304", p.status)
	}
	req, _ := http.NewRequest("GET", srv.url+"/static/"+version+"/js/kiosk.js", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("kiosk.js not sent compressed: %v", resp.Header)
	} else if zr, err := gzip.NewReader(resp.Body); err != nil {
		t.Error(err)
	} else if b, _ := io.ReadAll(zr); !bytes.Contains(b, []byte("IndexedDB")) {
		t.Error("the compressed kiosk.js does not decompress to the module")
	}
	if p := get(t, srv.url+"/static/000000000000/js/live.js"); p.status != 200 || p.header.Get("Cache-Control") != "no-cache" {
		t.Errorf("an old version: %d %q, want 200 revalidated", p.status, p.header.Get("Cache-Control"))
	}
	for _, path := range []string{"/static/" + version + "/js/nope.js", "/static/" + version + "/../web.go", "/static/live.js"} {
		if p := get(t, srv.url+path); p.status != 404 {
			t.Errorf("%s: %d, want 404", path, p.status)
		}
	}
}
