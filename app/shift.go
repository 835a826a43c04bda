package app

import (
	"context"
	"time"
)

// ShiftThreshold is how far a session's expected start or end must drift
// from what viewers were last told before schedule.shifted goes out: a
// change a viewer would notice on a clock that shows minutes.
const ShiftThreshold = time.Minute

// announceShifts compares each session's expected times (as Schedule just
// computed them) with the times viewers were last told. Sessions that
// drifted by ShiftThreshold or more are announced in one schedule.shifted
// envelope and their announced times are recorded; sessions never
// announced are recorded silently. It runs inside the transaction of the
// change, so the envelope and the record commit together.
func announceShifts(ctx context.Context, r Repo, eventID int64, ag *Agenda) ([]Envelope, error) {
	var shifted []Session
	for _, se := range ag.Sessions {
		if se.ExpectedStart.IsZero() {
			continue
		}
		fresh := se.AnnouncedStart == nil || se.AnnouncedEnd == nil
		if !fresh && !drifted(*se.AnnouncedStart, se.ExpectedStart) && !drifted(*se.AnnouncedEnd, se.ExpectedEnd) {
			continue
		}
		if err := r.SetAnnounced(ctx, se.ID, se.ExpectedStart, se.ExpectedEnd); err != nil {
			return nil, err
		}
		if !fresh {
			shifted = append(shifted, se)
		}
	}
	if len(shifted) == 0 {
		return nil, nil
	}
	shift := ScheduleShift{Sessions: shifted, Showcases: []LiveShowcase{}}
	for _, se := range shifted {
		if len(ag.Slots[se.ID]) > 0 {
			shift.Showcases = append(shift.Showcases, liveShowcase(ag, se.ID))
		}
	}
	env, err := r.AppendLive(ctx, eventID, TypeScheduleShifted, shift)
	if err != nil {
		return nil, err
	}
	return []Envelope{env}, nil
}

func drifted(a, b time.Time) bool {
	d := a.Sub(b)
	return d >= ShiftThreshold || d <= -ShiftThreshold
}

// RefreshSchedules recomputes the expected times of every event with a
// running session and announces those that drifted with time alone — a
// slot that overruns moves everything after it minute by minute, with no
// organizer action. cmd runs it every few seconds; running it on several
// nodes at once at worst repeats an envelope (each carries whole
// sessions, so a repeat changes nothing for viewers).
func (s *Service) RefreshSchedules(ctx context.Context) error {
	events, err := s.store.ListEvents(ctx)
	if err != nil {
		return err
	}
	for _, ev := range events {
		if err := s.refreshSchedule(ctx, ev.ID); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) refreshSchedule(ctx context.Context, eventID int64) error {
	// Most events, most of the time, have nothing running (before the day,
	// after it, between sessions): one read of the sessions settles it
	// without the locked transaction and the slots. A session started
	// meanwhile has announced its schedule itself; the next refresh
	// follows its overrun.
	sessions, err := s.store.ListSessions(ctx, eventID)
	if err != nil {
		return err
	}
	if !anyRunning(sessions) {
		return nil
	}
	now := s.Now()
	var envs []Envelope
	err = s.store.Tx(ctx, func(r Repo) error {
		if err := r.LockEvent(ctx, eventID); err != nil {
			return err
		}
		ag, err := loadAgenda(ctx, r, eventID, now)
		if err != nil {
			return err
		}
		if !anyRunning(ag.Sessions) {
			return nil
		}
		envs, err = announceShifts(ctx, r, eventID, ag)
		return err
	})
	if err != nil {
		return err
	}
	s.pub.Publish(ctx, envs...)
	return nil
}

// anyRunning reports whether a session is live or paused.
func anyRunning(sessions []Session) bool {
	for _, se := range sessions {
		if se.State == StateLive || se.State == StatePaused {
			return true
		}
	}
	return false
}
