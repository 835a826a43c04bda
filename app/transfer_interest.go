package app

import (
	"context"
	"slices"
	"strings"
)

// Interest: a participant marks interest in an achievement with a purpose,
// a short note and an explicit yes or no to sharing their contact
// details with the team. Teams and organizers see the list (pushed: see
// transfer_live.go); viewers see only the count per achievement.

// MaxNoteRunes bounds the note of an interest or meeting request.
const MaxNoteRunes = 500

// InterestInput is what a participant sends. Consent is required (true or
// false): contact details reach the team only with true. SlotID, when
// set, names the run-of-show item of the achievement being presented; by
// default the achievement's presenting item, if any, is recorded.
type InterestInput struct {
	AchievementID int64  `json:"achievement_id"`
	SlotID        int64  `json:"slot_id"`
	Purpose       string `json:"purpose"`
	Note          string `json:"note"`
	Consent       *bool  `json:"consent"`
}

// Contact is what a team or report may show of a participant. Level says
// how much: "full" (name, organization, country, e-mail: the participant
// consented or the meeting was accepted), "identity" (no e-mail) or
// "withheld" (nothing).
type Contact struct {
	Level        string `json:"level"`
	Name         string `json:"name,omitempty"`
	Organization string `json:"organization,omitempty"`
	Country      string `json:"country,omitempty"`
	Email        string `json:"email,omitempty"`
}

// Contact levels.
const (
	ContactFull     = "full"
	ContactIdentity = "identity"
	ContactWithheld = "withheld"
)

// contactOf returns a's contact at level.
func contactOf(a *Attendee, level string) *Contact {
	c := &Contact{Level: level}
	if a == nil || level == ContactWithheld {
		c.Level = ContactWithheld
		return c
	}
	c.Name, c.Organization, c.Country = a.Name, a.Organization, a.Country
	if level == ContactFull {
		c.Email = a.Email
	}
	return c
}

// InterestView is an interest as a list shows it: for a team or an
// organizer with the participant's contact as far as it may be shown
// (nil in a participant's own list).
type InterestView struct {
	Interest
	Contact *Contact `json:"contact,omitempty"`
}

// interestContact is the contact level of an interest: full with consent;
// otherwise nothing for a team and name and organization for organizers
// (who registered the participant).
func interestContact(i *Interest, forOrganizer bool) string {
	switch {
	case i.Consent:
		return ContactFull
	case forOrganizer:
		return ContactIdentity
	}
	return ContactWithheld
}

// MarkInterest records the calling participant's interest in an
// achievement of the event, or changes it when they marked one before
// (created false). Unknown achievement or item: ENotFound; bad purpose,
// note or missing consent: EInvalid.
func (s *Service) MarkInterest(ctx context.Context, p Principal, slug string, in InterestInput) (*Interest, bool, error) {
	a, eventID, err := s.participantEvent(ctx, p, slug)
	if err != nil {
		return nil, false, err
	}
	in.Purpose, in.Note = strings.TrimSpace(in.Purpose), strings.TrimSpace(in.Note)
	switch {
	case !slices.Contains(Purposes, in.Purpose):
		return nil, false, Errorf(EInvalid, "purpose must be one of %s", strings.Join(Purposes, ", "))
	case in.Consent == nil:
		return nil, false, Errorf(EInvalid, "consent is required: true to share your contact details with the team, false not to")
	}
	if err := checkText("note", in.Note, false, MaxNoteRunes, true); err != nil {
		return nil, false, err
	}
	if _, err := s.eventAchievement(ctx, eventID, in.AchievementID); err != nil {
		return nil, false, err
	}
	slotID, err := s.interestSlot(ctx, eventID, in.AchievementID, in.SlotID)
	if err != nil {
		return nil, false, err
	}
	now := s.Now()
	i := &Interest{EventID: eventID, AttendeeID: a.ID, AchievementID: in.AchievementID, SlotID: slotID,
		Purpose: in.Purpose, Note: in.Note, Consent: *in.Consent, CreatedAt: now, UpdatedAt: now}
	created, err := s.store.SaveInterest(ctx, i)
	if err != nil {
		return nil, false, err
	}
	s.transferChanged(slug, bellInterest)
	return i, created, nil
}

// eventAchievement reads an achievement of the event; another event's is
// ENotFound too.
func (s *Service) eventAchievement(ctx context.Context, eventID, id int64) (*Achievement, error) {
	a, err := s.store.AchievementByID(ctx, id)
	if ErrorCode(err) == ENotFound || err == nil && a.EventID != eventID {
		return nil, Errorf(ENotFound, "achievement %d not found in this event", id)
	}
	return a, err
}

// interestSlot checks a named item (it must be one of the achievement's
// in the event), or finds the achievement's presenting item (0 if none).
func (s *Service) interestSlot(ctx context.Context, eventID, achievementID, slotID int64) (int64, error) {
	slots, err := s.store.ListEventSlots(ctx, eventID)
	if err != nil {
		return 0, err
	}
	for _, sl := range slots {
		switch {
		case slotID != 0 && sl.ID == slotID:
			if sl.AchievementID != achievementID {
				return 0, Errorf(EInvalid, "run-of-show item %d is not achievement %d's", slotID, achievementID)
			}
			return slotID, nil
		case slotID == 0 && sl.AchievementID == achievementID && sl.State == SlotPresenting:
			return sl.ID, nil
		}
	}
	if slotID != 0 {
		return 0, Errorf(ENotFound, "run-of-show item %d not found in this event", slotID)
	}
	return 0, nil
}

// Interests lists interests of the event as the caller may see them: a
// participant their own, a team those in its achievement (contact only
// with consent), an organizer all, or one achievement's when
// achievementID is set.
func (s *Service) Interests(ctx context.Context, p Principal, slug string, achievementID int64) ([]InterestView, error) {
	eventID, err := s.partyEvent(ctx, p, slug)
	if err != nil {
		return nil, err
	}
	f := TransferFilter{EventID: eventID, AchievementID: achievementID}
	switch {
	case p.Party != nil && p.Party.Attendee != nil:
		f.AttendeeID = p.Party.Attendee.ID
	case p.Party != nil:
		f.AchievementID = p.Party.Team.AchievementID
	}
	list, err := s.store.ListInterests(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([]InterestView, len(list))
	for i := range list {
		out[i] = InterestView{Interest: list[i]}
		if f.AttendeeID == "" {
			out[i].Contact = contactOf(list[i].Who, interestContact(&list[i], p.CanOrganize()))
		}
	}
	return out, nil
}
