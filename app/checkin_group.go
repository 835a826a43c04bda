package app

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"
)

// Group commit of scans. Gates scan at once; deciding each scan alone
// costs the database two statements per scan (read the attendee's state,
// insert the scan). Instead, scans that arrive while a group is being
// written wait and go together: one query reads the state of every
// attendee in the group, one multi-row insert stores the group, and the
// schema's unique indexes still arbitrate — an insert they refuse (a
// concurrent scan, on this node or another, took First or the scan id
// first) is skipped, and that scan is decided again alone (admit's
// path), as is every scan the group does not settle: unknown or revoked
// attendees, an offline scan earlier than the attendee's First (it moves
// First, which needs the row lock), a second scan of one attendee in the
// same group, or an error other than the database being unavailable. The
// group is the queue found when the writer looks, so a lone scan waits
// for nobody.
//
// Failures and deadlines: a group whose statements fail because the
// database is unavailable (EUnavailable: down, unreachable, or past the
// group's deadline) answers that error to every scan in it — deciding
// each alone would multiply the load on a database that is failing. A
// waiting scan honours its request's context: cancelled or past its
// deadline while still queued, it leaves the queue (nothing is recorded)
// and answers EUnavailable; once its group is being written it answers
// EUnavailable at its deadline too, and the scan may or may not be
// recorded — sending the same scan id again answers it either way. A
// group's statements run until the latest deadline of its scans, at most
// scanGroupWait.

// Limits of the groups.
const (
	maxScanGroup    = 64              // scans per group (12 parameters each)
	scanGroupWait   = 5 * time.Second // deadline of one group's statements
	maxGroupWriters = 4               // groups written at once: the next group forms while others wait for their commit
)

// groupScan is one scan waiting for its group.
type groupScan struct {
	c          CheckIn
	attendeeID string
	deadline   time.Time // of its request; zero when none
	done       chan groupResult
}

// groupResult settles a scan (handled), fails it (err) or sends it back
// to be decided alone.
type groupResult struct {
	handled bool
	ans     *ScanAnswer
	counted bool
	err     error
}

// scanGroups queues scans for the group writers, which run while the
// queue is not empty.
type scanGroups struct {
	mu      sync.Mutex
	queue   []*groupScan
	running int // group writers
}

// admitGrouped offers the scan to the next group and waits for the
// outcome, or for ctx to end (EUnavailable).
func (s *Service) admitGrouped(ctx context.Context, c CheckIn, attendeeID string) (groupResult, error) {
	if err := ctx.Err(); err != nil {
		return groupResult{}, waitEnded(err)
	}
	g := &groupScan{c: c, attendeeID: attendeeID, done: make(chan groupResult, 1)}
	g.deadline, _ = ctx.Deadline()
	q := &s.desk.groups
	q.mu.Lock()
	q.queue = append(q.queue, g)
	if q.running < maxGroupWriters {
		q.running++
		go s.writeGroups()
	}
	q.mu.Unlock()
	select {
	case r := <-g.done:
		return r, r.err
	case <-ctx.Done():
		q.mu.Lock()
		if i := slices.Index(q.queue, g); i >= 0 {
			q.queue = slices.Delete(q.queue, i, i+1)
		}
		q.mu.Unlock()
		// Its group may be writing it: done is buffered, so the writer
		// never blocks on a scan nobody waits for.
		return groupResult{}, waitEnded(ctx.Err())
	}
}

// waitEnded is the error of a scan whose request ended while it waited
// for its group.
func waitEnded(err error) error {
	return &Error{Code: EUnavailable, Message: "the database did not answer in time (" + err.Error() + "); send the scan again with the same scan_id"}
}

// writeGroups writes queued scans a group at a time until the queue is
// empty.
func (s *Service) writeGroups() {
	q := &s.desk.groups
	for {
		q.mu.Lock()
		n := min(len(q.queue), maxScanGroup)
		if n == 0 {
			q.running--
			q.mu.Unlock()
			return
		}
		group := q.queue[:n:n]
		q.queue = q.queue[n:]
		if len(q.queue) == 0 {
			q.queue = nil
		}
		q.mu.Unlock()
		s.writeGroup(group)
	}
}

// groupDeadline is the latest deadline of the group's scans, at most
// scanGroupWait from now.
func groupDeadline(group []*groupScan, now time.Time) time.Time {
	limit := now.Add(scanGroupWait)
	var latest time.Time
	for _, g := range group {
		if g.deadline.IsZero() {
			return limit
		}
		if g.deadline.After(latest) {
			latest = g.deadline
		}
	}
	if latest.After(limit) {
		return limit
	}
	return latest
}

// writeGroup decides and stores one group, answering every scan in it.
func (s *Service) writeGroup(group []*groupScan) {
	results := make([]groupResult, len(group))
	defer func() {
		for i, g := range group {
			g.done <- results[i]
		}
	}()
	ctx, cancel := context.WithDeadline(context.Background(), groupDeadline(group, time.Now()))
	defer cancel()
	// The database is unavailable: every scan of the group answers so,
	// none is retried alone.
	failAll := func(err error) {
		for i := range results {
			results[i] = groupResult{err: err}
		}
	}

	// One scan per attendee and per scan id: the others go alone, after.
	ids := make([]string, 0, len(group))
	seenAttendee := make(map[string]bool, len(group))
	type scanKey struct {
		event int64
		scan  string
	}
	seenScan := make(map[scanKey]bool, len(group))
	in := make([]bool, len(group))
	for i, g := range group {
		k := scanKey{g.c.EventID, g.c.ScanID}
		if seenAttendee[g.attendeeID] || seenScan[k] {
			continue
		}
		seenAttendee[g.attendeeID], seenScan[k], in[i] = true, true, true
		ids = append(ids, g.attendeeID)
	}
	attendees, firsts, err := s.store.ScanStates(ctx, ids)
	if ErrorCode(err) == EUnavailable {
		failAll(err)
		return
	}
	if err != nil {
		return // every scan is decided alone, which reports the error
	}
	type row struct {
		c *CheckIn
		i int // its scan's index in group
	}
	var todo []row
	for i, g := range group {
		if !in[i] {
			continue
		}
		a := attendees[g.attendeeID]
		if a == nil || a.EventID != g.c.EventID || a.Revoked {
			continue
		}
		first := firsts[g.attendeeID]
		c := g.c
		c.AttendeeID = a.ID
		decideInto(&c, first)
		if c.First && first != nil {
			continue // moves First: needs the attendee's row lock
		}
		results[i] = groupResult{ans: admittedAnswer(a, &c, first), counted: first == nil}
		todo = append(todo, row{&c, i})
	}
	// Every group inserts in the same order, so that two groups waiting on
	// each other's uncommitted rows (PostgreSQL's ON CONFLICT waits for
	// them) cannot deadlock.
	slices.SortFunc(todo, func(x, y row) int {
		return cmp.Or(cmp.Compare(x.c.AttendeeID, y.c.AttendeeID), cmp.Compare(x.c.EventID, y.c.EventID), cmp.Compare(x.c.ScanID, y.c.ScanID))
	})
	rows := make([]*CheckIn, len(todo))
	for k, t := range todo {
		rows[k] = t.c
	}
	added, err := s.store.AddCheckInsIfNew(ctx, rows)
	if ErrorCode(err) == EUnavailable {
		failAll(err)
		return
	}
	for k, t := range todo {
		if err != nil || !added[k] {
			results[t.i] = groupResult{} // refused by a unique index, or failed: decide alone
			continue
		}
		results[t.i].handled = true
	}
}
