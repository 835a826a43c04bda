package app

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// Scans at the door. The record agrees with what the door was told
// (docs/checkin.md "Which scan counts"): every scan is stored, rejected
// ones too; at most one scan per attendee holds First (a partial unique
// index). An online scan takes First only when the attendee holds none
// (it answers checked_in); otherwise it answers already_checked_in and
// never becomes the check-in later. Only an uploaded offline scan, which
// a kiosk already decided at the door, displaces the holder, and only if
// it is earlier in scanBefore order; the displaced scan stays recorded.
// A repeated scan id with the same ticket and gate returns the stored
// answer and writes nothing; with another ticket or gate it is
// EConflict.

// Limits of a scan, checked before anything is written.
const (
	MaxGateRunes   = 64
	MinScanIDLen   = 8
	MaxScanIDLen   = 128
	MaxScanFuture  = 5 * time.Minute    // scanned_at may run ahead of the server clock by this much
	MaxScanAge     = 7 * 24 * time.Hour // and lag behind it by this much
	MaxBatchScans  = 1000               // scans per offline upload
	scanAttempts   = 3                  // tries of one scan when a unique index fires
	attendanceWait = 5 * time.Second    // deadline of one attendance recount
)

// AttendanceEvery is the least time between two attendance recounts of
// one event: scans in between are folded into the next recount.
const AttendanceEvery = 250 * time.Millisecond

// ScanInput is one scan as a gate sends it. ScannedAt is RFC 3339 (the
// device clock); empty means now.
type ScanInput struct {
	Ticket    string `json:"ticket"`
	Gate      string `json:"gate"`
	ScanID    string `json:"scan_id"`
	ScannedAt string `json:"scanned_at"`
}

// ScanAttendee is who a scan was about, as door staff see it.
type ScanAttendee struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Organization string `json:"organization"`
	Category     string `json:"category"`
}

// ScanAnswer is the answer to one scan. Result is ResultCheckedIn,
// ResultAlreadyCheckedIn (FirstScannedAt and FirstGate then name the
// attendee's first scan known before this one) or ResultRejected with a
// Reason (ReasonInvalidTicket, ReasonWrongEvent, ReasonRevoked).
type ScanAnswer struct {
	Result         string        `json:"result"`
	Reason         string        `json:"reason,omitempty"`
	Attendee       *ScanAttendee `json:"attendee,omitempty"`
	FirstScannedAt *time.Time    `json:"first_scanned_at,omitempty"`
	FirstGate      string        `json:"first_gate,omitempty"`
	ScanID         string        `json:"scan_id"`
	ScannedAt      time.Time     `json:"scanned_at"`
}

// ScanProblem is one invalid field of a scan in a batch.
type ScanProblem struct {
	Index   int    `json:"index"`
	ScanID  string `json:"scan_id,omitempty"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ScanProblems is the Details of a refused batch.
type ScanProblems struct {
	Errors []ScanProblem `json:"errors"`
}

// scan is a validated ScanInput.
type scan struct {
	ticket    string
	digest    string // ticketDigest(ticket)
	gate      string
	scanID    string
	scannedAt time.Time
	source    string
}

// ticketDigest is what a check-in keeps of the scanned text: the first
// 16 bytes of its SHA-256, in hex. It tells a replayed scan id from one
// reused for another ticket without storing the ticket itself.
func ticketDigest(ticket string) string {
	sum := sha256.Sum256([]byte(ticket))
	return hex.EncodeToString(sum[:16])
}

// validScanID reports whether id is 8–128 characters of A–Z a–z 0–9 _ . : -.
func validScanID(id string) bool {
	if len(id) < MinScanIDLen || len(id) > MaxScanIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}

// validateScan checks in against the limits at now. It returns the
// offending field and a sentence when in is invalid.
func validateScan(in ScanInput, source string, now time.Time) (sc scan, field, msg string) {
	sc = scan{ticket: strings.TrimSpace(in.Ticket), gate: strings.TrimSpace(in.Gate), scanID: in.ScanID, source: source}
	sc.digest = ticketDigest(sc.ticket)
	switch {
	case sc.ticket == "":
		return sc, "ticket", "required: the text read from the QR code"
	case len(sc.ticket) > 4*MaxTicketLen:
		return sc, "ticket", fmt.Sprintf("longer than %d bytes", 4*MaxTicketLen)
	case sc.gate == "" || !utf8.ValidString(sc.gate) || utf8.RuneCountInString(sc.gate) > MaxGateRunes:
		return sc, "gate", fmt.Sprintf("must be 1–%d characters", MaxGateRunes)
	case strings.IndexFunc(sc.gate, unicode.IsControl) >= 0:
		return sc, "gate", "must not contain control characters"
	case !validScanID(sc.scanID):
		return sc, "scan_id", fmt.Sprintf("must be %d–%d characters of A–Z a–z 0–9 _ . : -", MinScanIDLen, MaxScanIDLen)
	}
	if strings.TrimSpace(in.ScannedAt) == "" {
		sc.scannedAt = now
	} else {
		t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(in.ScannedAt))
		if err != nil {
			return sc, "scanned_at", "must be an RFC 3339 time such as 2021-04-23T09:30:00+08:00"
		}
		sc.scannedAt = t
	}
	sc.scannedAt = sc.scannedAt.UTC().Truncate(time.Microsecond) // what the database keeps
	switch {
	case sc.scannedAt.After(now.Add(MaxScanFuture)):
		return sc, "scanned_at", "is more than 5 minutes ahead of the server clock; check the device clock"
	case sc.scannedAt.Before(now.Add(-MaxScanAge)):
		return sc, "scanned_at", "is more than 7 days in the past"
	}
	return sc, "", ""
}

// scanBefore orders scans of one attendee: earlier scanned_at first,
// then the smaller scan id, so that uploads of offline scans reach the
// same First whatever order they arrive in.
func scanBefore(at time.Time, scanID string, other *CheckIn) bool {
	if !at.Equal(other.ScannedAt) {
		return at.Before(other.ScannedAt)
	}
	return scanID < other.ScanID
}

// decideScan applies "which scan counts" to a genuine, unrevoked scan
// given the attendee's current First (nil when none). It returns the
// result to answer and whether the new scan takes First. With no First
// the scan takes it and answers checked_in. Otherwise an online scan
// answers already_checked_in and never takes First, whatever the device
// clocks say: the door was told "already checked in". An offline upload
// earlier than First (scanBefore) takes it and answers checked_in — the
// kiosk let the guest in then — and a later one answers
// already_checked_in.
func decideScan(first *CheckIn, scannedAt time.Time, scanID, source string) (result string, takeFirst bool) {
	switch {
	case first == nil:
		return ResultCheckedIn, true
	case source == SourceOfflineSync && scanBefore(scannedAt, scanID, first):
		return ResultCheckedIn, true
	}
	return ResultAlreadyCheckedIn, false
}

// decideInto decides c (decideScan) against first and fills its result,
// its First mark and, for already_checked_in, the check-in its answer
// names (AnsweredFirstID), which a replay of c answers again.
func decideInto(c *CheckIn, first *CheckIn) {
	c.Result, c.First = decideScan(first, c.ScannedAt, c.ScanID, c.Source)
	c.AnsweredFirstID = 0
	if c.Result == ResultAlreadyCheckedIn {
		c.AnsweredFirstID = first.ID
	}
}

// sameScan returns EConflict unless stored, the check-in recorded under a
// scan id, is the scan now sent again under it: the same gate and the
// same ticket (by digest; for rows recorded before digests were kept, by
// the ticket's attendee, attendeeID, when the ticket names one).
func sameScan(stored *CheckIn, gate, digest, attendeeID string) error {
	same := stored.Gate == gate
	switch {
	case stored.TicketDigest != "":
		same = same && stored.TicketDigest == digest
	case stored.AttendeeID != "" && attendeeID != "":
		same = same && stored.AttendeeID == attendeeID
	}
	if same {
		return nil
	}
	return &Error{Code: EConflict, Message: fmt.Sprintf("scan_id %q is already recorded for another ticket or gate; a new scan needs a new scan_id", stored.ScanID),
		Details: map[string]string{"scan_id": stored.ScanID}}
}

// earliest returns the first of valid scans in scanBefore order, or nil.
func earliest(valid []CheckIn) *CheckIn {
	var best *CheckIn
	for i := range valid {
		c := &valid[i]
		if c.Result != ResultCheckedIn && c.Result != ResultAlreadyCheckedIn {
			continue
		}
		if best == nil || scanBefore(c.ScannedAt, c.ScanID, best) {
			best = c
		}
	}
	return best
}

func scanAttendee(a *Attendee) *ScanAttendee {
	return &ScanAttendee{ID: a.ID, Name: a.Name, Organization: a.Organization, Category: a.Category}
}

// checkInEvent resolves the slug for a caller who scans: anonymous is
// EUnauthorized, an unknown slug ENotFound, a checker of another event
// EForbidden.
func (s *Service) checkInEvent(ctx context.Context, p Principal, slug string) (int64, error) {
	if p.Anonymous() {
		return 0, Errorf(EUnauthorized, "authentication required")
	}
	eventID, err := s.eventID(ctx, slug)
	if err != nil {
		return 0, err
	}
	if err := p.RequireCheckIn(eventID); err != nil {
		return 0, err
	}
	return eventID, nil
}

// eventKey returns the event's ticket public key, cached: keys never
// change.
func (s *Service) eventKey(ctx context.Context, eventID int64) (ed25519.PublicKey, error) {
	if k, ok := s.desk.keys.Load(eventID); ok {
		return k.(ed25519.PublicKey), nil
	}
	ev, err := s.store.EventByID(ctx, eventID)
	if err != nil {
		return nil, err
	}
	k, err := ParsePublicKey(ev.PublicKey)
	if err != nil {
		return nil, err
	}
	s.desk.keys.Store(eventID, k)
	return k, nil
}

// CheckIn records one online scan at a gate of the event and answers it.
// Callers: a checker of the event, an organizer or an admin. An invalid
// field is EInvalid and writes nothing; a rejected ticket is an answer
// (ResultRejected), not an error. Safe for concurrent use: scans of one
// ticket at several gates at once yield exactly one checked_in.
func (s *Service) CheckIn(ctx context.Context, p Principal, slug string, in ScanInput) (*ScanAnswer, error) {
	eventID, err := s.checkInEvent(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	sc, field, msg := validateScan(in, SourceOnline, s.Now())
	if field != "" {
		return nil, Errorf(EInvalid, "%s %s", field, msg)
	}
	ans, err := s.record(ctx, eventID, slug, sc)
	if err == nil && s.ScanObserver != nil {
		s.ScanObserver(ans.Result, ans.Reason)
	}
	return ans, err
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// record verifies and stores one validated scan and answers it.
func (s *Service) record(ctx context.Context, eventID int64, slug string, sc scan) (*ScanAnswer, error) {
	key, err := s.eventKey(ctx, eventID)
	if err != nil {
		return nil, err
	}
	c := CheckIn{EventID: eventID, Gate: sc.gate, ScanID: sc.scanID, ScannedAt: sc.scannedAt, ReceivedAt: s.Now(), Source: sc.source, TicketDigest: sc.digest}
	t, perr := ParseTicket(sc.ticket)
	switch {
	case perr != nil:
		return s.reject(ctx, &c, ReasonInvalidTicket)
	case t.Event != slug:
		return s.reject(ctx, &c, ReasonWrongEvent)
	case !VerifyTicket(key, t):
		return s.reject(ctx, &c, ReasonInvalidTicket)
	}
	for attempt := 1; ; attempt++ {
		ans, counted, err := s.admit(ctx, c, t.Attendee)
		if ErrorCode(err) == EConflict && attempt < scanAttempts {
			// A concurrent request stored this scan id first (or, on a
			// database without row locks, took First): answer as a replay,
			// or decide again on the new state.
			if stored, rerr := s.replay(ctx, s.store, &c, t.Attendee); rerr == nil {
				return stored, nil
			} else if ErrorCode(rerr) != ENotFound {
				return nil, rerr
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		// A replayed checked_in recounts too: its first recording may have
		// committed without its answer (a connection lost while reading
		// it), so nobody scheduled the count. Recounts are coalesced.
		if counted || ans.Result == ResultCheckedIn {
			s.attendanceChanged(slug)
		}
		return ans, nil
	}
}

// reject stores a scan of a ticket that is not genuine (no attendee) and
// answers it; a stored scan with the same id is answered instead (or
// EConflict when it was another ticket or gate).
func (s *Service) reject(ctx context.Context, c *CheckIn, reason string) (*ScanAnswer, error) {
	c.Result, c.Reason = ResultRejected, reason
	err := s.store.AddCheckIn(ctx, c)
	if ErrorCode(err) == EConflict {
		return s.replay(ctx, s.store, c, "")
	}
	if err != nil {
		return nil, err
	}
	return &ScanAnswer{Result: c.Result, Reason: c.Reason, ScanID: c.ScanID, ScannedAt: c.ScannedAt}, nil
}

// admit stores the scan of a genuine ticket of attendeeID and answers it.
// counted reports that the attendee has just checked in for the first
// time.
//
// Most scans are settled in a group with the scans arriving at the same
// time (admitGrouped, checkin_group.go). The others take no lock and no
// transaction either: one query reads the attendee, the scan id and the
// attendee's First, one insert stores the scan. A concurrent scan that
// decided on the same state is caught by the schema — the unique scan id,
// the one First per attendee — as EConflict, and record decides again on
// the new state. Only an offline scan earlier than the attendee's current
// First (it moves First, clearing the old mark) runs in a transaction
// holding the attendee's row lock.
func (s *Service) admit(ctx context.Context, c CheckIn, attendeeID string) (ans *ScanAnswer, counted bool, err error) {
	g, err := s.admitGrouped(ctx, c, attendeeID)
	if err != nil || g.handled {
		return g.ans, g.counted, err
	}
	ans, counted, movesFirst, err := s.decide(ctx, s.store, c, attendeeID, false)
	if err != nil || !movesFirst {
		return ans, counted, err
	}
	err = s.store.Tx(ctx, func(r Repo) error {
		if _, err := r.AttendeeForUpdate(ctx, attendeeID); err != nil && ErrorCode(err) != ENotFound {
			return err
		}
		ans, counted, _, err = s.decide(ctx, r, c, attendeeID, true)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return ans, counted, nil
}

// decide reads the attendee's state through r, decides the scan and
// stores it. Unless locked (r is a transaction holding the attendee's row
// lock) it stores nothing and reports movesFirst when the scan would take
// First from an earlier-recorded check-in.
func (s *Service) decide(ctx context.Context, r Repo, c CheckIn, attendeeID string, locked bool) (ans *ScanAnswer, counted, movesFirst bool, err error) {
	a, byScan, first, err := r.ScanState(ctx, c.EventID, c.ScanID, attendeeID)
	if ErrorCode(err) == ENotFound || err == nil && a.EventID != c.EventID {
		// Signed by this event's key yet unknown: deleted, or a key leak.
		c.Result, c.Reason = ResultRejected, ReasonInvalidTicket
		if err := r.AddCheckIn(ctx, &c); err != nil {
			return nil, false, false, err
		}
		return &ScanAnswer{Result: c.Result, Reason: c.Reason, ScanID: c.ScanID, ScannedAt: c.ScannedAt}, false, false, nil
	}
	if err != nil {
		return nil, false, false, err
	}
	if byScan != nil {
		ans, err = s.replayOf(ctx, r, byScan, &c, attendeeID)
		return ans, false, false, err
	}
	c.AttendeeID = a.ID
	if a.Revoked {
		c.Result, c.Reason = ResultRejected, ReasonRevoked
		return admittedAnswer(a, &c, nil), false, false, r.AddCheckIn(ctx, &c)
	}
	decideInto(&c, first)
	if c.First && first != nil {
		if !locked {
			return nil, false, true, nil
		}
		if err := r.ClearFirst(ctx, first.ID); err != nil {
			return nil, false, false, err
		}
	}
	if err := r.AddCheckIn(ctx, &c); err != nil {
		return nil, false, false, err
	}
	return admittedAnswer(a, &c, first), first == nil, false, nil
}

// admittedAnswer is the answer to c, a decided scan of attendee a's
// genuine ticket: its result and reason and, for already_checked_in, the
// first scan known before it.
func admittedAnswer(a *Attendee, c *CheckIn, first *CheckIn) *ScanAnswer {
	ans := &ScanAnswer{Attendee: scanAttendee(a), Result: c.Result, Reason: c.Reason, ScanID: c.ScanID, ScannedAt: c.ScannedAt}
	if c.Result == ResultAlreadyCheckedIn {
		at := first.ScannedAt
		ans.FirstScannedAt, ans.FirstGate = &at, first.Gate
	}
	return ans
}

// replay answers c's scan id when it is already stored in c's event
// (ENotFound when it is not; EConflict when it was stored for another
// ticket or gate). attendeeID is the attendee c's ticket names, "" when
// it names none.
func (s *Service) replay(ctx context.Context, r Repo, c *CheckIn, attendeeID string) (*ScanAnswer, error) {
	stored, err := r.CheckInByScanID(ctx, c.EventID, c.ScanID)
	if err != nil {
		return nil, err
	}
	return s.replayOf(ctx, r, stored, c, attendeeID)
}

// replayOf answers c, a scan sent again under the scan id of stored: the
// answer given when stored was recorded — its result and reason as
// stored, its attendee, and for already_checked_in the first scan that
// answer named — or EConflict when c is another ticket or gate.
func (s *Service) replayOf(ctx context.Context, r Repo, stored, c *CheckIn, attendeeID string) (*ScanAnswer, error) {
	if err := sameScan(stored, c.Gate, c.TicketDigest, attendeeID); err != nil {
		return nil, err
	}
	return s.storedAnswer(ctx, r, stored)
}

// storedAnswer rebuilds the answer given when c was recorded.
func (s *Service) storedAnswer(ctx context.Context, r Repo, c *CheckIn) (*ScanAnswer, error) {
	ans := &ScanAnswer{Result: c.Result, Reason: c.Reason, ScanID: c.ScanID, ScannedAt: c.ScannedAt}
	if c.AttendeeID == "" {
		return ans, nil
	}
	a, err := r.AttendeeByID(ctx, c.AttendeeID)
	if err != nil {
		return nil, err
	}
	ans.Attendee = scanAttendee(a)
	if c.Result == ResultAlreadyCheckedIn {
		if f, err := answeredFirst(ctx, r, c); err != nil {
			return nil, err
		} else if f != nil {
			at := f.ScannedAt
			ans.FirstScannedAt, ans.FirstGate = &at, f.Gate
		}
	}
	return ans, nil
}

// answeredFirst returns the check-in that c's already_checked_in answer
// named: the one c records (AnsweredFirstID) or, for scans recorded
// before that was kept (when scans of one attendee were ordered by time
// alone), the earliest of the attendee's valid scans recorded before c.
func answeredFirst(ctx context.Context, r Repo, c *CheckIn) (*CheckIn, error) {
	if c.AnsweredFirstID != 0 {
		all, err := r.ValidCheckIns(ctx, c.AttendeeID, 0)
		if err != nil {
			return nil, err
		}
		for i := range all {
			if all[i].ID == c.AnsweredFirstID {
				return &all[i], nil
			}
		}
	}
	before, err := r.ValidCheckIns(ctx, c.AttendeeID, c.ID)
	if err != nil {
		return nil, err
	}
	return earliest(before), nil
}

// checkinDesk is the Service's check-in state: cached event keys and the
// attendance coalescer. The zero value is ready; the coalescer starts on
// first use.
type checkinDesk struct {
	groups     scanGroups // scans waiting for their group (checkin_group.go)
	keys       sync.Map   // event id → ed25519.PublicKey
	once       sync.Once
	attendance *coalescer
}

func (s *Service) attendanceCoalescer() *coalescer {
	s.desk.once.Do(func() {
		s.desk.attendance = newCoalescer(AttendanceEvery, s.publishAttendance)
	})
	return s.desk.attendance
}

// attendanceChanged schedules an attendance update of the event.
func (s *Service) attendanceChanged(slug string) {
	s.attendanceCoalescer().Notify(slug)
}

// publishAttendance counts the event's attendance and publishes it as a
// volatile attendance message.
func (s *Service) publishAttendance(ctx context.Context, slug string) {
	ctx, cancel := context.WithTimeout(ctx, attendanceWait)
	defer cancel()
	eventID, err := s.eventID(ctx, slug)
	if err != nil {
		s.log.Warn("attendance: resolving event", "event", slug, "err", err)
		return
	}
	total, in, err := s.store.CountAttendees(ctx, eventID)
	if err != nil {
		s.log.Warn("attendance: counting", "event", slug, "err", err)
		return
	}
	s.pub.PublishVolatile(ctx, slug, TypeAttendance, Attendance{CheckedIn: in, Expected: total})
}

// StopAttendance stops attendance updates, and the technology-transfer
// messages (transfer_live.go): pending ones are dropped, one running is
// cancelled and waited for, later changes publish nothing. Call it when
// the node shuts down.
func (s *Service) StopAttendance() {
	s.attendanceCoalescer().Stop()
	s.stopTransfer()
}
