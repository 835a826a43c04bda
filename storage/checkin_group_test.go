package storage_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/storage"
	"github.com/hybridcon/hybridcon/storage/storagetest"
)

// faultyStore is a real store whose group statements can be made to fail
// as a database that is down does, or to wait; it counts the group reads
// (ScanStates) and the reads of scans decided alone (ScanState).
type faultyStore struct {
	*storage.Store
	down    atomic.Bool
	mu      sync.Mutex
	block   chan struct{} // ScanStates waits on it while set
	entered atomic.Int64  // ScanStates calls that waited
	groups  atomic.Int64
	alone   atomic.Int64
}

var errDown = &app.Error{Code: app.EUnavailable, Message: "database unavailable"}

func (f *faultyStore) ScanStates(ctx context.Context, ids []string) (map[string]*app.Attendee, map[string]*app.CheckIn, error) {
	f.groups.Add(1)
	f.mu.Lock()
	b := f.block
	f.mu.Unlock()
	if b != nil {
		f.entered.Add(1)
		<-b
	}
	if f.down.Load() {
		return nil, nil, errDown
	}
	return f.Store.ScanStates(ctx, ids)
}

func (f *faultyStore) AddCheckInsIfNew(ctx context.Context, cs []*app.CheckIn) ([]bool, error) {
	if f.down.Load() {
		return nil, errDown
	}
	return f.Store.AddCheckInsIfNew(ctx, cs)
}

func (f *faultyStore) ScanState(ctx context.Context, eventID int64, scanID, attendeeID string) (*app.Attendee, *app.CheckIn, *app.CheckIn, error) {
	f.alone.Add(1)
	if f.down.Load() {
		return nil, nil, nil, errDown
	}
	return f.Store.ScanState(ctx, eventID, scanID, attendeeID)
}

// faultyDoor is a door whose service uses a faultyStore, warmed up (the
// event's id and key cached) by one scan.
func faultyDoor(t *testing.T, guests int) (*door, *faultyStore) {
	t.Helper()
	st := storagetest.Open(t)
	d := newDoor(t, st, guests)
	f := &faultyStore{Store: st}
	d.svc = app.NewService(f, d.pub, nil)
	t.Cleanup(d.svc.StopAttendance)
	d.scan(d.ticket(d.guests[0].ID), "warm", "warm-0001", time.Now())
	return d, f
}

// TestGroupDatabaseDown: while the database is down every scan of a
// group answers EUnavailable (503) at once; none is retried alone (which
// would send the failing database one more query per scan); when it is
// back the same scans are recorded.
func TestGroupDatabaseDown(t *testing.T) {
	const scans = 40
	d, f := faultyDoor(t, scans+1)
	f.down.Store(true)
	f.groups.Store(0)
	f.alone.Store(0)
	errs := make([]error, scans)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range scans {
		ticket := d.ticket(d.guests[i+1].ID)
		wg.Go(func() {
			<-start
			_, errs[i] = d.svc.CheckIn(ctxT(t), d.checker, d.ev.Slug, app.ScanInput{Ticket: ticket, Gate: "North", ScanID: fmt.Sprintf("down-%04d", i)})
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if app.ErrorCode(err) != app.EUnavailable {
			t.Fatalf("scan %d: %v, want unavailable", i, err)
		}
	}
	if n := f.alone.Load(); n != 0 {
		t.Errorf("%d scans were retried alone against the failing database", n)
	}
	if n := f.groups.Load(); n > scans {
		t.Errorf("%d group reads for %d scans", n, scans)
	}
	t.Logf("%d scans failed in %d groups", scans, f.groups.Load())

	f.down.Store(false)
	for i := range scans {
		ans := d.scan(d.ticket(d.guests[i+1].ID), "North", fmt.Sprintf("down-%04d", i), time.Now())
		wantResult(t, ans, app.ResultCheckedIn, "")
	}
}

// TestGroupDeadline: with every group writer held up, a scan waiting in
// the queue answers EUnavailable when its request's deadline passes and
// is not recorded later; a scan whose group is being written answers at
// its deadline too.
func TestGroupDeadline(t *testing.T) {
	d, f := faultyDoor(t, 6)
	block := make(chan struct{})
	f.mu.Lock()
	f.block = block
	f.mu.Unlock()
	released := false
	release := func() {
		if !released {
			released = true
			f.mu.Lock()
			f.block = nil
			f.mu.Unlock()
			close(block)
		}
	}
	defer release()

	tickets := make([]string, len(d.guests))
	for g := range d.guests {
		tickets[g] = d.ticket(d.guests[g].ID)
	}
	scan := func(ctx context.Context, guest int, id string) error {
		_, err := d.svc.CheckIn(ctx, d.checker, d.ev.Slug, app.ScanInput{Ticket: tickets[guest], Gate: "North", ScanID: id})
		return err
	}
	waitEntered := func(n int64) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); f.entered.Load() < n; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%d group writers held up, want %d", f.entered.Load(), n)
			}
		}
	}
	// Four group writers, each held up writing one scan. The first scan's
	// request ends (as at its deadline) while its group is being written.
	held := make([]error, 4)
	var wg sync.WaitGroup
	firstDone := make(chan struct{})
	ctx0, end0 := context.WithCancel(ctxT(t))
	defer end0()
	for i := range held {
		ctx := ctxT(t)
		if i == 0 {
			ctx = ctx0
		}
		wg.Go(func() {
			held[i] = scan(ctx, i+1, fmt.Sprintf("held-%04d", i))
			if i == 0 {
				close(firstDone)
			}
		})
		waitEntered(int64(i + 1))
	}
	ctx, cancel := context.WithTimeout(ctxT(t), 200*time.Millisecond)
	defer cancel()
	began := time.Now()
	err := scan(ctx, 5, "queued-0001")
	if took := time.Since(began); app.ErrorCode(err) != app.EUnavailable || took > 5*time.Second {
		t.Fatalf("queued scan: %v after %v, want unavailable at its 200ms deadline", err, took)
	}
	end0()
	select {
	case <-firstDone:
	case <-time.After(5 * time.Second):
		t.Error("the scan being written did not answer within 5 s of its request's end")
	}
	release()
	wg.Wait()
	if app.ErrorCode(held[0]) != app.EUnavailable {
		t.Errorf("held scan with a deadline: %v, want unavailable", held[0])
	}
	for i, err := range held[1:] {
		if err != nil {
			t.Errorf("held scan %d: %v", i+1, err)
		}
	}
	// The queued scan left the queue: nothing recorded it.
	time.Sleep(100 * time.Millisecond)
	if _, err := d.st.CheckInByScanID(ctxT(t), d.ev.ID, "queued-0001"); app.ErrorCode(err) != app.ENotFound {
		t.Fatalf("the timed-out queued scan: %v, want not found", err)
	}
}
