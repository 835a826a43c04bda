package api_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hybridcon/hybridcon/app/api"
)

// rawExchange writes req on a new connection to addr and reads one
// response.
func rawExchange(t *testing.T, addr, req string) response {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	go func() { _, _ = io.WriteString(conn, req) }() // the server may answer before reading it all
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Body: body, Header: resp.Header}
}

// TestServerLevelRefusals: requests fasthttp or Fiber refuse before any
// handler or middleware runs still get the JSON error shape, a request
// id and the security headers.
func TestServerLevelRefusals(t *testing.T) {
	r := newRig(t, api.Config{BodyLimit: 16 << 10})
	addr := r.listen(t)
	chunk := strings.Repeat("x", 8<<10)
	for _, tc := range []struct {
		name, req string
		status    int
		code      string
	}{
		{"ChunkedBodyOverLimit", "POST " + ev + "/announcements HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + r.organizer +
			"\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
			strings.Repeat(fmt.Sprintf("%x\r\n%s\r\n", len(chunk), chunk), 4) + "0\r\n\r\n", 413, "too_large"},
		{"HeadersTooLarge", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("y", 10<<10) + "\r\n\r\n", 431, "headers_too_large"},
		{"UnknownMethod", "BREW /healthz HTTP/1.1\r\nHost: x\r\n\r\n", 501, "not_implemented"},
		{"MalformedRequestLine", "GET\r\nHost: x\r\n\r\n", 400, "bad_request"},
		{"KnownMethodWrongRoute", "PUT /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 405, "method_not_allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := r.fingerprint(t)
			resp := rawExchange(t, addr, tc.req)
			var b api.ErrorBody
			if err := json.Unmarshal(resp.Body, &b); err != nil || resp.Status != tc.status || b.Error.Code != tc.code {
				t.Fatalf("got %d %s, want %d %s", resp.Status, resp.Body, tc.status, tc.code)
			}
			if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				t.Errorf("Content-Type %q", resp.Header.Get("Content-Type"))
			}
			if b.Error.RequestID == "" || resp.Header.Get("X-Request-ID") != b.Error.RequestID {
				t.Errorf("request id: body %q, header %q", b.Error.RequestID, resp.Header.Get("X-Request-ID"))
			}
			for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"} {
				if got := resp.Header.Get(h); got != want {
					t.Errorf("%s: got %q, want %q", h, got, want)
				}
			}
			if !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
				t.Errorf("Content-Security-Policy %q", resp.Header.Get("Content-Security-Policy"))
			}
			r.ensureUnchanged(t, before, tc.name)
		})
	}
}

// TestHead: HEAD answers every GET route as GET would, without a body.
func TestHead(t *testing.T) {
	r := newRig(t, api.Config{})
	for _, path := range []string{"/healthz", ev, ev + "/live", ev + "/announcements?limit=2", api.OpenAPIPath} {
		get := r.do(t, request{method: "GET", path: path})
		head := r.do(t, request{method: "HEAD", path: path})
		if head.Status != get.Status || head.Status != 200 || len(head.Body) != 0 ||
			head.Header.Get("Content-Type") != get.Header.Get("Content-Type") {
			t.Errorf("HEAD %s: %d %q %d bytes; GET: %d %q", path, head.Status, head.Header.Get("Content-Type"), len(head.Body), get.Status, get.Header.Get("Content-Type"))
		}
	}
	if resp := r.do(t, request{method: "HEAD", path: "/api/v1/users"}); resp.Status != 401 || len(resp.Body) != 0 {
		t.Errorf("HEAD of an admin route without a token: %d, %d bytes", resp.Status, len(resp.Body))
	}
	if resp := r.do(t, request{method: "HEAD", path: "/api/v1/users", token: r.admin}); resp.Status != 200 {
		t.Errorf("HEAD /api/v1/users as admin: %d", resp.Status)
	}
	// The never-ending stream answers HEAD with its headers and ends.
	client := http.Client{Timeout: 5 * time.Second}
	resp, err := client.Head("http://" + r.listen(t) + ev + "/stream")
	if err != nil {
		t.Fatalf("HEAD of the stream: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Errorf("HEAD of the stream: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

// TestTextMustBeUnicode: JSON whose text is not valid Unicode is 422 and
// changes nothing; encoding/json alone would store U+FFFD instead.
func TestTextMustBeUnicode(t *testing.T) {
	r := newRig(t, api.Config{})
	post := func(body string) response {
		return r.do(t, request{method: "POST", path: ev + "/announcements", token: r.organizer, body: []byte(body)})
	}
	for name, body := range map[string]string{
		"Latin1Byte":        `{"text":{"en":"caf` + "\xe9" + `"}}`,
		"TruncatedSequence": `{"text":{"en":"` + "\xe4\xb8" + `"}}`,
		"LoneHighSurrogate": `{"text":{"en":"a\ud83d b"}}`,
		"LoneLowSurrogate":  `{"text":{"en":"\ude00"}}`,
		"ReversedPair":      `{"text":{"en":"\ude00\ud83d"}}`,
		"NUL":               `{"text":{"en":"a\u0000b"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			before := r.fingerprint(t)
			wantError(t, post(body), 422, "invalid")
			r.ensureUnchanged(t, before, name)
		})
	}
	for name, body := range map[string]string{
		"SurrogatePair":      `{"text":{"en":"smile \ud83d\ude00"}}`,
		"EscapedBackslashU0": `{"text":{"en":"C:\\u0000 is a path"}}`,
		"Chinese":            `{"text":{"zh":"欢迎"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			asJSON(t, post(body), 201, nil)
		})
	}
}

// TestStreamLinkRegions: stream_links keys are known regions or default.
func TestStreamLinkRegions(t *testing.T) {
	r := newRig(t, api.Config{})
	path := fmt.Sprintf("/api/v1/sessions/%d", r.freshSession(t, 0).ID)
	before := r.fingerprint(t)
	resp := r.do(t, jsonReq("PATCH", path, r.organizer, map[string]any{"stream_links": map[string]string{"cn": "https://a.example/cn", "hungary": "https://a.example/hu"}}))
	wantError(t, resp, 422, "invalid")
	if !strings.Contains(string(resp.Body), `unknown region \"hungary\"`) {
		t.Errorf("message: %s", resp.Body)
	}
	wantError(t, r.do(t, jsonReq("POST", ev+"/sessions", r.organizer, map[string]any{"title": map[string]string{"en": "x"},
		"planned_start": time.Now(), "planned_end": time.Now().Add(time.Hour), "stream_links": map[string]string{"de": "https://a.example/de"}})), 422, "invalid")
	r.ensureUnchanged(t, before, "unknown regions")
	asJSON(t, r.do(t, jsonReq("PATCH", path, r.organizer, map[string]any{"stream_links": map[string]string{"hu": "https://a.example/hu", "default": "https://a.example/"}})), 200, nil)
}
