package app

import (
	"context"
	"strings"
	"time"
)

// EventInput creates or changes an event; nil fields are left alone on a
// change. Slugs cannot change: tickets and links carry them.
type EventInput struct {
	Slug      *string    `json:"slug"`
	Title     *Text      `json:"title"`
	Summary   *Text      `json:"summary"`
	Venue     *Text      `json:"venue"`
	VenueTZ   *string    `json:"venue_tz"`
	ViewerTZs *[]string  `json:"viewer_tzs"`
	Languages *[]string  `json:"languages"`
	StartsAt  *time.Time `json:"starts_at"`
	EndsAt    *time.Time `json:"ends_at"`
}

func (in EventInput) apply(e *Event) error {
	if in.Title != nil {
		e.Title = trimText(*in.Title)
	}
	if in.Summary != nil {
		e.Summary = trimText(*in.Summary)
	}
	if in.Venue != nil {
		// {} (or only blanks) clears the venue: an online-only event.
		e.Venue = trimText(*in.Venue)
	}
	if in.VenueTZ != nil {
		e.VenueTZ = strings.TrimSpace(*in.VenueTZ)
	}
	if in.ViewerTZs != nil {
		e.ViewerTZs = append([]string(nil), (*in.ViewerTZs)...)
	}
	if in.Languages != nil {
		e.Languages = append([]string(nil), (*in.Languages)...)
	}
	if in.StartsAt != nil {
		e.StartsAt = in.StartsAt.UTC()
	}
	if in.EndsAt != nil {
		e.EndsAt = in.EndsAt.UTC()
	}
	return validateEvent(e)
}

// validTZ reports whether name is an IANA time zone name this build knows
// (the binary embeds the time zone database).
func validTZ(name string) bool {
	if name == "" || name == "Local" || len(name) > 64 {
		return false
	}
	_, err := time.LoadLocation(name)
	return err == nil
}

func validateEvent(e *Event) error {
	if !ValidSlug(e.Slug) {
		return Errorf(EInvalid, "slug must be 1–64 lower-case letters, digits and inner hyphens")
	}
	if err := validateText("title", e.Title, true, 300); err != nil {
		return err
	}
	if err := validateText("summary", e.Summary, false, 4000); err != nil {
		return err
	}
	if err := validateText("venue", e.Venue, false, 200); err != nil {
		return err
	}
	if !validTZ(e.VenueTZ) {
		return Errorf(EInvalid, "venue_tz %q is not an IANA time zone name such as Asia/Shanghai", e.VenueTZ)
	}
	if len(e.ViewerTZs) == 0 || len(e.ViewerTZs) > 8 {
		return Errorf(EInvalid, "viewer_tzs needs 1–8 IANA time zone names")
	}
	for _, tz := range e.ViewerTZs {
		if !validTZ(tz) {
			return Errorf(EInvalid, "viewer_tzs: %q is not an IANA time zone name such as Europe/Budapest", tz)
		}
	}
	if len(e.Languages) == 0 {
		return Errorf(EInvalid, "languages needs at least one of zh, en, hu")
	}
	seen := map[string]bool{}
	for _, l := range e.Languages {
		if l != "zh" && l != "en" && l != "hu" {
			return Errorf(EInvalid, "languages: %q is not one of zh, en, hu", l)
		}
		if seen[l] {
			return Errorf(EInvalid, "languages: %q appears twice", l)
		}
		seen[l] = true
	}
	if e.StartsAt.IsZero() || e.EndsAt.IsZero() || !e.EndsAt.After(e.StartsAt) {
		return Errorf(EInvalid, "starts_at and ends_at are required and ends_at must be after starts_at")
	}
	return nil
}

// CreateEvent adds an event (admin).
func (s *Service) CreateEvent(ctx context.Context, p Principal, in EventInput) (*Event, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	e := &Event{ViewerTZs: []string{}, Languages: []string{"zh", "en", "hu"}}
	if in.Slug != nil {
		e.Slug = strings.TrimSpace(*in.Slug)
	}
	if err := in.apply(e); err != nil {
		return nil, err
	}
	now := s.Now()
	e.CreatedAt, e.UpdatedAt = now, now
	err := s.store.Tx(ctx, func(r Repo) error {
		if err := r.CreateEvent(ctx, e); err != nil {
			if ErrorCode(err) == EConflict {
				return Errorf(EConflict, "an event with slug %q already exists", e.Slug)
			}
			return err
		}
		// Every event starts with one stage, so sessions have somewhere to go.
		main := &Stage{EventID: e.ID, Slug: DefaultStageSlug, Name: DefaultStageName, Position: 1, StreamLinks: map[string]string{}, CreatedAt: now, UpdatedAt: now}
		if err := r.CreateStage(ctx, main); err != nil {
			return err
		}
		return r.AddAudit(ctx, &AuditEntry{EventID: &e.ID, Actor: p.Name, Action: "event.create", ObjectType: "event", ObjectID: e.Slug, After: mustJSON(e), At: now})
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// UpdateEvent changes an event (admin) and tells viewers with
// event.updated.
func (s *Service) UpdateEvent(ctx context.Context, p Principal, slug string, in EventInput) (*Event, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	if in.Slug != nil && *in.Slug != slug {
		return nil, Errorf(EInvalid, "the slug of an event cannot change")
	}
	eventID, err := s.eventID(ctx, slug)
	if err != nil {
		return nil, err
	}
	var out *Event
	var env Envelope
	err = s.store.Tx(ctx, func(r Repo) error {
		e, err := r.EventByID(ctx, eventID)
		if err != nil {
			return err
		}
		before := *e
		if err := in.apply(e); err != nil {
			return err
		}
		e.UpdatedAt = s.Now()
		if err := r.UpdateEvent(ctx, e); err != nil {
			return err
		}
		if env, err = r.AppendLive(ctx, eventID, TypeEventUpdated, e); err != nil {
			return err
		}
		// The envelope took a seq: report the event as it now stands.
		e.LastSeq = env.Seq
		out = e
		return r.AddAudit(ctx, &AuditEntry{EventID: &eventID, Actor: p.Name, Action: "event.update", ObjectType: "event", ObjectID: slug,
			Before: mustJSON(before), After: mustJSON(e), At: e.UpdatedAt})
	})
	if err != nil {
		return nil, err
	}
	s.pub.Publish(ctx, env)
	return out, nil
}

// Audit pages through an event's audit trail, newest first: entries with
// id < before (all when before is 0), at most limit (≤ 200).
func (s *Service) Audit(ctx context.Context, p Principal, slug string, before int64, limit int) ([]AuditEntry, error) {
	if err := p.RequireOrganizer(); err != nil {
		return nil, err
	}
	eventID, err := s.eventID(ctx, slug)
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	return s.store.ListAudit(ctx, eventID, before, limit)
}
