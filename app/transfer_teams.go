package app

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Teams: organizers give each achievement a team (its presenter and
// contacts) and hand the team its link, which they can rotate (a new
// token, the old one stops working) or revoke.

// Limits of a team.
const (
	MaxTeamNameRunes = 200
	MaxTeamMembers   = 20
)

// TeamInput creates or changes a team; nil fields are left alone on a
// change (AchievementID is only read on creation).
type TeamInput struct {
	AchievementID *int64        `json:"achievement_id"`
	Name          *string       `json:"name"`
	Members       *[]TeamMember `json:"members"`
}

// TeamLink is a team with its link's token, shown once: when the team is
// created and when its link is rotated. Path is the team page.
type TeamLink struct {
	Team  Team   `json:"team"`
	Token string `json:"token"`
	Path  string `json:"path"`
}

// checkText returns EInvalid when v is not valid UTF-8, longer than
// maxRunes, holds control characters (newlines and tabs are allowed when
// multiline), or is empty while required.
func checkText(field, v string, required bool, maxRunes int, multiline bool) error {
	switch {
	case required && strings.TrimSpace(v) == "":
		return Errorf(EInvalid, "%s is required", field)
	case !utf8.ValidString(v):
		return Errorf(EInvalid, "%s is not valid UTF-8", field)
	case utf8.RuneCountInString(v) > maxRunes:
		return Errorf(EInvalid, "%s must be at most %d characters", field, maxRunes)
	}
	for _, r := range v {
		if r < 0x20 && !(multiline && (r == '\n' || r == '\t')) || r == 0x7f {
			return Errorf(EInvalid, "%s must not contain control characters", field)
		}
	}
	return nil
}

// validEmail reports whether e looks like an e-mail address (the rule of
// attendee e-mails).
func validEmail(e string) bool {
	a := Attendee{Name: "x", Email: e}
	_, bad := attendeeProblems(&a)["email"]
	return !bad
}

func (in TeamInput) apply(t *Team) error {
	if in.Name != nil {
		t.Name = strings.TrimSpace(*in.Name)
	}
	if err := checkText("name", t.Name, true, MaxTeamNameRunes, false); err != nil {
		return err
	}
	if in.Members != nil {
		if len(*in.Members) > MaxTeamMembers {
			return Errorf(EInvalid, "a team has at most %d members", MaxTeamMembers)
		}
		t.Members = make([]TeamMember, 0, len(*in.Members))
		for i, m := range *in.Members {
			m = TeamMember{Name: strings.TrimSpace(m.Name), Role: strings.TrimSpace(m.Role), Email: strings.ToLower(strings.TrimSpace(m.Email))}
			if err := checkText(fmt.Sprintf("members[%d].name", i), m.Name, true, MaxTeamNameRunes, false); err != nil {
				return err
			}
			if err := checkText(fmt.Sprintf("members[%d].role", i), m.Role, false, 100, false); err != nil {
				return err
			}
			if m.Email != "" && !validEmail(m.Email) {
				return Errorf(EInvalid, "members[%d].email is not an e-mail address", i)
			}
			t.Members = append(t.Members, m)
		}
	}
	if t.Members == nil {
		t.Members = []TeamMember{}
	}
	return nil
}

// Teams returns the event's teams (organizers).
func (s *Service) Teams(ctx context.Context, p Principal, slug string) ([]Team, error) {
	eventID, err := s.organizerEvent(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	return s.store.ListTeams(ctx, eventID)
}

// newTeamToken returns a fresh team link token and stores its hash in t.
func newTeamToken(t *Team) (string, error) {
	token, err := NewSecret(TeamTokenPrefix)
	if err != nil {
		return "", err
	}
	t.TokenHash, t.LinkActive = HashToken(token), true
	return token, nil
}

// CreateTeam gives an achievement of the event its team and link
// (organizers). The name defaults to the achievement's presenter, else its
// English title. An achievement of another event is ENotFound, one with a
// team already EConflict.
func (s *Service) CreateTeam(ctx context.Context, p Principal, slug string, in TeamInput) (*TeamLink, error) {
	eventID, err := s.organizerEvent(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	if in.AchievementID == nil {
		return nil, Errorf(EInvalid, "achievement_id is required")
	}
	a, err := s.store.AchievementByID(ctx, *in.AchievementID)
	if err != nil || a.EventID != eventID {
		return nil, Errorf(ENotFound, "achievement %d not found in this event", *in.AchievementID)
	}
	t := &Team{EventID: eventID, AchievementID: a.ID, Name: a.Presenter}
	if t.Name == "" {
		t.Name = a.Title.In("en")
	}
	if err := in.apply(t); err != nil {
		return nil, err
	}
	token, err := newTeamToken(t)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	t.CreatedAt, t.UpdatedAt, t.LinkSetAt = now, now, &now
	err = s.store.Tx(ctx, func(r Repo) error {
		if err := r.CreateTeam(ctx, t); err != nil {
			return err
		}
		return r.AddAudit(ctx, &AuditEntry{EventID: &eventID, Actor: p.Name, Action: "team.create",
			ObjectType: "team", ObjectID: itoa(t.ID), After: mustJSON(t), At: now})
	})
	if err != nil {
		return nil, err
	}
	return &TeamLink{Team: *t, Token: token, Path: "/t/" + token}, nil
}

// organizerTeam reads a team for an organizer.
func (s *Service) organizerTeam(ctx context.Context, p Principal, id int64) (*Team, error) {
	if err := p.RequireOrganizer(); err != nil {
		return nil, err
	}
	return s.store.TeamByID(ctx, id)
}

// UpdateTeam changes a team's name or members (organizers).
func (s *Service) UpdateTeam(ctx context.Context, p Principal, id int64, in TeamInput) (*Team, error) {
	t, err := s.organizerTeam(ctx, p, id)
	if err != nil {
		return nil, err
	}
	before := *t
	if in.AchievementID != nil && *in.AchievementID != t.AchievementID {
		return nil, Errorf(EInvalid, "a team's achievement cannot change")
	}
	if err := in.apply(t); err != nil {
		return nil, err
	}
	return t, s.saveTeam(ctx, p, "team.update", &before, t)
}

// RotateTeamLink gives a team a new link token; the old one stops working
// at once (organizers).
func (s *Service) RotateTeamLink(ctx context.Context, p Principal, id int64) (*TeamLink, error) {
	t, err := s.organizerTeam(ctx, p, id)
	if err != nil {
		return nil, err
	}
	before := *t
	token, err := newTeamToken(t)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	t.LinkSetAt = &now
	if err := s.saveTeam(ctx, p, "team.link.rotate", &before, t); err != nil {
		return nil, err
	}
	return &TeamLink{Team: *t, Token: token, Path: "/t/" + token}, nil
}

// RevokeTeamLink ends a team's link (organizers); RotateTeamLink gives it
// a new one.
func (s *Service) RevokeTeamLink(ctx context.Context, p Principal, id int64) (*Team, error) {
	t, err := s.organizerTeam(ctx, p, id)
	if err != nil {
		return nil, err
	}
	before := *t
	t.TokenHash, t.LinkActive, t.LinkSetAt = "", false, nil
	return t, s.saveTeam(ctx, p, "team.link.revoke", &before, t)
}

func (s *Service) saveTeam(ctx context.Context, p Principal, action string, before, t *Team) error {
	t.UpdatedAt = s.Now()
	return s.store.Tx(ctx, func(r Repo) error {
		if err := r.UpdateTeam(ctx, t); err != nil {
			return err
		}
		return r.AddAudit(ctx, &AuditEntry{EventID: &t.EventID, Actor: p.Name, Action: action,
			ObjectType: "team", ObjectID: itoa(t.ID), Before: mustJSON(before), After: mustJSON(t), At: t.UpdatedAt})
	})
}

// TeamView is what a team's page shows of itself: the team (without its
// token), its achievement, and its run-of-show items with planned and
// expected times (when it presents).
type TeamView struct {
	Team          Team        `json:"team"`
	Achievement   Achievement `json:"achievement"`
	Presentations []Slot      `json:"presentations"`
}

// MyTeam returns the calling team's view of itself (teams only).
func (s *Service) MyTeam(ctx context.Context, p Principal, slug string) (*TeamView, error) {
	tm := team(p)
	switch {
	case tm == nil && p.Anonymous():
		return nil, Errorf(EUnauthorized, "the team's link is required (Authorization: Ticket <token>)")
	case tm == nil:
		return nil, Errorf(EForbidden, "only a team (with its link) may do this")
	}
	eventID, err := s.transferEvent(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	a, err := s.eventAchievement(ctx, eventID, tm.AchievementID)
	if err != nil {
		return nil, err
	}
	ag, err := loadAgenda(ctx, s.store, eventID, s.Now())
	if err != nil {
		return nil, err
	}
	v := &TeamView{Team: *tm, Achievement: *a, Presentations: []Slot{}}
	for _, slots := range ag.Slots {
		for _, sl := range slots {
			if sl.AchievementID == a.ID {
				v.Presentations = append(v.Presentations, sl)
			}
		}
	}
	return v, nil
}
