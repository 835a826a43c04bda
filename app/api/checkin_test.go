package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"image/png"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/app/demo"
	"github.com/hybridcon/hybridcon/app/qrcode"
)

const evPath = "/api/v1/events/" + demo.Slug

// door is the API test setup for check-in: the demo conference, an
// organizer, a checker of the demo and a checker of another event.
type door struct {
	*env
	organizer, checker, otherChecker string
}

func newDoor(t *testing.T) *door {
	t.Helper()
	e := newEnv(t)
	t.Cleanup(e.svc.StopAttendance)
	other := &app.Event{Slug: "other-2022", Title: app.Text{EN: "Other"}, VenueTZ: "Europe/Budapest", StartsAt: time.Now(), EndsAt: time.Now().Add(time.Hour)}
	if err := e.st.CreateEvent(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	return &door{env: e, organizer: e.token("organizer", ""), checker: e.token("checker", demo.Slug), otherChecker: e.token("checker", other.Slug)}
}

// attendees returns a page of the demo's attendees.
func (d *door) attendees(query string) app.AttendeePage {
	d.t.Helper()
	r := d.do("GET", evPath+"/attendees?"+query, d.organizer, nil)
	if r.Status != 200 {
		d.t.Fatalf("list attendees: %d %s", r.Status, truncate(r.Body))
	}
	var p app.AttendeePage
	if err := json.Unmarshal(r.Body, &p); err != nil {
		d.t.Fatal(err)
	}
	return p
}

// counts returns the number of the demo's attendees and scans.
func (d *door) counts() (attendees, scans int64) {
	d.t.Helper()
	ctx := context.Background()
	ev, err := d.st.EventBySlug(ctx, demo.Slug)
	if err != nil {
		d.t.Fatal(err)
	}
	all, err := d.st.EventAttendees(ctx, ev.ID)
	if err != nil {
		d.t.Fatal(err)
	}
	stats, err := d.st.CheckInStats(ctx, ev.ID)
	if err != nil {
		d.t.Fatal(err)
	}
	for _, n := range stats.Scans {
		scans += n
	}
	return int64(len(all)), scans
}

func (d *door) scan(token string, body any) (int, app.ScanAnswer, response) {
	d.t.Helper()
	r := d.do("POST", evPath+"/checkins", token, body)
	var ans app.ScanAnswer
	if r.Status == 200 {
		if err := json.Unmarshal(r.Body, &ans); err != nil {
			d.t.Fatal(err)
		}
	}
	return r.Status, ans, r
}

func scanBody(ticket, gate, scanID string) map[string]string {
	return map[string]string{"ticket": ticket, "gate": gate, "scan_id": scanID}
}

func TestCheckInAPI(t *testing.T) {
	d := newDoor(t)
	list := d.attendees("limit=3")
	t0, t1, t2 := list.Attendees[0], list.Attendees[1], list.Attendees[2]
	if !strings.HasPrefix(t0.Ticket, "HC1."+demo.Slug+"."+t0.ID+".") {
		t.Fatalf("ticket %q", t0.Ticket)
	}

	t.Run("Refused", func(t *testing.T) {
		ok := scanBody(t0.Ticket, "North", "refused-0001")
		many := make([]map[string]string, app.MaxBatchScans+1)
		for i := range many {
			many[i] = scanBody(t0.Ticket, "K", fmt.Sprintf("many-%05d", i))
		}
		cases := []struct {
			name, method, path, token string
			body                      any
			status                    int
		}{
			{"Anonymous", "POST", evPath + "/checkins", "", ok, 401},
			{"AnonymousMalformed", "POST", evPath + "/checkins", "", `{"ticket":`, 401},
			{"CheckerOfOtherEvent", "POST", evPath + "/checkins", d.otherChecker, ok, 403},
			{"UnknownSlug", "POST", "/api/v1/events/no-such-event/checkins", d.checker, ok, 404},
			{"MalformedJSON", "POST", evPath + "/checkins", d.checker, `{"ticket":`, 400},
			{"UnknownField", "POST", evPath + "/checkins", d.checker, `{"ticket":"x","gate":"A","scan_id":"abcdefgh","door":1}`, 400},
			{"EmptyGate", "POST", evPath + "/checkins", d.checker, scanBody(t0.Ticket, "", "refused-0002"), 422},
			{"ShortScanID", "POST", evPath + "/checkins", d.checker, scanBody(t0.Ticket, "A", "short"), 422},
			{"FutureTime", "POST", evPath + "/checkins", d.checker, map[string]string{"ticket": t0.Ticket, "gate": "A", "scan_id": "refused-0003", "scanned_at": time.Now().Add(time.Hour).Format(time.RFC3339)}, 422},
			{"BadTime", "POST", evPath + "/checkins", d.checker, map[string]string{"ticket": t0.Ticket, "gate": "A", "scan_id": "refused-0004", "scanned_at": "23/04/2021"}, 422},
			{"NoTicket", "POST", evPath + "/checkins", d.checker, scanBody("", "A", "refused-0005"), 422},
			{"BatchAnonymous", "POST", evPath + "/checkins/batch", "", map[string]any{"scans": []any{ok}}, 401},
			{"BatchOtherEvent", "POST", evPath + "/checkins/batch", d.otherChecker, map[string]any{"scans": []any{ok}}, 403},
			{"BatchNoScans", "POST", evPath + "/checkins/batch", d.checker, `{}`, 400},
			{"BatchTooMany", "POST", evPath + "/checkins/batch", d.checker, map[string]any{"scans": many}, 413},
			{"BatchOneBad", "POST", evPath + "/checkins/batch", d.checker, map[string]any{"scans": []any{ok, scanBody(t0.Ticket, "A", "bad id!")}}, 422},
			{"KitAnonymous", "GET", evPath + "/checkin-kit", "", nil, 401},
			{"KitOtherEvent", "GET", evPath + "/checkin-kit", d.otherChecker, nil, 403},
			{"KitUnknownSlug", "GET", "/api/v1/events/no-such-event/checkin-kit", d.checker, nil, 404},
			{"SummaryOtherEvent", "GET", evPath + "/checkins/summary", d.otherChecker, nil, 403},
			{"ExportByChecker", "GET", evPath + "/checkins/export.csv", d.checker, nil, 403},
			{"ExportAnonymous", "GET", evPath + "/checkins/export.csv", "", nil, 401},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				a0, s0 := d.counts()
				r := d.do(c.method, c.path, c.token, c.body)
				if r.Status != c.status {
					t.Fatalf("status %d, want %d: %s", r.Status, c.status, truncate(r.Body))
				}
				r.errorCode(t)
				if a1, s1 := d.counts(); a1 != a0 || s1 != s0 {
					t.Fatalf("a refused request changed the database: attendees %d→%d, scans %d→%d", a0, a1, s0, s1)
				}
			})
		}
	})

	t.Run("Valid", func(t *testing.T) {
		status, ans, _ := d.scan(d.checker, scanBody(t0.Ticket, "North", "valid-0001"))
		if status != 200 || ans.Result != app.ResultCheckedIn || ans.Attendee == nil || ans.Attendee.Name != t0.Name || ans.ScanID != "valid-0001" {
			t.Fatalf("%d %+v", status, ans)
		}
	})
	t.Run("Duplicate", func(t *testing.T) {
		_, ans, _ := d.scan(d.organizer, scanBody(t0.Ticket, "South", "valid-0002"))
		if ans.Result != app.ResultAlreadyCheckedIn || ans.FirstGate != "North" || ans.FirstScannedAt == nil {
			t.Fatalf("%+v", ans)
		}
	})
	t.Run("ReplayedScanID", func(t *testing.T) {
		_, s0 := d.counts()
		_, _, r1 := d.scan(d.checker, scanBody(t0.Ticket, "South", "valid-0002"))
		_, _, r2 := d.scan(d.checker, scanBody(t0.Ticket, "South", "valid-0002"))
		if r1.Status != 200 || !bytes.Equal(r1.Body, r2.Body) {
			t.Fatalf("replays differ:\n%s\n%s", r1.Body, r2.Body)
		}
		var ans app.ScanAnswer
		_ = json.Unmarshal(r1.Body, &ans)
		if ans.Result != app.ResultAlreadyCheckedIn || ans.FirstGate != "North" {
			t.Fatalf("replay is not the stored answer: %s", r1.Body)
		}
		// The scan id with another ticket, or another gate, is never
		// someone else's answer.
		for _, body := range []map[string]string{scanBody(t1.Ticket, "South", "valid-0002"), scanBody(t0.Ticket, "East", "valid-0002"), scanBody("HC1.garbage", "North", "valid-0001")} {
			status, _, r := d.scan(d.checker, body)
			if status != 409 || !bytes.Contains(r.Body, []byte(`"code":"conflict"`)) || !bytes.Contains(r.Body, []byte(`"scan_id":"valid-000`)) {
				t.Errorf("reused scan id: %d %s, want 409 conflict", status, r.Body)
			}
		}
		if _, s1 := d.counts(); s1 != s0 {
			t.Fatalf("replays wrote %d scans", s1-s0)
		}
	})
	t.Run("Rejections", func(t *testing.T) {
		tk, _ := app.ParseTicket(t1.Ticket)
		tk.Sig[0] ^= 1
		otherTicket := strings.Replace(t1.Ticket, demo.Slug, "other-2022", 1)
		for _, c := range []struct{ name, ticket, reason string }{
			{"Forged", tk.String(), app.ReasonInvalidTicket},
			{"Truncated", t1.Ticket[:len(t1.Ticket)-10], app.ReasonInvalidTicket},
			{"OtherEvent", otherTicket, app.ReasonWrongEvent},
		} {
			status, ans, r := d.scan(d.checker, scanBody(c.ticket, "North", "reject-"+c.name))
			if status != 200 || ans.Result != app.ResultRejected || ans.Reason != c.reason || ans.Attendee != nil {
				t.Errorf("%s: %d %s", c.name, status, r.Body)
			}
		}
		r := d.do("PATCH", "/api/v1/attendees/"+t2.ID, d.organizer, map[string]bool{"revoked": true})
		if r.Status != 200 || !bytes.Contains(r.Body, []byte(`"revoked":true`)) {
			t.Fatalf("revoke: %d %s", r.Status, r.Body)
		}
		_, ans, _ := d.scan(d.checker, scanBody(t2.Ticket, "North", "reject-revoked"))
		if ans.Result != app.ResultRejected || ans.Reason != app.ReasonRevoked || ans.Attendee == nil || ans.Attendee.ID != t2.ID {
			t.Fatalf("revoked: %+v", ans)
		}
	})
	t.Run("Batch", func(t *testing.T) {
		at := time.Now().Add(-time.Hour).Format(time.RFC3339)
		r := d.do("POST", evPath+"/checkins/batch", d.checker, map[string]any{"scans": []any{
			map[string]string{"ticket": t1.Ticket, "gate": "K2", "scan_id": "kiosk2-0001", "scanned_at": at},
			map[string]string{"ticket": t0.Ticket, "gate": "K2", "scan_id": "kiosk2-0002", "scanned_at": at},
		}})
		var out struct{ Results []app.ScanAnswer }
		if err := json.Unmarshal(r.Body, &out); err != nil || r.Status != 200 || len(out.Results) != 2 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		// t0 was let in an hour ago at K2, before the online scan at North.
		if out.Results[0].Result != app.ResultCheckedIn || out.Results[1].Result != app.ResultCheckedIn {
			t.Fatalf("results %+v", out.Results)
		}
		_, ans, _ := d.scan(d.checker, scanBody(t0.Ticket, "North", "after-batch-1"))
		if ans.FirstGate != "K2" {
			t.Fatalf("first gate after the upload: %+v", ans)
		}
		// A recorded scan id sent with another ticket: 409 naming it,
		// nothing of the upload recorded.
		_, s0 := d.counts()
		r = d.do("POST", evPath+"/checkins/batch", d.checker, map[string]any{"scans": []any{
			map[string]string{"ticket": t2.Ticket, "gate": "K2", "scan_id": "kiosk2-0003", "scanned_at": at},
			map[string]string{"ticket": t0.Ticket, "gate": "K2", "scan_id": "kiosk2-0001", "scanned_at": at},
		}})
		if r.Status != 409 || !bytes.Contains(r.Body, []byte(`"code":"conflict"`)) || !bytes.Contains(r.Body, []byte(`"index":1`)) {
			t.Fatalf("reused scan id in an upload: %d %s", r.Status, r.Body)
		}
		if _, s1 := d.counts(); s1 != s0 {
			t.Fatalf("a refused upload recorded %d scans", s1-s0)
		}
	})
	t.Run("Summary", func(t *testing.T) {
		r := d.do("GET", evPath+"/checkins/summary", d.checker, nil)
		var sum app.CheckInSummary
		if err := json.Unmarshal(r.Body, &sum); err != nil || r.Status != 200 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		if sum.CheckedIn != 2 || sum.Expected != 199 || sum.ByGate["K2"] != 2 || sum.Rejected[app.ReasonRevoked] != 1 || sum.Rejected[app.ReasonInvalidTicket] != 2 {
			t.Fatalf("summary %s", r.Body)
		}
		var cats int64
		for _, c := range sum.ByCategory {
			cats += c.Expected
		}
		if cats != 199 {
			t.Fatalf("categories add up to %d", cats)
		}
	})
	t.Run("Export", func(t *testing.T) {
		r := d.do("GET", evPath+"/checkins/export.csv", d.organizer, nil)
		if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") ||
			!strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment;") {
			t.Fatalf("%d %v", r.Status, r.Header)
		}
		if !bytes.HasPrefix(r.Body, []byte("\xef\xbb\xbf")) {
			t.Fatal("no byte-order mark")
		}
		rows, err := csv.NewReader(bytes.NewReader(r.Body[3:])).ReadAll()
		if err != nil || len(rows) != 3 {
			t.Fatalf("%v: %q", err, rows)
		}
		if strings.Join(rows[0], ",") != strings.Join(app.CheckInExportColumns, ",") {
			t.Fatalf("header %q", rows[0])
		}
		byID := map[string][]string{}
		for _, row := range rows[1:] {
			byID[row[0]] = row
		}
		row := byID[t0.ID]
		if row == nil || row[2] != t0.Name || row[6] != "K2" || row[7] != "4" {
			t.Fatalf("row of %s: %q", t0.Name, row)
		}
		at, err := time.Parse(app.ExportTimeLayout, row[5])
		if err != nil || !strings.HasSuffix(row[5], "+08:00") || time.Since(at) < 59*time.Minute {
			t.Fatalf("first scan time %q (%v): want an hour ago in +08:00, with milliseconds", row[5], err)
		}
	})
	t.Run("List", func(t *testing.T) {
		p := d.attendees("checked_in=true")
		if p.Total != 2 || !p.Attendees[0].CheckedIn || p.Attendees[0].FirstGate != "K2" {
			t.Fatalf("checked in: %+v", p)
		}
		if p := d.attendees("checked_in=false&limit=500"); p.Total != 198 || len(p.Attendees) != 198 {
			t.Fatalf("not checked in: %d %d", p.Total, len(p.Attendees))
		}
		for _, bad := range []string{"checked_in=yes", "limit=501", "offset=-1", "limit=x"} {
			if r := d.do("GET", evPath+"/attendees?"+bad, d.organizer, nil); r.Status != 400 {
				t.Errorf("%s: %d", bad, r.Status)
			}
		}
		if r := d.do("GET", evPath+"/attendees", d.checker, nil); r.Status != 403 {
			t.Errorf("checker lists attendees: %d", r.Status)
		}
	})
}

func TestAttendanceReachesViewers(t *testing.T) {
	d := newDoor(t)
	addr := d.listen()
	v := dialViewer(t, addr, "")
	v.first(t)
	tk := d.attendees("limit=1").Attendees[0].Ticket
	if status, ans, _ := d.scan(d.checker, scanBody(tk, "North", "live-0001")); status != 200 || ans.Result != app.ResultCheckedIn {
		t.Fatalf("%d %+v", status, ans)
	}
	sent := time.Now()
	for time.Since(sent) < 3*time.Second {
		v.mu.Lock()
		for _, env := range v.envs {
			var a app.Attendance
			if env.Type == app.TypeAttendance && json.Unmarshal(env.Data, &a) == nil && a.CheckedIn == 1 {
				v.mu.Unlock()
				// The hub flushes volatile values once a second; the
				// recount runs at once. Allow some slack for -race.
				if d := time.Since(sent); d > 1500*time.Millisecond {
					t.Fatalf("attendance arrived after %v", d)
				}
				if a.Expected != 200 {
					t.Fatalf("attendance %+v", a)
				}
				return
			}
		}
		v.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("no attendance message with checked_in 1 within 3 s")
}

func TestAttendeesAPI(t *testing.T) {
	d := newDoor(t)
	t.Run("Search", func(t *testing.T) {
		all := d.attendees("limit=500")
		if all.Total != 200 || len(all.Attendees) != 200 {
			t.Fatalf("total %d", all.Total)
		}
		var hu, cn app.AttendeeView
		for _, a := range all.Attendees {
			if a.Country == "HU" && hu.ID == "" && strings.ContainsAny(a.Name, "áéíóöőúüű") {
				hu = a
			}
			if a.Country == "CN" && cn.ID == "" {
				cn = a
			}
		}
		for q, want := range map[string]string{strings.ToUpper(hu.Name): hu.ID, cn.Name: cn.ID} {
			p := d.attendees("q=" + url.QueryEscape(q))
			found := false
			for _, a := range p.Attendees {
				found = found || a.ID == want
			}
			if !found {
				t.Errorf("q=%q does not find %s", q, want)
			}
		}
	})
	t.Run("CreatePatchTicket", func(t *testing.T) {
		r := d.do("POST", evPath+"/attendees", d.organizer, map[string]string{"name": "Szűcs Örs", "organization": "重庆大学", "email": "Ors@Example.HU", "category": "press"})
		if r.Status != 201 {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		var v app.AttendeeView
		_ = json.Unmarshal(r.Body, &v)
		if v.Name != "Szűcs Örs" || v.Organization != "重庆大学" || v.Email != "ors@example.hu" || !app.ValidAttendeeID(v.ID) || v.Ticket == "" {
			t.Fatalf("created %+v", v)
		}
		for _, c := range []struct {
			name, path string
			body       any
			status     int
		}{
			{"DuplicateEmail", evPath + "/attendees", map[string]string{"name": "X", "email": "ors@example.hu"}, 409},
			{"NoName", evPath + "/attendees", map[string]string{"email": "y@example.org"}, 422},
			{"UnknownEvent", "/api/v1/events/no-such-event/attendees", map[string]string{"name": "Y"}, 404},
			{"PatchUnknown", "/api/v1/attendees/aaaaaaaaaaaaaaaaaaaaaaaaaa", map[string]string{"name": "Y"}, 404},
			{"PatchMalformedID", "/api/v1/attendees/not-an-id", map[string]string{"name": "Y"}, 400},
			{"PatchMalformedJSON", "/api/v1/attendees/" + v.ID, `{"name":`, 400},
			{"PatchBadEmail", "/api/v1/attendees/" + v.ID, map[string]string{"email": "nope"}, 422},
		} {
			method := "POST"
			if strings.HasPrefix(c.path, "/api/v1/attendees/") {
				method = "PATCH"
			}
			a0, _ := d.counts()
			if r := d.do(method, c.path, d.organizer, c.body); r.Status != c.status {
				t.Errorf("%s: %d %s, want %d", c.name, r.Status, truncate(r.Body), c.status)
			}
			if a1, _ := d.counts(); a1 != a0 {
				t.Errorf("%s: attendees %d→%d", c.name, a0, a1)
			}
		}
		if r := d.do("POST", evPath+"/attendees", "", map[string]string{"name": "Z"}); r.Status != 401 {
			t.Errorf("anonymous create: %d", r.Status)
		}
		if r := d.do("PATCH", "/api/v1/attendees/"+v.ID, d.checker, map[string]string{"name": "Z"}); r.Status != 403 {
			t.Errorf("checker patch: %d", r.Status)
		}
		r = d.do("PATCH", "/api/v1/attendees/"+v.ID, d.organizer, map[string]any{"organization": "Pannon Kft.", "revoked": true})
		_ = json.Unmarshal(r.Body, &v)
		if r.Status != 200 || v.Organization != "Pannon Kft." || !v.Revoked || v.Name != "Szűcs Örs" {
			t.Fatalf("patch: %d %s", r.Status, r.Body)
		}

		r = d.do("GET", "/api/v1/attendees/"+v.ID+"/ticket.png", d.organizer, nil)
		if r.Status != 200 || r.Header.Get("Content-Type") != "image/png" || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("ticket.png: %d %v", r.Status, r.Header)
		}
		img, err := png.Decode(bytes.NewReader(r.Body))
		if err != nil || img.Bounds().Dx() < qrcode.MinPixels || img.Bounds().Dy() != img.Bounds().Dx() {
			t.Fatalf("ticket.png is not a square PNG of at least %d px: %v %v", qrcode.MinPixels, err, img.Bounds())
		}
		for path, status := range map[string]int{
			"/api/v1/attendees/aaaaaaaaaaaaaaaaaaaaaaaaaa/ticket.png": 404,
			"/api/v1/attendees/NOT-AN-ID/ticket.png":                  400,
		} {
			if r := d.do("GET", path, d.organizer, nil); r.Status != status {
				t.Errorf("%s: %d, want %d", path, r.Status, status)
			}
		}
		if r := d.do("GET", "/api/v1/attendees/"+v.ID+"/ticket.png", "", nil); r.Status != 401 {
			t.Errorf("anonymous ticket.png: %d", r.Status)
		}
	})
}

func TestImportAttendeesAPI(t *testing.T) {
	d := newDoor(t)
	importCSV := func(body string) response {
		t.Helper()
		return d.do("POST", evPath+"/attendees/import", d.organizer, body, "Content-Type", "text/csv")
	}
	file := "\xef\xbb\xbfname,organization,country,email,external_id,category\r\n" +
		"王秀英,重庆市科学技术局,CN,wang.xiuying@example.cn,REG-001,official\r\n" +
		"Kovács Éva,Magyarország Nagykövetsége,HU,eva.kovacs@example.hu,REG-002,Official\r\n" +
		"\"Szőke, Tünde\",Budapest Innovation Post,HU,,REG-003,press\r\n"

	t.Run("Errors", func(t *testing.T) {
		cases := []struct {
			name, body string
			row        int
			column     string
		}{
			{"UnknownColumn", "name,e-mail\nX,x@example.org\n", 1, "e-mail"},
			{"NoKeyColumn", "name,organization\nX,Y\n", 1, "email"},
			{"MissingName", "name,email\nA,a@example.org\n,b@example.org\n", 3, "name"},
			{"DuplicateEmail", "name,email\nA,a@example.org\nB,A@example.org\n", 3, "email"},
			{"InvalidUTF8", "name,email\nA,a@example.org\nB\xff\xfe,b@example.org\n", 3, ""},
			{"BadCategory", "name,email,category\nA,a@example.org,VIP guest\n", 2, "category"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				a0, _ := d.counts()
				r := importCSV(c.body)
				if r.Status != 422 || r.errorCode(t) != app.EInvalid {
					t.Fatalf("%d %s", r.Status, r.Body)
				}
				var body struct {
					Error struct{ Details app.ImportErrors }
				}
				_ = json.Unmarshal(r.Body, &body)
				errs := body.Error.Details.Errors
				if len(errs) == 0 || errs[0].Row != c.row || errs[0].Column != c.column || errs[0].Message == "" {
					t.Fatalf("details %s, want row %d column %q", r.Body, c.row, c.column)
				}
				if a1, _ := d.counts(); a1 != a0 {
					t.Fatalf("a refused import changed attendees %d→%d", a0, a1)
				}
			})
		}
	})
	t.Run("ConflictWithRegisteredRollsBack", func(t *testing.T) {
		a0, _ := d.counts()
		ev, err := d.st.EventBySlug(context.Background(), demo.Slug)
		if err != nil {
			t.Fatal(err)
		}
		all, _ := d.st.EventAttendees(context.Background(), ev.ID)
		var first, second app.Attendee
		for _, a := range all {
			switch a.ExternalID {
			case "DEMO-0001":
				first = a
			case "DEMO-0002":
				second = a
			}
		}
		body := "name,email,external_id\nNew Person,new@example.org,REG-900\n" +
			second.Name + "," + first.Email + ",DEMO-0002\n"
		r := importCSV(body)
		if first.Email == "" || second.Name == "" {
			t.Fatalf("demo attendees DEMO-0001/0002 not found")
		}
		if r.Status != 422 || !bytes.Contains(r.Body, []byte(`{"row":3,"column":"email"`)) {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
		if a1, _ := d.counts(); a1 != a0 {
			t.Fatalf("attendees %d→%d", a0, a1)
		}
	})
	t.Run("ImportAndReimport", func(t *testing.T) {
		want := func(r response, created, updated, unchanged int) {
			t.Helper()
			var res app.ImportResult
			if err := json.Unmarshal(r.Body, &res); err != nil || r.Status != 200 ||
				res != (app.ImportResult{Created: created, Updated: updated, Unchanged: unchanged}) {
				t.Fatalf("%d %s, want created %d updated %d unchanged %d", r.Status, r.Body, created, updated, unchanged)
			}
		}
		want(importCSV(file), 3, 0, 0)
		a0, _ := d.counts()
		want(importCSV(file), 0, 0, 3)
		want(importCSV(strings.Replace(file, "Budapest Innovation Post", "Danube Tech Review", 1)), 0, 1, 2)
		if a1, _ := d.counts(); a1 != a0 {
			t.Fatalf("re-imports created %d attendees", a1-a0)
		}
		names := map[string]app.AttendeeView{}
		for _, q := range []string{"王秀英", "kovács é", "szőke, t"} {
			p := d.attendees("q=" + url.QueryEscape(q))
			if len(p.Attendees) != 1 {
				t.Fatalf("q=%s: %+v", q, p.Attendees)
			}
			names[q] = p.Attendees[0]
		}
		if v := names["王秀英"]; v.Name != "王秀英" || v.Organization != "重庆市科学技术局" || v.Category != "official" {
			t.Errorf("Chinese row: %+v", v)
		}
		if v := names["kovács é"]; v.Name != "Kovács Éva" || v.Organization != "Magyarország Nagykövetsége" || v.Category != "official" {
			t.Errorf("Hungarian row: %+v", v)
		}
		if v := names["szőke, t"]; v.Name != "Szőke, Tünde" || v.Organization != "Danube Tech Review" || v.Email != "" {
			t.Errorf("quoted row: %+v", v)
		}
	})
}

func TestCheckinKitAPI(t *testing.T) {
	d := newDoor(t)
	get := func(header ...string) response {
		t.Helper()
		return d.do("GET", evPath+"/checkin-kit", d.checker, nil, header...)
	}
	r := get()
	var kit app.CheckinKit
	if err := json.Unmarshal(r.Body, &kit); err != nil || r.Status != 200 {
		t.Fatalf("%d %s", r.Status, truncate(r.Body))
	}
	etag := r.Header.Get("ETag")
	if etag != `"`+kit.Version+`"` || kit.Version == "" || kit.PublicKey == "" || kit.Event.VenueTZ != "Asia/Shanghai" || len(kit.Attendees) != 200 || len(kit.Revoked) != 0 {
		t.Fatalf("kit: etag %s, version %q, %d attendees, event %+v", etag, kit.Version, len(kit.Attendees), kit.Event)
	}
	if bytes.Contains(r.Body, []byte("private")) || bytes.Contains(r.Body, []byte("@example")) {
		t.Fatal("the kit carries private keys or e-mail addresses")
	}
	if r2 := get(); r2.Header.Get("ETag") != etag {
		t.Fatal("the version changes with nothing changed")
	}
	for _, h := range []string{etag, `W/` + etag, `"other", ` + etag} {
		if r := get("If-None-Match", h); r.Status != 304 || len(r.Body) != 0 || r.Header.Get("ETag") != etag {
			t.Fatalf("If-None-Match %s: %d (%d bytes)", h, r.Status, len(r.Body))
		}
	}
	id := kit.Attendees[5].ID
	if r := d.do("PATCH", "/api/v1/attendees/"+id, d.organizer, map[string]bool{"revoked": true}); r.Status != 200 {
		t.Fatalf("revoke: %d", r.Status)
	}
	r = get("If-None-Match", etag)
	var kit2 app.CheckinKit
	if err := json.Unmarshal(r.Body, &kit2); err != nil || r.Status != 200 {
		t.Fatalf("after revoking: %d", r.Status)
	}
	if kit2.Version == kit.Version || len(kit2.Revoked) != 1 || kit2.Revoked[0] != id || len(kit2.Attendees) != 199 {
		t.Fatalf("after revoking: version %s, revoked %v, %d attendees", kit2.Version, kit2.Revoked, len(kit2.Attendees))
	}
	if r := d.do("GET", evPath+"/checkin-kit", d.organizer, nil); r.Status != 200 {
		t.Fatalf("organizer kit: %d", r.Status)
	}
}

// TestDocsExampleImports keeps the example file of docs/checkin.md
// importable.
func TestDocsExampleImports(t *testing.T) {
	d := newDoor(t)
	doc, err := os.ReadFile("../../docs/checkin.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "```csv\n")
	example, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("docs/checkin.md has no ```csv example")
	}
	r := d.do("POST", evPath+"/attendees/import", d.organizer, example, "Content-Type", "text/csv")
	if r.Status != 200 || !bytes.Contains(r.Body, []byte(`"created":4`)) {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
}
