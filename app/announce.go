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
	var err error
	if in.Text, err = cleanAnnouncementText(in.Text); err != nil {
		return nil, err
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

// cleanAnnouncementText trims each language and checks the text is
// valid: some language present, UTF-8, each at most MaxAnnouncementRunes.
func cleanAnnouncementText(t Text) (Text, error) {
	t = Text{ZH: strings.TrimSpace(t.ZH), EN: strings.TrimSpace(t.EN), HU: strings.TrimSpace(t.HU)}
	if t.Empty() {
		return t, Errorf(EInvalid, "an announcement needs text in at least one language (zh, en, hu)")
	}
	for lang, s := range map[string]string{"zh": t.ZH, "en": t.EN, "hu": t.HU} {
		if !utf8.ValidString(s) {
			return t, Errorf(EInvalid, "text.%s is not valid UTF-8", lang)
		}
		if utf8.RuneCountInString(s) > MaxAnnouncementRunes {
			return t, Errorf(EInvalid, "text.%s is longer than %d characters", lang, MaxAnnouncementRunes)
		}
	}
	return t, nil
}

// AnnouncementUpdate changes an announcement: its text, whether it is
// pinned, or both; an absent field stays as it is.
type AnnouncementUpdate struct {
	Text   *Text `json:"text,omitempty"`
	Pinned *bool `json:"pinned,omitempty"`
}

// AnnouncementDeleted is the data of an announcement.deleted envelope.
type AnnouncementDeleted struct {
	ID int64 `json:"id"`
}

// announcementOf loads announcement id of event eventID (named slug in
// the error); one of another event is not found, as an unknown id is.
func announcementOf(ctx context.Context, r Repo, eventID int64, slug string, id int64) (*Announcement, error) {
	a, err := r.AnnouncementByID(ctx, id)
	if ErrorCode(err) == ENotFound || (err == nil && a.EventID != eventID) {
		return nil, Errorf(ENotFound, "announcement %d not found in event %s", id, slug)
	}
	return a, err
}

// UpdateAnnouncement edits, pins or unpins an announcement; viewers get
// the whole announcement again as announcement.updated.
func (s *Service) UpdateAnnouncement(ctx context.Context, p Principal, slug string, id int64, in AnnouncementUpdate) (*Announcement, error) {
	if err := p.RequireOrganizer(); err != nil {
		return nil, err
	}
	if in.Text == nil && in.Pinned == nil {
		return nil, Errorf(EInvalid, "nothing to change: send text, pinned or both")
	}
	var text Text
	if in.Text != nil {
		var err error
		if text, err = cleanAnnouncementText(*in.Text); err != nil {
			return nil, err
		}
	}
	eventID, err := s.eventID(ctx, slug)
	if err != nil {
		return nil, err
	}
	var out Announcement
	var env Envelope
	err = s.store.Tx(ctx, func(r Repo) error {
		a, err := announcementOf(ctx, r, eventID, slug, id)
		if err != nil {
			return err
		}
		before := mustJSON(a)
		if in.Text != nil {
			a.Text = text
		}
		if in.Pinned != nil {
			a.Pinned = *in.Pinned
		}
		if err := r.UpdateAnnouncement(ctx, a); err != nil {
			return err
		}
		if env, err = r.AppendLive(ctx, a.EventID, TypeAnnouncementUpdated, a); err != nil {
			return err
		}
		out = *a
		return r.AddAudit(ctx, &AuditEntry{EventID: &a.EventID, Actor: p.Name, Action: "announcement.update",
			ObjectType: "announcement", ObjectID: itoa(a.ID), Before: before, After: mustJSON(a), At: s.Now()})
	})
	if err != nil {
		return nil, err
	}
	s.pub.Publish(ctx, env)
	return &out, nil
}

// DeleteAnnouncement removes an announcement; viewers drop it on
// announcement.deleted, and snapshots no longer carry it.
func (s *Service) DeleteAnnouncement(ctx context.Context, p Principal, slug string, id int64) error {
	if err := p.RequireOrganizer(); err != nil {
		return err
	}
	eventID, err := s.eventID(ctx, slug)
	if err != nil {
		return err
	}
	var env Envelope
	err = s.store.Tx(ctx, func(r Repo) error {
		a, err := announcementOf(ctx, r, eventID, slug, id)
		if err != nil {
			return err
		}
		if err := r.DeleteAnnouncement(ctx, a.ID); err != nil {
			return err
		}
		if env, err = r.AppendLive(ctx, a.EventID, TypeAnnouncementDeleted, AnnouncementDeleted{ID: a.ID}); err != nil {
			return err
		}
		return r.AddAudit(ctx, &AuditEntry{EventID: &a.EventID, Actor: p.Name, Action: "announcement.delete",
			ObjectType: "announcement", ObjectID: itoa(a.ID), Before: mustJSON(a), At: s.Now()})
	})
	if err != nil {
		return err
	}
	s.pub.Publish(ctx, env)
	return nil
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
