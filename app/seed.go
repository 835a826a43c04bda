package app

import (
	"context"
	"fmt"
)

// ConferenceSeed is a whole conference to store at once: the demo, or a
// fixture in tests. Its fields match demo.Conference so one converts to
// the other.
type ConferenceSeed struct {
	Event         Event
	Sessions      []Session
	ShowcaseIdx   int
	Achievements  []Achievement
	SlotSeconds   []int64
	Attendees     []Attendee
	Announcements []Announcement
}

// Seed stores a conference in one transaction. It returns EConflict when
// an event with the slug already exists (another node loaded it first).
func (s *Service) Seed(ctx context.Context, c ConferenceSeed) error {
	if len(c.SlotSeconds) != len(c.Achievements) {
		return fmt.Errorf("seed: %d slot lengths for %d achievements", len(c.SlotSeconds), len(c.Achievements))
	}
	if c.ShowcaseIdx < 0 || c.ShowcaseIdx >= len(c.Sessions) {
		return fmt.Errorf("seed: showcase index %d out of range", c.ShowcaseIdx)
	}
	now := s.Now()
	return s.store.Tx(ctx, func(r Repo) error {
		ev := c.Event
		ev.CreatedAt, ev.UpdatedAt = now, now
		if err := r.CreateEvent(ctx, &ev); err != nil {
			return err
		}
		sessionIDs := make([]int64, len(c.Sessions))
		for i, se := range c.Sessions {
			se.EventID = ev.ID
			if se.State == "" {
				se.State = StateScheduled
			}
			// Viewers are first told the plan.
			se.AnnouncedStart, se.AnnouncedEnd = &se.PlannedStart, &se.PlannedEnd
			if err := r.CreateSession(ctx, &se); err != nil {
				return err
			}
			sessionIDs[i] = se.ID
		}
		slots := make([]Slot, len(c.Achievements))
		for i, a := range c.Achievements {
			a.EventID = ev.ID
			a.CreatedAt, a.UpdatedAt = now, now
			if err := r.CreateAchievement(ctx, &a); err != nil {
				return err
			}
			slots[i] = Slot{SessionID: sessionIDs[c.ShowcaseIdx], AchievementID: a.ID, Position: i + 1, PlannedSeconds: c.SlotSeconds[i], State: SlotPending}
		}
		if err := r.ReplaceSlots(ctx, sessionIDs[c.ShowcaseIdx], slots); err != nil {
			return err
		}
		for _, a := range c.Attendees {
			a.EventID = ev.ID
			a.CreatedAt, a.UpdatedAt = now, now
			if err := r.CreateAttendee(ctx, &a); err != nil {
				return err
			}
		}
		for _, a := range c.Announcements {
			a.EventID = ev.ID
			if a.CreatedAt.IsZero() {
				a.CreatedAt = now
			}
			if err := r.CreateAnnouncement(ctx, &a); err != nil {
				return err
			}
		}
		return nil
	})
}
