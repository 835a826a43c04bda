package app

import (
	"reflect"
	"testing"
	"time"
)

// Times in the tests are clock times on one day in Beijing, "09:05" or
// "09:05:30".
var schedDay = time.Date(2025, 10, 20, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))

func schedAt(clock string) time.Time {
	layout := "15:04"
	if len(clock) > 5 {
		layout = "15:04:05"
	}
	c, err := time.Parse(layout, clock)
	if err != nil {
		panic(err)
	}
	return schedDay.Add(time.Duration(c.Hour())*time.Hour + time.Duration(c.Minute())*time.Minute +
		time.Duration(c.Second())*time.Second)
}

func schedAtPtr(clock string) *time.Time {
	if clock == "" {
		return nil
	}
	t := schedAt(clock)
	return &t
}

func schedClock(t time.Time) string { return t.In(schedDay.Location()).Format("15:04:05") }

type schedOpt func(*Session)

// sess builds a session planned from..to on stage.
func schedSession(id int64, stage, from, to, state string, opts ...schedOpt) Session {
	s := Session{ID: id, Stage: stage, PlannedStart: schedAt(from), PlannedEnd: schedAt(to), State: state}
	for _, o := range opts {
		o(&s)
	}
	return s
}

func schedFixed(s *Session) { s.FixedStart = true }

// actual sets the actual start and end ("" for none).
func schedActual(start, end string) schedOpt {
	return func(s *Session) { s.ActualStart, s.ActualEnd = schedAtPtr(start), schedAtPtr(end) }
}

// schedPaused sets the finished pause total and the running pause ("" for none).
func schedPaused(secs int64, since string) schedOpt {
	return func(s *Session) { s.PausedSeconds, s.PausedAt = secs, schedAtPtr(since) }
}

// sl builds a slot of the given length in minutes.
func schedSlot(id int64, pos int, minutes int64, state string, start, end string) Slot {
	return Slot{
		ID: id, Position: pos, PlannedSeconds: minutes * 60, State: state,
		ActualStart: schedAtPtr(start), ActualEnd: schedAtPtr(end),
	}
}

func schedBase(s Slot, secs int64) Slot { s.PauseBaseSeconds = secs; return s }

// schedSpan is a [start, end] pair of clock times.
type schedSpan [2]string

func TestSchedule(t *testing.T) {
	tests := []struct {
		name     string
		now      string
		sessions []Session
		slots    map[int64][]Slot
		// Expected times by session ID and by slot ID; sessions or slots
		// not listed are not checked.
		want        map[int64]schedSpan
		wantSlots   map[int64]schedSpan
		wantPlanned map[int64]schedSpan // planned slot times by slot ID
		// Conflicts by session ID (nil: none); sessions not listed are
		// not checked.
		wantConflicts map[int64]*ScheduleConflict
	}{
		{
			name: "AllScheduledIsThePlan",
			now:  "08:00",
			sessions: []Session{
				schedSession(1, "main", "09:00", "10:00", StateScheduled),
				schedSession(2, "main", "10:00", "11:00", StateScheduled),
				schedSession(3, "main", "11:00", "11:30", StateScheduled, schedFixed),
				schedSession(4, "side", "09:00", "12:00", StateScheduled),
			},
			slots: map[int64][]Slot{
				1: {schedSlot(11, 1, 20, SlotPending, "", ""), schedSlot(12, 2, 20, SlotPending, "", ""), schedSlot(13, 3, 20, SlotPending, "", "")},
			},
			want: map[int64]schedSpan{
				1: {"09:00", "10:00"}, 2: {"10:00", "11:00"}, 3: {"11:00", "11:30"}, 4: {"09:00", "12:00"},
			},
			wantSlots:   map[int64]schedSpan{11: {"09:00", "09:20"}, 12: {"09:20", "09:40"}, 13: {"09:40", "10:00"}},
			wantPlanned: map[int64]schedSpan{11: {"09:00", "09:20"}, 12: {"09:20", "09:40"}, 13: {"09:40", "10:00"}},
		},
		{
			name: "PresentingSlotRunningLatePushesLaterSlotsAndSessions",
			now:  "09:50",
			sessions: []Session{
				schedSession(1, "main", "09:00", "10:00", StateLive, schedActual("09:00", "")),
				schedSession(2, "main", "10:00", "11:00", StateScheduled),
				schedSession(3, "side", "10:00", "11:00", StateScheduled),
			},
			slots: map[int64][]Slot{1: {
				schedSlot(11, 1, 15, SlotDone, "09:00", "09:20"),
				schedSlot(12, 2, 15, SlotDone, "09:20", "09:40"),
				schedSlot(13, 3, 15, SlotPresenting, "09:40", ""),
				schedSlot(14, 4, 15, SlotPending, "", ""),
			}},
			want: map[int64]schedSpan{1: {"09:00", "10:10"}, 2: {"10:10", "11:10"}, 3: {"10:00", "11:00"}},
			wantSlots: map[int64]schedSpan{
				11: {"09:00", "09:20"}, 12: {"09:20", "09:40"}, 13: {"09:40", "09:55"}, 14: {"09:55", "10:10"},
			},
			wantPlanned: map[int64]schedSpan{
				11: {"09:00", "09:15"}, 12: {"09:15", "09:30"}, 13: {"09:30", "09:45"}, 14: {"09:45", "10:00"},
			},
		},
		{
			name: "OverrunningSlotEndsNowAndPushesButNotFixedOrOtherStage",
			now:  "10:00",
			sessions: []Session{
				schedSession(1, "main", "09:00", "10:00", StateLive, schedActual("09:00", "")),
				schedSession(2, "main", "10:00", "11:00", StateScheduled),
				schedSession(3, "main", "11:00", "11:30", StateScheduled, schedFixed),
				schedSession(4, "main", "11:30", "12:00", StateScheduled),
				schedSession(5, "side", "10:00", "11:00", StateScheduled),
			},
			slots: map[int64][]Slot{1: {
				schedSlot(11, 1, 15, SlotDone, "09:00", "09:20"),
				schedSlot(12, 2, 15, SlotDone, "09:20", "09:40"),
				schedSlot(13, 3, 15, SlotPresenting, "09:40", ""), // planned to end 09:55
				schedSlot(14, 4, 15, SlotPending, "", ""),
			}},
			want: map[int64]schedSpan{
				1: {"09:00", "10:15"},
				2: {"10:15", "11:15"},
				3: {"11:00", "11:30"}, // fixed: keeps its time though main runs late
				4: {"11:30", "12:00"},
				5: {"10:00", "11:00"}, // another stage
			},
			wantSlots: map[int64]schedSpan{13: {"09:40", "10:00"}, 14: {"10:00", "10:15"}},
		},
		{
			name: "FixedStartDoesNotShieldLaterSessions",
			now:  "10:00",
			sessions: []Session{
				schedSession(1, "main", "09:00", "10:00", StateLive, schedActual("09:00", "")),
				schedSession(2, "main", "10:00", "10:30", StateScheduled, schedFixed),
				schedSession(3, "main", "10:30", "11:00", StateScheduled),
			},
			want: map[int64]schedSpan{1: {"09:00", "10:40"}, 2: {"10:00", "10:30"}, 3: {"10:40", "11:10"}},
			slots: map[int64][]Slot{1: {
				schedSlot(11, 1, 60, SlotDone, "09:00", "09:50"),
				schedSlot(12, 2, 20, SlotPresenting, "09:50", ""),
				schedSlot(13, 3, 30, SlotPending, "", ""),
			}},
		},
		{
			name: "PauseDuringSlotWhileStillPaused",
			now:  "09:15",
			sessions: []Session{
				schedSession(1, "main", "09:00", "09:40", StatePaused, schedActual("09:00", ""), schedPaused(0, "09:05")),
				schedSession(2, "main", "09:40", "10:40", StateScheduled),
			},
			slots: map[int64][]Slot{1: {
				schedSlot(11, 1, 20, SlotPresenting, "09:00", ""),
				schedSlot(12, 2, 20, SlotPending, "", ""),
			}},
			want:      map[int64]schedSpan{1: {"09:00", "09:50"}, 2: {"09:50", "10:50"}},
			wantSlots: map[int64]schedSpan{11: {"09:00", "09:30"}, 12: {"09:30", "09:50"}},
		},
		{
			name: "PauseDuringSlotAfterResume",
			now:  "09:15",
			sessions: []Session{
				schedSession(1, "main", "09:00", "09:40", StateLive, schedActual("09:00", ""), schedPaused(600, "")),
				schedSession(2, "main", "09:40", "10:40", StateScheduled),
			},
			slots: map[int64][]Slot{1: {
				schedSlot(11, 1, 20, SlotPresenting, "09:00", ""),
				schedSlot(12, 2, 20, SlotPending, "", ""),
			}},
			want:      map[int64]schedSpan{1: {"09:00", "09:50"}, 2: {"09:50", "10:50"}},
			wantSlots: map[int64]schedSpan{11: {"09:00", "09:30"}, 12: {"09:30", "09:50"}},
		},
		{
			name: "PauseBeforeSlotDoesNotExtendIt",
			now:  "09:30",
			sessions: []Session{
				schedSession(1, "main", "09:00", "09:40", StateLive, schedActual("09:00", ""), schedPaused(300, "")),
			},
			slots: map[int64][]Slot{1: {
				schedSlot(11, 1, 20, SlotDone, "09:00", "09:25"),
				schedBase(schedSlot(12, 2, 20, SlotPresenting, "09:25", ""), 300),
			}},
			want:      map[int64]schedSpan{1: {"09:00", "09:45"}},
			wantSlots: map[int64]schedSpan{12: {"09:25", "09:45"}},
		},
		{
			name: "PauseWithoutSlots",
			now:  "09:30",
			sessions: []Session{
				schedSession(1, "main", "09:00", "10:00", StatePaused, schedActual("09:00", ""), schedPaused(300, "09:25")),
				schedSession(2, "main", "10:00", "11:00", StateScheduled),
				schedSession(3, "side", "09:00", "10:00", StateLive, schedActual("09:00", "")),
			},
			want: map[int64]schedSpan{1: {"09:00", "10:10"}, 2: {"10:10", "11:10"}, 3: {"09:00", "10:00"}},
		},
		{
			name: "LiveWithoutSlotsOverrunningEndsNow",
			now:  "10:20",
			sessions: []Session{
				schedSession(1, "main", "09:00", "10:00", StateLive, schedActual("09:00", "")),
				schedSession(2, "main", "10:00", "11:00", StateScheduled),
			},
			want: map[int64]schedSpan{1: {"09:00", "10:20"}, 2: {"10:20", "11:20"}},
		},
		{
			name: "SkippedSlotsTakeNoTimeInPlan",
			now:  "08:00",
			sessions: []Session{
				schedSession(1, "main", "09:00", "10:00", StateScheduled),
			},
			slots: map[int64][]Slot{1: {
				schedSlot(11, 1, 20, SlotPending, "", ""),
				schedSlot(12, 2, 20, SlotSkipped, "", ""),
				schedSlot(13, 3, 20, SlotPending, "", ""),
			}},
			want:        map[int64]schedSpan{1: {"09:00", "10:00"}},
			wantSlots:   map[int64]schedSpan{11: {"09:00", "09:20"}, 12: {"09:20", "09:20"}, 13: {"09:20", "09:40"}},
			wantPlanned: map[int64]schedSpan{11: {"09:00", "09:20"}, 12: {"09:20", "09:40"}, 13: {"09:40", "10:00"}},
		},
		{
			name: "SkippedSlotsTakeNoTimeWhileLive",
			now:  "09:25",
			sessions: []Session{
				schedSession(1, "main", "09:00", "10:40", StateLive, schedActual("09:00", "")),
				schedSession(2, "main", "10:40", "11:00", StateScheduled),
			},
			slots: map[int64][]Slot{1: {
				schedSlot(11, 1, 20, SlotDone, "09:00", "09:20"),
				schedSlot(12, 2, 20, SlotSkipped, "", ""),
				schedSlot(13, 3, 20, SlotPresenting, "09:20", ""),
				schedSlot(14, 4, 20, SlotSkipped, "", ""),
				schedSlot(15, 5, 20, SlotPending, "", ""),
			}},
			want: map[int64]schedSpan{1: {"09:00", "10:00"}, 2: {"10:40", "11:00"}},
			wantSlots: map[int64]schedSpan{
				11: {"09:00", "09:20"}, 12: {"09:20", "09:20"}, 13: {"09:20", "09:40"},
				14: {"09:40", "09:40"}, 15: {"09:40", "10:00"},
			},
			wantPlanned: map[int64]schedSpan{12: {"09:20", "09:40"}, 14: {"10:00", "10:20"}},
		},
		{
			name: "EndedKeepsActualTimes",
			now:  "10:40",
			sessions: []Session{
				schedSession(1, "main", "09:00", "10:00", StateEnded, schedActual("09:10", "10:30")),
				schedSession(2, "main", "10:00", "11:00", StateScheduled),
			},
			slots: map[int64][]Slot{1: {
				schedSlot(11, 1, 20, SlotDone, "09:10", "09:40"),
				schedSlot(12, 2, 20, SlotSkipped, "", ""),
				schedSlot(13, 3, 20, SlotDone, "09:40", "10:25"),
				schedSlot(14, 4, 20, SlotPending, "", ""),
			}},
			want: map[int64]schedSpan{1: {"09:10", "10:30"}, 2: {"10:40", "11:40"}},
			wantSlots: map[int64]schedSpan{
				11: {"09:10", "09:40"}, 12: {"09:40", "09:40"}, 13: {"09:40", "10:25"}, 14: {"10:25", "10:25"},
			},
			wantPlanned: map[int64]schedSpan{14: {"10:00", "10:20"}},
		},
		{
			name: "EndedWithSlotStillPresenting",
			now:  "10:00",
			sessions: []Session{
				schedSession(1, "main", "09:00", "10:00", StateEnded, schedActual("09:00", "09:50")),
			},
			slots: map[int64][]Slot{1: {
				schedSlot(11, 1, 20, SlotDone, "09:00", "09:20"),
				schedSlot(12, 2, 20, SlotPresenting, "09:20", ""), // never finished: runs to the session's end
				schedSlot(13, 3, 20, SlotPending, "", ""),
			}},
			want:      map[int64]schedSpan{1: {"09:00", "09:50"}},
			wantSlots: map[int64]schedSpan{11: {"09:00", "09:20"}, 12: {"09:20", "09:50"}, 13: {"09:50", "09:50"}},
		},
		{
			name: "CancelledTakesNoTimeAndDoesNotPush",
			now:  "09:30",
			sessions: []Session{
				schedSession(1, "main", "09:00", "10:00", StateLive, schedActual("09:15", "")),
				schedSession(2, "main", "10:00", "12:00", StateCancelled),
				schedSession(3, "main", "10:30", "11:00", StateScheduled),
			},
			slots: map[int64][]Slot{2: {
				schedSlot(21, 1, 30, SlotPending, "", ""),
				schedSlot(22, 2, 30, SlotSkipped, "", ""),
			}},
			want: map[int64]schedSpan{
				1: {"09:15", "10:15"},
				2: {"10:00", "12:00"}, // not pushed by the overrun before it
				3: {"10:30", "11:00"}, // not pushed by the cancelled plan
			},
			wantSlots: map[int64]schedSpan{21: {"10:00", "10:30"}, 22: {"10:30", "11:00"}},
		},
		{
			name: "PastPlannedStartGetsNow",
			now:  "09:20",
			sessions: []Session{
				schedSession(1, "main", "09:00", "10:00", StateScheduled),
				schedSession(2, "main", "10:00", "11:00", StateScheduled),
				schedSession(3, "side", "09:00", "09:30", StateScheduled, schedFixed),
				schedSession(4, "side", "09:30", "10:00", StateScheduled),
			},
			want: map[int64]schedSpan{
				1: {"09:20", "10:20"}, 2: {"10:20", "11:20"},
				3: {"09:20", "09:50"}, // fixed, but never expected in the past
				4: {"09:50", "10:20"},
			},
			wantConflicts: map[int64]*ScheduleConflict{3: {Kind: ConflictOverdue, Minutes: 20}},
		},
		{
			name: "FixedStartOverrunBySession",
			now:  "11:40",
			sessions: []Session{
				schedSession(1, "main", "09:30", "11:45", StateLive, schedActual("09:30", "")),
				schedSession(2, "main", "11:50", "12:10", StateScheduled, schedFixed),
				schedSession(3, "main", "12:10", "12:30", StateScheduled),
				schedSession(4, "side", "11:50", "12:10", StateScheduled, schedFixed),
			},
			slots: map[int64][]Slot{1: {
				schedSlot(11, 1, 120, SlotDone, "09:30", "11:30"),
				schedSlot(12, 2, 25, SlotPresenting, "11:30", ""), // expected to 11:55
			}},
			want: map[int64]schedSpan{
				1: {"09:30", "11:55"},
				2: {"11:50", "12:10"}, // keeps its time: the organizers must cut the overrun
				3: {"12:10", "12:30"},
				4: {"11:50", "12:10"},
			},
			wantConflicts: map[int64]*ScheduleConflict{2: {Kind: ConflictOverlap, SessionID: 1, Minutes: 5}, 4: nil},
		},
		{
			name: "FixedStartPassedWhileOverrunning",
			now:  "11:53:30",
			sessions: []Session{
				schedSession(1, "main", "09:30", "11:45", StateLive, schedActual("09:30", "")),
				schedSession(2, "main", "11:50", "12:10", StateScheduled, schedFixed),
			},
			slots: map[int64][]Slot{1: {schedSlot(12, 1, 145, SlotPresenting, "09:30", "")}},
			want: map[int64]schedSpan{
				1: {"09:30", "11:55"},
				2: {"11:53:30", "12:13:30"}, // due now, not 11:50
			},
			wantConflicts: map[int64]*ScheduleConflict{2: {Kind: ConflictOverdue, SessionID: 1, Minutes: 4}},
		},
		{
			name: "FixedStartSecondsLateIsNoConflict",
			now:  "11:50:40",
			sessions: []Session{
				schedSession(1, "main", "09:30", "11:50", StateEnded, schedActual("09:30", "11:50:10")),
				schedSession(2, "main", "11:50", "12:10", StateScheduled, schedFixed),
			},
			want:          map[int64]schedSpan{2: {"11:50:40", "12:10:40"}},
			wantConflicts: map[int64]*ScheduleConflict{2: nil},
		},
		{
			name: "EarlyFinishDoesNotPullEarlier",
			now:  "09:35",
			sessions: []Session{
				schedSession(1, "main", "09:00", "10:00", StateEnded, schedActual("09:00", "09:30")),
				schedSession(2, "main", "10:00", "11:00", StateScheduled),
				schedSession(3, "side", "09:00", "10:00", StateLive, schedActual("09:00", "")),
				schedSession(4, "side", "10:00", "11:00", StateScheduled),
			},
			slots: map[int64][]Slot{3: {
				schedSlot(31, 1, 30, SlotDone, "09:00", "09:15"),
				schedSlot(32, 2, 30, SlotDone, "09:15", "09:30"),
			}},
			want: map[int64]schedSpan{
				1: {"09:00", "09:30"}, 2: {"10:00", "11:00"},
				3: {"09:00", "09:35"}, // all slots done: ends no earlier than now
				4: {"10:00", "11:00"},
			},
		},
		{
			name: "LivePendingSlotsCannotStartInThePast",
			now:  "09:10",
			sessions: []Session{
				schedSession(1, "main", "09:00", "09:40", StateLive, schedActual("09:00", "")),
			},
			slots: map[int64][]Slot{1: {
				schedSlot(11, 1, 20, SlotPending, "", ""),
				schedSlot(12, 2, 20, SlotPending, "", ""),
			}},
			want:      map[int64]schedSpan{1: {"09:00", "09:50"}},
			wantSlots: map[int64]schedSpan{11: {"09:10", "09:30"}, 12: {"09:30", "09:50"}},
		},
		{
			name: "TiesByIDAndInputOrderIgnored",
			now:  "08:00",
			sessions: []Session{
				schedSession(3, "main", "10:00", "10:30", StateScheduled),
				schedSession(2, "main", "09:00", "09:30", StateScheduled),
				schedSession(1, "main", "09:00", "09:30", StateScheduled),
			},
			slots: map[int64][]Slot{1: {
				schedSlot(11, 2, 10, SlotPending, "", ""),
				schedSlot(12, 1, 10, SlotPending, "", ""),
				schedSlot(13, 2, 10, SlotPending, "", ""), // same position: by ID
			}},
			want:        map[int64]schedSpan{1: {"09:00", "09:30"}, 2: {"09:30", "10:00"}, 3: {"10:00", "10:30"}},
			wantSlots:   map[int64]schedSpan{12: {"09:00", "09:10"}, 11: {"09:10", "09:20"}, 13: {"09:20", "09:30"}},
			wantPlanned: map[int64]schedSpan{12: {"09:00", "09:10"}, 11: {"09:10", "09:20"}, 13: {"09:20", "09:30"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			Schedule(schedAt(tt.now), tt.sessions, tt.slots)
			for _, s := range tt.sessions {
				want, ok := tt.want[s.ID]
				if !ok {
					continue
				}
				if got := (schedSpan{schedClock(s.ExpectedStart), schedClock(s.ExpectedEnd)}); got != schedNorm(want) {
					t.Errorf("session %d expected: got %v, want %v", s.ID, got, schedNorm(want))
				}
			}
			for _, s := range tt.sessions {
				if want, ok := tt.wantConflicts[s.ID]; ok && !reflect.DeepEqual(s.Conflict, want) {
					t.Errorf("session %d conflict: got %+v, want %+v", s.ID, s.Conflict, want)
				}
			}
			checked := 0
			for _, list := range tt.slots {
				for _, x := range list {
					if want, ok := tt.wantSlots[x.ID]; ok {
						checked++
						if got := (schedSpan{schedClock(x.ExpectedStart), schedClock(x.ExpectedEnd)}); got != schedNorm(want) {
							t.Errorf("slot %d expected: got %v, want %v", x.ID, got, schedNorm(want))
						}
					}
					if want, ok := tt.wantPlanned[x.ID]; ok {
						checked++
						if got := (schedSpan{schedClock(x.PlannedStart), schedClock(x.PlannedEnd)}); got != schedNorm(want) {
							t.Errorf("slot %d planned: got %v, want %v", x.ID, got, schedNorm(want))
						}
					}
				}
			}
			if want := len(tt.wantSlots) + len(tt.wantPlanned); checked != want {
				t.Errorf("checked %d slot spans, want %d (a wanted slot ID is missing)", checked, want)
			}
		})
	}
}

// schedNorm writes both ends of a schedSpan with seconds.
func schedNorm(s schedSpan) schedSpan {
	return schedSpan{schedClock(schedAt(s[0])), schedClock(schedAt(s[1]))}
}

// clearComputed clears the fields Schedule fills.
func clearComputed(sessions []Session, slots map[int64][]Slot) {
	for i := range sessions {
		sessions[i].ExpectedStart, sessions[i].ExpectedEnd = time.Time{}, time.Time{}
	}
	for _, list := range slots {
		for i := range list {
			list[i].PlannedStart, list[i].PlannedEnd = time.Time{}, time.Time{}
			list[i].ExpectedStart, list[i].ExpectedEnd = time.Time{}, time.Time{}
		}
	}
}

// schedInput returns a fresh mixed day: every state, two stages, slots
// out of position order.
func schedInput() ([]Session, map[int64][]Slot) {
	sessions := []Session{
		schedSession(4, "main", "11:00", "11:30", StateScheduled, schedFixed),
		schedSession(2, "main", "10:00", "11:00", StatePaused, schedActual("10:02", ""), schedPaused(60, "10:20")),
		schedSession(1, "main", "09:00", "10:00", StateEnded, schedActual("09:00", "10:02")),
		schedSession(5, "main", "11:30", "12:00", StateCancelled),
		schedSession(6, "side", "10:00", "12:00", StateScheduled),
	}
	slots := map[int64][]Slot{
		2: {
			schedSlot(23, 3, 10, SlotPending, "", ""),
			schedBase(schedSlot(22, 2, 10, SlotPresenting, "10:12", ""), 60),
			schedSlot(21, 1, 10, SlotDone, "10:02", "10:12"),
		},
		1: {schedSlot(11, 1, 60, SlotDone, "09:00", "10:02")},
	}
	return sessions, slots
}

func TestSchedulePure(t *testing.T) {
	now := schedAt("10:25")
	sessions, slots := schedInput()
	Schedule(now, sessions, slots)

	t.Run("OnlyComputedFieldsChange", func(t *testing.T) {
		gotS, gotSl := deepCopyInput(sessions, slots)
		wantS, wantSl := schedInput()
		clearComputed(gotS, gotSl)
		if !reflect.DeepEqual(gotS, wantS) {
			t.Errorf("sessions:\n got  %+v\n want %+v", gotS, wantS)
		}
		if !reflect.DeepEqual(gotSl, wantSl) {
			t.Errorf("slots:\n got  %+v\n want %+v", gotSl, wantSl)
		}
	})
	t.Run("Deterministic", func(t *testing.T) {
		again, againSl := schedInput()
		Schedule(now, again, againSl)
		if !reflect.DeepEqual(again, sessions) || !reflect.DeepEqual(againSl, slots) {
			t.Errorf("two runs over equal input differ")
		}
	})
	t.Run("Idempotent", func(t *testing.T) {
		again, againSl := deepCopyInput(sessions, slots)
		Schedule(now, again, againSl)
		if !reflect.DeepEqual(again, sessions) || !reflect.DeepEqual(againSl, slots) {
			t.Errorf("scheduling a scheduled day changed it")
		}
	})
	t.Run("Values", func(t *testing.T) {
		// Session 2: slot 22 started 10:12 with 60 s of pause before it; 5
		// more minutes of pause are running (since 10:20), so it ends
		// 10:27, and slot 23 follows until 10:37.
		want := map[int64]schedSpan{
			1: {"09:00", "10:02"}, 2: {"10:02", "10:37"}, 4: {"11:00", "11:30"},
			5: {"11:30", "12:00"}, 6: {"10:25", "12:25"},
		}
		for _, s := range sessions {
			if got := (schedSpan{schedClock(s.ExpectedStart), schedClock(s.ExpectedEnd)}); got != schedNorm(want[s.ID]) {
				t.Errorf("session %d: got %v, want %v", s.ID, got, schedNorm(want[s.ID]))
			}
		}
		wantSl := map[int64]schedSpan{21: {"10:02", "10:12"}, 22: {"10:12", "10:27"}, 23: {"10:27", "10:37"}}
		for _, x := range slots[2] {
			if got := (schedSpan{schedClock(x.ExpectedStart), schedClock(x.ExpectedEnd)}); got != schedNorm(wantSl[x.ID]) {
				t.Errorf("slot %d: got %v, want %v", x.ID, got, schedNorm(wantSl[x.ID]))
			}
		}
	})
}

// deepCopyInput deep-copies sessions and slots (the time pointers included).
func deepCopyInput(sessions []Session, slots map[int64][]Slot) ([]Session, map[int64][]Slot) {
	outS := make([]Session, len(sessions))
	for i := range sessions {
		outS[i] = deepCopySession(&sessions[i])
	}
	outSl := make(map[int64][]Slot, len(slots))
	for k, v := range slots {
		outSl[k] = deepCopySlots(v)
	}
	return outS, outSl
}

func TestShiftedSessions(t *testing.T) {
	base := []Session{
		{ID: 1, ExpectedStart: schedAt("09:00"), ExpectedEnd: schedAt("10:00")},
		{ID: 2, ExpectedStart: schedAt("10:00"), ExpectedEnd: schedAt("11:00")},
		{ID: 3, ExpectedStart: schedAt("11:00"), ExpectedEnd: schedAt("12:00")},
	}
	utc := func(s Session) Session {
		s.ExpectedStart, s.ExpectedEnd = s.ExpectedStart.UTC(), s.ExpectedEnd.UTC()
		return s
	}
	tests := []struct {
		name   string
		before []Session
		after  []Session
		want   []int64
	}{
		{"NoChange", base, base, nil},
		{"SameInstantOtherZone", base, []Session{utc(base[0]), utc(base[1]), utc(base[2])}, nil},
		{
			"StartAndEndChanges", base,
			[]Session{
				base[0],
				{ID: 2, ExpectedStart: schedAt("10:15"), ExpectedEnd: schedAt("11:00")},
				{ID: 3, ExpectedStart: schedAt("11:00"), ExpectedEnd: schedAt("12:15")},
			},
			[]int64{2, 3},
		},
		{
			"OrderOfAfterAndNewSession", base,
			[]Session{
				{ID: 4, ExpectedStart: schedAt("12:00"), ExpectedEnd: schedAt("13:00")},
				{ID: 3, ExpectedStart: schedAt("11:10"), ExpectedEnd: schedAt("12:10")},
				base[0],
			},
			[]int64{4, 3},
		},
		{"EmptyAfter", base, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []int64
			for _, s := range shiftedSessions(tt.before, tt.after) {
				got = append(got, s.ID)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestScheduleShiftAfterAdvance runs the flow the service runs: schedule,
// change the slots, schedule again, and report what moved.
func TestScheduleShiftAfterAdvance(t *testing.T) {
	sessions := []Session{
		schedSession(1, "main", "09:00", "09:30", StateLive, schedActual("09:00", "")),
		schedSession(2, "main", "09:30", "10:00", StateScheduled),
		schedSession(3, "main", "10:00", "10:30", StateScheduled, schedFixed),
	}
	slots := map[int64][]Slot{1: {
		schedSlot(11, 1, 15, SlotPresenting, "09:00", ""),
		schedSlot(12, 2, 15, SlotPending, "", ""),
	}}
	now := schedAt("09:20") // slot 11 overran by 5 minutes
	Schedule(now, sessions, slots)
	before, _ := deepCopyInput(sessions, slots)
	if _, err := Advance(slots[1], 11, 0, now); err != nil {
		t.Fatal(err)
	}
	Schedule(now.Add(25*time.Minute), sessions, slots) // slot 12 overruns to 09:45
	var got []int64
	for _, s := range shiftedSessions(before, sessions) {
		got = append(got, s.ID)
	}
	if want := []int64{1, 2}; !reflect.DeepEqual(got, want) {
		t.Errorf("shifted: got %v, want %v", got, want)
	}
	if got, want := schedClock(sessions[1].ExpectedStart), schedClock(schedAt("09:45")); got != want {
		t.Errorf("session 2 start: got %s, want %s", got, want)
	}
}

// shiftedSessions (a test helper) returns the sessions of after whose ExpectedStart or
// ExpectedEnd differ from those of the session with the same ID in before,
// in the order of after, compared as instants (time.Time.Equal). A session
// missing from before counts as shifted. The results are shallow copies of
// after's elements.
func shiftedSessions(before, after []Session) []Session {
	prev := make(map[int64]*Session, len(before))
	for i := range before {
		prev[before[i].ID] = &before[i]
	}
	var out []Session
	for _, s := range after {
		p, ok := prev[s.ID]
		if !ok || !p.ExpectedStart.Equal(s.ExpectedStart) || !p.ExpectedEnd.Equal(s.ExpectedEnd) {
			out = append(out, s)
		}
	}
	return out
}
