package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/app/api"
	"github.com/hybridcon/hybridcon/app/demo"
	"github.com/hybridcon/hybridcon/realtime"
	"github.com/hybridcon/hybridcon/storage"
	"github.com/hybridcon/hybridcon/storage/storagetest"
)

const adminToken = "test-admin-token-0123456789"

type env struct {
	t     *testing.T
	st    *storage.Store
	svc   *app.Service
	srv   *api.Server
	admin string
}

// newEnv starts the real API over a real database (SQLite, or PostgreSQL
// when HYBRIDCON_TEST_DATABASE_URL is set) with the demo conference.
func newEnv(t *testing.T) *env {
	t.Helper()
	st := storagetest.Open(t)
	svc := app.NewService(st, nil, nil)
	ctx := context.Background()
	if err := svc.Seed(ctx, app.ConferenceSeed(demo.Build(time.Now()))); err != nil {
		t.Fatalf("seed: %v", err)
	}
	if _, err := svc.Bootstrap(ctx, adminToken); err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	// Every test viewer comes from 127.0.0.1 (the connect storm opens 300).
	hub := realtime.NewHub(realtime.HubConfig{Region: "cn", NodeID: "test", KnownRegions: []string{"cn", "hu"},
		MaxViewersPerAddress: realtime.UnlimitedViewers}, realtime.NewMemoryBroker(), svc, nil)
	svc.SetPublisher(hub)
	hctx, cancel := context.WithCancel(ctx)
	go hub.Run(hctx)
	t.Cleanup(func() {
		sctx, c2 := context.WithTimeout(context.Background(), 2*time.Second)
		defer c2()
		hub.Shutdown(sctx)
		cancel()
	})
	srv := api.New(api.Config{ReadyChecks: []api.Check{{Name: "database", Func: st.Ping}}}, svc, hub)
	return &env{t: t, st: st, svc: svc, srv: srv, admin: adminToken}
}

type response struct {
	Status int
	Body   []byte
	Header http.Header
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("response is not a JSON object: %v: %s", err, r.Body)
	}
	return m
}

// errorCode returns the "code" of an error body, failing on any other shape.
func (r response) errorCode(t *testing.T) string {
	t.Helper()
	var b api.ErrorBody
	if err := json.Unmarshal(r.Body, &b); err != nil || b.Error.Code == "" || b.Error.Message == "" {
		t.Fatalf("not an error body (%v): %s", err, r.Body)
	}
	return b.Error.Code
}

func (e *env) do(method, path, token string, body any, header ...string) response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := e.srv.App().Test(req, 10000)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Body: b, Header: resp.Header}
}

// fillProgramme puts the programme a snapshot's state names into it, as a
// page does: fetched by the version the snapshot gives, which must be the
// version served.
func (e *env) fillProgramme(slug string, st *app.LiveState) {
	e.t.Helper()
	r := e.do("GET", "/api/v1/events/"+slug+"/programme?v="+st.Programme, "", nil)
	var p app.Programme
	if err := json.Unmarshal(r.Body, &p); err != nil || r.Status != 200 || p.Version != st.Programme {
		e.t.Fatalf("programme %s: %d %.200s (err %v)", st.Programme, r.Status, r.Body, err)
	}
	st.Event, st.Sessions, st.Showcases = p.Event, p.Sessions, p.Showcases
}

func (e *env) token(role, event string) string {
	e.t.Helper()
	r := e.do("POST", "/api/v1/tokens", e.admin, map[string]string{"name": role + "-" + event, "role": role, "event": event})
	if r.Status != 201 {
		e.t.Fatalf("issue %s token: %d %s", role, r.Status, r.Body)
	}
	return r.json(e.t)["token"].(string)
}

func (e *env) liveRows() int64 {
	e.t.Helper()
	ev, err := e.st.EventBySlug(context.Background(), demo.Slug)
	if err != nil {
		e.t.Fatal(err)
	}
	return ev.LastSeq
}

func TestPublicReads(t *testing.T) {
	e := newEnv(t)
	t.Run("Events", func(t *testing.T) {
		r := e.do("GET", "/api/v1/events", "", nil)
		if r.Status != 200 || !bytes.Contains(r.Body, []byte(`"cn-hu-2021"`)) {
			t.Fatalf("got %d %s", r.Status, r.Body)
		}
		if bytes.Contains(r.Body, []byte("private")) {
			t.Fatalf("event listing mentions a private key: %s", r.Body)
		}
	})
	t.Run("ShowcaseHas27SlotsWithTimes", func(t *testing.T) {
		r := e.do("GET", "/api/v1/events/cn-hu-2021/sessions", "", nil)
		if r.Status != 200 {
			t.Fatalf("got %d %s", r.Status, r.Body)
		}
		var out struct{ Sessions []app.Session }
		if err := json.Unmarshal(r.Body, &out); err != nil {
			t.Fatal(err)
		}
		var showcase *app.Session
		for i := range out.Sessions {
			if out.Sessions[i].Kind == app.KindShowcase {
				showcase = &out.Sessions[i]
			}
			if out.Sessions[i].ExpectedStart.IsZero() {
				t.Errorf("session %d has no expected start", out.Sessions[i].ID)
			}
		}
		if showcase == nil {
			t.Fatal("no showcase session")
		}
		r = e.do("GET", "/api/v1/sessions/"+itoa(showcase.ID)+"/showcase", "", nil)
		var sc app.Showcase
		if err := json.Unmarshal(r.Body, &sc); err != nil || r.Status != 200 {
			t.Fatalf("got %d %v %s", r.Status, err, r.Body)
		}
		if len(sc.Slots) != 27 {
			t.Fatalf("got %d slots, want 27", len(sc.Slots))
		}
		for _, sl := range sc.Slots {
			if sl.PlannedStart.IsZero() || sl.ExpectedStart.IsZero() || sl.Achievement == nil || sl.Achievement.Title.ZH == "" {
				t.Fatalf("slot %d lacks times or achievement: %+v", sl.Position, sl)
			}
		}
		if !sc.Slots[0].PlannedStart.Equal(showcase.PlannedStart) {
			t.Errorf("first slot starts %v, session %v", sc.Slots[0].PlannedStart, showcase.PlannedStart)
		}
	})
	t.Run("Achievements", func(t *testing.T) {
		r := e.do("GET", "/api/v1/events/cn-hu-2021/achievements", "", nil)
		var out struct{ Achievements []app.Achievement }
		if err := json.Unmarshal(r.Body, &out); err != nil || len(out.Achievements) != 27 {
			t.Fatalf("got %d %v %d achievements", r.Status, err, len(out.Achievements))
		}
	})
	t.Run("Health", func(t *testing.T) {
		if r := e.do("GET", "/healthz", "", nil); r.Status != 200 {
			t.Fatalf("healthz %d", r.Status)
		}
		if r := e.do("GET", "/readyz", "", nil); r.Status != 200 {
			t.Fatalf("readyz %d %s", r.Status, r.Body)
		}
	})
}

func TestErrors(t *testing.T) {
	e := newEnv(t)
	organizer := e.token("organizer", "")
	checker := e.token("checker", demo.Slug)
	okBody := map[string]any{"text": map[string]string{"en": "Hello"}}
	cases := []struct {
		name, method, path, token string
		body                      any
		header                    []string
		status                    int
		code                      string
	}{
		{"UnknownSlug", "GET", "/api/v1/events/no-such-event", "", nil, nil, 404, "not_found"},
		{"UnknownSlugSessions", "GET", "/api/v1/events/no-such-event/sessions", "", nil, nil, 404, "not_found"},
		{"BadSlugShape", "GET", "/api/v1/events/NOT_A_SLUG", "", nil, nil, 404, "not_found"},
		{"UnknownRoute", "GET", "/api/v1/nothing-here", "", nil, nil, 404, "not_found"},
		{"MalformedID", "GET", "/api/v1/sessions/abc/showcase", "", nil, nil, 400, "bad_request"},
		{"NegativeID", "GET", "/api/v1/sessions/-3/showcase", "", nil, nil, 400, "bad_request"},
		{"HugeID", "GET", "/api/v1/sessions/99999999999999999999999/showcase", "", nil, nil, 400, "bad_request"},
		{"UnknownID", "GET", "/api/v1/sessions/987654/showcase", "", nil, nil, 404, "not_found"},
		{"BadSince", "GET", "/api/v1/events/cn-hu-2021/log?since=-1", "", nil, nil, 400, "bad_request"},
		{"BadLimit", "GET", "/api/v1/events/cn-hu-2021/log?limit=abc", "", nil, nil, 400, "bad_request"},
		{"AnonymousWrite", "POST", "/api/v1/events/cn-hu-2021/announcements", "", okBody, nil, 401, "unauthorized"},
		{"CheckerWrite", "POST", "/api/v1/events/cn-hu-2021/announcements", checker, okBody, nil, 403, "forbidden"},
		{"ForgedToken", "POST", "/api/v1/events/cn-hu-2021/announcements", "hc_forged", okBody, nil, 401, "unauthorized"},
		{"BadAuthScheme", "GET", "/api/v1/events", "", nil, []string{"Authorization", "Basic abc"}, 401, "unauthorized"},
		{"MalformedJSON", "POST", "/api/v1/events/cn-hu-2021/announcements", organizer, `{"text":`, nil, 400, "bad_request"},
		{"WrongJSONType", "POST", "/api/v1/events/cn-hu-2021/announcements", organizer, `{"text":"hi"}`, nil, 400, "bad_request"},
		{"UnknownField", "POST", "/api/v1/events/cn-hu-2021/announcements", organizer, `{"text":{"en":"x"},"evil":1}`, nil, 400, "bad_request"},
		{"TrailingData", "POST", "/api/v1/events/cn-hu-2021/announcements", organizer, `{"text":{"en":"x"}} {}`, nil, 400, "bad_request"},
		{"EmptyBody", "POST", "/api/v1/events/cn-hu-2021/announcements", organizer, "", nil, 400, "bad_request"},
		{"EmptyText", "POST", "/api/v1/events/cn-hu-2021/announcements", organizer, `{"text":{"en":"  "}}`, nil, 422, "invalid"},
		{"TooLarge", "POST", "/api/v1/events/cn-hu-2021/announcements", organizer, `{"text":{"en":"` + strings.Repeat("x", 70<<10) + `"}}`, nil, 413, "too_large"},
		{"UnknownEventWrite", "POST", "/api/v1/events/nope/announcements", organizer, okBody, nil, 404, "not_found"},
		{"TokenByOrganizer", "POST", "/api/v1/tokens", organizer, map[string]string{"role": "admin"}, nil, 403, "forbidden"},
		{"TokenBadRole", "POST", "/api/v1/tokens", adminToken, map[string]string{"role": "king"}, nil, 422, "invalid"},
		{"CheckerTokenNeedsEvent", "POST", "/api/v1/tokens", adminToken, map[string]string{"role": "checker"}, nil, 422, "invalid"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.liveRows()
			r := e.do(tc.method, tc.path, tc.token, tc.body, tc.header...)
			if r.Status != tc.status {
				t.Fatalf("status: got %d, want %d (%s)", r.Status, tc.status, truncate(r.Body))
			}
			if got := r.errorCode(t); got != tc.code {
				t.Fatalf("code: got %q, want %q", got, tc.code)
			}
			if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q", ct)
			}
			if after := e.liveRows(); after != before {
				t.Errorf("live log moved from %d to %d on a refused request", before, after)
			}
		})
	}
	t.Run("NothingWritten", func(t *testing.T) {
		r := e.do("GET", "/api/v1/events/cn-hu-2021/announcements", "", nil)
		var out struct{ Announcements []app.Announcement }
		_ = json.Unmarshal(r.Body, &out)
		for _, a := range out.Announcements {
			if a.Author != "organizers" {
				t.Errorf("unexpected announcement %+v", a)
			}
		}
	})
}

func TestAnnouncementAndLog(t *testing.T) {
	e := newEnv(t)
	organizer := e.token("organizer", "")
	r := e.do("POST", "/api/v1/events/cn-hu-2021/announcements", organizer,
		map[string]any{"text": map[string]string{"zh": "第一个成果即将开始", "en": "The first achievement starts soon", "hu": "Hamarosan kezdődik az első eredmény"}, "pinned": true})
	if r.Status != 201 {
		t.Fatalf("post: %d %s", r.Status, r.Body)
	}
	r = e.do("GET", "/api/v1/events/cn-hu-2021/log?since=0", "", nil)
	var page app.LogPage
	if err := json.Unmarshal(r.Body, &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Envelopes) != 1 || page.Envelopes[0].Seq != 1 || page.Envelopes[0].Type != app.TypeAnnouncement || page.More {
		t.Fatalf("log: %s", r.Body)
	}
	if !bytes.Contains(page.Envelopes[0].Data, []byte("Hamarosan kezdődik")) {
		t.Fatalf("Hungarian text not intact: %s", page.Envelopes[0].Data)
	}
	r = e.do("GET", "/api/v1/events/cn-hu-2021/live", "", nil)
	var snap app.Envelope
	if err := json.Unmarshal(r.Body, &snap); err != nil || snap.Type != app.TypeSnapshot || snap.Seq != 1 {
		t.Fatalf("live: %v %s", err, truncate(r.Body))
	}
}

func TestLoginCookieAndCSRF(t *testing.T) {
	e := newEnv(t)
	if _, err := e.svc.CreateUser(context.Background(), app.Principal{Name: "t", Role: app.RoleAdmin}, app.UserInput{Username: "olga", Password: "correct horse battery", Role: "organizer"}); err != nil {
		t.Fatal(err)
	}
	if r := e.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "olga", "password": "wrong password!"}); r.Status != 401 {
		t.Fatalf("wrong password: %d", r.Status)
	}
	r := e.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "olga", "password": "correct horse battery"})
	if r.Status != 200 {
		t.Fatalf("login: %d %s", r.Status, r.Body)
	}
	var session, csrfTok string
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		switch c.Name {
		case api.SessionCookie:
			session = c.Value
			if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
				t.Errorf("session cookie flags: %+v", c)
			}
		case api.CSRFCookie:
			csrfTok = c.Value
		}
	}
	if session == "" || csrfTok == "" {
		t.Fatalf("cookies missing: %v", r.Header)
	}
	cookie := api.SessionCookie + "=" + session + "; " + api.CSRFCookie + "=" + csrfTok
	body := map[string]any{"text": map[string]string{"en": "cookie post"}}
	if r := e.do("GET", "/api/v1/auth/me", "", nil, "Cookie", cookie); r.Status != 200 {
		t.Fatalf("me: %d %s", r.Status, r.Body)
	}
	if r := e.do("POST", "/api/v1/events/cn-hu-2021/announcements", "", body, "Cookie", cookie); r.Status != 403 {
		t.Fatalf("cookie write without CSRF header: got %d, want 403", r.Status)
	}
	if r := e.do("POST", "/api/v1/events/cn-hu-2021/announcements", "", body, "Cookie", cookie, api.CSRFHeader, "wrong"); r.Status != 403 {
		t.Fatalf("cookie write with wrong CSRF header: got %d, want 403", r.Status)
	}
	if r := e.do("POST", "/api/v1/events/cn-hu-2021/announcements", "", body, "Cookie", cookie, api.CSRFHeader, csrfTok); r.Status != 201 {
		t.Fatalf("cookie write with CSRF header: got %d %s", r.Status, r.Body)
	}
	if r := e.do("POST", "/api/v1/auth/logout", "", nil, "Cookie", cookie, api.CSRFHeader, csrfTok); r.Status != 204 {
		t.Fatalf("logout: %d %s", r.Status, r.Body)
	}
	if r := e.do("GET", "/api/v1/auth/me", "", nil, "Cookie", cookie); r.Status != 401 {
		t.Fatalf("me after logout: %d", r.Status)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func truncate(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// TestBodyOverServerLimit sends a body over the server-wide limit through
// a real listener: fasthttp refuses it before any handler runs, and the
// answer must still be the JSON error shape.
func TestBodyOverServerLimit(t *testing.T) {
	e := newEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = e.srv.App().Listener(ln) }()
	t.Cleanup(func() { _ = e.srv.App().Shutdown() })
	organizer := e.token("organizer", "")
	before := e.liveRows()
	// Send only the headers: fasthttp answers from Content-Length alone,
	// and a client still writing the body would see a reset instead.
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/events/cn-hu-2021/announcements HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n", organizer, api.DefaultBodyLimit+10)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	r := response{Status: resp.StatusCode, Body: body, Header: resp.Header}
	if r.Status != 413 || r.errorCode(t) != "too_large" {
		t.Fatalf("got %d %s", r.Status, body)
	}
	if e.liveRows() != before {
		t.Fatal("an oversized request changed the live log")
	}
}
