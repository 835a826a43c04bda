package app

import (
	"encoding/json"
	"time"
)

// Languages the platform speaks, in the order pages offer them.
var Languages = []string{"zh", "en", "hu"}

// Text is a string in the three conference languages. A missing language
// is the empty string; readers fall back to English, then Chinese.
type Text struct {
	ZH string `json:"zh"`
	EN string `json:"en"`
	HU string `json:"hu"`
}

// In returns the text in lang, falling back to English and then Chinese.
func (t Text) In(lang string) string {
	switch {
	case lang == "zh" && t.ZH != "":
		return t.ZH
	case lang == "hu" && t.HU != "":
		return t.HU
	case t.EN != "":
		return t.EN
	}
	return t.ZH
}

// Empty reports whether no language has text.
func (t Text) Empty() bool { return t.ZH == "" && t.EN == "" && t.HU == "" }

// Event is one conference. Its live log (LastSeq, Epoch) orders every
// change viewers see. Venue is trilingual like the title; it is empty in
// every language when the event has none.
type Event struct {
	ID        int64     `json:"-"`
	Slug      string    `json:"slug"`
	Title     Text      `json:"title"`
	Summary   Text      `json:"summary"`
	Venue     Text      `json:"venue"`
	VenueTZ   string    `json:"venue_tz"`
	ViewerTZs []string  `json:"viewer_tzs"`
	Languages []string  `json:"languages"`
	StartsAt  time.Time `json:"starts_at"`
	EndsAt    time.Time `json:"ends_at"`
	// PublicKey is the Ed25519 key that verifies this event's tickets,
	// base64 (standard encoding). The private key never leaves storage.
	PublicKey string    `json:"public_key"`
	LastSeq   int64     `json:"last_seq"`
	Epoch     string    `json:"epoch"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Session kinds used by the demo and the pages; others are allowed.
const (
	KindOpening  = "opening"
	KindShowcase = "showcase"
	KindSigning  = "signing"
	KindPanel    = "panel"
	KindClosing  = "closing"
)

// Session modes.
const (
	ModeOnsite = "onsite"
	ModeOnline = "online"
	ModeHybrid = "hybrid"
)

// Session is one item of the agenda. State follows the machine in state.go.
type Session struct {
	ID      int64  `json:"id"`
	EventID int64  `json:"-"`
	Title   Text   `json:"title"`
	Kind    string `json:"kind"`
	// Stage is the slug of the session's stage; StageID is that stage's
	// row, which storage reads and writes (the slug is read with it).
	Stage        string    `json:"stage"`
	StageID      int64     `json:"-"`
	Mode         string    `json:"mode"`
	PlannedStart time.Time `json:"planned_start"`
	PlannedEnd   time.Time `json:"planned_end"`
	// FixedStart marks a session that starts at its planned time whatever
	// runs late before it (a signing ceremony with officials).
	FixedStart  bool       `json:"fixed_start"`
	State       string     `json:"state"`
	ActualStart *time.Time `json:"actual_start,omitempty"`
	ActualEnd   *time.Time `json:"actual_end,omitempty"`
	// PausedAt is set while the session is paused.
	PausedAt *time.Time `json:"paused_at,omitempty"`
	// PausedSeconds is the total length of finished pauses.
	PausedSeconds int64 `json:"paused_seconds"`
	// StreamLinks overrides the stage's stream links for this session,
	// key by key (see EffectiveStreamLinks); empty uses the stage's.
	StreamLinks map[string]string `json:"stream_links"`
	// Version increases on every change; writers use it for optimistic
	// concurrency.
	Version int64 `json:"version"`
	// AnnouncedStart and AnnouncedEnd are the expected times viewers were
	// last told (schedule.shifted is sent when they drift).
	AnnouncedStart *time.Time `json:"-"`
	AnnouncedEnd   *time.Time `json:"-"`

	// Filled by Schedule, not stored.
	ExpectedStart time.Time `json:"expected_start"`
	ExpectedEnd   time.Time `json:"expected_end"`
	// Conflict is set by Schedule on a fixed-start session the stage
	// cannot start on time (see ScheduleConflict); nil otherwise.
	Conflict *ScheduleConflict `json:"conflict,omitempty"`
}

// PausedAtTime returns the total paused time of s as of now, including a
// pause still running.
func (s *Session) PausedAtTime(now time.Time) time.Duration {
	d := time.Duration(s.PausedSeconds) * time.Second
	if s.PausedAt != nil && now.After(*s.PausedAt) {
		d += now.Sub(*s.PausedAt)
	}
	return d
}

// Presenter modes of an achievement.
const (
	PresenterOnsite = "onsite"
	PresenterRemote = "remote"
)

// Achievement is one scientific or technological achievement of the
// showcase catalogue.
type Achievement struct {
	ID      int64 `json:"id"`
	EventID int64 `json:"-"`
	// Ref is the catalogue's own key; imports match on it so that
	// importing a file twice creates nothing new.
	Ref           string    `json:"ref"`
	Title         Text      `json:"title"`
	Summary       Text      `json:"summary"`
	Institution   string    `json:"institution"`
	Region        string    `json:"region"`
	Field         string    `json:"field"`
	Presenter     string    `json:"presenter"`
	PresenterMode string    `json:"presenter_mode"`
	Contact       string    `json:"contact,omitempty"`
	Sample        bool      `json:"sample"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// Slot states.
const (
	SlotPending    = "pending"
	SlotPresenting = "presenting"
	SlotDone       = "done"
	SlotSkipped    = "skipped"
)

// Slot is one item of a session's run-of-show: an achievement's turn (a
// showcase) or a free item — a talk, a speaker of a panel — with its own
// title, presenter and presenter mode. An item is an achievement when
// AchievementID is set, and a free item otherwise (Title then holds text
// in at least one language). Its ID stays the same while it exists, also
// across edits of the run-of-show, so other records may refer to it.
type Slot struct {
	ID            int64 `json:"id"`
	SessionID     int64 `json:"session_id"`
	AchievementID int64 `json:"achievement_id,omitempty"`
	// Title, Presenter and PresenterMode describe a free item; they are
	// empty (Title nil) on an achievement's item, whose achievement says.
	Title          *Text      `json:"title,omitempty"`
	Presenter      string     `json:"presenter,omitempty"`
	PresenterMode  string     `json:"presenter_mode,omitempty"`
	Position       int        `json:"position"`
	PlannedSeconds int64      `json:"planned_seconds"`
	State          string     `json:"state"`
	ActualStart    *time.Time `json:"actual_start,omitempty"`
	ActualEnd      *time.Time `json:"actual_end,omitempty"`
	// PauseBaseSeconds is the session's PausedSeconds when the slot went on
	// stage, so pauses during the slot extend it.
	PauseBaseSeconds int64 `json:"-"`

	// Filled by Schedule, not stored.
	PlannedStart  time.Time    `json:"planned_start"`
	PlannedEnd    time.Time    `json:"planned_end"`
	ExpectedStart time.Time    `json:"expected_start"`
	ExpectedEnd   time.Time    `json:"expected_end"`
	Achievement   *Achievement `json:"achievement,omitempty"`
}

// Attendee categories used by the demo and reports; others are allowed.
const (
	CategoryOfficial   = "official"
	CategoryGuest      = "guest"
	CategoryEnterprise = "enterprise"
	CategoryPress      = "press"
	CategoryAcademic   = "academic"
)

// Attendee is a registered guest. ID is unguessable: it is what tickets carry.
type Attendee struct {
	ID           string    `json:"id"`
	EventID      int64     `json:"-"`
	Name         string    `json:"name"`
	Organization string    `json:"organization"`
	Country      string    `json:"country"`
	Email        string    `json:"email,omitempty"`
	ExternalID   string    `json:"external_id,omitempty"`
	Category     string    `json:"category"`
	Revoked      bool      `json:"revoked"`
	Sample       bool      `json:"sample"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// Check-in results and sources.
const (
	ResultCheckedIn        = "checked_in"
	ResultAlreadyCheckedIn = "already_checked_in"
	ResultRejected         = "rejected"

	SourceOnline      = "online"
	SourceOfflineSync = "offline_sync"
)

// CheckIn is one scan at a gate. Every scan is kept; among an attendee's
// accepted scans exactly one has First set (a schema constraint).
type CheckIn struct {
	ID         int64     `json:"id"`
	EventID    int64     `json:"-"`
	AttendeeID string    `json:"attendee_id,omitempty"`
	Gate       string    `json:"gate"`
	ScanID     string    `json:"scan_id"`
	ScannedAt  time.Time `json:"scanned_at"`
	ReceivedAt time.Time `json:"received_at"`
	Result     string    `json:"result"`
	Reason     string    `json:"reason,omitempty"`
	Source     string    `json:"source"`
	First      bool      `json:"first"`
	// TicketDigest is the digest of the scanned text (see sameScan); ""
	// for scans recorded before digests were kept.
	TicketDigest string `json:"-"`
	// AnsweredFirstID is, for an already_checked_in scan, the check-in
	// its answer named as the first (0 when unknown: recorded before
	// this was kept).
	AnsweredFirstID int64 `json:"-"`
}

// Announcement is a trilingual message to viewers.
type Announcement struct {
	ID      int64 `json:"id"`
	EventID int64 `json:"-"`
	Text    Text  `json:"text"`
	Pinned  bool  `json:"pinned"`
	// Author is how the public sees who posted it: the user's display
	// name, else their role — never a username or a token's name.
	Author    string    `json:"author"`
	CreatedAt time.Time `json:"created_at"`
}

// Roles.
const (
	RoleAdmin     = "admin"
	RoleOrganizer = "organizer"
	RoleChecker   = "checker"
)

// ValidRole reports whether r is one of the three roles.
func ValidRole(r string) bool {
	return r == RoleAdmin || r == RoleOrganizer || r == RoleChecker
}

// User is a person who logs in to the pages. Username is what they log
// in with (unique whatever its case) and is never shown to the public;
// DisplayName is what viewers see where a user is named (announcements),
// and the role is shown instead when it is empty.
type User struct {
	ID           int64     `json:"id"`
	Username     string    `json:"username"`
	DisplayName  string    `json:"display_name"`
	PasswordHash string    `json:"-"`
	Role         string    `json:"role"`
	EventID      *int64    `json:"-"`               // checkers belong to one event
	Event        string    `json:"event,omitempty"` // EventID's slug, in answers
	Disabled     bool      `json:"disabled"`
	CreatedAt    time.Time `json:"created_at"`
}

// Token kinds: API tokens are sent as Bearer, login tokens live in a cookie.
const (
	TokenAPI   = "api"
	TokenLogin = "login"
)

// Token is a credential. Only its SHA-256 hash is stored.
type Token struct {
	ID         int64      `json:"id"`
	Kind       string     `json:"kind"`
	Name       string     `json:"name"`
	Hash       string     `json:"-"`
	Role       string     `json:"role"`
	EventID    *int64     `json:"-"`
	UserID     *int64     `json:"-"`
	Event      string     `json:"event,omitempty"` // EventID's slug, in answers
	CreatedBy  string     `json:"created_by,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// AuditEntry records who did what to which object.
type AuditEntry struct {
	ID         int64           `json:"id"`
	EventID    *int64          `json:"-"`
	Actor      string          `json:"actor"`
	Action     string          `json:"action"`
	ObjectType string          `json:"object_type"`
	ObjectID   string          `json:"object_id"`
	Before     json.RawMessage `json:"before,omitempty"`
	After      json.RawMessage `json:"after,omitempty"`
	At         time.Time       `json:"at"`
}

// Live envelope types.
const (
	TypeSnapshot        = "snapshot"
	TypeSessionUpdated  = "session.updated"
	TypeShowcaseUpdated = "showcase.updated"
	TypeScheduleShifted = "schedule.shifted"
	TypeAnnouncement    = "announcement.posted"
	// TypeAnnouncementUpdated carries an edited, pinned or unpinned
	// announcement whole; TypeAnnouncementDeleted its id.
	TypeAnnouncementUpdated = "announcement.updated"
	TypeAnnouncementDeleted = "announcement.deleted"
	TypeEventUpdated        = "event.updated"
	TypeStagesUpdated       = "stages.updated"
	TypeAttendance          = "attendance" // volatile
	TypePresence            = "presence"   // volatile
)

// Envelope is one message of the wire protocol. Durable envelopes have
// Seq ≥ 1 and are rows of the event's live log; volatile ones have Seq 0.
type Envelope struct {
	Seq   int64           `json:"seq"`
	Epoch string          `json:"epoch"`
	Type  string          `json:"type"`
	At    time.Time       `json:"at"`
	Event string          `json:"event"`
	Data  json.RawMessage `json:"data"`
}
