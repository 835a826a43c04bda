package meetsched

// UpperBound returns a number of placed meetings no schedule of in can
// exceed (kept ones included), or -1 when in breaks Schedule's contract.
// It relaxes the problem by forgetting which slot each meeting takes: a
// participant can hold at most as many new meetings as it has usable
// slots left, a team likewise, and all of them together at most as many
// as there are free places; the largest number of meetings meeting those
// limits is a maximum flow (source → participant → team → sink).
func UpperBound(in Input) int {
	s, err := newState(in)
	if err != nil || validateKept(s) != nil {
		return -1
	}
	s.applyKept()
	nP, nT := len(s.pOK), len(s.tOK)
	g := newFlow(2 + nP + nT)
	src, sink := 0, 1+nP+nT
	capOf := func(ok []bool, at func(sl int) int32) int {
		n := 0
		for sl := range s.in.Slots {
			if s.open[sl] && ok[sl] && at(sl) == 0 {
				n++
			}
		}
		return n
	}
	for p := range nP {
		g.add(src, 1+p, capOf(s.pOK[p], func(sl int) int32 { return s.pAt[sl][p] }))
	}
	for t := range nT {
		g.add(1+nP+t, sink, capOf(s.tOK[t], func(sl int) int32 { return s.tAt[sl][t] }))
	}
	for i := range s.ms {
		if s.ms[i].slot >= 0 {
			continue
		}
		for sl := range s.in.Slots {
			if s.usable(i, sl) && s.freeAt(i, sl) {
				g.add(1+s.ms[i].p, 1+nP+s.ms[i].t, 1)
				break
			}
		}
	}
	places := 0
	for sl := range s.in.Slots {
		if !s.open[sl] {
			continue
		}
		for kind := range 2 {
			for _, u := range s.used[sl][kind] {
				if u == 0 {
					places++
				}
			}
		}
	}
	return len(in.Keep) + min(g.max(src, sink), places)
}

// flow is a small Dinic maximum-flow network.
type flow struct {
	head  []int
	to    []int
	cap   []int
	next  []int
	level []int
	iter  []int
}

func newFlow(n int) *flow {
	f := &flow{head: make([]int, n), level: make([]int, n), iter: make([]int, n)}
	for i := range f.head {
		f.head[i] = -1
	}
	return f
}

func (f *flow) add(a, b, c int) {
	f.to, f.cap, f.next = append(f.to, b), append(f.cap, c), append(f.next, f.head[a])
	f.head[a] = len(f.to) - 1
	f.to, f.cap, f.next = append(f.to, a), append(f.cap, 0), append(f.next, f.head[b])
	f.head[b] = len(f.to) - 1
}

func (f *flow) max(src, sink int) int {
	total := 0
	for f.bfs(src, sink) {
		copy(f.iter, f.head)
		for {
			pushed := f.dfs(src, sink, 1<<30)
			if pushed == 0 {
				break
			}
			total += pushed
		}
	}
	return total
}

func (f *flow) bfs(src, sink int) bool {
	for i := range f.level {
		f.level[i] = -1
	}
	f.level[src] = 0
	queue := []int{src}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for e := f.head[v]; e >= 0; e = f.next[e] {
			if f.cap[e] > 0 && f.level[f.to[e]] < 0 {
				f.level[f.to[e]] = f.level[v] + 1
				queue = append(queue, f.to[e])
			}
		}
	}
	return f.level[sink] >= 0
}

func (f *flow) dfs(v, sink, limit int) int {
	if v == sink {
		return limit
	}
	for ; f.iter[v] >= 0; f.iter[v] = f.next[f.iter[v]] {
		e := f.iter[v]
		w := f.to[e]
		if f.cap[e] <= 0 || f.level[w] != f.level[v]+1 {
			continue
		}
		if d := f.dfs(w, sink, min(limit, f.cap[e])); d > 0 {
			f.cap[e] -= d
			f.cap[e^1] += d
			return d
		}
	}
	return 0
}
