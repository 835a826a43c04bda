package app

import (
	"context"
	"fmt"
	"net/url"
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
		s.StreamLinks = map[string]string{}
		for k, v := range *in.StreamLinks {
			s.StreamLinks[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
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
	if len(s.Stage) > 64 {
		return Errorf(EInvalid, "stage must be at most 64 characters")
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
	if len(s.StreamLinks) > 16 {
		return Errorf(EInvalid, "at most 16 stream links")
	}
	for region, link := range s.StreamLinks {
		if region == "" || len(region) > 16 {
			return Errorf(EInvalid, "stream_links keys are regions such as cn, hu or default")
		}
		u, err := url.Parse(link)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(link) > 500 {
			return Errorf(EInvalid, "stream_links.%s must be an absolute http(s) URL", region)
		}
	}
	return nil
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
	sess := &Session{EventID: eventID, Stage: "main", Mode: ModeHybrid, State: StateScheduled, StreamLinks: map[string]string{}}
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

// UpdateSession changes a session's plan or details.
func (s *Service) UpdateSession(ctx context.Context, p Principal, sessionID int64, in SessionInput) (*Session, error) {
	if err := p.RequireOrganizer(); err != nil {
		return nil, err
	}
	if err := s.checkStreamRegions(in.StreamLinks); err != nil {
		return nil, err
	}
	return sessionOf(s.editSession(ctx, p, sessionID, "update", func(r Repo, sess *Session, slots []Slot) (editOutcome, error) {
		return editOutcome{}, in.apply(sess)
	}))
}

// SlotInput is one slot of a run-of-show being set.
type SlotInput struct {
	AchievementID  int64 `json:"achievement_id"`
	PlannedSeconds int64 `json:"planned_seconds"`
}

// Slot length bounds.
const (
	MinSlotSeconds = 30
	MaxSlotSeconds = 4 * 3600
	MaxSlots       = 500
)

// SetShowcase replaces a scheduled session's run-of-show with the given
// ordered slots. Running sessions keep theirs: change them with advance,
// skip and delay.
func (s *Service) SetShowcase(ctx context.Context, p Principal, sessionID int64, in []SlotInput) (*Showcase, error) {
	if len(in) > MaxSlots {
		return nil, Errorf(EInvalid, "at most %d slots", MaxSlots)
	}
	seen := map[int64]bool{}
	for i, sl := range in {
		if sl.AchievementID <= 0 {
			return nil, Errorf(EInvalid, "slots[%d].achievement_id must be a positive id", i)
		}
		if seen[sl.AchievementID] {
			return nil, Errorf(EInvalid, "slots[%d]: achievement %d appears twice", i, sl.AchievementID)
		}
		seen[sl.AchievementID] = true
		if sl.PlannedSeconds < MinSlotSeconds || sl.PlannedSeconds > MaxSlotSeconds {
			return nil, Errorf(EInvalid, "slots[%d].planned_seconds must be from %d to %d", i, MinSlotSeconds, MaxSlotSeconds)
		}
	}
	return s.editSession(ctx, p, sessionID, "showcase.set", func(r Repo, sess *Session, old []Slot) (editOutcome, error) {
		if sess.State != StateScheduled {
			return editOutcome{}, &Error{Code: EInvalidTransition, Message: fmt.Sprintf("cannot replace the run-of-show of a session that is %s", sess.State),
				Details: map[string]string{"state": sess.State, "action": "showcase.set"}}
		}
		slots := make([]Slot, len(in))
		for i, sl := range in {
			a, err := r.AchievementByID(ctx, sl.AchievementID)
			if ErrorCode(err) == ENotFound || err == nil && a.EventID != sess.EventID {
				return editOutcome{}, Errorf(EInvalid, "slots[%d]: achievement %d is not in this event's catalogue", i, sl.AchievementID)
			}
			if err != nil {
				return editOutcome{}, err
			}
			slots[i] = Slot{SessionID: sessionID, AchievementID: sl.AchievementID, Position: i + 1, PlannedSeconds: sl.PlannedSeconds, State: SlotPending}
		}
		return editOutcome{replaced: true}, r.ReplaceSlots(ctx, sessionID, slots)
	})
}
