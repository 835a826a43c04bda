package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hybridcon/hybridcon/app/meetsched"
)

// Running the scheduler over an event's accepted meeting requests, and
// marking meetings held (the table's host scans the participant's ticket).

// PresentationMargin is kept free before and after a team's presentation:
// the team's members go to the stage and come back.
const PresentationMargin = 10 * time.Minute

// MeetingScanWindow is how long before its start and after its end a
// meeting may be marked held by a scan.
const MeetingScanWindow = 30 * time.Minute

// ScheduleInput is what an organizer sends to run the scheduler.
// Reschedule lets it move meetings confirmed by earlier runs (those not
// held and not started); by default they stay where they are.
type ScheduleInput struct {
	Reschedule bool `json:"reschedule"`
}

// UnplacedMeeting is an accepted request the scheduler could not place,
// with meetsched's reason (no_common_time, parties_booked,
// no_free_place).
type UnplacedMeeting struct {
	RequestID     int64  `json:"request_id"`
	AchievementID int64  `json:"achievement_id"`
	Reason        string `json:"reason"`
}

// MeetingConflict is a confirmed meeting that now overlaps its team's
// presentation (the run-of-show moved): it stays, for an organizer to
// decide (Reschedule moves it).
type MeetingConflict struct {
	MeetingID int64  `json:"meeting_id"`
	RequestID int64  `json:"request_id"`
	Party     string `json:"party"`
}

// ScheduleResult says what a run did: meetings placed now (new ones and,
// with Reschedule, moved ones), kept unchanged, scheduled in all, the
// accepted requests left out and why, the conflicts, and the most
// meetings any schedule could hold (meetsched.UpperBound).
type ScheduleResult struct {
	Placed     int               `json:"placed"`
	Moved      int               `json:"moved"`
	Kept       int               `json:"kept"`
	Scheduled  int               `json:"scheduled"`
	UpperBound int               `json:"upper_bound"`
	Unplaced   []UnplacedMeeting `json:"unplaced"`
	Conflicts  []MeetingConflict `json:"conflicts"`
}

// slotRef names a meeting slot: a session and a slot index in it.
type slotRef struct {
	session *MeetingSession
	index   int
}

// ScheduleMeetings places the event's accepted meeting requests into its
// meeting sessions (organizers): every new acceptance gets a slot where
// neither party has another meeting and the team is not presenting (its
// run-of-show items at their expected times, PresentationMargin around
// them), on a free table or room of its kind. Meetings confirmed
// by earlier runs stay unless in.Reschedule (held and started ones stay
// always). An event without meeting sessions is EConflict. One run at a
// time per event (the event's lock).
func (s *Service) ScheduleMeetings(ctx context.Context, p Principal, slug string, in ScheduleInput) (*ScheduleResult, error) {
	eventID, err := s.organizerEvent(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	var res *ScheduleResult
	err = s.store.Tx(ctx, func(r Repo) error {
		if err := r.LockEvent(ctx, eventID); err != nil {
			return err
		}
		var err error
		res, err = s.schedule(ctx, r, eventID, in, now)
		if err != nil {
			return err
		}
		return r.AddAudit(ctx, &AuditEntry{EventID: &eventID, Actor: p.Name, Action: "meetings.schedule", ObjectType: "event",
			ObjectID: slug, After: mustJSON(map[string]any{"placed": res.Placed, "moved": res.Moved, "kept": res.Kept,
				"unplaced": len(res.Unplaced), "reschedule": in.Reschedule}), At: now})
	})
	if err != nil {
		return nil, err
	}
	s.transferChanged(slug, bellPrivate)
	return res, nil
}

// schedule is ScheduleMeetings inside its transaction.
func (s *Service) schedule(ctx context.Context, r Repo, eventID int64, in ScheduleInput, now time.Time) (*ScheduleResult, error) {
	sessions, err := r.ListMeetingSessions(ctx, eventID)
	if err != nil {
		return nil, err
	}
	if len(sessions) == 0 {
		return nil, Errorf(EConflict, "the event has no meeting session yet: define one first")
	}
	reqs, err := r.ListMeetingRequests(ctx, TransferFilter{EventID: eventID})
	if err != nil {
		return nil, err
	}
	existing, err := r.ListMeetings(ctx, TransferFilter{EventID: eventID})
	if err != nil {
		return nil, err
	}
	ag, err := loadAgenda(ctx, r, eventID, now)
	if err != nil {
		return nil, err
	}

	var slots []slotRef
	si := map[[2]int64]int{} // (session id, index) → meetsched slot
	input := meetsched.Input{OpenFrom: now, TeamBusy: presentations(ag)}
	for i := range sessions {
		ms := &sessions[i]
		tables := make([]string, ms.Tables)
		for k := range tables {
			tables[k] = tableName(k + 1)
		}
		rooms := make([]string, len(ms.Rooms))
		for k, rm := range ms.Rooms {
			rooms[k] = rm.Name
		}
		for k := range ms.SlotCount() {
			start, end := ms.SlotTimes(k)
			si[[2]int64{ms.ID, int64(k)}] = len(slots)
			slots = append(slots, slotRef{session: ms, index: k})
			input.Slots = append(input.Slots, meetsched.Slot{Interval: meetsched.Interval{Start: start, End: end}, Tables: tables, Rooms: rooms})
		}
	}
	request := map[int64]*MeetingRequest{}
	for i := range reqs {
		if reqs[i].State == RequestAccepted {
			request[reqs[i].ID] = &reqs[i]
			input.Meetings = append(input.Meetings, meetsched.Meeting{ID: reqs[i].ID, Participant: reqs[i].AttendeeID,
				Team: reqs[i].AchievementID, Online: reqs[i].Mode == MeetingOnline})
		}
	}
	byRequest := map[int64]*Meeting{}
	for i := range existing {
		m := &existing[i]
		byRequest[m.RequestID] = m
		if in.Reschedule && m.State == MeetingScheduled && !m.StartsAt.Before(now) {
			continue // free to move
		}
		input.Keep = append(input.Keep, meetsched.Placement{Meeting: m.RequestID, Slot: si[[2]int64{m.SessionID, int64(m.Slot)}], Place: placeOf(m)})
	}
	out, err := meetsched.Schedule(input)
	if err != nil {
		return nil, fmt.Errorf("transfer: scheduling event %d: %w", eventID, err)
	}
	res := &ScheduleResult{UpperBound: meetsched.UpperBound(input), Kept: len(input.Keep), Unplaced: []UnplacedMeeting{}, Conflicts: []MeetingConflict{}}
	var drop []int64
	var add []Meeting
	for _, pl := range out.Placements {
		ref := slots[pl.Slot]
		old := byRequest[pl.Meeting]
		if old != nil && old.SessionID == ref.session.ID && old.Slot == ref.index && placeOf(old) == pl.Place {
			continue
		}
		if old != nil {
			drop = append(drop, old.ID)
			res.Moved++
		}
		res.Placed++
		rq := request[pl.Meeting]
		m := Meeting{EventID: eventID, RequestID: rq.ID, SessionID: ref.session.ID, Slot: ref.index, AttendeeID: rq.AttendeeID,
			AchievementID: rq.AchievementID, Mode: rq.Mode, State: MeetingScheduled, CreatedAt: now}
		m.StartsAt, m.EndsAt = ref.session.SlotTimes(ref.index)
		setPlace(&m, ref.session, pl.Place)
		add = append(add, m)
	}
	res.Scheduled = len(out.Placements)
	for _, u := range out.Unplaced {
		res.Unplaced = append(res.Unplaced, UnplacedMeeting{RequestID: u.Meeting, AchievementID: request[u.Meeting].AchievementID, Reason: u.Reason})
	}
	for _, c := range out.Conflicts {
		res.Conflicts = append(res.Conflicts, MeetingConflict{MeetingID: byRequest[c.Meeting].ID, RequestID: c.Meeting, Party: c.Party})
	}
	if len(drop)+len(add) > 0 {
		if err := r.ReplaceMeetings(ctx, drop, add); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// presentations returns, per achievement id, when its team presents: each
// of its run-of-show items from its expected start to its expected end
// (the actual times once it was on stage), widened by PresentationMargin.
// Expected times already carry every overrun, delay and early start; a
// presentation that moves onto a confirmed meeting later is reported as a
// conflict by the next run.
func presentations(ag *Agenda) map[int64][]meetsched.Interval {
	out := map[int64][]meetsched.Interval{}
	for _, slots := range ag.Slots {
		for _, sl := range slots {
			if sl.AchievementID == 0 || sl.State == SlotSkipped {
				continue
			}
			out[sl.AchievementID] = append(out[sl.AchievementID],
				meetsched.Interval{Start: sl.ExpectedStart.Add(-PresentationMargin), End: sl.ExpectedEnd.Add(PresentationMargin)})
		}
	}
	return out
}

// tableName is the scheduler's name of table n ("T3").
func tableName(n int) string { return "T" + itoa(int64(n)) }

// placeOf is the scheduler's name of a meeting's place.
func placeOf(m *Meeting) string {
	if m.Mode == MeetingOnline {
		return m.Room
	}
	return tableName(m.Table)
}

// setPlace sets m's table, or its room and video link, from the
// scheduler's place name.
func setPlace(m *Meeting, ms *MeetingSession, place string) {
	if m.Mode != MeetingOnline {
		n := 0
		fmt.Sscanf(strings.TrimPrefix(place, "T"), "%d", &n)
		m.Table = n
		return
	}
	m.Room = place
	for _, rm := range ms.Rooms {
		if rm.Name == place {
			m.Link = rm.Link
		}
	}
}

// MeetingScanInput is a scan at a meeting table: the participant's ticket
// and, for door staff hosting a table, its number (0: any of the
// participant's meetings now).
type MeetingScanInput struct {
	Ticket string `json:"ticket"`
	Table  int    `json:"table"`
}

// MeetingScanAnswer answers a meeting scan. Result is "held" (the meeting
// is now held), "already_held" or "rejected" with a Reason
// (invalid_ticket, wrong_event, revoked — as at the door — or no_meeting:
// the participant has no meeting here now).
type MeetingScanAnswer struct {
	Result   string        `json:"result"`
	Reason   string        `json:"reason,omitempty"`
	Attendee *ScanAttendee `json:"attendee,omitempty"`
	Meeting  *Meeting      `json:"meeting,omitempty"`
}

// Meeting scan results.
const (
	ScanHeld        = "held"
	ScanAlreadyHeld = "already_held"
	ReasonNoMeeting = "no_meeting"
)

// ScanMeeting marks held the meeting of the ticket's participant that is
// due now (MeetingScanWindow around it): with the calling team, or at the
// given table for door staff (checkers of the event, organizers). A
// ticket that is not genuine or has no meeting here now is a "rejected"
// answer and writes nothing. The door's check-in is not touched.
func (s *Service) ScanMeeting(ctx context.Context, p Principal, slug string, in MeetingScanInput) (*MeetingScanAnswer, error) {
	tm := team(p)
	var eventID int64
	var err error
	if tm != nil {
		eventID, err = s.transferEvent(ctx, p, slug)
	} else {
		eventID, err = s.checkInEvent(ctx, p, slug)
	}
	if err != nil {
		return nil, err
	}
	ticket := strings.TrimSpace(in.Ticket)
	switch {
	case ticket == "" || len(ticket) > 4*MaxTicketLen:
		return nil, Errorf(EInvalid, "ticket is required: the text read from the QR code")
	case in.Table < 0 || in.Table > MaxMeetingTables:
		return nil, Errorf(EInvalid, "table must be 0–%d", MaxMeetingTables)
	}
	reject := func(reason string, a *Attendee) (*MeetingScanAnswer, error) {
		ans := &MeetingScanAnswer{Result: ResultRejected, Reason: reason}
		if a != nil {
			ans.Attendee = scanAttendee(a)
		}
		return ans, nil
	}
	t, err := ParseTicket(ticket)
	if err != nil {
		return reject(ReasonInvalidTicket, nil)
	}
	if t.Event != slug {
		return reject(ReasonWrongEvent, nil)
	}
	key, err := s.eventKey(ctx, eventID)
	if err != nil {
		return nil, err
	}
	if !VerifyTicket(key, t) {
		return reject(ReasonInvalidTicket, nil)
	}
	a, err := s.store.AttendeeByID(ctx, t.Attendee)
	if ErrorCode(err) == ENotFound || err == nil && a.EventID != eventID {
		return reject(ReasonInvalidTicket, nil)
	}
	if err != nil {
		return nil, err
	}
	if a.Revoked {
		return reject(ReasonRevoked, a)
	}
	list, err := s.store.ListMeetings(ctx, TransferFilter{EventID: eventID, AttendeeID: a.ID})
	if err != nil {
		return nil, err
	}
	now := s.Now()
	var due *Meeting
	for i := range list {
		m := &list[i]
		switch {
		case tm != nil && m.AchievementID != tm.AchievementID,
			in.Table != 0 && (m.Mode != MeetingOnsite || m.Table != in.Table),
			now.Before(m.StartsAt.Add(-MeetingScanWindow)) || now.After(m.EndsAt.Add(MeetingScanWindow)):
			continue
		}
		if due == nil || absDuration(m.StartsAt.Sub(now)) < absDuration(due.StartsAt.Sub(now)) {
			due = m
		}
	}
	if due == nil {
		return reject(ReasonNoMeeting, a)
	}
	held, err := s.store.MarkMeetingHeld(ctx, due.ID, now)
	if err != nil {
		return nil, err
	}
	ans := &MeetingScanAnswer{Result: ScanAlreadyHeld, Attendee: scanAttendee(a), Meeting: due}
	if held {
		ans.Result = ScanHeld
		due.State, due.HeldAt = MeetingHeld, &now
		s.transferChanged(slug, bellPrivate)
	}
	return ans, nil
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// MarkMeetingHeld marks a meeting held without a scan (an online meeting,
// or a table without a scanner): its team or an organizer. A meeting held
// already is EInvalidTransition.
func (s *Service) MarkMeetingHeld(ctx context.Context, p Principal, id int64) (*Meeting, error) {
	if p.Anonymous() {
		return nil, Errorf(EUnauthorized, "the team's link or an organizer's login is required")
	}
	m, err := s.store.MeetingByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := requireTeamOf(p, m.AchievementID); err != nil {
		return nil, err
	}
	now := s.Now()
	held, err := s.store.MarkMeetingHeld(ctx, id, now)
	if err != nil {
		return nil, err
	}
	if !held {
		return nil, Errorf(EInvalidTransition, "meeting %d is held already", id)
	}
	m.State, m.HeldAt = MeetingHeld, &now
	if ev, err := s.store.EventByID(ctx, m.EventID); err == nil {
		s.transferChanged(ev.Slug, bellPrivate)
	}
	return m, nil
}
