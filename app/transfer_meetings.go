package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Meeting requests and meeting sessions: a participant asks a team for a
// meeting on site or online; the team (or an organizer) accepts or
// declines it with one click; organizers define the sessions the
// scheduler (transfer_schedule.go) fills.

// Limits of a meeting session.
const (
	MinSlotMinutes        = 5
	MaxSlotMinutes        = 240
	MaxMeetingTables      = 500
	MaxMeetingRooms       = 200
	MaxSessionSlots       = 200
	MaxMeetingSessionSpan = 24 * time.Hour
	maxRoomNameRunes      = 100
	maxLinkLen            = 2000
)

// MeetingRequestInput is what a participant sends to ask for a meeting.
type MeetingRequestInput struct {
	AchievementID int64  `json:"achievement_id"`
	Mode          string `json:"mode"`
	Note          string `json:"note"`
}

// MeetingRequestView is a request as a list shows it: for a team or an
// organizer with the participant's contact (name and organization; the
// e-mail once accepted), and the meeting once scheduled.
type MeetingRequestView struct {
	MeetingRequest
	Contact *Contact `json:"contact,omitempty"`
	Meeting *Meeting `json:"meeting,omitempty"`
}

// RequestMeeting records the calling participant's request for a meeting
// with an achievement's team. A second open request to the same team is
// EConflict; an unknown achievement ENotFound.
func (s *Service) RequestMeeting(ctx context.Context, p Principal, slug string, in MeetingRequestInput) (*MeetingRequest, error) {
	a, eventID, err := s.participantEvent(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	in.Mode, in.Note = strings.TrimSpace(in.Mode), strings.TrimSpace(in.Note)
	if in.Mode != MeetingOnsite && in.Mode != MeetingOnline {
		return nil, Errorf(EInvalid, "mode must be %s or %s", MeetingOnsite, MeetingOnline)
	}
	if err := checkText("note", in.Note, false, MaxNoteRunes, true); err != nil {
		return nil, err
	}
	if _, err := s.eventAchievement(ctx, eventID, in.AchievementID); err != nil {
		return nil, err
	}
	now := s.Now()
	r := &MeetingRequest{EventID: eventID, AttendeeID: a.ID, AchievementID: in.AchievementID, Mode: in.Mode, Note: in.Note,
		State: RequestRequested, CreatedAt: now, UpdatedAt: now}
	if err := s.store.CreateMeetingRequest(ctx, r); err != nil {
		if ErrorCode(err) == EConflict {
			return nil, Errorf(EConflict, "you have already asked this team for a meeting")
		}
		return nil, err
	}
	s.transferChanged(slug, bellPrivate)
	return r, nil
}

// DecideMeetingRequest accepts (accept true) or declines a requested
// meeting: the achievement's team or an organizer. A request decided
// before is EInvalidTransition.
func (s *Service) DecideMeetingRequest(ctx context.Context, p Principal, id int64, accept bool) (*MeetingRequestView, error) {
	if p.Anonymous() {
		return nil, Errorf(EUnauthorized, "the team's link or an organizer's login is required")
	}
	state, action := RequestDeclined, "meeting_request.decline"
	if accept {
		state, action = RequestAccepted, "meeting_request.accept"
	}
	var r *MeetingRequest
	var slug string
	err := s.store.Tx(ctx, func(tx Repo) error {
		var err error
		if r, err = tx.MeetingRequestForUpdate(ctx, id); err != nil {
			return err
		}
		if err := requireTeamOf(p, r.AchievementID); err != nil {
			return err
		}
		if r.State != RequestRequested {
			return &Error{Code: EInvalidTransition, Message: "meeting request " + itoa(id) + " is " + r.State + " already",
				Details: map[string]string{"state": r.State}}
		}
		before := *r
		now := s.Now()
		r.State, r.DecidedAt, r.UpdatedAt = state, &now, now
		if err := tx.UpdateMeetingRequest(ctx, r); err != nil {
			return err
		}
		ev, err := tx.EventByID(ctx, r.EventID)
		if err != nil {
			return err
		}
		slug = ev.Slug
		return tx.AddAudit(ctx, &AuditEntry{EventID: &r.EventID, Actor: p.Name, Action: action, ObjectType: "meeting_request",
			ObjectID: itoa(id), Before: mustJSON(before.State), After: mustJSON(r.State), At: now})
	})
	if err != nil {
		return nil, err
	}
	s.transferChanged(slug, bellPrivate)
	return &MeetingRequestView{MeetingRequest: *r, Contact: requestContact(r)}, nil
}

// requestContact is what the team sees of a request's participant: who
// they are, and their e-mail once the request is accepted.
func requestContact(r *MeetingRequest) *Contact {
	level := ContactIdentity
	if r.State == RequestAccepted {
		level = ContactFull
	}
	return contactOf(r.Who, level)
}

// scope narrows f to what the caller may list: a participant their own,
// a team its achievement's.
func scope(p Principal, f TransferFilter) TransferFilter {
	switch {
	case p.Party != nil && p.Party.Attendee != nil:
		f.AttendeeID = p.Party.Attendee.ID
	case p.Party != nil:
		f.AchievementID = p.Party.Team.AchievementID
	}
	return f
}

// MeetingRequests lists the event's meeting requests as the caller may see
// them: a participant their own, a team its achievement's, an organizer
// all; each with its meeting once scheduled.
func (s *Service) MeetingRequests(ctx context.Context, p Principal, slug string) ([]MeetingRequestView, error) {
	eventID, err := s.partyEvent(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	f := scope(p, TransferFilter{EventID: eventID})
	reqs, err := s.store.ListMeetingRequests(ctx, f)
	if err != nil {
		return nil, err
	}
	meetings, err := s.store.ListMeetings(ctx, f)
	if err != nil {
		return nil, err
	}
	byRequest := map[int64]*Meeting{}
	for i := range meetings {
		byRequest[meetings[i].RequestID] = &meetings[i]
	}
	out := make([]MeetingRequestView, len(reqs))
	for i := range reqs {
		out[i] = MeetingRequestView{MeetingRequest: reqs[i], Meeting: byRequest[reqs[i].ID]}
		if f.AttendeeID == "" {
			out[i].Contact = requestContact(&reqs[i])
		}
	}
	return out, nil
}

// MeetingSessionInput defines a meeting session. Title is optional.
type MeetingSessionInput struct {
	Title       Text          `json:"title"`
	StartsAt    time.Time     `json:"starts_at"`
	EndsAt      time.Time     `json:"ends_at"`
	SlotMinutes int           `json:"slot_minutes"`
	Tables      int           `json:"tables"`
	Rooms       []MeetingRoom `json:"rooms"`
}

func (in *MeetingSessionInput) validate() error {
	in.Title = Text{ZH: strings.TrimSpace(in.Title.ZH), EN: strings.TrimSpace(in.Title.EN), HU: strings.TrimSpace(in.Title.HU)}
	for lang, t := range map[string]string{"zh": in.Title.ZH, "en": in.Title.EN, "hu": in.Title.HU} {
		if err := checkText("title."+lang, t, false, 200, false); err != nil {
			return err
		}
	}
	span := in.EndsAt.Sub(in.StartsAt)
	switch {
	case in.StartsAt.IsZero() || in.EndsAt.IsZero():
		return Errorf(EInvalid, "starts_at and ends_at are required")
	case span <= 0 || span > MaxMeetingSessionSpan:
		return Errorf(EInvalid, "a meeting session ends after it starts and lasts at most %v", MaxMeetingSessionSpan)
	case in.SlotMinutes < MinSlotMinutes || in.SlotMinutes > MaxSlotMinutes:
		return Errorf(EInvalid, "slot_minutes must be %d–%d", MinSlotMinutes, MaxSlotMinutes)
	case in.Tables < 0 || in.Tables > MaxMeetingTables:
		return Errorf(EInvalid, "tables must be 0–%d", MaxMeetingTables)
	case len(in.Rooms) > MaxMeetingRooms:
		return Errorf(EInvalid, "at most %d rooms", MaxMeetingRooms)
	case in.Tables == 0 && len(in.Rooms) == 0:
		return Errorf(EInvalid, "a meeting session needs tables, rooms or both")
	}
	n := int(span / (time.Duration(in.SlotMinutes) * time.Minute))
	if n < 1 || n > MaxSessionSlots {
		return Errorf(EInvalid, "a meeting session holds 1–%d slots; this one %d", MaxSessionSlots, n)
	}
	names := map[string]bool{}
	for i := range in.Rooms {
		rm := &in.Rooms[i]
		rm.Name, rm.Link = strings.TrimSpace(rm.Name), strings.TrimSpace(rm.Link)
		if err := checkText("rooms.name", rm.Name, true, maxRoomNameRunes, false); err != nil {
			return err
		}
		if names[rm.Name] {
			return Errorf(EInvalid, "room %q is listed twice", rm.Name)
		}
		names[rm.Name] = true
		u, err := url.Parse(rm.Link)
		if err != nil || len(rm.Link) > maxLinkLen || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return Errorf(EInvalid, "room %q: link must be an http(s) URL of at most %d bytes", rm.Name, maxLinkLen)
		}
	}
	if in.Rooms == nil {
		in.Rooms = []MeetingRoom{}
	}
	in.StartsAt, in.EndsAt = in.StartsAt.UTC(), in.EndsAt.UTC()
	return nil
}

// CreateMeetingSession defines a meeting session of the event
// (organizers). A session overlapping another one of the event is
// EConflict: a slot is a time when each party meets one other.
func (s *Service) CreateMeetingSession(ctx context.Context, p Principal, slug string, in MeetingSessionInput) (*MeetingSession, error) {
	eventID, err := s.organizerEvent(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	now := s.Now()
	m := &MeetingSession{EventID: eventID, Title: in.Title, StartsAt: in.StartsAt, EndsAt: in.EndsAt, SlotMinutes: in.SlotMinutes,
		Tables: in.Tables, Rooms: in.Rooms, CreatedAt: now}
	// Whole slots only: the session ends with its last slot.
	_, m.EndsAt = m.SlotTimes(m.SlotCount() - 1)
	err = s.store.Tx(ctx, func(r Repo) error {
		if err := r.LockEvent(ctx, eventID); err != nil {
			return err
		}
		others, err := r.ListMeetingSessions(ctx, eventID)
		if err != nil {
			return err
		}
		for _, o := range others {
			if o.StartsAt.Before(m.EndsAt) && m.StartsAt.Before(o.EndsAt) {
				return &Error{Code: EConflict, Message: "overlaps meeting session " + itoa(o.ID), Details: map[string]int64{"session_id": o.ID}}
			}
		}
		if err := r.CreateMeetingSession(ctx, m); err != nil {
			return err
		}
		return r.AddAudit(ctx, &AuditEntry{EventID: &eventID, Actor: p.Name, Action: "meeting_session.create",
			ObjectType: "meeting_session", ObjectID: itoa(m.ID), After: mustJSON(m), At: now})
	})
	if err != nil {
		return nil, err
	}
	s.transferChanged(slug, bellPrivate)
	return m, nil
}

// MeetingSessionChange is what UpdateMeetingSession and
// DeleteMeetingSession did: the session (nil after a delete) and the
// meetings taken out of it, which return to the scheduler.
type MeetingSessionChange struct {
	Session     *MeetingSession `json:"session,omitempty"`
	Unscheduled []int64         `json:"unscheduled"`
}

// UpdateMeetingSession changes a meeting session (organizers). A
// scheduled meeting keeps its time and place: a change that would move
// one (a new start or slot length, fewer slots, tables or rooms) is
// EConflict naming the meetings, unless unschedule is set, when those
// meetings are removed and their requests wait for the next scheduler
// run. A held or already started meeting is never removed. A room's new
// video link reaches the meetings in it.
func (s *Service) UpdateMeetingSession(ctx context.Context, p Principal, id int64, in MeetingSessionInput, unschedule bool) (*MeetingSessionChange, error) {
	if err := p.RequireOrganizer(); err != nil {
		return nil, err
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	return s.changeMeetingSession(ctx, p, id, &in, unschedule)
}

// DeleteMeetingSession deletes a meeting session (organizers). One with
// scheduled meetings is EConflict unless unschedule is set, when they
// are removed and their requests wait for the next scheduler run; one
// with a held or started meeting cannot be deleted.
func (s *Service) DeleteMeetingSession(ctx context.Context, p Principal, id int64, unschedule bool) (*MeetingSessionChange, error) {
	if err := p.RequireOrganizer(); err != nil {
		return nil, err
	}
	return s.changeMeetingSession(ctx, p, id, nil, unschedule)
}

// changeMeetingSession updates the session to in, or deletes it when in
// is nil, inside one transaction holding the event's lock (the
// scheduler's), so that no scheduler run places a meeting in between.
func (s *Service) changeMeetingSession(ctx context.Context, p Principal, id int64, in *MeetingSessionInput, unschedule bool) (*MeetingSessionChange, error) {
	cur, err := s.store.MeetingSessionByID(ctx, id)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	var next *MeetingSession
	if in != nil {
		next = &MeetingSession{ID: id, EventID: cur.EventID, Title: in.Title, StartsAt: in.StartsAt, EndsAt: in.EndsAt,
			SlotMinutes: in.SlotMinutes, Tables: in.Tables, Rooms: in.Rooms, CreatedAt: cur.CreatedAt}
		_, next.EndsAt = next.SlotTimes(next.SlotCount() - 1)
	}
	out := &MeetingSessionChange{Session: next, Unscheduled: []int64{}}
	var slug string
	err = s.store.Tx(ctx, func(r Repo) error {
		if err := r.LockEvent(ctx, cur.EventID); err != nil {
			return err
		}
		before, err := r.MeetingSessionByID(ctx, id) // as of the lock
		if err != nil {
			return err
		}
		ev, err := r.EventByID(ctx, before.EventID)
		if err != nil {
			return err
		}
		slug = ev.Slug
		if next != nil {
			others, err := r.ListMeetingSessions(ctx, before.EventID)
			if err != nil {
				return err
			}
			for _, o := range others {
				if o.ID != id && o.StartsAt.Before(next.EndsAt) && next.StartsAt.Before(o.EndsAt) {
					return &Error{Code: EConflict, Message: "overlaps meeting session " + itoa(o.ID), Details: map[string]int64{"session_id": o.ID}}
				}
			}
		}
		meetings, err := r.ListMeetings(ctx, TransferFilter{EventID: before.EventID})
		if err != nil {
			return err
		}
		var displaced, fixed []int64
		for _, m := range meetings {
			if m.SessionID != id || (next != nil && stillFits(&m, next)) {
				continue
			}
			if m.State == MeetingHeld || !now.Before(m.StartsAt) {
				fixed = append(fixed, m.ID)
			} else {
				displaced = append(displaced, m.ID)
			}
		}
		verb := "changing"
		if next == nil {
			verb = "deleting"
		}
		switch {
		case len(fixed) > 0:
			return &Error{Code: EConflict, Message: fmt.Sprintf("%s meeting session %d would take away %d meetings held or under way", verb, id, len(fixed)),
				Details: map[string]any{"meeting_ids": fixed, "held": true}}
		case len(displaced) > 0 && !unschedule:
			return &Error{Code: EConflict, Message: fmt.Sprintf("%s meeting session %d would move %d scheduled meetings; repeat with ?unschedule=1 to return them to the scheduler", verb, id, len(displaced)),
				Details: map[string]any{"meeting_ids": displaced, "held": false}}
		}
		if err := r.ReplaceMeetings(ctx, displaced, nil); err != nil {
			return err
		}
		out.Unscheduled = append(out.Unscheduled, displaced...)
		action, after := "meeting_session.delete", json.RawMessage(nil)
		if next != nil {
			if err := r.UpdateMeetingSession(ctx, next); err != nil {
				return err
			}
			old := map[string]string{}
			for _, rm := range before.Rooms {
				old[rm.Name] = rm.Link
			}
			for _, rm := range next.Rooms {
				if l, ok := old[rm.Name]; ok && l != rm.Link {
					if err := r.SetMeetingRoomLink(ctx, id, rm.Name, rm.Link); err != nil {
						return err
					}
				}
			}
			action, after = "meeting_session.update", mustJSON(next)
		} else if err := r.DeleteMeetingSession(ctx, id); err != nil {
			return err
		}
		return r.AddAudit(ctx, &AuditEntry{EventID: &before.EventID, Actor: p.Name, Action: action, ObjectType: "meeting_session",
			ObjectID: itoa(id), Before: mustJSON(before), After: after, At: now,
		})
	})
	if err != nil {
		return nil, err
	}
	s.transferChanged(slug, bellPrivate)
	return out, nil
}

// stillFits reports whether meeting m keeps its time and place in the
// session as changed to ms.
func stillFits(m *Meeting, ms *MeetingSession) bool {
	if m.Slot >= ms.SlotCount() {
		return false
	}
	if start, end := ms.SlotTimes(m.Slot); !start.Equal(m.StartsAt) || !end.Equal(m.EndsAt) {
		return false
	}
	if m.Mode != MeetingOnline {
		return m.Table >= 1 && m.Table <= ms.Tables
	}
	for _, rm := range ms.Rooms {
		if rm.Name == m.Room {
			return true
		}
	}
	return false
}

// MeetingSessions lists the event's meeting sessions by start: for
// organizers with the rooms' video links, for participants and teams
// without (each sees the link of their own meetings).
func (s *Service) MeetingSessions(ctx context.Context, p Principal, slug string) ([]MeetingSession, error) {
	eventID, err := s.partyEvent(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	list, err := s.store.ListMeetingSessions(ctx, eventID)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(list, func(a, b MeetingSession) int { return a.StartsAt.Compare(b.StartsAt) })
	if !p.CanOrganize() {
		for i := range list {
			rooms := make([]MeetingRoom, len(list[i].Rooms))
			for k, rm := range list[i].Rooms {
				rooms[k] = MeetingRoom{Name: rm.Name}
			}
			list[i].Rooms = rooms
		}
	}
	return list, nil
}

// MeetingView is a scheduled meeting as a list shows it: with the team's
// name and members for the participant, and the participant's contact
// (the meeting was accepted: in full) for the team and organizers.
type MeetingView struct {
	Meeting
	TeamName    string       `json:"team_name"`
	TeamMembers []TeamMember `json:"team_members"`
	Contact     *Contact     `json:"contact,omitempty"`
}

// Meetings lists the event's scheduled meetings by start as the caller may
// see them: a participant their own, a team its own, an organizer all.
func (s *Service) Meetings(ctx context.Context, p Principal, slug string) ([]MeetingView, error) {
	eventID, err := s.partyEvent(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	return s.meetingViews(ctx, p, eventID)
}

func (s *Service) meetingViews(ctx context.Context, p Principal, eventID int64) ([]MeetingView, error) {
	f := scope(p, TransferFilter{EventID: eventID})
	list, err := s.store.ListMeetings(ctx, f)
	if err != nil {
		return nil, err
	}
	teams, err := s.store.ListTeams(ctx, eventID)
	if err != nil {
		return nil, err
	}
	byAchievement := map[int64]*Team{}
	for i := range teams {
		byAchievement[teams[i].AchievementID] = &teams[i]
	}
	slices.SortStableFunc(list, func(a, b Meeting) int { return a.StartsAt.Compare(b.StartsAt) })
	out := make([]MeetingView, len(list))
	for i := range list {
		out[i] = MeetingView{Meeting: list[i], TeamMembers: []TeamMember{}}
		if t := byAchievement[list[i].AchievementID]; t != nil {
			out[i].TeamName = t.Name
			for _, m := range t.Members {
				out[i].TeamMembers = append(out[i].TeamMembers, TeamMember{Name: m.Name, Role: m.Role})
			}
		}
		if f.AttendeeID == "" {
			out[i].Contact = contactOf(list[i].Who, ContactFull)
		}
	}
	return out, nil
}
