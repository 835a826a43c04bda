package web

import (
	"context"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/hybridcon/hybridcon/app"
)

// The pages of technology transfer: a participant's personal page
// (/p/{ticket}: the signed ticket is the credential) and a team's page
// (/t/{token}: the team link), each with its meetings as an iCalendar
// file a calendar program can subscribe to (…/meetings.ics). A forged or
// unknown credential is a 404 page, a revoked ticket a 403 page; nothing
// is written. The credential stays in the path: the pages send no
// Referer anywhere (an online room's link must not learn it), are never
// stored by caches and ask search engines not to index them. Their
// scripts call the API with "Authorization: Ticket <credential>".

func init() {
	pageNames = append(pageNames, "participant", "team")
	pageStrings["participant"] = []string{"common.", "conn.", "tz.", "time.", "kind.", "state.", "transfer."}
	pageStrings["team"] = []string{"common.", "conn.", "tz.", "time.", "transfer."}
}

// mountTransfer registers the participant and team pages.
func (p *pages) mountTransfer(r fiber.Router) {
	r.Get("/p/:ticket", p.holderPage("participant"))
	r.Get("/p/:ticket/meetings.ics", p.holderCalendar("participant"))
	r.Get("/t/:ticket", p.holderPage("team"))
	r.Get("/t/:ticket/meetings.ics", p.holderCalendar("team"))
}

// holder authenticates the credential in the path for a page of kind
// (participant or team), answering the 404, 403 or 503 page itself when
// it cannot (ok false).
func (p *pages) holder(c *fiber.Ctx, ctx context.Context, kind string) (pr app.Principal, ok bool, err error) {
	pr, err = p.svc.AuthenticateTicket(ctx, utils.CopyString(c.Params("ticket")))
	switch {
	case app.ErrorCode(err) == app.EForbidden:
		return pr, false, p.errorPage(c, fiber.StatusForbidden, "transfer.revoked.title", "transfer.revoked.text")
	case app.ErrorCode(err) == app.EUnauthorized,
		err == nil && (kind == "participant") != (pr.Party.Attendee != nil):
		return pr, false, p.errorPage(c, fiber.StatusNotFound, "error.notfound.title", "transfer.notfound.text")
	case err != nil:
		p.log.Warn("web: checking a ticket", "err", err)
		return pr, false, p.errorPage(c, fiber.StatusServiceUnavailable, "error.unavailable.title", "error.unavailable.text")
	}
	return pr, true, nil
}

// privateHeaders marks an answer that carries a credential in its URL.
func privateHeaders(c *fiber.Ctx) {
	c.Set("Referrer-Policy", "no-referrer")
	c.Set("X-Robots-Tag", "noindex, nofollow")
	c.Set(fiber.HeaderCacheControl, "no-store")
}

// withHolder serves a page of kind for the credential in the path: it
// answers the error pages itself and marks every answer private.
func (p *pages) withHolder(kind string, serve func(c *fiber.Ctx, ctx context.Context, pr app.Principal) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
		defer cancel()
		defer privateHeaders(c)
		pr, ok, err := p.holder(c, ctx, kind)
		if !ok {
			return err
		}
		return serve(c, ctx, pr)
	}
}

func (p *pages) holderPage(kind string) fiber.Handler {
	return p.withHolder(kind, func(c *fiber.Ctx, ctx context.Context, pr app.Principal) error {
		ev, err := p.svc.Event(ctx, pr.Party.Slug)
		if err != nil {
			p.log.Warn("web: reading an event", "err", err)
			return p.errorPage(c, fiber.StatusServiceUnavailable, "error.unavailable.title", "error.unavailable.text")
		}
		d := p.newData(c, kind)
		d.Slug, d.EventTitle, d.Venue, d.User, d.Role = ev.Slug, ev.Title.In(d.Lang), ev.Venue.In(d.Lang), pr.Name, pr.Role
		d.Title = pr.Name + " · " + d.EventTitle
		return p.render(c, fiber.StatusOK, d, true)
	})
}

func (p *pages) holderCalendar(kind string) fiber.Handler {
	return p.withHolder(kind, func(c *fiber.Ctx, ctx context.Context, pr app.Principal) error {
		lang := c.Query("lang")
		if !validLang(lang) {
			lang = chooseLang("", c.Cookies(langCookie), c.Get(fiber.HeaderAcceptLanguage))
		}
		b, err := p.svc.MeetingsICS(ctx, pr, pr.Party.Slug, lang)
		if err != nil {
			p.log.Warn("web: a meetings calendar", "err", err)
			return p.errorPage(c, fiber.StatusServiceUnavailable, "error.unavailable.title", "error.unavailable.text")
		}
		c.Set(fiber.HeaderContentType, "text/calendar; charset=utf-8")
		c.Set(fiber.HeaderContentDisposition, `inline; filename="meetings.ics"`)
		return c.Send(b)
	})
}
