package web

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/hybridcon/hybridcon/app"
)

// The pages of the live programme: the event's live page (every stage),
// a stage's live page, hall screen and presenter timer, the foyer screen
// and the embeddable schedule. Each is rendered with what is on now (see
// programme.go) so that it reads without scripts.

// liveState returns the event's current live state: the snapshot of the
// configured source (the hub's cache), else one built from the database,
// with its programme and the achievements of its catalogue.
func (p *pages) liveState(ctx context.Context, slug string) (*app.LiveState, error) {
	var data json.RawMessage
	if p.cfg.Snapshot != nil {
		raw, err := p.cfg.Snapshot(ctx, slug)
		if err != nil {
			return nil, err
		}
		var env struct {
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(raw, &env); err != nil {
			return nil, err
		}
		data = env.Data
	} else {
		env, err := p.svc.Snapshot(ctx, slug)
		if err != nil {
			return nil, err
		}
		data = env.Data
	}
	var st app.LiveState
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, err
	}
	// The event, sessions and run-of-shows are in the programme the
	// snapshot names (kept by version, shared by every page).
	if err := p.svc.FillProgramme(ctx, slug, &st); err != nil {
		return nil, err
	}
	// The snapshot names achievements by id; their titles come from the
	// catalogue (built at most once a second, shared by every page).
	doc, err := p.svc.Catalogue(ctx, slug, st.Catalogue)
	if err != nil {
		return nil, err
	}
	var cat app.Catalogue
	if err := json.Unmarshal(doc.JSON, &cat); err != nil {
		return nil, err
	}
	st.Achievements = cat.Achievements
	return &st, nil
}

// programmePage looks up the event and its live state and fills the data
// every programme page has; ok false when it answered itself (404, 503).
func (p *pages) programmePage(c *fiber.Ctx, ctx context.Context, page string) (d *pageData, st *app.LiveState, ok bool, err error) {
	ev, ok, err := p.event(c, ctx)
	if !ok {
		return nil, nil, false, err
	}
	st, err = p.liveState(ctx, ev.Slug)
	if err != nil {
		p.log.Warn("web: reading the live state", "event", ev.Slug, "err", err)
		return nil, nil, false, p.errorPage(c, fiber.StatusServiceUnavailable, "error.unavailable.title", "error.unavailable.text")
	}
	d = p.newData(c, page)
	d.Slug, d.EventTitle, d.Venue = ev.Slug, ev.Title.In(d.Lang), ev.Venue.In(d.Lang)
	d.Title = d.EventTitle
	if stage := c.Params("stage"); stage != "" || strings.Contains(c.Route().Path, ":stage") {
		i := slices.IndexFunc(st.Stages, func(s app.StageNow) bool { return s.Slug == stage })
		if i < 0 {
			return nil, nil, false, p.errorPage(c, fiber.StatusNotFound, "error.notfound.title", "error.notfound.text")
		}
		d.Stage, d.StageName = st.Stages[i].Slug, st.Stages[i].Name.In(d.Lang)
		d.Title = d.StageName + " · " + d.EventTitle
	}
	if c.Query("screen") == "1" {
		d.Class = "screen"
	}
	d.Prog = p.buildProgramme(progInput{lang: d.Lang, now: p.svc.Now(), region: p.regionOf(d.Lang), stage: d.Stage, state: st})
	return d, st, true, nil
}

// regionOf guesses the stream region of a reader of lang before the
// page's script knows better (it remembers the reader's choice).
func (p *pages) regionOf(lang string) string {
	r := map[string]string{"zh": "cn", "hu": "hu"}[lang]
	if slices.Contains(p.cfg.Regions, r) {
		return r
	}
	return ""
}

// pageCtx is a page's deadline for its database and snapshot work.
func pageCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), lookupTimeout)
}

// programmeHandler serves a programme page: page is its template, and
// fill (when not nil) sets what is particular to it.
func (p *pages) programmeHandler(page string, fill func(d *pageData)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, cancel := pageCtx()
		defer cancel()
		d, _, ok, err := p.programmePage(c, ctx, page)
		if !ok {
			return err
		}
		if fill != nil {
			fill(d)
		}
		return p.render(c, fiber.StatusOK, d, false)
	}
}

// live serves /e/{slug} (every stage side by side) and /e/{slug}/s/{stage}
// (one stage's live page and, with ?screen=1, its hall screen).
func (p *pages) live() fiber.Handler { return p.programmeHandler("live", nil) }

// timer serves /e/{slug}/s/{stage}/timer: the presenter timer.
func (p *pages) timer() fiber.Handler {
	return p.programmeHandler("timer", func(d *pageData) {
		d.Class = "screen timer-page"
		d.Title = p.dict.text(d.Lang, "timer.title") + " · " + d.StageName
	})
}

// foyer serves /e/{slug}/foyer: the whole day across stages.
func (p *pages) foyer() fiber.Handler {
	return p.programmeHandler("foyer", func(d *pageData) {
		d.Class = "screen foyer-page"
		d.Title = p.dict.text(d.Lang, "foyer.title") + " · " + d.EventTitle
	})
}

// embed serves /e/{slug}/embed: the schedule for other sites' pages, which
// only the configured origins may frame.
func (p *pages) embed() fiber.Handler {
	return p.programmeHandler("embed", func(d *pageData) {
		d.Frame = strings.Join(p.cfg.EmbedOrigins, " ")
		d.Class = "embed-page"
	})
}

// calendar serves the programme as iCalendar: the event's
// (/e/{slug}/programme.ics) or one stage's (/e/{slug}/s/{stage}/…).
func (p *pages) calendar(c *fiber.Ctx) error {
	ctx, cancel := pageCtx()
	defer cancel()
	ev, ok, err := p.event(c, ctx)
	if !ok {
		return err
	}
	stages, err := p.svc.Stages(ctx, ev.Slug)
	if err == nil {
		var sessions []app.Session
		if sessions, err = p.svc.Sessions(ctx, ev.Slug); err == nil {
			stage := utils.CopyString(c.Params("stage"))
			if stage != "" && !slices.ContainsFunc(stages, func(s app.Stage) bool { return s.Slug == stage }) {
				return p.errorPage(c, fiber.StatusNotFound, "error.notfound.title", "error.notfound.text")
			}
			lang := chooseLang(c.Query("lang"), c.Cookies(langCookie), c.Get(fiber.HeaderAcceptLanguage))
			base := c.BaseURL()
			kind := func(k string) string { return p.dict.label(lang, "kind.", k) }
			body, err := calendarOf(calendarInput{event: ev, stages: stages, sessions: sessions, stage: stage, lang: lang, base: base, now: time.Now(), kind: kind})
			if err == nil {
				name := ev.Slug
				if stage != "" {
					name += "-" + stage
				}
				c.Set(fiber.HeaderContentType, "text/calendar; charset=utf-8")
				c.Set(fiber.HeaderContentDisposition, `inline; filename="`+name+`.ics"`)
				c.Set(fiber.HeaderCacheControl, "no-cache")
				c.Set("X-Content-Type-Options", "nosniff")
				return c.SendString(body)
			}
		}
	}
	p.log.Warn("web: building a calendar", "event", ev.Slug, "err", err)
	return p.errorPage(c, fiber.StatusServiceUnavailable, "error.unavailable.title", "error.unavailable.text")
}
