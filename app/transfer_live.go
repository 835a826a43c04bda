package app

import (
	"context"
	"slices"
	"sync"
	"time"
)

// What viewers see of technology transfer, and how the private pages
// learn of changes.
//
// Viewers see interest counts per achievement (volatile "interest") and
// the votes of visible questions (volatile "question.votes"); questions
// themselves are durable envelopes (transfer_questions.go). Every change
// also rings a volatile "transfer" bell that carries no data: the team and
// participant pages, which listen on the same live connection, then read
// their own lists again through the API with their credential. Private
// data thus never travels to viewers, and a bell rung on one node reaches
// pages on every node through the broker. Changes are coalesced: at most
// one round of messages per event every TransferEvery.

// TransferEvery is the least time between two rounds of technology
// transfer messages for one event.
const TransferEvery = time.Second

// maxLiveQuestions bounds the questions a snapshot carries, and
// maxVoteCounts those whose votes a question.votes message carries.
const (
	maxLiveQuestions = 10
	maxVoteCounts    = 200
	transferWait     = 5 * time.Second
)

// What changed, for transferChanged.
const (
	bellInterest = 1 << iota // interest counts (and teams' lists)
	bellVotes                // vote counts
	bellPrivate              // requests, meetings, questions: private pages only
)

// InterestCounts is the data of a volatile "interest" message: interests
// by achievement id.
type InterestCounts struct {
	Counts map[int64]int64 `json:"counts"`
}

// VoteCounts is the data of a volatile "question.votes" message: votes by
// question id, for the newest visible questions.
type VoteCounts struct {
	Votes map[int64]int64 `json:"votes"`
}

// TransferBell is the data of a volatile "transfer" message: something
// private changed at At; participant and team pages read their lists
// again.
type TransferBell struct {
	At time.Time `json:"at"`
}

// LiveTransfer is the technology-transfer part of a snapshot: interest
// counts by achievement id, the visible questions of the items presenting
// now (most votes first, at most 10, to keep snapshots small) and the
// event's switches.
type LiveTransfer struct {
	Interest  map[int64]int64  `json:"interest"`
	Questions []Question       `json:"questions"`
	Settings  TransferSettings `json:"settings"`
}

// transferDesk is the Service's technology-transfer state: the coalescer
// of live messages and what changed per event since its last round. The
// zero value is ready; the coalescer starts on first use.
type transferDesk struct {
	once    sync.Once
	bell    *coalescer
	mu      sync.Mutex
	changed map[string]int // slug → bell kinds
}

func (s *Service) transferCoalescer() *coalescer {
	s.xfer.once.Do(func() {
		s.xfer.changed = map[string]int{}
		s.xfer.bell = newCoalescer(TransferEvery, s.publishTransfer)
	})
	return s.xfer.bell
}

// transferChanged schedules a round of messages for the event.
func (s *Service) transferChanged(slug string, kinds int) {
	c := s.transferCoalescer()
	s.xfer.mu.Lock()
	s.xfer.changed[slug] |= kinds
	s.xfer.mu.Unlock()
	c.Notify(slug)
}

// publishTransfer sends the event's round: the counts that changed, then
// the bell.
func (s *Service) publishTransfer(ctx context.Context, slug string) {
	s.xfer.mu.Lock()
	kinds := s.xfer.changed[slug]
	delete(s.xfer.changed, slug)
	s.xfer.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, transferWait)
	defer cancel()
	eventID, err := s.eventID(ctx, slug)
	if err != nil {
		s.log.Warn("transfer: resolving event", "event", slug, "err", err)
		return
	}
	if kinds&bellInterest != 0 {
		counts, err := s.store.InterestCounts(ctx, eventID)
		if err != nil {
			s.log.Warn("transfer: counting interest", "event", slug, "err", err)
		} else {
			s.pub.PublishVolatile(ctx, slug, TypeInterest, InterestCounts{Counts: counts})
		}
	}
	if kinds&bellVotes != 0 {
		qs, err := s.store.ListQuestions(ctx, QuestionFilter{EventID: eventID, States: visibleQuestions, Limit: maxVoteCounts})
		if err != nil {
			s.log.Warn("transfer: counting votes", "event", slug, "err", err)
		} else {
			votes := make(map[int64]int64, len(qs))
			for _, q := range qs {
				votes[q.ID] = q.Votes
			}
			s.pub.PublishVolatile(ctx, slug, TypeQuestionVotes, VoteCounts{Votes: votes})
		}
	}
	s.pub.PublishVolatile(ctx, slug, TypeTransfer, TransferBell{At: s.Now()})
}

// stopTransfer stops the technology-transfer messages (see StopAttendance).
func (s *Service) stopTransfer() {
	s.transferCoalescer().Stop()
}

// visibleQuestions are the states viewers see.
var visibleQuestions = []string{QuestionApproved, QuestionAnswered}

// liveTransfer reads the snapshot's technology-transfer part through r
// (the snapshot's read transaction).
func liveTransfer(ctx context.Context, r Repo, eventID int64, ag *Agenda) (LiveTransfer, error) {
	var lt LiveTransfer
	var err error
	if lt.Interest, err = r.InterestCounts(ctx, eventID); err != nil {
		return lt, err
	}
	if lt.Settings, err = r.TransferSettings(ctx, eventID); err != nil {
		return lt, err
	}
	lt.Questions = []Question{}
	var onStage []int64
	for _, slots := range ag.Slots {
		for _, sl := range slots {
			if sl.State == SlotPresenting {
				onStage = append(onStage, sl.ID)
			}
		}
	}
	if len(onStage) == 0 {
		return lt, nil
	}
	qs, err := r.ListQuestions(ctx, QuestionFilter{EventID: eventID, SlotIDs: onStage, States: visibleQuestions})
	if err != nil {
		return lt, err
	}
	sortByVotes(qs)
	if len(qs) > maxLiveQuestions {
		qs = qs[:maxLiveQuestions]
	}
	lt.Questions = qs
	return lt, nil
}

// sortByVotes orders questions most votes first, then oldest first.
func sortByVotes(qs []Question) {
	slices.SortStableFunc(qs, func(a, b Question) int {
		if a.Votes != b.Votes {
			return int(b.Votes - a.Votes)
		}
		return int(a.ID - b.ID)
	})
}
