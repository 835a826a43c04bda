package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// Questions under load (--questions-rate): while the broadcasts go out,
// participants ask the item presenting on the showcase stage questions
// at a steady rate, each with their own ticket (Authorization: Ticket),
// round-robin over the event's attendees so that no one participant's
// limit is what is measured. With --questions-approve f the organizer
// approves a fraction f of the accepted questions, spread evenly; each
// approval is a durable question.approved envelope to every viewer, which
// the viewers record apart from the broadcasts (matched by question id),
// so the announcement accounting is unchanged.

// asker submits the questions and the approvals.
type asker struct {
	api     *apiClient // its own connections; token: the organizer's, for approvals
	base    *url.URL
	event   string
	runID   string
	tickets []string
	slot    func() int64 // the item to ask; 0 lets the server pick the one presenting
	approve float64
	rate    float64
	conc    int
}

// qsend is one question as the generator sent it, and its approval.
type qsend struct {
	at     time.Duration // request start, since the run's origin
	api    time.Duration // request duration
	status string        // "201" or errKey of the failure
	ok     bool
	id     int64

	approve       bool // chosen for approval (and accepted)
	approveAt     time.Duration
	approveAPI    time.Duration
	approveStatus string
	approveOK     bool
}

// questionsResult is what the question phase hands to evaluate.
type questionsResult struct {
	sends []qsend
	took  time.Duration // first request to last answer
}

// chosen reports whether question i (from 0) is among the fraction f to
// approve: every 1/f-th, evenly spread.
func chosen(i int, f float64) bool {
	if f <= 0 {
		return false
	}
	return math.Floor(float64(i+1)*f+1e-9) > math.Floor(float64(i)*f+1e-9)
}

// run submits questions at a.rate, at most a.conc at once, until stop is
// closed (forDur 0) or forDur passed, and waits for the answers.
func (a *asker) run(ctx context.Context, now func() time.Duration, stop <-chan struct{}, forDur time.Duration) questionsResult {
	interval := time.Duration(float64(time.Second) / a.rate)
	sem := make(chan struct{}, a.conc)
	var (
		mu    sync.Mutex
		sends []qsend
		wg    sync.WaitGroup
	)
	start := now()
	endAt := start + forDur
loop:
	for i := 0; ; i++ {
		due := start + time.Duration(i)*interval
		if forDur > 0 && due >= endAt {
			break
		}
		t := time.NewTimer(max(due-now(), 0))
		select {
		case <-t.C:
		case <-stop:
			t.Stop()
			if forDur == 0 {
				break loop
			}
			// A set duration runs on after the broadcasts.
			stop = nil
			if !sleepCtx(ctx, due-now()) {
				break loop
			}
		case <-ctx.Done():
			t.Stop()
			break loop
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			break loop
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			s := a.ask(ctx, now, i)
			<-sem
			mu.Lock()
			sends = append(sends, s)
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	return questionsResult{sends: sends, took: now() - start}
}

// ask submits question i and, if it is chosen, approves it.
func (a *asker) ask(ctx context.Context, now func() time.Duration, i int) qsend {
	ticket := a.tickets[i%len(a.tickets)]
	body := map[string]any{
		"text": fmt.Sprintf("loadgen %s question #%d: how does it scale?", a.runID, i+1),
		"lang": "en",
	}
	if id := a.slot(); id != 0 {
		body["slot_id"] = id
	}
	var out struct {
		ID *int64 `json:"id"`
	}
	s := qsend{at: now()}
	err := a.api.doAuth(ctx, "POST", a.base.JoinPath("api/v1/events", a.event, "questions").String(), "Ticket "+ticket, body, &out)
	s.api = now() - s.at
	if err == nil && out.ID == nil {
		err = errors.New("question answer has no id")
	}
	if err != nil {
		s.status = errKey(err)
		return s
	}
	s.ok, s.status, s.id = true, "201", *out.ID
	if !chosen(i, a.approve) {
		return s
	}
	s.approve, s.approveAt = true, now()
	err = a.api.do(ctx, "POST", a.base.JoinPath("api/v1/questions", strconv.FormatInt(s.id, 10), "approve").String(), struct{}{}, nil)
	s.approveAPI = now() - s.approveAt
	s.approveOK = err == nil
	s.approveStatus = "200"
	if err != nil {
		s.approveStatus = errKey(err)
	}
	return s
}

// loadParticipantTickets returns the tickets of path (one per line), or
// when path is empty those of the event's attendees not revoked, read
// with the organizer's token.
func loadParticipantTickets(ctx context.Context, api *apiClient, base *url.URL, event, path string) ([]string, error) {
	if path != "" {
		return readTickets(path)
	}
	var out []string
	for offset := 0; ; {
		var page struct {
			Attendees []struct {
				Ticket  string `json:"ticket"`
				Revoked bool   `json:"revoked"`
			} `json:"attendees"`
			Total int `json:"total"`
		}
		u := base.JoinPath("api/v1/events", event, "attendees")
		u.RawQuery = url.Values{"limit": {"500"}, "offset": {strconv.Itoa(offset)}}.Encode()
		if err := api.do(ctx, "GET", u.String(), nil, &page); err != nil {
			return nil, fmt.Errorf("listing attendees: %w", err)
		}
		for _, at := range page.Attendees {
			if !at.Revoked && at.Ticket != "" {
				out = append(out, at.Ticket)
			}
		}
		offset += len(page.Attendees)
		if len(page.Attendees) == 0 || offset >= page.Total {
			break
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("event %q has no attendee with a valid ticket to ask questions", event)
	}
	return out, nil
}

// QuestionsReport covers --questions-rate. Sent counts every question
// request, Accepted the 201 answers, Failed the rest; Statuses counts the
// answers by status ("201", or the error as in the other tables). Submit
// is the question request's duration. Approved counts the accepted
// approvals (ApproveAPI their request duration); Expected is Approved ×
// ready viewers, Deliveries the question.approved envelopes that arrived
// once before the wait ended, Latency the viewer's receipt − the approve
// request's start, FanoutComplete per approval its slowest viewer.
type QuestionsReport struct {
	Rate            float64        `json:"rate_per_s"`
	AchievedRate    float64        `json:"achieved_rate_per_s"`
	DurationMS      float64        `json:"duration_ms"`
	Participants    int            `json:"participants"`
	SlotID          int64          `json:"slot_id,omitempty"`
	Sent            int            `json:"sent"`
	Accepted        int            `json:"accepted"`
	Failed          int            `json:"failed"`
	Statuses        map[string]int `json:"statuses"`
	Submit          Latency        `json:"submit"`
	ApproveFraction float64        `json:"approve_fraction"`
	Approved        int            `json:"approved"`
	ApproveFailed   int            `json:"approve_failed"`
	ApproveStatuses map[string]int `json:"approve_statuses,omitempty"`
	ApproveAPI      Latency        `json:"approve_api"`
	Expected        int64          `json:"expected"`
	Deliveries      int64          `json:"deliveries"`
	Missing         int64          `json:"missing"`
	Duplicates      int64          `json:"duplicates"`
	Unmatched       int64          `json:"unmatched"`
	Latency         Latency        `json:"latency"`
	FanoutComplete  Latency        `json:"fanout_complete"`
}

// evaluateQuestions fills the questions section from the sends and the
// viewers' question.approved records.
func (r *viewersRun) evaluateQuestions(res *questionsResult) {
	q := &QuestionsReport{Rate: r.cfg.questionsRate, Participants: len(r.ask.tickets), ApproveFraction: r.cfg.questionsApprove,
		Statuses: map[string]int{}, ApproveStatuses: map[string]int{}, DurationMS: ms(res.took)}
	if r.adv == nil {
		q.SlotID = r.ask.slot()
	}
	r.rep.Questions = q
	var submit, approveAPI []time.Duration
	approvedAt := map[int64]time.Duration{} // question id → approve request start
	first, last := time.Duration(math.MaxInt64), time.Duration(0)
	for _, s := range res.sends {
		q.Sent++
		q.Statuses[s.status]++
		submit = append(submit, s.api)
		first, last = min(first, s.at), max(last, s.at)
		if !s.ok {
			q.Failed++
			continue
		}
		q.Accepted++
		if !s.approve {
			continue
		}
		q.ApproveStatuses[s.approveStatus]++
		approveAPI = append(approveAPI, s.approveAPI)
		if s.approveOK {
			q.Approved++
			approvedAt[s.id] = s.approveAt
		} else {
			q.ApproveFailed++
		}
	}
	if q.Sent > 1 && last > first {
		q.AchievedRate = float64(q.Sent-1) / (last - first).Seconds()
	}
	q.Submit, q.ApproveAPI = summarize(submit), summarize(approveAPI)
	if q.Failed > 0 {
		r.problem("%d of %d questions failed", q.Failed, q.Sent)
	}
	if q.ApproveFailed > 0 {
		r.problem("%d of %d approvals failed", q.ApproveFailed, q.ApproveFailed+q.Approved)
	}

	var all []time.Duration
	fanout := map[int64]time.Duration{}
	got := map[int64]bool{}
	ready := 0
	for _, v := range r.viewers {
		v.mu.Lock()
		if !v.ready {
			v.mu.Unlock()
			continue
		}
		ready++
		clear(got)
		for _, rc := range v.qrecs {
			at, found := approvedAt[rc.id]
			switch {
			case !found:
				q.Unmatched++
			case got[rc.id]:
				q.Duplicates++
			default:
				got[rc.id] = true
				q.Deliveries++
				lat := rc.at - at
				all = append(all, lat)
				fanout[rc.id] = max(fanout[rc.id], lat)
			}
		}
		v.mu.Unlock()
	}
	q.Expected = int64(q.Approved * ready)
	q.Missing = q.Expected - q.Deliveries
	q.Latency = summarize(all)
	var fan []time.Duration
	for _, d := range fanout {
		fan = append(fan, d)
	}
	q.FanoutComplete = summarize(fan)
	if q.Missing > 0 {
		r.problem("%d of %d approved-question deliveries missing", q.Missing, q.Expected)
	}
	if q.Duplicates > 0 {
		r.problem("%d approved questions delivered twice", q.Duplicates)
	}
}

// prepareQuestions reads the participants' tickets and sets the item to
// ask: in advance mode the one presenting after each advance, in announce
// mode the one presenting on the showcase the run made live before (for
// the whole run). Run it before the viewers connect.
func (r *viewersRun) prepareQuestions(ctx context.Context) error {
	c := r.cfg
	a := &asker{
		api:   &apiClient{hc: newHTTPClient(c.questionsConc, 30*time.Second), token: c.token},
		base:  c.urls[0],
		event: c.event, runID: r.ann.runID,
		approve: c.questionsApprove, rate: c.questionsRate, conc: c.questionsConc,
	}
	var err error
	if a.tickets, err = loadParticipantTickets(ctx, r.api, c.urls[0], c.event, c.ticketsPath); err != nil {
		return err
	}
	if r.adv != nil {
		a.slot = r.adv.slot.Load // follows the advances
	} else {
		slot := r.showcaseSlot
		a.slot = func() int64 { return slot }
	}
	r.ask = a
	return nil
}
