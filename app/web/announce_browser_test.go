package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/app/demo"
)

// TestConsoleEditsAnnouncements: an organizer edits, unpins and deletes an
// announcement in the console. A live page that stays connected shows
// each change; one that was cut off while they happened converges when it
// reconnects. Times in the console name their zone.
func TestConsoleEditsAnnouncements(t *testing.T) {
	srv := startServer(t)
	proxy := newCutProxy(t, srv.url)
	var a app.Announcement
	srv.call("POST", "/api/v1/events/"+demo.Slug+"/announcements", map[string]any{"text": map[string]string{"en": "Doors open at 9"}, "pinned": true}, &a)
	li := fmt.Sprintf(`li[data-id="%d"]`, a.ID)

	b := newBrowser(t)
	viewer, missed := newTab(t, b), newTab(t, b)
	for tab, base := range map[context.Context]string{viewer: srv.url, missed: proxy.url()} {
		do(t, tab, 20*time.Second, "open the live page", chromedp.Navigate(base+"/e/"+demo.Slug))
		waitFor(t, tab, 10*time.Second, "the announcement, pinned", `document.querySelector('#conn').dataset.state === 'live' && document.querySelector('#announcements `+li+`.is-pinned')`)
	}
	organizer := newTab(t, b)
	login(t, organizer, srv.url, "/console", organizerName, organizerPassword, "/console")
	waitFor(t, organizer, 10*time.Second, "the announcement in the console's list", `document.querySelector('#ann-list `+li+` .ann-zone')`)
	if zone := eval[string](t, organizer, `document.querySelector('#ann-list `+li+` .ann-zone').textContent`); !strings.Contains(zone, "Beijing") || !strings.Contains(zone, "UTC+8") {
		t.Errorf("the console's announcement time is labelled %q, want its zone (Beijing, UTC+8)", zone)
	}

	// The viewer behind the proxy misses everything from here on.
	proxy.setCut(true)
	waitFor(t, missed, 10*time.Second, "the cut-off tab to notice", `document.querySelector('#conn').dataset.state === 'reconnecting'`)

	do(t, organizer, 5*time.Second, "edit", chromedp.Click(chromedp.CSS(`#ann-list `+li+` [data-act="edit"]`)))
	do(t, organizer, 5*time.Second, "type the new text",
		chromedp.SetValue(chromedp.CSS(`#ann-list `+li+` textarea[name="text.en"]`), "Doors open at 9:30"),
		chromedp.Click(chromedp.CSS(`#ann-list `+li+` button[type="submit"]`)))
	waitFor(t, viewer, 10*time.Second, "the edited text on the live page", `document.querySelector('#announcements `+li+` .ann-text')?.textContent === 'Doors open at 9:30'`)

	do(t, organizer, 5*time.Second, "unpin", chromedp.Click(chromedp.CSS(`#ann-list `+li+` [data-act="unpin"]`)))
	waitFor(t, viewer, 10*time.Second, "the announcement unpinned", `document.querySelector('#announcements `+li+`:not(.is-pinned)')`)

	var b2 app.Announcement
	srv.call("POST", "/api/v1/events/"+demo.Slug+"/announcements", map[string]any{"text": map[string]string{"en": "Lunch in hall B"}}, &b2)
	li2 := fmt.Sprintf(`li[data-id="%d"]`, b2.ID)
	waitFor(t, organizer, 10*time.Second, "the second announcement in the console", `document.querySelector('#ann-list `+li2+`')`)
	do(t, organizer, 5*time.Second, "delete", chromedp.Click(chromedp.CSS(`#ann-list `+li2+` [data-act="delete"]`)))
	waitFor(t, organizer, 5*time.Second, "the confirmation", `document.querySelector('#confirm').open`)
	do(t, organizer, 5*time.Second, "confirm", chromedp.Click(chromedp.CSS(`#confirm-ok`)))
	waitFor(t, viewer, 10*time.Second, "the deleted announcement gone", `!document.querySelector('#announcements `+li2+`') && document.querySelector('#announcements `+li+`')`)
	waitFor(t, organizer, 10*time.Second, "the deleted announcement gone from the console", `!document.querySelector('#ann-list `+li2+`')`)

	// The tab that missed it all converges once back online.
	proxy.setCut(false)
	waitFor(t, missed, 30*time.Second, "the missed tab to converge",
		`document.querySelector('#conn').dataset.state === 'live' && document.querySelector('#announcements `+li+`:not(.is-pinned) .ann-text')?.textContent === 'Doors open at 9:30' && !document.querySelector('#announcements `+li2+`')`)
}
