package app

import (
	"context"
	"fmt"
	"time"
)

// sessionEdit is one organizer action on a session: it changes sess and
// slots in place and reports which slots it changed (or that it replaced
// the whole run-of-show itself). It runs inside the transaction, on the
// session row locked against concurrent edits.
type sessionEdit func(r Repo, sess *Session, slots []Slot) (editOutcome, error)

// editOutcome says what a sessionEdit did to the slots.
type editOutcome struct {
	changed  []int // indexes of slots to write
	replaced bool  // the edit wrote a new run-of-show itself
}

// ScheduleShift is the data of a schedule.shifted envelope: the sessions
// whose expected times moved and, for those with a run-of-show, their
// slots with the new expected times (no achievements: a shift changes
// none, and the client has those the run-of-show uses).
type ScheduleShift struct {
	Sessions  []Session      `json:"sessions"`
	Showcases []LiveShowcase `json:"showcases"`
}

// editSession runs one organizer action on a session in a transaction:
// it locks the session, applies fn, writes the session and the changed
// slots, appends session.updated, showcase.updated (when slots changed)
// and schedule.shifted (when other sessions' expected times moved) to the
// live log with an audit entry, and publishes after commit.
//
// It returns the session's run-of-show as the action left it (with the
// session and its expected times), so callers need not read it again.
func (s *Service) editSession(ctx context.Context, p Principal, sessionID int64, action string, fn sessionEdit) (*Showcase, error) {
	if err := p.RequireOrganizer(); err != nil {
		return nil, err
	}
	now := s.Now()
	var envs []Envelope
	var out Session
	var show *Showcase
	err := s.store.Tx(ctx, func(r Repo) error {
		// Lock order: the event, then the session (see Repo.LockEvent).
		plain, err := r.SessionByID(ctx, sessionID)
		if err != nil {
			return err
		}
		if err := r.LockEvent(ctx, plain.EventID); err != nil {
			return err
		}
		sess, err := r.SessionForUpdate(ctx, sessionID)
		if err != nil {
			return err
		}
		before, err := loadAgenda(ctx, r, sess.EventID, now)
		if err != nil {
			return err
		}
		prior := *sess
		prior0Slots := before.Slots[sessionID]
		slots := append([]Slot(nil), prior0Slots...)
		outcome, err := fn(r, sess, slots)
		if err != nil {
			return err
		}
		changed := outcome.changed
		if err := r.UpdateSession(ctx, sess); err != nil {
			return err
		}
		for _, i := range changed {
			if err := r.UpdateSlot(ctx, &slots[i]); err != nil {
				return err
			}
		}
		after, err := loadAgenda(ctx, r, sess.EventID, now)
		if err != nil {
			return err
		}
		for _, se := range after.Sessions {
			if se.ID == sessionID {
				out = se
			}
		}
		env, err := r.AppendLive(ctx, sess.EventID, TypeSessionUpdated, out)
		if err != nil {
			return err
		}
		envs = append(envs, env)
		// A session with a run-of-show sends it whole after every action:
		// even a pause or a resume moves its slots' expected times. The
		// live envelope is the slim LiveShowcase; the organizer's answer
		// embeds the achievements.
		if outcome.replaced || len(after.Slots[sessionID]) > 0 || len(prior0Slots) > 0 {
			achievements, err := r.ListAchievements(ctx, sess.EventID)
			if err != nil {
				return err
			}
			show = buildShowcase(after, sessionID, achievements)
			live := liveShowcase(after, sessionID)
			if outcome.replaced {
				live.Achievements = pickAchievements(achievements, newlyUsed(before, after, sessionID))
			}
			if env, err = r.AppendLive(ctx, sess.EventID, TypeShowcaseUpdated, live); err != nil {
				return err
			}
			envs = append(envs, env)
		} else {
			show = buildShowcase(after, sessionID, nil) // no slots: nothing to look up
		}
		shiftEnv, err := announceShifts(ctx, r, sess.EventID, after)
		if err != nil {
			return err
		}
		envs = append(envs, shiftEnv...)
		return r.AddAudit(ctx, &AuditEntry{EventID: &sess.EventID, Actor: p.Name, Action: "session." + action,
			ObjectType: "session", ObjectID: itoa(sessionID), Before: mustJSON(sessionAudit(prior)), After: mustJSON(sessionAudit(out)), At: now})
	})
	if err != nil {
		return nil, err
	}
	s.pub.Publish(ctx, envs...)
	return show, nil
}

// newlyUsed returns the ids of the achievements the session's
// run-of-show uses in after that no run-of-show used in before: the ones a
// viewer's achievement map may lack.
func newlyUsed(before, after *Agenda, sessionID int64) map[int64]bool {
	had := usedAchievements(before)
	ids := map[int64]bool{}
	for _, sl := range after.Slots[sessionID] {
		if sl.AchievementID > 0 && !had[sl.AchievementID] {
			ids[sl.AchievementID] = true
		}
	}
	return ids
}

// sessionOf returns the session of an edit's result.
func sessionOf(sc *Showcase, err error) (*Session, error) {
	if err != nil {
		return nil, err
	}
	return &sc.Session, nil
}

// sessionAudit is what the audit trail keeps of a session.
func sessionAudit(s Session) map[string]any {
	return map[string]any{"state": s.State, "planned_start": s.PlannedStart, "planned_end": s.PlannedEnd,
		"actual_start": s.ActualStart, "actual_end": s.ActualEnd, "paused_seconds": s.PausedSeconds, "title": s.Title,
		"stage": s.Stage, "mode": s.Mode, "fixed_start": s.FixedStart}
}

func pausedSecondsAt(sess *Session, now time.Time) int64 {
	return int64(sess.PausedAtTime(now) / time.Second)
}

// MoveSession applies a state machine action (start, pause, resume, end,
// cancel). Starting a session with a run-of-show puts its first item on
// stage; ending one finishes the presenting item. Starting a session on a
// stage where another is live or paused is EConflict naming that one.
func (s *Service) MoveSession(ctx context.Context, p Principal, sessionID int64, action string) (*Session, error) {
	now := s.Now()
	return sessionOf(s.editSession(ctx, p, sessionID, action, func(r Repo, sess *Session, slots []Slot) (editOutcome, error) {
		if err := Transition(sess, action, now); err != nil {
			return editOutcome{}, err
		}
		switch action {
		case ActionStart:
			if err := requireStageFree(ctx, r, sess); err != nil {
				return editOutcome{}, err
			}
			return editOutcome{changed: StartShowcase(slots, pausedSecondsAt(sess, now), now)}, nil
		case ActionEnd:
			if cur := presentingIndex(slots); cur >= 0 {
				slots[cur].State = SlotDone
				slots[cur].ActualEnd = timePtr(now)
				return editOutcome{changed: []int{cur}}, nil
			}
		}
		return editOutcome{}, nil
	}))
}

// requireRunning refuses showcase moves on a session that is not live or
// paused.
func requireRunning(sess *Session, action string) error {
	if sess.State != StateLive && sess.State != StatePaused {
		return &Error{Code: EInvalidTransition, Message: fmt.Sprintf("cannot %s in a session that is %s", action, sess.State),
			Details: map[string]string{"state": sess.State, "action": action}}
	}
	return nil
}

// AdvanceShowcase finishes the presenting slot, which must be
// expectedSlotID, and puts the next one on stage. Of two organizers
// pressing at once exactly one advances; the other gets EStaleSlot with
// the slot presenting now.
func (s *Service) AdvanceShowcase(ctx context.Context, p Principal, sessionID, expectedSlotID int64) (*Showcase, error) {
	now := s.Now()
	return s.editSession(ctx, p, sessionID, "advance", func(r Repo, sess *Session, slots []Slot) (editOutcome, error) {
		if err := requireRunning(sess, "advance"); err != nil {
			return editOutcome{}, err
		}
		changed, err := Advance(slots, expectedSlotID, pausedSecondsAt(sess, now), now)
		return editOutcome{changed: changed}, err
	})
}

// SkipSlot skips a pending or presenting slot.
func (s *Service) SkipSlot(ctx context.Context, p Principal, sessionID, slotID int64) (*Showcase, error) {
	now := s.Now()
	return s.editSession(ctx, p, sessionID, "skip", func(r Repo, sess *Session, slots []Slot) (editOutcome, error) {
		if sess.State == StateEnded || sess.State == StateCancelled {
			return editOutcome{}, &Error{Code: EInvalidTransition, Message: fmt.Sprintf("cannot skip in a session that is %s", sess.State),
				Details: map[string]string{"state": sess.State, "action": "skip"}}
		}
		changed, err := Skip(slots, slotID, pausedSecondsAt(sess, now), now)
		return editOutcome{changed: changed}, err
	})
}

// MaxDelayMinutes bounds one delay in either direction.
const MaxDelayMinutes = 24 * 60

// DelaySession moves a session's plan by minutes (negative brings it
// forward). A scheduled session moves whole; a running one gets longer
// (its planned end moves, and so does the presenting slot's length).
// Later sessions that are not fixed-start follow through Schedule.
func (s *Service) DelaySession(ctx context.Context, p Principal, sessionID int64, minutes int) (*Session, error) {
	if minutes == 0 || minutes > MaxDelayMinutes || minutes < -MaxDelayMinutes {
		return nil, Errorf(EInvalid, "minutes must be a non-zero whole number from -%d to %d", MaxDelayMinutes, MaxDelayMinutes)
	}
	d := time.Duration(minutes) * time.Minute
	return sessionOf(s.editSession(ctx, p, sessionID, "delay", func(r Repo, sess *Session, slots []Slot) (editOutcome, error) {
		switch sess.State {
		case StateScheduled:
			sess.PlannedStart, sess.PlannedEnd = sess.PlannedStart.Add(d), sess.PlannedEnd.Add(d)
			return editOutcome{}, nil
		case StateLive, StatePaused:
			if !sess.PlannedEnd.Add(d).After(sess.PlannedStart) {
				return editOutcome{}, Errorf(EInvalid, "a delay of %d minutes would end the session before it starts", minutes)
			}
			sess.PlannedEnd = sess.PlannedEnd.Add(d)
			if cur := presentingIndex(slots); cur >= 0 {
				secs := slots[cur].PlannedSeconds + int64(minutes)*60
				if secs < 0 {
					secs = 0
				}
				slots[cur].PlannedSeconds = secs
				return editOutcome{changed: []int{cur}}, nil
			}
			return editOutcome{}, nil
		}
		return editOutcome{}, &Error{Code: EInvalidTransition, Message: fmt.Sprintf("cannot delay a session that is %s", sess.State),
			Details: map[string]string{"state": sess.State, "action": "delay"}}
	}))
}
