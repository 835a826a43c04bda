package meetsched

import (
	"fmt"
	"slices"
	"time"
)

// Interval is the half-open span [Start, End).
type Interval struct {
	Start time.Time
	End   time.Time
}

// Overlaps reports whether a and b share an instant.
func (a Interval) Overlaps(b Interval) bool {
	return a.Start.Before(b.End) && b.Start.Before(a.End)
}

// Slot is one time slot of a meeting session with the places it offers.
// Slots of one Input must not overlap each other.
type Slot struct {
	Interval
	// Tables are the slot's places for meetings on site, Rooms those for
	// online meetings, each name once.
	Tables []string
	Rooms  []string
}

// Meeting is an accepted meeting request between a participant and a
// team, to be held on site (at a table) or online (in a room).
type Meeting struct {
	ID          int64
	Participant string
	Team        int64
	Online      bool
}

// Placement puts a meeting into a slot (an index of Input.Slots) at a
// place (a table or a room of that slot, by the meeting's kind).
type Placement struct {
	Meeting int64
	Slot    int
	Place   string
}

// Input is everything Schedule needs.
type Input struct {
	// Slots are the meeting slots, in any order, pairwise disjoint.
	Slots []Slot
	// Meetings are every accepted meeting, placed or not; ids unique.
	Meetings []Meeting
	// Keep are placements that must not move (meetings confirmed
	// earlier). They must obey the booking rules among themselves;
	// overlapping a busy interval is reported as a Conflict instead.
	Keep []Placement
	// ParticipantBusy and TeamBusy are when a party cannot meet anyone
	// (a team presenting its achievement).
	ParticipantBusy map[string][]Interval
	TeamBusy        map[int64][]Interval
	// OpenFrom: new meetings go only into slots starting at or after it
	// (the zero time opens every slot).
	OpenFrom time.Time
}

// Reasons a meeting stays unplaced.
const (
	// ReasonNoCommonTime: no open slot is free of both parties' busy
	// intervals.
	ReasonNoCommonTime = "no_common_time"
	// ReasonPartiesBooked: in every slot both could use, one of them
	// already meets someone else.
	ReasonPartiesBooked = "parties_booked"
	// ReasonNoFreePlace: in some slot both parties are free, but every
	// table (or room) is taken.
	ReasonNoFreePlace = "no_free_place"
)

// Unplaced is a meeting Schedule could not place, with the reason.
type Unplaced struct {
	Meeting int64
	Reason  string
}

// Conflict is a kept placement that now overlaps a busy interval of its
// participant or team (Party "participant" or "team"). It stays where it
// is: only an organizer moves confirmed meetings.
type Conflict struct {
	Meeting int64
	Party   string
}

// Result is a schedule: every placement (the kept ones unchanged, then
// the new ones; sorted by slot start and place), the meetings left out
// and the kept placements in conflict.
type Result struct {
	Placements []Placement
	Unplaced   []Unplaced
	Conflicts  []Conflict
}

// mtg is a meeting as the scheduler works on it.
type mtg struct {
	id     int64
	p, t   int // participant and team index
	online bool
	kept   bool
	slot   int // slot index, -1 while unplaced
	place  int // index into the slot's tables or rooms
	rank   int // priority: lower places first
}

// state is one run of Schedule.
type state struct {
	in    Input
	ms    []mtg
	byID  map[int64]int
	order []int // slot indexes by start
	open  []bool
	pOK   [][]bool  // [participant][slot]: not busy then
	tOK   [][]bool  // [team][slot]
	pAt   [][]int32 // [slot][participant]: meeting index + 1, 0 free
	tAt   [][]int32 // [slot][team]
	used  [][2][]int32
	// used[slot][kind][place]: meeting index + 1, 0 free; kind 0 tables, 1 rooms.
	home map[[2]int]int // (team, kind) → the place index it had last
}

func kindOf(online bool) int {
	if online {
		return 1
	}
	return 0
}

func (s *state) places(slot, kind int) []string {
	if kind == 1 {
		return s.in.Slots[slot].Rooms
	}
	return s.in.Slots[slot].Tables
}

// Schedule places as many meetings as it can under the rules of the
// package comment and returns the schedule. It is deterministic and does
// not modify in. An error means in breaks its own contract (duplicate
// meeting ids, overlapping or empty slots, a kept placement naming an
// unknown meeting, slot or place, or kept placements that double-book).
func Schedule(in Input) (Result, error) {
	s, err := newState(in)
	if err != nil {
		return Result{}, err
	}
	if err := validateKept(s); err != nil {
		return Result{}, err
	}
	conflicts := s.applyKept()
	pending := s.rankPending()
	for _, sl := range s.order {
		if s.open[sl] {
			s.matchSlot(sl, pending)
		}
	}
	s.repair(pending)
	return s.result(conflicts), nil
}

func newState(in Input) (*state, error) {
	s := &state{in: in, byID: make(map[int64]int, len(in.Meetings)), home: map[[2]int]int{}}
	pIdx, tIdx := map[string]int{}, map[int64]int{}
	for _, m := range in.Meetings {
		if _, dup := s.byID[m.ID]; dup {
			return nil, fmt.Errorf("meetsched: meeting %d listed twice", m.ID)
		}
		p, ok := pIdx[m.Participant]
		if !ok {
			p = len(pIdx)
			pIdx[m.Participant] = p
		}
		t, ok := tIdx[m.Team]
		if !ok {
			t = len(tIdx)
			tIdx[m.Team] = t
		}
		s.byID[m.ID] = len(s.ms)
		s.ms = append(s.ms, mtg{id: m.ID, p: p, t: t, online: m.Online, slot: -1})
	}
	n := len(in.Slots)
	s.order = make([]int, n)
	for i := range s.order {
		s.order[i] = i
		if !in.Slots[i].Start.Before(in.Slots[i].End) {
			return nil, fmt.Errorf("meetsched: slot %d ends before it starts", i)
		}
	}
	slices.SortStableFunc(s.order, func(a, b int) int { return in.Slots[a].Start.Compare(in.Slots[b].Start) })
	for i := 1; i < n; i++ {
		if in.Slots[s.order[i-1]].Overlaps(in.Slots[s.order[i]].Interval) {
			return nil, fmt.Errorf("meetsched: slots %d and %d overlap", s.order[i-1], s.order[i])
		}
	}
	s.open = make([]bool, n)
	s.pAt = make([][]int32, n)
	s.tAt = make([][]int32, n)
	s.used = make([][2][]int32, n)
	for i, sl := range in.Slots {
		s.open[i] = !sl.Start.Before(in.OpenFrom)
		s.pAt[i] = make([]int32, len(pIdx))
		s.tAt[i] = make([]int32, len(tIdx))
		s.used[i] = [2][]int32{make([]int32, len(sl.Tables)), make([]int32, len(sl.Rooms))}
	}
	free := func(busy []Interval) []bool {
		ok := make([]bool, n)
		for i, sl := range in.Slots {
			ok[i] = true
			for _, b := range busy {
				if sl.Overlaps(b) {
					ok[i] = false
					break
				}
			}
		}
		return ok
	}
	s.pOK = make([][]bool, len(pIdx))
	for name, p := range pIdx {
		s.pOK[p] = free(in.ParticipantBusy[name])
	}
	s.tOK = make([][]bool, len(tIdx))
	for team, t := range tIdx {
		s.tOK[t] = free(in.TeamBusy[team])
	}
	return s, nil
}

// put records meeting i in slot sl at place pl.
func (s *state) put(i, sl, pl int) {
	m := &s.ms[i]
	m.slot, m.place = sl, pl
	s.pAt[sl][m.p] = int32(i + 1)
	s.tAt[sl][m.t] = int32(i + 1)
	s.used[sl][kindOf(m.online)][pl] = int32(i + 1)
	s.home[[2]int{m.t, kindOf(m.online)}] = pl
}

// take removes meeting i from its slot.
func (s *state) take(i int) {
	m := &s.ms[i]
	s.pAt[m.slot][m.p] = 0
	s.tAt[m.slot][m.t] = 0
	s.used[m.slot][kindOf(m.online)][m.place] = 0
	m.slot, m.place = -1, 0
}

// applyKept places the kept meetings (validateKept has checked them) and
// reports those in conflict with a busy interval.
func (s *state) applyKept() []Conflict {
	var out []Conflict
	for _, k := range s.in.Keep {
		i := s.byID[k.Meeting]
		m := &s.ms[i]
		pl := slices.Index(s.places(k.Slot, kindOf(m.online)), k.Place)
		s.put(i, k.Slot, pl)
		m.kept = true
		if !s.pOK[m.p][k.Slot] {
			out = append(out, Conflict{Meeting: m.id, Party: "participant"})
		}
		if !s.tOK[m.t][k.Slot] {
			out = append(out, Conflict{Meeting: m.id, Party: "team"})
		}
	}
	return out
}

// validateKept checks Keep against the contract; Schedule's callers get
// its error.
func validateKept(s *state) error {
	for _, k := range s.in.Keep {
		i, ok := s.byID[k.Meeting]
		if !ok {
			return fmt.Errorf("meetsched: kept meeting %d is not among the meetings", k.Meeting)
		}
		if k.Slot < 0 || k.Slot >= len(s.in.Slots) {
			return fmt.Errorf("meetsched: kept meeting %d names slot %d of %d", k.Meeting, k.Slot, len(s.in.Slots))
		}
		m := s.ms[i]
		kind := kindOf(m.online)
		pl := slices.Index(s.places(k.Slot, kind), k.Place)
		switch {
		case pl < 0:
			return fmt.Errorf("meetsched: kept meeting %d names place %q, not one of its kind in slot %d", k.Meeting, k.Place, k.Slot)
		case m.slot >= 0:
			return fmt.Errorf("meetsched: meeting %d kept twice", k.Meeting)
		case s.pAt[k.Slot][m.p] != 0, s.tAt[k.Slot][m.t] != 0, s.used[k.Slot][kind][pl] != 0:
			return fmt.Errorf("meetsched: kept meeting %d double-books slot %d", k.Meeting, k.Slot)
		}
		s.put(i, k.Slot, pl)
	}
	for _, k := range s.in.Keep {
		s.take(s.byID[k.Meeting])
	}
	s.home = map[[2]int]int{}
	return nil
}

// usable reports whether meeting i could ever go into slot sl: the slot is
// open and neither party is busy then.
func (s *state) usable(i, sl int) bool {
	m := &s.ms[i]
	return s.open[sl] && s.pOK[m.p][sl] && s.tOK[m.t][sl]
}

// freeAt reports whether both parties of meeting i are free in slot sl.
func (s *state) freeAt(i, sl int) bool {
	m := &s.ms[i]
	return s.pAt[sl][m.p] == 0 && s.tAt[sl][m.t] == 0
}

// freePlace returns the place meeting i would take in slot sl — its
// team's place of before when free, else the first free one — or -1.
func (s *state) freePlace(i, sl int) int {
	m := &s.ms[i]
	kind := kindOf(m.online)
	used := s.used[sl][kind]
	if h, ok := s.home[[2]int{m.t, kind}]; ok && h < len(used) && used[h] == 0 {
		return h
	}
	return slices.Index(used, 0)
}

// rankPending orders the meetings not kept: fewest usable slots first,
// then by id, and records each one's rank.
func (s *state) rankPending() []int {
	var pending []int
	usable := make([]int, len(s.ms))
	for i := range s.ms {
		if s.ms[i].slot >= 0 {
			continue
		}
		pending = append(pending, i)
		for sl := range s.in.Slots {
			if s.usable(i, sl) {
				usable[i]++
			}
		}
	}
	slices.SortStableFunc(pending, func(a, b int) int {
		if usable[a] != usable[b] {
			return usable[a] - usable[b]
		}
		return int(s.ms[a].id - s.ms[b].id)
	})
	for r, i := range pending {
		s.ms[i].rank = r
	}
	return pending
}

// result assembles the Result.
func (s *state) result(conflicts []Conflict) Result {
	res := Result{Placements: []Placement{}, Unplaced: []Unplaced{}, Conflicts: conflicts}
	if res.Conflicts == nil {
		res.Conflicts = []Conflict{}
	}
	for i := range s.ms {
		m := &s.ms[i]
		if m.slot < 0 {
			res.Unplaced = append(res.Unplaced, Unplaced{Meeting: m.id, Reason: s.reason(i)})
			continue
		}
		res.Placements = append(res.Placements, Placement{Meeting: m.id, Slot: m.slot, Place: s.places(m.slot, kindOf(m.online))[m.place]})
	}
	pos := make([]int, len(s.in.Slots))
	for r, sl := range s.order {
		pos[sl] = r
	}
	slices.SortStableFunc(res.Placements, func(a, b Placement) int {
		if pos[a.Slot] != pos[b.Slot] {
			return pos[a.Slot] - pos[b.Slot]
		}
		if a.Place != b.Place {
			if a.Place < b.Place {
				return -1
			}
			return 1
		}
		return int(a.Meeting - b.Meeting)
	})
	slices.SortFunc(res.Unplaced, func(a, b Unplaced) int { return int(a.Meeting - b.Meeting) })
	return res
}

// reason says why unplaced meeting i is unplaced.
func (s *state) reason(i int) string {
	usable, partiesFree := false, false
	for sl := range s.in.Slots {
		if !s.usable(i, sl) {
			continue
		}
		usable = true
		if s.freeAt(i, sl) {
			partiesFree = true
		}
	}
	switch {
	case !usable:
		return ReasonNoCommonTime
	case partiesFree:
		return ReasonNoFreePlace
	}
	return ReasonPartiesBooked
}
