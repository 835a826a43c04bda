package app

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"
)

// Offline uploads. A kiosk that was offline uploads up to MaxBatchScans
// scans at once; deciding them one at a time (a read and an insert each,
// or a transaction for those that move First) made a full upload take
// seconds. An upload is instead decided as one set, in one transaction
// and a handful of statements whatever its size: read the scan ids
// already recorded, read the state of every attendee concerned, decide
// every scan in memory in scanBefore order (as one-at-a-time recording
// would), clear the First marks that earlier scans displace, insert
// every new scan. The schema still arbitrates against concurrent scans:
// the transaction takes no locks, so a concurrent scan that took First or
// a scan id meanwhile makes an insert fail (EConflict), as does a First
// cleared by someone else meanwhile; the upload is then decided again on
// the new state, and after uploadAttempts such races scan by scan.

// uploadAttempts is how many times an upload is decided as a set before
// it falls back to recording its scans one at a time.
const uploadAttempts = 3

// CheckInBatch records the queued scans of an offline kiosk (source
// offline_sync) and answers each, in the order given. At most
// MaxBatchScans scans (more is ETooLarge); if any scan is invalid the
// batch is EInvalid with every problem (ScanProblems) and nothing is
// written; if a scan id is recorded, or repeated in the batch, for
// another ticket or gate the batch is EConflict (ScanProblems) and
// nothing is written. The scans are decided as if applied one at a time
// earliest scanned_at first, and recorded in one transaction: all or
// none. Uploading the batch again is safe, since its scan ids return the
// stored answers.
func (s *Service) CheckInBatch(ctx context.Context, p Principal, slug string, in []ScanInput) ([]ScanAnswer, error) {
	eventID, err := s.checkInEvent(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	if len(in) > MaxBatchScans {
		return nil, Errorf(ETooLarge, "a batch holds at most %d scans, this one %d; upload in parts", MaxBatchScans, len(in))
	}
	now := s.Now()
	scans := make([]scan, len(in))
	var problems []ScanProblem
	for i, x := range in {
		sc, field, msg := validateScan(x, SourceOfflineSync, now)
		if field != "" {
			problems = append(problems, ScanProblem{Index: i, ScanID: truncateRunes(x.ScanID, MaxScanIDLen), Field: field, Message: msg})
		}
		scans[i] = sc
	}
	if len(problems) > 0 {
		return nil, &Error{Code: EInvalid, Message: fmt.Sprintf("%d scan(s) of the batch are invalid; nothing was recorded", len(problems)),
			Details: ScanProblems{Errors: problems}}
	}
	if err := reusedScanIDs(scans); err != nil {
		return nil, err
	}
	key, err := s.eventKey(ctx, eventID)
	if err != nil {
		return nil, err
	}
	up := newUpload(eventID, slug, key, scans, now)
	var out []ScanAnswer
	for attempt := 1; ; attempt++ {
		var refused error
		err = s.store.Tx(ctx, func(r Repo) error {
			var err error
			out, refused, err = s.decideUpload(ctx, r, up)
			return cmp.Or(refused, err)
		})
		if refused != nil {
			return nil, refused
		}
		if ErrorCode(err) != EConflict {
			break
		}
		if attempt == uploadAttempts {
			s.log.Warn("check-in upload: concurrent scans got in the way; recording one at a time", "event", slug, "scans", len(scans))
			out, err = s.recordEach(ctx, up)
			break
		}
	}
	if err != nil {
		return nil, err
	}
	for i := range out {
		if s.ScanObserver != nil {
			s.ScanObserver(out[i].Result, out[i].Reason)
		}
		if out[i].Result == ResultCheckedIn {
			// Recounts are coalesced; a replayed checked_in recounts too
			// (see record).
			s.attendanceChanged(slug)
		}
	}
	return out, nil
}

// reusedScanIDs returns EConflict, with a ScanProblem for each scan
// concerned, when one scan id appears twice in a batch for different
// tickets or gates. The same scan twice is a harmless repeat.
func reusedScanIDs(scans []scan) error {
	seen := make(map[string]int, len(scans))
	var problems []ScanProblem
	for i, sc := range scans {
		j, ok := seen[sc.scanID]
		if !ok {
			seen[sc.scanID] = i
			continue
		}
		if o := scans[j]; o.digest != sc.digest || o.gate != sc.gate {
			problems = append(problems, ScanProblem{Index: i, ScanID: sc.scanID, Field: "scan_id",
				Message: fmt.Sprintf("also used by scan %d for another ticket or gate", j)})
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return &Error{Code: EConflict, Message: fmt.Sprintf("%d scan(s) of the batch reuse a scan_id for another ticket or gate; nothing was recorded", len(problems)),
		Details: ScanProblems{Errors: problems}}
}

// upload is a validated batch with its tickets parsed.
type upload struct {
	eventID  int64
	slug     string
	key      ed25519.PublicKey
	scans    []scan
	received time.Time
	attendee []string // per scan: the attendee its ticket names, or ""
	reason   []string // per scan: why its ticket is rejected, or "" when genuine (once verified)
	verified []bool   // per scan: its ticket's signature was checked
	order    []int    // scan indexes in scanBefore order, each scan id once
	sameAs   []int    // per scan: the index of the first scan with its scan id
}

// newUpload parses the tickets of scans and orders them. Signatures are
// verified later (verify), only for scans not recorded yet.
func newUpload(eventID int64, slug string, key ed25519.PublicKey, scans []scan, received time.Time) *upload {
	n := len(scans)
	up := &upload{eventID: eventID, slug: slug, key: key, scans: scans, received: received,
		attendee: make([]string, n), reason: make([]string, n), verified: make([]bool, n), sameAs: make([]int, n)}
	firstOf := make(map[string]int, n)
	for i, sc := range scans {
		t, err := ParseTicket(sc.ticket)
		switch {
		case err != nil:
			up.reason[i], up.verified[i] = ReasonInvalidTicket, true
		case t.Event != slug:
			up.reason[i], up.verified[i] = ReasonWrongEvent, true
		default:
			up.attendee[i] = t.Attendee
		}
		if j, ok := firstOf[sc.scanID]; ok {
			up.sameAs[i] = j // the same scan twice (reusedScanIDs refused any other)
			continue
		}
		firstOf[sc.scanID] = i
		up.sameAs[i] = i
		up.order = append(up.order, i)
	}
	slices.SortStableFunc(up.order, func(a, b int) int {
		x, y := &scans[a], &scans[b]
		return cmp.Or(x.scannedAt.Compare(y.scannedAt), cmp.Compare(x.scanID, y.scanID))
	})
	return up
}

// verify checks the signatures of the scans with indexes idx not checked
// yet, each distinct ticket once, on every CPU: Ed25519 is most of the
// CPU an upload costs.
func (up *upload) verify(idx []int) {
	byTicket := map[string][]int{}
	var tickets []string
	for _, i := range idx {
		if up.verified[i] {
			continue
		}
		t := up.scans[i].ticket
		if byTicket[t] == nil {
			tickets = append(tickets, t)
		}
		byTicket[t] = append(byTicket[t], i)
	}
	bad := make([]bool, len(tickets))
	workers := min(runtime.GOMAXPROCS(0), (len(tickets)+63)/64)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for k := w; k < len(tickets); k += workers {
				t, err := ParseTicket(tickets[k])
				bad[k] = err != nil || !VerifyTicket(up.key, t)
			}
		})
	}
	wg.Wait()
	for k, t := range tickets {
		for _, i := range byTicket[t] {
			up.verified[i] = true
			if bad[k] {
				up.reason[i], up.attendee[i] = ReasonInvalidTicket, ""
			}
		}
	}
}

// decideUpload decides and records up through r, a transaction, and
// answers every scan in the order sent. refused is the EConflict of scan
// ids recorded for other tickets or gates (nothing is written); err is a
// failure, EConflict when a concurrent change got in the way.
func (s *Service) decideUpload(ctx context.Context, r Repo, up *upload) (out []ScanAnswer, refused, err error) {
	ids := make([]string, len(up.order))
	for k, i := range up.order {
		ids[k] = up.scans[i].scanID
	}
	stored, err := r.CheckInsByScanIDs(ctx, up.eventID, ids)
	if err != nil {
		return nil, nil, err
	}
	var (
		problems []ScanProblem
		fresh    []int // scans not recorded yet
	)
	for _, i := range up.order {
		sc := &up.scans[i]
		c := stored[sc.scanID]
		if c == nil {
			fresh = append(fresh, i)
		} else if sameScan(c, sc.gate, sc.digest, up.attendee[i]) != nil {
			problems = append(problems, ScanProblem{Index: i, ScanID: sc.scanID, Field: "scan_id", Message: "already recorded for another ticket or gate"})
		}
	}
	if len(problems) > 0 {
		slices.SortFunc(problems, func(a, b ScanProblem) int { return cmp.Compare(a.Index, b.Index) })
		return nil, &Error{Code: EConflict, Message: fmt.Sprintf("%d scan(s) of the batch reuse a recorded scan_id for another ticket or gate; nothing was recorded", len(problems)),
			Details: ScanProblems{Errors: problems}}, nil
	}
	up.verify(fresh)
	attendeeIDs := make([]string, 0, len(up.order))
	seen := make(map[string]bool, len(up.order))
	for _, i := range up.order {
		for _, a := range []string{up.attendee[i], storedAttendee(stored[up.scans[i].scanID])} {
			if a != "" && !seen[a] {
				seen[a] = true
				attendeeIDs = append(attendeeIDs, a)
			}
		}
	}
	attendees, firsts, err := r.ScanStates(ctx, attendeeIDs)
	if err != nil {
		return nil, nil, err
	}

	out = make([]ScanAnswer, len(up.scans))
	current := make(map[string]*CheckIn, len(firsts)) // attendee → First as decided so far
	var (
		rows      []*CheckIn // new scans
		displaced []int64    // recorded check-ins that lose First
		refs      []*CheckIn // new scans whose answer names another new scan
		refOf     = map[*CheckIn]*CheckIn{}
		replays   []int // indexes of scans already recorded
	)
	for _, i := range up.order {
		sc := &up.scans[i]
		if stored[sc.scanID] != nil {
			replays = append(replays, i)
			continue
		}
		c := &CheckIn{EventID: up.eventID, Gate: sc.gate, ScanID: sc.scanID, ScannedAt: sc.scannedAt, ReceivedAt: up.received,
			Source: sc.source, TicketDigest: sc.digest}
		rows = append(rows, c)
		a := attendees[up.attendee[i]]
		switch {
		case up.reason[i] != "":
			c.Result, c.Reason = ResultRejected, up.reason[i]
			out[i] = ScanAnswer{Result: c.Result, Reason: c.Reason, ScanID: c.ScanID, ScannedAt: c.ScannedAt}
			continue
		case a == nil || a.EventID != up.eventID:
			// Signed by this event's key yet unknown: deleted, or a key leak.
			c.Result, c.Reason = ResultRejected, ReasonInvalidTicket
			out[i] = ScanAnswer{Result: c.Result, Reason: c.Reason, ScanID: c.ScanID, ScannedAt: c.ScannedAt}
			continue
		}
		c.AttendeeID = a.ID
		if a.Revoked {
			c.Result, c.Reason = ResultRejected, ReasonRevoked
			out[i] = *admittedAnswer(a, c, nil)
			continue
		}
		first, ok := current[a.ID]
		if !ok {
			first = firsts[a.ID]
		}
		decideInto(c, first)
		switch {
		case c.First && first != nil && first.ID != 0:
			displaced = append(displaced, first.ID)
		case c.First && first != nil:
			first.First = false // not reached: new scans are decided in scanBefore order
		case c.Result == ResultAlreadyCheckedIn && first.ID == 0:
			// Its first is a new scan of this upload: its id is known
			// once that is inserted.
			refs = append(refs, c)
			refOf[c] = first
		}
		if c.First {
			current[a.ID] = c
		}
		out[i] = *admittedAnswer(a, c, first)
	}

	// Writes: the displaced marks first (one First per attendee), then the
	// new scans, those naming another new scan last.
	if n, err := r.ClearFirsts(ctx, displaced); err != nil {
		return nil, nil, err
	} else if n != int64(len(displaced)) {
		return nil, nil, Errorf(EConflict, "a concurrent scan moved a first check-in")
	}
	var now, later []*CheckIn
	for _, c := range rows {
		if refOf[c] != nil {
			later = append(later, c)
		} else {
			now = append(now, c)
		}
	}
	if err := r.AddCheckIns(ctx, insertOrder(now)); err != nil {
		return nil, nil, err
	}
	for _, c := range refs {
		c.AnsweredFirstID = refOf[c].ID
	}
	if err := r.AddCheckIns(ctx, insertOrder(later)); err != nil {
		return nil, nil, err
	}

	if err := s.replayAnswers(ctx, r, up, stored, attendees, replays, out); err != nil {
		return nil, nil, err
	}
	for i := range up.scans {
		if j := up.sameAs[i]; j != i {
			out[i] = out[j]
		}
	}
	return out, nil, nil
}

// storedAttendee is the attendee of a recorded check-in, "" for none.
func storedAttendee(c *CheckIn) string {
	if c == nil {
		return ""
	}
	return c.AttendeeID
}

// insertOrder sorts new scans as the group commit inserts them (by
// attendee, event, scan id), so that a transaction and a group waiting
// on each other's uncommitted rows take them in the same order.
func insertOrder(cs []*CheckIn) []*CheckIn {
	slices.SortFunc(cs, func(x, y *CheckIn) int {
		return cmp.Or(cmp.Compare(x.AttendeeID, y.AttendeeID), cmp.Compare(x.EventID, y.EventID), cmp.Compare(x.ScanID, y.ScanID))
	})
	return cs
}

// replayAnswers fills out for the scans (indexes replays) whose scan ids
// are already recorded (stored): the answers given then, built with one
// query for the first scans the amber ones named.
func (s *Service) replayAnswers(ctx context.Context, r Repo, up *upload, stored map[string]*CheckIn, attendees map[string]*Attendee, replays []int, out []ScanAnswer) error {
	var firstIDs []int64
	for _, i := range replays {
		if c := stored[up.scans[i].scanID]; c.Result == ResultAlreadyCheckedIn && c.AnsweredFirstID != 0 {
			firstIDs = append(firstIDs, c.AnsweredFirstID)
		}
	}
	named := map[int64]*CheckIn{}
	if len(firstIDs) > 0 {
		var err error
		if named, err = r.CheckInsByIDs(ctx, firstIDs); err != nil {
			return err
		}
	}
	for _, i := range replays {
		c := stored[up.scans[i].scanID]
		a := attendees[c.AttendeeID]
		f := named[c.AnsweredFirstID]
		if c.AttendeeID != "" && (a == nil || c.Result == ResultAlreadyCheckedIn && f == nil) {
			// Recorded before answers named their first, or its attendee
			// is gone: rebuild it as a single replay does.
			ans, err := s.storedAnswer(ctx, r, c)
			if err != nil {
				return err
			}
			out[i] = *ans
			continue
		}
		ans := ScanAnswer{Result: c.Result, Reason: c.Reason, ScanID: c.ScanID, ScannedAt: c.ScannedAt}
		if a != nil {
			ans.Attendee = scanAttendee(a)
		}
		if c.Result == ResultAlreadyCheckedIn {
			at := f.ScannedAt
			ans.FirstScannedAt, ans.FirstGate = &at, f.Gate
		}
		out[i] = ans
	}
	return nil
}

// recordEach records the scans of up one at a time, earliest first: the
// way out when concurrent scans keep getting in the way of the set.
func (s *Service) recordEach(ctx context.Context, up *upload) ([]ScanAnswer, error) {
	out := make([]ScanAnswer, len(up.scans))
	for _, i := range up.order {
		ans, err := s.record(ctx, up.eventID, up.slug, up.scans[i])
		if err != nil {
			return nil, err
		}
		out[i] = *ans
	}
	for i := range up.scans {
		if j := up.sameAs[i]; j != i {
			out[i] = out[j]
		}
	}
	return out, nil
}
