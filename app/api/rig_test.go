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
	"strconv"
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
	st   *storage.Store
	svc  *app.Service
	hub  *realtime.Hub
	srv  *api.Server
	raw  *sql.DB // a second connection, for fingerprints
	opts storage.Options

	admin, organizer, checker, otherChecker string
	other                                   string // the second event's slug
	doc                                     *apiDoc
	userOnce                                sync.Once

	owner testing.TB // the test or fuzz target that built the rig
	addr  string     // host:port once listen was called
	seq   atomic.Int64

	tables []string // the schema's tables, read once
	// On SQLite, the last fingerprint and the data_version it was taken
	// at: while data_version stays, no connection committed anything.
	lastFP      string
	lastVersion int64
	// known is the database's fingerprint when nothing can have been
	// written since it was taken, else "". Writes through do and the
	// fresh… helpers clear it.
	known string

	xfer     *transferRig // participants and teams (transfer_matrix_test.go)
	xferOnce sync.Once
	// clock is the service's time in Unix nanoseconds, 0 for real time
	// (setNow): the service's background work reads it concurrently.
	clock atomic.Int64
}

// setNow sets the service's clock; the zero time restores real time.
func (r *rig) setNow(at time.Time) {
	if at.IsZero() {
		r.clock.Store(0)
		return
	}
	r.clock.Store(at.UnixNano())
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
	r := &rig{st: st, owner: tb, opts: opts}
	r.raw = openRaw(tb, opts)

	r.svc = app.NewService(st, nil, nil)
	r.svc.Now = func() time.Time {
		if ns := r.clock.Load(); ns != 0 {
			return time.Unix(0, ns).UTC()
		}
		return time.Now().UTC().Truncate(time.Millisecond)
	}
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
		r.known = ""
		if _, err := r.svc.CreateUser(context.Background(), asAdmin, app.UserInput{Username: user, Password: password, Role: app.RoleOrganizer}); err != nil {
			tb.Fatal(err)
		}
	})
	return user, password
}

func (r *rig) issue(tb testing.TB, role, event string) string {
	tb.Helper()
	r.known = ""
	t, err := r.svc.IssueToken(context.Background(), asAdmin, app.TokenInput{Name: role + " " + event, Role: role, Event: event})
	if err != nil {
		tb.Fatal(err)
	}
	return t.Secret
}

// node is a second node on the rig's database: its own store (pool),
// service (with its own authentication cache), hub and API.
type node struct {
	svc *app.Service
	srv *api.Server
}

// secondNode starts another node on the rig's database.
func (r *rig) secondNode(tb testing.TB) *node {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	st, err := storage.Open(ctx, r.opts)
	cancel()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	n := &node{svc: app.NewService(st, nil, nil)}
	tb.Cleanup(n.svc.StopAttendance)
	hub := realtime.NewHub(realtime.HubConfig{Region: "hu", NodeID: "rig-2", KnownRegions: []string{"cn", "hu"}}, realtime.NewMemoryBroker(), n.svc, nil)
	n.svc.SetPublisher(hub)
	hctx, stop := context.WithCancel(context.Background())
	go hub.Run(hctx)
	tb.Cleanup(func() {
		sctx, c := context.WithTimeout(context.Background(), 2*time.Second)
		defer c()
		hub.Shutdown(sctx)
		stop()
	})
	n.srv = api.New(api.Config{Limits: api.NoLimits}, n.svc, hub)
	return n
}

// do sends req to the second node; writes clear r.known as rig.do does.
func (n *node) do(tb testing.TB, r *rig, req request) response {
	tb.Helper()
	hr := httptest.NewRequest(req.method, req.path, bytes.NewReader(req.body))
	hr.Header.Set("Content-Type", "application/json")
	if req.token != "" {
		hr.Header.Set("Authorization", "Bearer "+req.token)
	}
	for k, v := range req.header {
		hr.Header.Set(k, v)
	}
	resp, err := n.srv.App().Test(hr, 20000)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r.known = ""
	return response{Status: resp.StatusCode, Body: b, Header: resp.Header}
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
	// One connection for good: SQLite's data_version is per connection.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
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
	if req.method != "GET" {
		r.known = ""
	}
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

// streamStatus opens a GET over the listener (with the Authorization
// header when one is given) and returns the status and headers without
// reading the body (for the never-ending SSE stream).
func (r *rig) streamStatus(tb testing.TB, path, authorization string) response {
	tb.Helper()
	req, err := http.NewRequest("GET", "http://"+r.listen(tb)+path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
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
	contentTables = []string{"events", "stages", "sessions", "showcase_slots", "achievements", "attendees", "announcements", "users",
		"transfer_teams", "transfer_interests", "transfer_meeting_requests", "transfer_meeting_sessions", "transfer_meetings",
		"transfer_questions", "transfer_votes", "transfer_settings"}
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
	if r.tables == nil {
		q := "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
		if r.st.Dialect() == storage.DialectPostgres {
			q = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
		}
		if err := queryStrings(ctx, r.raw, q, &r.tables); err != nil {
			tb.Fatalf("list tables: %v", err)
		}
		slices.Sort(r.tables)
		for _, t := range r.tables {
			if !slices.Contains(contentTables, t) && !slices.Contains(countTables, t) && !slices.Contains(ignoredTables, t) {
				tb.Fatalf("fingerprint: table %s is new; add it to contentTables or countTables", t)
			}
		}
	}
	sqlite := r.st.Dialect() == storage.DialectSQLite
	if sqlite {
		var v int64
		if err := r.raw.QueryRowContext(ctx, "PRAGMA data_version").Scan(&v); err != nil {
			tb.Fatalf("data_version: %v", err)
		}
		if v == r.lastVersion && r.lastFP != "" {
			return r.lastFP
		}
		r.lastVersion = v
	}
	h := sha256.New()
	var counts []string
	for _, t := range r.tables {
		switch {
		case slices.Contains(contentTables, t):
			if err := hashRows(ctx, r.raw, h, "SELECT * FROM "+t+" ORDER BY 1"); err != nil {
				tb.Fatalf("read %s: %v", t, err)
			}
			fmt.Fprintf(h, "|%s|", t)
		case slices.Contains(countTables, t):
			counts = append(counts, "(SELECT count(*) FROM "+t+")", "(SELECT coalesce(max(id), 0) FROM "+t+")")
		}
	}
	// One query for every append-only table: each costs on SQLite.
	if err := hashRows(ctx, r.raw, h, "SELECT "+strings.Join(counts, ", ")); err != nil {
		tb.Fatalf("count rows: %v", err)
	}
	fp := hex.EncodeToString(h.Sum(nil))
	if sqlite {
		r.lastFP = fp
	}
	return fp
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
	var buf []byte
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		buf = buf[:0]
		for _, v := range vals {
			switch x := v.(type) {
			case nil:
			case []byte:
				buf = append(buf, x...)
			case string:
				buf = append(buf, x...)
			case int64:
				buf = strconv.AppendInt(buf, x, 10)
			case bool:
				buf = strconv.AppendBool(buf, x)
			case time.Time:
				buf = x.UTC().AppendFormat(buf, time.RFC3339Nano)
			default:
				buf = fmt.Appendf(buf, "%v", x)
			}
			buf = append(buf, 0x1f)
		}
		buf = append(buf, 0x1e)
		if _, err := w.Write(buf); err != nil {
			return err
		}
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

// writes runs send and reports whether the database changed meanwhile.
// The fingerprint taken after becomes the known one, so a run of
// requests that write nothing costs one fingerprint each.
func (r *rig) writes(tb testing.TB, send func()) bool {
	tb.Helper()
	before := r.known
	if before == "" {
		before = r.fingerprint(tb)
	}
	send()
	after := r.fingerprint(tb)
	r.known = after
	return after != before
}

// refused sends a request that must be refused and fails tb if it wrote.
func (r *rig) refused(tb testing.TB, send func() response) response {
	tb.Helper()
	var resp response
	if r.writes(tb, func() { resp = send() }) {
		tb.Errorf("a refused request (%d) changed the database", resp.Status)
	}
	return resp
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

// TestFingerprintSeesWrites keeps the "nothing written" checks honest:
// the fingerprint changes with a new row and with a changed one, and not
// with reads.
func TestFingerprintSeesWrites(t *testing.T) {
	r := newRig(t, api.Config{})
	a := r.freshAttendee(t)
	fp := r.fingerprint(t)
	if r.do(t, request{method: "GET", path: ev + "/attendees", token: r.organizer}); r.fingerprint(t) != fp {
		t.Fatal("a read changed the fingerprint")
	}
	stored, err := r.st.AttendeeByID(context.Background(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	stored.Organization = "changed in place"
	if err := r.st.UpdateAttendee(context.Background(), stored); err != nil {
		t.Fatal(err)
	}
	fp2 := r.fingerprint(t)
	if fp2 == fp {
		t.Fatal("changing a row left the fingerprint as it was")
	}
	if resp := r.do(t, request{method: "POST", path: ev + "/announcements", token: r.organizer, body: []byte(`{"text":{"en":"x"}}`)}); resp.Status != 201 {
		t.Fatalf("post: %d", resp.Status)
	}
	if r.fingerprint(t) == fp2 {
		t.Fatal("a new row left the fingerprint as it was")
	}
}
