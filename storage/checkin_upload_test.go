package storage_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/storage"
	"github.com/hybridcon/hybridcon/storage/storagetest"
)

// TestUploadAsSet: a full upload is decided in a handful of statements
// whatever its size, answers as one-at-a-time recording would (a guest
// scanned twice: green then amber naming the first; an earlier offline
// scan displacing an online check-in; revoked, forged), and sent again
// answers identically and writes nothing.
func TestUploadAsSet(t *testing.T) {
	st := storagetest.Open(t)
	const guests = 600
	d := newDoor(t, st, guests)
	ctx := ctxT(t)
	now := time.Now().UTC().Truncate(time.Millisecond)
	// Guest 0 checked in online a minute ago; guest 1 is revoked.
	wantResult(t, d.scan(d.ticket(d.guests[0].ID), "North", "online-0001", now.Add(-time.Minute)), app.ResultCheckedIn, "")
	rev := *d.guests[1]
	rev.Revoked = true
	if err := st.UpdateAttendee(ctx, &rev); err != nil {
		t.Fatal(err)
	}
	forged, _ := app.ParseTicket(d.ticket(d.guests[2].ID))
	forged.Sig[5] ^= 1

	var in []app.ScanInput
	add := func(ticket string, at time.Time) int {
		in = append(in, app.ScanInput{Ticket: ticket, Gate: "kiosk 9", ScanID: fmt.Sprintf("set-%04d", len(in)), ScannedAt: at.Format(time.RFC3339Nano)})
		return len(in) - 1
	}
	iLater := add(d.ticket(d.guests[3].ID), now.Add(-10*time.Minute)) // guest 3 twice: this one later …
	iEarly := add(d.ticket(d.guests[3].ID), now.Add(-20*time.Minute)) // … and this one first
	iDisplace := add(d.ticket(d.guests[0].ID), now.Add(-30*time.Minute))
	iRevoked := add(d.ticket(d.guests[1].ID), now.Add(-5*time.Minute))
	iForged := add(forged.String(), now.Add(-5*time.Minute))
	for g := 4; len(in) < app.MaxBatchScans; g++ {
		add(d.ticket(d.guests[g%guests].ID), now.Add(-time.Duration(g)*time.Second))
	}
	iRepeat := len(in) - 1
	in[iRepeat] = in[iRepeat-1] // the same scan twice in one upload

	before := d.rows()
	q0 := st.QueryCount()
	out, err := d.svc.CheckInBatch(ctx, d.checker, d.ev.Slug, in)
	if err != nil {
		t.Fatal(err)
	}
	if n := st.QueryCount() - q0; n > 8 {
		t.Errorf("a 1,000-scan upload took %d statements, want at most 8", n)
	}
	if n := d.rows() - before; n != app.MaxBatchScans-1 {
		t.Errorf("%d rows for %d distinct scans", n, app.MaxBatchScans-1)
	}
	wantResult(t, &out[iEarly], app.ResultCheckedIn, "")
	wantResult(t, &out[iLater], app.ResultAlreadyCheckedIn, "")
	if out[iLater].FirstGate != "kiosk 9" || !out[iLater].FirstScannedAt.Equal(now.Add(-20*time.Minute)) {
		t.Errorf("amber answer names %v at %s, want the upload's earlier scan", out[iLater].FirstScannedAt, out[iLater].FirstGate)
	}
	wantResult(t, &out[iDisplace], app.ResultCheckedIn, "")
	wantResult(t, &out[iRevoked], app.ResultRejected, app.ReasonRevoked)
	wantResult(t, &out[iForged], app.ResultRejected, app.ReasonInvalidTicket)
	if out[iRepeat] != out[iRepeat-1] {
		t.Errorf("the same scan twice answered %+v and %+v", out[iRepeat], out[iRepeat-1])
	}
	_, first, _ := st.ScanLookup(ctx, d.ev.ID, "", d.guests[0].ID)
	if first == nil || first.ScanID != in[iDisplace].ScanID {
		t.Errorf("guest 0's check-in is %+v, want the earlier offline scan", first)
	}
	if old, _ := st.CheckInByScanID(ctx, d.ev.ID, "online-0001"); old.First || old.Result != app.ResultCheckedIn {
		t.Errorf("displaced scan %+v, want kept as checked_in without First", old)
	}
	stats, _ := st.CheckInStats(ctx, d.ev.ID)
	if stats.CheckedIn != guests-1 { // every guest but the revoked one (guest 2's genuine ticket comes round again)
		t.Errorf("checked in %d, want %d", stats.CheckedIn, guests-1)
	}

	// Sent again (the kiosk lost the answer): the same answers, no writes,
	// still a handful of statements.
	before = d.rows()
	q0 = st.QueryCount()
	again, err := d.svc.CheckInBatch(ctx, d.checker, d.ev.Slug, in)
	if err != nil {
		t.Fatal(err)
	}
	if n := st.QueryCount() - q0; n > 6 {
		t.Errorf("replaying a 1,000-scan upload took %d statements, want at most 6", n)
	}
	a, _ := json.Marshal(out)
	b, _ := json.Marshal(again)
	if string(a) != string(b) {
		t.Errorf("the replayed upload answered differently")
	}
	if d.rows() != before {
		t.Errorf("the replayed upload wrote %d rows", d.rows()-before)
	}
	// And one scan of it online: the stored answer too.
	ans := d.scan(in[iLater].Ticket, "kiosk 9", in[iLater].ScanID, now)
	if x, _ := json.Marshal(ans); string(x) != func() string { y, _ := json.Marshal(out[iLater]); return string(y) }() {
		t.Errorf("online replay %s, want %s", x, func() string { y, _ := json.Marshal(out[iLater]); return string(y) }())
	}
}

// TestUploadRacesOnlineScans: uploads with earlier scans of the same
// guests arrive while gates scan them online. However they interleave,
// each guest ends with one check-in, the earliest offline scan (it was
// the door's first "yes"); every online checked_in answer was, at the
// time, the guest's check-in; every scan is stored once.
func TestUploadRacesOnlineScans(t *testing.T) {
	st := storagetest.Open(t)
	const guests = 120
	d := newDoor(t, st, guests)
	now := time.Now().UTC().Truncate(time.Millisecond)
	tickets := make([]string, guests)
	for g := range guests {
		tickets[g] = d.ticket(d.guests[g].ID)
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for k := range 3 { // three kiosks upload, each every guest, at different past times
		wg.Go(func() {
			<-start
			in := make([]app.ScanInput, guests)
			for g := range guests {
				in[g] = app.ScanInput{Ticket: tickets[g], Gate: fmt.Sprintf("kiosk %d", k), ScanID: fmt.Sprintf("race-k%d-%03d", k, g),
					ScannedAt: now.Add(-time.Duration(10+k) * time.Minute).Format(time.RFC3339Nano)}
			}
			if _, err := d.svc.CheckInBatch(ctxT(t), d.checker, d.ev.Slug, in); err != nil {
				t.Errorf("kiosk %d: %v", k, err)
			}
		})
	}
	for gate := range 4 {
		wg.Go(func() {
			<-start
			for g := range guests {
				ans, err := d.svc.CheckIn(ctxT(t), d.checker, d.ev.Slug, app.ScanInput{Ticket: tickets[g], Gate: fmt.Sprintf("gate %d", gate),
					ScanID: fmt.Sprintf("race-g%d-%03d", gate, g)})
				if err != nil {
					t.Errorf("gate %d guest %d: %v", gate, g, err)
				} else if ans.Result == app.ResultRejected {
					t.Errorf("gate %d guest %d: %+v", gate, g, ans)
				}
			}
		})
	}
	close(start)
	wg.Wait()
	if n, want := d.rows(), int64(guests*(3+4)); n != want {
		t.Fatalf("%d rows, want %d", n, want)
	}
	for g := range guests {
		_, first, err := st.ScanLookup(ctxT(t), d.ev.ID, "", d.guests[g].ID)
		if err != nil || first == nil || first.ScanID != fmt.Sprintf("race-k2-%03d", g) {
			t.Fatalf("guest %d: check-in %+v %v, want kiosk 2's scan (the earliest)", g, first, err)
		}
	}
}

// TestMigrateCheckInDigests: a check-in recorded by a binary of schema 8
// (no ticket digest, no named first) is still answered as stored when its
// scan id comes again with its ticket and gate, online and in an upload,
// and is 409 with another attendee's ticket or another gate.
func TestMigrateCheckInDigests(t *testing.T) {
	o := storagetest.NewOptions(t)
	o.NoMigrate = true
	ctx := ctxT(t)
	st, err := storage.Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.MigrateToForTest(ctx, 8); err != nil {
		t.Fatal(err)
	}
	d := newDoor(t, st, 2)
	if err := insertCheckIn(t, st, d.ev.ID, d.guests[0].ID, "legacy-0001", true); err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	c, err := st.CheckInByScanID(ctx, d.ev.ID, "legacy-0001")
	if err != nil || c.TicketDigest != "" || c.AnsweredFirstID != 0 || !c.First {
		t.Fatalf("migrated row %+v %v", c, err)
	}
	g0, g1 := d.ticket(d.guests[0].ID), d.ticket(d.guests[1].ID)
	before := d.rows()
	ans := d.scan(g0, "A", "legacy-0001", time.Now())
	wantResult(t, ans, app.ResultCheckedIn, "")
	if ans.Attendee == nil || ans.Attendee.ID != d.guests[0].ID {
		t.Fatalf("replay of the legacy scan: %+v", ans)
	}
	out, err := d.svc.CheckInBatch(ctx, d.checker, d.ev.Slug, []app.ScanInput{{Ticket: g0, Gate: "A", ScanID: "legacy-0001"}})
	if err != nil || len(out) != 1 || out[0].Result != app.ResultCheckedIn {
		t.Fatalf("upload replay of the legacy scan: %+v %v", out, err)
	}
	for _, in := range []app.ScanInput{{Ticket: g1, Gate: "A", ScanID: "legacy-0001"}, {Ticket: g0, Gate: "B", ScanID: "legacy-0001"}} {
		_, err := d.svc.CheckIn(ctx, d.checker, d.ev.Slug, in)
		wantCode(t, err, app.EConflict)
		_, err = d.svc.CheckInBatch(ctx, d.checker, d.ev.Slug, []app.ScanInput{in})
		wantCode(t, err, app.EConflict)
	}
	if n := d.rows() - before; n != 0 {
		t.Fatalf("replays and refusals wrote %d rows", n)
	}
	// A new scan of the guest names the legacy one.
	ans = d.scan(g0, "B", "legacy-0002", time.Now())
	wantResult(t, ans, app.ResultAlreadyCheckedIn, "")
	if ans.FirstGate != "A" {
		t.Fatalf("amber answer names gate %q, want A", ans.FirstGate)
	}
}
