package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/app/api"
	"github.com/hybridcon/hybridcon/app/demo"
	"github.com/hybridcon/hybridcon/realtime"
	"github.com/hybridcon/hybridcon/storage"
	"github.com/hybridcon/hybridcon/storage/storagetest"
)

// rig is the real API over a real database (SQLite, or PostgreSQL with
// HYBRIDCON_TEST_DATABASE_URL) holding the demo conference and a second
// event, with a token per role, for the authorization matrix, the limit
// tests and the fuzz targets. Unlike env it takes a testing.TB, so a fuzz
// target builds it once, and it reads the database directly to tell
// whether a request wrote anything (fingerprint).
type rig struct {
	st  *storage.Store
	svc *app.Service
	hub *realtime.Hub
	srv *api.Server
	raw *sql.DB // a second connection, for fingerprints

	admin, organizer, checker, otherChecker string
	other                                   string // the second event's slug
	doc                                     *apiDoc
	userOnce                                sync.Once

	owner testing.TB // the test or fuzz target that built the rig
	addr  string     // host:port once listen was called
	seq   atomic.Int64
}

// asAdmin is the principal the rig uses to set up objects through app.
var asAdmin = app.Principal{Name: "rig", Role: app.RoleAdmin}

// newRig builds a rig; cfg's ReadyChecks are filled in, and its zero
// Limits are replaced by api.NoLimits (tests of limits set their own).
func newRig(tb testing.TB, cfg api.Config) *rig {
	tb.Helper()
	ctx := context.Background()
	opts := storagetest.NewOptions(tb)
	octx, cancel := context.WithTimeout(ctx, 30*time.Second)
	st, err := storage.Open(octx, opts)
	cancel()
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	r := &rig{st: st, owner: tb}
	r.raw = openRaw(tb, opts)

	r.svc = app.NewService(st, nil, nil)
	tb.Cleanup(r.svc.StopAttendance)
	conf := app.ConferenceSeed(demo.Build(time.Now()))
	conf.Attendees = conf.Attendees[:30] // enough to page and search; seeding all 200 costs a second under -race
	if err := r.svc.Seed(ctx, conf); err != nil {
		tb.Fatalf("seed: %v", err)
	}
	if _, err := r.svc.Bootstrap(ctx, adminToken); err != nil {
		tb.Fatalf("bootstrap: %v", err)
	}
	r.other = "other-2022"
	other := &app.Event{Slug: r.other, Title: app.Text{EN: "Other"}, VenueTZ: "Europe/Budapest", ViewerTZs: []string{"Europe/Budapest"},
		Languages: []string{"en"}, StartsAt: time.Now(), EndsAt: time.Now().Add(time.Hour)}
	if err := st.CreateEvent(ctx, other); err != nil {
		tb.Fatal(err)
	}
	r.hub = realtime.NewHub(realtime.HubConfig{Region: "cn", NodeID: "rig", KnownRegions: []string{"cn", "hu"}}, realtime.NewMemoryBroker(), r.svc, nil)
	r.svc.SetPublisher(r.hub)
	hctx, stop := context.WithCancel(ctx)
	go r.hub.Run(hctx)
	tb.Cleanup(func() {
		sctx, c := context.WithTimeout(context.Background(), 2*time.Second)
		defer c()
		r.hub.Shutdown(sctx)
		stop()
	})
	cfg.ReadyChecks = []api.Check{{Name: "database", Func: st.Ping}}
	if cfg.Limits == (api.Limits{}) {
		cfg.Limits = api.NoLimits
	}
	r.srv = api.New(cfg, r.svc, r.hub)

	r.admin = adminToken
	r.organizer = r.issue(tb, app.RoleOrganizer, "")
	r.checker = r.issue(tb, app.RoleChecker, demo.Slug)
	r.otherChecker = r.issue(tb, app.RoleChecker, r.other)
	r.doc = loadDoc(tb, r)
	return r
}

// login returns the name and password of a user who logs in (an
// organizer), creating it on first use: hashing the password costs
// a noticeable fraction of a second.
func (r *rig) login(tb testing.TB) (user, password string) {
	tb.Helper()
	user, password = "rig-organizer", "rig password 0123"
	r.userOnce.Do(func() {
		if _, err := r.svc.CreateUser(context.Background(), asAdmin, user, password, app.RoleOrganizer, ""); err != nil {
			tb.Fatal(err)
		}
	})
	return user, password
}

func (r *rig) issue(tb testing.TB, role, event string) string {
	tb.Helper()
	t, err := r.svc.IssueToken(context.Background(), asAdmin, role+" "+event, role, event)
	if err != nil {
		tb.Fatal(err)
	}
	return t.Secret
}

// openRaw opens a second connection to the rig's database.
func openRaw(tb testing.TB, o storage.Options) *sql.DB {
	tb.Helper()
	driver, dsn := "pgx", o.DatabaseURL
	if dsn == "" {
		driver, dsn = "sqlite", o.SQLitePath+"?_pragma=busy_timeout(5000)"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

// uniq returns a string unique within the rig.
func (r *rig) uniq(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano()%1e6, r.seq.Add(1))
}

// request is one HTTP request to the rig.
type request struct {
	method, path, token string
	body                []byte
	contentType         string // default application/json when body is set
	header              map[string]string
}

// do sends req through the Fiber app (no listener).
func (r *rig) do(tb testing.TB, req request) response {
	tb.Helper()
	hr := httptest.NewRequest(req.method, req.path, bytes.NewReader(req.body))
	if req.body != nil {
		ct := req.contentType
		if ct == "" {
			ct = "application/json"
		}
		hr.Header.Set("Content-Type", ct)
	}
	if req.token != "" {
		hr.Header.Set("Authorization", "Bearer "+req.token)
	}
	for k, v := range req.header {
		hr.Header.Set(k, v)
	}
	resp, err := r.srv.App().Test(hr, 20000)
	if err != nil {
		tb.Fatalf("%s %s: %v", req.method, req.path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Body: b, Header: resp.Header}
}

// listen serves the rig on a loopback port (websockets and streams need
// one) until the rig's owner ends, and returns host:port.
func (r *rig) listen(tb testing.TB) string {
	tb.Helper()
	if r.addr != "" {
		return r.addr
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	go func() { _ = r.srv.App().Listener(ln) }()
	r.owner.Cleanup(func() { _ = r.srv.App().ShutdownWithTimeout(2 * time.Second) })
	r.addr = ln.Addr().String()
	return r.addr
}

// streamStatus opens a GET over the listener and returns the status and
// headers without reading the body (for the never-ending SSE stream).
func (r *rig) streamStatus(tb testing.TB, path, token string) response {
	tb.Helper()
	req, err := http.NewRequest("GET", "http://"+r.listen(tb)+path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		tb.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	var b []byte
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		b, _ = io.ReadAll(resp.Body)
	}
	return response{Status: resp.StatusCode, Body: b, Header: resp.Header}
}

// Tables of the schema and how fingerprint reads them: mutable tables by
// content, append-only ones (and tokens, whose last_used_at moves on
// every authentication) by row count and highest id.
var (
	contentTables = []string{"events", "sessions", "showcase_slots", "achievements", "attendees", "announcements", "users"}
	countTables   = []string{"tokens", "audit_entries", "live_entries", "check_ins"}
	ignoredTables = []string{"schema_migrations"}
)

// fingerprint summarizes everything the database holds; two equal
// fingerprints mean nothing was written in between. It fails on a table
// it does not know, so a new table cannot escape the "refused requests
// write nothing" checks.
func (r *rig) fingerprint(tb testing.TB) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	q := "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
	if r.st.Dialect() == storage.DialectPostgres {
		q = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
	}
	var tables []string
	if err := queryStrings(ctx, r.raw, q, &tables); err != nil {
		tb.Fatalf("list tables: %v", err)
	}
	h := sha256.New()
	slices.Sort(tables)
	for _, t := range tables {
		switch {
		case slices.Contains(contentTables, t):
			if err := hashRows(ctx, r.raw, h, "SELECT * FROM "+t+" ORDER BY 1"); err != nil {
				tb.Fatalf("read %s: %v", t, err)
			}
		case slices.Contains(countTables, t):
			if err := hashRows(ctx, r.raw, h, "SELECT count(*), coalesce(max(id), 0) FROM "+t); err != nil {
				tb.Fatalf("count %s: %v", t, err)
			}
		case slices.Contains(ignoredTables, t):
		default:
			tb.Fatalf("fingerprint: table %s is new; add it to contentTables or countTables", t)
		}
		fmt.Fprintf(h, "|%s|", t)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func queryStrings(ctx context.Context, db *sql.DB, q string, out *[]string) error {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		*out = append(*out, s)
	}
	return rows.Err()
}

func hashRows(ctx context.Context, db *sql.DB, w io.Writer, q string) error {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for _, v := range vals {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			fmt.Fprintf(w, "%v\x1f", v)
		}
		fmt.Fprint(w, "\x1e")
	}
	return rows.Err()
}

// ensureUnchanged fails tb when the database changed since before.
func (r *rig) ensureUnchanged(tb testing.TB, before string, what string) {
	tb.Helper()
	if after := r.fingerprint(tb); after != before {
		tb.Errorf("%s changed the database", what)
	}
}

// mustJSON encodes v.
func mustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
