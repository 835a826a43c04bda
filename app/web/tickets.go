package web

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/app/qrcode"
)

// Printed tickets: an A4 sheet per attendee (the event, the guest's name,
// organization and category, the QR code of the signed ticket, and how to
// use it in each of the event's languages) or name badges, ten to an A4
// page. The page /e/{slug}/tickets serves them to organizers; the tickets
// command writes the same document to a file. Both are HTML laid out for
// print (@page A4, one page break per sheet or per ten badges): a browser
// prints them, or saves them as PDF.

// Layouts of a printout.
const (
	// LayoutSheet is one A4 page per attendee.
	LayoutSheet = "sheet"
	// LayoutBadges is name badges of 90 × 55 mm, BadgesPerPage to an A4
	// page, with cut lines.
	LayoutBadges = "badges"
)

// BadgesPerPage is how many badges an A4 page holds: two across, five
// down.
const BadgesPerPage = 10

// MaxPrintTickets bounds one printout served by the pages (each ticket is
// a QR image inside the document); the tickets command has no bound.
const MaxPrintTickets = 2000

// TicketsOptions says how WriteTickets lays a printout out.
type TicketsOptions struct {
	// Layout is LayoutSheet or LayoutBadges.
	Layout string
	// Lang is the language of the printout's title and labels (zh, en,
	// hu); anything else means the event's first language. The
	// instructions are printed in every language of the event.
	Lang string
	// Stylesheet is the URL of the print stylesheet the document links
	// (the served page, whose policy forbids inline styles); empty puts
	// the stylesheet inside the document, for a file opened from disk.
	Stylesheet string
	// Script is the URL of the page's script (the Print button); empty
	// means none.
	Script string
	// Toolbar is the screen-only bar above the pages (layout links,
	// counts, Print); nil means none.
	Toolbar *TicketsToolbar
}

// TicketsToolbar is what the served page shows above the printout (never
// printed).
type TicketsToolbar struct {
	SheetURL, BadgesURL, ConsoleURL string
}

// printKit is the template, stylesheet and dictionary of printouts,
// loaded once.
var printKit struct {
	once sync.Once
	tpl  *template.Template
	css  template.CSS
	dict dictionary
	err  error
}

func loadPrintKit() error {
	printKit.once.Do(func() {
		printKit.tpl, printKit.err = template.New("tickets.html").ParseFS(templates, "templates/tickets.html")
		if printKit.err != nil {
			return
		}
		b, err := static.ReadFile("static/css/tickets.css")
		if err != nil {
			printKit.err = err
			return
		}
		printKit.css = template.CSS(b)
		printKit.dict, printKit.err = loadDictionary()
	})
	return printKit.err
}

// ticketCard is one attendee as a sheet or a badge shows them.
type ticketCard struct {
	ID, Name, Organization, Country string
	Category, CategoryLabel         string
	QR                              template.URL // data: URL of the PNG
	QRAlt                           string
}

// instruction is the how-to line in one language.
type instruction struct {
	Lang, HTMLLang, Text string
}

// ticketDoc is what templates/tickets.html sees.
type ticketDoc struct {
	Lang, HTMLLang, Title, Layout string
	Stylesheet, Script            string
	CSS                           template.CSS
	Toolbar                       *TicketsToolbar
	Labels                        map[string]string

	EventTitle   string
	EventOthers  []instruction // the title in the event's other languages
	Venue, When  string
	Instructions []instruction
	Cards        []ticketCard   // sheets
	Pages        [][]ticketCard // badges, BadgesPerPage to a page
	Count        string
	Revoked      string // "left out, revoked: …", or ""
}

// WriteTickets writes the printout of sel's tickets as one HTML document.
// A layout other than LayoutSheet or LayoutBadges, or a ticket text too
// long for a QR code, is an error, and nothing is written.
func WriteTickets(w io.Writer, sel *app.TicketSelection, opt TicketsOptions) error {
	if opt.Layout != LayoutSheet && opt.Layout != LayoutBadges {
		return fmt.Errorf("layout must be %s or %s, not %q", LayoutSheet, LayoutBadges, opt.Layout)
	}
	if err := loadPrintKit(); err != nil {
		return err
	}
	d := printKit.dict
	ev := sel.Event
	var evLangs []string
	for _, l := range ev.Languages {
		if validLang(l) {
			evLangs = append(evLangs, l)
		}
	}
	if len(evLangs) == 0 {
		evLangs = []string{"en"}
	}
	lang := opt.Lang
	if !validLang(lang) {
		lang = evLangs[0]
	}
	doc := ticketDoc{Lang: lang, HTMLLang: htmlLang[lang], Layout: opt.Layout, Stylesheet: opt.Stylesheet, Script: opt.Script, Toolbar: opt.Toolbar,
		EventTitle: ev.Title.In(lang), Venue: ev.Venue.In(lang)}
	if opt.Stylesheet == "" {
		doc.CSS = printKit.css
	}
	layoutKey := "print.sheets"
	if opt.Layout == LayoutBadges {
		layoutKey = "print.badges"
	}
	doc.Title = d.text(lang, layoutKey) + " · " + doc.EventTitle
	doc.Labels = map[string]string{}
	for _, k := range []string{"print.sheets", "print.badges", "print.print", "print.help", "print.empty", "print.console"} {
		doc.Labels[k] = d.text(lang, k)
	}
	seen := map[string]bool{doc.EventTitle: true}
	for _, l := range evLangs {
		doc.Instructions = append(doc.Instructions, instruction{Lang: l, HTMLLang: htmlLang[l], Text: d.text(l, "print.instructions")})
		if t := ev.Title.In(l); !seen[t] {
			seen[t] = true
			doc.EventOthers = append(doc.EventOthers, instruction{Lang: l, HTMLLang: htmlLang[l], Text: t})
		}
	}
	zone := loadZone(ev.VenueTZ)
	start, end := ev.StartsAt.In(zone), ev.EndsAt.In(zone)
	doc.When = dayLabel(lang, start) + " " + strconv.Itoa(start.Year())
	if !sameDay(start, end) {
		doc.When = dayLabel(lang, start) + " – " + dayLabel(lang, end) + " " + strconv.Itoa(end.Year())
	}
	for _, tk := range sel.Tickets {
		png, err := qrcode.PNG(tk.Ticket)
		if err != nil {
			return fmt.Errorf("QR code for attendee %s: %w", tk.Attendee.ID, err)
		}
		a := tk.Attendee
		doc.Cards = append(doc.Cards, ticketCard{ID: a.ID, Name: a.Name, Organization: a.Organization, Country: a.Country,
			Category: a.Category, CategoryLabel: d.label(lang, "category.", a.Category),
			QR:    template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)),
			QRAlt: d.format(lang, "print.qrAlt", map[string]string{"name": a.Name})})
	}
	if opt.Layout == LayoutBadges {
		for i := 0; i < len(doc.Cards); i += BadgesPerPage {
			doc.Pages = append(doc.Pages, doc.Cards[i:min(i+BadgesPerPage, len(doc.Cards))])
		}
	}
	doc.Count = d.format(lang, "print.count", map[string]string{"n": strconv.Itoa(len(sel.Tickets))})
	if len(sel.Revoked) > 0 {
		names := make([]string, len(sel.Revoked))
		for i, a := range sel.Revoked {
			names[i] = a.Name
		}
		doc.Revoked = d.format(lang, "print.revoked", map[string]string{"n": strconv.Itoa(len(names)), "names": strings.Join(names, ", ")})
	}
	var buf bytes.Buffer
	if err := printKit.tpl.Execute(&buf, doc); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// ticketsQuery is the filter of a printout's address: category, q and
// ids (comma-separated).
func ticketsQuery(c *fiber.Ctx) app.TicketFilter {
	f := app.TicketFilter{Category: c.Query("category"), Query: c.Query("q")}
	for _, id := range strings.Split(c.Query("ids"), ",") {
		if id = strings.TrimSpace(id); id != "" {
			f.IDs = append(f.IDs, id)
		}
	}
	return f
}

// tickets serves GET /e/{slug}/tickets?layout=sheet|badges&category=&q=&ids=
// to organizers: the printout of the tickets the filter selects.
func (p *pages) tickets(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(context.Background(), 4*lookupTimeout)
	defer cancel()
	ev, ok, err := p.event(c, ctx)
	if !ok {
		return err
	}
	pr, ok, err := p.gate(c, ctx, app.Principal.CanOrganize)
	if !ok {
		return err
	}
	layout := c.Query("layout", LayoutSheet)
	if layout != LayoutSheet && layout != LayoutBadges {
		return p.refusal(c, fiber.StatusBadRequest, "layout must be sheet or badges")
	}
	sel, err := p.svc.SelectTickets(ctx, pr, ev.Slug, ticketsQuery(c))
	switch app.ErrorCode(err) {
	case "":
	case app.EBadRequest, app.EInvalid:
		return p.refusal(c, fiber.StatusBadRequest, app.ErrorMessage(err))
	case app.ENotFound:
		return p.refusal(c, fiber.StatusNotFound, app.ErrorMessage(err))
	default:
		p.log.Warn("web: selecting tickets", "event", ev.Slug, "err", err)
		return p.errorPage(c, fiber.StatusServiceUnavailable, "error.unavailable.title", "error.unavailable.text")
	}
	lang := chooseLang(c.Query("lang"), c.Cookies(langCookie), c.Get(fiber.HeaderAcceptLanguage))
	if len(sel.Tickets) > MaxPrintTickets {
		return p.refusal(c, fiber.StatusBadRequest, p.dict.format(lang, "print.tooMany",
			map[string]string{"n": strconv.Itoa(len(sel.Tickets)), "max": strconv.Itoa(MaxPrintTickets)}))
	}
	other := func(l string) string {
		q := url.Values{}
		c.Context().QueryArgs().VisitAll(func(k, v []byte) { q.Set(string(k), string(v)) })
		q.Set("layout", l)
		return "/e/" + url.PathEscape(ev.Slug) + "/tickets?" + q.Encode()
	}
	var buf bytes.Buffer
	err = WriteTickets(&buf, sel, TicketsOptions{Layout: layout, Lang: c.Query("lang"),
		Stylesheet: p.assets.base() + "css/tickets.css", Script: p.assets.base() + "js/tickets.js",
		Toolbar: &TicketsToolbar{SheetURL: other(LayoutSheet), BadgesURL: other(LayoutBadges), ConsoleURL: "/console?event=" + url.QueryEscape(ev.Slug) + "#setup"}})
	if err != nil {
		p.log.Error("web: rendering tickets", "event", ev.Slug, "err", err)
		c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
		return c.Status(fiber.StatusInternalServerError).SendString("internal error")
	}
	setSecurityHeadersFramedBy(c, "")
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Send(buf.Bytes())
}

// refusal is the error page of a request the page cannot answer, with
// the reason (a message for the reader) under a general heading.
func (p *pages) refusal(c *fiber.Ctx, status int, message string) error {
	d := p.newData(c, "error")
	d.Status, d.Heading, d.Message = status, d.T("error.badrequest.title"), message
	if status == fiber.StatusNotFound {
		d.Heading = d.T("error.notfound.title")
	}
	d.Title = d.Heading
	return p.render(c, status, d, true)
}
