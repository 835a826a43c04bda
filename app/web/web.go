// Package web serves hybridcon's pages and their assets, all embedded in
// the binary: the events list (/), the live viewer page (/e/{slug}), the
// check-in kiosk (/e/{slug}/checkin), the organizer console (/console),
// the login page (/login), printed tickets and badges (/e/{slug}/tickets),
// and a participant's and a team's own pages (/p/{ticket}, /t/{token}).
//
// Pages are html/template shells rendered in the reader's language; their
// data comes from the JSON API and the live websocket, read by plain
// JavaScript modules under static/js (no build step, nothing loaded from
// another origin, no inline script). This package holds no business rules
// and reads nothing but the event (for 404s and titles) and the caller's
// login (for the pages that need a role).
package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/hybridcon/hybridcon/app"
)

// sessionCookie is the login cookie the API sets (api.SessionCookie).
const sessionCookie = "hc_session"

// lookupTimeout bounds the database work of one page request.
const lookupTimeout = 5 * time.Second

// Config configures the pages.
type Config struct {
	// Regions are the regions a viewer may pick for the live stream and
	// the presence count (the hub's known regions). Zero means cn and hu.
	// Viewers elsewhere pick "other", which uses each session's default
	// stream link.
	Regions []string
	// Logger receives rendering failures; nil means slog.Default().
	Logger *slog.Logger
	// Snapshot, when set, returns an event's current snapshot envelope
	// as JSON (the hub's per-node cache), which the pages render without
	// scripts; nil builds one from the database per page (tests).
	Snapshot func(ctx context.Context, slug string) ([]byte, error)
	// EmbedOrigins are the origins (scheme://host[:port]) whose pages may
	// frame the embeddable schedule /e/{slug}/embed; empty lets nobody.
	// Every other page refuses framing.
	EmbedOrigins []string
}

// pages renders the shells. It is safe for concurrent use: everything in
// it is read-only after newPages.
type pages struct {
	cfg    Config
	svc    *app.Service
	log    *slog.Logger
	assets *assetSet
	dict   dictionary
	tpl    map[string]*template.Template
}

// pageNames are the page templates; each is rendered inside layout.html.
var pageNames = []string{"events", "live", "kiosk", "console", "login", "error", "timer", "foyer", "embed"}

// Mount registers the pages and /static/* on r. It panics if the embedded
// assets or templates are broken, which is a programming error caught by
// the package's tests.
func Mount(r fiber.Router, cfg Config, svc *app.Service) {
	p, err := newPages(cfg, svc)
	if err != nil {
		panic(err)
	}
	r.Get("/static/*", p.assets.serve)
	r.Get("/", p.events)
	r.Get("/login", p.login)
	r.Get("/console", p.console)
	r.Get("/e/:slug", p.live())
	r.Get("/e/:slug/checkin", p.kiosk)
	r.Get("/e/:slug/tickets", p.tickets) // printed tickets and badges (tickets.go)
	r.Get("/e/:slug/foyer", p.foyer())
	r.Get("/e/:slug/embed", p.embed())
	r.Get("/e/:slug/programme.ics", p.calendar)
	r.Get("/e/:slug/s/:stage", p.live())
	r.Get("/e/:slug/s/:stage/timer", p.timer())
	r.Get("/e/:slug/s/:stage/programme.ics", p.calendar)
	p.mountTransfer(r) // participant and team pages (transfer.go)
}

func newPages(cfg Config, svc *app.Service) (*pages, error) {
	if len(cfg.Regions) == 0 {
		cfg.Regions = []string{"cn", "hu"}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	assets, err := loadAssets()
	if err != nil {
		return nil, fmt.Errorf("web: assets: %w", err)
	}
	dict, err := loadDictionary()
	if err != nil {
		return nil, err
	}
	p := &pages{cfg: cfg, svc: svc, log: cfg.Logger, assets: assets, dict: dict, tpl: map[string]*template.Template{}}
	for _, name := range pageNames {
		t, err := template.New(name).ParseFS(templates, "templates/layout.html", "templates/programme.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", name, err)
		}
		p.tpl[name] = t
	}
	return p, nil
}

// pageData is what a shell template sees.
type pageData struct {
	p       *pages
	Lang    string // zh, en or hu
	Page    string // events, live, kiosk, console, login, error
	Title   string // the document title
	Static  string // the assets' URL prefix, ending in "/"
	Strings string // the interface strings of Lang, as JSON, for the scripts
	Class   string // classes of <html>

	Slug       string
	EventTitle string
	Venue      string
	Regions    string // comma-separated, for the region picker
	User       string // who is logged in (kiosk, console)
	Role       string
	Next       string // login: where to go afterwards (a same-site path)

	Status  int    // error page: the HTTP status
	Heading string // error page
	Message string // error page

	// Live, stage, timer, foyer and embed pages.
	Stage     string    // the stage's slug on a stage's pages
	StageName string    // its name in Lang
	Prog      programme // what the page shows before its scripts run
	Frame     string    // embed: the frame-ancestors sources
}

// T returns the interface string key in the page's language.
func (d *pageData) T(key string) string { return d.p.dict.text(d.Lang, key) }

// HTMLLang is the value of <html lang>.
func (d *pageData) HTMLLang() string { return htmlLang[d.Lang] }

// newData fills the fields every page has.
func (p *pages) newData(c *fiber.Ctx, page string) *pageData {
	lang := chooseLang(c.Query("lang"), c.Cookies(langCookie), c.Get(fiber.HeaderAcceptLanguage))
	strs, _ := json.Marshal(p.dict.forPage(lang, page))
	return &pageData{p: p, Lang: lang, Page: page, Static: p.assets.base(), Strings: string(strs),
		Regions: strings.Join(p.cfg.Regions, ",")}
}

// render writes the page with the security headers every HTML answer
// carries. Role pages are never stored by caches.
func (p *pages) render(c *fiber.Ctx, status int, d *pageData, private bool) error {
	var buf bytes.Buffer
	if err := p.tpl[d.Page].ExecuteTemplate(&buf, "layout", d); err != nil {
		p.log.Error("web: rendering a page", "page", d.Page, "err", err)
		c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
		return c.Status(fiber.StatusInternalServerError).SendString("internal error")
	}
	setSecurityHeadersFramedBy(c, d.Frame)
	if private {
		c.Set(fiber.HeaderCacheControl, "no-store")
	} else {
		c.Set(fiber.HeaderCacheControl, "no-cache")
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderVary, "Cookie, Accept-Language")
	return c.Status(status).Send(buf.Bytes())
}

// setSecurityHeadersFramedBy sets the headers of every HTML answer: a
// content security policy that allows this origin only and no inline
// script, no MIME sniffing, no referrer to other sites, and framing only
// by the origins in frame (CSP source expressions, space-separated; ""
// frames nowhere).
func setSecurityHeadersFramedBy(c *fiber.Ctx, frame string) {
	host := string(c.Context().Host())
	connect := "'self'"
	if host != "" && !strings.ContainsAny(host, " ;,'\"") {
		// Older browsers do not let 'self' cover ws:/wss:.
		connect += " ws://" + host + " wss://" + host
	}
	ancestors := "'none'"
	if frame != "" {
		ancestors = frame
	}
	c.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src "+connect+"; media-src 'self' blob:; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors "+ancestors)
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Referrer-Policy", "same-origin")
	if frame == "" {
		c.Set("X-Frame-Options", "DENY")
	} else {
		// X-Frame-Options cannot name origins; frame-ancestors does.
		c.Response().Header.Del("X-Frame-Options")
	}
	c.Set("Permissions-Policy", "camera=(self), microphone=(), geolocation=(), payment=()")
}

// errorPage renders a page for a status with a heading and a message
// (dictionary keys).
func (p *pages) errorPage(c *fiber.Ctx, status int, headingKey, messageKey string) error {
	d := p.newData(c, "error")
	d.Status, d.Heading, d.Message = status, d.T(headingKey), d.T(messageKey)
	d.Title = d.Heading
	return p.render(c, status, d, true)
}

func (p *pages) events(c *fiber.Ctx) error {
	d := p.newData(c, "events")
	d.Title = d.T("events.title")
	return p.render(c, fiber.StatusOK, d, false)
}

func (p *pages) login(c *fiber.Ctx) error {
	d := p.newData(c, "login")
	d.Title = d.T("login.title")
	d.Next = safeNext(c.Query("next"))
	return p.render(c, fiber.StatusOK, d, true)
}

// event looks up the page's event, answering 404 or 503 itself when it
// cannot (ok false).
func (p *pages) event(c *fiber.Ctx, ctx context.Context) (ev *app.Event, ok bool, err error) {
	slug := utils.CopyString(c.Params("slug"))
	ev, err = p.svc.Event(ctx, slug)
	switch {
	case app.ErrorCode(err) == app.ENotFound:
		return nil, false, p.errorPage(c, fiber.StatusNotFound, "error.notfound.title", "error.notfound.text")
	case err != nil:
		p.log.Warn("web: looking up an event", "event", slug, "err", err)
		return nil, false, p.errorPage(c, fiber.StatusServiceUnavailable, "error.unavailable.title", "error.unavailable.text")
	}
	return ev, true, nil
}

// principal returns who is logged in through the session cookie. ok is
// false when nobody is (a missing, unknown or expired login); err is set
// when the login could not be checked.
func (p *pages) principal(c *fiber.Ctx, ctx context.Context) (pr app.Principal, ok bool, err error) {
	ck := c.Cookies(sessionCookie)
	if ck == "" {
		return pr, false, nil
	}
	pr, err = p.svc.Authenticate(ctx, ck)
	if app.ErrorCode(err) == app.EUnauthorized {
		return pr, false, nil
	}
	return pr, err == nil, err
}

// toLogin redirects (303) to the login page, which returns here after.
func toLogin(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Redirect("/login?next="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
}

// gate runs the role check of a page: it answers the redirect, the 403
// or the 503 itself and returns ok false, or returns the principal.
func (p *pages) gate(c *fiber.Ctx, ctx context.Context, allowed func(app.Principal) bool) (pr app.Principal, ok bool, err error) {
	pr, in, err := p.principal(c, ctx)
	switch {
	case err != nil:
		p.log.Warn("web: checking a login", "err", err)
		return pr, false, p.errorPage(c, fiber.StatusServiceUnavailable, "error.unavailable.title", "error.unavailable.text")
	case !in:
		return pr, false, toLogin(c)
	case !allowed(pr):
		return pr, false, p.errorPage(c, fiber.StatusForbidden, "error.forbidden.title", "error.forbidden.text")
	}
	return pr, true, nil
}

func (p *pages) kiosk(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
	defer cancel()
	ev, ok, err := p.event(c, ctx)
	if !ok {
		return err
	}
	pr, ok, err := p.gate(c, ctx, func(pr app.Principal) bool { return pr.CanCheckIn(ev.ID) })
	if !ok {
		return err
	}
	d := p.newData(c, "kiosk")
	d.Slug, d.EventTitle, d.Venue = ev.Slug, ev.Title.In(d.Lang), ev.Venue.In(d.Lang)
	d.User, d.Role = pr.Name, pr.Role
	d.Title = d.T("kiosk.title") + " · " + d.EventTitle
	return p.render(c, fiber.StatusOK, d, true)
}

func (p *pages) console(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
	defer cancel()
	pr, ok, err := p.gate(c, ctx, app.Principal.CanOrganize)
	if !ok {
		return err
	}
	d := p.newData(c, "console")
	d.User, d.Role = pr.Name, pr.Role
	d.Slug = c.Query("event")
	if !app.ValidSlug(d.Slug) {
		d.Slug = ""
	}
	d.Title = d.T("console.title")
	return p.render(c, fiber.StatusOK, d, true)
}

// safeNext returns next when it is a path on this site that a login may
// return to, and "" otherwise: it must start with one "/" (not "//" or
// "/\", which browsers treat as another host), carry no scheme, host or
// control characters, and not point into the API.
func safeNext(next string) string {
	if next == "" || len(next) > 2000 || next[0] != '/' || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return ""
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return ""
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return ""
	}
	if strings.HasPrefix(u.Path, "/api/") || strings.HasPrefix(u.Path, "/ws/") || strings.HasPrefix(u.Path, "/static/") || u.Path == "/login" {
		return ""
	}
	return next
}
