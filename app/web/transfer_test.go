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

// The participant's and the team's pages: answers to good, forged and
// revoked links, and the whole journey in the browser.

// team gives the achievement of the showcase's slot i its team and
// returns the link token.
func (s *server) team(achievementID int64) string {
	s.t.Helper()
	var link app.TeamLink
	s.call("POST", "/api/v1/events/"+demo.Slug+"/teams", map[string]any{"achievement_id": achievementID,
		"members": []app.TeamMember{{Name: "Presenter", Role: "presenter"}}}, &link)
	return link.Token
}

func TestTransferPages(t *testing.T) {
	srv := startServer(t)
	guests := srv.attendees(2)
	sc := srv.showcase(srv.showcaseID())
	token := srv.team(sc.Slots[0].AchievementID)
	ticket := guests[0].Ticket
	for _, path := range []string{"/p/" + ticket, "/t/" + token} {
		p := get(t, srv.url+path)
		if p.status != 200 || !strings.HasPrefix(p.header.Get("Content-Type"), "text/html") {
			t.Fatalf("%s: %d %.200s", path, p.status, p.body)
		}
		if p.header.Get("Referrer-Policy") != "no-referrer" || p.header.Get("Cache-Control") != "no-store" ||
			!strings.Contains(p.header.Get("X-Robots-Tag"), "noindex") {
			t.Errorf("%s: headers %v", path, p.header)
		}
		if strings.Contains(p.body, " style=") || strings.Contains(p.body, "https://") {
			t.Errorf("%s: inline style or another origin in the page", path)
		}
	}
	if p := get(t, srv.url+"/p/"+ticket); !strings.Contains(p.body, guests[0].Name) {
		t.Errorf("the personal page does not greet %s", guests[0].Name)
	}
	forged := ticket[:len(ticket)-2] + "AA"
	if ticket[len(ticket)-2:] == "AA" {
		forged = ticket[:len(ticket)-2] + "BA"
	}
	for path, want := range map[string]int{
		"/p/" + forged:                      404,
		"/p/not-a-ticket":                   404,
		"/p/" + token:                       404, // a team link is no ticket
		"/t/" + ticket:                      404, // and a ticket no team link
		"/t/" + app.TeamTokenPrefix + "xyz": 404,
		"/p/" + forged + "/meetings.ics":    404,
	} {
		if p := get(t, srv.url+path); p.status != want || !strings.HasPrefix(p.header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: %d, want %d", path, p.status, want)
		}
	}
	ics := get(t, srv.url+"/p/"+ticket+"/meetings.ics?lang=zh")
	if ics.status != 200 || !strings.HasPrefix(ics.header.Get("Content-Type"), "text/calendar") || !strings.HasPrefix(ics.body, "BEGIN:VCALENDAR\r\n") {
		t.Errorf("calendar: %d %s %.100s", ics.status, ics.header.Get("Content-Type"), ics.body)
	}
	srv.call("PATCH", "/api/v1/attendees/"+guests[1].ID, map[string]any{"revoked": true}, nil)
	if p := get(t, srv.url+"/p/"+guests[1].Ticket); p.status != 403 {
		t.Errorf("a revoked ticket's page: %d", p.status)
	}
}

// TestTransferJourney is the whole journey in two browsers: while an item
// is presented an online participant (in Budapest) marks interest in it
// and asks its team for a meeting; the team (in Chongqing) sees the
// interest arrive and accepts with one click; the organizers define a
// meeting session and run the scheduler; both pages show the same slot
// and table, each in its own time zone; the team scans the guest's
// ticket at the table and the report counts the meeting held.
func TestTransferJourney(t *testing.T) {
	srv := startServer(t)
	showcase := srv.showcaseID()
	srv.call("POST", fmt.Sprintf("/api/v1/sessions/%d/start", showcase), nil, nil)
	sc := srv.showcase(showcase)
	achievement := sc.Current.AchievementID
	token := srv.team(achievement)
	guest := srv.attendees(1)[0]

	b := newBrowser(t)
	participant, team := newTab(t, b), newTab(t, b)
	setTimezone(t, participant, "Europe/Budapest")
	setTimezone(t, team, "Asia/Shanghai")
	do(t, participant, 20*time.Second, "open the personal page", chromedp.Navigate(srv.url+"/p/"+guest.Ticket+"?lang=en"))
	do(t, team, 20*time.Second, "open the team page", chromedp.Navigate(srv.url+"/t/"+token+"?lang=en"))
	waitFor(t, participant, 10*time.Second, "the item on stage",
		fmt.Sprintf(`document.body.dataset.ready === 'true' && document.querySelector('#now li[data-slot="%d"]')`, sc.Current.ID))
	waitFor(t, team, 10*time.Second, "the team page", `document.body.dataset.ready === 'true'`)

	// Interest in the item on stage, sharing contact details.
	do(t, participant, 10*time.Second, "mark interest",
		chromedp.Click(chromedp.CSS(`#now li [data-act="interest"]`)),
		chromedp.SetValue(chromedp.CSS("#interest-purpose"), "licensing"),
		chromedp.SendKeys(chromedp.CSS("#interest-note"), "We license sensors in Hungary."),
		chromedp.Click(chromedp.CSS("#interest-consent")),
		chromedp.Click(chromedp.CSS("#interest-submit")))
	waitFor(t, participant, 5*time.Second, "the interest in my list",
		fmt.Sprintf(`document.querySelector('#my-interests li[data-achievement="%d"]')`, achievement))
	waitFor(t, team, 5*time.Second, "the interest to reach the team, with the guest's name",
		fmt.Sprintf(`[...document.querySelectorAll('#interests li')].some((li) => li.textContent.includes(%s) && li.textContent.includes('sensors'))`, jsString(guest.Name)))

	// A meeting at a table.
	do(t, participant, 10*time.Second, "request a meeting",
		chromedp.Click(chromedp.CSS(`#now li [data-act="meet"]`)),
		chromedp.SetValue(chromedp.CSS("#meet-mode"), "onsite"),
		chromedp.Click(chromedp.CSS("#meet-submit")))
	waitFor(t, participant, 5*time.Second, "the request in my list", `document.querySelector('#my-requests li .chip-requested')`)
	waitFor(t, team, 5*time.Second, "the request on the team page", `document.querySelector('#requests li[data-state="requested"] [data-act="accept"]')`)
	do(t, team, 10*time.Second, "accept", chromedp.Click(chromedp.CSS(`#requests li [data-act="accept"]`)))
	waitFor(t, team, 5*time.Second, "accepted", `document.querySelector('#requests li[data-state="accepted"]')`)
	waitFor(t, participant, 5*time.Second, "accepted on the personal page", `document.querySelector('#my-requests li .chip-accepted')`)

	// The organizers schedule: a session starting in 20 minutes, after
	// the team's presentation (the scheduler keeps its margin free).
	start := time.Now().Add(20 * time.Minute).Truncate(time.Minute)
	srv.call("POST", "/api/v1/events/"+demo.Slug+"/meeting-sessions", app.MeetingSessionInput{Title: app.Text{EN: "Meetings"},
		StartsAt: start, EndsAt: start.Add(time.Hour), SlotMinutes: 20, Tables: 5}, nil)
	var res app.ScheduleResult
	srv.call("POST", "/api/v1/events/"+demo.Slug+"/meetings/schedule", nil, &res)
	if res.Placed != 1 {
		t.Fatalf("schedule: %+v", res)
	}
	var list struct{ Meetings []app.MeetingView }
	srv.call("GET", "/api/v1/events/"+demo.Slug+"/meetings", nil, &list)
	m := list.Meetings[0]
	budapest, _ := time.LoadLocation("Europe/Budapest")
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	shows := func(tz *time.Location) string {
		return fmt.Sprintf(`(() => { const li = document.querySelector('#my-meetings li[data-meeting="%d"], #meetings li[data-meeting="%d"]');
			return li && li.dataset.table === '%d' && li.querySelector('.place').textContent === 'Table %d' &&
				li.querySelector('.when .own').textContent.includes('%s–%s'); })()`,
			m.ID, m.ID, m.Table, m.Table, m.StartsAt.In(tz).Format("15:04"), m.EndsAt.In(tz).Format("15:04"))
	}
	waitFor(t, participant, 5*time.Second, "the meeting in Budapest time", shows(budapest))
	waitFor(t, team, 5*time.Second, "the meeting in Beijing time", shows(shanghai))

	// At the table the team scans the guest's ticket.
	do(t, team, 10*time.Second, "scan the guest",
		chromedp.SendKeys(chromedp.CSS("#scan-ticket"), guest.Ticket),
		chromedp.Click(chromedp.CSS("#scan-submit")))
	waitFor(t, team, 5*time.Second, "the scan's answer", `document.querySelector('#scan-result').dataset.result === 'held'`)
	waitFor(t, participant, 5*time.Second, "held on the personal page", `document.querySelector('#my-meetings li .chip-held')`)
	var rep app.TransferReport
	srv.call("GET", "/api/v1/events/"+demo.Slug+"/transfer/report", nil, &rep)
	for _, a := range rep.Achievements {
		if a.AchievementID == achievement && (a.InterestTotal != 1 || a.Interest["licensing"] != 1 || a.MeetingsHeld != 1) {
			t.Fatalf("report: %+v", a)
		}
	}

	// The participant deletes what they gave.
	do(t, participant, 10*time.Second, "delete my data",
		chromedp.Click(chromedp.CSS("#my-data-delete")),
		chromedp.Click(chromedp.CSS("#delete-confirm")))
	waitFor(t, participant, 5*time.Second, "the lists emptied", `!document.querySelector('#my-interests li[data-interest]') && !document.querySelector('#my-meetings li[data-meeting]')`)
	event, err := srv.svc.Event(context.Background(), demo.Slug)
	if err != nil {
		t.Fatal(err)
	}
	left, err := srv.svc.Store().ListInterests(context.Background(), app.TransferFilter{EventID: event.ID})
	if err != nil || len(left) != 0 {
		t.Fatalf("after deletion: %v %v", left, err)
	}
}
