package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"sync/atomic"
)

// announcer posts announcements: each one makes exactly one durable
// announcement.posted envelope whose data.id is the id in the answer.
type announcer struct {
	api   *apiClient
	base  *url.URL
	event string
	runID string
}

type announcementText struct {
	ZH string `json:"zh"`
	EN string `json:"en"`
	HU string `json:"hu"`
}

type announcementIn struct {
	Text   announcementText `json:"text"`
	Pinned bool             `json:"pinned"`
}

// post sends announcement number k and returns its id.
func (a *announcer) post(ctx context.Context, label string, k int) (int64, error) {
	t := fmt.Sprintf("loadgen %s %s #%d", a.runID, label, k+1)
	var out struct {
		ID *int64 `json:"id"`
	}
	u := a.base.JoinPath("api/v1/events", a.event, "announcements").String()
	if err := a.api.do(ctx, "POST", u, announcementIn{Text: announcementText{ZH: t, EN: t, HU: t}}, &out); err != nil {
		return 0, err
	}
	if out.ID == nil {
		return 0, errors.New("announcement answer has no id")
	}
	return *out.ID, nil
}

// advancer moves a showcase session through its slots: each advance makes
// one durable showcase.updated envelope (besides session.updated and
// possibly schedule.shifted, which the run does not count).
type advancer struct {
	api       *apiClient
	base      *url.URL
	event     string
	sessionID int64 // 0: pick the event's first showcase session that has not ended

	current   int64        // id of the slot presenting now; 0 when none
	slot      atomic.Int64 // current, for readers on other goroutines (--questions-rate)
	remaining int          // advances possible before the showcase runs out
	prepared  []string
}

type idOnly struct {
	ID int64 `json:"id"`
}

type showcaseView struct {
	Session struct {
		ID    int64  `json:"id"`
		State string `json:"state"`
	} `json:"session"`
	Slots []struct {
		ID    int64  `json:"id"`
		State string `json:"state"`
	} `json:"slots"`
	Current *idOnly `json:"current"`
}

// prepare finds the showcase session, starts it if it is scheduled (or
// resumes it if paused) and reads the presenting slot. Run it before the
// viewers connect so that their snapshots already hold these changes.
func (a *advancer) prepare(ctx context.Context) error {
	if a.sessionID == 0 {
		var list struct {
			Sessions []struct {
				ID    int64  `json:"id"`
				Kind  string `json:"kind"`
				State string `json:"state"`
			} `json:"sessions"`
		}
		if err := a.api.do(ctx, "GET", a.base.JoinPath("api/v1/events", a.event, "sessions").String(), nil, &list); err != nil {
			return fmt.Errorf("listing sessions: %w", err)
		}
		for _, s := range list.Sessions {
			if s.Kind == "showcase" && s.State != "ended" && s.State != "cancelled" {
				a.sessionID = s.ID
				break
			}
		}
		if a.sessionID == 0 {
			return fmt.Errorf("event %q has no showcase session that has not ended (pass --session)", a.event)
		}
	}
	sc, err := a.showcase(ctx)
	if err != nil {
		return err
	}
	action := map[string]string{"scheduled": "start", "paused": "resume"}[sc.Session.State]
	if action != "" {
		u := a.base.JoinPath("api/v1/sessions", strconv.FormatInt(a.sessionID, 10), action).String()
		if err := a.api.do(ctx, "POST", u, struct{}{}, nil); err != nil {
			return fmt.Errorf("%s session %d: %w", action, a.sessionID, err)
		}
		a.prepared = append(a.prepared, fmt.Sprintf("%s session %d", action, a.sessionID))
		if sc, err = a.showcase(ctx); err != nil {
			return err
		}
	}
	if sc.Session.State != "live" {
		return fmt.Errorf("showcase session %d is %s, not live", a.sessionID, sc.Session.State)
	}
	a.setCurrent(sc)
	if a.current == 0 {
		return fmt.Errorf("showcase session %d has no slot presenting (all done?): nothing to advance", a.sessionID)
	}
	return nil
}

func (a *advancer) showcase(ctx context.Context) (*showcaseView, error) {
	var sc showcaseView
	u := a.base.JoinPath("api/v1/sessions", strconv.FormatInt(a.sessionID, 10), "showcase").String()
	if err := a.api.do(ctx, "GET", u, nil, &sc); err != nil {
		return nil, fmt.Errorf("reading showcase of session %d: %w", a.sessionID, err)
	}
	return &sc, nil
}

func (a *advancer) setCurrent(sc *showcaseView) {
	a.current, a.remaining = 0, 0
	if sc.Current != nil {
		a.current = sc.Current.ID
		a.remaining = 1
	}
	a.slot.Store(a.current)
	for _, s := range sc.Slots {
		if s.State == "pending" {
			a.remaining++
		}
	}
}

// errShowcaseDone stops the broadcasts when no slot is left to advance.
var errShowcaseDone = errors.New("the showcase has no presenting slot left to advance")

// advance finishes the presenting slot and puts the next on stage. After
// a conflict (someone else advanced) it re-reads the presenting slot so
// the next advance can succeed.
func (a *advancer) advance(ctx context.Context) error {
	if a.current == 0 {
		return errShowcaseDone
	}
	var sc showcaseView
	u := a.base.JoinPath("api/v1/sessions", strconv.FormatInt(a.sessionID, 10), "showcase/advance").String()
	err := a.api.do(ctx, "POST", u, map[string]int64{"expected_slot_id": a.current}, &sc)
	if err != nil {
		var he *httpError
		if errors.As(err, &he) && he.Status == 409 {
			if fresh, ferr := a.showcase(ctx); ferr == nil {
				a.setCurrent(fresh)
			}
		}
		return err
	}
	a.setCurrent(&sc)
	return nil
}
