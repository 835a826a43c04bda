package storage

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"github.com/hybridcon/hybridcon/app"
)

// Check-ins: every scan is a row of check_ins. The schema holds the rules
// the check-in use case relies on: one row per scan id in an event
// (check_ins_event_scan_key) and at most one First row per attendee (the
// partial unique index check_ins_first_key). The column "first" is quoted
// everywhere: FIRST is an SQL keyword.

type checkInRow struct {
	ID         int64   `gorm:"primaryKey"`
	EventID    int64   `gorm:"column:event_id"`
	AttendeeID *string `gorm:"column:attendee_id"`
	Gate       string  `gorm:"column:gate"`
	ScanID     string  `gorm:"column:scan_id"`
	ScannedAt  time.Time
	ReceivedAt time.Time
	Result     string `gorm:"column:result"`
	Reason     string `gorm:"column:reason"`
	Source     string `gorm:"column:source"`
	First      bool   `gorm:"column:first"`
	// TicketDigest and AnsweredFirstID: see app.CheckIn (migration 9).
	TicketDigest    string `gorm:"column:ticket_digest"`
	AnsweredFirstID *int64 `gorm:"column:answered_first_id"`
}

func (checkInRow) TableName() string { return "check_ins" }

func checkInToRow(c *app.CheckIn) checkInRow {
	r := checkInRow{
		ID: c.ID, EventID: c.EventID, Gate: c.Gate, ScanID: c.ScanID,
		ScannedAt: utc(c.ScannedAt), ReceivedAt: utc(c.ReceivedAt),
		Result: c.Result, Reason: c.Reason, Source: c.Source, First: c.First,
		TicketDigest: c.TicketDigest,
	}
	if c.AttendeeID != "" {
		id := c.AttendeeID
		r.AttendeeID = &id
	}
	if c.AnsweredFirstID != 0 {
		id := c.AnsweredFirstID
		r.AnsweredFirstID = &id
	}
	return r
}

func (r *checkInRow) toApp() app.CheckIn {
	c := app.CheckIn{
		ID: r.ID, EventID: r.EventID, Gate: r.Gate, ScanID: r.ScanID,
		ScannedAt: utc(r.ScannedAt), ReceivedAt: utc(r.ReceivedAt),
		Result: r.Result, Reason: r.Reason, Source: r.Source, First: r.First,
		TicketDigest: r.TicketDigest,
	}
	if r.AttendeeID != nil {
		c.AttendeeID = *r.AttendeeID
	}
	if r.AnsweredFirstID != nil {
		c.AnsweredFirstID = *r.AnsweredFirstID
	}
	return c
}

// ScanLookup returns, in one query, the event's check-in with scanID (nil
// when there is none or scanID is "") and the check-in of attendeeID that
// holds First (nil when none). Both may be the same row.
func (s *Store) ScanLookup(ctx context.Context, eventID int64, scanID, attendeeID string) (byScan, first *app.CheckIn, err error) {
	var rows []checkInRow
	q := s.db.WithContext(ctx)
	if scanID != "" {
		q = q.Where(`(event_id = ? AND scan_id = ?) OR (attendee_id = ? AND "first")`, eventID, scanID, attendeeID)
	} else {
		q = q.Where(`attendee_id = ? AND "first"`, attendeeID)
	}
	if err := q.Find(&rows).Error; err != nil {
		return nil, nil, s.fail(ctx, err, "look up scan", on{})
	}
	for i := range rows {
		c := rows[i].toApp()
		if scanID != "" && c.EventID == eventID && c.ScanID == scanID {
			byScan = &c
		}
		if c.First && c.AttendeeID == attendeeID {
			first = &c
		}
	}
	return byScan, first, nil
}

// ScanState returns, in one query and without locks, what deciding a scan
// needs: the attendee with attendeeID (ENotFound when unknown), the
// event's check-in with scanID (nil when none) and the attendee's
// check-in holding First (nil when none). Both check-ins may be the same
// row. A scan id stored for an attendee that does not exist is not found
// here; inserting it again then fails on the unique scan id.
func (s *Store) ScanState(ctx context.Context, eventID int64, scanID, attendeeID string) (a *app.Attendee, byScan, first *app.CheckIn, err error) {
	rows, err := s.db.WithContext(ctx).Raw(`SELECT `+attendeeAndCheckInColumns+`
FROM attendees a
LEFT JOIN check_ins c ON (c.event_id = ? AND c.scan_id = ?) OR (c.attendee_id = a.id AND c."first")
WHERE a.id = ?`, eventID, scanID, attendeeID).Rows()
	if err != nil {
		return nil, nil, nil, s.fail(ctx, err, "look up scan", on{})
	}
	defer rows.Close()
	for rows.Next() {
		at, c, err := scanAttendeeAndCheckIn(rows)
		if err != nil {
			return nil, nil, nil, s.fail(ctx, err, "look up scan", on{})
		}
		if a == nil {
			a = at
		}
		if c == nil {
			continue
		}
		if c.EventID == eventID && c.ScanID == scanID {
			byScan = c
		}
		if c.First && c.AttendeeID == a.ID {
			first = c
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, nil, s.fail(ctx, err, "look up scan", on{})
	}
	if a == nil {
		return nil, nil, nil, app.Errorf(app.ENotFound, "attendee %q not found", attendeeID)
	}
	return a, byScan, first, nil
}

// CheckInByScanID returns the event's check-in with scanID, or ENotFound.
func (s *Store) CheckInByScanID(ctx context.Context, eventID int64, scanID string) (*app.CheckIn, error) {
	var r checkInRow
	err := s.db.WithContext(ctx).Where("event_id = ? AND scan_id = ?", eventID, scanID).Take(&r).Error
	if err != nil {
		return nil, s.fail(ctx, err, "get check-in", on{notFound: notFound("scan %q not found", scanID)})
	}
	c := r.toApp()
	return &c, nil
}

// CheckInsByScanIDs returns the event's check-ins whose scan id is one of
// scanIDs, by scan id (ids not recorded are absent), in one query per
// 1,000 ids.
func (s *Store) CheckInsByScanIDs(ctx context.Context, eventID int64, scanIDs []string) (map[string]*app.CheckIn, error) {
	out := make(map[string]*app.CheckIn, len(scanIDs))
	for part := range slices.Chunk(scanIDs, 1000) {
		var rows []checkInRow
		if err := s.db.WithContext(ctx).Where("event_id = ? AND scan_id IN ?", eventID, part).Find(&rows).Error; err != nil {
			return nil, s.fail(ctx, err, "look up scan ids", on{})
		}
		for i := range rows {
			c := rows[i].toApp()
			out[c.ScanID] = &c
		}
	}
	return out, nil
}

// CheckInsByIDs returns the check-ins with the given ids, by id (unknown
// ids are absent), in one query per 1,000 ids.
func (s *Store) CheckInsByIDs(ctx context.Context, ids []int64) (map[int64]*app.CheckIn, error) {
	out := make(map[int64]*app.CheckIn, len(ids))
	for part := range slices.Chunk(ids, 1000) {
		var rows []checkInRow
		if err := s.db.WithContext(ctx).Where("id IN ?", part).Find(&rows).Error; err != nil {
			return nil, s.fail(ctx, err, "get check-ins", on{})
		}
		for i := range rows {
			c := rows[i].toApp()
			out[c.ID] = &c
		}
	}
	return out, nil
}

// ClearFirsts takes the First mark off the check-ins with the given ids
// in one statement and returns how many held it: fewer than len(ids)
// means a concurrent change moved First meanwhile.
func (s *Store) ClearFirsts(ctx context.Context, ids []int64) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	res := s.db.WithContext(ctx).Exec(`UPDATE check_ins SET "first" = ? WHERE "first" AND id IN ?`, false, ids)
	if res.Error != nil {
		return 0, s.fail(ctx, res.Error, "clear first check-ins", on{})
	}
	return res.RowsAffected, nil
}

// AddCheckIns inserts cs in one statement per 1,000 and fills their IDs.
// Unlike AddCheckInsIfNew nothing is skipped: a scan id already recorded
// in its event, or a second First of an attendee, fails the statement
// with EConflict (in a transaction, the caller then decides again).
func (s *Store) AddCheckIns(ctx context.Context, cs []*app.CheckIn) error {
	for part := range slices.Chunk(cs, 1000) {
		if err := s.insertCheckIns(ctx, part, false, nil); err != nil {
			return err
		}
	}
	return nil
}

// AddCheckIn inserts c (AttendeeID "" is stored as NULL) and fills c.ID.
// A scan id already used in the event, or a second First check-in of an
// attendee, is EConflict; an unknown event or attendee ENotFound.
func (s *Store) AddCheckIn(ctx context.Context, c *app.CheckIn) error {
	r := checkInToRow(c)
	r.ID = 0
	if err := s.db.WithContext(ctx).Create(&r).Error; err != nil {
		return s.fail(ctx, err, "add check-in", on{
			dup: conflict("scan %q is already recorded, or the attendee already holds a first check-in", c.ScanID),
			fk:  notFound("the check-in's event or attendee not found"),
		})
	}
	c.ID = r.ID
	return nil
}

// ClearFirst takes the First mark off the check-in with id (a no-op for
// an unknown id).
func (s *Store) ClearFirst(ctx context.Context, checkInID int64) error {
	err := s.db.WithContext(ctx).Exec(`UPDATE check_ins SET "first" = ? WHERE id = ?`, false, checkInID).Error
	if err != nil {
		return s.fail(ctx, err, "clear first check-in", on{})
	}
	return nil
}

// ValidCheckIns returns the attendee's checked_in and already_checked_in
// scans with an id below beforeID (all when beforeID ≤ 0), in id order.
func (s *Store) ValidCheckIns(ctx context.Context, attendeeID string, beforeID int64) ([]app.CheckIn, error) {
	q := s.db.WithContext(ctx).Where("attendee_id = ? AND result IN ?", attendeeID,
		[]string{app.ResultCheckedIn, app.ResultAlreadyCheckedIn})
	if beforeID > 0 {
		q = q.Where("id < ?", beforeID)
	}
	var rows []checkInRow
	if err := q.Order("id").Find(&rows).Error; err != nil {
		return nil, s.fail(ctx, err, "list valid check-ins", on{})
	}
	out := make([]app.CheckIn, len(rows))
	for i := range rows {
		out[i] = rows[i].toApp()
	}
	return out, nil
}

// CheckInStats counts, in three queries, the event's attendance by
// category (revoked attendees left out, as in CountAttendees), the gates
// where those attendees first checked in, and every scan by result and
// rejection reason.
func (s *Store) CheckInStats(ctx context.Context, eventID int64) (*app.CheckInSummary, error) {
	out := &app.CheckInSummary{
		ByCategory: map[string]app.CategoryCount{}, ByGate: map[string]int64{},
		Rejected: map[string]int64{}, Scans: map[string]int64{},
	}
	db := s.db.WithContext(ctx)
	var cats []struct {
		Category  string
		Expected  int64
		CheckedIn int64
	}
	err := db.Table("attendees AS a").
		Select("a.category AS category, COUNT(*) AS expected, COUNT(c.id) AS checked_in").
		Joins(`LEFT JOIN check_ins c ON c.attendee_id = a.id AND c."first"`).
		Where("a.event_id = ? AND a.revoked = ?", eventID, false).
		Group("a.category").Scan(&cats).Error
	if err != nil {
		return nil, s.fail(ctx, err, "count attendance by category", on{})
	}
	for _, c := range cats {
		out.ByCategory[c.Category] = app.CategoryCount{Expected: c.Expected, CheckedIn: c.CheckedIn}
		out.Expected += c.Expected
		out.CheckedIn += c.CheckedIn
	}
	var gates []struct {
		Gate string
		N    int64
	}
	err = db.Table("check_ins AS c").
		Select("c.gate AS gate, COUNT(*) AS n").
		Joins("JOIN attendees a ON a.id = c.attendee_id").
		Where(`c.event_id = ? AND c."first" AND a.revoked = ?`, eventID, false).
		Group("c.gate").Scan(&gates).Error
	if err != nil {
		return nil, s.fail(ctx, err, "count check-ins by gate", on{})
	}
	for _, g := range gates {
		out.ByGate[g.Gate] = g.N
	}
	var results []struct {
		Result string
		Reason string
		N      int64
	}
	err = db.Table("check_ins").Select("result, reason, COUNT(*) AS n").
		Where("event_id = ?", eventID).Group("result, reason").Scan(&results).Error
	if err != nil {
		return nil, s.fail(ctx, err, "count scans", on{})
	}
	for _, r := range results {
		out.Scans[r.Result] += r.N
		if r.Result == app.ResultRejected {
			out.Rejected[r.Reason] += r.N
		}
	}
	return out, nil
}

// attendeeCheckRow is an attendee with its First check-in, if any. The
// attendee is a named field: GORM skips an embedded unexported type.
type attendeeCheckRow struct {
	A              attendeeRow `gorm:"embedded"`
	FirstID        *int64
	FirstScannedAt *time.Time
	FirstGate      *string
	Scans          int64
}

// ListCheckedIn returns every attendee of the event holding a First
// check-in, with its time and gate and the number of scans of the
// attendee (rejected ones included), in one query, unordered.
func (s *Store) ListCheckedIn(ctx context.Context, eventID int64) ([]app.CheckedIn, error) {
	var rows []attendeeCheckRow
	err := s.db.WithContext(ctx).Table("check_ins AS c").
		Select(`a.*, c.id AS first_id, c.scanned_at AS first_scanned_at, c.gate AS first_gate,
			(SELECT COUNT(*) FROM check_ins n WHERE n.attendee_id = a.id) AS scans`).
		Joins("JOIN attendees a ON a.id = c.attendee_id").
		Where(`c.event_id = ? AND c."first"`, eventID).
		Scan(&rows).Error
	if err != nil {
		return nil, s.fail(ctx, err, "list checked-in attendees", on{})
	}
	out := make([]app.CheckedIn, len(rows))
	for i := range rows {
		r := &rows[i]
		out[i] = app.CheckedIn{Attendee: r.A.toApp(), Scans: r.Scans}
		if r.FirstScannedAt != nil {
			out[i].FirstScannedAt = utc(*r.FirstScannedAt)
		}
		if r.FirstGate != nil {
			out[i].FirstGate = *r.FirstGate
		}
	}
	return out, nil
}

// ScanStates returns, in one query and without locks, the attendees with
// the given ids (unknown ids are absent) and, for those that hold one,
// their check-in holding First: what deciding a group of scans needs.
func (s *Store) ScanStates(ctx context.Context, attendeeIDs []string) (map[string]*app.Attendee, map[string]*app.CheckIn, error) {
	attendees := make(map[string]*app.Attendee, len(attendeeIDs))
	firsts := make(map[string]*app.CheckIn)
	if len(attendeeIDs) == 0 {
		return attendees, firsts, nil
	}
	rows, err := s.db.WithContext(ctx).Raw(`SELECT `+attendeeAndCheckInColumns+`
FROM attendees a
LEFT JOIN check_ins c ON c.attendee_id = a.id AND c."first"
WHERE a.id IN ?`, attendeeIDs).Rows()
	if err != nil {
		return nil, nil, s.fail(ctx, err, "look up scans", on{})
	}
	defer rows.Close()
	for rows.Next() {
		a, c, err := scanAttendeeAndCheckIn(rows)
		if err != nil {
			return nil, nil, s.fail(ctx, err, "look up scans", on{})
		}
		attendees[a.ID] = a
		if c != nil && c.First {
			firsts[a.ID] = c
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, s.fail(ctx, err, "look up scans", on{})
	}
	return attendees, firsts, nil
}

// attendeeAndCheckInColumns are the columns scanAttendeeAndCheckIn
// reads: an attendee a and a LEFT JOINed check-in c.
const attendeeAndCheckInColumns = `a.id, a.event_id, a.name, a.organization, a.country, a.email, a.external_id,
	a.category, a.revoked, a.sample, a.created_at, a.updated_at,
	c.id, c.event_id, c.attendee_id, c.gate, c.scan_id, c.scanned_at, c.received_at, c.result, c.reason, c.source, c."first",
	c.ticket_digest, c.answered_first_id`

// scanAttendeeAndCheckIn reads one row of attendeeAndCheckInColumns: the
// attendee, and the check-in (nil when the join found none).
func scanAttendeeAndCheckIn(rows *sql.Rows) (*app.Attendee, *app.CheckIn, error) {
	var (
		ar                                   attendeeRow
		cid, cEvent                          sql.NullInt64
		cAttendee                            sql.NullString
		cGate, cScan, cResult, cReason, cSrc sql.NullString
		cScanned, cReceived                  sql.NullTime
		cFirst                               sql.NullBool
		cDigest                              sql.NullString
		cAnswered                            sql.NullInt64
	)
	if err := rows.Scan(&ar.ID, &ar.EventID, &ar.Name, &ar.Organization, &ar.Country, &ar.Email, &ar.ExternalID,
		&ar.Category, &ar.Revoked, &ar.Sample, &ar.CreatedAt, &ar.UpdatedAt,
		&cid, &cEvent, &cAttendee, &cGate, &cScan, &cScanned, &cReceived, &cResult, &cReason, &cSrc, &cFirst,
		&cDigest, &cAnswered); err != nil {
		return nil, nil, err
	}
	a := ar.toApp()
	if !cid.Valid {
		return &a, nil, nil
	}
	row := checkInRow{ID: cid.Int64, EventID: cEvent.Int64, Gate: cGate.String, ScanID: cScan.String,
		ScannedAt: cScanned.Time, ReceivedAt: cReceived.Time, Result: cResult.String, Reason: cReason.String,
		Source: cSrc.String, First: cFirst.Bool, TicketDigest: cDigest.String}
	if cAttendee.Valid {
		row.AttendeeID = &cAttendee.String
	}
	if cAnswered.Valid {
		row.AnsweredFirstID = &cAnswered.Int64
	}
	c := row.toApp()
	return &a, &c, nil
}

// checkInInsertParams is the number of parameters per row of a
// multi-row check-in insert.
const checkInInsertParams = 12

// AddCheckInsIfNew inserts cs in one statement, skipping each that a
// unique index refuses (its scan id is already recorded in its event, or
// it is a second First of its attendee), fills the ID of those inserted
// and reports which were.
func (s *Store) AddCheckInsIfNew(ctx context.Context, cs []*app.CheckIn) ([]bool, error) {
	added := make([]bool, len(cs))
	if len(cs) == 0 {
		return added, nil
	}
	return added, s.insertCheckIns(ctx, cs, true, added)
}

// insertCheckIns inserts cs in one multi-row statement (ON CONFLICT DO
// NOTHING when ifNew), fills the IDs of the rows inserted and marks them
// in added (when not nil).
func (s *Store) insertCheckIns(ctx context.Context, cs []*app.CheckIn, ifNew bool, added []bool) error {
	if len(cs) == 0 {
		return nil
	}
	var q strings.Builder
	q.WriteString(`INSERT INTO check_ins (event_id, attendee_id, gate, scan_id, scanned_at, received_at, result, reason, source, "first", ticket_digest, answered_first_id) VALUES `)
	args := make([]any, 0, checkInInsertParams*len(cs))
	for i, c := range cs {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
		r := checkInToRow(c)
		args = append(args, r.EventID, r.AttendeeID, r.Gate, r.ScanID, r.ScannedAt, r.ReceivedAt, r.Result, r.Reason, r.Source, r.First, r.TicketDigest, r.AnsweredFirstID)
	}
	if ifNew {
		q.WriteString(" ON CONFLICT DO NOTHING")
	}
	q.WriteString(" RETURNING id, event_id, scan_id")
	fail := on{
		dup: conflict("a scan id is already recorded, or an attendee already holds a first check-in"),
		fk:  notFound("a check-in's event or attendee not found"),
	}
	rows, err := s.db.WithContext(ctx).Raw(q.String(), args...).Rows()
	if err != nil {
		return s.fail(ctx, s.translate(err), "add check-ins", fail)
	}
	defer rows.Close()
	type key struct {
		event int64
		scan  string
	}
	at := make(map[key]int, len(cs))
	for i, c := range cs {
		at[key{c.EventID, c.ScanID}] = i
	}
	for rows.Next() {
		var (
			id, event int64
			scan      string
		)
		if err := rows.Scan(&id, &event, &scan); err != nil {
			return s.fail(ctx, s.translate(err), "add check-ins", fail)
		}
		if i, ok := at[key{event, scan}]; ok {
			cs[i].ID = id
			if added != nil {
				added[i] = true
			}
		}
	}
	if err := rows.Err(); err != nil {
		// A unique violation of a multi-row insert surfaces here, past
		// GORM's error translation.
		return s.fail(ctx, s.translate(err), "add check-ins", fail)
	}
	return nil
}
