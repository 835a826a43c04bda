package app

import (
	"context"
	"slices"
	"strings"
)

// Questions to the item on stage. A participant (or, when the organizers
// allow it, an anonymous viewer) asks the run-of-show item presenting now;
// the question waits, unseen by viewers, until an organizer approves it.
// Approved and answered questions are durable live envelopes; a question
// hidden after it was shown is taken back with question.hidden and its
// text is redacted from the live log, so a hidden question is in no
// snapshot, no log page and no resumed stream read from the log. Votes:
// one per participant, one per anonymous voter id when allowed; counts
// travel as the volatile question.votes.

// Limits of questions and votes.
const (
	MaxQuestionRunes = 300
	minVoterLen      = 8
	maxVoterLen      = 64
)

// TypeTransferSettings is the durable envelope sent when organizers
// change the event's TransferSettings (data: the settings).
const TypeTransferSettings = "transfer.settings"

// QuestionInput is a question. SlotID names the item on stage; 0 means
// the one item presenting now (an error when several stages present).
// Lang (zh, en, hu or empty) says what language it is written in. Voter
// is an anonymous viewer's voter id (see VoteInput), ignored for
// participants.
type QuestionInput struct {
	SlotID int64  `json:"slot_id"`
	Text   string `json:"text"`
	Lang   string `json:"lang"`
	Voter  string `json:"voter"`
}

// VoteInput is a vote. Voter is required from anonymous viewers when the
// event allows their votes: 8–64 characters of A–Z a–z 0–9 _ -, chosen at
// random by the page once per connection; each voter id counts once per
// question. Participants vote with their ticket and send none.
type VoteInput struct {
	Voter string `json:"voter"`
}

// VoteAnswer is the question's vote count after a vote, and whether this
// vote counted (false: the voter had voted on it already).
type VoteAnswer struct {
	QuestionID int64 `json:"question_id"`
	Votes      int64 `json:"votes"`
	Counted    bool  `json:"counted"`
}

// QuestionRef is what a question.hidden envelope (and a redacted log
// entry) carries of a question: no text.
type QuestionRef struct {
	ID        int64  `json:"id"`
	SessionID int64  `json:"session_id"`
	SlotID    int64  `json:"slot_id"`
	State     string `json:"state"`
}

// QuestionView is a question in a list: Mine marks the calling
// participant's own; Asker is shown to organizers only (name and
// organization; nothing for anonymous questions).
type QuestionView struct {
	Question
	Mine  bool     `json:"mine"`
	Asker *Contact `json:"asker,omitempty"`
}

// Moderation actions.
const (
	QuestionActionApprove = "approve"
	QuestionActionHide    = "hide"
	QuestionActionAnswer  = "answer"
)

// questionMoves lists, per action, the states it applies to and the state
// it leads to.
var questionMoves = map[string]struct {
	from []string
	to   string
}{
	QuestionActionApprove: {[]string{QuestionPending, QuestionHidden}, QuestionApproved},
	QuestionActionHide:    {[]string{QuestionPending, QuestionApproved, QuestionAnswered}, QuestionHidden},
	QuestionActionAnswer:  {[]string{QuestionPending, QuestionApproved}, QuestionAnswered},
}

// validVoter reports whether v has the shape of a voter id.
func validVoter(v string) bool {
	if len(v) < minVoterLen || len(v) > maxVoterLen {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// AskQuestion records a question to the item on stage: from a participant,
// or from an anonymous viewer when the event allows it (otherwise
// EUnauthorized). Teams and staff do not ask (EForbidden). An item not on
// stage is EConflict, an unknown one ENotFound.
func (s *Service) AskQuestion(ctx context.Context, p Principal, slug string, in QuestionInput) (*Question, error) {
	eventID, err := s.transferEvent(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	q := &Question{EventID: eventID, State: QuestionPending}
	switch {
	case p.Party != nil && p.Party.Attendee != nil:
		q.AttendeeID = p.Party.Attendee.ID
	case p.Anonymous():
		set, err := s.store.TransferSettings(ctx, eventID)
		if err != nil {
			return nil, err
		}
		if !set.AnonymousQuestions {
			return nil, Errorf(EUnauthorized, "this event takes questions from participants only (Authorization: Ticket <ticket>)")
		}
		if in.Voter != "" && !validVoter(in.Voter) {
			return nil, Errorf(EInvalid, "voter must be %d–%d characters of A–Z a–z 0–9 _ -", minVoterLen, maxVoterLen)
		}
		q.Voter = in.Voter
	default:
		return nil, Errorf(EForbidden, "questions come from participants and viewers")
	}
	q.Text, q.Lang = strings.TrimSpace(in.Text), strings.TrimSpace(in.Lang)
	if err := checkText("text", q.Text, true, MaxQuestionRunes, true); err != nil {
		return nil, err
	}
	if q.Lang != "" && !slices.Contains(Languages, q.Lang) {
		return nil, Errorf(EInvalid, "lang must be zh, en or hu (or left out)")
	}
	sl, err := s.onStage(ctx, eventID, in.SlotID)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	q.SessionID, q.SlotID, q.AchievementID, q.CreatedAt, q.UpdatedAt = sl.SessionID, sl.ID, sl.AchievementID, now, now
	if err := s.store.CreateQuestion(ctx, q); err != nil {
		return nil, err
	}
	s.transferChanged(slug, bellPrivate)
	return q, nil
}

// onStage returns the run-of-show item slotID of the event if it is
// presenting, or the one item presenting when slotID is 0.
func (s *Service) onStage(ctx context.Context, eventID, slotID int64) (*Slot, error) {
	slots, err := s.store.ListEventSlots(ctx, eventID)
	if err != nil {
		return nil, err
	}
	var presenting []*Slot
	for i := range slots {
		sl := &slots[i]
		if slotID != 0 && sl.ID == slotID {
			if sl.State != SlotPresenting {
				return nil, &Error{Code: EConflict, Message: "run-of-show item " + itoa(slotID) + " is not on stage (" + sl.State + ")",
					Details: map[string]string{"state": sl.State}}
			}
			return sl, nil
		}
		if sl.State == SlotPresenting {
			presenting = append(presenting, sl)
		}
	}
	switch {
	case slotID != 0:
		return nil, Errorf(ENotFound, "run-of-show item %d not found in this event", slotID)
	case len(presenting) == 0:
		return nil, Errorf(EConflict, "nothing is on stage now")
	case len(presenting) > 1:
		return nil, Errorf(EInvalid, "several items are on stage: name one with slot_id")
	}
	return presenting[0], nil
}

// Questions lists the event's questions of one item (slotID) or of all,
// most votes first: approved and answered ones for everyone, the caller's
// own too for a participant, every state with the asker for organizers.
func (s *Service) Questions(ctx context.Context, p Principal, slug string, slotID int64) ([]QuestionView, error) {
	eventID, err := s.eventID(ctx, slug) // public: a ticket of another event is just a viewer here
	if err != nil {
		return nil, err
	}
	f := QuestionFilter{EventID: eventID}
	if slotID != 0 {
		f.SlotIDs = []int64{slotID}
	}
	if !p.CanOrganize() {
		f.States = visibleQuestions
	}
	list, err := s.store.ListQuestions(ctx, f)
	if err != nil {
		return nil, err
	}
	var me string
	if p.Party != nil && p.Party.Attendee != nil && p.Party.EventID == eventID {
		me = p.Party.Attendee.ID
		own, err := s.store.ListQuestions(ctx, QuestionFilter{EventID: eventID, SlotIDs: f.SlotIDs, AttendeeID: me})
		if err != nil {
			return nil, err
		}
		for _, q := range own {
			if !slices.Contains(visibleQuestions, q.State) {
				list = append(list, q)
			}
		}
	}
	sortByVotes(list)
	out := make([]QuestionView, len(list))
	for i := range list {
		out[i] = QuestionView{Question: list[i], Mine: me != "" && list[i].AttendeeID == me}
		if p.CanOrganize() {
			out[i].Asker = contactOf(list[i].Who, ContactIdentity)
		}
	}
	return out, nil
}

// Vote counts a vote on a visible question: once per participant, once
// per anonymous voter id when the event allows anonymous votes. A voter's
// second vote is not an error: it answers Counted false and changes
// nothing. Pending and hidden questions are ENotFound to voters; answered
// ones take no votes (EInvalidTransition).
func (s *Service) Vote(ctx context.Context, p Principal, questionID int64, in VoteInput) (*VoteAnswer, error) {
	q, err := s.store.QuestionByID(ctx, questionID)
	if err != nil {
		return nil, err
	}
	ev, err := s.store.EventByID(ctx, q.EventID)
	if err != nil {
		return nil, err
	}
	if _, err := s.transferEvent(ctx, p, ev.Slug); err != nil {
		return nil, err
	}
	var voter, attendeeID string
	switch {
	case p.Party != nil && p.Party.Attendee != nil:
		attendeeID = p.Party.Attendee.ID
		voter = "a:" + attendeeID
	case p.Anonymous():
		set, err := s.store.TransferSettings(ctx, q.EventID)
		if err != nil {
			return nil, err
		}
		if !set.AnonymousVotes {
			return nil, Errorf(EUnauthorized, "this event takes votes from participants only (Authorization: Ticket <ticket>)")
		}
		if !validVoter(in.Voter) {
			return nil, Errorf(EInvalid, "voter must be %d–%d characters of A–Z a–z 0–9 _ -", minVoterLen, maxVoterLen)
		}
		voter = "v:" + in.Voter
	default:
		return nil, Errorf(EForbidden, "votes come from participants and viewers")
	}
	switch q.State {
	case QuestionApproved:
	case QuestionAnswered:
		return nil, Errorf(EInvalidTransition, "question %d is answered: it takes no more votes", questionID)
	default:
		return nil, Errorf(ENotFound, "question %d not found", questionID)
	}
	added, votes, err := s.store.AddVote(ctx, questionID, voter, attendeeID, s.Now())
	if err != nil {
		return nil, err
	}
	if added {
		s.transferChanged(ev.Slug, bellVotes)
	}
	return &VoteAnswer{QuestionID: questionID, Votes: votes, Counted: added}, nil
}

// ModerateQuestion approves, hides or marks answered a question
// (organizers); see questionMoves for the legal moves, anything else is
// EInvalidTransition. Approving and answering send the question to
// viewers; hiding a question they saw takes it back (question.hidden)
// and redacts its text from the live log in the same transaction.
func (s *Service) ModerateQuestion(ctx context.Context, p Principal, id int64, action string) (*Question, error) {
	if err := p.RequireOrganizer(); err != nil {
		return nil, err
	}
	move, ok := questionMoves[action]
	if !ok {
		return nil, Errorf(EBadRequest, "unknown action %q", action)
	}
	cur, err := s.store.QuestionByID(ctx, id)
	if err != nil {
		return nil, err
	}
	eventID := cur.EventID
	var q *Question
	var envs []Envelope
	err = s.store.Tx(ctx, func(r Repo) error {
		if err := r.LockEvent(ctx, eventID); err != nil {
			return err
		}
		var err error
		if q, err = r.QuestionForUpdate(ctx, id); err != nil {
			return err
		}
		if !slices.Contains(move.from, q.State) {
			return &Error{Code: EInvalidTransition, Message: "cannot " + action + " a question that is " + q.State,
				Details: map[string]string{"state": q.State}}
		}
		before := q.State
		now := s.Now()
		q.State, q.UpdatedAt = move.to, now
		switch move.to {
		case QuestionHidden:
			if len(q.LogSeqs) > 0 {
				env, err := takeBack(ctx, r, q)
				if err != nil {
					return err
				}
				envs = append(envs, env)
				q.LogSeqs = nil
			}
		default:
			typ := TypeQuestionApproved
			if move.to == QuestionAnswered {
				typ, q.AnsweredAt = TypeQuestionAnswered, &now
			}
			env, err := r.AppendLive(ctx, eventID, typ, q)
			if err != nil {
				return err
			}
			envs = append(envs, env)
			q.LogSeqs = append(q.LogSeqs, env.Seq)
		}
		if err := r.UpdateQuestion(ctx, q); err != nil {
			return err
		}
		return r.AddAudit(ctx, &AuditEntry{EventID: &eventID, Actor: p.Name, Action: "question." + action, ObjectType: "question",
			ObjectID: itoa(id), Before: mustJSON(before), After: mustJSON(q.State), At: now})
	})
	if err != nil {
		return nil, err
	}
	s.pub.Publish(ctx, envs...)
	if len(envs) > 0 {
		s.transferChanged(envs[0].Event, bellPrivate) // the envelope carries the question with its votes
	}
	return q, nil
}

// takeBack withdraws a question viewers saw, inside the transaction of r:
// it redacts the question's text from the live-log entries that carried
// it and appends question.hidden, whose envelope it returns for
// publishing after the commit.
func takeBack(ctx context.Context, r Repo, q *Question) (Envelope, error) {
	ref := QuestionRef{ID: q.ID, SessionID: q.SessionID, SlotID: q.SlotID, State: QuestionHidden}
	if err := r.RedactLive(ctx, q.EventID, q.LogSeqs, ref); err != nil {
		return Envelope{}, err
	}
	return r.AppendLive(ctx, q.EventID, TypeQuestionHidden, ref)
}

// TransferSettings returns the event's switches for anonymous viewers
// (public).
func (s *Service) TransferSettings(ctx context.Context, slug string) (*TransferSettings, error) {
	eventID, err := s.eventID(ctx, slug)
	if err != nil {
		return nil, err
	}
	set, err := s.store.TransferSettings(ctx, eventID)
	return &set, err
}

// SetTransferSettings changes the event's switches (organizers) and tells
// viewers with a transfer.settings envelope.
func (s *Service) SetTransferSettings(ctx context.Context, p Principal, slug string, in TransferSettings) (*TransferSettings, error) {
	eventID, err := s.organizerEvent(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	var env Envelope
	err = s.store.Tx(ctx, func(r Repo) error {
		if err := r.LockEvent(ctx, eventID); err != nil {
			return err
		}
		before, err := r.TransferSettings(ctx, eventID)
		if err != nil {
			return err
		}
		if err := r.SaveTransferSettings(ctx, eventID, in); err != nil {
			return err
		}
		if env, err = r.AppendLive(ctx, eventID, TypeTransferSettings, in); err != nil {
			return err
		}
		return r.AddAudit(ctx, &AuditEntry{EventID: &eventID, Actor: p.Name, Action: "transfer.settings", ObjectType: "event",
			ObjectID: slug, Before: mustJSON(before), After: mustJSON(in), At: s.Now()})
	})
	if err != nil {
		return nil, err
	}
	s.pub.Publish(ctx, env)
	return &in, nil
}
