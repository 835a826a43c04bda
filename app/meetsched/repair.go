package meetsched

// repair places meetings the slot-by-slot matching left out where moving
// one other meeting makes room, and repeats while that helps: each round
// that succeeds places at least one more meeting, so it ends. Afterwards
// no unplaced meeting can be placed by adding it or by moving a single
// other meeting (the maximality of the package comment).
func (s *state) repair(pending []int) {
	for {
		improved := false
		for _, i := range pending {
			if s.ms[i].slot < 0 && s.tryPlace(i) {
				improved = true
			}
		}
		if !improved {
			return
		}
	}
}

// tryPlace places unplaced meeting i, moving at most one other meeting
// out of the way, and reports whether it did.
func (s *state) tryPlace(i int) bool {
	m := &s.ms[i]
	kind := kindOf(m.online)
	for _, sl := range s.order {
		if !s.usable(i, sl) {
			continue
		}
		bp, bt := int(s.pAt[sl][m.p])-1, int(s.tAt[sl][m.t])-1
		blocker := -1
		switch {
		case bp >= 0 && bt >= 0 && bp != bt:
			continue // two meetings in the way
		case bp >= 0:
			blocker = bp
		case bt >= 0:
			blocker = bt
		}
		if blocker < 0 {
			if pl := s.freePlace(i, sl); pl >= 0 {
				s.put(i, sl, pl)
				return true
			}
			// Every place of its kind is taken: move one of them away.
			for _, u := range s.used[sl][kind] {
				if b := int(u) - 1; b >= 0 && !s.ms[b].kept && s.move(b, sl) {
					s.put(i, sl, s.freePlace(i, sl))
					return true
				}
			}
			continue
		}
		if s.ms[blocker].kept || kindOf(s.ms[blocker].online) != kind && s.freePlace(i, sl) < 0 {
			continue
		}
		if s.move(blocker, sl) {
			s.put(i, sl, s.freePlace(i, sl))
			return true
		}
	}
	return false
}

// move puts placed meeting b into another slot where it fits and reports
// whether it could; b stays where it is otherwise.
func (s *state) move(b, from int) bool {
	for _, sl := range s.order {
		if sl == from || !s.usable(b, sl) || !s.freeAt(b, sl) {
			continue
		}
		if pl := s.freePlace(b, sl); pl >= 0 {
			s.take(b)
			s.put(b, sl, pl)
			return true
		}
	}
	return false
}
