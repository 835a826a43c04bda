package app

import (
	"context"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// Service holds the use cases. It is safe for concurrent use.
type Service struct {
	store Store
	pub   Publisher
	log   *slog.Logger
	// Now is the clock; tests replace it. Never nil after NewService.
	Now func() time.Time
	// Presence, when set, returns online viewers by region for an event;
	// the snapshot includes it. The realtime hub provides it.
	Presence func(slug string) map[string]int
	// ScanObserver, when set, is told the result and reason (empty unless
	// rejected) of every scan answered by CheckIn and CheckInBatch,
	// replays of a stored scan id included; the metrics count them. Set it
	// during wiring; it must be cheap and safe for concurrent use.
	ScanObserver func(result, reason string)
	// Regions are the known viewer regions (HYBRIDCON_REGIONS): the keys a
	// session's stream_links may use besides "default". Nil means
	// DefaultStreamRegions. Set it during wiring.
	Regions []string

	slugs sync.Map // slug → event id; slugs never change once created

	catalogues  sync.Map           // slug → *docEntry, the last catalogue built (live.go)
	catalogueSF singleflight.Group // one catalogue build per event at a time
	programmes  docShelf           // the newest programme built of each event (programme.go)
	programmeSF singleflight.Group // one programme build per event at a time

	touchMu    sync.Mutex
	touched    map[int64]time.Time // token id → last recorded use
	touchQueue map[int64]time.Time // uses not written yet
	touching   bool                // a writeTouches goroutine runs
	touchWG    sync.WaitGroup
	auth       authCache     // recently verified tokens (account.go)
	hashSlots  chan struct{} // password hashes running (hashing.go)

	desk checkinDesk // check-in caches and attendance updates (checkin.go)

	xfer transferDesk // technology-transfer live messages (transfer_live.go)
}

// NewService returns a Service over the store that publishes live
// envelopes through pub (NopPublisher when nil).
func NewService(store Store, pub Publisher, log *slog.Logger) *Service {
	if pub == nil {
		pub = NopPublisher{}
	}
	if log == nil {
		log = slog.Default()
	}
	return &Service{
		store: store,
		pub:   pub,
		log:   log,
		// Milliseconds are enough for a conference and keep JSON tidy.
		Now:       func() time.Time { return time.Now().UTC().Truncate(time.Millisecond) },
		touched:   make(map[int64]time.Time),
		hashSlots: make(chan struct{}, DefaultPasswordHashes),
	}
}

// SetPublisher replaces the publisher; call it during wiring only, before
// the service handles requests.
func (s *Service) SetPublisher(p Publisher) { s.pub = p }

// Store returns the underlying store (for commands and tests).
func (s *Service) Store() Store { return s.store }

// ListEvents returns every event.
func (s *Service) ListEvents(ctx context.Context) ([]Event, error) {
	return s.store.ListEvents(ctx)
}

// Event returns the event with the slug, or ENotFound.
func (s *Service) Event(ctx context.Context, slug string) (*Event, error) {
	if !ValidSlug(slug) {
		return nil, Errorf(ENotFound, "event %q not found", slug)
	}
	return s.store.EventBySlug(ctx, slug)
}

// eventID resolves a slug to an id, caching it.
func (s *Service) eventID(ctx context.Context, slug string) (int64, error) {
	if id, ok := s.slugs.Load(slug); ok {
		return id.(int64), nil
	}
	ev, err := s.Event(ctx, slug)
	if err != nil {
		return 0, err
	}
	// Clone: callers may pass strings backed by reused request buffers.
	s.slugs.Store(strings.Clone(slug), ev.ID)
	return ev.ID, nil
}

// Agenda is an event's sessions with expected times, and every showcase
// session's slots (by session id), as Schedule computed them.
type Agenda struct {
	Sessions []Session
	Slots    map[int64][]Slot
}

// loadAgenda reads the sessions and slots of an event and computes the
// expected times as of now.
func loadAgenda(ctx context.Context, r Repo, eventID int64, now time.Time) (*Agenda, error) {
	sessions, err := r.ListSessions(ctx, eventID)
	if err != nil {
		return nil, err
	}
	slots, err := r.ListEventSlots(ctx, eventID)
	if err != nil {
		return nil, err
	}
	bySession := make(map[int64][]Slot)
	for _, sl := range slots {
		bySession[sl.SessionID] = append(bySession[sl.SessionID], sl)
	}
	for id := range bySession {
		list := bySession[id]
		sort.Slice(list, func(i, j int) bool { return list[i].Position < list[j].Position })
	}
	sort.SliceStable(sessions, func(i, j int) bool {
		if !sessions[i].PlannedStart.Equal(sessions[j].PlannedStart) {
			return sessions[i].PlannedStart.Before(sessions[j].PlannedStart)
		}
		return sessions[i].ID < sessions[j].ID
	})
	Schedule(now, sessions, bySession)
	return &Agenda{Sessions: sessions, Slots: bySession}, nil
}

// Sessions returns the event's agenda with planned and expected times.
func (s *Service) Sessions(ctx context.Context, slug string) ([]Session, error) {
	id, err := s.eventID(ctx, slug)
	if err != nil {
		return nil, err
	}
	ag, err := loadAgenda(ctx, s.store, id, s.Now())
	if err != nil {
		return nil, err
	}
	return ag.Sessions, nil
}

// Achievements returns the event's showcase catalogue.
func (s *Service) Achievements(ctx context.Context, slug string) ([]Achievement, error) {
	id, err := s.eventID(ctx, slug)
	if err != nil {
		return nil, err
	}
	return s.store.ListAchievements(ctx, id)
}

// Showcase is a session's run-of-show (achievements and free items alike;
// the name is the route's).
type Showcase struct {
	Session Session `json:"session"`
	Slots   []Slot  `json:"slots"`
	Current *Slot   `json:"current"`
	Next    *Slot   `json:"next"`
}

// Showcase returns a session's slots with planned and expected times and
// their achievements.
func (s *Service) Showcase(ctx context.Context, sessionID int64) (*Showcase, error) {
	sess, err := s.store.SessionByID(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	ag, err := loadAgenda(ctx, s.store, sess.EventID, s.Now())
	if err != nil {
		return nil, err
	}
	achievements, err := s.store.ListAchievements(ctx, sess.EventID)
	if err != nil {
		return nil, err
	}
	return buildShowcase(ag, sessionID, achievements), nil
}

// buildShowcase is a session's run-of-show as the organizers' REST
// endpoints return it: the session and every slot with its achievement
// embedded. Live envelopes carry the smaller LiveShowcase instead.
func buildShowcase(ag *Agenda, sessionID int64, achievements []Achievement) *Showcase {
	byID := make(map[int64]*Achievement, len(achievements))
	for i := range achievements {
		byID[achievements[i].ID] = &achievements[i]
	}
	out := &Showcase{Slots: []Slot{}}
	for _, se := range ag.Sessions {
		if se.ID == sessionID {
			out.Session = se
		}
	}
	for _, sl := range ag.Slots[sessionID] {
		sl.Achievement = byID[sl.AchievementID]
		out.Slots = append(out.Slots, sl)
	}
	out.Current, out.Next = CurrentAndNext(out.Slots)
	return out
}

// LiveShowcase is a session's run-of-show as live envelopes carry it
// (showcase.updated, and within snapshot and schedule.shifted). It is
// small because it is the frame sent to every viewer each time an
// organizer presses Next: the session is named by id (session.updated,
// or the snapshot or schedule.shifted around it, carries the whole
// session), each slot is a SlotRow naming its achievement by id, and only
// the presenting and the next slot come whole, with every planned and
// expected time. Achievements lists the achievements a client may not
// have yet: those a catalogue change altered and those a replaced
// run-of-show newly uses; empty otherwise. A client keeps an achievement
// map filled from the snapshot's achievements and from this list.
type LiveShowcase struct {
	SessionID    int64         `json:"session_id"`
	Slots        []SlotRow     `json:"slots"`
	Current      *Slot         `json:"current"`
	Next         *Slot         `json:"next"`
	Achievements []Achievement `json:"achievements,omitempty"`
}

// SlotRow is one line of a run-of-show in a LiveShowcase: what a viewer's
// run-of-show list shows of an item. An achievement's item names it by
// AchievementID; a free item carries its own Title, Presenter and
// PresenterMode (it has no catalogue entry to look up). The whole item
// (planned times, expected end, actual times) is in LiveShowcase.Current
// and Next for the two items that show them, and in the REST run-of-show
// for all.
type SlotRow struct {
	ID            int64     `json:"id"`
	AchievementID int64     `json:"achievement_id,omitempty"`
	Title         *Text     `json:"title,omitempty"`
	Presenter     string    `json:"presenter,omitempty"`
	PresenterMode string    `json:"presenter_mode,omitempty"`
	Position      int       `json:"position"`
	State         string    `json:"state"`
	ExpectedStart time.Time `json:"expected_start"`
}

// liveShowcase builds the LiveShowcase of a session from the agenda;
// Achievements is left empty for the caller to fill.
func liveShowcase(ag *Agenda, sessionID int64) LiveShowcase {
	slots := ag.Slots[sessionID]
	out := LiveShowcase{SessionID: sessionID, Slots: make([]SlotRow, len(slots))}
	for i, sl := range slots {
		out.Slots[i] = SlotRow{ID: sl.ID, AchievementID: sl.AchievementID, Title: sl.Title, Presenter: sl.Presenter, PresenterMode: sl.PresenterMode,
			Position: sl.Position, State: sl.State, ExpectedStart: sl.ExpectedStart}
	}
	cur, next := CurrentAndNext(slots)
	if cur != nil {
		c := *cur
		c.Achievement = nil
		out.Current = &c
	}
	if next != nil {
		n := *next
		n.Achievement = nil
		out.Next = &n
	}
	return out
}

// pickAchievements returns the achievements whose ids are in ids, in the
// order of all (by id, as the store lists them). Never nil.
func pickAchievements(all []Achievement, ids map[int64]bool) []Achievement {
	out := []Achievement{}
	for _, a := range all {
		if ids[a.ID] {
			out = append(out, a)
		}
	}
	return out
}

// usedAchievements returns the ids of the achievements the agenda's
// run-of-shows use.
func usedAchievements(ag *Agenda) map[int64]bool {
	ids := map[int64]bool{}
	for _, slots := range ag.Slots {
		for _, sl := range slots {
			if sl.AchievementID > 0 {
				ids[sl.AchievementID] = true
			}
		}
	}
	return ids
}
