package storage_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/storage"
	"github.com/hybridcon/hybridcon/storage/storagetest"
)

// attendancePub records the attendance messages a service publishes.
type attendancePub struct {
	mu  sync.Mutex
	got map[string][]app.Attendance
}

func (p *attendancePub) Publish(context.Context, ...app.Envelope) {}

func (p *attendancePub) PublishVolatile(_ context.Context, slug, typ string, data any) {
	if typ != app.TypeAttendance {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.got == nil {
		p.got = map[string][]app.Attendance{}
	}
	p.got[slug] = append(p.got[slug], data.(app.Attendance))
}

func (p *attendancePub) last(slug string) (app.Attendance, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.got[slug]
	if len(l) == 0 {
		return app.Attendance{}, 0
	}
	return l[len(l)-1], len(l)
}

// door is an event with attendees and a service to scan them with.
type door struct {
	t         *testing.T
	st        *storage.Store
	svc       *app.Service
	pub       *attendancePub
	ev        *app.Event
	guests    []*app.Attendee
	checker   app.Principal
	organizer app.Principal
}

func newDoor(t *testing.T, st *storage.Store, guests int) *door {
	t.Helper()
	pub := &attendancePub{}
	svc := app.NewService(st, pub, nil)
	t.Cleanup(svc.StopAttendance)
	d := &door{t: t, st: st, svc: svc, pub: pub, ev: mustEvent(t, st), organizer: app.Principal{Name: "olga", Role: app.RoleOrganizer}}
	d.checker = app.Principal{Name: "gate-staff", Role: app.RoleChecker, EventID: &d.ev.ID}
	for i := range guests {
		d.guests = append(d.guests, mustAttendee(t, st, d.ev.ID, fmt.Sprintf("g%d-%s@example.org", i, d.ev.Slug)))
	}
	return d
}

// ticket returns the genuine ticket of attendee id of the door's event.
func (d *door) ticket(id string) string {
	d.t.Helper()
	priv, err := d.st.EventPrivateKey(ctxT(d.t), d.ev.ID)
	if err != nil {
		d.t.Fatal(err)
	}
	return app.SignTicket(priv, d.ev.Slug, id)
}

func (d *door) scan(ticket, gate, scanID string, at time.Time) *app.ScanAnswer {
	d.t.Helper()
	ans, err := d.svc.CheckIn(ctxT(d.t), d.checker, d.ev.Slug, app.ScanInput{Ticket: ticket, Gate: gate, ScanID: scanID, ScannedAt: at.Format(time.RFC3339Nano)})
	if err != nil {
		d.t.Fatalf("scan %s: %v", scanID, err)
	}
	return ans
}

func (d *door) rows() int64 {
	d.t.Helper()
	n, err := d.st.CountRowsForTest(ctxT(d.t), "check_ins")
	if err != nil {
		d.t.Fatal(err)
	}
	return n
}

func wantResult(t *testing.T, ans *app.ScanAnswer, result, reason string) {
	t.Helper()
	if ans.Result != result || ans.Reason != reason {
		t.Fatalf("got %s/%s, want %s/%s (%+v)", ans.Result, ans.Reason, result, reason, ans)
	}
}

func TestCheckInRepo(t *testing.T) {
	s := storagetest.Open(t)
	ctx := ctxT(t)
	ev := mustEvent(t, s)
	a := mustAttendee(t, s, ev.ID, "repo@example.org")
	at := time.Date(2021, 4, 23, 1, 2, 3, 456789000, time.UTC)
	c1 := &app.CheckIn{EventID: ev.ID, AttendeeID: a.ID, Gate: "北门", ScanID: "scan-0001", ScannedAt: at, ReceivedAt: at,
		Result: app.ResultCheckedIn, Source: app.SourceOnline, First: true}
	if err := s.AddCheckIn(ctx, c1); err != nil || c1.ID == 0 {
		t.Fatalf("AddCheckIn: %v (id %d)", err, c1.ID)
	}
	t.Run("Lookup", func(t *testing.T) {
		byScan, first, err := s.ScanLookup(ctx, ev.ID, "scan-0001", a.ID)
		if err != nil || byScan == nil || first == nil || byScan.ID != c1.ID || first.ID != c1.ID {
			t.Fatalf("got %+v %+v %v", byScan, first, err)
		}
		if !first.ScannedAt.Equal(at) || first.Gate != "北门" || first.AttendeeID != a.ID {
			t.Fatalf("round trip: %+v", first)
		}
		byScan, first, err = s.ScanLookup(ctx, ev.ID, "scan-none", a.ID)
		if err != nil || byScan != nil || first == nil {
			t.Fatalf("unknown scan id: %+v %+v %v", byScan, first, err)
		}
		byScan, first, err = s.ScanLookup(ctx, ev.ID, "", a.ID)
		if err != nil || byScan != nil || first == nil {
			t.Fatalf("no scan id: %+v %+v %v", byScan, first, err)
		}
	})
	t.Run("DuplicateScanID", func(t *testing.T) {
		dup := *c1
		dup.First = false
		wantCode(t, s.AddCheckIn(ctx, &dup), app.EConflict)
	})
	t.Run("SecondFirstRefused", func(t *testing.T) {
		c := *c1
		c.ScanID = "scan-0002"
		wantCode(t, s.AddCheckIn(ctx, &c), app.EConflict)
	})
	t.Run("MoveFirst", func(t *testing.T) {
		c := &app.CheckIn{EventID: ev.ID, AttendeeID: a.ID, Gate: "B", ScanID: "scan-0003", ScannedAt: at.Add(-time.Minute), ReceivedAt: at,
			Result: app.ResultCheckedIn, Source: app.SourceOfflineSync, First: true}
		err := s.Tx(ctx, func(r app.Repo) error {
			if err := r.ClearFirst(ctx, c1.ID); err != nil {
				return err
			}
			return r.AddCheckIn(ctx, c)
		})
		if err != nil {
			t.Fatal(err)
		}
		_, first, _ := s.ScanLookup(ctx, ev.ID, "", a.ID)
		if first == nil || first.ID != c.ID {
			t.Fatalf("first is %+v, want scan-0003", first)
		}
		valid, err := s.ValidCheckIns(ctx, a.ID, 0)
		if err != nil || len(valid) != 2 || valid[0].ID != c1.ID || valid[0].First {
			t.Fatalf("valid: %+v %v", valid, err)
		}
		before, _ := s.ValidCheckIns(ctx, a.ID, c.ID)
		if len(before) != 1 {
			t.Fatalf("valid before %d: %+v", c.ID, before)
		}
	})
	t.Run("UnknownAttendeeIsNull", func(t *testing.T) {
		c := &app.CheckIn{EventID: ev.ID, Gate: "A", ScanID: "scan-0004", ScannedAt: at, ReceivedAt: at,
			Result: app.ResultRejected, Reason: app.ReasonInvalidTicket, Source: app.SourceOnline}
		if err := s.AddCheckIn(ctx, c); err != nil {
			t.Fatal(err)
		}
		got, err := s.CheckInByScanID(ctx, ev.ID, "scan-0004")
		if err != nil || got.AttendeeID != "" || got.Reason != app.ReasonInvalidTicket {
			t.Fatalf("got %+v %v", got, err)
		}
		_, err = s.CheckInByScanID(ctx, ev.ID, "scan-none")
		wantCode(t, err, app.ENotFound)
	})
	t.Run("LockUnknown", func(t *testing.T) {
		_, err := s.AttendeeForUpdate(ctx, "nobody")
		wantCode(t, err, app.ENotFound)
	})
}

func TestAttendeesRepo(t *testing.T) {
	s := storagetest.Open(t)
	ctx := ctxT(t)
	ev := mustEvent(t, s)
	batch := make([]app.Attendee, 1203)
	for i := range batch {
		batch[i] = app.Attendee{EventID: ev.ID, Name: fmt.Sprintf("Guest %04d", i), Email: fmt.Sprintf("b%d@example.org", i), Category: app.CategoryGuest}
	}
	batch[7].Name, batch[7].Organization = "Kovács Éva", "Pannon Kft."
	batch[8].Name, batch[8].Organization = "王伟", "重庆大学"
	if err := s.CreateAttendees(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if batch[1202].ID == "" || batch[0].CreatedAt.IsZero() {
		t.Fatalf("ids and times not filled: %+v", batch[1202])
	}
	t.Run("DuplicateInBatchRollsBack", func(t *testing.T) {
		bad := []app.Attendee{{EventID: ev.ID, Name: "X", Email: "x@example.org"}, {EventID: ev.ID, Name: "Y", Email: "b3@example.org"}}
		err := s.Tx(ctx, func(r app.Repo) error { return r.CreateAttendees(ctx, bad) })
		wantCode(t, err, app.EConflict)
		all, _ := s.EventAttendees(ctx, ev.ID)
		if len(all) != 1203 {
			t.Fatalf("%d attendees after a failed batch, want 1203", len(all))
		}
	})
	t.Run("EventAttendeesInIDOrder", func(t *testing.T) {
		all, err := s.EventAttendees(ctx, ev.ID)
		if err != nil || len(all) != 1203 {
			t.Fatalf("%d, %v", len(all), err)
		}
		if !slices.IsSortedFunc(all, func(a, b app.Attendee) int { return strings.Compare(a.ID, b.ID) }) {
			t.Fatal("not in id order")
		}
	})
	t.Run("Update", func(t *testing.T) {
		a := batch[0]
		a.Name, a.Revoked, a.UpdatedAt = "Renamed", true, time.Time{}
		if err := s.UpdateAttendee(ctx, &a); err != nil {
			t.Fatal(err)
		}
		got, _ := s.AttendeeByID(ctx, a.ID)
		if got.Name != "Renamed" || !got.Revoked || got.UpdatedAt.IsZero() {
			t.Fatalf("got %+v", got)
		}
		a.Email = "b1@example.org"
		wantCode(t, s.UpdateAttendee(ctx, &a), app.EConflict)
		a.ID = "nobody"
		wantCode(t, s.UpdateAttendee(ctx, &a), app.ENotFound)
	})
	t.Run("List", func(t *testing.T) {
		now := time.Now().UTC()
		for i, id := range []string{batch[7].ID, batch[9].ID} {
			c := &app.CheckIn{EventID: ev.ID, AttendeeID: id, Gate: "G", ScanID: fmt.Sprintf("list-%04d", i), ScannedAt: now, ReceivedAt: now,
				Result: app.ResultCheckedIn, Source: app.SourceOnline, First: true}
			if err := s.AddCheckIn(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		page, total, err := s.ListAttendees(ctx, app.AttendeeFilter{EventID: ev.ID, Limit: 50, Offset: 100})
		if err != nil || total != 1203 || len(page) != 50 {
			t.Fatalf("page: %d of %d, %v", len(page), total, err)
		}
		yes, no := true, false
		in, total, _ := s.ListAttendees(ctx, app.AttendeeFilter{EventID: ev.ID, CheckedIn: &yes})
		if total != 2 || len(in) != 2 || !in[0].CheckedIn || in[0].FirstGate != "G" || in[0].FirstScannedAt == nil {
			t.Fatalf("checked in: %d %+v", total, in)
		}
		_, total, _ = s.ListAttendees(ctx, app.AttendeeFilter{EventID: ev.ID, CheckedIn: &no, Limit: 1})
		if total != 1201 {
			t.Fatalf("not checked in: %d, want 1201", total)
		}
		for q, want := range map[string]string{"éva": "Kovács Éva", "kovács é": "Kovács Éva", "重庆": "王伟", "pannon": "Kovács Éva"} {
			got, total, err := s.ListAttendees(ctx, app.AttendeeFilter{EventID: ev.ID, Query: q, Limit: 10})
			if err != nil || total != 1 || len(got) != 1 || got[0].Name != want {
				t.Errorf("q=%q: %d %+v %v, want %s", q, total, got, err, want)
			}
		}
		// Guest 0000 to 0099 but 0000, 0007 and 0008, renamed: 97, and
		// 0093 is the 91st of them.
		got, total, _ := s.ListAttendees(ctx, app.AttendeeFilter{EventID: ev.ID, Query: "guest 00", Limit: 5, Offset: 90})
		if total != 97 || len(got) != 5 || got[0].Name != "Guest 0093" {
			t.Fatalf("paged search: %d %d %+v", total, len(got), got)
		}
		got, _, _ = s.ListAttendees(ctx, app.AttendeeFilter{EventID: ev.ID, Query: "éva", CheckedIn: &yes})
		if len(got) != 1 || !got[0].CheckedIn {
			t.Fatalf("search among checked in: %+v", got)
		}
	})
}

func TestScanRules(t *testing.T) {
	st := storagetest.Open(t)
	d := newDoor(t, st, 4)
	ctx := ctxT(t)
	now := time.Now().UTC()
	g0 := d.ticket(d.guests[0].ID)

	t.Run("Valid", func(t *testing.T) {
		ans := d.scan(g0, "North", "valid-0001", now.Add(-10*time.Minute))
		wantResult(t, ans, app.ResultCheckedIn, "")
		if ans.Attendee == nil || ans.Attendee.ID != d.guests[0].ID || ans.Attendee.Name != d.guests[0].Name || ans.FirstScannedAt != nil {
			t.Fatalf("answer %+v", ans)
		}
	})
	t.Run("Duplicate", func(t *testing.T) {
		ans := d.scan(g0, "South", "valid-0002", now.Add(-5*time.Minute))
		wantResult(t, ans, app.ResultAlreadyCheckedIn, "")
		if ans.FirstGate != "North" || ans.FirstScannedAt == nil || !ans.FirstScannedAt.Equal(now.Add(-10*time.Minute).Truncate(time.Microsecond)) {
			t.Fatalf("first scan: %+v at %v", ans.FirstGate, ans.FirstScannedAt)
		}
	})
	t.Run("ReplayedScanID", func(t *testing.T) {
		before := d.rows()
		for id, gate := range map[string]string{"valid-0001": "North", "valid-0002": "South"} {
			first := d.scan(g0, gate, id, now) // the stored answer wins over the new device time
			again := d.scan(g0, gate, id, now)
			if *first.Attendee != *again.Attendee || first.Result != again.Result || first.FirstGate != again.FirstGate || !first.ScannedAt.Equal(again.ScannedAt) {
				t.Fatalf("replays differ: %+v / %+v", first, again)
			}
		}
		ans := d.scan(g0, "South", "valid-0002", now)
		wantResult(t, ans, app.ResultAlreadyCheckedIn, "")
		if ans.FirstGate != "North" || !ans.ScannedAt.Equal(now.Add(-5*time.Minute).Truncate(time.Microsecond)) {
			t.Fatalf("replay is not the stored answer: %+v", ans)
		}
		if after := d.rows(); after != before {
			t.Fatalf("replays wrote %d rows", after-before)
		}
	})
	t.Run("Forged", func(t *testing.T) {
		tk, _ := app.ParseTicket(d.ticket(d.guests[1].ID))
		tk.Sig[10] ^= 0x40
		wantResult(t, d.scan(tk.String(), "North", "forged-0001", now), app.ResultRejected, app.ReasonInvalidTicket)
		c, err := st.CheckInByScanID(ctx, d.ev.ID, "forged-0001")
		if err != nil || c.AttendeeID != "" || c.Result != app.ResultRejected || c.Reason != app.ReasonInvalidTicket {
			t.Fatalf("stored %+v %v", c, err)
		}
		// A genuine signature over an attendee the event does not know.
		priv, _ := st.EventPrivateKey(ctx, d.ev.ID)
		ghost := app.SignTicket(priv, d.ev.Slug, "aaaaaaaaaaaaaaaaaaaaaaaaaa")
		wantResult(t, d.scan(ghost, "North", "forged-0002", now), app.ResultRejected, app.ReasonInvalidTicket)
	})
	t.Run("Truncated", func(t *testing.T) {
		g1 := d.ticket(d.guests[1].ID)
		wantResult(t, d.scan(g1[:len(g1)-3], "North", "trunc-0001", now), app.ResultRejected, app.ReasonInvalidTicket)
		wantResult(t, d.scan("garbage", "North", "trunc-0002", now), app.ResultRejected, app.ReasonInvalidTicket)
	})
	t.Run("OtherEvent", func(t *testing.T) {
		other := newDoor(t, st, 1)
		ans := d.scan(other.ticket(other.guests[0].ID), "North", "other-0001", now)
		wantResult(t, ans, app.ResultRejected, app.ReasonWrongEvent)
		if ans.Attendee != nil {
			t.Fatalf("answer names someone of another event: %+v", ans.Attendee)
		}
	})
	t.Run("Revoked", func(t *testing.T) {
		a := *d.guests[2]
		a.Revoked = true
		if err := st.UpdateAttendee(ctx, &a); err != nil {
			t.Fatal(err)
		}
		ans := d.scan(d.ticket(a.ID), "North", "revoked-0001", now)
		wantResult(t, ans, app.ResultRejected, app.ReasonRevoked)
		c, _ := st.CheckInByScanID(ctx, d.ev.ID, "revoked-0001")
		if ans.Attendee == nil || c.AttendeeID != a.ID || c.First {
			t.Fatalf("answer %+v, stored %+v", ans, c)
		}
	})
	t.Run("UploadedEarlierTakesFirst", func(t *testing.T) {
		g3 := d.ticket(d.guests[3].ID)
		wantResult(t, d.scan(g3, "Gate 5", "early-0001", now.Add(-time.Minute)), app.ResultCheckedIn, "")
		res, err := d.svc.CheckInBatch(ctx, d.checker, d.ev.Slug, []app.ScanInput{
			{Ticket: g3, Gate: "Gate 2", ScanID: "early-0002", ScannedAt: now.Add(-30 * time.Minute).Format(time.RFC3339)},
		})
		if err != nil {
			t.Fatal(err)
		}
		wantResult(t, &res[0], app.ResultCheckedIn, "")
		_, first, _ := st.ScanLookup(ctx, d.ev.ID, "", d.guests[3].ID)
		if first == nil || first.ScanID != "early-0002" || first.Source != app.SourceOfflineSync {
			t.Fatalf("first is %+v", first)
		}
		displaced, _ := st.CheckInByScanID(ctx, d.ev.ID, "early-0001")
		if displaced.First || displaced.Result != app.ResultCheckedIn {
			t.Fatalf("displaced scan: %+v", displaced)
		}
		ans := d.scan(g3, "Gate 7", "early-0003", now)
		if ans.Result != app.ResultAlreadyCheckedIn || ans.FirstGate != "Gate 2" {
			t.Fatalf("after the upload: %+v", ans)
		}
	})
	t.Run("EveryScanStored", func(t *testing.T) {
		stats, err := st.CheckInStats(ctx, d.ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int64{app.ResultCheckedIn: 3, app.ResultAlreadyCheckedIn: 2, app.ResultRejected: 6}
		for k, v := range want {
			if stats.Scans[k] != v {
				t.Errorf("scans %s: got %d, want %d (%v)", k, stats.Scans[k], v, stats.Scans)
			}
		}
		if stats.Rejected[app.ReasonInvalidTicket] != 4 || stats.Rejected[app.ReasonWrongEvent] != 1 || stats.Rejected[app.ReasonRevoked] != 1 {
			t.Errorf("rejected: %v", stats.Rejected)
		}
		if stats.CheckedIn != 2 || stats.Expected != 3 || stats.ByGate["North"] != 1 || stats.ByGate["Gate 2"] != 1 {
			t.Errorf("summary %+v", stats)
		}
		if rows := d.rows(); rows != 11 {
			t.Errorf("%d rows, want 11", rows)
		}
	})
	t.Run("Refused", func(t *testing.T) {
		before := d.rows()
		in := app.ScanInput{Ticket: g0, Gate: "North", ScanID: "refused-0001"}
		_, err := d.svc.CheckIn(ctx, app.Principal{}, d.ev.Slug, in)
		wantCode(t, err, app.EUnauthorized)
		other := newDoor(t, st, 0)
		_, err = d.svc.CheckIn(ctx, other.checker, d.ev.Slug, in)
		wantCode(t, err, app.EForbidden)
		_, err = d.svc.CheckIn(ctx, d.checker, "no-such-event", in)
		wantCode(t, err, app.ENotFound)
		for _, bad := range []app.ScanInput{
			{Ticket: g0, Gate: "", ScanID: "refused-0002"},
			{Ticket: g0, Gate: "N", ScanID: "short"},
			{Ticket: g0, Gate: "N", ScanID: "refused-0003", ScannedAt: now.Add(time.Hour).Format(time.RFC3339)},
			{Ticket: g0, Gate: "N", ScanID: "refused-0004", ScannedAt: now.Add(-8 * 24 * time.Hour).Format(time.RFC3339)},
			{Ticket: g0, Gate: "N", ScanID: "refused-0005", ScannedAt: "noon"},
		} {
			_, err = d.svc.CheckIn(ctx, d.checker, d.ev.Slug, bad)
			wantCode(t, err, app.EInvalid)
		}
		if after := d.rows(); after != before {
			t.Fatalf("refused scans wrote %d rows", after-before)
		}
	})
}

// TestConcurrentScans: one ticket scanned at 8 gates at once yields
// exactly one checked_in; one scan id sent 8 times at once is recorded
// once and answered alike.
func TestConcurrentScans(t *testing.T) {
	st := storagetest.Open(t)
	d := newDoor(t, st, 3)
	now := time.Now().UTC()
	for round, g := range d.guests[:2] {
		ticket := d.ticket(g.ID)
		answers := make([]*app.ScanAnswer, 8)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range answers {
			wg.Go(func() {
				<-start
				answers[i] = d.scan(ticket, fmt.Sprintf("gate-%d", i), fmt.Sprintf("conc-%d-%d", round, i), now.Add(-time.Duration(i)*time.Second))
			})
		}
		close(start)
		wg.Wait()
		counts := map[string]int{}
		for _, a := range answers {
			counts[a.Result]++
		}
		if counts[app.ResultCheckedIn] < 1 || counts[app.ResultCheckedIn]+counts[app.ResultAlreadyCheckedIn] != 8 {
			t.Fatalf("round %d: results %v", round, counts)
		}
		// Online scans answer checked_in only when nothing was known yet.
		if counts[app.ResultCheckedIn] != 1 {
			t.Fatalf("round %d: %d checked_in answers, want exactly 1", round, counts[app.ResultCheckedIn])
		}
		// The check-in is the scan answered checked_in, though others
		// carry earlier device times.
		var answered string
		for _, a := range answers {
			if a.Result == app.ResultCheckedIn {
				answered = a.ScanID
			}
		}
		_, first, err := st.ScanLookup(ctxT(t), d.ev.ID, "", g.ID)
		if err != nil || first == nil || first.ScanID != answered {
			t.Fatalf("round %d: first %+v %v, want %s (answered checked_in)", round, first, err, answered)
		}
	}
	t.Run("SameScanID", func(t *testing.T) {
		ticket := d.ticket(d.guests[2].ID)
		before := d.rows()
		answers := make([]*app.ScanAnswer, 8)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range answers {
			wg.Go(func() {
				<-start
				answers[i] = d.scan(ticket, "gate-x", "same-scan-id", now)
			})
		}
		close(start)
		wg.Wait()
		for _, a := range answers {
			if a.Result != app.ResultCheckedIn || a.ScanID != "same-scan-id" {
				t.Fatalf("answers differ: %+v", a)
			}
		}
		if n := d.rows() - before; n != 1 {
			t.Fatalf("%d rows for one scan id", n)
		}
	})
	t.Run("AttendancePublished", func(t *testing.T) {
		deadline := time.Now().Add(3 * time.Second)
		for {
			last, n := d.pub.last(d.ev.Slug)
			if last.CheckedIn == 3 && last.Expected == 3 {
				if n > 3 {
					t.Fatalf("%d attendance messages for 3 check-ins in bursts", n)
				}
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("last attendance %+v after %d messages, want 3 of 3", last, n)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

// guestScan is one scan of the order-independence test: guest index,
// whether it is uploaded offline, its scan id and device time.
type guestScan struct {
	guest   int
	offline bool
	in      app.ScanInput
}

// TestArrivalOrderIndependent uploads offline batches of the same guests
// in several random orders after the same online scans, each on a fresh
// event, and checks that the final state is the same whatever the order.
func TestArrivalOrderIndependent(t *testing.T) {
	st := storagetest.Open(t)
	now := time.Now().UTC().Truncate(time.Second)
	rng := rand.New(rand.NewPCG(5, 23))
	const guests = 6
	var plan []guestScan
	for i := range 30 {
		g := rng.IntN(guests - 1) // the last guest is never scanned
		at := now.Add(-time.Duration(rng.IntN(40)) * time.Minute)
		if i%7 == 0 && len(plan) > 0 {
			at, _ = time.Parse(time.RFC3339, plan[len(plan)-1].in.ScannedAt) // same time as another scan
		}
		plan = append(plan, guestScan{guest: g, offline: i%3 != 0,
			in: app.ScanInput{Gate: fmt.Sprintf("gate-%d", i%4), ScanID: fmt.Sprintf("order-%03d", i), ScannedAt: at.Format(time.RFC3339)}})
	}
	type final struct {
		first     [guests]string
		checkedIn int64
		byGate    map[string]int64
		rows      int64
	}
	var want *final
	for round := range 4 {
		d := newDoor(t, st, guests)
		// Online scans are decided as they arrive (the door was told), so
		// they come first, in plan order; the offline uploads that follow
		// may come in any order and any batches.
		var order []int
		for i := range plan {
			if !plan[i].offline {
				order = append(order, i)
			}
		}
		for _, i := range rng.Perm(len(plan)) {
			if plan[i].offline {
				order = append(order, i)
			}
		}
		var batch []app.ScanInput
		flush := func() {
			if len(batch) == 0 {
				return
			}
			if _, err := d.svc.CheckInBatch(ctxT(t), d.checker, d.ev.Slug, batch); err != nil {
				t.Fatal(err)
			}
			batch = nil
		}
		for _, i := range order {
			sc := plan[i]
			sc.in.Ticket = d.ticket(d.guests[sc.guest].ID)
			if sc.offline {
				batch = append(batch, sc.in)
				if len(batch) == 1+rng.IntN(5) {
					flush()
				}
				continue
			}
			if _, err := d.svc.CheckIn(ctxT(t), d.checker, d.ev.Slug, sc.in); err != nil {
				t.Fatal(err)
			}
		}
		flush()
		got := &final{}
		for g := range guests {
			_, first, err := st.ScanLookup(ctxT(t), d.ev.ID, "", d.guests[g].ID)
			if err != nil {
				t.Fatal(err)
			}
			if first != nil {
				got.first[g] = first.ScanID
			}
		}
		stats, err := st.CheckInStats(ctxT(t), d.ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		got.checkedIn, got.byGate = stats.CheckedIn, stats.ByGate
		for _, n := range stats.Scans {
			got.rows += n
		}
		if want == nil {
			want = got
			if got.checkedIn != guests-1 || got.first[guests-1] != "" || got.rows != int64(len(plan)) {
				t.Fatalf("round 0: %+v", got)
			}
			continue
		}
		if got.first != want.first || got.checkedIn != want.checkedIn || got.rows != want.rows || fmt.Sprint(got.byGate) != fmt.Sprint(want.byGate) {
			t.Fatalf("round %d differs:\n got %+v\nwant %+v", round, got, want)
		}
	}
}

func TestBatch(t *testing.T) {
	st := storagetest.Open(t)
	d := newDoor(t, st, 2)
	ctx := ctxT(t)
	now := time.Now().UTC()
	g0, g1 := d.ticket(d.guests[0].ID), d.ticket(d.guests[1].ID)
	t.Run("AnswersInOrder", func(t *testing.T) {
		res, err := d.svc.CheckInBatch(ctx, d.checker, d.ev.Slug, []app.ScanInput{
			{Ticket: g0, Gate: "K1", ScanID: "batch-0003", ScannedAt: now.Add(-time.Minute).Format(time.RFC3339)},
			{Ticket: g0, Gate: "K1", ScanID: "batch-0001", ScannedAt: now.Add(-2 * time.Minute).Format(time.RFC3339)},
			{Ticket: "HC1.nope", Gate: "K1", ScanID: "batch-0002", ScannedAt: now.Format(time.RFC3339)},
			{Ticket: g1, Gate: "K1", ScanID: "batch-0004"},
			{Ticket: g1, Gate: "K1", ScanID: "batch-0004"}, // the same scan twice in one upload
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{app.ResultAlreadyCheckedIn, app.ResultCheckedIn, app.ResultRejected, app.ResultCheckedIn, app.ResultCheckedIn}
		for i, r := range res {
			if r.Result != want[i] {
				t.Fatalf("answer %d: %+v, want %s", i, r, want[i])
			}
		}
		if res[0].ScanID != "batch-0003" || res[0].FirstGate != "K1" || d.rows() != 4 {
			t.Fatalf("answers %+v, rows %d", res, d.rows())
		}
	})
	t.Run("TooMany", func(t *testing.T) {
		in := make([]app.ScanInput, app.MaxBatchScans+1)
		for i := range in {
			in[i] = app.ScanInput{Ticket: g0, Gate: "K1", ScanID: fmt.Sprintf("many-%05d", i)}
		}
		_, err := d.svc.CheckInBatch(ctx, d.checker, d.ev.Slug, in)
		wantCode(t, err, app.ETooLarge)
	})
	t.Run("OneInvalidRefusesAll", func(t *testing.T) {
		before := d.rows()
		_, err := d.svc.CheckInBatch(ctx, d.checker, d.ev.Slug, []app.ScanInput{
			{Ticket: g1, Gate: "K1", ScanID: "invalid-0001"},
			{Ticket: g1, Gate: "K1", ScanID: "bad id"},
		})
		wantCode(t, err, app.EInvalid)
		details, _ := err.(*app.Error).Details.(app.ScanProblems)
		if len(details.Errors) != 1 || details.Errors[0].Index != 1 || details.Errors[0].Field != "scan_id" {
			t.Fatalf("details %+v", err.(*app.Error).Details)
		}
		if d.rows() != before {
			t.Fatal("an invalid batch wrote rows")
		}
	})
}

// TestScanQueryCount pins the cost of a scan: once the event's key is
// cached, a genuine ticket takes three statements (lock the attendee,
// look up the scan id and the first check-in, insert) in one transaction,
// a replay two, and a forged ticket one insert.
func TestScanQueryCount(t *testing.T) {
	st := storagetest.Open(t)
	d := newDoor(t, st, 3)
	now := time.Now().UTC()
	d.scan(d.ticket(d.guests[0].ID), "A", "warm-0001", now) // caches slug and key
	d.svc.StopAttendance()                                  // its recounts run beside the scans
	t1, t2 := d.ticket(d.guests[1].ID), d.ticket(d.guests[2].ID)
	forged, _ := app.ParseTicket(t2)
	forged.Sig[3] ^= 2
	for _, c := range []struct {
		name, ticket, scanID string
		want                 int64
		atMost               bool
	}{
		{"FirstCheckIn", t1, "count-0001", 2, false}, // the group's state, its insert
		{"AlreadyCheckedIn", t1, "count-0002", 2, false},
		// The group's insert skips the known scan id; alone: state, the
		// attendee and earlier scans for the answer.
		{"Replay", t1, "count-0002", 5, true},
		{"Forged", forged.String(), "count-0003", 1, false},
	} {
		before := st.QueryCount()
		d.scan(c.ticket, "A", c.scanID, now)
		got := st.QueryCount() - before
		if got > c.want || !c.atMost && got != c.want {
			t.Errorf("%s: %d statements, want %d", c.name, got, c.want)
		}
	}
}

// TestGroupedScans sends many scans of many guests at once, so that they
// are settled in groups (several scans of one guest in a group, repeats
// of a scan id, scans that move First), and checks the outcome is what
// scanning them one by one gives: per guest one checked_in answer, First
// on that scan, every scan stored once.
func TestGroupedScans(t *testing.T) {
	st := storagetest.Open(t)
	const guests, perGuest = 16, 4
	d := newDoor(t, st, guests)
	now := time.Now().UTC().Truncate(time.Millisecond)
	before := d.rows()
	type sent struct {
		guest int
		id    string
		ans   *app.ScanAnswer
	}
	var scans []*sent
	for g := range guests {
		for k := range perGuest {
			scans = append(scans, &sent{guest: g, id: fmt.Sprintf("grp-%02d-%d", g, k)})
		}
	}
	// Two repeats of a scan id already in the list.
	scans = append(scans, &sent{guest: 3, id: "grp-03-1"}, &sent{guest: 5, id: "grp-05-2"})
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, s := range scans {
		wg.Go(func() {
			<-start
			k := int(s.id[len(s.id)-1] - '0')
			// Later scan ids have earlier device times: arrivals out of order.
			s.ans = d.scan(d.ticket(d.guests[s.guest].ID), "gate", s.id, now.Add(-time.Duration(k)*time.Second))
		})
	}
	close(start)
	wg.Wait()
	if n := d.rows() - before; n != guests*perGuest {
		t.Fatalf("%d rows stored, want %d", n, guests*perGuest)
	}
	checkedIn := map[int]int{}
	answered := map[int]string{}
	answers := map[string]string{}
	for _, s := range scans {
		prev, repeat := answers[s.id]
		if repeat && prev != s.ans.Result {
			t.Errorf("scan id %s answered %s and %s", s.id, prev, s.ans.Result)
		}
		if !repeat && s.ans.Result == app.ResultCheckedIn {
			checkedIn[s.guest]++
			answered[s.guest] = s.id
		}
		answers[s.id] = s.ans.Result
	}
	for g := range guests {
		if checkedIn[g] != 1 {
			t.Errorf("guest %d: %d checked_in answers, want 1", g, checkedIn[g])
		}
		_, first, err := st.ScanLookup(ctxT(t), d.ev.ID, "", d.guests[g].ID)
		if err != nil || first == nil || first.ScanID != answered[g] {
			t.Errorf("guest %d: first %+v %v, want %s (the one answered checked_in)", g, first, err, answered[g])
		}
	}
}

// TestRecordMatchesDoor: two online scans of one ticket with equal
// scanned_at at two gates at once. Whichever is decided first answers
// checked_in; the export's gate (and the summary's) is that gate, never
// the one told "already checked in" — also when the later scan has the
// smaller scan id. Many guests at once, so that both orders occur.
func TestRecordMatchesDoor(t *testing.T) {
	st := storagetest.Open(t)
	const guests = 24
	d := newDoor(t, st, guests)
	at := time.Now().UTC().Add(-time.Minute).Truncate(time.Millisecond)
	type pair struct{ a, b *app.ScanAnswer }
	pairs := make([]pair, guests)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for g := range guests {
		ticket := d.ticket(d.guests[g].ID)
		wg.Go(func() {
			<-start
			pairs[g].a = d.scan(ticket, "Gate A", fmt.Sprintf("tie-%02d-a", g), at)
		})
		wg.Go(func() {
			<-start
			pairs[g].b = d.scan(ticket, "Gate B", fmt.Sprintf("tie-%02d-b", g), at)
		})
	}
	close(start)
	wg.Wait()
	told := map[string]string{} // attendee id → gate told checked_in
	for g, p := range pairs {
		id := d.guests[g].ID
		switch {
		case p.a.Result == app.ResultCheckedIn && p.b.Result == app.ResultAlreadyCheckedIn:
			told[id] = "Gate A"
			if p.b.FirstGate != "Gate A" {
				t.Errorf("guest %d: amber answer names %q, want Gate A", g, p.b.FirstGate)
			}
		case p.b.Result == app.ResultCheckedIn && p.a.Result == app.ResultAlreadyCheckedIn:
			told[id] = "Gate B"
			if p.a.FirstGate != "Gate B" {
				t.Errorf("guest %d: amber answer names %q, want Gate B", g, p.a.FirstGate)
			}
		default:
			t.Fatalf("guest %d: answers %s and %s, want one checked_in", g, p.a.Result, p.b.Result)
		}
	}
	data, err := d.svc.CheckInsCSV(ctxT(t), d.organizer, d.ev.Slug)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))).ReadAll()
	if err != nil || len(rows) != guests+1 {
		t.Fatalf("export: %v, %d rows", err, len(rows))
	}
	byGate := map[string]int64{}
	for _, row := range rows[1:] {
		if want := told[row[0]]; row[6] != want {
			t.Errorf("export names %q for %s, the door was told checked_in at %q", row[6], row[0], want)
		}
		// Milliseconds kept: the time is the one scanned, to the ms.
		got, err := time.Parse(time.RFC3339Nano, row[5])
		if err != nil || !got.Equal(at) || !strings.Contains(row[5], ".") {
			t.Errorf("first_scanned_at %q (%v), want %s with milliseconds", row[5], err, at.Format(app.ExportTimeLayout))
		}
		byGate[row[6]]++
	}
	stats, err := st.CheckInStats(ctxT(t), d.ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(stats.ByGate) != fmt.Sprint(byGate) {
		t.Errorf("summary by gate %v, export %v", stats.ByGate, byGate)
	}
}

// TestReusedScanID: a scan id sent again with the same ticket and gate is
// answered as stored; with another ticket or gate it is EConflict and
// nothing changes — online and in a batch, for genuine and rejected
// tickets alike.
func TestReusedScanID(t *testing.T) {
	st := storagetest.Open(t)
	d := newDoor(t, st, 3)
	ctx := ctxT(t)
	now := time.Now().UTC().Add(-time.Minute)
	g0, g1 := d.ticket(d.guests[0].ID), d.ticket(d.guests[1].ID)
	green := d.scan(g0, "North", "reuse-0001", now)
	wantResult(t, green, app.ResultCheckedIn, "")
	amber := d.scan(g0, "South", "reuse-0002", now.Add(time.Second))
	wantResult(t, amber, app.ResultAlreadyCheckedIn, "")
	red := d.scan("HC1.garbage", "North", "reuse-0003", now)
	wantResult(t, red, app.ResultRejected, app.ReasonInvalidTicket)

	t.Run("SameScanAnsweredAsStored", func(t *testing.T) {
		before := d.rows()
		for _, c := range []struct {
			ticket, gate, id string
			want             *app.ScanAnswer
		}{{g0, "North", "reuse-0001", green}, {g0, "South", "reuse-0002", amber}, {"HC1.garbage", "North", "reuse-0003", red}} {
			got := d.scan(c.ticket, c.gate, c.id, now.Add(2*time.Minute)) // another device time does not matter
			a, _ := json.Marshal(got)
			b, _ := json.Marshal(c.want)
			if !bytes.Equal(a, b) {
				t.Errorf("replay of %s:\n got %s\nwant %s", c.id, a, b)
			}
		}
		if n := d.rows() - before; n != 0 {
			t.Fatalf("replays wrote %d rows", n)
		}
	})
	t.Run("OtherTicketOrGate", func(t *testing.T) {
		before := d.rows()
		statsBefore, _ := st.CheckInStats(ctx, d.ev.ID)
		for _, in := range []app.ScanInput{
			{Ticket: g1, Gate: "North", ScanID: "reuse-0001"},            // another guest's ticket
			{Ticket: "HC1.garbage", Gate: "North", ScanID: "reuse-0001"}, // garbage under a green scan id
			{Ticket: g0, Gate: "East", ScanID: "reuse-0001"},             // another gate
			{Ticket: g1, Gate: "South", ScanID: "reuse-0002"},
			{Ticket: g0, Gate: "North", ScanID: "reuse-0003"}, // a genuine ticket under a rejected scan id
		} {
			_, err := d.svc.CheckIn(ctx, d.checker, d.ev.Slug, in)
			wantCode(t, err, app.EConflict)
			_, err = d.svc.CheckInBatch(ctx, d.checker, d.ev.Slug, []app.ScanInput{
				{Ticket: g1, Gate: "K1", ScanID: "reuse-batch-1"}, in})
			wantCode(t, err, app.EConflict)
		}
		// One scan id twice in one batch for two tickets.
		_, err := d.svc.CheckInBatch(ctx, d.checker, d.ev.Slug, []app.ScanInput{
			{Ticket: g1, Gate: "K1", ScanID: "reuse-batch-2"}, {Ticket: g0, Gate: "K1", ScanID: "reuse-batch-2"}})
		wantCode(t, err, app.EConflict)
		if n := d.rows() - before; n != 0 {
			t.Fatalf("refused scans wrote %d rows", n)
		}
		statsAfter, _ := st.CheckInStats(ctx, d.ev.ID)
		if fmt.Sprint(statsAfter) != fmt.Sprint(statsBefore) {
			t.Fatalf("stats changed: %+v → %+v", statsBefore, statsAfter)
		}
	})
}
