package storage

import (
	"context"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/hybridcon/hybridcon/app"
)

// attendeeBatch is how many rows one INSERT of CreateAttendees carries:
// 500 rows × 12 columns stays far below the bound-parameter limits of
// SQLite (32,766) and PostgreSQL (65,535).
const attendeeBatch = 500

// AttendeeForUpdate returns the attendee with id and locks its row until
// the transaction ends (SELECT … FOR UPDATE on PostgreSQL; SQLite's
// immediate transactions already hold the one write lock), so concurrent
// scans of one ticket are decided one after the other. ENotFound when
// unknown.
func (s *Store) AttendeeForUpdate(ctx context.Context, id string) (*app.Attendee, error) {
	q := s.db.WithContext(ctx)
	if s.c.dialect == DialectPostgres {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var r attendeeRow
	if err := q.Where("id = ?", id).Take(&r).Error; err != nil {
		return nil, s.fail(ctx, err, "lock attendee", on{notFound: notFound("attendee %q not found", id)})
	}
	a := r.toApp()
	return &a, nil
}

// EventAttendees returns every attendee of the event, in id order.
func (s *Store) EventAttendees(ctx context.Context, eventID int64) ([]app.Attendee, error) {
	var rows []attendeeRow
	if err := s.db.WithContext(ctx).Where("event_id = ?", eventID).Order("id").Find(&rows).Error; err != nil {
		return nil, s.fail(ctx, err, "list attendees", on{})
	}
	out := make([]app.Attendee, len(rows))
	for i := range rows {
		out[i] = rows[i].toApp()
	}
	return out, nil
}

// CreateAttendees inserts as in batches, generating the ids that are
// empty, and fills the ids and timestamps back into as. A duplicate
// e-mail or external id in the event is EConflict, an unknown event
// ENotFound; inside a transaction a failure leaves nothing behind.
func (s *Store) CreateAttendees(ctx context.Context, as []app.Attendee) error {
	if len(as) == 0 {
		return nil
	}
	rows := make([]attendeeRow, len(as))
	for i := range as {
		rows[i] = attendeeToRow(&as[i])
		if rows[i].ID == "" {
			rows[i].ID = NewAttendeeID()
		}
	}
	if err := s.db.WithContext(ctx).CreateInBatches(&rows, attendeeBatch).Error; err != nil {
		return s.fail(ctx, err, "create attendees", on{
			dup: conflict("an attendee with this id, email or external id already exists in this event"),
			fk:  notFound("event not found"),
		})
	}
	for i := range rows {
		as[i].ID, as[i].CreatedAt, as[i].UpdatedAt = rows[i].ID, rows[i].CreatedAt, rows[i].UpdatedAt
	}
	return nil
}

// UpdateAttendee writes name, organization, country, email, external id,
// category, revoked and sample of a and sets a.UpdatedAt (a's value when
// set, else now). An unknown id is ENotFound; an e-mail or external id of
// another attendee of the event EConflict.
func (s *Store) UpdateAttendee(ctx context.Context, a *app.Attendee) error {
	r := attendeeToRow(a)
	if a.UpdatedAt.IsZero() {
		r.UpdatedAt = now()
	}
	res := s.db.WithContext(ctx).Model(&attendeeRow{}).Where("id = ?", a.ID).Updates(map[string]any{
		"name": r.Name, "organization": r.Organization, "country": r.Country,
		"email": r.Email, "external_id": r.ExternalID, "category": r.Category,
		"revoked": r.Revoked, "sample": r.Sample, "updated_at": r.UpdatedAt,
	})
	if res.Error != nil {
		return s.fail(ctx, res.Error, "update attendee", on{
			dup: conflict("another attendee of this event has this email or external id"),
		})
	}
	if res.RowsAffected == 0 {
		return notFound("attendee %q not found", a.ID)
	}
	a.UpdatedAt = r.UpdatedAt
	return nil
}

// ListAttendees returns a page of the event's attendees with their First
// check-in, ordered by name then id, and how many match in all. Without
// f.Query the page and the count are two queries. With f.Query (lower
// case) the event's attendees are matched in Go with
// app.AttendeeMatches, because SQLite's LOWER folds ASCII only and
// "éva" must find "Éva" on both databases; an event has at most tens of
// thousands of attendees.
func (s *Store) ListAttendees(ctx context.Context, f app.AttendeeFilter) ([]app.AttendeeView, int64, error) {
	base := func() *gorm.DB {
		q := s.db.WithContext(ctx).Table("attendees AS a").
			Joins(`LEFT JOIN check_ins c ON c.attendee_id = a.id AND c."first"`).
			Where("a.event_id = ?", f.EventID)
		if f.CheckedIn != nil {
			if *f.CheckedIn {
				q = q.Where("c.id IS NOT NULL")
			} else {
				q = q.Where("c.id IS NULL")
			}
		}
		return q
	}
	const cols = "a.*, c.id AS first_id, c.scanned_at AS first_scanned_at, c.gate AS first_gate"
	var rows []attendeeCheckRow
	var total int64
	if f.Query == "" {
		if err := base().Count(&total).Error; err != nil {
			return nil, 0, s.fail(ctx, err, "count attendees", on{})
		}
		q := base().Select(cols).Order("a.name, a.id").Offset(f.Offset)
		if f.Limit > 0 {
			q = q.Limit(f.Limit)
		}
		if err := q.Scan(&rows).Error; err != nil {
			return nil, 0, s.fail(ctx, err, "list attendees", on{})
		}
	} else {
		var all []attendeeCheckRow
		if err := base().Select(cols).Order("a.name, a.id").Scan(&all).Error; err != nil {
			return nil, 0, s.fail(ctx, err, "search attendees", on{})
		}
		for i := range all {
			a := all[i].A.toApp()
			if app.AttendeeMatches(&a, f.Query) {
				rows = append(rows, all[i])
			}
		}
		total = int64(len(rows))
		rows = rows[min(f.Offset, len(rows)):]
		if f.Limit > 0 && len(rows) > f.Limit {
			rows = rows[:f.Limit]
		}
	}
	out := make([]app.AttendeeView, len(rows))
	for i := range rows {
		r := &rows[i]
		out[i] = app.AttendeeView{Attendee: r.A.toApp(), CheckedIn: r.FirstID != nil}
		if r.FirstScannedAt != nil {
			at := utc(*r.FirstScannedAt)
			out[i].FirstScannedAt = &at
		}
		if r.FirstGate != nil {
			out[i].FirstGate = *r.FirstGate
		}
	}
	return out, total, nil
}
