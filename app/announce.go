package app

import (
	"context"
	"strings"
	"unicode/utf8"
)

// MaxAnnouncementRunes bounds each language of an announcement.
const MaxAnnouncementRunes = 1000

// AnnouncementInput is what an organizer posts.
type AnnouncementInput struct {
	Text   Text `json:"text"`
	Pinned bool `json:"pinned"`
}

// PostAnnouncement stores an announcement and its announcement.posted
// envelope in one transaction, then publishes the envelope.
func (s *Service) PostAnnouncement(ctx context.Context, p Principal, slug string, in AnnouncementInput) (*Announcement, error) {
	if err := p.RequireOrganizer(); err != nil {
		return nil, err
	}
	in.Text = Text{ZH: strings.TrimSpace(in.Text.ZH), EN: strings.TrimSpace(in.Text.EN), HU: strings.TrimSpace(in.Text.HU)}
	if in.Text.Empty() {
		return nil, Errorf(EInvalid, "an announcement needs text in at least one language (zh, en, hu)")
	}
	for lang, t := range map[string]string{"zh": in.Text.ZH, "en": in.Text.EN, "hu": in.Text.HU} {
		if !utf8.ValidString(t) {
			return nil, Errorf(EInvalid, "text.%s is not valid UTF-8", lang)
		}
		if utf8.RuneCountInString(t) > MaxAnnouncementRunes {
			return nil, Errorf(EInvalid, "text.%s is longer than %d characters", lang, MaxAnnouncementRunes)
		}
	}
	eventID, err := s.eventID(ctx, slug)
	if err != nil {
		return nil, err
	}
	a := &Announcement{EventID: eventID, Text: in.Text, Pinned: in.Pinned, Author: s.publicName(ctx, p), CreatedAt: s.Now()}
	var env Envelope
	err = s.store.Tx(ctx, func(r Repo) error {
		if err := r.CreateAnnouncement(ctx, a); err != nil {
			return err
		}
		var err error
		if env, err = r.AppendLive(ctx, eventID, TypeAnnouncement, a); err != nil {
			return err
		}
		return r.AddAudit(ctx, &AuditEntry{EventID: &eventID, Actor: p.Name, Action: "announcement.post",
			ObjectType: "announcement", ObjectID: itoa(a.ID), After: mustJSON(a), At: a.CreatedAt})
	})
	if err != nil {
		return nil, err
	}
	s.pub.Publish(ctx, env)
	return a, nil
}

// Announcements returns the event's announcements, newest first.
func (s *Service) Announcements(ctx context.Context, slug string, limit int) ([]Announcement, error) {
	eventID, err := s.eventID(ctx, slug)
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 200 {
		limit = 200
	}
	return s.store.ListAnnouncements(ctx, eventID, limit)
}
