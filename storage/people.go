package storage

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"strings"
	"time"

	"github.com/hybridcon/hybridcon/app"
)

// attendeeIDs encodes attendee ids: lowercase base32 without padding.
var attendeeIDs = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewAttendeeID returns an unguessable attendee id: 16 random bytes
// (128 bits, crypto/rand) as 26 lowercase base32 characters.
func NewAttendeeID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return strings.ToLower(attendeeIDs.EncodeToString(b[:]))
}

// CreateAttendee inserts a, generating a.ID with NewAttendeeID when it is
// empty, and fills the timestamps. An email or external id already used
// in the event (or a taken id) is EConflict; an unknown event ENotFound.
func (s *Store) CreateAttendee(ctx context.Context, a *app.Attendee) error {
	r := attendeeToRow(a)
	if r.ID == "" {
		r.ID = NewAttendeeID()
	}
	if err := s.db.WithContext(ctx).Create(&r).Error; err != nil {
		return s.fail(ctx, err, "create attendee", on{
			dup: conflict("an attendee with this id, email or external id already exists in this event"),
			fk:  notFound("event %d not found", a.EventID),
		})
	}
	a.ID, a.CreatedAt, a.UpdatedAt = r.ID, r.CreatedAt, r.UpdatedAt
	return nil
}

// AttendeeByID returns the attendee with id, or ENotFound.
func (s *Store) AttendeeByID(ctx context.Context, id string) (*app.Attendee, error) {
	var r attendeeRow
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&r).Error
	if err != nil {
		return nil, s.fail(ctx, err, "get attendee", on{notFound: notFound("attendee %q not found", id)})
	}
	a := r.toApp()
	return &a, nil
}

// CountAttendees returns, in one query, the event's attendees that are not
// revoked and how many of them have checked in (hold a first check-in).
// The second count is the event's first check-ins (a partial index)
// minus those of revoked attendees (few), not a join over every attendee:
// it runs several times a second during check-in.
func (s *Store) CountAttendees(ctx context.Context, eventID int64) (total, checkedIn int64, err error) {
	var c struct {
		Total     int64
		CheckedIn int64
	}
	err = s.db.WithContext(ctx).Raw(`SELECT
	(SELECT COUNT(*) FROM attendees WHERE event_id = ? AND NOT revoked) AS total,
	(SELECT COUNT(*) FROM check_ins WHERE event_id = ? AND "first")
	- (SELECT COUNT(*) FROM attendees a WHERE a.event_id = ? AND a.revoked
		AND EXISTS (SELECT 1 FROM check_ins c WHERE c.attendee_id = a.id AND c."first")) AS checked_in`,
		eventID, eventID, eventID).Scan(&c).Error
	if err != nil {
		return 0, 0, s.fail(ctx, err, "count attendees", on{})
	}
	return c.Total, c.CheckedIn, nil
}

// CreateAnnouncement inserts a and fills a.ID and a.CreatedAt (now when
// zero). An unknown event is ENotFound.
func (s *Store) CreateAnnouncement(ctx context.Context, a *app.Announcement) error {
	r := announcementToRow(a)
	if r.CreatedAt.IsZero() {
		r.CreatedAt = now()
	}
	id, err := s.insertID(ctx, insertAnnouncementSQL, r.EventID, r.TextZH, r.TextEN, r.TextHU, r.Pinned, r.Author, r.CreatedAt)
	if err != nil {
		return s.fail(ctx, err, "create announcement", on{fk: notFound("event %d not found", a.EventID)})
	}
	a.ID, a.CreatedAt = id, r.CreatedAt
	return nil
}

// ListAnnouncements returns the event's announcements newest first, at
// most limit of them (limit ≤ 0 means all).
func (s *Store) ListAnnouncements(ctx context.Context, eventID int64, limit int) ([]app.Announcement, error) {
	var rows []announcementRow
	q := s.db.WithContext(ctx).Where("event_id = ?", eventID).Order("id DESC")
	if limit > 0 {
		q = q.Limit(limit)
	}
	if err := q.Find(&rows).Error; err != nil {
		return nil, s.fail(ctx, err, "list announcements", on{})
	}
	out := make([]app.Announcement, len(rows))
	for i := range rows {
		out[i] = rows[i].toApp()
	}
	return out, nil
}

// AnnouncementByID returns one announcement; an unknown id is ENotFound.
func (s *Store) AnnouncementByID(ctx context.Context, id int64) (*app.Announcement, error) {
	var r announcementRow
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&r).Error; err != nil {
		return nil, s.fail(ctx, err, "get announcement", on{notFound: notFound("announcement %d not found", id)})
	}
	a := r.toApp()
	return &a, nil
}

// UpdateAnnouncement stores a's text and pinned flag.
func (s *Store) UpdateAnnouncement(ctx context.Context, a *app.Announcement) error {
	r := announcementToRow(a)
	res := s.db.WithContext(ctx).Model(&announcementRow{}).Where("id = ?", a.ID).
		Updates(map[string]any{"text_zh": r.TextZH, "text_en": r.TextEN, "text_hu": r.TextHU, "pinned": r.Pinned})
	if res.Error != nil {
		return s.fail(ctx, res.Error, "update announcement", on{})
	}
	if res.RowsAffected == 0 {
		return app.Errorf(app.ENotFound, "announcement %d not found", a.ID)
	}
	return nil
}

// DeleteAnnouncement removes one announcement; an unknown id is ENotFound.
func (s *Store) DeleteAnnouncement(ctx context.Context, id int64) error {
	res := s.db.WithContext(ctx).Where("id = ?", id).Delete(&announcementRow{})
	if res.Error != nil {
		return s.fail(ctx, res.Error, "delete announcement", on{})
	}
	if res.RowsAffected == 0 {
		return app.Errorf(app.ENotFound, "announcement %d not found", id)
	}
	return nil
}

// CreateUser inserts u and fills u.ID and u.CreatedAt. A taken username is
// EConflict; an unknown EventID ENotFound.
func (s *Store) CreateUser(ctx context.Context, u *app.User) error {
	r := userToRow(u)
	r.ID = 0
	if err := s.db.WithContext(ctx).Create(&r).Error; err != nil {
		o := on{dup: conflict("username %q is taken", u.Username)}
		if u.EventID != nil {
			o.fk = notFound("event %d not found", *u.EventID)
		}
		return s.fail(ctx, err, "create user", o)
	}
	u.ID, u.CreatedAt = r.ID, r.CreatedAt
	return nil
}

// UserByName returns the user whose username is username in any case
// (usernames are unique case-insensitively), or ENotFound.
func (s *Store) UserByName(ctx context.Context, username string) (*app.User, error) {
	var r userRow
	err := s.db.WithContext(ctx).Where("lower(username) = lower(?)", username).Take(&r).Error
	if err != nil {
		return nil, s.fail(ctx, err, "get user", on{notFound: notFound("user %q not found", username)})
	}
	u := r.toApp()
	return &u, nil
}

// CountUsers returns the number of users.
func (s *Store) CountUsers(ctx context.Context) (int64, error) {
	var n int64
	if err := s.db.WithContext(ctx).Model(&userRow{}).Count(&n).Error; err != nil {
		return 0, s.fail(ctx, err, "count users", on{})
	}
	return n, nil
}

// CreateToken inserts t (whose Hash is the SHA-256 of the secret, never
// the secret) and fills t.ID and t.CreatedAt. A hash already stored is
// EConflict; an unknown EventID or UserID ENotFound.
func (s *Store) CreateToken(ctx context.Context, t *app.Token) error {
	r := tokenToRow(t)
	r.ID = 0
	if err := s.db.WithContext(ctx).Create(&r).Error; err != nil {
		return s.fail(ctx, err, "create token", on{
			dup: conflict("token already exists"),
			fk:  notFound("the token's event or user not found"),
		})
	}
	t.ID, t.CreatedAt = r.ID, r.CreatedAt
	return nil
}

// TokenByHash returns the token whose hash is hash, expired or not (the
// caller checks ExpiresAt), or ENotFound — also when the token is a
// disabled user's. The message does not echo the hash.
func (s *Store) TokenByHash(ctx context.Context, hash string) (*app.Token, error) {
	var r tokenRow
	err := s.db.WithContext(ctx).Where("hash = ?", hash).
		Where("user_id IS NULL OR NOT EXISTS (SELECT 1 FROM users u WHERE u.id = tokens.user_id AND u.disabled)").Take(&r).Error
	if err != nil {
		return nil, s.fail(ctx, err, "get token", on{notFound: notFound("token not found")})
	}
	t := r.toApp()
	return &t, nil
}

// DeleteToken deletes the token whose hash is hash, or returns ENotFound.
func (s *Store) DeleteToken(ctx context.Context, hash string) error {
	res := s.db.WithContext(ctx).Where("hash = ?", hash).Delete(&tokenRow{})
	if res.Error != nil {
		return s.fail(ctx, res.Error, "delete token", on{})
	}
	if res.RowsAffected == 0 {
		return notFound("token not found")
	}
	return nil
}

// TouchToken sets the token's LastUsedAt to at, or returns ENotFound.
func (s *Store) TouchToken(ctx context.Context, id int64, at time.Time) error {
	res := s.db.WithContext(ctx).Model(&tokenRow{}).Where("id = ?", id).Update("last_used_at", utc(at))
	if res.Error != nil {
		return s.fail(ctx, res.Error, "touch token", on{})
	}
	if res.RowsAffected == 0 {
		return notFound("token %d not found", id)
	}
	return nil
}

// AddAudit inserts a and fills a.ID, and a.At with now when it is zero.
func (s *Store) AddAudit(ctx context.Context, a *app.AuditEntry) error {
	r := auditToRow(a)
	if r.At.IsZero() {
		r.At = now()
	}
	id, err := s.insertID(ctx, insertAuditSQL, r.EventID, r.Actor, r.Action, r.ObjectType, r.ObjectID, r.Before, r.After, r.At)
	if err != nil {
		return s.fail(ctx, err, "add audit entry", on{})
	}
	a.ID, a.At = id, r.At
	return nil
}

// ListAudit returns audit entries newest first, at most limit (limit ≤ 0
// means all): those of the event, or of every event and none when eventID
// is 0; only entries with id < beforeID when beforeID > 0, for paging.
func (s *Store) ListAudit(ctx context.Context, eventID int64, beforeID int64, limit int) ([]app.AuditEntry, error) {
	var rows []auditRow
	q := s.db.WithContext(ctx).Order("id DESC")
	if eventID != 0 {
		q = q.Where("event_id = ?", eventID)
	}
	if beforeID > 0 {
		q = q.Where("id < ?", beforeID)
	}
	if limit > 0 {
		q = q.Limit(limit)
	}
	if err := q.Find(&rows).Error; err != nil {
		return nil, s.fail(ctx, err, "list audit", on{})
	}
	out := make([]app.AuditEntry, len(rows))
	for i := range rows {
		out[i] = rows[i].toApp()
	}
	return out, nil
}
