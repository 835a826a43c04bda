package meetsched

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

var day = time.Date(2021, 4, 23, 5, 0, 0, 0, time.UTC)

// slots returns n contiguous slots of minutes each from start, each with
// tables T1…Tn and rooms R1…Rn.
func slots(start time.Time, n, minutes, tables, rooms int) []Slot {
	out := make([]Slot, n)
	for i := range out {
		s := start.Add(time.Duration(i*minutes) * time.Minute)
		out[i] = Slot{Interval: Interval{s, s.Add(time.Duration(minutes) * time.Minute)}}
		for k := 1; k <= tables; k++ {
			out[i].Tables = append(out[i].Tables, fmt.Sprintf("T%d", k))
		}
		for k := 1; k <= rooms; k++ {
			out[i].Rooms = append(out[i].Rooms, fmt.Sprintf("R%d", k))
		}
	}
	return out
}

// randomInput is a conference's worth of accepted requests: every
// participant asks up to maxPer teams, a fifth of the meetings online, a
// third of the teams presenting during the meeting session, a few
// participants busy, and the first openSlots-th slots already started.
func randomInput(r *rand.Rand, participants, teams, nSlots, tables, rooms, maxPer int) Input {
	in := Input{Slots: slots(day, nSlots, 20, tables, rooms), ParticipantBusy: map[string][]Interval{}, TeamBusy: map[int64][]Interval{}}
	id := int64(1)
	for p := range participants {
		name := fmt.Sprintf("p%03d", p)
		for _, t := range r.Perm(teams)[:r.IntN(maxPer+1)] {
			in.Meetings = append(in.Meetings, Meeting{ID: id, Participant: name, Team: int64(t + 1), Online: r.IntN(5) == 0})
			id++
		}
		if r.IntN(10) == 0 {
			at := day.Add(time.Duration(r.IntN(nSlots*20)) * time.Minute)
			in.ParticipantBusy[name] = []Interval{{at, at.Add(30 * time.Minute)}}
		}
	}
	for t := 1; t <= teams; t++ {
		if r.IntN(3) == 0 {
			at := day.Add(time.Duration(r.IntN(nSlots*20)) * time.Minute)
			in.TeamBusy[int64(t)] = []Interval{{at, at.Add(5 * time.Minute)}}
		}
	}
	if r.IntN(2) == 0 {
		in.OpenFrom = in.Slots[r.IntN(3)].Start
	}
	return in
}

// check fails t unless res is a valid schedule of in: every rule of the
// package comment, kept placements untouched, every meeting accounted
// for once, and every unplaced meeting blocked (maximality).
func check(t *testing.T, in Input, res Result) {
	t.Helper()
	meet := map[int64]Meeting{}
	for _, m := range in.Meetings {
		meet[m.ID] = m
	}
	seen := map[int64]bool{}
	type key struct {
		slot int
		who  string
	}
	booked := map[key]int64{}
	book := func(slot int, who string, id int64) {
		if other, dup := booked[key{slot, who}]; dup {
			t.Fatalf("slot %d: %s booked by meetings %d and %d", slot, who, other, id)
		}
		booked[key{slot, who}] = id
	}
	kept := map[int64]Placement{}
	for _, k := range in.Keep {
		kept[k.Meeting] = k
	}
	placedAt := map[int64]Placement{}
	for _, p := range res.Placements {
		m, ok := meet[p.Meeting]
		if !ok || seen[p.Meeting] {
			t.Fatalf("placement %+v: unknown meeting or placed twice", p)
		}
		seen[p.Meeting] = true
		placedAt[p.Meeting] = p
		sl := in.Slots[p.Slot]
		places := sl.Tables
		if m.Online {
			places = sl.Rooms
		}
		if !slices.Contains(places, p.Place) {
			t.Fatalf("meeting %d (online %v) at %q, not a place of its kind in slot %d", m.ID, m.Online, p.Place, p.Slot)
		}
		book(p.Slot, "participant "+m.Participant, m.ID)
		book(p.Slot, fmt.Sprintf("team %d", m.Team), m.ID)
		book(p.Slot, "place "+p.Place, m.ID)
		if k, ok := kept[m.ID]; ok {
			if k != p {
				t.Fatalf("kept meeting %d moved from %+v to %+v", m.ID, k, p)
			}
			continue
		}
		if sl.Start.Before(in.OpenFrom) {
			t.Fatalf("meeting %d placed in started slot %d", m.ID, p.Slot)
		}
		for _, b := range in.TeamBusy[m.Team] {
			if sl.Overlaps(b) {
				t.Fatalf("meeting %d overlaps team %d's presentation %v", m.ID, m.Team, b)
			}
		}
		for _, b := range in.ParticipantBusy[m.Participant] {
			if sl.Overlaps(b) {
				t.Fatalf("meeting %d overlaps participant %s's busy time", m.ID, m.Participant)
			}
		}
	}
	for k := range kept {
		if !seen[k] {
			t.Fatalf("kept meeting %d is missing", k)
		}
	}
	usable := func(m Meeting, s int) bool {
		sl := in.Slots[s]
		if sl.Start.Before(in.OpenFrom) {
			return false
		}
		for _, b := range append(slices.Clone(in.TeamBusy[m.Team]), in.ParticipantBusy[m.Participant]...) {
			if sl.Overlaps(b) {
				return false
			}
		}
		return true
	}
	freePlaces := func(s int, online bool) int {
		places := in.Slots[s].Tables
		if online {
			places = in.Slots[s].Rooms
		}
		n := 0
		for _, pl := range places {
			if _, taken := booked[key{s, "place " + pl}]; !taken {
				n++
			}
		}
		return n
	}
	for _, u := range res.Unplaced {
		m, ok := meet[u.Meeting]
		if !ok || seen[u.Meeting] {
			t.Fatalf("unplaced %+v: unknown meeting or also placed", u)
		}
		seen[u.Meeting] = true
		for s := range in.Slots {
			if !usable(m, s) {
				continue
			}
			_, pBusy := booked[key{s, "participant " + m.Participant}]
			_, tBusy := booked[key{s, fmt.Sprintf("team %d", m.Team)}]
			if !pBusy && !tBusy && freePlaces(s, m.Online) > 0 {
				t.Fatalf("meeting %d (%s) is unplaced but fits slot %d as it is", m.ID, u.Reason, s)
			}
		}
	}
	if len(seen) != len(in.Meetings) {
		t.Fatalf("%d of %d meetings accounted for", len(seen), len(in.Meetings))
	}
	if ub := UpperBound(in); len(res.Placements) > ub {
		t.Fatalf("placed %d, more than the upper bound %d: the bound is wrong", len(res.Placements), ub)
	}
}

func mustSchedule(t *testing.T, in Input) Result {
	t.Helper()
	res, err := Schedule(in)
	if err != nil {
		t.Fatal(err)
	}
	check(t, in, res)
	return res
}

// TestScheduleRandomConference: the property test at conference size — 200
// participants × 27 teams × 12 slots × 20 tables (and 5 online rooms)
// with random requests, presentations and started slots, scheduled
// twice: first the requests accepted so far, then all of them keeping the
// first schedule. No participant, team, table or room is double-booked,
// nothing overlaps a team's presentation, kept meetings stay, and every
// meeting left out is blocked.
func TestScheduleRandomConference(t *testing.T) {
	seeds := 40
	if testing.Short() {
		seeds = 8
	}
	var placed, bound int
	for seed := range seeds {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(seed), 7))
			in := randomInput(r, 200, 27, 12, 20, 5, 6)
			first := in
			first.Meetings = nil
			for _, m := range in.Meetings {
				if r.IntN(10) < 6 {
					first.Meetings = append(first.Meetings, m)
				}
			}
			res := mustSchedule(t, first)
			in.Keep = res.Placements
			res = mustSchedule(t, in)
			placed += len(res.Placements)
			bound += UpperBound(in)
		})
	}
	t.Logf("placed %d meetings where at most %d fit: %.1f %%", placed, bound, 100*float64(placed)/float64(bound))
}

// TestScheduleNeverOverlapsPresentation: a team presenting during the
// whole session but one slot gets its meetings only in that slot.
func TestScheduleNeverOverlapsPresentation(t *testing.T) {
	in := Input{Slots: slots(day, 4, 20, 3, 0),
		TeamBusy: map[int64][]Interval{7: {{day, day.Add(60 * time.Minute)}}}}
	for p := range 3 {
		in.Meetings = append(in.Meetings, Meeting{ID: int64(p + 1), Participant: fmt.Sprint("p", p), Team: 7})
	}
	res := mustSchedule(t, in)
	if len(res.Placements) != 1 || res.Placements[0].Slot != 3 {
		t.Fatalf("placements %+v, want one meeting in slot 3", res.Placements)
	}
	for _, u := range res.Unplaced {
		if u.Reason != ReasonPartiesBooked {
			t.Errorf("unplaced %+v, want reason %s", u, ReasonPartiesBooked)
		}
	}
}

// TestScheduleKeepsConfirmed: a second run after new acceptances never
// moves a kept meeting, even when moving it would let more meetings in,
// and reports one a new presentation time overlaps instead of moving it.
func TestScheduleKeepsConfirmed(t *testing.T) {
	in := Input{Slots: slots(day, 2, 20, 1, 0), Meetings: []Meeting{{ID: 1, Participant: "a", Team: 1}}}
	res := mustSchedule(t, in)
	in.Keep = res.Placements
	// b can only meet team 1 in slot 0, where the kept meeting sits.
	in.Meetings = append(in.Meetings, Meeting{ID: 2, Participant: "b", Team: 1})
	in.ParticipantBusy = map[string][]Interval{"b": {in.Slots[1].Interval}}
	in.TeamBusy = map[int64][]Interval{1: {{in.Slots[0].Start, in.Slots[0].Start.Add(time.Minute)}}}
	got := mustSchedule(t, in)
	if len(got.Placements) != 1 || got.Placements[0] != res.Placements[0] {
		t.Fatalf("placements %+v, want the kept %+v only", got.Placements, res.Placements)
	}
	if len(got.Conflicts) != 1 || got.Conflicts[0] != (Conflict{Meeting: 1, Party: "team"}) {
		t.Fatalf("conflicts %+v, want meeting 1 with its team", got.Conflicts)
	}
	if len(got.Unplaced) != 1 || got.Unplaced[0].Meeting != 2 {
		t.Fatalf("unplaced %+v", got.Unplaced)
	}
	// Without the kept placement both fit: the first moves to slot 1.
	in.Keep = nil
	in.TeamBusy = nil
	if all := mustSchedule(t, in); len(all.Placements) != 2 {
		t.Fatalf("without keeping: %+v", all)
	}
}

// TestScheduleOpenFrom: started slots take no new meetings.
func TestScheduleOpenFrom(t *testing.T) {
	in := Input{Slots: slots(day, 3, 20, 2, 0), OpenFrom: day.Add(41 * time.Minute),
		Meetings: []Meeting{{ID: 1, Participant: "a", Team: 1}, {ID: 2, Participant: "a", Team: 2}}}
	res := mustSchedule(t, in)
	if len(res.Placements) != 0 || len(res.Unplaced) != 2 || res.Unplaced[0].Reason != ReasonNoCommonTime {
		t.Fatalf("got %+v, want nothing placed (no common time)", res)
	}
	in.OpenFrom = day.Add(40 * time.Minute)
	if res := mustSchedule(t, in); len(res.Placements) != 1 || res.Placements[0].Slot != 2 {
		t.Fatalf("got %+v, want one meeting in slot 2", res)
	}
}

// TestScheduleKinds: online meetings take rooms, on-site ones tables;
// full tables are reported as such.
func TestScheduleKinds(t *testing.T) {
	in := Input{Slots: slots(day, 1, 20, 1, 1), Meetings: []Meeting{
		{ID: 1, Participant: "a", Team: 1}, {ID: 2, Participant: "b", Team: 2}, {ID: 3, Participant: "c", Team: 3, Online: true},
	}}
	res := mustSchedule(t, in)
	if len(res.Placements) != 2 || len(res.Unplaced) != 1 || res.Unplaced[0] != (Unplaced{Meeting: 2, Reason: ReasonNoFreePlace}) {
		t.Fatalf("got %+v", res)
	}
	for _, p := range res.Placements {
		if want := map[int64]string{1: "T1", 3: "R1"}[p.Meeting]; p.Place != want {
			t.Errorf("meeting %d at %s, want %s", p.Meeting, p.Place, want)
		}
	}
}

// TestScheduleTeamsStayAtTheirTable: a team meeting several guests keeps
// one table.
func TestScheduleTeamsStayAtTheirTable(t *testing.T) {
	in := Input{Slots: slots(day, 4, 20, 5, 0)}
	for p := range 4 {
		for team := range 3 {
			in.Meetings = append(in.Meetings, Meeting{ID: int64(p*10 + team + 1), Participant: fmt.Sprint("p", p), Team: int64(team + 1)})
		}
	}
	res := mustSchedule(t, in)
	tables := map[int64]map[string]bool{}
	team := map[int64]int64{}
	for _, m := range in.Meetings {
		team[m.ID] = m.Team
	}
	for _, p := range res.Placements {
		if tables[team[p.Meeting]] == nil {
			tables[team[p.Meeting]] = map[string]bool{}
		}
		tables[team[p.Meeting]][p.Place] = true
	}
	for tm, ts := range tables {
		if len(ts) != 1 {
			t.Errorf("team %d used tables %v", tm, ts)
		}
	}
	if len(res.Placements) != 12 {
		t.Fatalf("placed %d of 12", len(res.Placements))
	}
}

// TestScheduleRepairMovesOne: when the one table of slot 0 holds a
// meeting that could as well be in slot 1, the repair moves it there to
// make room for a meeting that fits slot 0 only — by its participant, by
// its team, or by the last place.
func TestScheduleRepairMovesOne(t *testing.T) {
	for name, second := range map[string]Meeting{
		"SameParticipant": {ID: 2, Participant: "a", Team: 2},
		"SameTeam":        {ID: 2, Participant: "b", Team: 1},
		"LastTable":       {ID: 2, Participant: "b", Team: 2},
	} {
		t.Run(name, func(t *testing.T) {
			in := Input{Slots: slots(day, 2, 20, 1, 0), Meetings: []Meeting{{ID: 1, Participant: "a", Team: 1}, second}}
			in.TeamBusy = map[int64][]Interval{2: {in.Slots[1].Interval}}
			if second.Team == 1 {
				in.ParticipantBusy = map[string][]Interval{"b": {in.Slots[1].Interval}}
			}
			s, err := newState(in)
			if err != nil {
				t.Fatal(err)
			}
			pending := s.rankPending()
			s.put(s.byID[1], 0, 0) // what a worse matching could have done
			s.repair(pending)
			res := s.result(nil)
			check(t, in, res)
			want := []Placement{{Meeting: 2, Slot: 0, Place: "T1"}, {Meeting: 1, Slot: 1, Place: "T1"}}
			if !slices.Equal(res.Placements, want) {
				t.Fatalf("placements %+v, want %+v", res.Placements, want)
			}
		})
	}
}

// TestScheduleDeterministic: equal inputs give equal schedules.
func TestScheduleDeterministic(t *testing.T) {
	in := randomInput(rand.New(rand.NewPCG(1, 2)), 60, 10, 6, 4, 2, 4)
	a, b := mustSchedule(t, in), mustSchedule(t, in)
	if !slices.Equal(a.Placements, b.Placements) || !slices.Equal(a.Unplaced, b.Unplaced) {
		t.Fatal("two runs differ")
	}
}

// TestScheduleRefusesBadInput: contract violations are errors.
func TestScheduleRefusesBadInput(t *testing.T) {
	base := func() Input {
		return Input{Slots: slots(day, 2, 20, 1, 1), Meetings: []Meeting{{ID: 1, Participant: "a", Team: 1}, {ID: 2, Participant: "b", Team: 1}}}
	}
	for name, mutate := range map[string]func(*Input){
		"DuplicateID":     func(in *Input) { in.Meetings[1].ID = 1 },
		"OverlappingSlot": func(in *Input) { in.Slots[1].Start = in.Slots[0].Start.Add(time.Minute) },
		"EmptySlot":       func(in *Input) { in.Slots[0].End = in.Slots[0].Start },
		"KeepUnknown":     func(in *Input) { in.Keep = []Placement{{Meeting: 9, Slot: 0, Place: "T1"}} },
		"KeepBadSlot":     func(in *Input) { in.Keep = []Placement{{Meeting: 1, Slot: 5, Place: "T1"}} },
		"KeepWrongKind":   func(in *Input) { in.Keep = []Placement{{Meeting: 1, Slot: 0, Place: "R1"}} },
		"KeepTwice": func(in *Input) {
			in.Keep = []Placement{{Meeting: 1, Slot: 0, Place: "T1"}, {Meeting: 1, Slot: 1, Place: "T1"}}
		},
		"KeepDoubleBooks": func(in *Input) {
			in.Keep = []Placement{{Meeting: 1, Slot: 0, Place: "T1"}, {Meeting: 2, Slot: 0, Place: "T1"}}
		},
	} {
		t.Run(name, func(t *testing.T) {
			in := base()
			mutate(&in)
			if _, err := Schedule(in); err == nil {
				t.Fatal("no error")
			}
			if UpperBound(in) != -1 {
				t.Fatal("UpperBound accepted it")
			}
		})
	}
}

// TestScheduleBounds compares Schedule with the optimum, found by trying
// every schedule of small random instances: at least half of it when all
// meetings are of one kind, at least a quarter always, never more than
// UpperBound.
func TestScheduleBounds(t *testing.T) {
	for seed := range 300 {
		r := rand.New(rand.NewPCG(uint64(seed), 99))
		in := randomInput(r, 4, 3, 3, 1+r.IntN(2), r.IntN(2), 3)
		if len(in.Meetings) > 9 {
			in.Meetings = in.Meetings[:9]
		}
		res := mustSchedule(t, in)
		opt := optimum(in)
		oneKind := true
		for _, m := range in.Meetings {
			oneKind = oneKind && !m.Online
		}
		got := len(res.Placements)
		if got*4 < opt || oneKind && got*2 < opt || opt > UpperBound(in) {
			t.Fatalf("seed %d: placed %d, optimum %d, bound %d, one kind %v", seed, got, opt, UpperBound(in), oneKind)
		}
	}
}

// optimum tries every assignment of meetings to slots (or none).
func optimum(in Input) int {
	n := len(in.Meetings)
	best := 0
	choice := make([]int, n) // -1 none, else slot
	var try func(k, placed int)
	try = func(k, placed int) {
		if placed+(n-k) <= best {
			return
		}
		if k == n {
			best = max(best, placed)
			return
		}
		m := in.Meetings[k]
		for s := range in.Slots {
			if !fitsBrute(in, choice[:k], m, s) {
				continue
			}
			choice[k] = s
			try(k+1, placed+1)
		}
		choice[k] = -1
		try(k+1, placed)
	}
	try(0, 0)
	return best
}

func fitsBrute(in Input, chosen []int, m Meeting, s int) bool {
	sl := in.Slots[s]
	if sl.Start.Before(in.OpenFrom) {
		return false
	}
	for _, b := range append(slices.Clone(in.TeamBusy[m.Team]), in.ParticipantBusy[m.Participant]...) {
		if sl.Overlaps(b) {
			return false
		}
	}
	places := len(sl.Tables)
	if m.Online {
		places = len(sl.Rooms)
	}
	for k, c := range chosen {
		if c != s {
			continue
		}
		o := in.Meetings[k]
		if o.Participant == m.Participant || o.Team == m.Team {
			return false
		}
		if o.Online == m.Online {
			places--
		}
	}
	return places > 0
}

// BenchmarkSchedule is conference size: 200 participants, 27 teams,
// 12 slots, 20 tables and 5 rooms, up to 6 requests per participant
// (about 600 meetings), against a first schedule of 60 % of them.
func BenchmarkSchedule(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 7))
	in := randomInput(r, 200, 27, 12, 20, 5, 6)
	first := in
	first.Meetings = nil
	for _, m := range in.Meetings {
		if r.IntN(10) < 6 {
			first.Meetings = append(first.Meetings, m)
		}
	}
	res, err := Schedule(first)
	if err != nil {
		b.Fatal(err)
	}
	in.Keep = res.Placements
	run := func(in Input) func(b *testing.B) {
		return func(b *testing.B) {
			var res Result
			for b.Loop() {
				var err error
				if res, err = Schedule(in); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(in.Meetings)), "meetings")
			b.ReportMetric(float64(len(res.Placements)), "placed")
			b.ReportMetric(float64(UpperBound(in)), "bound")
		}
	}
	fresh := in
	fresh.Keep = nil
	b.Run("Fresh", run(fresh))
	b.Run("Rerun", run(in))
}
