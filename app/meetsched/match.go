package meetsched

import "slices"

// matchSlot fills slot sl with a maximum set of the pending meetings that
// could be held then (both parties free, neither busy), as a bipartite
// matching between participants and teams found with Kuhn's augmenting
// paths. Participants are tried in the order of their most constrained
// meeting, and each one's meetings in rank order, so the meetings with the
// fewest other chances are matched first. An augmenting path that would
// need more tables or rooms than the slot has free is refused (the
// matching then stays maximum when only one kind of place can run out).
func (s *state) matchSlot(sl int, pending []int) {
	var limit [2]int
	for kind := range limit {
		for _, u := range s.used[sl][kind] {
			if u == 0 {
				limit[kind]++
			}
		}
	}
	if limit[0]+limit[1] == 0 {
		return
	}
	adj := make([][]int, len(s.pOK))
	var parts []int
	for _, i := range pending {
		m := &s.ms[i]
		if m.slot >= 0 || limit[kindOf(m.online)] == 0 || !s.usable(i, sl) || !s.freeAt(i, sl) {
			continue
		}
		if len(adj[m.p]) == 0 {
			parts = append(parts, m.p)
		}
		adj[m.p] = append(adj[m.p], i)
	}
	if len(parts) == 0 {
		return
	}
	matchT := make([]int, len(s.tOK))
	for t := range matchT {
		matchT[t] = -1
	}
	seen := make([]int, len(s.tOK))
	stamp := 0
	var count [2]int
	var path []int // the new meetings of the path being tried

	// fits reports whether switching to path keeps within the free
	// places: every meeting of path comes in, and each team of path but
	// the last gives up its current meeting.
	fits := func() bool {
		var delta [2]int
		for k, i := range path {
			delta[kindOf(s.ms[i].online)]++
			if k < len(path)-1 {
				delta[kindOf(s.ms[matchT[s.ms[i].t]].online)]--
			}
		}
		return count[0]+delta[0] <= limit[0] && count[1]+delta[1] <= limit[1]
	}
	var augment func(p int) bool
	augment = func(p int) bool {
		for _, i := range adj[p] {
			t := s.ms[i].t
			if seen[t] == stamp {
				continue
			}
			seen[t] = stamp
			path = append(path, i)
			if cur := matchT[t]; cur < 0 {
				if fits() {
					for k, j := range path {
						if k < len(path)-1 {
							count[kindOf(s.ms[matchT[s.ms[j].t]].online)]--
						}
						count[kindOf(s.ms[j].online)]++
					}
					for _, j := range path {
						matchT[s.ms[j].t] = j
					}
					return true
				}
			} else if augment(s.ms[cur].p) {
				return true
			}
			path = path[:len(path)-1]
		}
		return false
	}
	for _, p := range parts {
		stamp++
		path = path[:0]
		augment(p)
	}

	var matched []int
	for _, i := range matchT {
		if i >= 0 {
			matched = append(matched, i)
		}
	}
	slices.SortFunc(matched, func(a, b int) int { return s.ms[a].rank - s.ms[b].rank })
	// Teams first take back the place they had, then the rest fill in.
	var rest []int
	for _, i := range matched {
		m := &s.ms[i]
		kind := kindOf(m.online)
		if h, ok := s.home[[2]int{m.t, kind}]; ok && h < len(s.used[sl][kind]) && s.used[sl][kind][h] == 0 {
			s.put(i, sl, h)
		} else {
			rest = append(rest, i)
		}
	}
	for _, i := range rest {
		s.put(i, sl, slices.Index(s.used[sl][kindOf(s.ms[i].online)], 0))
	}
}
