package app

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// SessionInput creates or changes a session; nil fields are left alone on
// a change and take defaults on creation.
type SessionInput struct {
	Title        *Text              `json:"title"`
	Kind         *string            `json:"kind"`
	Stage        *string            `json:"stage"`
	Mode         *string            `json:"mode"`
	PlannedStart *time.Time         `json:"planned_start"`
	PlannedEnd   *time.Time         `json:"planned_end"`
	FixedStart   *bool              `json:"fixed_start"`
	StreamLinks  *map[string]string `json:"stream_links"`
}

// apply copies the set fields onto s and validates the result.
func (in SessionInput) apply(s *Session) error {
	if in.Title != nil {
		s.Title = trimText(*in.Title)
	}
	if in.Kind != nil {
		s.Kind = strings.TrimSpace(*in.Kind)
	}
	if in.Stage != nil {
		s.Stage = strings.TrimSpace(*in.Stage)
		s.StageID = 0 // resolved from the slug by the caller
	}
	if in.Mode != nil {
		s.Mode = strings.TrimSpace(*in.Mode)
	}
	if in.PlannedStart != nil {
		s.PlannedStart = in.PlannedStart.UTC()
	}
	if in.PlannedEnd != nil {
		s.PlannedEnd = in.PlannedEnd.UTC()
	}
	if in.FixedStart != nil {
		s.FixedStart = *in.FixedStart
	}
	if in.StreamLinks != nil {
		s.StreamLinks = trimLinks(*in.StreamLinks)
	}
	return validateSession(s)
}

func trimText(t Text) Text {
	return Text{ZH: strings.TrimSpace(t.ZH), EN: strings.TrimSpace(t.EN), HU: strings.TrimSpace(t.HU)}
}

// validateText checks a trilingual text: UTF-8, bounded, and (when
// required) not empty in every language.
func validateText(field string, t Text, required bool, maxRunes int) error {
	if required && t.Empty() {
		return Errorf(EInvalid, "%s needs text in at least one language (zh, en, hu)", field)
	}
	for lang, v := range map[string]string{"zh": t.ZH, "en": t.EN, "hu": t.HU} {
		if !utf8.ValidString(v) {
			return Errorf(EInvalid, "%s.%s is not valid UTF-8", field, lang)
		}
		if utf8.RuneCountInString(v) > maxRunes {
			return Errorf(EInvalid, "%s.%s is longer than %d characters", field, lang, maxRunes)
		}
	}
	return nil
}

func validateSession(s *Session) error {
	if err := validateText("title", s.Title, true, 200); err != nil {
		return err
	}
	if s.Kind == "" || len(s.Kind) > 32 {
		return Errorf(EInvalid, "kind must be 1–32 characters (opening, showcase, signing, panel, closing, …)")
	}
	if s.Stage != "" && !ValidSlug(s.Stage) {
		return Errorf(EInvalid, "stage must be the slug of one of the event's stages (e.g. main)")
	}
	switch s.Mode {
	case ModeOnsite, ModeOnline, ModeHybrid:
	default:
		return Errorf(EInvalid, "mode must be onsite, online or hybrid")
	}
	if s.PlannedStart.IsZero() || s.PlannedEnd.IsZero() {
		return Errorf(EInvalid, "planned_start and planned_end are required")
	}
	if !s.PlannedEnd.After(s.PlannedStart) {
		return Errorf(EInvalid, "planned_end must be after planned_start")
	}
	if s.PlannedEnd.Sub(s.PlannedStart) > 24*time.Hour {
		return Errorf(EInvalid, "a session lasts at most 24 hours")
	}
	return validateStreamLinks(s.StreamLinks)
}

// CreateSession adds a session to an event's agenda.
func (s *Service) CreateSession(ctx context.Context, p Principal, slug string, in SessionInput) (*Session, error) {
	if err := p.RequireOrganizer(); err != nil {
		return nil, err
	}
	if err := s.checkStreamRegions(in.StreamLinks); err != nil {
		return nil, err
	}
	eventID, err := s.eventID(ctx, slug)
	if err != nil {
		return nil, err
	}
	sess := &Session{EventID: eventID, Mode: ModeHybrid, State: StateScheduled, StreamLinks: map[string]string{}}
	if err := in.apply(sess); err != nil {
		return nil, err
	}
	now := s.Now()
	var envs []Envelope
	var out Session
	err = s.store.Tx(ctx, func(r Repo) error {
		if err := r.LockEvent(ctx, eventID); err != nil {
			return err
		}
		if err := resolveStage(ctx, r, sess); err != nil {
			return err
		}
		if err := r.CreateSession(ctx, sess); err != nil {
			return err
		}
		after, err := loadAgenda(ctx, r, eventID, now)
		if err != nil {
			return err
		}
		for _, se := range after.Sessions {
			if se.ID == sess.ID {
				out = se
			}
		}
		env, err := r.AppendLive(ctx, eventID, TypeSessionUpdated, out)
		if err != nil {
			return err
		}
		envs = append(envs, env)
		shiftEnv, err := announceShifts(ctx, r, eventID, after)
		if err != nil {
			return err
		}
		envs = append(envs, shiftEnv...)
		return r.AddAudit(ctx, &AuditEntry{EventID: &eventID, Actor: p.Name, Action: "session.create", ObjectType: "session",
			ObjectID: itoa(sess.ID), After: mustJSON(sessionAudit(out)), At: now})
	})
	if err != nil {
		return nil, err
	}
	s.pub.Publish(ctx, envs...)
	return &out, nil
}

// UpdateSession changes a session's plan or details. A running session
// moves to another stage only when nothing runs there.
func (s *Service) UpdateSession(ctx context.Context, p Principal, sessionID int64, in SessionInput) (*Session, error) {
	if err := p.RequireOrganizer(); err != nil {
		return nil, err
	}
	if err := s.checkStreamRegions(in.StreamLinks); err != nil {
		return nil, err
	}
	return sessionOf(s.editSession(ctx, p, sessionID, "update", func(r Repo, sess *Session, slots []Slot) (editOutcome, error) {
		from := sess.StageID
		if err := in.apply(sess); err != nil {
			return editOutcome{}, err
		}
		if in.Stage == nil {
			return editOutcome{}, nil
		}
		if err := resolveStage(ctx, r, sess); err != nil {
			return editOutcome{}, err
		}
		if sess.StageID != from && (sess.State == StateLive || sess.State == StatePaused) {
			return editOutcome{}, requireStageFree(ctx, r, sess)
		}
		return editOutcome{}, nil
	}))
}

// SlotInput is one item of a run-of-show being set: an achievement
// (AchievementID) or a free item (Title, with Presenter and
// PresenterMode), and its planned length. ID, when given, names an item
// the run-of-show has now, which keeps its id (so whatever refers to it
// stays attached); an achievement's item without ID keeps the id of the
// item of that achievement the run-of-show has now, if any.
type SlotInput struct {
	ID             int64  `json:"id"`
	AchievementID  int64  `json:"achievement_id"`
	Title          *Text  `json:"title"`
	Presenter      string `json:"presenter"`
	PresenterMode  string `json:"presenter_mode"`
	PlannedSeconds int64  `json:"planned_seconds"`
}

// Slot length bounds.
const (
	MinSlotSeconds = 30
	MaxSlotSeconds = 4 * 3600
	MaxSlots       = 500
)

// checkSlotInputs validates a run-of-show being set, item by item.
func checkSlotInputs(in []SlotInput) error {
	if len(in) > MaxSlots {
		return Errorf(EInvalid, "at most %d slots", MaxSlots)
	}
	seen := map[int64]bool{}
	ids := map[int64]bool{}
	for i, sl := range in {
		if sl.ID < 0 {
			return Errorf(EInvalid, "slots[%d].id must be a positive id of this run-of-show's items, or absent", i)
		}
		if sl.ID > 0 {
			if ids[sl.ID] {
				return Errorf(EInvalid, "slots[%d]: item %d appears twice", i, sl.ID)
			}
			ids[sl.ID] = true
		}
		free := sl.Title != nil && !trimText(*sl.Title).Empty()
		switch {
		case sl.AchievementID < 0:
			return Errorf(EInvalid, "slots[%d].achievement_id must be a positive id", i)
		case sl.AchievementID > 0 && (free || sl.Presenter != "" || sl.PresenterMode != ""):
			return Errorf(EInvalid, "slots[%d]: an achievement's item takes its title and presenter from the catalogue: give achievement_id or title, not both", i)
		case sl.AchievementID == 0 && !free:
			return Errorf(EInvalid, "slots[%d] needs achievement_id (an achievement of the catalogue) or title (a free item)", i)
		}
		if sl.AchievementID > 0 {
			if seen[sl.AchievementID] {
				return Errorf(EInvalid, "slots[%d]: achievement %d appears twice", i, sl.AchievementID)
			}
			seen[sl.AchievementID] = true
		} else {
			if err := validateText(fmt.Sprintf("slots[%d].title", i), trimText(*sl.Title), true, 300); err != nil {
				return err
			}
			if len(strings.TrimSpace(sl.Presenter)) > 200 || !utf8.ValidString(sl.Presenter) {
				return Errorf(EInvalid, "slots[%d].presenter must be UTF-8 of at most 200 bytes", i)
			}
			switch strings.TrimSpace(sl.PresenterMode) {
			case "", PresenterOnsite, PresenterRemote:
			default:
				return Errorf(EInvalid, "slots[%d].presenter_mode must be onsite or remote", i)
			}
		}
		if sl.PlannedSeconds < MinSlotSeconds || sl.PlannedSeconds > MaxSlotSeconds {
			return Errorf(EInvalid, "slots[%d].planned_seconds must be from %d to %d", i, MinSlotSeconds, MaxSlotSeconds)
		}
	}
	return nil
}

// SetShowcase replaces a scheduled session's run-of-show with the given
// ordered items; items kept (see SlotInput) keep their ids. Running
// sessions keep theirs: change them with advance, skip and delay. The
// name is the route's (/showcase): any session may have a run-of-show.
func (s *Service) SetShowcase(ctx context.Context, p Principal, sessionID int64, in []SlotInput) (*Showcase, error) {
	if err := checkSlotInputs(in); err != nil {
		return nil, err
	}
	return s.editSession(ctx, p, sessionID, "showcase.set", func(r Repo, sess *Session, old []Slot) (editOutcome, error) {
		if sess.State != StateScheduled {
			return editOutcome{}, &Error{Code: EInvalidTransition, Message: fmt.Sprintf("cannot replace the run-of-show of a session that is %s", sess.State),
				Details: map[string]string{"state": sess.State, "action": "showcase.set"}}
		}
		had := map[int64]bool{}
		byAchievement := map[int64]int64{}
		for _, o := range old {
			had[o.ID] = true
			if o.AchievementID > 0 {
				byAchievement[o.AchievementID] = o.ID
			}
		}
		claimed := map[int64]bool{}
		for _, sl := range in {
			claimed[sl.ID] = sl.ID > 0
		}
		slots := make([]Slot, len(in))
		for i, sl := range in {
			if sl.ID > 0 && !had[sl.ID] {
				return editOutcome{}, Errorf(EInvalid, "slots[%d]: item %d is not in this session's run-of-show", i, sl.ID)
			}
			x := Slot{ID: sl.ID, SessionID: sessionID, Position: i + 1, PlannedSeconds: sl.PlannedSeconds, State: SlotPending}
			if sl.AchievementID > 0 {
				a, err := r.AchievementByID(ctx, sl.AchievementID)
				if ErrorCode(err) == ENotFound || err == nil && a.EventID != sess.EventID {
					return editOutcome{}, Errorf(EInvalid, "slots[%d]: achievement %d is not in this event's catalogue", i, sl.AchievementID)
				}
				if err != nil {
					return editOutcome{}, err
				}
				x.AchievementID = sl.AchievementID
				if id, ok := byAchievement[sl.AchievementID]; x.ID == 0 && ok && !claimed[id] {
					x.ID, claimed[id] = id, true
				}
			} else {
				title := trimText(*sl.Title)
				x.Title, x.Presenter, x.PresenterMode = &title, strings.TrimSpace(sl.Presenter), strings.TrimSpace(sl.PresenterMode)
				if x.PresenterMode == "" {
					x.PresenterMode = PresenterOnsite
				}
			}
			slots[i] = x
		}
		return editOutcome{replaced: true}, r.ReplaceSlots(ctx, sessionID, slots)
	})
}
