package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// stageLiner makes several stages live at once before the viewers
// connect, so a run measures the fan-out with every live stage's state in
// the snapshot (--live-stages). On each of the event's stages in order it
// starts the first scheduled session unless one is live already; when the
// event has fewer stages it adds stages "loadgen-N", each with a session
// from now to an hour later, and starts those.
type stageLiner struct {
	api   *apiClient
	base  *url.URL
	event string
	want  int

	prepared []string
}

type stageSession struct {
	ID    int64  `json:"id"`
	Stage string `json:"stage"`
	State string `json:"state"`
}

func (s *stageLiner) prepare(ctx context.Context) error {
	var stages struct {
		Stages []struct {
			Slug string `json:"slug"`
		} `json:"stages"`
	}
	if err := s.api.do(ctx, "GET", s.base.JoinPath("api/v1/events", s.event, "stages").String(), nil, &stages); err != nil {
		return fmt.Errorf("listing stages: %w", err)
	}
	var list struct {
		Sessions []stageSession `json:"sessions"`
	}
	if err := s.api.do(ctx, "GET", s.base.JoinPath("api/v1/events", s.event, "sessions").String(), nil, &list); err != nil {
		return fmt.Errorf("listing sessions: %w", err)
	}
	live := 0
	for _, st := range stages.Stages {
		if live == s.want {
			return nil
		}
		id, ok := stageToStart(list.Sessions, st.Slug)
		if !ok {
			continue
		}
		if id != 0 {
			if err := s.start(ctx, id); err != nil {
				return err
			}
		}
		live++
	}
	for n := 1; live < s.want; n++ {
		if err := s.addLiveStage(ctx, "loadgen-"+strconv.Itoa(n)); err != nil {
			return err
		}
		live++
	}
	return nil
}

// stageToStart picks what makes stage live: ok with id 0 when a session
// is live or paused on it already, else its first scheduled session; not
// ok when it has neither.
func stageToStart(sessions []stageSession, stage string) (id int64, ok bool) {
	for _, se := range sessions {
		if se.Stage == stage && (se.State == "live" || se.State == "paused") {
			return 0, true
		}
	}
	for _, se := range sessions {
		if se.Stage == stage && se.State == "scheduled" {
			return se.ID, true
		}
	}
	return 0, false
}

func (s *stageLiner) start(ctx context.Context, id int64) error {
	u := s.base.JoinPath("api/v1/sessions", strconv.FormatInt(id, 10), "start").String()
	if err := s.api.do(ctx, "POST", u, struct{}{}, nil); err != nil {
		return fmt.Errorf("starting session %d: %w", id, err)
	}
	s.prepared = append(s.prepared, fmt.Sprintf("start session %d", id))
	return nil
}

func (s *stageLiner) addLiveStage(ctx context.Context, slug string) error {
	name := map[string]string{"zh": slug, "en": slug, "hu": slug}
	err := s.api.do(ctx, "POST", s.base.JoinPath("api/v1/events", s.event, "stages").String(),
		map[string]any{"slug": slug, "name": name}, nil)
	if err != nil {
		var he *httpError
		if !errors.As(err, &he) || he.Status != 409 { // 409: left by an earlier run
			return fmt.Errorf("adding stage %s: %w", slug, err)
		}
	}
	now := time.Now().UTC().Truncate(time.Minute)
	var se idOnly
	err = s.api.do(ctx, "POST", s.base.JoinPath("api/v1/events", s.event, "sessions").String(), map[string]any{
		"title": name, "kind": "panel", "stage": slug, "mode": "online",
		"planned_start": now, "planned_end": now.Add(time.Hour),
	}, &se)
	if err != nil {
		return fmt.Errorf("adding a session on stage %s: %w", slug, err)
	}
	s.prepared = append(s.prepared, fmt.Sprintf("add stage %s with session %d", slug, se.ID))
	return s.start(ctx, se.ID)
}
