package main

import (
	"context"
	"errors"
	"slices"
	"time"
)

// send is one broadcast as the generator sent it.
type send struct {
	at  time.Duration // when the request started, since the run's origin
	api time.Duration // how long the request took
	ok  bool
	id  int64 // announcement id (announce mode)
}

// broadcastResult is what the broadcast phase hands to evaluate.
type broadcastResult struct {
	sends    []send
	errors   map[string]int
	took     time.Duration // first request to last answer
	waited   time.Duration // last answer to the end of the wait for deliveries
	complete bool          // every ready viewer had every broadcast when the wait ended

	questions *questionsResult // --questions-rate

	frames, volatile int64 // messages the viewers received from the first request to the end of the wait
}

// frameCounts sums the messages every viewer has received so far.
func (r *viewersRun) frameCounts() (frames, volatile int64) {
	for _, v := range r.viewers {
		frames += v.frames.Load()
		volatile += v.volatile.Load()
	}
	return frames, volatile
}

// broadcast sends the broadcasts at --rate, then waits until every ready
// viewer has all of them, --wait passed, or ctx ended.
func (r *viewersRun) broadcast(ctx context.Context) (res broadcastResult) {
	c := r.cfg
	k := c.broadcasts
	if r.adv != nil && k > r.adv.remaining {
		r.problem("advance mode: only %d advances left in showcase session %d, sending %d instead of %d",
			r.adv.remaining, r.adv.sessionID, r.adv.remaining, k)
		k = r.adv.remaining
	}
	res = broadcastResult{errors: map[string]int{}}
	if k == 0 && r.ask == nil {
		res.complete = true
		return res
	}
	frames0, volatile0 := r.frameCounts()
	defer func() {
		f, v := r.frameCounts()
		res.frames, res.volatile = f-frames0, v-volatile0
	}()
	var stopQuestions chan struct{}
	var questionsDone chan questionsResult
	if r.ask != nil {
		stopQuestions, questionsDone = make(chan struct{}), make(chan questionsResult, 1)
		r.logf("asking %g questions/s from %d participants, approving %g of them", c.questionsRate, len(r.ask.tickets), c.questionsApprove)
		go func() { questionsDone <- r.ask.run(ctx, r.now, stopQuestions, c.questionsFor) }()
	}
	r.logf("sending %d %s broadcasts at %g/s", k, c.kind, c.rate)
	var interval time.Duration
	if c.rate > 0 {
		interval = time.Duration(float64(time.Second) / c.rate)
	}
	start := r.now()
	for i := range k {
		if !sleepCtx(ctx, start+time.Duration(i)*interval-r.now()) {
			break
		}
		s := send{at: r.now()}
		var err error
		if r.adv != nil {
			err = r.adv.advance(ctx)
		} else {
			s.id, err = r.ann.post(ctx, "broadcast", i)
		}
		s.api, s.ok = r.now()-s.at, err == nil
		res.sends = append(res.sends, s)
		if err != nil {
			res.errors[errKey(err)]++
			if errors.Is(err, errShowcaseDone) || ctx.Err() != nil {
				break
			}
		}
	}
	res.took = r.now() - start
	var approved int64
	if r.ask != nil {
		close(stopQuestions)
		q := <-questionsDone
		res.questions = &q
		var accepted int
		for _, s := range q.sends {
			if s.ok {
				accepted++
			}
			if s.approveOK {
				approved++
			}
		}
		r.logf("asked %d questions (%d accepted), %d approved", len(q.sends), accepted, approved)
	}
	end := r.now()
	ok := 0
	for _, s := range res.sends {
		if s.ok {
			ok++
		}
	}
	ready := int64(r.rep.Connect.Ready)
	expected := int64(ok)*ready + approved*ready
	r.logf("sent %d (%d failed); waiting up to %s for %d deliveries", len(res.sends), len(res.sends)-ok, c.wait, expected)
	wctx, cancel := context.WithTimeout(ctx, c.wait)
	defer cancel()
	for {
		var got int64
		for _, v := range r.viewers {
			got += v.delivered.Load() + v.qdelivered.Load()
		}
		if got >= expected {
			res.complete = true
			break
		}
		if !sleepCtx(wctx, 20*time.Millisecond) {
			break
		}
	}
	res.waited = r.now() - end
	return res
}

// evaluate matches every recorded delivery to its broadcast and fills the
// broadcast, per-node and problem sections of the report.
//
// Announcements are matched by data.id. Advances are matched by order:
// the j-th distinct showcase.updated seq after the viewers' snapshots,
// over all viewers, belongs to the j-th successful advance.
func (r *viewersRun) evaluate(res broadcastResult) {
	br := &r.rep.Broadcast
	br.Errors = res.errors
	br.DurationMS = ms(res.took)
	br.WaitMS = ms(res.waited)
	br.FramesReceived, br.VolatileFrames = res.frames, res.volatile
	var ok []int // broadcast index of each successful send, in order
	var apiTimes []time.Duration
	for i, s := range res.sends {
		apiTimes = append(apiTimes, s.api)
		if s.ok {
			ok = append(ok, i)
		}
	}
	br.Sent, br.Failed = len(ok), len(res.sends)-len(ok)
	br.API = summarize(apiTimes)
	if n := len(res.sends); n > 1 {
		if span := res.sends[n-1].at - res.sends[0].at; span > 0 {
			br.AchievedRate = float64(n-1) / span.Seconds()
		}
	}
	if br.Failed > 0 {
		r.problem("%d of %d broadcasts failed", br.Failed, len(res.sends))
	}

	// Map each delivery key (announcement id or showcase seq) to the
	// broadcast index.
	byID := map[int64]int{}
	var bySeq map[int64]int
	if r.adv == nil {
		for _, i := range ok {
			byID[res.sends[i].id] = i
		}
	} else {
		bySeq = r.matchAdvances(ok)
	}

	nodes := make([]nodeAcc, len(r.cfg.urls))
	var all []time.Duration
	fanout := make([]time.Duration, len(res.sends))
	got := make([]bool, len(res.sends))
	for _, v := range r.viewers {
		v.mu.Lock()
		n := &nodes[v.node]
		if !v.ready {
			n.failed++
			v.mu.Unlock()
			continue
		}
		n.ready++
		clear(got)
		matched := 0
		for _, rc := range v.recs {
			var i int
			var found bool
			if bySeq != nil {
				i, found = bySeq[rc.seq]
			} else {
				i, found = byID[rc.id]
			}
			switch {
			case !found:
				br.Unmatched++
			case got[i]:
				n.dups++
			default:
				got[i] = true
				matched++
				lat := rc.at - res.sends[i].at
				all = append(all, lat)
				n.lat = append(n.lat, lat)
				fanout[i] = max(fanout[i], lat)
			}
		}
		n.deliveries += int64(matched)
		n.missing += int64(len(ok) - matched)
		n.dups += v.dups
		br.OutOfOrder += v.ooo
		br.SeqGaps += v.gaps
		br.LateSnapshots += v.lateSnapshots
		if v.readErr != nil {
			br.Dropped++
		}
		v.mu.Unlock()
	}
	var fan []time.Duration
	for _, i := range ok {
		fan = append(fan, fanout[i])
	}
	br.FanoutComplete = summarize(fan)
	br.Expected = int64(len(ok) * r.rep.Connect.Ready)
	for i := range nodes {
		n := &nodes[i]
		br.Deliveries += n.deliveries
		br.Missing += n.missing
		br.Duplicates += n.dups
		if len(nodes) > 1 {
			r.rep.Nodes = append(r.rep.Nodes, NodeReport{URL: r.rep.URLs[i], Ready: n.ready, Failed: n.failed,
				Deliveries: n.deliveries, Missing: n.missing, Duplicates: n.dups, Latency: summarize(n.lat)})
		}
	}
	br.Latency = summarize(all)
	switch {
	case br.Missing > 0:
		r.problem("%d of %d deliveries missing", br.Missing, br.Expected)
	case !res.complete:
		r.problem("the wait for deliveries ended before every viewer had every broadcast")
	}
	if br.Duplicates > 0 || br.OutOfOrder > 0 || br.SeqGaps > 0 {
		r.problem("%d duplicates, %d out of order, %d seq gaps", br.Duplicates, br.OutOfOrder, br.SeqGaps)
	}
	if br.Dropped > 0 {
		r.problem("%d viewers lost their connection during the broadcasts", br.Dropped)
	}
}

// nodeAcc accumulates one node's figures.
type nodeAcc struct {
	ready, failed             int
	deliveries, missing, dups int64
	lat                       []time.Duration
}

// matchAdvances maps showcase.updated seqs to broadcast indexes: the
// distinct seqs above the newest snapshot, in order, to the successful
// advances, in order.
func (r *viewersRun) matchAdvances(ok []int) map[int64]int {
	var baseline int64
	seen := map[int64]bool{}
	for _, v := range r.viewers {
		v.mu.Lock()
		if v.ready {
			baseline = max(baseline, v.snapSeq)
			for _, rc := range v.recs {
				seen[rc.seq] = true
			}
		}
		v.mu.Unlock()
	}
	var seqs []int64
	for s := range seen {
		if s > baseline {
			seqs = append(seqs, s)
		}
	}
	slices.Sort(seqs)
	if len(seqs) > len(ok) {
		r.problem("%d showcase.updated envelopes for %d advances: someone else changed the showcase, matching by order may be off", len(seqs), len(ok))
	}
	if len(seqs) < len(ok) {
		r.problem("only %d of %d advances reached any viewer: later ones may be matched to the wrong advance", len(seqs), len(ok))
	}
	bySeq := make(map[int64]int, len(seqs))
	for j, s := range seqs {
		if j < len(ok) {
			bySeq[s] = ok[j]
		}
	}
	return bySeq
}
