package app

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Stage is a room (or track) of an event where one session runs at a
// time: the main hall, a parallel forum. Slug names it in URLs and in
// sessions and never changes once created; Position orders stages on the
// pages. Each stage has its own now / next, expected times, pages and
// stream links.
type Stage struct {
	ID       int64  `json:"-"`
	EventID  int64  `json:"-"`
	Slug     string `json:"slug"`
	Name     Text   `json:"name"`
	Position int    `json:"position"`
	// StreamLinks maps a region (one of the deployment's regions) to the
	// live stream of this stage for viewers there; "default" serves the
	// other regions. A session may override them (EffectiveStreamLinks).
	StreamLinks map[string]string `json:"stream_links"`
	CreatedAt   time.Time         `json:"created_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
}

// StageRepo is what the stage use cases read and write beyond the
// sessions. Implementations return ENotFound for an unknown stage and
// EConflict for a slug taken in the event or for deleting a stage that
// sessions still use.
type StageRepo interface {
	// ListStages returns the event's stages by position, then id.
	ListStages(ctx context.Context, eventID int64) ([]Stage, error)
	// StageBySlug returns the event's stage with slug, or ENotFound.
	StageBySlug(ctx context.Context, eventID int64, slug string) (*Stage, error)
	// CreateStage inserts st and fills its ID and timestamps.
	CreateStage(ctx context.Context, st *Stage) error
	// UpdateStage writes st's name, position and stream links by ID.
	UpdateStage(ctx context.Context, st *Stage) error
	// DeleteStage deletes the stage with id; EConflict while a session
	// is on it.
	DeleteStage(ctx context.Context, id int64) error
}

// DefaultStageSlug is the stage every new event gets, and the one that
// existing sessions without a stage moved to (storage migration 6).
const DefaultStageSlug = "main"

// DefaultStageName is the name of the default stage.
var DefaultStageName = Text{ZH: "主会场", EN: "Main hall", HU: "Nagyterem"}

// StageInput creates or changes a stage; nil fields are left alone on a
// change. The slug is set on creation only.
type StageInput struct {
	Slug        *string            `json:"slug"`
	Name        *Text              `json:"name"`
	Position    *int               `json:"position"`
	StreamLinks *map[string]string `json:"stream_links"`
}

// MaxStages bounds the stages of one event.
const MaxStages = 200

func (in StageInput) apply(st *Stage) error {
	if in.Name != nil {
		st.Name = trimText(*in.Name)
	}
	if in.Position != nil {
		st.Position = *in.Position
	}
	if in.StreamLinks != nil {
		st.StreamLinks = trimLinks(*in.StreamLinks)
	}
	if !ValidSlug(st.Slug) {
		return Errorf(EInvalid, "slug must be 1–64 lower-case letters, digits and inner hyphens (e.g. main, forum-b)")
	}
	if err := validateText("name", st.Name, true, 100); err != nil {
		return err
	}
	if st.Position < 0 || st.Position > 10000 {
		return Errorf(EInvalid, "position must be from 0 to 10000")
	}
	return validateStreamLinks(st.StreamLinks)
}

// trimLinks copies links with keys and values trimmed.
func trimLinks(links map[string]string) map[string]string {
	out := make(map[string]string, len(links))
	for k, v := range links {
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return out
}

// validateStreamLinks checks a region → URL map of a stage or session.
func validateStreamLinks(links map[string]string) error {
	if len(links) > 16 {
		return Errorf(EInvalid, "at most 16 stream links")
	}
	for region, link := range links {
		if region == "" || len(region) > 16 {
			return Errorf(EInvalid, "stream_links keys are regions such as cn, hu or default")
		}
		u, err := url.Parse(link)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(link) > 500 {
			return Errorf(EInvalid, "stream_links.%s must be an absolute http(s) URL", region)
		}
	}
	return nil
}

// EffectiveStreamLinks is what a session on a stage streams to: the
// stage's links with the session's own laid over them key by key. A
// viewer in region r watches links[r], else links["default"].
func EffectiveStreamLinks(stage, session map[string]string) map[string]string {
	out := make(map[string]string, len(stage)+len(session))
	for k, v := range stage {
		out[k] = v
	}
	for k, v := range session {
		out[k] = v
	}
	return out
}

// StagesUpdate is the data of a stages.updated envelope: every stage of
// the event as it now stands, in order. It replaces the client's list.
type StagesUpdate struct {
	Stages []Stage `json:"stages"`
}

// Stages returns the event's stages in order.
func (s *Service) Stages(ctx context.Context, slug string) ([]Stage, error) {
	id, err := s.eventID(ctx, slug)
	if err != nil {
		return nil, err
	}
	return s.store.ListStages(ctx, id)
}

// Stage returns one stage of the event, or ENotFound.
func (s *Service) Stage(ctx context.Context, slug, stage string) (*Stage, error) {
	id, err := s.eventID(ctx, slug)
	if err != nil {
		return nil, err
	}
	if !ValidSlug(stage) {
		return nil, Errorf(ENotFound, "stage %q not found", stage)
	}
	return s.store.StageBySlug(ctx, id, stage)
}

// CreateStage adds a stage to an event; without a position it goes last.
func (s *Service) CreateStage(ctx context.Context, p Principal, slug string, in StageInput) (*Stage, error) {
	if err := s.checkStreamRegions(in.StreamLinks); err != nil {
		return nil, err
	}
	st := &Stage{StreamLinks: map[string]string{}}
	if in.Slug != nil {
		st.Slug = strings.TrimSpace(*in.Slug)
	}
	return s.editStage(ctx, p, slug, "stage.create", func(r Repo, eventID int64, stages []Stage) (*Stage, *Stage, error) {
		if len(stages) >= MaxStages {
			return nil, nil, Errorf(EInvalid, "an event has at most %d stages", MaxStages)
		}
		if in.Position == nil {
			for _, x := range stages {
				st.Position = max(st.Position, x.Position+1)
			}
			if len(stages) == 0 {
				st.Position = 1
			}
		}
		if err := in.apply(st); err != nil {
			return nil, nil, err
		}
		st.EventID = eventID
		st.CreatedAt, st.UpdatedAt = s.Now(), s.Now()
		if err := r.CreateStage(ctx, st); err != nil {
			if ErrorCode(err) == EConflict {
				return nil, nil, Errorf(EConflict, "a stage with slug %q already exists in this event", st.Slug)
			}
			return nil, nil, err
		}
		return nil, st, nil
	})
}

// UpdateStage changes a stage's name, position or stream links.
func (s *Service) UpdateStage(ctx context.Context, p Principal, slug, stage string, in StageInput) (*Stage, error) {
	if in.Slug != nil && strings.TrimSpace(*in.Slug) != stage {
		return nil, Errorf(EInvalid, "the slug of a stage cannot change: pages, calendars and sessions refer to it")
	}
	if err := s.checkStreamRegions(in.StreamLinks); err != nil {
		return nil, err
	}
	return s.editStage(ctx, p, slug, "stage.update", func(r Repo, eventID int64, stages []Stage) (*Stage, *Stage, error) {
		st := findStage(stages, stage)
		if st == nil {
			return nil, nil, Errorf(ENotFound, "stage %q not found", stage)
		}
		before := *st
		if err := in.apply(st); err != nil {
			return nil, nil, err
		}
		st.UpdatedAt = s.Now()
		return &before, st, r.UpdateStage(ctx, st)
	})
}

// DeleteStage removes a stage no session is on.
func (s *Service) DeleteStage(ctx context.Context, p Principal, slug, stage string) error {
	_, err := s.editStage(ctx, p, slug, "stage.delete", func(r Repo, eventID int64, stages []Stage) (*Stage, *Stage, error) {
		st := findStage(stages, stage)
		if st == nil {
			return nil, nil, Errorf(ENotFound, "stage %q not found", stage)
		}
		sessions, err := r.ListSessions(ctx, eventID)
		if err != nil {
			return nil, nil, err
		}
		var on []int64
		for _, se := range sessions {
			if se.StageID == st.ID {
				on = append(on, se.ID)
			}
		}
		if len(on) > 0 {
			return nil, nil, &Error{Code: EConflict, Message: fmt.Sprintf("%d sessions are on stage %q: move them to another stage (PATCH /api/v1/sessions/{id} with stage) first", len(on), stage),
				Details: map[string]any{"stage": stage, "session_ids": on}}
		}
		return st, nil, r.DeleteStage(ctx, st.ID)
	})
	return err
}

// stageEdit changes the stages of an event inside editStage's
// transaction and returns the stage before and after (nil when there is
// none: a creation, a deletion).
type stageEdit func(r Repo, eventID int64, stages []Stage) (before, after *Stage, err error)

// editStage runs one organizer action on an event's stages: with the
// event locked it applies fn, appends stages.updated with every stage and
// an audit entry, and publishes after commit.
func (s *Service) editStage(ctx context.Context, p Principal, slug, action string, fn stageEdit) (*Stage, error) {
	if err := p.RequireOrganizer(); err != nil {
		return nil, err
	}
	eventID, err := s.eventID(ctx, slug)
	if err != nil {
		return nil, err
	}
	var env Envelope
	var out *Stage
	err = s.store.Tx(ctx, func(r Repo) error {
		if err := r.LockEvent(ctx, eventID); err != nil {
			return err
		}
		stages, err := r.ListStages(ctx, eventID)
		if err != nil {
			return err
		}
		before, after, err := fn(r, eventID, stages)
		if err != nil {
			return err
		}
		out = after
		if env, err = appendStages(ctx, r, eventID); err != nil {
			return err
		}
		obj := after
		if obj == nil {
			obj = before
		}
		entry := &AuditEntry{EventID: &eventID, Actor: p.Name, Action: action, ObjectType: "stage", ObjectID: obj.Slug, At: s.Now()}
		if before != nil {
			entry.Before = mustJSON(before)
		}
		if after != nil {
			entry.After = mustJSON(after)
		}
		return r.AddAudit(ctx, entry)
	})
	if err != nil {
		return nil, err
	}
	s.pub.Publish(ctx, env)
	return out, nil
}

// appendStages writes stages.updated with the event's stages as they
// stand in the transaction.
func appendStages(ctx context.Context, r Repo, eventID int64) (Envelope, error) {
	stages, err := r.ListStages(ctx, eventID)
	if err != nil {
		return Envelope{}, err
	}
	return r.AppendLive(ctx, eventID, TypeStagesUpdated, StagesUpdate{Stages: stages})
}

// findStage returns a pointer to the stage with slug in stages, or nil.
func findStage(stages []Stage, slug string) *Stage {
	for i := range stages {
		if stages[i].Slug == slug {
			return &stages[i]
		}
	}
	return nil
}

// resolveStage sets sess.StageID from sess.Stage, the stage's slug; an
// empty slug takes the event's first stage. An unknown slug is EInvalid.
func resolveStage(ctx context.Context, r Repo, sess *Session) error {
	if sess.Stage == "" {
		stages, err := r.ListStages(ctx, sess.EventID)
		if err != nil {
			return err
		}
		if len(stages) == 0 {
			return Errorf(EInvalid, "the event has no stage: create one (POST /api/v1/events/{slug}/stages) first")
		}
		sess.Stage, sess.StageID = stages[0].Slug, stages[0].ID
		return nil
	}
	st, err := r.StageBySlug(ctx, sess.EventID, sess.Stage)
	if ErrorCode(err) == ENotFound {
		return Errorf(EInvalid, "stage %q does not exist in this event: create it (POST /api/v1/events/{slug}/stages) or name another", sess.Stage)
	}
	if err != nil {
		return err
	}
	sess.StageID = st.ID
	return nil
}

// requireStageFree refuses to make sess running while another session of
// its stage is live or paused: a stage shows one session at a time. The
// caller holds the event lock, so no other transaction can start one
// meanwhile; the schema's unique index is the last line of defence.
func requireStageFree(ctx context.Context, r Repo, sess *Session) error {
	sessions, err := r.ListSessions(ctx, sess.EventID)
	if err != nil {
		return err
	}
	for _, o := range sessions {
		if o.ID != sess.ID && o.StageID == sess.StageID && (o.State == StateLive || o.State == StatePaused) {
			return &Error{Code: EConflict,
				Message: fmt.Sprintf("session %d %q is %s on stage %q: end it before starting another there", o.ID, o.Title.In("en"), o.State, sess.Stage),
				Details: map[string]any{"stage": sess.Stage, "session_id": o.ID, "state": o.State}}
		}
	}
	return nil
}
