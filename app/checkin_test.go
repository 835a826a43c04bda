package app

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var scanNow = time.Date(2021, 4, 23, 1, 30, 0, 0, time.UTC)

func TestValidateScan(t *testing.T) {
	ok := ScanInput{Ticket: "HC1.x", Gate: "A", ScanID: "kiosk-1:0001", ScannedAt: "2021-04-23T09:29:00+08:00"}
	t.Run("OK", func(t *testing.T) {
		sc, field, msg := validateScan(ok, SourceOnline, scanNow)
		if field != "" {
			t.Fatalf("%s %s", field, msg)
		}
		if want := scanNow.Add(-time.Minute); !sc.scannedAt.Equal(want) || sc.scannedAt.Location() != time.UTC {
			t.Fatalf("scannedAt %v, want %v in UTC", sc.scannedAt, want)
		}
		if sc.source != SourceOnline || sc.gate != "A" || sc.scanID != ok.ScanID {
			t.Fatalf("got %+v", sc)
		}
	})
	t.Run("MissingTimeIsNow", func(t *testing.T) {
		in := ok
		in.ScannedAt = ""
		sc, field, _ := validateScan(in, SourceOnline, scanNow)
		if field != "" || !sc.scannedAt.Equal(scanNow) {
			t.Fatalf("got %v %q", sc.scannedAt, field)
		}
	})
	t.Run("TruncatedToMicroseconds", func(t *testing.T) {
		in := ok
		in.ScannedAt = "2021-04-23T01:29:00.123456789Z"
		sc, _, _ := validateScan(in, SourceOnline, scanNow)
		if sc.scannedAt.Nanosecond() != 123456000 {
			t.Fatalf("got %v", sc.scannedAt)
		}
	})
	t.Run("Limits", func(t *testing.T) {
		for _, c := range []struct {
			field string
			edit  func(*ScanInput)
			bad   bool
		}{
			{"ticket", func(in *ScanInput) { in.Ticket = "  " }, true},
			{"gate", func(in *ScanInput) { in.Gate = "" }, true},
			{"gate", func(in *ScanInput) { in.Gate = strings.Repeat("门", 64) }, false},
			{"gate", func(in *ScanInput) { in.Gate = strings.Repeat("门", 65) }, true},
			{"gate", func(in *ScanInput) { in.Gate = "A\x00" }, true},
			{"scan_id", func(in *ScanInput) { in.ScanID = "1234567" }, true},
			{"scan_id", func(in *ScanInput) { in.ScanID = "12345678" }, false},
			{"scan_id", func(in *ScanInput) { in.ScanID = strings.Repeat("a", 128) }, false},
			{"scan_id", func(in *ScanInput) { in.ScanID = strings.Repeat("a", 129) }, true},
			{"scan_id", func(in *ScanInput) { in.ScanID = "kiosk 1:0001" }, true},
			{"scan_id", func(in *ScanInput) { in.ScanID = "kiosk/1:0001" }, true},
			{"scan_id", func(in *ScanInput) { in.ScanID = "Az09_.:-Az09" }, false},
			{"scanned_at", func(in *ScanInput) { in.ScannedAt = "2021-04-23 09:29:00" }, true},
			{"scanned_at", func(in *ScanInput) { in.ScannedAt = "yesterday" }, true},
			{"scanned_at", func(in *ScanInput) { in.ScannedAt = scanNow.Add(5 * time.Minute).Format(time.RFC3339) }, false},
			{"scanned_at", func(in *ScanInput) { in.ScannedAt = scanNow.Add(5*time.Minute + time.Second).Format(time.RFC3339) }, true},
			{"scanned_at", func(in *ScanInput) { in.ScannedAt = scanNow.Add(-MaxScanAge).Format(time.RFC3339) }, false},
			{"scanned_at", func(in *ScanInput) { in.ScannedAt = scanNow.Add(-MaxScanAge - time.Second).Format(time.RFC3339) }, true},
		} {
			in := ok
			c.edit(&in)
			_, field, msg := validateScan(in, SourceOnline, scanNow)
			switch {
			case c.bad && field != c.field:
				t.Errorf("%+v: got field %q (%s), want %q", in, field, msg, c.field)
			case !c.bad && field != "":
				t.Errorf("%+v: refused: %s %s", in, field, msg)
			}
		}
	})
}

func ci(id int64, at time.Time, scanID, gate, result string) CheckIn {
	return CheckIn{ID: id, ScannedAt: at, ScanID: scanID, Gate: gate, Result: result}
}

func TestDecideScan(t *testing.T) {
	first := ci(1, scanNow, "scan-0005", "A", ResultCheckedIn)
	cases := []struct {
		name      string
		first     *CheckIn
		at        time.Time
		scanID    string
		source    string
		result    string
		takeFirst bool
	}{
		{"FirstOnline", nil, scanNow, "scan-0009", SourceOnline, ResultCheckedIn, true},
		{"FirstOffline", nil, scanNow, "scan-0009", SourceOfflineSync, ResultCheckedIn, true},
		{"LaterOnline", &first, scanNow.Add(time.Minute), "scan-0009", SourceOnline, ResultAlreadyCheckedIn, false},
		{"LaterOffline", &first, scanNow.Add(time.Minute), "scan-0009", SourceOfflineSync, ResultAlreadyCheckedIn, false},
		{"EarlierOffline", &first, scanNow.Add(-time.Minute), "scan-0009", SourceOfflineSync, ResultCheckedIn, true},
		// An online scan told "already checked in" never becomes the
		// check-in, whatever its device time says.
		{"EarlierOnline", &first, scanNow.Add(-time.Minute), "scan-0009", SourceOnline, ResultAlreadyCheckedIn, false},
		{"SameTimeOnlineSmallerScanID", &first, scanNow, "scan-0001", SourceOnline, ResultAlreadyCheckedIn, false},
		{"SameTimeSmallerScanID", &first, scanNow, "scan-0001", SourceOfflineSync, ResultCheckedIn, true},
		{"SameTimeLargerScanID", &first, scanNow, "scan-0009", SourceOfflineSync, ResultAlreadyCheckedIn, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			result, take := decideScan(c.first, c.at, c.scanID, c.source)
			if result != c.result || take != c.takeFirst {
				t.Fatalf("got %s/%v, want %s/%v", result, take, c.result, c.takeFirst)
			}
		})
	}
}

func TestEarliest(t *testing.T) {
	if earliest(nil) != nil {
		t.Fatal("earliest of nothing")
	}
	scans := []CheckIn{
		ci(1, scanNow, "scan-0003", "A", ResultCheckedIn),
		ci(2, scanNow.Add(-time.Hour), "scan-0002", "B", ResultRejected),
		ci(3, scanNow, "scan-0001", "C", ResultAlreadyCheckedIn),
		ci(4, scanNow.Add(time.Second), "scan-0000", "D", ResultAlreadyCheckedIn),
	}
	if got := earliest(scans); got == nil || got.Gate != "C" {
		t.Fatalf("got %+v, want the scan at gate C", got)
	}
}

// TestDecideOrderIndependent replays one set of offline scans in many
// orders through decideScan, as uploads apply it, and checks that the
// scan holding First at the end is always the same; then that online
// scans mixed in never take First once it is held.
func TestDecideOrderIndependent(t *testing.T) {
	var scans []CheckIn
	for i := range 12 {
		c := ci(0, scanNow.Add(time.Duration(i%5)*time.Minute), fmt.Sprintf("scan-%04d", 11-i), fmt.Sprint("gate-", i), "")
		c.Source = SourceOfflineSync
		scans = append(scans, c)
	}
	want := ""
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 50 {
		rng.Shuffle(len(scans), func(i, j int) { scans[i], scans[j] = scans[j], scans[i] })
		var first *CheckIn
		checkedIn := 0
		for i := range scans {
			result, take := decideScan(first, scans[i].ScannedAt, scans[i].ScanID, scans[i].Source)
			if result == ResultCheckedIn {
				checkedIn++
			}
			if take {
				first = &scans[i]
			}
		}
		if checkedIn < 1 {
			t.Fatalf("round %d: no checked_in answer", round)
		}
		if want == "" {
			want = first.ScanID
		}
		if first.ScanID != want {
			t.Fatalf("round %d: first is %s, want %s", round, first.ScanID, want)
		}
	}
	if want != "scan-0001" { // earliest time (i%5 == 0: i = 0, 5, 10), then smallest id (i = 10)
		t.Fatalf("first is %s, want scan-0001", want)
	}

	t.Run("OnlineNeverDisplaces", func(t *testing.T) {
		for round := range 50 {
			var first *CheckIn
			for i := range scans {
				scans[i].Source = []string{SourceOnline, SourceOfflineSync}[rng.IntN(2)]
			}
			rng.Shuffle(len(scans), func(i, j int) { scans[i], scans[j] = scans[j], scans[i] })
			for i := range scans {
				result, take := decideScan(first, scans[i].ScannedAt, scans[i].ScanID, scans[i].Source)
				if take != (result == ResultCheckedIn) {
					t.Fatalf("round %d: %s answered %s but takes First: %v", round, scans[i].ScanID, result, take)
				}
				if first != nil && take && scans[i].Source == SourceOnline {
					t.Fatalf("round %d: online scan %s displaced %s", round, scans[i].ScanID, first.ScanID)
				}
				if take {
					first = &scans[i]
				}
			}
		}
	})
}

func TestSameScan(t *testing.T) {
	stored := CheckIn{ScanID: "scan-0001", Gate: "North", AttendeeID: "att1", TicketDigest: ticketDigest("HC1.x")}
	legacy := stored
	legacy.TicketDigest = ""
	for _, c := range []struct {
		name                 string
		stored               CheckIn
		gate, digest, attend string
		conflict             bool
	}{
		{"Same", stored, "North", ticketDigest("HC1.x"), "att1", false},
		{"OtherTicket", stored, "North", ticketDigest("HC1.y"), "att1", true},
		{"OtherGate", stored, "South", ticketDigest("HC1.x"), "att1", true},
		{"LegacySameAttendee", legacy, "North", ticketDigest("HC1.z"), "att1", false},
		{"LegacyOtherAttendee", legacy, "North", ticketDigest("HC1.z"), "att2", true},
		{"LegacyOtherGate", legacy, "South", ticketDigest("HC1.z"), "att1", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := sameScan(&c.stored, c.gate, c.digest, c.attend)
			if got := ErrorCode(err) == EConflict; got != c.conflict {
				t.Fatalf("conflict %v (%v), want %v", got, err, c.conflict)
			}
		})
	}
}

func TestCoalescer(t *testing.T) {
	const every = 40 * time.Millisecond
	t.Run("RateAndTrailingUpdate", func(t *testing.T) {
		var runs atomic.Int64
		var mu sync.Mutex
		var starts []time.Time
		var value, seen atomic.Int64
		c := newCoalescer(every, func(ctx context.Context, key string) {
			mu.Lock()
			starts = append(starts, time.Now())
			mu.Unlock()
			seen.Store(value.Load())
			time.Sleep(5 * time.Millisecond) // a recount takes a while
			runs.Add(1)
		})
		defer c.Stop()
		begin := time.Now()
		for i := 1; i <= 400; i++ {
			value.Store(int64(i))
			c.Notify("ev")
			time.Sleep(time.Millisecond / 2)
		}
		elapsed := time.Since(begin)
		time.Sleep(3 * every)
		if got := seen.Load(); got != 400 {
			t.Fatalf("last run saw %d, want the final value 400", got)
		}
		n := runs.Load()
		if limit := int64(elapsed/every) + 2; n > limit || n < 2 {
			t.Fatalf("%d runs in %v, want 2..%d", n, elapsed, limit)
		}
		mu.Lock()
		defer mu.Unlock()
		for i := 1; i < len(starts); i++ {
			// Runs are timed from when they start; allow for the
			// scheduling delay between that and this record of it.
			if gap := starts[i].Sub(starts[i-1]); gap < every*3/4 {
				t.Fatalf("runs %d and %d only %v apart", i-1, i, gap)
			}
		}
	})
	t.Run("KeysIndependent", func(t *testing.T) {
		var mu sync.Mutex
		got := map[string]int{}
		c := newCoalescer(time.Hour, func(ctx context.Context, key string) {
			mu.Lock()
			got[key]++
			mu.Unlock()
		})
		defer c.Stop()
		c.Notify("a")
		c.Notify("b")
		deadline := time.Now().Add(2 * time.Second)
		for {
			mu.Lock()
			done := got["a"] == 1 && got["b"] == 1
			mu.Unlock()
			if done {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("runs: %v, want one per key at once", got)
			}
			time.Sleep(time.Millisecond)
		}
	})
	t.Run("StopLeavesNoGoroutines", func(t *testing.T) {
		before := runtime.NumGoroutine()
		var runsA, runsB atomic.Int64
		started := make(chan struct{}, 1)
		c := newCoalescer(time.Hour, func(ctx context.Context, key string) {
			if key == "b" {
				runsB.Add(1)
				return
			}
			runsA.Add(1)
			select {
			case started <- struct{}{}:
			default:
			}
			<-ctx.Done() // a recount blocked on the database until cancelled
		})
		c.Notify("b") // runs at once
		for runsB.Load() == 0 {
			time.Sleep(time.Millisecond)
		}
		c.Notify("b") // scheduled in an hour: must not outlive Stop
		c.Notify("a")
		<-started
		c.Notify("a") // trailing update wanted, but Stop comes first
		stopped := make(chan struct{})
		go func() { c.Stop(); close(stopped) }()
		select {
		case <-stopped:
		case <-time.After(2 * time.Second):
			t.Fatal("Stop did not cancel the running recount")
		}
		c.Notify("a")
		c.Stop() // idempotent
		time.Sleep(20 * time.Millisecond)
		if a, b := runsA.Load(), runsB.Load(); a != 1 || b != 1 {
			t.Fatalf("runs: a %d, b %d; want 1 each", a, b)
		}
		deadline := time.Now().Add(2 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				t.Fatalf("goroutines: %d before, %d after Stop", before, runtime.NumGoroutine())
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
}

func TestAttendeeProblems(t *testing.T) {
	a := &Attendee{Name: "Kovács Éva", Email: "Eva.Kovacs@Example.HU", Category: "Official"}
	if p := attendeeProblems(a); len(p) != 0 {
		t.Fatalf("problems %v", p)
	}
	if a.Email != "eva.kovacs@example.hu" || a.Category != "official" {
		t.Fatalf("not normalized: %+v", a)
	}
	b := &Attendee{Name: "王伟"}
	if p := attendeeProblems(b); len(p) != 0 || b.Category != DefaultCategory {
		t.Fatalf("problems %v, category %q", p, b.Category)
	}
	for col, a := range map[string]*Attendee{
		"name":         {Name: ""},
		"organization": {Name: "x", Organization: strings.Repeat("组", 201)},
		"email":        {Name: "x", Email: "no-at-sign"},
		"external_id":  {Name: "x", ExternalID: "../etc"},
		"category":     {Name: "x", Category: "VIP guest"},
		"country":      {Name: "x", Country: "H\nU"},
	} {
		if p := attendeeProblems(a); p[col] == "" {
			t.Errorf("%s: no problem reported for %+v (got %v)", col, a, p)
		}
	}
}

func TestAttendeeMatches(t *testing.T) {
	a := &Attendee{Name: "Kovács Éva", Organization: "重庆大学 (sample)"}
	for q, want := range map[string]bool{"éva": true, "kovács": true, "重庆": true, "sample": true, "eva": false, "北京": false} {
		if got := AttendeeMatches(a, q); got != want {
			t.Errorf("AttendeeMatches(%q) = %v, want %v", q, got, want)
		}
	}
}

func TestAttendeeRows(t *testing.T) {
	parse := func(t *testing.T, csv string) ([]Attendee, *csvTable, *rowErrors) {
		t.Helper()
		tab, err := readCSV([]byte(csv), AttendeeColumns, []string{"name"}, MaxImportRows)
		if err != nil {
			t.Fatalf("readCSV: %v", err)
		}
		rows, errs := parseAttendeeRows(tab, 7)
		return rows, tab, errs
	}
	t.Run("BOMAndNamesIntact", func(t *testing.T) {
		rows, _, errs := parse(t, "\xef\xbb\xbfname,organization,email,external_id,category\n"+
			"王伟,重庆大学,wang.wei@example.org,,Official\n"+
			"Szűcs Örs,Pannon Kft.,,R-17,\n")
		if len(errs.list) != 0 {
			t.Fatalf("errors %v", errs.list)
		}
		if rows[0].Name != "王伟" || rows[0].Organization != "重庆大学" || rows[0].Category != "official" || rows[0].EventID != 7 {
			t.Fatalf("row 2: %+v", rows[0])
		}
		if rows[1].Name != "Szűcs Örs" || rows[1].ExternalID != "R-17" || rows[1].Category != DefaultCategory {
			t.Fatalf("row 3: %+v", rows[1])
		}
	})
	t.Run("RowErrors", func(t *testing.T) {
		_, _, errs := parse(t, "name,email,external_id\n"+
			",a@example.org,\n"+ // row 2: no name
			"B,b@example.org,\n"+
			"C,B@example.org,\n"+ // row 4: same e-mail as row 3
			"D,,\n"+ // row 5: no key
			"E,,X-1\n"+
			"F,,X-1\n") // row 7: same external id as row 6
		want := []RowError{{2, "name", ""}, {4, "email", ""}, {5, "email", ""}, {7, "external_id", ""}}
		if len(errs.list) != len(want) {
			t.Fatalf("errors %v, want rows/columns %v", errs.list, want)
		}
		for i, w := range want {
			if errs.list[i].Row != w.Row || errs.list[i].Column != w.Column || errs.list[i].Message == "" {
				t.Errorf("error %d: got %+v, want row %d column %s", i, errs.list[i], w.Row, w.Column)
			}
		}
	})
	t.Run("Matching", func(t *testing.T) {
		existing := []Attendee{
			{ID: "a1", Name: "Old Name", Email: "a@example.org", Category: "guest"},
			{ID: "a2", Name: "Two", ExternalID: "X-2", Email: "two@example.org", Category: "guest"},
			{ID: "a3", Name: "Three", Email: "three@example.org", Category: "press"},
		}
		rows, tab, errs := parse(t, "name,email,external_id\n"+
			"New Name,a@example.org,\n"+ // by e-mail, changed name (category absent: kept)
			"Two,two@example.org,X-2\n"+ // by external id, unchanged
			"Fresh,fresh@example.org,X-9\n") // new
		if len(errs.list) != 0 {
			t.Fatal(errs.list)
		}
		plan, merr := matchAttendees(tab, rows, existing)
		if len(merr.list) != 0 {
			t.Fatal(merr.list)
		}
		if plan[0].old == nil || plan[0].old.ID != "a1" || !plan[0].changed || plan[0].merged.Name != "New Name" || plan[0].merged.Category != "guest" {
			t.Errorf("row 2: %+v", plan[0])
		}
		if plan[1].old == nil || plan[1].old.ID != "a2" || plan[1].changed {
			t.Errorf("row 3: %+v", plan[1])
		}
		if plan[2].old != nil {
			t.Errorf("row 4: %+v", plan[2])
		}
		rows, tab, _ = parse(t, "name,email,external_id\n"+
			"X,two@example.org,X-7\n"+ // e-mail of a2, who has another external id
			"Y,three@example.org,X-2\n") // external id of a2, e-mail of a3
		_, merr = matchAttendees(tab, rows, existing)
		if len(merr.list) != 2 || merr.list[0].Row != 2 || merr.list[1].Row != 3 {
			t.Fatalf("errors %v, want rows 2 and 3", merr.list)
		}
	})
}

func TestSafeCell(t *testing.T) {
	for in, want := range map[string]string{"=1+1": "'=1+1", "+36 1": "'+36 1", "@SUM": "'@SUM", "-A": "'-A", "王伟": "王伟", "": "", "Gate 1": "Gate 1"} {
		if got := SafeCell(in); got != want {
			t.Errorf("SafeCell(%q) = %q, want %q", in, got, want)
		}
	}
}
