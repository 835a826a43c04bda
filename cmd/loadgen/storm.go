package main

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// reconnectStorm drops every ready viewer's connection at once (no close
// frame), posts --storm-missed announcements while they are away, then
// reconnects them all with since = the last seq each received and the
// epoch of its snapshot. A viewer is ready again when it has a snapshot,
// or every envelope up to the log's last seq (at once, if it missed
// nothing). Afterwards each must have had exactly its missed envelopes, in
// order, or a snapshot; envelopes the log gained after the target (the
// server writes some by itself) may follow, in order.
func (r *viewersRun) reconnectStorm(ctx context.Context) *StormReport {
	sr := &StormReport{Errors: map[string]int{}}
	var vs []*viewer
	var maxLast int64
	for _, v := range r.viewers {
		v.mu.Lock()
		if v.ready {
			v.since = v.last
			maxLast = max(maxLast, v.last)
			vs = append(vs, v)
		}
		v.mu.Unlock()
	}
	sr.Viewers = len(vs)
	r.logf("reconnect storm: dropping %d connections", len(vs))
	for _, v := range r.viewers {
		v.close(time.Time{})
	}
	r.wg.Wait()

	for i := range r.cfg.stormMissed {
		if _, err := r.ann.post(ctx, "missed", i); err != nil {
			sr.Errors["posting a missed announcement: "+errKey(err)]++
			continue
		}
		sr.MissedBroadcasts++
	}
	target, err := r.lastSeq(ctx, maxLast)
	if err != nil {
		target, sr.TargetEstimated = maxLast+int64(sr.MissedBroadcasts), true
		r.logf("reconnect storm: reading the log's last seq: %v; assuming %d", err, target)
	}
	sr.TargetSeq = target
	for _, v := range vs {
		v.mu.Lock()
		v.target, v.stormNext, v.stormSnapshot, v.stormGot, v.stormWrong, v.lateSnapshots =
			target, v.since+1, false, 0, 0, 0
		v.startTracking(v.since)
		v.mu.Unlock()
	}

	r.logf("reconnect storm: reconnecting %d viewers at once (log at seq %d)", len(vs), target)
	self0, cpu0 := r.cpu()
	took := r.connect(ctx, vs, phaseStorm, r.cfg.stormTimeout, 0, r.cfg.stormConc)
	self1, cpu1 := r.cpu()
	sr.GeneratorCPUSeconds = seconds(self1 - self0)
	sleepCtx(ctx, 300*time.Millisecond) // let anything extra arrive and be counted
	if len(r.server) > 0 {
		c := seconds(sumDelta(cpu0, cpu1))
		sr.ServerCPUSeconds = &c
	}

	var times []time.Duration
	for _, v := range vs {
		v.mu.Lock()
		switch {
		case !v.ready:
			sr.Failed++
			sr.Errors[errKey(v.failErr)]++
		case v.stormSnapshot && v.lateSnapshots == 0:
			sr.Snapshots++
		case v.stormWrong == 0 && v.lateSnapshots == 0 && v.stormNext > v.target:
			if v.target == v.since {
				sr.UpToDate++
			} else {
				sr.Recovered++
				sr.RecoveredEnvelopes += v.stormGot
			}
		default:
			sr.Wrong++
		}
		if v.ready {
			sr.Ready++
			times = append(times, v.readyAt-v.dialStart)
		}
		v.mu.Unlock()
	}
	sr.AllReadyMS = ms(took)
	sr.Time = summarize(times)
	r.logf("reconnect storm: %d ready in %.2fs (%d recovered, %d up to date, %d snapshots, %d wrong, %d failed)",
		sr.Ready, took.Seconds(), sr.Recovered, sr.UpToDate, sr.Snapshots, sr.Wrong, sr.Failed)
	if sr.Failed > 0 {
		r.problem("reconnect storm: %d of %d viewers not ready again", sr.Failed, sr.Viewers)
	}
	if sr.Wrong > 0 {
		r.problem("reconnect storm: %d viewers got something other than exactly their missed envelopes or a snapshot", sr.Wrong)
	}
	if sr.MissedBroadcasts < r.cfg.stormMissed {
		r.problem("reconnect storm: %d of %d missed announcements could not be posted", r.cfg.stormMissed-sr.MissedBroadcasts, r.cfg.stormMissed)
	}
	return sr
}

// lastSeq asks the event's log for its last seq.
func (r *viewersRun) lastSeq(ctx context.Context, since int64) (int64, error) {
	var page struct {
		LastSeq *int64 `json:"last_seq"`
	}
	u := r.cfg.urls[0].JoinPath("api/v1/events", r.cfg.event, "log")
	u.RawQuery = "since=" + strconv.FormatInt(since, 10) + "&limit=1"
	if err := r.api.do(ctx, "GET", u.String(), nil, &page); err != nil {
		return 0, err
	}
	if page.LastSeq == nil || *page.LastSeq < since {
		return 0, fmt.Errorf("log answer has no usable last_seq")
	}
	return *page.LastSeq, nil
}

// sumDelta adds up after−before over processes that could be read both
// times.
func sumDelta(before, after []time.Duration) time.Duration {
	var d time.Duration
	for i := range before {
		if before[i] >= 0 && after[i] >= 0 {
			d += after[i] - before[i]
		}
	}
	return d
}
