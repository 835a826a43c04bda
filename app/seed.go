package app

import (
	"context"
	"fmt"
)

// ConferenceSeed is a whole conference to store at once: the demo, or a
// fixture in tests. Its fields match demo.Conference so one converts to
// the other.
type ConferenceSeed struct {
	Event Event
	// Stages are the event's stages; none gives it the default stage.
	Stages []Stage
	// Sessions name their stage by slug (empty: the first stage).
	Sessions []Session
	// Items holds the run-of-show of sessions, by index into Sessions.
	Items         map[int][]SeedItem
	Achievements  []Achievement
	Attendees     []Attendee
	Announcements []Announcement
}

// SeedItem is one item of a seeded run-of-show: the achievement whose
// Ref is AchievementRef, or (AchievementRef empty) a free item with Title,
// Presenter and PresenterMode; Seconds is its planned length.
type SeedItem struct {
	AchievementRef string
	Title          Text
	Presenter      string
	PresenterMode  string
	Seconds        int64
}

// Seed stores a conference in one transaction. It returns EConflict when
// an event with the slug already exists (another node loaded it first).
func (s *Service) Seed(ctx context.Context, c ConferenceSeed) error {
	for i := range c.Items {
		if i < 0 || i >= len(c.Sessions) {
			return fmt.Errorf("seed: run-of-show for session %d of %d", i, len(c.Sessions))
		}
	}
	stages := c.Stages
	if len(stages) == 0 {
		stages = []Stage{{Slug: DefaultStageSlug, Name: DefaultStageName, Position: 1}}
	}
	now := s.Now()
	return s.store.Tx(ctx, func(r Repo) error {
		ev := c.Event
		ev.CreatedAt, ev.UpdatedAt = now, now
		if err := r.CreateEvent(ctx, &ev); err != nil {
			return err
		}
		stageIDs := map[string]int64{}
		for _, st := range stages {
			st.EventID = ev.ID
			st.CreatedAt, st.UpdatedAt = now, now
			if st.StreamLinks == nil {
				st.StreamLinks = map[string]string{}
			}
			if err := r.CreateStage(ctx, &st); err != nil {
				return err
			}
			stageIDs[st.Slug] = st.ID
		}
		byRef := map[string]int64{}
		for _, a := range c.Achievements {
			a.EventID = ev.ID
			a.CreatedAt, a.UpdatedAt = now, now
			if err := r.CreateAchievement(ctx, &a); err != nil {
				return err
			}
			byRef[a.Ref] = a.ID
		}
		for i, se := range c.Sessions {
			se.EventID = ev.ID
			if se.State == "" {
				se.State = StateScheduled
			}
			if se.Stage == "" {
				se.Stage = stages[0].Slug
			}
			id, ok := stageIDs[se.Stage]
			if !ok {
				return fmt.Errorf("seed: session %d is on unknown stage %q", i, se.Stage)
			}
			se.StageID = id
			// Viewers are first told the plan.
			se.AnnouncedStart, se.AnnouncedEnd = &se.PlannedStart, &se.PlannedEnd
			if err := r.CreateSession(ctx, &se); err != nil {
				return err
			}
			items := c.Items[i]
			if len(items) == 0 {
				continue
			}
			slots := make([]Slot, len(items))
			for k, it := range items {
				sl := Slot{SessionID: se.ID, Position: k + 1, PlannedSeconds: it.Seconds, State: SlotPending}
				if it.AchievementRef != "" {
					if sl.AchievementID = byRef[it.AchievementRef]; sl.AchievementID == 0 {
						return fmt.Errorf("seed: session %d item %d names unknown achievement %q", i, k, it.AchievementRef)
					}
				} else {
					title := it.Title
					sl.Title, sl.Presenter, sl.PresenterMode = &title, it.Presenter, it.PresenterMode
				}
				slots[k] = sl
			}
			if err := r.ReplaceSlots(ctx, se.ID, slots); err != nil {
				return err
			}
		}
		attendees := make([]Attendee, len(c.Attendees))
		for i, a := range c.Attendees {
			a.EventID = ev.ID
			a.CreatedAt, a.UpdatedAt = now, now
			attendees[i] = a
		}
		if len(attendees) > 0 {
			if err := r.CreateAttendees(ctx, attendees); err != nil {
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
