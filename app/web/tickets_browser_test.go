package web_test

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/hybridcon/hybridcon/app/demo"
)

// pdfPageRE matches a page object of a PDF (not the /Pages tree).
var pdfPageRE = regexp.MustCompile(`/Type\s*/Page[^s]`)

// printPDF prints the tab's page as Chromium's print dialog would, with
// the page's own @page size, and returns the PDF and its page count.
func printPDF(t *testing.T, tab context.Context) ([]byte, int) {
	t.Helper()
	var pdf []byte
	do(t, tab, 30*time.Second, "print to PDF", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		out, err := chromedp.Call(ctx, cdppage.PrintToPDF, cdppage.PrintToPDFParams{PreferCSSPageSize: ptr(true), PrintBackground: ptr(true)})
		pdf = out.Data
		return err
	}))
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", pdf[:min(len(pdf), 8)])
	}
	return pdf, len(pdfPageRE.FindAll(pdf, -1))
}

// TestTicketSheetsPrint: from the console's attendees list an organizer
// opens the ticket sheets of the listed guests (a search) and of one
// guest, and the badges; printed to PDF, the sheets are one A4 page per
// guest who is not revoked, the badges ten to a page.
func TestTicketSheetsPrint(t *testing.T) {
	srv := startServer(t)
	var page struct {
		Attendees []struct {
			ID, Name string
		}
	}
	const org = "Consulate General of Hungary in Chongqing"
	srv.call("GET", "/api/v1/events/"+demo.Slug+"/attendees?limit=500&q="+"Consulate%20General", nil, &page)
	if len(page.Attendees) < 3 {
		t.Fatalf("the demo has %d guests of %s", len(page.Attendees), org)
	}
	srv.call("PATCH", "/api/v1/attendees/"+page.Attendees[0].ID, map[string]any{"revoked": true}, nil)
	want := len(page.Attendees) - 1

	b := newBrowser(t)
	tab := newTab(t, b)
	login(t, tab, srv.url, "/console?event="+demo.Slug, organizerName, organizerPassword, "/console")
	setupTab(t, tab, "attendees", `document.querySelector('#setup-print-sheets')`)
	eval[bool](t, tab, `(() => { const f = document.querySelector('.setup-search-form'); f.elements.q.value = 'Consulate General'; f.requestSubmit(); return true })()`)
	waitFor(t, tab, 10*time.Second, "the search", `document.querySelectorAll('#setup-list tr[data-attendee]').length === `+strconv.Itoa(len(page.Attendees)))
	sheets := eval[string](t, tab, `document.querySelector('#setup-print-sheets').href`)
	badges := eval[string](t, tab, `document.querySelector('#setup-print-badges').href`)
	one := eval[string](t, tab, `document.querySelector('#setup-list tr[data-attendee="`+page.Attendees[1].ID+`"] a[data-print="sheet"]').href`)
	if eval[bool](t, tab, `!!document.querySelector('#setup-list tr[data-attendee="`+page.Attendees[0].ID+`"] a[data-print="sheet"]')`) {
		t.Error("a revoked guest has a Sheet link")
	}

	do(t, tab, 20*time.Second, "open the sheets", chromedp.Navigate(sheets))
	waitFor(t, tab, 10*time.Second, "the sheets", `document.body.dataset.ready === 'true' && [...document.querySelectorAll('img.qr')].every(i => i.complete && i.naturalWidth >= 256)`)
	if n := eval[int](t, tab, `document.querySelectorAll('.sheet').length`); n != want {
		t.Fatalf("%d sheets on the page, want %d", n, want)
	}
	if !eval[bool](t, tab, `!!document.querySelector('#print-revoked')`) {
		t.Error("the revoked guest left out is not said")
	}
	if _, n := printPDF(t, tab); n != want {
		t.Errorf("the sheets print on %d pages, want one per guest: %d", n, want)
	}

	do(t, tab, 20*time.Second, "open one guest's sheet", chromedp.Navigate(one))
	waitFor(t, tab, 10*time.Second, "the sheet", `document.querySelectorAll('.sheet').length === 1 && document.querySelector('img.qr').complete`)
	if _, n := printPDF(t, tab); n != 1 {
		t.Errorf("one guest's sheet prints on %d pages, want 1", n)
	}

	do(t, tab, 20*time.Second, "open the badges", chromedp.Navigate(badges))
	waitFor(t, tab, 10*time.Second, "the badges", `document.querySelectorAll('.badge').length === `+strconv.Itoa(want))
	if _, n := printPDF(t, tab); n != (want+9)/10 {
		t.Errorf("%d badges print on %d pages, want %d", want, n, (want+9)/10)
	}
}
