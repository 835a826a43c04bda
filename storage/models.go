package storage

import (
	"encoding/json"
	"time"

	"github.com/hybridcon/hybridcon/app"
)

// The GORM models below are storage's own: one per table, column for
// column, converted to and from app types by the functions next to them.
// app.Text is stored as three columns; lists and maps as JSON text; times
// in UTC with microsecond precision (what PostgreSQL keeps).

type eventRow struct {
	ID         int64  `gorm:"primaryKey"`
	Slug       string `gorm:"column:slug"`
	TitleZH    string `gorm:"column:title_zh"`
	TitleEN    string `gorm:"column:title_en"`
	TitleHU    string `gorm:"column:title_hu"`
	SummaryZH  string `gorm:"column:summary_zh"`
	SummaryEN  string `gorm:"column:summary_en"`
	SummaryHU  string `gorm:"column:summary_hu"`
	VenueZH    string `gorm:"column:venue_zh"`
	VenueEN    string `gorm:"column:venue_en"`
	VenueHU    string `gorm:"column:venue_hu"`
	VenueTZ    string `gorm:"column:venue_tz"`
	ViewerTZs  string `gorm:"column:viewer_tzs"`
	Languages  string `gorm:"column:languages"`
	StartsAt   time.Time
	EndsAt     time.Time
	PrivateKey []byte `gorm:"column:private_key"`
	PublicKey  string `gorm:"column:public_key"`
	LastSeq    int64  `gorm:"column:last_seq"`
	Epoch      string `gorm:"column:epoch"`
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

func (eventRow) TableName() string { return "events" }

func eventToRow(e *app.Event) eventRow {
	return eventRow{
		ID: e.ID, Slug: e.Slug,
		TitleZH: e.Title.ZH, TitleEN: e.Title.EN, TitleHU: e.Title.HU,
		SummaryZH: e.Summary.ZH, SummaryEN: e.Summary.EN, SummaryHU: e.Summary.HU,
		VenueZH: e.Venue.ZH, VenueEN: e.Venue.EN, VenueHU: e.Venue.HU,
		VenueTZ:   e.VenueTZ,
		ViewerTZs: jsonList(e.ViewerTZs), Languages: jsonList(e.Languages),
		StartsAt: utc(e.StartsAt), EndsAt: utc(e.EndsAt),
		PublicKey: e.PublicKey, LastSeq: e.LastSeq, Epoch: e.Epoch,
		CreatedAt: utc(e.CreatedAt), UpdatedAt: utc(e.UpdatedAt),
	}
}

// toApp converts r to an app.Event; the private key stays behind.
func (r *eventRow) toApp() app.Event {
	return app.Event{
		ID: r.ID, Slug: r.Slug,
		Title:     app.Text{ZH: r.TitleZH, EN: r.TitleEN, HU: r.TitleHU},
		Summary:   app.Text{ZH: r.SummaryZH, EN: r.SummaryEN, HU: r.SummaryHU},
		Venue:     app.Text{ZH: r.VenueZH, EN: r.VenueEN, HU: r.VenueHU},
		VenueTZ:   r.VenueTZ,
		ViewerTZs: parseList(r.ViewerTZs), Languages: parseList(r.Languages),
		StartsAt: utc(r.StartsAt), EndsAt: utc(r.EndsAt),
		PublicKey: r.PublicKey, LastSeq: r.LastSeq, Epoch: r.Epoch,
		CreatedAt: utc(r.CreatedAt), UpdatedAt: utc(r.UpdatedAt),
	}
}

type stageRow struct {
	ID          int64  `gorm:"primaryKey"`
	EventID     int64  `gorm:"column:event_id"`
	Slug        string `gorm:"column:slug"`
	NameZH      string `gorm:"column:name_zh"`
	NameEN      string `gorm:"column:name_en"`
	NameHU      string `gorm:"column:name_hu"`
	Position    int    `gorm:"column:position"`
	StreamLinks string `gorm:"column:stream_links"`
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (stageRow) TableName() string { return "stages" }

func stageToRow(s *app.Stage) stageRow {
	return stageRow{
		ID: s.ID, EventID: s.EventID, Slug: s.Slug,
		NameZH: s.Name.ZH, NameEN: s.Name.EN, NameHU: s.Name.HU,
		Position: s.Position, StreamLinks: jsonMap(s.StreamLinks),
		CreatedAt: utc(s.CreatedAt), UpdatedAt: utc(s.UpdatedAt),
	}
}

func (r *stageRow) toApp() app.Stage {
	return app.Stage{
		ID: r.ID, EventID: r.EventID, Slug: r.Slug,
		Name:     app.Text{ZH: r.NameZH, EN: r.NameEN, HU: r.NameHU},
		Position: r.Position, StreamLinks: parseMap(r.StreamLinks),
		CreatedAt: utc(r.CreatedAt), UpdatedAt: utc(r.UpdatedAt),
	}
}

// sessionRow is a session; StageSlug is read with it from its stage
// (sessionQuery) and never written.
type sessionRow struct {
	ID            int64  `gorm:"primaryKey"`
	EventID       int64  `gorm:"column:event_id"`
	TitleZH       string `gorm:"column:title_zh"`
	TitleEN       string `gorm:"column:title_en"`
	TitleHU       string `gorm:"column:title_hu"`
	Kind          string `gorm:"column:kind"`
	StageID       int64  `gorm:"column:stage_id"`
	StageSlug     string `gorm:"->;column:stage_slug"`
	Mode          string `gorm:"column:mode"`
	PlannedStart  time.Time
	PlannedEnd    time.Time
	FixedStart    bool   `gorm:"column:fixed_start"`
	State         string `gorm:"column:state"`
	ActualStart   *time.Time
	ActualEnd     *time.Time
	PausedAt      *time.Time
	PausedSeconds int64  `gorm:"column:paused_seconds"`
	StreamLinks   string `gorm:"column:stream_links"`
	Version       int64  `gorm:"column:version"`
	// AnnouncedStart/End are the expected times viewers were last told.
	AnnouncedStart *time.Time
	AnnouncedEnd   *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

func (sessionRow) TableName() string { return "sessions" }

func sessionToRow(s *app.Session) sessionRow {
	return sessionRow{
		ID: s.ID, EventID: s.EventID,
		TitleZH: s.Title.ZH, TitleEN: s.Title.EN, TitleHU: s.Title.HU,
		Kind: s.Kind, StageID: s.StageID, StageSlug: s.Stage, Mode: s.Mode,
		PlannedStart: utc(s.PlannedStart), PlannedEnd: utc(s.PlannedEnd),
		FixedStart: s.FixedStart, State: s.State,
		ActualStart: utcPtr(s.ActualStart), ActualEnd: utcPtr(s.ActualEnd),
		PausedAt: utcPtr(s.PausedAt), PausedSeconds: s.PausedSeconds,
		StreamLinks: jsonMap(s.StreamLinks), Version: s.Version,
		AnnouncedStart: utcPtr(s.AnnouncedStart), AnnouncedEnd: utcPtr(s.AnnouncedEnd),
	}
}

// sessionFields is every stored field of s that UpdateSession writes.
func sessionFields(r *sessionRow) map[string]any {
	return map[string]any{
		"title_zh": r.TitleZH, "title_en": r.TitleEN, "title_hu": r.TitleHU,
		"kind": r.Kind, "stage_id": r.StageID, "mode": r.Mode,
		"planned_start": r.PlannedStart, "planned_end": r.PlannedEnd,
		"fixed_start": r.FixedStart, "state": r.State,
		"actual_start": r.ActualStart, "actual_end": r.ActualEnd,
		"paused_at": r.PausedAt, "paused_seconds": r.PausedSeconds,
		"stream_links": r.StreamLinks,
	}
}

func (r *sessionRow) toApp() app.Session {
	return app.Session{
		ID: r.ID, EventID: r.EventID,
		Title: app.Text{ZH: r.TitleZH, EN: r.TitleEN, HU: r.TitleHU},
		Kind:  r.Kind, Stage: r.StageSlug, StageID: r.StageID, Mode: r.Mode,
		PlannedStart: utc(r.PlannedStart), PlannedEnd: utc(r.PlannedEnd),
		FixedStart: r.FixedStart, State: r.State,
		ActualStart: utcPtr(r.ActualStart), ActualEnd: utcPtr(r.ActualEnd),
		PausedAt: utcPtr(r.PausedAt), PausedSeconds: r.PausedSeconds,
		StreamLinks: parseMap(r.StreamLinks), Version: r.Version,
		AnnouncedStart: utcPtr(r.AnnouncedStart), AnnouncedEnd: utcPtr(r.AnnouncedEnd),
	}
}

type achievementRow struct {
	ID            int64  `gorm:"primaryKey"`
	EventID       int64  `gorm:"column:event_id"`
	Ref           string `gorm:"column:ref"`
	TitleZH       string `gorm:"column:title_zh"`
	TitleEN       string `gorm:"column:title_en"`
	TitleHU       string `gorm:"column:title_hu"`
	SummaryZH     string `gorm:"column:summary_zh"`
	SummaryEN     string `gorm:"column:summary_en"`
	SummaryHU     string `gorm:"column:summary_hu"`
	Institution   string `gorm:"column:institution"`
	Region        string `gorm:"column:region"`
	Field         string `gorm:"column:field"`
	Presenter     string `gorm:"column:presenter"`
	PresenterMode string `gorm:"column:presenter_mode"`
	Contact       string `gorm:"column:contact"`
	Sample        bool   `gorm:"column:sample"`
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

func (achievementRow) TableName() string { return "achievements" }

func achievementToRow(a *app.Achievement) achievementRow {
	return achievementRow{
		ID: a.ID, EventID: a.EventID, Ref: a.Ref,
		TitleZH: a.Title.ZH, TitleEN: a.Title.EN, TitleHU: a.Title.HU,
		SummaryZH: a.Summary.ZH, SummaryEN: a.Summary.EN, SummaryHU: a.Summary.HU,
		Institution: a.Institution, Region: a.Region, Field: a.Field,
		Presenter: a.Presenter, PresenterMode: a.PresenterMode, Contact: a.Contact,
		Sample:    a.Sample,
		CreatedAt: utc(a.CreatedAt), UpdatedAt: utc(a.UpdatedAt),
	}
}

func (r *achievementRow) toApp() app.Achievement {
	return app.Achievement{
		ID: r.ID, EventID: r.EventID, Ref: r.Ref,
		Title:       app.Text{ZH: r.TitleZH, EN: r.TitleEN, HU: r.TitleHU},
		Summary:     app.Text{ZH: r.SummaryZH, EN: r.SummaryEN, HU: r.SummaryHU},
		Institution: r.Institution, Region: r.Region, Field: r.Field,
		Presenter: r.Presenter, PresenterMode: r.PresenterMode, Contact: r.Contact,
		Sample:    r.Sample,
		CreatedAt: utc(r.CreatedAt), UpdatedAt: utc(r.UpdatedAt),
	}
}

// slotRow is one run-of-show item: an achievement's (AchievementID set)
// or a free item (title, presenter, presenter mode).
type slotRow struct {
	ID               int64  `gorm:"primaryKey"`
	SessionID        int64  `gorm:"column:session_id"`
	AchievementID    *int64 `gorm:"column:achievement_id"`
	TitleZH          string `gorm:"column:title_zh"`
	TitleEN          string `gorm:"column:title_en"`
	TitleHU          string `gorm:"column:title_hu"`
	Presenter        string `gorm:"column:presenter"`
	PresenterMode    string `gorm:"column:presenter_mode"`
	Position         int    `gorm:"column:position"`
	PlannedSeconds   int64  `gorm:"column:planned_seconds"`
	State            string
	ActualStart      *time.Time
	ActualEnd        *time.Time
	PauseBaseSeconds int64 `gorm:"column:pause_base_seconds"`
}

func (slotRow) TableName() string { return "showcase_slots" }

func slotToRow(s *app.Slot) slotRow {
	r := slotRow{
		ID: s.ID, SessionID: s.SessionID,
		Presenter: s.Presenter, PresenterMode: s.PresenterMode,
		Position: s.Position, PlannedSeconds: s.PlannedSeconds, State: s.State,
		ActualStart: utcPtr(s.ActualStart), ActualEnd: utcPtr(s.ActualEnd),
		PauseBaseSeconds: s.PauseBaseSeconds,
	}
	if s.AchievementID != 0 {
		id := s.AchievementID
		r.AchievementID = &id
	}
	if s.Title != nil {
		r.TitleZH, r.TitleEN, r.TitleHU = s.Title.ZH, s.Title.EN, s.Title.HU
	}
	return r
}

func (r *slotRow) toApp() app.Slot {
	sl := app.Slot{
		ID: r.ID, SessionID: r.SessionID,
		Presenter: r.Presenter, PresenterMode: r.PresenterMode,
		Position: r.Position, PlannedSeconds: r.PlannedSeconds, State: r.State,
		ActualStart: utcPtr(r.ActualStart), ActualEnd: utcPtr(r.ActualEnd),
		PauseBaseSeconds: r.PauseBaseSeconds,
	}
	if r.AchievementID != nil {
		sl.AchievementID = *r.AchievementID
	} else {
		sl.Title = &app.Text{ZH: r.TitleZH, EN: r.TitleEN, HU: r.TitleHU}
	}
	return sl
}

// slotFields is every stored field of a slot that UpdateSlot and
// ReplaceSlots write.
func slotFields(r *slotRow) map[string]any {
	return map[string]any{
		"session_id": r.SessionID, "achievement_id": r.AchievementID,
		"title_zh": r.TitleZH, "title_en": r.TitleEN, "title_hu": r.TitleHU,
		"presenter": r.Presenter, "presenter_mode": r.PresenterMode,
		"position": r.Position, "planned_seconds": r.PlannedSeconds, "state": r.State,
		"actual_start": r.ActualStart, "actual_end": r.ActualEnd,
		"pause_base_seconds": r.PauseBaseSeconds,
	}
}

type attendeeRow struct {
	ID           string `gorm:"primaryKey"`
	EventID      int64  `gorm:"column:event_id"`
	Name         string
	Organization string
	Country      string
	Email        string
	ExternalID   string `gorm:"column:external_id"`
	Category     string
	Revoked      bool
	Sample       bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

func (attendeeRow) TableName() string { return "attendees" }

func attendeeToRow(a *app.Attendee) attendeeRow {
	return attendeeRow{
		ID: a.ID, EventID: a.EventID, Name: a.Name, Organization: a.Organization,
		Country: a.Country, Email: a.Email, ExternalID: a.ExternalID,
		Category: a.Category, Revoked: a.Revoked, Sample: a.Sample,
		CreatedAt: utc(a.CreatedAt), UpdatedAt: utc(a.UpdatedAt),
	}
}

func (r *attendeeRow) toApp() app.Attendee {
	return app.Attendee{
		ID: r.ID, EventID: r.EventID, Name: r.Name, Organization: r.Organization,
		Country: r.Country, Email: r.Email, ExternalID: r.ExternalID,
		Category: r.Category, Revoked: r.Revoked, Sample: r.Sample,
		CreatedAt: utc(r.CreatedAt), UpdatedAt: utc(r.UpdatedAt),
	}
}

type announcementRow struct {
	ID        int64  `gorm:"primaryKey"`
	EventID   int64  `gorm:"column:event_id"`
	TextZH    string `gorm:"column:text_zh"`
	TextEN    string `gorm:"column:text_en"`
	TextHU    string `gorm:"column:text_hu"`
	Pinned    bool
	Author    string
	CreatedAt time.Time
}

func (announcementRow) TableName() string { return "announcements" }

func announcementToRow(a *app.Announcement) announcementRow {
	return announcementRow{
		ID: a.ID, EventID: a.EventID,
		TextZH: a.Text.ZH, TextEN: a.Text.EN, TextHU: a.Text.HU,
		Pinned: a.Pinned, Author: a.Author, CreatedAt: utc(a.CreatedAt),
	}
}

func (r *announcementRow) toApp() app.Announcement {
	return app.Announcement{
		ID: r.ID, EventID: r.EventID,
		Text:   app.Text{ZH: r.TextZH, EN: r.TextEN, HU: r.TextHU},
		Pinned: r.Pinned, Author: r.Author, CreatedAt: utc(r.CreatedAt),
	}
}

type userRow struct {
	ID           int64 `gorm:"primaryKey"`
	Username     string
	DisplayName  string `gorm:"column:display_name"`
	PasswordHash string `gorm:"column:password_hash"`
	Role         string
	EventID      *int64 `gorm:"column:event_id"`
	Disabled     bool
	CreatedAt    time.Time
}

func (userRow) TableName() string { return "users" }

func userToRow(u *app.User) userRow {
	return userRow{
		ID: u.ID, Username: u.Username, DisplayName: u.DisplayName, PasswordHash: u.PasswordHash,
		Role: u.Role, EventID: u.EventID, Disabled: u.Disabled, CreatedAt: utc(u.CreatedAt),
	}
}

func (r *userRow) toApp() app.User {
	return app.User{
		ID: r.ID, Username: r.Username, DisplayName: r.DisplayName, PasswordHash: r.PasswordHash,
		Role: r.Role, EventID: r.EventID, Disabled: r.Disabled, CreatedAt: utc(r.CreatedAt),
	}
}

type tokenRow struct {
	ID         int64 `gorm:"primaryKey"`
	Kind       string
	Name       string
	Hash       string
	Role       string
	EventID    *int64 `gorm:"column:event_id"`
	UserID     *int64 `gorm:"column:user_id"`
	CreatedBy  string `gorm:"column:created_by"`
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
}

func (tokenRow) TableName() string { return "tokens" }

func tokenToRow(t *app.Token) tokenRow {
	return tokenRow{
		ID: t.ID, Kind: t.Kind, Name: t.Name, Hash: t.Hash, Role: t.Role,
		EventID: t.EventID, UserID: t.UserID, CreatedBy: t.CreatedBy, CreatedAt: utc(t.CreatedAt),
		ExpiresAt: utcPtr(t.ExpiresAt), LastUsedAt: utcPtr(t.LastUsedAt),
	}
}

func (r *tokenRow) toApp() app.Token {
	return app.Token{
		ID: r.ID, Kind: r.Kind, Name: r.Name, Hash: r.Hash, Role: r.Role,
		EventID: r.EventID, UserID: r.UserID, CreatedBy: r.CreatedBy, CreatedAt: utc(r.CreatedAt),
		ExpiresAt: utcPtr(r.ExpiresAt), LastUsedAt: utcPtr(r.LastUsedAt),
	}
}

type auditRow struct {
	ID         int64  `gorm:"primaryKey"`
	EventID    *int64 `gorm:"column:event_id"`
	Actor      string
	Action     string
	ObjectType string  `gorm:"column:object_type"`
	ObjectID   string  `gorm:"column:object_id"`
	Before     *string `gorm:"column:before"`
	After      *string `gorm:"column:after"`
	At         time.Time
}

func (auditRow) TableName() string { return "audit_entries" }

func auditToRow(a *app.AuditEntry) auditRow {
	return auditRow{
		ID: a.ID, EventID: a.EventID, Actor: a.Actor, Action: a.Action,
		ObjectType: a.ObjectType, ObjectID: a.ObjectID,
		Before: rawText(a.Before), After: rawText(a.After), At: utc(a.At),
	}
}

func (r *auditRow) toApp() app.AuditEntry {
	return app.AuditEntry{
		ID: r.ID, EventID: r.EventID, Actor: r.Actor, Action: r.Action,
		ObjectType: r.ObjectType, ObjectID: r.ObjectID,
		Before: textRaw(r.Before), After: textRaw(r.After), At: utc(r.At),
	}
}

type liveRow struct {
	ID      int64 `gorm:"primaryKey"`
	EventID int64 `gorm:"column:event_id"`
	Seq     int64
	Type    string
	At      time.Time
	Data    string
}

func (liveRow) TableName() string { return "live_entries" }

// utc returns t in UTC truncated to the microsecond, so that a time reads
// back equal to what was written on both databases.
func utc(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// utcPtr is utc for optional times; nil stays nil.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := utc(*t)
	return &u
}

// jsonList encodes l as JSON text; nil is "[]".
func jsonList(l []string) string {
	if l == nil {
		return "[]"
	}
	b, _ := json.Marshal(l) // a []string always marshals
	return string(b)
}

// parseList decodes what jsonList wrote. Text that is not a JSON list of
// strings (only possible through hand edits) reads as an empty list.
func parseList(s string) []string {
	l := []string{}
	_ = json.Unmarshal([]byte(s), &l)
	return l
}

// jsonMap encodes m as JSON text; nil is "{}".
func jsonMap(m map[string]string) string {
	if m == nil {
		return "{}"
	}
	b, _ := json.Marshal(m) // a map[string]string always marshals
	return string(b)
}

// parseMap decodes what jsonMap wrote, like parseList.
func parseMap(s string) map[string]string {
	m := map[string]string{}
	_ = json.Unmarshal([]byte(s), &m)
	return m
}

// rawText stores a JSON document as nullable text: empty is NULL.
func rawText(r json.RawMessage) *string {
	if len(r) == 0 {
		return nil
	}
	s := string(r)
	return &s
}

// textRaw is the inverse of rawText.
func textRaw(s *string) json.RawMessage {
	if s == nil {
		return nil
	}
	return json.RawMessage(*s)
}
