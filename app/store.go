package app

import (
	"context"
	"time"
)

// Repo is what the use cases read and write: the union of the narrow
// repositories below, one per use case, so a use case's code can say which
// part of the store it needs. Implementations return *Error values with
// ENotFound for unknown objects and EConflict for unique violations.
// Methods are safe for concurrent use on a Store; the Repo handed to a Tx
// callback must only be used inside that callback.
type Repo interface {
	EventRepo
	SessionRepo
	StageRepo
	CatalogueRepo
	AttendeeRepo
	CheckInRepo
	AnnouncementRepo
	AuthRepo
	AccountRepo
	AuditRepo
	LiveLog
	TransferRepo
}

// EventRepo reads and writes events and their ticket-signing keys.
type EventRepo interface {
	ListEvents(ctx context.Context) ([]Event, error)
	EventBySlug(ctx context.Context, slug string) (*Event, error)
	EventByID(ctx context.Context, id int64) (*Event, error)
	CreateEvent(ctx context.Context, e *Event) error
	UpdateEvent(ctx context.Context, e *Event) error
	// EventPrivateKey returns the Ed25519 private key that signs tickets.
	EventPrivateKey(ctx context.Context, eventID int64) ([]byte, error)
}

// SessionRepo reads and writes sessions and their run-of-show slots.
type SessionRepo interface {
	ListSessions(ctx context.Context, eventID int64) ([]Session, error)
	SessionByID(ctx context.Context, id int64) (*Session, error)
	// LockEvent locks the event until the transaction ends. Transactions
	// that change sessions and append to the live log call it first, so
	// every such transaction locks in the same order (event, then
	// sessions).
	LockEvent(ctx context.Context, eventID int64) error
	// SessionForUpdate reads a session and locks it until the transaction
	// ends, so concurrent edits of one session run one after the other.
	SessionForUpdate(ctx context.Context, id int64) (*Session, error)
	// SetAnnounced records the expected times viewers were last told.
	SetAnnounced(ctx context.Context, id int64, start, end time.Time) error
	CreateSession(ctx context.Context, s *Session) error
	// UpdateSession writes every stored field of s when its stored version
	// is s.Version, and increments s.Version; a mismatch is EConflict.
	UpdateSession(ctx context.Context, s *Session) error
	ListSlots(ctx context.Context, sessionID int64) ([]Slot, error)
	ListEventSlots(ctx context.Context, eventID int64) ([]Slot, error)
	// ReplaceSlots makes slots the session's run-of-show in their order
	// (positions 1..n): a slot whose ID is one of the session's items
	// keeps that ID and is rewritten, a slot with ID 0 is inserted (its
	// new ID filled in), and the session's items not in slots are
	// deleted.
	ReplaceSlots(ctx context.Context, sessionID int64, slots []Slot) error
	UpdateSlot(ctx context.Context, s *Slot) error
}

// CatalogueRepo reads and writes the showcase's achievements.
type CatalogueRepo interface {
	ListAchievements(ctx context.Context, eventID int64) ([]Achievement, error)
	AchievementByID(ctx context.Context, id int64) (*Achievement, error)
	CreateAchievement(ctx context.Context, a *Achievement) error
	UpdateAchievement(ctx context.Context, a *Achievement) error
	DeleteAchievement(ctx context.Context, id int64) error
}

// AttendeeRepo reads and writes registered attendees.
type AttendeeRepo interface {
	CreateAttendee(ctx context.Context, a *Attendee) error
	AttendeeByID(ctx context.Context, id string) (*Attendee, error)
	CountAttendees(ctx context.Context, eventID int64) (total, checkedIn int64, err error)

	// ListAttendees returns a page of the event's attendees with their
	// check-in state (Ticket left empty), ordered by name then id, and
	// how many match the filter in all.
	ListAttendees(ctx context.Context, f AttendeeFilter) ([]AttendeeView, int64, error)
	// EventAttendees returns every attendee of the event, in id order.
	EventAttendees(ctx context.Context, eventID int64) ([]Attendee, error)
	// CreateAttendees inserts many attendees at once as CreateAttendee
	// does one, generating ids.
	CreateAttendees(ctx context.Context, as []Attendee) error
	// UpdateAttendee writes every field of a but its id, event and
	// creation time. Unknown id is ENotFound; an e-mail or external id
	// used by another attendee of the event EConflict.
	UpdateAttendee(ctx context.Context, a *Attendee) error
}

// CheckInRepo is what deciding and reporting scans needs.
type CheckInRepo interface {
	// AttendeeForUpdate reads an attendee and locks its row until the
	// transaction ends, so concurrent scans of one ticket run one after
	// the other; ENotFound when unknown.
	AttendeeForUpdate(ctx context.Context, id string) (*Attendee, error)
	// ScanLookup returns, in one query, the event's check-in with scanID
	// (nil when none, or when scanID is "") and the attendee's check-in
	// holding First (nil when none).
	ScanLookup(ctx context.Context, eventID int64, scanID, attendeeID string) (byScan, first *CheckIn, err error)
	// ScanState returns, in one query and without locks, the attendee
	// (ENotFound when unknown), the event's check-in with scanID (nil
	// when none) and the attendee's check-in holding First (nil when
	// none): what deciding a scan needs.
	ScanState(ctx context.Context, eventID int64, scanID, attendeeID string) (a *Attendee, byScan, first *CheckIn, err error)
	// ScanStates returns, in one query and without locks, the attendees
	// with the given ids (unknown ones absent) and the check-in holding
	// First of those that have one, by attendee id.
	ScanStates(ctx context.Context, attendeeIDs []string) (map[string]*Attendee, map[string]*CheckIn, error)
	// AddCheckInsIfNew inserts cs in one statement, skipping each a
	// unique index refuses (scan id already recorded, or a second First),
	// fills the IDs of those inserted and reports which were.
	AddCheckInsIfNew(ctx context.Context, cs []*CheckIn) ([]bool, error)
	// CheckInByScanID returns the event's check-in with scanID, or
	// ENotFound.
	CheckInByScanID(ctx context.Context, eventID int64, scanID string) (*CheckIn, error)
	// CheckInsByScanIDs returns the event's check-ins recorded under any
	// of scanIDs, by scan id.
	CheckInsByScanIDs(ctx context.Context, eventID int64, scanIDs []string) (map[string]*CheckIn, error)
	// CheckInsByIDs returns the check-ins with the given ids, by id.
	CheckInsByIDs(ctx context.Context, ids []int64) (map[int64]*CheckIn, error)
	// AddCheckIns inserts cs in few statements and fills their IDs; a
	// scan id already recorded or a second First is EConflict.
	AddCheckIns(ctx context.Context, cs []*CheckIn) error
	// ClearFirsts takes the First mark off the given check-ins and
	// returns how many held it.
	ClearFirsts(ctx context.Context, ids []int64) (int64, error)
	// AddCheckIn inserts c and fills c.ID. A scan id already used in the
	// event, or a second First check-in of an attendee, is EConflict.
	AddCheckIn(ctx context.Context, c *CheckIn) error
	// ClearFirst takes the First mark off a check-in.
	ClearFirst(ctx context.Context, checkInID int64) error
	// ValidCheckIns returns the attendee's checked_in and
	// already_checked_in scans with an id below beforeID (all when
	// beforeID ≤ 0), in id order.
	ValidCheckIns(ctx context.Context, attendeeID string, beforeID int64) ([]CheckIn, error)
	// CheckInStats counts the event's attendance, scans and rejections.
	CheckInStats(ctx context.Context, eventID int64) (*CheckInSummary, error)
	// ListCheckedIn returns every attendee of the event holding a First
	// check-in, with that check-in and their number of scans.
	ListCheckedIn(ctx context.Context, eventID int64) ([]CheckedIn, error)
}

// AnnouncementRepo reads and writes announcements.
type AnnouncementRepo interface {
	CreateAnnouncement(ctx context.Context, a *Announcement) error
	ListAnnouncements(ctx context.Context, eventID int64, limit int) ([]Announcement, error)
	// AnnouncementByID is ENotFound for an unknown id.
	AnnouncementByID(ctx context.Context, id int64) (*Announcement, error)
	// UpdateAnnouncement stores a's text and pinned flag.
	UpdateAnnouncement(ctx context.Context, a *Announcement) error
	DeleteAnnouncement(ctx context.Context, id int64) error
}

// AuthRepo is what signing in and authenticating requests needs;
// managing accounts is AccountRepo.
type AuthRepo interface {
	CreateUser(ctx context.Context, u *User) error
	UserByName(ctx context.Context, username string) (*User, error)
	CountUsers(ctx context.Context) (int64, error)
	CreateToken(ctx context.Context, t *Token) error
	TokenByHash(ctx context.Context, hash string) (*Token, error)
	DeleteToken(ctx context.Context, hash string) error
	TouchToken(ctx context.Context, id int64, at time.Time) error
}

// AuditRepo records and lists the audit trail.
type AuditRepo interface {
	AddAudit(ctx context.Context, a *AuditEntry) error
	ListAudit(ctx context.Context, eventID int64, beforeID int64, limit int) ([]AuditEntry, error)
}

// LiveLog is the event's durable log of live envelopes.
type LiveLog interface {
	// Live log. AppendLive takes the event's next seq and writes the
	// envelope in the same transaction as the change it describes; it must
	// be called inside Store.Tx. LiveSince returns durable envelopes with
	// seq > since in order, at most limit.
	AppendLive(ctx context.Context, eventID int64, typ string, data any) (Envelope, error)
	LiveSince(ctx context.Context, eventID int64, since int64, limit int) ([]Envelope, error)
	LastSeq(ctx context.Context, eventID int64) (seq int64, epoch string, err error)
	// LastSeqExcept is the seq of the latest envelope whose type is not
	// one of types (0 when none).
	LastSeqExcept(ctx context.Context, eventID int64, types []string) (int64, error)
}

// Store is a Repo with transactions.
type Store interface {
	Repo
	// Tx runs fn in one transaction; an error from fn rolls it back.
	Tx(ctx context.Context, fn func(Repo) error) error
	// ReadTx runs fn in one read-only transaction that sees a single
	// consistent snapshot of the database.
	ReadTx(ctx context.Context, fn func(Repo) error) error
	// Ping checks the database answers.
	Ping(ctx context.Context) error
}

// Publisher fans live envelopes out to viewers. Publish is called after
// the transaction that wrote the envelopes committed; it must not block
// on slow viewers. A failed publish loses nothing: nodes catch up from the
// log. Implementations are safe for concurrent use.
type Publisher interface {
	Publish(ctx context.Context, envs ...Envelope)
	// PublishVolatile sends a seq-0 message (presence, attendance); the
	// latest value per type wins.
	PublishVolatile(ctx context.Context, slug, typ string, data any)
}

// NopPublisher publishes nothing. Useful for commands and tests that have
// no viewers.
type NopPublisher struct{}

// Publish does nothing.
func (NopPublisher) Publish(context.Context, ...Envelope) {}

// PublishVolatile does nothing.
func (NopPublisher) PublishVolatile(context.Context, string, string, any) {}
