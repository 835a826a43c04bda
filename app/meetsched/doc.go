// Package meetsched places accepted one-to-one meetings into the slots of
// meeting sessions: a pure function over plain structs, with no storage,
// no clock and no randomness, so the same input always gives the same
// schedule.
//
// # The problem
//
// A meeting joins a participant and a team and needs one slot and one
// place of its kind: a table (on site) or a room (online). In one slot a
// participant meets at most one team, a team at most one participant, a
// place holds at most one meeting. A party is never placed in a slot that
// overlaps one of its busy intervals (a team presenting its achievement),
// and new meetings go only into slots that have not started (Input.OpenFrom).
// Placements the caller keeps (meetings already confirmed to both parties)
// never move. Among all schedules obeying these rules the goal is one
// with the most meetings.
//
// The problem contains three-dimensional matching (participant × team ×
// slot), so no fast exact method is known; Schedule is approximate with a
// stated bound.
//
// # The algorithm
//
//  1. Apply the kept placements.
//  2. Order the other meetings by how few slots they could use at all
//     (fewest first, then by id), so the hardest to place choose first.
//  3. Walk the open slots in time order. In each slot compute a maximum
//     bipartite matching between participants and teams over the meetings
//     still unplaced that both parties could attend then (Kuhn's
//     augmenting paths, participants in the order of step 2), refusing an
//     augmentation that would need more tables or rooms than the slot has
//     free. Each matched meeting gets a place: a team keeps the table it
//     had before when it is free (teams stay put, guests move), otherwise
//     the first free table; online meetings take rooms in order.
//  4. Repair: for each meeting still unplaced, try every slot in which it
//     is blocked by exactly one movable meeting (of its participant, of
//     its team, or the last place of its kind) and move that meeting to
//     another slot where it fits; then place it. Repeat while this helps.
//
// # The guarantee
//
//   - Feasibility, always: no participant, team, table or room is booked
//     twice in a slot; no meeting overlaps a busy interval of either party
//     or goes into a started slot; kept placements are returned unchanged.
//     (The property tests check every rule on random instances of 200
//     participants × 27 teams × 12 slots × 20 tables.)
//   - Maximality, always: every meeting left unplaced is blocked in every
//     slot it could use (a party already meets someone then, or no place of
//     its kind is free), and no single move of another meeting unblocks
//     it. A charging argument then bounds the result: each placed meeting
//     blocks at most three meetings of an optimal schedule (one through its
//     participant, one through its team, one through its place), so at
//     least a quarter of the optimum is placed.
//   - At least half the optimum when, in every slot, only one kind of
//     place can run out (all meetings on site, all online, or enough
//     rooms): step 3 then picks, slot after slot, a set of meetings as
//     large as possible given the earlier slots — an exact oracle — and
//     choosing one matching per slot greedily is the "locally greedy"
//     maximisation of a coverage function over a partition matroid, which
//     Fisher, Nemhauser and Wolsey (1978) bound by 1/2.
//
// UpperBound computes a bound no schedule can beat (a maximum flow that
// forgets which slot each meeting takes); tests and docs/benchmarks.md
// compare Schedule's result with it.
package meetsched
