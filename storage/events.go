package storage

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hybridcon/hybridcon/app"
)

// ListEvents returns every event, earliest start first.
func (s *Store) ListEvents(ctx context.Context) ([]app.Event, error) {
	var rows []eventRow
	err := s.db.WithContext(ctx).Omit("private_key").Order("starts_at, id").Find(&rows).Error
	if err != nil {
		return nil, s.fail(ctx, err, "list events", on{})
	}
	out := make([]app.Event, len(rows))
	for i := range rows {
		out[i] = rows[i].toApp()
	}
	return out, nil
}

// EventBySlug returns the event with slug, or ENotFound.
func (s *Store) EventBySlug(ctx context.Context, slug string) (*app.Event, error) {
	var r eventRow
	err := s.db.WithContext(ctx).Omit("private_key").Where("slug = ?", slug).Take(&r).Error
	if err != nil {
		return nil, s.fail(ctx, err, "get event", on{notFound: notFound("event %q not found", slug)})
	}
	e := r.toApp()
	return &e, nil
}

// EventByID returns the event with id, or ENotFound.
func (s *Store) EventByID(ctx context.Context, id int64) (*app.Event, error) {
	var r eventRow
	err := s.db.WithContext(ctx).Omit("private_key").Where("id = ?", id).Take(&r).Error
	if err != nil {
		return nil, s.fail(ctx, err, "get event", on{notFound: notFound("event %d not found", id)})
	}
	e := r.toApp()
	return &e, nil
}

// CreateEvent inserts e with a new Ed25519 ticket-signing key pair and,
// when e.Epoch is empty, a random log epoch (12 hex characters). It fills
// e.ID, e.PublicKey (base64, standard encoding), e.Epoch, e.LastSeq (0)
// and the timestamps. The private key is only returned by
// EventPrivateKey. A taken slug is EConflict.
func (s *Store) CreateEvent(ctx context.Context, e *app.Event) error {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return fmt.Errorf("storage: generate event key: %w", err)
	}
	r := eventToRow(e)
	r.PrivateKey = priv
	r.PublicKey = base64.StdEncoding.EncodeToString(pub)
	r.LastSeq = 0
	if r.Epoch == "" {
		r.Epoch = newEpoch()
	}
	if err := s.db.WithContext(ctx).Create(&r).Error; err != nil {
		return s.fail(ctx, err, "create event", on{dup: conflict("event slug %q is taken", e.Slug)})
	}
	*e = r.toApp()
	return nil
}

// UpdateEvent writes the descriptive fields of e (slug, texts, venue,
// time zones, languages, start and end) and sets e.UpdatedAt. The key
// pair, LastSeq and Epoch belong to storage and the live log and are not
// written; e's copies of them are refreshed from the database. Unknown
// e.ID is ENotFound, a taken slug EConflict.
func (s *Store) UpdateEvent(ctx context.Context, e *app.Event) error {
	r := eventToRow(e)
	r.UpdatedAt = now()
	res := s.db.WithContext(ctx).Model(&eventRow{}).Where("id = ?", e.ID).Updates(map[string]any{
		"slug":     r.Slug,
		"title_zh": r.TitleZH, "title_en": r.TitleEN, "title_hu": r.TitleHU,
		"summary_zh": r.SummaryZH, "summary_en": r.SummaryEN, "summary_hu": r.SummaryHU,
		"venue_zh": r.VenueZH, "venue_en": r.VenueEN, "venue_hu": r.VenueHU,
		"venue_tz":   r.VenueTZ,
		"viewer_tzs": r.ViewerTZs, "languages": r.Languages,
		"starts_at": r.StartsAt, "ends_at": r.EndsAt,
		"updated_at": r.UpdatedAt,
	})
	o := on{dup: conflict("event slug %q is taken", e.Slug)}
	if res.Error != nil {
		return s.fail(ctx, res.Error, "update event", o)
	}
	if res.RowsAffected == 0 {
		return notFound("event %d not found", e.ID)
	}
	got, err := s.EventByID(ctx, e.ID)
	if err != nil {
		return err
	}
	*e = *got
	return nil
}

// EventPrivateKey returns the Ed25519 private key (64 bytes) that signs
// the event's tickets, or ENotFound.
func (s *Store) EventPrivateKey(ctx context.Context, eventID int64) ([]byte, error) {
	var keys [][]byte
	err := s.db.WithContext(ctx).Model(&eventRow{}).Where("id = ?", eventID).Pluck("private_key", &keys).Error
	if err != nil {
		return nil, s.fail(ctx, err, "get event key", on{})
	}
	if len(keys) == 0 {
		return nil, notFound("event %d not found", eventID)
	}
	return keys[0], nil
}

// newEpoch returns 12 random hex characters.
func newEpoch() string {
	var b [6]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return hex.EncodeToString(b[:])
}

// AppendLive appends one envelope to the event's live log: it takes the
// next seq with UPDATE events SET last_seq = last_seq + 1 … RETURNING
// (on PostgreSQL the row lock serializes concurrent writers until commit,
// so seqs have no gaps and no duplicates; on SQLite the transaction holds
// the write lock), encodes data as JSON and inserts the row. Called on a
// Repo inside Tx it is part of that transaction, so a rollback takes the
// seq back with the change it describes; called on the Store it runs in
// its own transaction. The envelope's At is now in UTC truncated to the
// millisecond. Unknown eventID is ENotFound.
func (s *Store) AppendLive(ctx context.Context, eventID int64, typ string, data any) (app.Envelope, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return app.Envelope{}, fmt.Errorf("storage: encode %s envelope: %w", typ, err)
	}
	var env app.Envelope
	err = s.tx(ctx, func(tx *Store) error {
		var head struct {
			LastSeq int64
			Epoch   string
			Slug    string
		}
		res := tx.db.WithContext(ctx).
			Raw("UPDATE events SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq, epoch, slug", eventID).
			Scan(&head)
		if res.Error != nil {
			return tx.fail(ctx, res.Error, "take live seq", on{})
		}
		if res.RowsAffected == 0 {
			return notFound("event %d not found", eventID)
		}
		at := time.Now().UTC().Truncate(time.Millisecond)
		if _, err := tx.insertID(ctx, insertLiveSQL, eventID, head.LastSeq, typ, at, string(raw)); err != nil {
			return tx.fail(ctx, err, "append live entry", on{})
		}
		env = app.Envelope{Seq: head.LastSeq, Epoch: head.Epoch, Type: typ, At: at, Event: head.Slug, Data: raw}
		return nil
	})
	return env, err
}

// LiveSince returns the event's durable envelopes with seq > since in seq
// order, at most limit of them (limit ≤ 0 means no limit), in one query.
// An unknown event has an empty log.
func (s *Store) LiveSince(ctx context.Context, eventID int64, since int64, limit int) ([]app.Envelope, error) {
	var rows []struct {
		Seq   int64
		Type  string
		At    time.Time
		Data  string
		Epoch string
		Slug  string
	}
	q := s.db.WithContext(ctx).Table("live_entries AS l").
		Select("l.seq, l.type, l.at, l.data, e.epoch, e.slug").
		Joins("JOIN events e ON e.id = l.event_id").
		Where("l.event_id = ? AND l.seq > ?", eventID, since).
		Order("l.seq")
	if limit > 0 {
		q = q.Limit(limit)
	}
	if err := q.Find(&rows).Error; err != nil {
		return nil, s.fail(ctx, err, "read live log", on{})
	}
	out := make([]app.Envelope, len(rows))
	for i, r := range rows {
		out[i] = app.Envelope{
			Seq: r.Seq, Epoch: r.Epoch, Type: r.Type, At: r.At.UTC(),
			Event: r.Slug, Data: json.RawMessage(r.Data),
		}
	}
	return out, nil
}

// LastSeqExcept returns the seq of the event's latest live envelope whose
// type is not one of types (0 when there is none). It walks the log's
// (event_id, seq) index from the end and stops at the first such entry.
func (s *Store) LastSeqExcept(ctx context.Context, eventID int64, types []string) (int64, error) {
	var seqs []int64
	q := s.db.WithContext(ctx).Table("live_entries").Where("event_id = ?", eventID)
	if len(types) > 0 {
		q = q.Where("type NOT IN ?", types)
	}
	if err := q.Order("seq DESC").Limit(1).Pluck("seq", &seqs).Error; err != nil {
		return 0, s.fail(ctx, err, "read live log", on{})
	}
	if len(seqs) == 0 {
		return 0, nil
	}
	return seqs[0], nil
}

// LastSeq returns the seq of the event's latest live envelope (0 for an
// empty log) and the log's epoch, or ENotFound.
func (s *Store) LastSeq(ctx context.Context, eventID int64) (int64, string, error) {
	var r eventRow
	err := s.db.WithContext(ctx).Select("last_seq", "epoch").Where("id = ?", eventID).Take(&r).Error
	if err != nil {
		return 0, "", s.fail(ctx, err, "get last seq", on{notFound: notFound("event %d not found", eventID)})
	}
	return r.LastSeq, r.Epoch, nil
}
