package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
	"time"
)

// MaxLogPage is the most envelopes one log read returns.
const MaxLogPage = 1000

// Attendance is the on-site count viewers see.
type Attendance struct {
	CheckedIn int64 `json:"checked_in"`
	Expected  int64 `json:"expected"`
}

// StageNow is one stage of a snapshot with what is on it (OnStage): the
// live or paused session, else the scheduled one expected first, its
// presenting and next items (of its run-of-show, as in the showcase
// entries, without embedded achievements), and the scheduled session
// expected after it. SessionID and NextSessionID are 0 when there is no
// such session; State is the state of SessionID's session ("" when none).
type StageNow struct {
	Stage
	SessionID     int64  `json:"session_id"`
	State         string `json:"state"`
	Current       *Slot  `json:"current"`
	Next          *Slot  `json:"next"`
	NextSessionID int64  `json:"next_session_id"`
}

// LiveState is the data of a snapshot envelope: what is live now (each
// stage's now and next, announcements, attendance, presence, technology
// transfer) and the versions of the two documents a viewer page fetches
// once per version and caches: the Programme (event, sessions,
// run-of-shows) and the Catalogue (achievements). A snapshot goes to
// every new viewer; those two were most of its bytes. Event, Sessions and
// Showcases are empty on the wire; pages rendered on the server fill them
// from the programme (Service.FillProgramme).
type LiveState struct {
	Event     Event          `json:"event,omitzero"`
	Sessions  []Session      `json:"sessions,omitempty"`
	Stages    []StageNow     `json:"stages"`
	Showcases []LiveShowcase `json:"showcases,omitempty"`
	// Programme is the version of the event's programme (Programme.Version)
	// as of this snapshot.
	Programme string `json:"programme"`
	// Catalogue is the version of the event's catalogue (Catalogue.Version)
	// as of this snapshot.
	Catalogue string `json:"catalogue"`
	// Achievements is not sent: pages rendered on the server fill it from
	// the catalogue.
	Achievements  []Achievement  `json:"-"`
	Announcements []Announcement `json:"announcements"`
	Attendance    Attendance     `json:"attendance"`
	Presence      map[string]int `json:"presence"`
	// Transfer is interest counts, the questions on stage and the
	// switches of technology transfer (transfer_live.go).
	Transfer LiveTransfer `json:"transfer"`
}

// snapshotAnnouncements is how many recent announcements a snapshot
// carries (pinned ones are always included).
const snapshotAnnouncements = 20

// Snapshot builds the event's live state as a snapshot envelope whose Seq
// is the last log seq the state includes; the programme it names is kept
// to be served by version (Programme). Everything is read in
// one read-only transaction that sees a single consistent snapshot of the
// database, so the state is exactly as of Seq.
func (s *Service) Snapshot(ctx context.Context, slug string) (Envelope, error) {
	eventID, err := s.eventID(ctx, slug)
	if err != nil {
		return Envelope{}, err
	}
	now := s.Now()
	var st LiveState
	var seq int64
	var epoch string
	var prog *docEntry
	err = s.store.ReadTx(ctx, func(r Repo) error {
		ev, err := r.EventByID(ctx, eventID)
		if err != nil {
			return err
		}
		seq, epoch = ev.LastSeq, ev.Epoch
		ag, err := loadAgenda(ctx, r, eventID, now)
		if err != nil {
			return err
		}
		achievements, err := r.ListAchievements(ctx, eventID)
		if err != nil {
			return err
		}
		if prog, err = buildProgramme(ctx, r, ev, ag); err != nil {
			return err
		}
		st.Programme = prog.version
		stages, err := r.ListStages(ctx, eventID)
		if err != nil {
			return err
		}
		st.Stages = stagesNow(stages, ag)
		st.Catalogue = catalogueVersion(achievements)
		anns, err := r.ListAnnouncements(ctx, eventID, 200)
		if err != nil {
			return err
		}
		st.Announcements = recentAnnouncements(anns, snapshotAnnouncements)
		total, in, err := r.CountAttendees(ctx, eventID)
		if err != nil {
			return err
		}
		st.Attendance = Attendance{CheckedIn: in, Expected: total}
		st.Transfer, err = liveTransfer(ctx, r, eventID, ag)
		return err
	})
	if err != nil {
		return Envelope{}, err
	}
	s.programmes.put(slug, prog)
	st.Presence = map[string]int{}
	if s.Presence != nil {
		st.Presence = s.Presence(slug)
	}
	data, err := json.Marshal(st)
	if err != nil {
		return Envelope{}, err
	}
	return Envelope{Seq: seq, Epoch: epoch, Type: TypeSnapshot, At: now.Truncate(time.Millisecond), Event: slug, Data: data}, nil
}

// stagesNow says what is on each stage, in the stages' order.
func stagesNow(stages []Stage, ag *Agenda) []StageNow {
	out := make([]StageNow, 0, len(stages))
	for _, stg := range stages {
		sn := StageNow{Stage: stg}
		now, after := OnStage(ag.Sessions, stg.Slug)
		if now != nil {
			sn.SessionID, sn.State = now.ID, now.State
			cur, next := CurrentAndNext(ag.Slots[now.ID])
			sn.Current, sn.Next = bareSlot(cur), bareSlot(next)
		}
		if after != nil {
			sn.NextSessionID = after.ID
		}
		out = append(out, sn)
	}
	return out
}

// bareSlot is a copy of sl without its embedded achievement; nil for nil.
func bareSlot(sl *Slot) *Slot {
	if sl == nil {
		return nil
	}
	c := *sl
	c.Achievement = nil
	return &c
}

// OnStage returns what is on a stage: now is its live or paused session,
// else its scheduled session expected to start first; after is the
// scheduled session expected to start first after now (nil when none).
// Ended and cancelled sessions are never returned. sessions must carry
// expected times (Schedule); ties go by planned start, then id. Pages
// and clients apply the same rule (docs/api.md).
func OnStage(sessions []Session, stage string) (now, after *Session) {
	var sched []*Session
	for i := range sessions {
		se := &sessions[i]
		if se.Stage != stage {
			continue
		}
		switch se.State {
		case StateLive, StatePaused:
			if now == nil {
				now = se
			}
		case StateScheduled:
			sched = append(sched, se)
		}
	}
	sort.SliceStable(sched, func(i, j int) bool {
		a, b := sched[i], sched[j]
		if !a.ExpectedStart.Equal(b.ExpectedStart) {
			return a.ExpectedStart.Before(b.ExpectedStart)
		}
		if !a.PlannedStart.Equal(b.PlannedStart) {
			return a.PlannedStart.Before(b.PlannedStart)
		}
		return a.ID < b.ID
	})
	if now == nil && len(sched) > 0 {
		now, sched = sched[0], sched[1:]
	}
	if len(sched) > 0 {
		after = sched[0]
	}
	return now, after
}

// recentAnnouncements keeps every pinned announcement and the n newest.
func recentAnnouncements(newestFirst []Announcement, n int) []Announcement {
	out := []Announcement{}
	for i, a := range newestFirst {
		if i < n || a.Pinned {
			out = append(out, a)
		}
	}
	return out
}

// LogPage is one page of an event's live log.
type LogPage struct {
	Envelopes []Envelope `json:"envelopes"`
	LastSeq   int64      `json:"last_seq"`
	Epoch     string     `json:"epoch"`
	More      bool       `json:"more"`
}

// Log returns durable envelopes after since, oldest first, at most limit
// (default and cap MaxLogPage).
func (s *Service) Log(ctx context.Context, slug string, since int64, limit int) (*LogPage, error) {
	if since < 0 {
		return nil, Errorf(EBadRequest, "since must be a non-negative integer")
	}
	if limit <= 0 || limit > MaxLogPage {
		limit = MaxLogPage
	}
	eventID, err := s.eventID(ctx, slug)
	if err != nil {
		return nil, err
	}
	last, epoch, err := s.store.LastSeq(ctx, eventID)
	if err != nil {
		return nil, err
	}
	envs, err := s.store.LiveSince(ctx, eventID, since, limit)
	if err != nil {
		return nil, err
	}
	if envs == nil {
		envs = []Envelope{}
	}
	page := &LogPage{Envelopes: envs, LastSeq: last, Epoch: epoch}
	if n := len(envs); n > 0 && envs[n-1].Seq < last {
		page.More = true
	}
	return page, nil
}

// Since returns durable envelopes with seq > since (realtime.Source).
func (s *Service) Since(ctx context.Context, slug string, since int64, limit int) ([]Envelope, error) {
	eventID, err := s.eventID(ctx, slug)
	if err != nil {
		return nil, err
	}
	return s.store.LiveSince(ctx, eventID, since, limit)
}

// LastSeq returns the event's last durable seq and epoch (realtime.Source).
func (s *Service) LastSeq(ctx context.Context, slug string) (int64, string, error) {
	eventID, err := s.eventID(ctx, slug)
	if err != nil {
		return 0, "", err
	}
	return s.store.LastSeq(ctx, eventID)
}

// Catalogue is an event's showcase catalogue as live pages load it
// (GET /api/v1/events/{slug}/catalogue): every achievement, and a version
// that changes whenever any of them does. Snapshots carry only the
// version, so a page fetches the catalogue once per version and browsers
// and proxies may keep it.
type Catalogue struct {
	Version      string        `json:"version"`
	Achievements []Achievement `json:"achievements"`
}

// catalogueVersion is the version of a catalogue with these achievements:
// a hash of their JSON, the same on every node.
func catalogueVersion(achievements []Achievement) string {
	if achievements == nil {
		achievements = []Achievement{}
	}
	b, err := json.Marshal(achievements)
	if err != nil { // plain data: cannot happen
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// catalogueTTL is how long a built catalogue is served without reading the
// database again (unless a caller asks for another version): a thousand
// pages opening at once cost one read.
const catalogueTTL = time.Second

// Catalogue returns the event's catalogue as JSON (and gzip) with its
// version. It is built at most once a second per event (concurrent
// callers share one build); want, when not empty, is the version a
// snapshot named: if the last build has another, a fresh one is made, so
// a page never gets a catalogue older than its snapshot.
func (s *Service) Catalogue(ctx context.Context, slug string, want string) (Doc, error) {
	if v, ok := s.catalogues.Load(slug); ok {
		e := v.(*docEntry)
		if time.Since(e.at) < catalogueTTL && (want == "" || want == e.version) {
			return e.doc(), nil
		}
	}
	return s.buildDoc(ctx, &s.catalogueSF, slug, want, func(ctx context.Context, eventID int64) (*docEntry, error) {
		achievements, err := s.store.ListAchievements(ctx, eventID)
		if err != nil {
			return nil, err
		}
		if achievements == nil {
			achievements = []Achievement{}
		}
		c := Catalogue{Version: catalogueVersion(achievements), Achievements: achievements}
		b, err := json.Marshal(c)
		if err != nil {
			return nil, err
		}
		e := newDocEntry(b, c.Version)
		s.catalogues.Store(slug, e)
		return e, nil
	})
}
