package app

import (
	"cmp"
	"slices"
	"time"
)

// Schedule fills the expected times of sessions (ExpectedStart,
// ExpectedEnd) and of their slots (PlannedStart, PlannedEnd, ExpectedStart,
// ExpectedEnd) in place, from the plan and from what has happened by now.
// slots maps a session ID to that session's slots; slots of sessions not in
// sessions are left alone. Nothing else is written.
//
// Rules:
//
//   - Stages are independent. Within a stage sessions are taken in
//     PlannedStart order, ties by ID. A cursor per stage holds the latest
//     expected end seen so far on it; after every session that is not
//     cancelled the cursor becomes max(cursor, ExpectedEnd).
//   - Slots are taken in Position order, ties by ID. Planned slot times
//     run back to back from the session's PlannedStart, each lasting
//     PlannedSeconds; skipped slots keep their planned times.
//   - ended: the session keeps its actual times. Done slots keep their
//     actual times and move a slot cursor (from ActualStart) to their
//     ActualEnd; skipped and never-presented slots are zero-length at that
//     cursor; a slot still marked presenting runs from its ActualStart to
//     the session's end.
//   - cancelled: expected = planned, for the session and its slots, and
//     the stage cursor does not move (it takes no time).
//   - live, paused: ExpectedStart = ActualStart. Slots, with a cursor
//     starting at ActualStart: done → actual times, cursor = ActualEnd;
//     skipped → zero-length at the cursor; presenting → from its
//     ActualStart for PlannedSeconds plus the session's pauses since it went
//     on stage (PausedAtTime(now) − PauseBaseSeconds, a running pause
//     included), but never ending before now (an overrun ends "now"),
//     cursor = its end; pending → from max(cursor, now) for PlannedSeconds,
//     cursor = its end (a slot not yet on stage cannot start in the past).
//     ExpectedEnd is the chain's end, at least now. A session without
//     slots ends at max(ActualStart + planned length + paused time, now).
//   - scheduled (and any unknown state): ExpectedStart =
//     max(PlannedStart, now) when FixedStart (a fixed session keeps its
//     time even when the stage runs late, but is never expected in the
//     past), else max(PlannedStart, stage cursor, now): a session that has
//     not started cannot start in the past, and an early finish never
//     pulls it earlier. ExpectedEnd = ExpectedStart + planned length
//     (PlannedEnd − PlannedStart). Its slots run back to back from
//     ExpectedStart, skipped ones zero-length.
//   - Conflict is nil except on a scheduled FixedStart session that the
//     stage cannot start on time (see ScheduleConflict): "overdue" when
//     now is ConflictThreshold or more past its PlannedStart, else
//     "overlap" when the stage cursor is ConflictThreshold or more past
//     it. SessionID names the session that set the stage cursor when the
//     cursor is past PlannedStart and now (the one running into it), else 0.
//
// Schedule is pure: it reads no clock and does no I/O, gives equal results
// for equal inputs, and does not reorder the caller's slices.
func Schedule(now time.Time, sessions []Session, slots map[int64][]Slot) {
	order := make([]int, len(sessions))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		sa, sb := &sessions[a], &sessions[b]
		return cmp.Or(
			cmp.Compare(sa.Stage, sb.Stage),
			sa.PlannedStart.Compare(sb.PlannedStart),
			cmp.Compare(sa.ID, sb.ID),
		)
	})

	cursors := make(map[string]time.Time)
	cursorBy := make(map[string]int64) // the session that set the cursor
	for _, i := range order {
		s := &sessions[i]
		s.Conflict = nil
		sl := slots[s.ID]
		slotOrder := slotIndexes(sl)
		planSlots(s.PlannedStart, sl, slotOrder)

		cursor, seen := cursors[s.Stage]
		switch s.State {
		case StateCancelled:
			scheduleCancelled(s, sl)
			continue // takes no time: the stage cursor stays
		case StateEnded:
			scheduleEnded(s, sl, slotOrder)
		case StateLive, StatePaused:
			scheduleRunning(now, s, sl, slotOrder)
		default:
			start := s.PlannedStart
			if s.FixedStart {
				s.Conflict = fixedConflict(now, s.PlannedStart, seen, cursor, cursorBy[s.Stage])
			} else if seen {
				start = later(start, cursor)
			}
			start = later(start, now)
			s.ExpectedStart = start
			s.ExpectedEnd = start.Add(s.PlannedEnd.Sub(s.PlannedStart))
			chainPending(start, sl, slotOrder)
		}
		if !seen || s.ExpectedEnd.After(cursor) {
			cursors[s.Stage] = s.ExpectedEnd
			cursorBy[s.Stage] = s.ID
		}
	}
}

// Conflict kinds of a fixed-start session (ScheduleConflict.Kind).
const (
	// ConflictOverdue: its planned start has passed and it has not
	// started.
	ConflictOverdue = "overdue"
	// ConflictOverlap: what runs before it on the stage is expected to
	// end after its planned start.
	ConflictOverlap = "overlap"
)

// ConflictThreshold is how late a fixed start must be before Schedule
// flags it: less would flag every start pressed a few seconds late.
const ConflictThreshold = time.Minute

// ScheduleConflict tells organizers that a fixed-start session cannot
// start at its planned time on its stage, and by how much. Pages show it
// to organizers only (with what to do); viewers see the expected start,
// which is never in the past.
type ScheduleConflict struct {
	// Kind is ConflictOverdue or ConflictOverlap.
	Kind string `json:"kind"`
	// SessionID is the session on the stage expected to run past the
	// planned start (the one to shorten or end), 0 when none does.
	SessionID int64 `json:"session_id,omitempty"`
	// Minutes is how far past the planned start: now (overdue) or the
	// stage's expected end of what runs before (overlap), rounded up.
	Minutes int `json:"minutes"`
}

// fixedConflict is the conflict of a scheduled fixed-start session
// planned at planned, given the stage cursor (when seen) and the session
// that set it; nil when there is none.
func fixedConflict(now, planned time.Time, seen bool, cursor time.Time, by int64) *ScheduleConflict {
	var in int64
	if seen && cursor.Sub(planned) >= ConflictThreshold && cursor.After(now) {
		in = by
	}
	switch {
	case now.Sub(planned) >= ConflictThreshold:
		return &ScheduleConflict{Kind: ConflictOverdue, SessionID: in, Minutes: ceilMinutes(now.Sub(planned))}
	case in != 0:
		return &ScheduleConflict{Kind: ConflictOverlap, SessionID: in, Minutes: ceilMinutes(cursor.Sub(planned))}
	}
	return nil
}

// ceilMinutes rounds d up to whole minutes.
func ceilMinutes(d time.Duration) int {
	return int((d + time.Minute - 1) / time.Minute)
}

// slotIndexes returns the indexes of sl in Position order, ties by ID.
func slotIndexes(sl []Slot) []int {
	idx := make([]int, len(sl))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		return cmp.Or(
			cmp.Compare(sl[a].Position, sl[b].Position),
			cmp.Compare(sl[a].ID, sl[b].ID),
		)
	})
	return idx
}

// planSlots sets the planned times of the slots, back to back from start.
func planSlots(start time.Time, sl []Slot, order []int) {
	t := start
	for _, i := range order {
		sl[i].PlannedStart = t
		t = t.Add(seconds(sl[i].PlannedSeconds))
		sl[i].PlannedEnd = t
	}
}

// scheduleCancelled gives a cancelled session and its slots their planned
// times.
func scheduleCancelled(s *Session, sl []Slot) {
	s.ExpectedStart = s.PlannedStart
	s.ExpectedEnd = s.PlannedEnd
	for i := range sl {
		sl[i].ExpectedStart = sl[i].PlannedStart
		sl[i].ExpectedEnd = sl[i].PlannedEnd
	}
}

// scheduleEnded gives an ended session its actual times and its slots what
// happened to them. Missing actual times (which a consistent store never
// has) fall back to the plan so the result is still ordered.
func scheduleEnded(s *Session, sl []Slot, order []int) {
	s.ExpectedStart = s.PlannedStart
	if s.ActualStart != nil {
		s.ExpectedStart = *s.ActualStart
	}
	s.ExpectedEnd = s.ExpectedStart.Add(s.PlannedEnd.Sub(s.PlannedStart))
	if s.ActualEnd != nil {
		s.ExpectedEnd = *s.ActualEnd
	}
	cursor := s.ExpectedStart
	for _, i := range order {
		x := &sl[i]
		switch {
		case x.State == SlotDone && x.ActualStart != nil && x.ActualEnd != nil:
			x.ExpectedStart, x.ExpectedEnd = *x.ActualStart, *x.ActualEnd
			cursor = x.ExpectedEnd
		case x.State == SlotPresenting && x.ActualStart != nil:
			x.ExpectedStart = *x.ActualStart
			x.ExpectedEnd = later(x.ExpectedStart, s.ExpectedEnd)
			cursor = x.ExpectedEnd
		default:
			x.ExpectedStart, x.ExpectedEnd = cursor, cursor
		}
	}
}

// scheduleRunning computes the expected times of a live or paused session
// and its slots.
func scheduleRunning(now time.Time, s *Session, sl []Slot, order []int) {
	s.ExpectedStart = s.PlannedStart
	if s.ActualStart != nil {
		s.ExpectedStart = *s.ActualStart
	}
	paused := s.PausedAtTime(now)
	if len(sl) == 0 {
		end := s.ExpectedStart.Add(s.PlannedEnd.Sub(s.PlannedStart) + paused)
		s.ExpectedEnd = later(end, now)
		return
	}
	cursor := s.ExpectedStart
	for _, i := range order {
		x := &sl[i]
		switch {
		case x.State == SlotDone && x.ActualStart != nil && x.ActualEnd != nil:
			x.ExpectedStart, x.ExpectedEnd = *x.ActualStart, *x.ActualEnd
			cursor = x.ExpectedEnd
		case x.State == SlotSkipped, x.State == SlotDone:
			x.ExpectedStart, x.ExpectedEnd = cursor, cursor
		case x.State == SlotPresenting && x.ActualStart != nil:
			during := paused - seconds(x.PauseBaseSeconds)
			if during < 0 {
				during = 0
			}
			x.ExpectedStart = *x.ActualStart
			x.ExpectedEnd = later(x.ExpectedStart.Add(seconds(x.PlannedSeconds)+during), now)
			cursor = x.ExpectedEnd
		default: // pending, or presenting without a start
			x.ExpectedStart = later(cursor, now)
			x.ExpectedEnd = x.ExpectedStart.Add(seconds(x.PlannedSeconds))
			cursor = x.ExpectedEnd
		}
	}
	s.ExpectedEnd = later(cursor, now)
}

// chainPending lays the slots of a session that has not started back to
// back from start, skipped ones zero-length.
func chainPending(start time.Time, sl []Slot, order []int) {
	cursor := start
	for _, i := range order {
		x := &sl[i]
		x.ExpectedStart = cursor
		if x.State != SlotSkipped {
			cursor = cursor.Add(seconds(x.PlannedSeconds))
		}
		x.ExpectedEnd = cursor
	}
}

// seconds converts whole seconds to a Duration.
func seconds(n int64) time.Duration { return time.Duration(n) * time.Second }

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
