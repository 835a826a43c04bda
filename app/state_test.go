package app

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"
)

var stateT0 = time.Date(2025, 10, 20, 9, 0, 0, 0, time.UTC)

// stateSession returns a session in state with the fields that state implies.
func stateSession(state string) *Session {
	s := &Session{
		ID:            7,
		Stage:         "main",
		PlannedStart:  stateT0,
		PlannedEnd:    stateT0.Add(time.Hour),
		State:         state,
		PausedSeconds: 42,
		StreamLinks:   map[string]string{"default": "https://example.org/live"},
		Version:       3,
	}
	switch state {
	case StateLive:
		s.ActualStart = timePtr(stateT0)
	case StatePaused:
		s.ActualStart = timePtr(stateT0)
		s.PausedAt = timePtr(stateT0.Add(10 * time.Minute))
	case StateEnded:
		s.ActualStart = timePtr(stateT0)
		s.ActualEnd = timePtr(stateT0.Add(50 * time.Minute))
	}
	return s
}

// deepCopySession returns a deep copy of s.
func deepCopySession(s *Session) Session {
	c := *s
	dup := func(p *time.Time) *time.Time {
		if p == nil {
			return nil
		}
		v := *p
		return &v
	}
	c.ActualStart, c.ActualEnd, c.PausedAt = dup(s.ActualStart), dup(s.ActualEnd), dup(s.PausedAt)
	if s.StreamLinks != nil {
		c.StreamLinks = make(map[string]string, len(s.StreamLinks))
		for k, v := range s.StreamLinks {
			c.StreamLinks[k] = v
		}
	}
	return c
}

// assertSessionUnchanged fails unless s still equals its deep copy want and its
// pointer fields were not replaced.
func assertSessionUnchanged(t *testing.T, s *Session, want Session, shallow Session) {
	t.Helper()
	if !reflect.DeepEqual(*s, want) {
		t.Errorf("session changed:\n got  %+v\n want %+v", *s, want)
	}
	if s.ActualStart != shallow.ActualStart || s.ActualEnd != shallow.ActualEnd || s.PausedAt != shallow.PausedAt {
		t.Errorf("session pointer fields replaced")
	}
}

func TestTransitionMatrix(t *testing.T) {
	// The legal moves, written out independently of state.go's table.
	type move struct{ state, action string }
	legal := map[move]string{
		{StateScheduled, ActionStart}:  StateLive,
		{StateScheduled, ActionCancel}: StateCancelled,
		{StateLive, ActionPause}:       StatePaused,
		{StateLive, ActionEnd}:         StateEnded,
		{StatePaused, ActionResume}:    StateLive,
		{StatePaused, ActionEnd}:       StateEnded,
	}
	states := []string{StateScheduled, StateLive, StatePaused, StateEnded, StateCancelled}
	actions := []string{ActionStart, ActionPause, ActionResume, ActionEnd, ActionCancel}
	now := stateT0.Add(20 * time.Minute)
	seen := 0
	for _, state := range states {
		for _, action := range actions {
			wantState, ok := legal[move{state, action}]
			t.Run(state+"/"+action, func(t *testing.T) {
				s := stateSession(state)
				before, shallow := deepCopySession(s), *s
				err := Transition(s, action, now)
				if ok {
					if err != nil {
						t.Fatalf("got error %v, want nil", err)
					}
					if s.State != wantState {
						t.Errorf("state: got %q, want %q", s.State, wantState)
					}
					if s.Version != before.Version {
						t.Errorf("version: got %d, want %d (unchanged)", s.Version, before.Version)
					}
					return
				}
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("got error %v, want *Error", err)
				}
				if e.Code != EInvalidTransition {
					t.Errorf("code: got %q, want %q", e.Code, EInvalidTransition)
				}
				if want := fmt.Sprintf("cannot %s a session that is %s", action, state); e.Message != want {
					t.Errorf("message: got %q, want %q", e.Message, want)
				}
				wantDetails := map[string]string{"state": state, "action": action}
				if !reflect.DeepEqual(e.Details, wantDetails) {
					t.Errorf("details: got %#v, want %#v", e.Details, wantDetails)
				}
				assertSessionUnchanged(t, s, before, shallow)
			})
			seen++
		}
	}
	if want := len(SessionStates) * len(SessionActions); seen != want {
		t.Errorf("matrix size: got %d pairs, want %d", seen, want)
	}
	for _, state := range states {
		for _, action := range actions {
			want, wantOK := legal[move{state, action}]
			if got, ok := NextState(state, action); got != want || ok != wantOK {
				t.Errorf("NextState(%q, %q): got %q, %v; want %q, %v", state, action, got, ok, want, wantOK)
			}
		}
	}
}

func TestTransitionUnknown(t *testing.T) {
	tests := []struct {
		name, state, action, code string
	}{
		{"UnknownAction", StateLive, "explode", EBadRequest},
		{"EmptyAction", StateScheduled, "", EBadRequest},
		{"UnknownState", "limbo", ActionStart, EInvalidTransition},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := stateSession(StateLive)
			s.State = tt.state
			before, shallow := deepCopySession(s), *s
			err := Transition(s, tt.action, stateT0)
			if got := ErrorCode(err); got != tt.code {
				t.Errorf("code: got %q, want %q (err %v)", got, tt.code, err)
			}
			assertSessionUnchanged(t, s, before, shallow)
		})
	}
}

func TestTransitionEffects(t *testing.T) {
	minute := func(n int) time.Time { return stateT0.Add(time.Duration(n) * time.Minute) }
	tests := []struct {
		name    string
		state   string
		prep    func(*Session)
		action  string
		now     time.Time
		want    func(s *Session) Session // from a deep copy of the input
		wantErr string
	}{
		{
			name: "StartSetsActualStart", state: StateScheduled, action: ActionStart, now: minute(3),
			want: func(s *Session) Session {
				c := deepCopySession(s)
				c.State, c.ActualStart = StateLive, timePtr(minute(3))
				return c
			},
		},
		{
			name: "PauseSetsPausedAt", state: StateLive, action: ActionPause, now: minute(15),
			want: func(s *Session) Session {
				c := deepCopySession(s)
				c.State, c.PausedAt = StatePaused, timePtr(minute(15))
				return c
			},
		},
		{
			name: "ResumeAddsWholeSeconds", state: StatePaused, action: ActionResume,
			now: minute(10).Add(90*time.Second + 900*time.Millisecond),
			want: func(s *Session) Session {
				c := deepCopySession(s)
				c.State, c.PausedAt, c.PausedSeconds = StateLive, nil, 42+90
				return c
			},
		},
		{
			name: "ResumeBeforePauseAddsNothing", state: StatePaused, action: ActionResume, now: minute(5),
			want: func(s *Session) Session {
				c := deepCopySession(s)
				c.State, c.PausedAt = StateLive, nil
				return c
			},
		},
		{
			name: "EndWhilePausedFoldsPause", state: StatePaused, action: ActionEnd, now: minute(25),
			want: func(s *Session) Session {
				c := deepCopySession(s)
				c.State, c.PausedAt, c.PausedSeconds, c.ActualEnd = StateEnded, nil, 42+15*60, timePtr(minute(25))
				return c
			},
		},
		{
			name: "EndWhileLive", state: StateLive, action: ActionEnd, now: minute(55),
			want: func(s *Session) Session {
				c := deepCopySession(s)
				c.State, c.ActualEnd = StateEnded, timePtr(minute(55))
				return c
			},
		},
		{
			name: "CancelOnlyChangesState", state: StateScheduled, action: ActionCancel, now: minute(1),
			want: func(s *Session) Session {
				c := deepCopySession(s)
				c.State = StateCancelled
				return c
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := stateSession(tt.state)
			want := tt.want(s)
			if err := Transition(s, tt.action, tt.now); err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if !reflect.DeepEqual(*s, want) {
				t.Errorf("got  %+v\nwant %+v", *s, want)
			}
		})
	}
}

func TestTransitionLifecycle(t *testing.T) {
	s := stateSession(StateScheduled)
	s.PausedSeconds = 0
	steps := []struct {
		action string
		at     time.Duration
	}{
		{ActionStart, 0},
		{ActionPause, 10 * time.Minute},
		{ActionResume, 20 * time.Minute},
		{ActionPause, 30 * time.Minute},
		{ActionEnd, 35 * time.Minute},
	}
	for _, st := range steps {
		if err := Transition(s, st.action, stateT0.Add(st.at)); err != nil {
			t.Fatalf("%s at %v: %v", st.action, st.at, err)
		}
	}
	if got, want := s.PausedSeconds, int64(15*60); got != want {
		t.Errorf("PausedSeconds: got %d, want %d", got, want)
	}
	if s.PausedAt != nil {
		t.Errorf("PausedAt: got %v, want nil", *s.PausedAt)
	}
	if s.State != StateEnded || s.ActualEnd == nil || !s.ActualEnd.Equal(stateT0.Add(35*time.Minute)) {
		t.Errorf("end: got state %q, ActualEnd %v", s.State, s.ActualEnd)
	}
	if got, want := s.PausedAtTime(stateT0.Add(2*time.Hour)), 15*time.Minute; got != want {
		t.Errorf("PausedAtTime after end: got %v, want %v", got, want)
	}
}

// showcase returns slots with IDs 10, 20, 30, … in the given states, in
// position order, each planned for ten minutes.
func stateSlots(states ...string) []Slot {
	out := make([]Slot, len(states))
	for i, st := range states {
		out[i] = Slot{
			ID: int64(10 * (i + 1)), SessionID: 7, AchievementID: int64(100 + i),
			Position: i + 1, PlannedSeconds: 600, State: st,
		}
		if st == SlotPresenting || st == SlotDone {
			out[i].ActualStart = timePtr(stateT0.Add(time.Duration(i) * 10 * time.Minute))
		}
		if st == SlotDone {
			out[i].ActualEnd = timePtr(stateT0.Add(time.Duration(i+1) * 10 * time.Minute))
		}
	}
	return out
}

func deepCopySlots(in []Slot) []Slot {
	if in == nil {
		return nil
	}
	out := make([]Slot, len(in))
	copy(out, in)
	for i := range out {
		if p := in[i].ActualStart; p != nil {
			out[i].ActualStart = timePtr(*p)
		}
		if p := in[i].ActualEnd; p != nil {
			out[i].ActualEnd = timePtr(*p)
		}
	}
	return out
}

// slotOnStage returns s put on stage at now with base seconds.
func slotOnStage(s Slot, now time.Time, base int64) Slot {
	s.State, s.ActualStart, s.ActualEnd, s.PauseBaseSeconds = SlotPresenting, timePtr(now), nil, base
	return s
}

func slotFinished(s Slot, state string, now time.Time) Slot {
	s.State, s.ActualEnd = state, timePtr(now)
	return s
}

func TestStartShowcase(t *testing.T) {
	now := stateT0.Add(time.Minute)
	tests := []struct {
		name        string
		slots       []Slot
		wantChanged []int
		want        func(in []Slot) []Slot
	}{
		{
			name: "FirstPending", slots: stateSlots(SlotPending, SlotPending), wantChanged: []int{0},
			want: func(in []Slot) []Slot { in[0] = slotOnStage(in[0], now, 120); return in },
		},
		{
			name: "SkipsSkipped", slots: stateSlots(SlotSkipped, SlotPending, SlotPending), wantChanged: []int{1},
			want: func(in []Slot) []Slot { in[1] = slotOnStage(in[1], now, 120); return in },
		},
		{
			name: "AlreadyPresenting", slots: stateSlots(SlotDone, SlotPresenting, SlotPending),
			want: func(in []Slot) []Slot { return in },
		},
		{
			name: "NonePending", slots: stateSlots(SlotDone, SlotSkipped),
			want: func(in []Slot) []Slot { return in },
		},
		{
			name: "Empty", slots: nil,
			want: func(in []Slot) []Slot { return in },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.want(deepCopySlots(tt.slots))
			got := StartShowcase(tt.slots, 120, now)
			if !reflect.DeepEqual(got, tt.wantChanged) {
				t.Errorf("changed: got %v, want %v", got, tt.wantChanged)
			}
			if !reflect.DeepEqual(tt.slots, want) {
				t.Errorf("slots:\n got  %+v\n want %+v", tt.slots, want)
			}
		})
	}
}

func TestAdvance(t *testing.T) {
	now := stateT0.Add(25 * time.Minute)
	tests := []struct {
		name        string
		slots       []Slot
		expected    int64
		wantChanged []int
		want        func(in []Slot) []Slot
		wantCode    string
		wantMsg     string
		wantDetail  *Slot // for EStaleSlot: nil means Details must be nil
	}{
		{
			name: "OK", slots: stateSlots(SlotDone, SlotPresenting, SlotPending), expected: 20,
			wantChanged: []int{1, 2},
			want: func(in []Slot) []Slot {
				in[1] = slotFinished(in[1], SlotDone, now)
				in[2] = slotOnStage(in[2], now, 300)
				return in
			},
		},
		{
			name: "OverSkipped", slots: stateSlots(SlotPresenting, SlotSkipped, SlotPending), expected: 10,
			wantChanged: []int{0, 2},
			want: func(in []Slot) []Slot {
				in[0] = slotFinished(in[0], SlotDone, now)
				in[2] = slotOnStage(in[2], now, 300)
				return in
			},
		},
		{
			name: "LastSlot", slots: stateSlots(SlotDone, SlotDone, SlotPresenting), expected: 30,
			wantChanged: []int{2},
			want: func(in []Slot) []Slot {
				in[2] = slotFinished(in[2], SlotDone, now)
				return in
			},
		},
		{
			name: "ErrStaleSlot", slots: stateSlots(SlotDone, SlotDone, SlotPresenting), expected: 20,
			wantCode: EStaleSlot, wantMsg: "slot 20 is no longer presenting; slot 30 is",
			wantDetail: &stateSlots(SlotDone, SlotDone, SlotPresenting)[2],
		},
		{
			name: "ErrNothingPresentingBeforeStart", slots: stateSlots(SlotPending, SlotPending), expected: 10,
			wantCode: EStaleSlot, wantMsg: "slot 10 is not presenting; nothing is presenting",
		},
		{
			name: "ErrNothingPresentingAfterLast", slots: stateSlots(SlotDone, SlotDone), expected: 20,
			wantCode: EStaleSlot, wantMsg: "slot 20 is not presenting; nothing is presenting",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := deepCopySlots(tt.slots)
			changed, err := Advance(tt.slots, tt.expected, 300, now)
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("got error %v, want nil", err)
				}
				if !reflect.DeepEqual(changed, tt.wantChanged) {
					t.Errorf("changed: got %v, want %v", changed, tt.wantChanged)
				}
				if want := tt.want(before); !reflect.DeepEqual(tt.slots, want) {
					t.Errorf("slots:\n got  %+v\n want %+v", tt.slots, want)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("got error %v, want *Error", err)
			}
			if e.Code != tt.wantCode || e.Message != tt.wantMsg {
				t.Errorf("got %q %q, want %q %q", e.Code, e.Message, tt.wantCode, tt.wantMsg)
			}
			if tt.wantDetail == nil {
				if e.Details != nil {
					t.Errorf("details: got %#v, want nil", e.Details)
				}
			} else if d, ok := e.Details.(*Slot); !ok || !reflect.DeepEqual(d, tt.wantDetail) {
				t.Errorf("details: got %#v, want %#v", e.Details, tt.wantDetail)
			}
			if changed != nil {
				t.Errorf("changed: got %v, want nil", changed)
			}
			if !reflect.DeepEqual(tt.slots, before) {
				t.Errorf("slots changed on error:\n got  %+v\n want %+v", tt.slots, before)
			}
		})
	}
}

func TestAdvanceTwiceAdvancesOnce(t *testing.T) {
	slots := stateSlots(SlotPresenting, SlotPending, SlotPending)
	now := stateT0.Add(12 * time.Minute)
	if _, err := Advance(slots, 10, 0, now); err != nil {
		t.Fatalf("first advance: %v", err)
	}
	_, err := Advance(slots, 10, 0, now)
	if got := ErrorCode(err); got != EStaleSlot {
		t.Fatalf("second advance: got code %q, want %q", got, EStaleSlot)
	}
	cur, next := CurrentAndNext(slots)
	if cur == nil || cur.ID != 20 || next == nil || next.ID != 30 {
		t.Errorf("after: got current %v next %v, want 20 and 30", cur, next)
	}
}

func TestSkip(t *testing.T) {
	now := stateT0.Add(15 * time.Minute)
	tests := []struct {
		name        string
		slots       []Slot
		id          int64
		wantChanged []int
		want        func(in []Slot) []Slot
		wantCode    string
		wantMsg     string
	}{
		{
			name: "Pending", slots: stateSlots(SlotPresenting, SlotPending, SlotPending), id: 30,
			wantChanged: []int{2},
			want:        func(in []Slot) []Slot { in[2].State = SlotSkipped; return in },
		},
		{
			name: "PendingBeforeStart", slots: stateSlots(SlotPending, SlotPending), id: 10,
			wantChanged: []int{0},
			want:        func(in []Slot) []Slot { in[0].State = SlotSkipped; return in },
		},
		{
			name: "Presenting", slots: stateSlots(SlotDone, SlotPresenting, SlotPending), id: 20,
			wantChanged: []int{1, 2},
			want: func(in []Slot) []Slot {
				in[1] = slotFinished(in[1], SlotSkipped, now)
				in[2] = slotOnStage(in[2], now, 60)
				return in
			},
		},
		{
			name: "PresentingLast", slots: stateSlots(SlotDone, SlotPresenting), id: 20,
			wantChanged: []int{1},
			want: func(in []Slot) []Slot {
				in[1] = slotFinished(in[1], SlotSkipped, now)
				return in
			},
		},
		{
			name: "ErrDone", slots: stateSlots(SlotDone, SlotPresenting), id: 10,
			wantCode: EInvalidTransition, wantMsg: "cannot skip a slot that is done",
		},
		{
			name: "ErrSkipped", slots: stateSlots(SlotSkipped, SlotPresenting), id: 10,
			wantCode: EInvalidTransition, wantMsg: "cannot skip a slot that is skipped",
		},
		{
			name: "ErrUnknown", slots: stateSlots(SlotPresenting, SlotPending), id: 99,
			wantCode: ENotFound, wantMsg: "slot 99 is not in this session",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := deepCopySlots(tt.slots)
			changed, err := Skip(tt.slots, tt.id, 60, now)
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("got error %v, want nil", err)
				}
				if !reflect.DeepEqual(changed, tt.wantChanged) {
					t.Errorf("changed: got %v, want %v", changed, tt.wantChanged)
				}
				if want := tt.want(before); !reflect.DeepEqual(tt.slots, want) {
					t.Errorf("slots:\n got  %+v\n want %+v", tt.slots, want)
				}
				return
			}
			if got := ErrorCode(err); got != tt.wantCode {
				t.Fatalf("code: got %q, want %q (err %v)", got, tt.wantCode, err)
			}
			if got := ErrorMessage(err); got != tt.wantMsg {
				t.Errorf("message: got %q, want %q", got, tt.wantMsg)
			}
			if !reflect.DeepEqual(tt.slots, before) {
				t.Errorf("slots changed on error:\n got  %+v\n want %+v", tt.slots, before)
			}
		})
	}
}

func TestCurrentAndNext(t *testing.T) {
	tests := []struct {
		name              string
		slots             []Slot
		wantCur, wantNext int64 // 0 = nil
	}{
		{"BeforeStart", stateSlots(SlotPending, SlotPending), 0, 10},
		{"Middle", stateSlots(SlotDone, SlotPresenting, SlotPending), 20, 30},
		{"NextSkipsSkipped", stateSlots(SlotPresenting, SlotSkipped, SlotPending), 10, 30},
		{"Last", stateSlots(SlotDone, SlotPresenting), 20, 0},
		{"AllDone", stateSlots(SlotDone, SlotSkipped), 0, 0},
		{"Empty", nil, 0, 0},
	}
	id := func(s *Slot) int64 {
		if s == nil {
			return 0
		}
		return s.ID
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cur, next := CurrentAndNext(tt.slots)
			if id(cur) != tt.wantCur || id(next) != tt.wantNext {
				t.Errorf("got (%d, %d), want (%d, %d)", id(cur), id(next), tt.wantCur, tt.wantNext)
			}
			for _, p := range []*Slot{cur, next} {
				if p != nil && !slotPointsInto(p, tt.slots) {
					t.Errorf("slot %d does not point into slots", p.ID)
				}
			}
		})
	}
}

func slotPointsInto(p *Slot, slots []Slot) bool {
	for i := range slots {
		if p == &slots[i] {
			return true
		}
	}
	return false
}
