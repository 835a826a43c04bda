package web_test

import (
	"bytes"
	"encoding/base64"
	"html"
	"image/png"
	"net/url"
	"regexp"
	"strings"
	"testing"

	goqr "github.com/piglig/go-qr"

	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/app/demo"
	"github.com/hybridcon/hybridcon/app/web"
)

// printedCard is one sheet or badge of a printout: whose it is, and the
// text its QR image decodes to.
type printedCard struct {
	id, decoded string
	body        string
}

var cardRE = regexp.MustCompile(`(?s)<(section class="sheet"|article class="badge[^"]*") data-attendee="([a-z2-7]+)">(.*?)</(section|article)>`)
var qrRE = regexp.MustCompile(`<img class="[a-z]+-qr qr" src="data:image/png;base64,([^"]+)"`)

// printedCards reads the sheets (or badges) of a printout and decodes
// each QR image with an independent decoder.
func printedCards(t *testing.T, doc string) []printedCard {
	t.Helper()
	var out []printedCard
	for _, m := range cardRE.FindAllStringSubmatch(doc, -1) {
		q := qrRE.FindStringSubmatch(m[3])
		if q == nil {
			t.Fatalf("card of %s has no QR image: %.300s", m[2], m[3])
		}
		b, err := base64.StdEncoding.DecodeString(html.UnescapeString(q[1]))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("card of %s: the QR is not a PNG: %v", m[2], err)
		}
		text, err := goqr.Decode(img)
		if err != nil {
			t.Fatalf("card of %s: the QR does not decode: %v", m[2], err)
		}
		out = append(out, printedCard{id: m[2], decoded: text, body: m[3]})
	}
	return out
}

// TestTicketPrintout: organizers get A4 sheets or badges of one guest or
// a filtered list; every card names its guest and carries a QR code that
// decodes to that guest's ticket; revoked guests are left out (and named
// on screen); others are sent to the login page or refused; a bad filter
// is a 400 page and an unknown guest a 404.
func TestTicketPrintout(t *testing.T) {
	srv := startServer(t)
	all := srv.attendees(30)
	byID := map[string]app.AttendeeView{}
	for _, a := range all {
		byID[a.ID] = a
	}
	revoked := all[2]
	srv.call("PATCH", "/api/v1/attendees/"+revoked.ID, map[string]any{"revoked": true}, nil)
	organizer := loginCookie(t, srv, organizerName, organizerPassword)
	base := srv.url + "/e/" + demo.Slug + "/tickets"

	// Five guests by id, one of them revoked: four sheets in the order asked.
	ids := []string{all[4].ID, all[0].ID, revoked.ID, all[1].ID, all[3].ID}
	p := get(t, base+"?ids="+strings.Join(ids, ","), "Cookie", organizer)
	if p.status != 200 || !strings.HasPrefix(p.header.Get("Content-Type"), "text/html") {
		t.Fatalf("sheets: %d %s %.300s", p.status, p.header.Get("Content-Type"), p.body)
	}
	if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "style-src 'self'") || p.header.Get("Cache-Control") != "no-store" {
		t.Errorf("headers: CSP %q, Cache-Control %q", csp, p.header.Get("Cache-Control"))
	}
	if strings.Contains(p.body, "<style>") || !strings.Contains(p.body, "css/tickets.css") {
		t.Error("the served page does not link its stylesheet (the policy forbids inline styles)")
	}
	cards := printedCards(t, p.body)
	want := []string{all[4].ID, all[0].ID, all[1].ID, all[3].ID}
	if len(cards) != len(want) {
		t.Fatalf("%d sheets, want %d", len(cards), len(want))
	}
	for i, c := range cards {
		a := byID[want[i]]
		if c.id != a.ID || c.decoded != a.Ticket {
			t.Errorf("sheet %d: attendee %s decoding to %q, want %s with ticket %q", i, c.id, c.decoded, a.ID, a.Ticket)
		}
		for _, s := range []string{a.Name, a.Organization} {
			if !strings.Contains(c.body, html.EscapeString(s)) {
				t.Errorf("sheet of %s does not show %q", a.ID, s)
			}
		}
	}
	if !strings.Contains(p.body, `id="print-revoked"`) || !strings.Contains(p.body, html.EscapeString(revoked.Name)) {
		t.Error("the revoked guest left out is not named on screen")
	}
	if strings.Contains(p.body, `data-attendee="`+revoked.ID+`"`) {
		t.Error("the revoked guest's ticket is printed")
	}
	// The instructions come in every language of the event.
	for _, s := range []string{"Show this QR code at the entrance", "入场时请出示此二维码", "A bejáratnál mutassa fel"} {
		if !strings.Contains(p.body, s) {
			t.Errorf("the sheets lack the instruction %q", s)
		}
	}

	// One guest.
	one := get(t, base+"?ids="+all[5].ID, "Cookie", organizer)
	if c := printedCards(t, one.body); len(c) != 1 || c[0].decoded != all[5].Ticket {
		t.Fatalf("one guest: %d sheets", len(c))
	}

	// A category as badges: every guest of the category that is not
	// revoked, ten to a page, and nobody else.
	var page app.AttendeePage
	srv.call("GET", "/api/v1/events/"+demo.Slug+"/attendees?limit=500", nil, &page)
	official := map[string]string{}
	for _, a := range page.Attendees {
		if a.Category == app.CategoryOfficial && !a.Revoked {
			official[a.ID] = a.Ticket
		}
	}
	b := get(t, base+"?layout=badges&category=official", "Cookie", organizer)
	cards = printedCards(t, b.body)
	if len(cards) != len(official) || len(official) == 0 {
		t.Fatalf("%d badges, want the %d official guests", len(cards), len(official))
	}
	for _, c := range cards {
		if official[c.id] != c.decoded {
			t.Errorf("badge of %s decodes to %q, not an official guest's ticket", c.id, c.decoded)
		}
	}
	if pages, want := strings.Count(b.body, `<section class="badge-page">`), (len(official)+web.BadgesPerPage-1)/web.BadgesPerPage; pages != want {
		t.Errorf("%d badge pages, want %d", pages, want)
	}

	// A search, as the attendees list searches.
	q := all[6].Name
	s := get(t, base+"?q="+url.QueryEscape(strings.ToUpper(q)), "Cookie", organizer)
	found := false
	for _, c := range printedCards(t, s.body) {
		found = found || c.id == all[6].ID
	}
	if !found {
		t.Errorf("searching %q does not print that guest", q)
	}

	// Refusals.
	if p := get(t, base); p.status != 303 || !strings.HasPrefix(p.header.Get("Location"), "/login?next=") {
		t.Errorf("without a login: %d %q, want 303 to the login page", p.status, p.header.Get("Location"))
	}
	checker := loginCookie(t, srv, checkerName, checkerPassword)
	if p := get(t, base+"?ids="+all[0].ID, "Cookie", checker); p.status != 403 || strings.Contains(p.body, "data:image/png") {
		t.Errorf("a checker: %d, want 403 and no ticket", p.status)
	}
	for query, status := range map[string]int{
		"?layout=poster":                  400,
		"?ids=not-an-id":                  400,
		"?category=Not+A+Category!":       400,
		"?ids=" + strings.Repeat("a", 26): 404,
		"?q=" + strings.Repeat("x", 101):  400,
	} {
		if p := get(t, base+query, "Cookie", organizer); p.status != status || strings.Contains(p.body, "data:image/png") {
			t.Errorf("%s: %d, want %d and no ticket", query, p.status, status)
		}
	}
	if p := get(t, srv.url+"/e/no-such-event/tickets", "Cookie", organizer); p.status != 404 {
		t.Errorf("an unknown event: %d, want 404", p.status)
	}
}

// TestWriteTicketsStandalone: the document the tickets command writes
// carries its stylesheet (it is opened from disk) and no script.
func TestWriteTicketsStandalone(t *testing.T) {
	ev := &app.Event{Slug: "x", Title: app.Text{EN: "Expo & Forum", ZH: "博览会"}, Languages: []string{"en", "zh"}, VenueTZ: "Asia/Shanghai"}
	sel := &app.TicketSelection{Event: ev, Tickets: []app.IssuedTicket{{Attendee: app.Attendee{ID: strings.Repeat("b", 26), Name: "<Ann>", Category: "press"}, Ticket: "HC1.x." + strings.Repeat("b", 26) + "." + strings.Repeat("A", 86)}}}
	var buf bytes.Buffer
	if err := web.WriteTickets(&buf, sel, web.TicketsOptions{Layout: web.LayoutBadges}); err != nil {
		t.Fatal(err)
	}
	doc := buf.String()
	if !strings.Contains(doc, "<style>") || !strings.Contains(doc, "@page") || strings.Contains(doc, "<script") {
		t.Error("a standalone printout needs its stylesheet inside and no script")
	}
	if !strings.Contains(doc, "&lt;Ann&gt;") || strings.Contains(doc, "<Ann>") || !strings.Contains(doc, "Expo &amp; Forum") {
		t.Error("names are not escaped")
	}
	if c := printedCards(t, doc); len(c) != 1 || c[0].decoded != sel.Tickets[0].Ticket {
		t.Errorf("cards %+v", c)
	}
	if err := web.WriteTickets(&buf, sel, web.TicketsOptions{Layout: "poster"}); err == nil {
		t.Error("an unknown layout is not an error")
	}
}
