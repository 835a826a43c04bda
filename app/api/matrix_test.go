package api_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/app/api"
	"github.com/hybridcon/hybridcon/app/demo"
	"github.com/prometheus/client_golang/prometheus"
)

// The authorization matrix: every route registered on the Fiber app ×
// every kind of caller, each with a request that is valid for that route,
// so the status says only whether the caller may. A refused request must
// write nothing; an accepted one must answer what the document says.

// sample is a valid request for one route, built right before it is
// sent (after any objects it needs were set up).
type sample struct {
	path        string
	body        []byte
	contentType string
}

// sampler builds a sample; it may create objects through app first.
type sampler func(r *rig, tb testing.TB) sample

func at(path string) sampler { return func(*rig, testing.TB) sample { return sample{path: path} } }

func withJSON(path string, body any) sampler {
	return func(r *rig, tb testing.TB) sample { return sample{path: path, body: mustJSON(tb, body)} }
}

const ev = "/api/v1/events/" + demo.Slug

// samples holds a valid request for every route, by "METHOD pattern". A
// route without one fails TestAuthorizationMatrix.
var samples = map[string]sampler{
	"GET /healthz":           at("/healthz"),
	"GET /readyz":            at("/readyz"),
	"GET " + api.OpenAPIPath: at(api.OpenAPIPath),
	"GET " + api.MetricsPath: at(api.MetricsPath),
	"POST /api/v1/auth/login": func(r *rig, tb testing.TB) sample {
		user, password := r.login(tb)
		return sample{path: "/api/v1/auth/login", body: mustJSON(tb, map[string]string{"username": user, "password": password})}
	},
	"POST /api/v1/auth/token": func(r *rig, tb testing.TB) sample {
		return sample{path: "/api/v1/auth/token", body: mustJSON(tb, map[string]string{"token": r.issue(tb, app.RoleChecker, demo.Slug)})}
	},
	"POST /api/v1/qr":          withJSON("/api/v1/qr", map[string]string{"text": "https://example.org/login#token=hc_matrix"}),
	"POST /api/v1/auth/logout": at("/api/v1/auth/logout"),
	"GET /api/v1/auth/me":      at("/api/v1/auth/me"),
	"POST /api/v1/tokens":      withJSON("/api/v1/tokens", map[string]string{"name": "matrix", "role": "organizer"}),
	"POST /api/v1/users": func(r *rig, tb testing.TB) sample {
		return sample{path: "/api/v1/users", body: mustJSON(tb, map[string]string{"username": r.uniq("u"), "password": "matrix password 1", "role": "checker", "event": demo.Slug})}
	},
	"GET /api/v1/users": at("/api/v1/users"),
	"PATCH /api/v1/users/:id": func(r *rig, tb testing.TB) sample {
		return sample{path: fmt.Sprintf("/api/v1/users/%d", r.freshUser(tb).ID), body: mustJSON(tb, map[string]string{"display_name": "Matrix Person"})}
	},
	"DELETE /api/v1/users/:id": func(r *rig, tb testing.TB) sample {
		return sample{path: fmt.Sprintf("/api/v1/users/%d", r.freshUser(tb).ID)}
	},
	"GET /api/v1/tokens": at("/api/v1/tokens"),
	"DELETE /api/v1/tokens/:id": func(r *rig, tb testing.TB) sample {
		t, err := r.svc.IssueToken(context.Background(), asAdmin, app.TokenInput{Name: r.uniq("kiosk"), Role: app.RoleChecker, Event: demo.Slug})
		if err != nil {
			tb.Fatal(err)
		}
		r.known = ""
		return sample{path: fmt.Sprintf("/api/v1/tokens/%d", t.ID)}
	},
	"GET /api/v1/audit": at("/api/v1/audit?limit=5"),

	"GET /api/v1/events":                     at("/api/v1/events"),
	"GET /api/v1/events/:slug":               at(ev),
	"GET /api/v1/events/:slug/sessions":      at(ev + "/sessions"),
	"GET /api/v1/events/:slug/achievements":  at(ev + "/achievements"),
	"GET /api/v1/events/:slug/catalogue":     at(ev + "/catalogue"),
	"GET /api/v1/events/:slug/programme":     at(ev + "/programme"),
	"GET /api/v1/events/:slug/announcements": at(ev + "/announcements?limit=5"),
	"GET /api/v1/events/:slug/audit":         at(ev + "/audit?limit=5"),
	"GET /api/v1/events/:slug/live":          at(ev + "/live"),
	"GET /api/v1/events/:slug/log":           at(ev + "/log?since=0&limit=10"),
	"GET /api/v1/sessions/:id/showcase": func(r *rig, tb testing.TB) sample {
		return sample{path: fmt.Sprintf("/api/v1/sessions/%d/showcase", r.freshSession(tb, 2, "").ID)}
	},
	"POST /api/v1/events/:slug/announcements": withJSON(ev+"/announcements", map[string]any{"text": map[string]string{"en": "Matrix"}}),
	"PATCH /api/v1/events/:slug/announcements/:id": func(r *rig, tb testing.TB) sample {
		return sample{path: fmt.Sprintf("%s/announcements/%d", ev, r.freshAnnouncement(tb).ID), body: []byte(`{"pinned":true}`)}
	},
	"DELETE /api/v1/events/:slug/announcements/:id": func(r *rig, tb testing.TB) sample {
		return sample{path: fmt.Sprintf("%s/announcements/%d", ev, r.freshAnnouncement(tb).ID)}
	},
	"POST /api/v1/events": func(r *rig, tb testing.TB) sample {
		return sample{path: "/api/v1/events", body: mustJSON(tb, map[string]any{"slug": r.uniq("m"), "title": map[string]string{"en": "Matrix"},
			"venue_tz": "Asia/Shanghai", "viewer_tzs": []string{"Asia/Shanghai"}, "starts_at": time.Now(), "ends_at": time.Now().Add(time.Hour)})}
	},
	"PATCH /api/v1/events/:slug": withJSON("/api/v1/events/other-2022", map[string]any{"venue": map[string]string{"en": "Matrix hall"}}),
	"POST /api/v1/events/:slug/sessions": func(r *rig, tb testing.TB) sample {
		return sample{path: ev + "/sessions", body: mustJSON(tb, map[string]any{"title": map[string]string{"en": "Matrix"}, "kind": "panel",
			"stage": r.freshStage(tb), "planned_start": time.Now().Add(time.Hour), "planned_end": time.Now().Add(2 * time.Hour)})}
	},
	"PATCH /api/v1/sessions/:id": func(r *rig, tb testing.TB) sample {
		return sample{path: fmt.Sprintf("/api/v1/sessions/%d", r.freshSession(tb, 0, "").ID), body: []byte(`{"mode":"online"}`)}
	},
	"POST /api/v1/sessions/:id/start":  sessionAction("start"),
	"POST /api/v1/sessions/:id/pause":  sessionAction("pause", app.ActionStart),
	"POST /api/v1/sessions/:id/resume": sessionAction("resume", app.ActionStart, app.ActionPause),
	"POST /api/v1/sessions/:id/end":    sessionAction("end", app.ActionStart),
	"POST /api/v1/sessions/:id/cancel": sessionAction("cancel"),
	"POST /api/v1/sessions/:id/delay": func(r *rig, tb testing.TB) sample {
		return sample{path: fmt.Sprintf("/api/v1/sessions/%d/delay", r.freshSession(tb, 0, "").ID), body: []byte(`{"minutes":5}`)}
	},
	"PUT /api/v1/sessions/:id/showcase": func(r *rig, tb testing.TB) sample {
		a := r.freshAchievement(tb)
		return sample{path: fmt.Sprintf("/api/v1/sessions/%d/showcase", r.freshSession(tb, 0, "").ID),
			body: mustJSON(tb, map[string]any{"slots": []map[string]int64{{"achievement_id": a.ID, "planned_seconds": 300}}})}
	},
	"POST /api/v1/sessions/:id/showcase/advance": func(r *rig, tb testing.TB) sample {
		sc := r.showcaseOf(tb, r.freshSession(tb, 2, app.ActionStart).ID)
		return sample{path: fmt.Sprintf("/api/v1/sessions/%d/showcase/advance", sc.Session.ID), body: mustJSON(tb, map[string]int64{"expected_slot_id": sc.Current.ID})}
	},
	"POST /api/v1/sessions/:id/showcase/skip": func(r *rig, tb testing.TB) sample {
		sc := r.showcaseOf(tb, r.freshSession(tb, 2, "").ID)
		return sample{path: fmt.Sprintf("/api/v1/sessions/%d/showcase/skip", sc.Session.ID), body: mustJSON(tb, map[string]int64{"slot_id": sc.Slots[1].ID})}
	},
	"POST /api/v1/events/:slug/achievements": func(r *rig, tb testing.TB) sample {
		return sample{path: ev + "/achievements", body: mustJSON(tb, map[string]any{"ref": r.uniq("M"), "title": map[string]string{"en": "Matrix"}})}
	},
	"POST /api/v1/events/:slug/achievements/import": func(r *rig, tb testing.TB) sample {
		return sample{path: ev + "/achievements/import", body: []byte("ref,title_en\n" + r.uniq("M") + ",Matrix\n"), contentType: "text/csv"}
	},
	"PATCH /api/v1/achievements/:id": func(r *rig, tb testing.TB) sample {
		return sample{path: fmt.Sprintf("/api/v1/achievements/%d", r.freshAchievement(tb).ID), body: []byte(`{"field":"physics"}`)}
	},
	"DELETE /api/v1/achievements/:id": func(r *rig, tb testing.TB) sample {
		return sample{path: fmt.Sprintf("/api/v1/achievements/%d", r.freshAchievement(tb).ID)}
	},

	"GET /api/v1/events/:slug/stages": at(ev + "/stages"),
	"GET /api/v1/time":                at("/api/v1/time"),
	"POST /api/v1/events/:slug/stages": func(r *rig, tb testing.TB) sample {
		return sample{path: ev + "/stages", body: mustJSON(tb, map[string]any{"slug": r.uniq("st"), "name": map[string]string{"en": "Matrix room"}})}
	},
	"PATCH /api/v1/events/:slug/stages/:stage": func(r *rig, tb testing.TB) sample {
		return sample{path: ev + "/stages/" + r.freshStage(tb), body: []byte(`{"name":{"en":"Renamed"},"position":7}`)}
	},
	"DELETE /api/v1/events/:slug/stages/:stage": func(r *rig, tb testing.TB) sample {
		return sample{path: ev + "/stages/" + r.freshStage(tb)}
	},

	"GET /api/v1/events/:slug/stream": at(ev + "/stream?region=hu&lang=hu"),
	"GET /ws/events/:slug":            at("/ws/events/" + demo.Slug + "?region=hu"),

	"GET /api/v1/events/:slug/attendees":  at(ev + "/attendees?q=a&checked_in=false&limit=5&offset=1"),
	"POST /api/v1/events/:slug/attendees": withJSON(ev+"/attendees", map[string]string{"name": "Matrix Guest", "category": "guest"}),
	"POST /api/v1/events/:slug/attendees/import": func(r *rig, tb testing.TB) sample {
		return sample{path: ev + "/attendees/import", body: []byte("name,email\nMatrix Guest," + r.uniq("g") + "@example.org\n"), contentType: "text/csv"}
	},
	"PATCH /api/v1/attendees/:id": func(r *rig, tb testing.TB) sample {
		return sample{path: "/api/v1/attendees/" + r.freshAttendee(tb).ID, body: []byte(`{"organization":"Matrix Kft."}`)}
	},
	"GET /api/v1/attendees/:id/ticket.png": func(r *rig, tb testing.TB) sample {
		return sample{path: "/api/v1/attendees/" + r.freshAttendee(tb).ID + "/ticket.png"}
	},
	"POST /api/v1/events/:slug/checkins": func(r *rig, tb testing.TB) sample {
		return sample{path: ev + "/checkins", body: mustJSON(tb, map[string]string{"ticket": r.freshAttendee(tb).Ticket, "gate": "M", "scan_id": r.uniq("scan")})}
	},
	"POST /api/v1/events/:slug/checkins/batch": func(r *rig, tb testing.TB) sample {
		scan := map[string]string{"ticket": r.freshAttendee(tb).Ticket, "gate": "K", "scan_id": r.uniq("scan"), "scanned_at": time.Now().Add(-time.Minute).Format(time.RFC3339)}
		return sample{path: ev + "/checkins/batch", body: mustJSON(tb, map[string]any{"scans": []any{scan}})}
	},
	"GET /api/v1/events/:slug/checkin-kit":         at(ev + "/checkin-kit"),
	"GET /api/v1/events/:slug/checkins/export.csv": at(ev + "/checkins/export.csv"),
	"GET /api/v1/events/:slug/checkins/summary":    at(ev + "/checkins/summary"),
}

// sessionAction samples POST /sessions/:id/<action> on a fresh session
// moved through before first.
func sessionAction(action string, before ...string) sampler {
	return func(r *rig, tb testing.TB) sample {
		s := r.freshSession(tb, 0, before...)
		return sample{path: fmt.Sprintf("/api/v1/sessions/%d/%s", s.ID, action)}
	}
}

// freshStage creates a stage in the demo event and returns its slug.
func (r *rig) freshStage(tb testing.TB) string {
	tb.Helper()
	r.known = ""
	slug, name := r.uniq("stage"), app.Text{EN: "Fresh stage"}
	if _, err := r.svc.CreateStage(context.Background(), asAdmin, demo.Slug, app.StageInput{Slug: &slug, Name: &name}); err != nil {
		tb.Fatal(err)
	}
	return slug
}

// freshSession creates a session of the demo on a stage of its own, with
// a run-of-show of slots fresh achievements, and applies actions to it.
func (r *rig) freshSession(tb testing.TB, slots int, actions ...string) *app.Session {
	tb.Helper()
	r.known = ""
	ctx := context.Background()
	start := time.Now().Add(time.Hour)
	end := start.Add(time.Hour)
	title, kind, stage := app.Text{EN: "Fresh"}, app.KindShowcase, r.freshStage(tb)
	s, err := r.svc.CreateSession(ctx, asAdmin, demo.Slug, app.SessionInput{Title: &title, Kind: &kind, Stage: &stage, PlannedStart: &start, PlannedEnd: &end})
	if err != nil {
		tb.Fatal(err)
	}
	if slots > 0 {
		var in []app.SlotInput
		for range slots {
			in = append(in, app.SlotInput{AchievementID: r.freshAchievement(tb).ID, PlannedSeconds: 300})
		}
		if _, err := r.svc.SetShowcase(ctx, asAdmin, s.ID, in); err != nil {
			tb.Fatal(err)
		}
	}
	for _, a := range actions {
		if a == "" {
			continue
		}
		if s, err = r.svc.MoveSession(ctx, asAdmin, s.ID, a); err != nil {
			tb.Fatalf("%s: %v", a, err)
		}
	}
	return s
}

func (r *rig) showcaseOf(tb testing.TB, id int64) *app.Showcase {
	tb.Helper()
	sc, err := r.svc.Showcase(context.Background(), id)
	if err != nil {
		tb.Fatal(err)
	}
	return sc
}

func (r *rig) freshAchievement(tb testing.TB) *app.Achievement {
	tb.Helper()
	r.known = ""
	ref, title := r.uniq("A"), app.Text{EN: "Fresh achievement"}
	a, err := r.svc.CreateAchievement(context.Background(), asAdmin, demo.Slug, app.AchievementInput{Ref: &ref, Title: &title})
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

// freshAnnouncement posts an announcement for the announcement routes.
func (r *rig) freshAnnouncement(tb testing.TB) *app.Announcement {
	tb.Helper()
	a, err := r.svc.PostAnnouncement(context.Background(), asAdmin, demo.Slug, app.AnnouncementInput{Text: app.Text{EN: "Fresh announcement"}})
	if err != nil {
		tb.Fatal(err)
	}
	r.known = "" // the database changed before the request
	return a
}

// freshUser creates a checker who logs in, for the user routes.
func (r *rig) freshUser(tb testing.TB) *app.User {
	tb.Helper()
	u, err := r.svc.CreateUser(context.Background(), asAdmin, app.UserInput{Username: r.uniq("u"), Password: "matrix password 1", Role: app.RoleChecker, Event: demo.Slug})
	if err != nil {
		tb.Fatal(err)
	}
	r.known = ""
	return u
}

func (r *rig) freshAttendee(tb testing.TB) *app.AttendeeView {
	tb.Helper()
	r.known = ""
	name := "Fresh Guest " + r.uniq("g")
	a, err := r.svc.CreateAttendee(context.Background(), asAdmin, demo.Slug, app.AttendeeInput{Name: &name})
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

// caller is one kind of client of the matrix.
type caller struct {
	name  string
	token func(r *rig) string
	// cookie sends the token as the login cookie without the CSRF header
	// (only for writes: every write must then be refused with 403).
	cookie bool
	// ticket sends the token as "Authorization: Ticket …": a participant's
	// ticket or a team's link token (transfer_matrix_test.go).
	ticket bool
}

var callers = []caller{
	{name: "anonymous", token: func(*rig) string { return "" }},
	{name: "checker", token: func(r *rig) string { return r.checker }},
	{name: "otherChecker", token: func(r *rig) string { return r.otherChecker }},
	{name: "organizer", token: func(r *rig) string { return r.organizer }},
	{name: "admin", token: func(r *rig) string { return r.admin }},
	{name: "forged", token: func(*rig) string { return "hc_forged0000000000000000000000000000000000" }},
	{name: "cookieWithoutCSRF", token: func(r *rig) string { return r.organizer }, cookie: true},
	{name: "participant", token: func(r *rig) string { return r.transfer().participant }, ticket: true},
	{name: "otherParticipant", token: func(r *rig) string { return r.transfer().otherParticipant }, ticket: true},
	{name: "team", token: func(r *rig) string { return r.transfer().team }, ticket: true},
	{name: "revokedTicket", token: func(r *rig) string { return r.transfer().revoked }, ticket: true},
	{name: "forgedTicket", token: func(r *rig) string { return r.transfer().forged }, ticket: true},
}

// expect is the status a caller gets on a route of who: 200 meaning the
// route's success status.
func expect(route, who string, c caller) int {
	switch {
	case route == "GET "+api.MetricsPath:
		return 200 // served before authentication: it takes no credentials at all
	case c.name == "forged", c.name == "forgedTicket":
		return 401 // a bad token is refused everywhere, public routes included
	case c.name == "revokedTicket":
		return 403 // so is a revoked ticket
	case c.cookie:
		return 403 // a cookie-authenticated write without the CSRF header
	case route == "GET /api/v1/auth/me" && c.name == "anonymous":
		return 401
	}
	var allowed []string
	for _, w := range strings.Split(who, ",") {
		allowed = append(allowed, map[string][]string{
			"public":      {"anonymous", "checker", "otherChecker", "organizer", "admin", "participant", "otherParticipant", "team"},
			"checker":     {"checker", "organizer", "admin"},
			"organizer":   {"organizer", "admin"},
			"admin":       {"admin"},
			"participant": {"participant"},
			"team":        {"team"},
		}[w]...)
	}
	switch {
	case slices.Contains(allowed, c.name):
		return 200
	case c.name == "anonymous":
		return 401
	}
	return 403
}

func TestAuthorizationMatrix(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := api.NewMetrics(reg, reg)
	if err != nil {
		t.Fatal(err)
	}
	r := newRig(t, api.Config{Metrics: m})
	r.transfer() // the ticket holders exist before any request is checked for writes
	routes := registered(r.srv.App())
	for _, route := range routes {
		t.Run(strings.ReplaceAll(route, "/", "_"), func(t *testing.T) {
			method, pattern, _ := strings.Cut(route, " ")
			key := method + " " + strings.ReplaceAll(strings.ReplaceAll(pattern, "{", ":"), "}", "")
			build, ok := samples[key]
			if !ok {
				t.Fatalf("no sample request for %s: add one to samples in matrix_test.go", key)
			}
			o := r.doc.ops[route]
			if o == nil {
				t.Fatalf("%s is not in the document", route)
			}
			// Refused requests change nothing, so they share one sample;
			// each accepted one gets its own (it may use its objects up).
			var refused *sample
			for _, c := range callers {
				if c.cookie && method == "GET" {
					continue
				}
				t.Run(c.name, func(t *testing.T) {
					want := expect(key, o.who, c)
					if want == 200 {
						r.known = ""
						resp := r.call(t, method, build(r, t), c)
						if resp.Status/100 != 2 && resp.Status != 101 {
							t.Fatalf("%s as %s: got %d, want success: %s", route, c.name, resp.Status, truncate(resp.Body))
						}
						if resp.Status != 101 {
							r.doc.checkSuccess(t, o, resp)
						}
						return
					}
					if refused == nil {
						s := build(r, t)
						refused = &s
					}
					s := *refused
					resp := r.refused(t, func() response { return r.call(t, method, s, c) })
					if resp.Status != want {
						t.Fatalf("%s %s as %s: got %d, want %d: %s", method, s.path, c.name, resp.Status, want, truncate(resp.Body))
					}
					o.checkError(t, resp)
				})
			}
		})
	}
	if len(routes) < 75 {
		t.Fatalf("only %d routes", len(routes))
	}
}

// call sends a sample as caller c: over a real connection for the
// websocket and the stream, through the app otherwise.
func (r *rig) call(tb testing.TB, method string, s sample, c caller) response {
	tb.Helper()
	token := c.token(r)
	switch {
	case strings.HasPrefix(s.path, "/ws/"):
		h := http.Header{}
		if token != "" {
			h.Set("Authorization", scheme(c)+token)
		}
		conn, resp, err := websocket.DefaultDialer.Dial("ws://"+r.listen(tb)+s.path, h)
		if err == nil {
			conn.Close()
			return response{Status: resp.StatusCode, Header: resp.Header}
		}
		if resp == nil {
			tb.Fatalf("dial %s: %v", s.path, err)
		}
		body := make([]byte, 4096)
		n, _ := resp.Body.Read(body)
		return response{Status: resp.StatusCode, Header: resp.Header, Body: body[:n]}
	case strings.HasSuffix(strings.SplitN(s.path, "?", 2)[0], "/stream"):
		auth := ""
		if token != "" {
			auth = scheme(c) + token
		}
		return r.streamStatus(tb, s.path, auth)
	}
	req := request{method: method, path: s.path, body: s.body, contentType: s.contentType, token: token}
	if c.ticket {
		req.token, req.header = "", map[string]string{"Authorization": "Ticket " + token}
	}
	if c.cookie {
		req.token = ""
		req.header = map[string]string{"Cookie": api.SessionCookie + "=" + token + "; " + api.CSRFCookie + "=csrf-value"}
	}
	return r.do(tb, req)
}

// scheme is the Authorization scheme and space c sends its token with.
func scheme(c caller) string {
	if c.ticket {
		return "Ticket "
	}
	return "Bearer "
}
