package app

import (
	"fmt"
	"time"
)

// Session states. A session moves
//
//	scheduled → live ⇄ paused → ended
//	scheduled → cancelled
//
// (live → ended and paused → ended are both allowed); nothing leaves ended
// or cancelled.
const (
	StateScheduled = "scheduled"
	StateLive      = "live"
	StatePaused    = "paused"
	StateEnded     = "ended"
	StateCancelled = "cancelled"
)

// Session actions, the verbs of POST /api/v1/sessions/{id}/{action}.
const (
	ActionStart  = "start"
	ActionPause  = "pause"
	ActionResume = "resume"
	ActionEnd    = "end"
	ActionCancel = "cancel"
)

// SessionStates lists every session state, in the order of the machine.
var SessionStates = []string{StateScheduled, StateLive, StatePaused, StateEnded, StateCancelled}

// SessionActions lists every session action.
var SessionActions = []string{ActionStart, ActionPause, ActionResume, ActionEnd, ActionCancel}

// sessionMoves maps a state and an action to the state the action leads to.
// A pair that is absent is an illegal move.
var sessionMoves = map[string]map[string]string{
	StateScheduled: {ActionStart: StateLive, ActionCancel: StateCancelled},
	StateLive:      {ActionPause: StatePaused, ActionEnd: StateEnded},
	StatePaused:    {ActionResume: StateLive, ActionEnd: StateEnded},
}

// validAction reports whether a is one of the session actions.
func validAction(a string) bool {
	for _, v := range SessionActions {
		if v == a {
			return true
		}
	}
	return false
}

// NextState returns the state that action leads to from state, and false
// when the move is illegal (including an unknown state or action).
func NextState(state, action string) (string, bool) {
	to, ok := sessionMoves[state][action]
	return to, ok
}

// Transition applies action to s in place, at time now. s must not be nil.
//
// Effects: start sets ActualStart; pause sets PausedAt; resume adds the
// pause's length (whole seconds, rounded down, never negative) to
// PausedSeconds and clears PausedAt; end sets ActualEnd, first folding a
// running pause into PausedSeconds; cancel only changes the state. Version
// is not touched: the store increments it when it writes the session.
//
// An unknown action is EBadRequest. An illegal move is EInvalidTransition
// whose message names the current state and whose Details is
// map[string]string{"state": …, "action": …}. On any error s is left
// exactly as it was.
func Transition(s *Session, action string, now time.Time) error {
	if !validAction(action) {
		return &Error{
			Code:    EBadRequest,
			Message: fmt.Sprintf("unknown session action %q", action),
			Details: map[string]string{"action": action},
		}
	}
	to, ok := NextState(s.State, action)
	if !ok {
		return &Error{
			Code:    EInvalidTransition,
			Message: fmt.Sprintf("cannot %s a session that is %s", action, s.State),
			Details: map[string]string{"state": s.State, "action": action},
		}
	}
	switch action {
	case ActionStart:
		s.ActualStart = timePtr(now)
	case ActionPause:
		s.PausedAt = timePtr(now)
	case ActionResume:
		foldPause(s, now)
	case ActionEnd:
		foldPause(s, now)
		s.ActualEnd = timePtr(now)
	}
	s.State = to
	return nil
}

// foldPause adds a running pause (if any) to PausedSeconds and clears
// PausedAt. A pause that appears to end before it began counts as zero.
func foldPause(s *Session, now time.Time) {
	if s.PausedAt == nil {
		return
	}
	if d := now.Sub(*s.PausedAt); d > 0 {
		s.PausedSeconds += int64(d / time.Second)
	}
	s.PausedAt = nil
}

// timePtr returns a pointer to a copy of t.
func timePtr(t time.Time) *time.Time { return &t }

// The slot functions below work on one showcase session's slots, sorted by
// Position, and change them in place. They return the indexes (into slots)
// of the slots they changed, in the order they changed them, so the caller
// knows which rows to write.
//
// pausedSeconds is the session's total paused time as of now in whole
// seconds, int64(s.PausedAtTime(now)/time.Second): it becomes the
// PauseBaseSeconds of a slot put on stage, so that only pauses after the
// slot went on stage extend it (see Schedule).

// StartShowcase puts the first pending slot on stage when a showcase
// session starts: it becomes presenting with ActualStart=now and
// PauseBaseSeconds=pausedSeconds. It does nothing (and returns nil) when a
// slot is already presenting or no slot is pending.
func StartShowcase(slots []Slot, pausedSeconds int64, now time.Time) (changed []int) {
	if presentingIndex(slots) >= 0 {
		return nil
	}
	if i := firstPending(slots); i >= 0 {
		putOnStage(&slots[i], pausedSeconds, now)
		changed = append(changed, i)
	}
	return changed
}

// Advance finishes the presenting slot (done, ActualEnd=now) and puts the
// next pending slot on stage — the first pending one in position order —
// with ActualStart=now and PauseBaseSeconds=pausedSeconds. When no slot is
// pending (the last slot was presenting) only the finish happens.
//
// The presenting slot must have ID expectedSlotID, so that two organizers
// clicking at once advance once. Otherwise the error is EStaleSlot whose
// Details is a *Slot copy of the slot presenting now; when no slot is
// presenting (before the start, or after the last) it is EStaleSlot with
// nil Details. On error slots are unchanged.
func Advance(slots []Slot, expectedSlotID int64, pausedSeconds int64, now time.Time) (changed []int, err error) {
	cur := presentingIndex(slots)
	if cur < 0 {
		return nil, &Error{
			Code:    EStaleSlot,
			Message: fmt.Sprintf("slot %d is not presenting; nothing is presenting", expectedSlotID),
		}
	}
	if slots[cur].ID != expectedSlotID {
		current := slots[cur]
		return nil, &Error{
			Code:    EStaleSlot,
			Message: fmt.Sprintf("slot %d is no longer presenting; slot %d is", expectedSlotID, current.ID),
			Details: &current,
		}
	}
	slots[cur].State = SlotDone
	slots[cur].ActualEnd = timePtr(now)
	changed = append(changed, cur)
	if next := firstPending(slots); next >= 0 {
		putOnStage(&slots[next], pausedSeconds, now)
		changed = append(changed, next)
	}
	return changed, nil
}

// Skip skips the slot with ID slotID. A pending slot becomes skipped. The
// presenting slot becomes skipped with ActualEnd=now, and the next pending
// slot (the first in position order) goes on stage as in Advance. Skipping
// a done or skipped slot is EInvalidTransition naming its state (Details
// map[string]string{"state": …, "action": "skip"}); an id not among slots
// is ENotFound. On error slots are unchanged.
func Skip(slots []Slot, slotID int64, pausedSeconds int64, now time.Time) (changed []int, err error) {
	i := -1
	for k := range slots {
		if slots[k].ID == slotID {
			i = k
			break
		}
	}
	if i < 0 {
		return nil, &Error{Code: ENotFound, Message: fmt.Sprintf("slot %d is not in this session", slotID)}
	}
	switch slots[i].State {
	case SlotPending:
		slots[i].State = SlotSkipped
		return []int{i}, nil
	case SlotPresenting:
		slots[i].State = SlotSkipped
		slots[i].ActualEnd = timePtr(now)
		changed = append(changed, i)
		if next := firstPending(slots); next >= 0 {
			putOnStage(&slots[next], pausedSeconds, now)
			changed = append(changed, next)
		}
		return changed, nil
	default:
		return nil, &Error{
			Code:    EInvalidTransition,
			Message: fmt.Sprintf("cannot skip a slot that is %s", slots[i].State),
			Details: map[string]string{"state": slots[i].State, "action": "skip"},
		}
	}
}

// CurrentAndNext returns the presenting slot (nil if none) and the slot up
// next: the first pending slot in position order (nil if none). Both point
// into slots.
func CurrentAndNext(slots []Slot) (current, next *Slot) {
	if i := presentingIndex(slots); i >= 0 {
		current = &slots[i]
	}
	if i := firstPending(slots); i >= 0 {
		next = &slots[i]
	}
	return current, next
}

// presentingIndex returns the index of the first presenting slot, or -1.
func presentingIndex(slots []Slot) int {
	for i := range slots {
		if slots[i].State == SlotPresenting {
			return i
		}
	}
	return -1
}

// firstPending returns the index of the first pending slot, or -1.
func firstPending(slots []Slot) int {
	for i := range slots {
		if slots[i].State == SlotPending {
			return i
		}
	}
	return -1
}

// putOnStage makes sl the presenting slot from now.
func putOnStage(sl *Slot, pausedSeconds int64, now time.Time) {
	sl.State = SlotPresenting
	sl.ActualStart = timePtr(now)
	sl.ActualEnd = nil
	sl.PauseBaseSeconds = pausedSeconds
}
