package app

import (
	"context"
	"fmt"
)

// Sample technology-transfer data for a seeded conference (the demo):
// teams, interests and meeting requests, every one marked Sample, and a
// meeting session the scheduler then fills.

// TransferSeed is sample data to store for an event. Achievements are
// named by Ref and participants by e-mail.
type TransferSeed struct {
	MeetingSession *MeetingSessionInput
	Teams          []TeamSeed
	Interests      []InterestSeed
	Requests       []RequestSeed
}

// TeamSeed is a sample team.
type TeamSeed struct {
	AchievementRef string
	Name           string
	Members        []TeamMember
}

// InterestSeed is a sample interest.
type InterestSeed struct {
	Email          string
	AchievementRef string
	Purpose        string
	Note           string
	Consent        bool
}

// RequestSeed is a sample meeting request; Accepted ones are accepted.
type RequestSeed struct {
	Email          string
	AchievementRef string
	Mode           string
	Note           string
	Accepted       bool
}

// seedPrincipal is who the sample data's audit entries name.
var seedPrincipal = Principal{Name: "sample data", Role: RoleAdmin}

// SeedTransfer stores in's sample data for the event in one transaction,
// then runs the scheduler once (sample meetings in slots not yet started).
// Team links get tokens nobody holds: organizers rotate a link to hand it
// out. An unknown achievement ref or e-mail is EInvalid.
func (s *Service) SeedTransfer(ctx context.Context, slug string, in TransferSeed) error {
	eventID, err := s.eventID(ctx, slug)
	if err != nil {
		return err
	}
	now := s.Now()
	err = s.store.Tx(ctx, func(r Repo) error {
		achievements, err := r.ListAchievements(ctx, eventID)
		if err != nil {
			return err
		}
		byRef := map[string]int64{}
		for _, a := range achievements {
			byRef[a.Ref] = a.ID
		}
		attendees, err := r.EventAttendees(ctx, eventID)
		if err != nil {
			return err
		}
		byEmail := map[string]string{}
		for _, a := range attendees {
			byEmail[a.Email] = a.ID
		}
		ref := func(kind, key string, ok bool) error {
			if !ok {
				return Errorf(EInvalid, "sample %s %q not found", kind, key)
			}
			return nil
		}
		if in.MeetingSession != nil {
			ms := *in.MeetingSession
			if err := ms.validate(); err != nil {
				return err
			}
			m := &MeetingSession{EventID: eventID, Title: ms.Title, StartsAt: ms.StartsAt, EndsAt: ms.EndsAt, SlotMinutes: ms.SlotMinutes,
				Tables: ms.Tables, Rooms: ms.Rooms, CreatedAt: now}
			_, m.EndsAt = m.SlotTimes(m.SlotCount() - 1)
			if err := r.CreateMeetingSession(ctx, m); err != nil {
				return err
			}
		}
		for _, ts := range in.Teams {
			id, ok := byRef[ts.AchievementRef]
			if err := ref("achievement", ts.AchievementRef, ok); err != nil {
				return err
			}
			t := &Team{EventID: eventID, AchievementID: id, Sample: true, CreatedAt: now, UpdatedAt: now}
			name, members := ts.Name, ts.Members
			if err := (TeamInput{Name: &name, Members: &members}).apply(t); err != nil {
				return fmt.Errorf("sample team %s: %w", ts.AchievementRef, err)
			}
			if _, err := newTeamToken(t); err != nil {
				return err
			}
			t.LinkSetAt = &now
			if err := r.CreateTeam(ctx, t); err != nil {
				return err
			}
		}
		for _, is := range in.Interests {
			id, ok := byRef[is.AchievementRef]
			if err := ref("achievement", is.AchievementRef, ok); err != nil {
				return err
			}
			who, ok := byEmail[is.Email]
			if err := ref("participant", is.Email, ok); err != nil {
				return err
			}
			i := &Interest{EventID: eventID, AttendeeID: who, AchievementID: id, Purpose: is.Purpose, Note: is.Note, Consent: is.Consent,
				Sample: true, CreatedAt: now, UpdatedAt: now}
			if _, err := r.SaveInterest(ctx, i); err != nil {
				return err
			}
		}
		for _, rs := range in.Requests {
			id, ok := byRef[rs.AchievementRef]
			if err := ref("achievement", rs.AchievementRef, ok); err != nil {
				return err
			}
			who, ok := byEmail[rs.Email]
			if err := ref("participant", rs.Email, ok); err != nil {
				return err
			}
			rq := &MeetingRequest{EventID: eventID, AttendeeID: who, AchievementID: id, Mode: rs.Mode, Note: rs.Note, State: RequestRequested,
				Sample: true, CreatedAt: now, UpdatedAt: now}
			if rs.Accepted {
				rq.State, rq.DecidedAt = RequestAccepted, &now
			}
			if err := r.CreateMeetingRequest(ctx, rq); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if in.MeetingSession == nil {
		return nil
	}
	_, err = s.ScheduleMeetings(ctx, seedPrincipal, slug, ScheduleInput{})
	return err
}
