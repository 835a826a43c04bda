package app

import (
	"context"
	"strings"
)

// Tickets and team links as credentials. A participant's signed ticket
// is their credential: whoever holds it acts as them, and revoking the
// ticket ends it at once (every request reads the attendee). A team's
// link carries a random token (TeamTokenPrefix…) whose SHA-256 is stored;
// organizers rotate or revoke it. Both travel as "Authorization: Ticket
// <credential>" and in the page paths /p/{ticket} and /t/{token}.

// TeamTokenPrefix starts every team link token.
const TeamTokenPrefix = "hct_"

// maxCredentialLen bounds a ticket or team token before any work.
const maxCredentialLen = 4 * MaxTicketLen

// AuthenticateTicket returns the principal of a ticket or team token:
// Role RoleParticipant or RoleTeam, EventID its event and Party the
// holder. A malformed, forged or unknown credential, a ticket of an
// event or attendee the server does not know, or a revoked team link is
// EUnauthorized; the ticket of a revoked attendee is EForbidden. It
// writes nothing.
func (s *Service) AuthenticateTicket(ctx context.Context, credential string) (Principal, error) {
	credential = strings.TrimSpace(credential)
	if credential == "" || len(credential) > maxCredentialLen {
		return Principal{}, Errorf(EUnauthorized, "a ticket or team link token is required")
	}
	if strings.HasPrefix(credential, TeamTokenPrefix) {
		return s.authenticateTeam(ctx, credential)
	}
	t, err := ParseTicket(credential)
	if err != nil {
		return Principal{}, Errorf(EUnauthorized, "not a valid ticket: %s", ErrorMessage(err))
	}
	eventID, err := s.eventID(ctx, t.Event)
	if ErrorCode(err) == ENotFound {
		return Principal{}, Errorf(EUnauthorized, "not a valid ticket: unknown event")
	}
	if err != nil {
		return Principal{}, err
	}
	key, err := s.eventKey(ctx, eventID)
	if err != nil {
		return Principal{}, err
	}
	if !VerifyTicket(key, t) {
		return Principal{}, Errorf(EUnauthorized, "not a valid ticket: the signature does not match")
	}
	a, err := s.store.AttendeeByID(ctx, t.Attendee)
	if ErrorCode(err) == ENotFound || err == nil && a.EventID != eventID {
		return Principal{}, Errorf(EUnauthorized, "not a valid ticket: unknown attendee")
	}
	if err != nil {
		return Principal{}, err
	}
	if a.Revoked {
		return Principal{}, Errorf(EForbidden, "this ticket was revoked")
	}
	return Principal{Name: a.Name, Role: RoleParticipant, EventID: &eventID,
		Party: &Party{EventID: eventID, Slug: t.Event, Attendee: a}}, nil
}

func (s *Service) authenticateTeam(ctx context.Context, token string) (Principal, error) {
	t, err := s.store.TeamByTokenHash(ctx, HashToken(token))
	if ErrorCode(err) == ENotFound {
		return Principal{}, Errorf(EUnauthorized, "unknown or revoked team link")
	}
	if err != nil {
		return Principal{}, err
	}
	ev, err := s.store.EventByID(ctx, t.EventID)
	if err != nil {
		return Principal{}, err
	}
	return Principal{Name: t.Name, Role: RoleTeam, EventID: &t.EventID,
		Party: &Party{EventID: t.EventID, Slug: ev.Slug, Team: t}}, nil
}

// transferEvent resolves the slug for a caller of a technology-transfer
// route: a ticket or team link of another event is EForbidden.
func (s *Service) transferEvent(ctx context.Context, p Principal, slug string) (int64, error) {
	eventID, err := s.eventID(ctx, slug)
	if err != nil {
		return 0, err
	}
	if p.Party != nil && p.Party.EventID != eventID {
		return 0, Errorf(EForbidden, "this ticket or team link belongs to another event")
	}
	return eventID, nil
}

// participantEvent resolves the slug for a participant's own action: the
// caller's attendee and the event (see participant and transferEvent).
func (s *Service) participantEvent(ctx context.Context, p Principal, slug string) (*Attendee, int64, error) {
	a, err := participant(p)
	if err != nil {
		return nil, 0, err
	}
	eventID, err := s.transferEvent(ctx, p, slug)
	return a, eventID, err
}

// partyEvent resolves the slug for a participant, team or organizer (see
// requireParty and transferEvent).
func (s *Service) partyEvent(ctx context.Context, p Principal, slug string) (int64, error) {
	if err := requireParty(p); err != nil {
		return 0, err
	}
	return s.transferEvent(ctx, p, slug)
}

// participant returns the caller's attendee, or an error for anyone else:
// EUnauthorized for anonymous callers, EForbidden for the others.
func participant(p Principal) (*Attendee, error) {
	switch {
	case p.Party != nil && p.Party.Attendee != nil:
		return p.Party.Attendee, nil
	case p.Anonymous():
		return nil, Errorf(EUnauthorized, "a participant's ticket is required (Authorization: Ticket <ticket>)")
	}
	return nil, Errorf(EForbidden, "only a participant (with their ticket) may do this")
}

// team returns the caller's team, or nil for a caller who is not one.
func team(p Principal) *Team {
	if p.Party != nil {
		return p.Party.Team
	}
	return nil
}

// requireTeamOf lets through an organizer and the team of achievementID
// (EUnauthorized for anonymous callers, EForbidden for anyone else).
func requireTeamOf(p Principal, achievementID int64) error {
	switch tm := team(p); {
	case p.CanOrganize():
		return nil
	case tm != nil && tm.AchievementID == achievementID:
		return nil
	case p.Anonymous():
		return Errorf(EUnauthorized, "the team's link or an organizer's login is required")
	}
	return Errorf(EForbidden, "only the achievement's team or an organizer may do this")
}

// requireParty lets through participants, teams and organizers of the
// event (anonymous: EUnauthorized; checkers: EForbidden).
func requireParty(p Principal) error {
	switch {
	case p.Party != nil, p.CanOrganize():
		return nil
	case p.Anonymous():
		return Errorf(EUnauthorized, "a ticket, a team link or an organizer's login is required")
	}
	return Errorf(EForbidden, "only participants, teams and organizers may do this")
}
