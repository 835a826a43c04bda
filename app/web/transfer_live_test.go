package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/app/demo"
)

// Questions and interest on the live page, the hall screen and the
// presenter timer.

// asParticipant sends an API request with a participant's ticket (or
// anonymously when ticket is "") and decodes a 2xx answer into out.
func (s *server) asParticipant(ticket, method, path string, body, out any) {
	s.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		s.t.Fatal(err)
	}
	req, err := http.NewRequest(method, s.url+path, bytes.NewReader(b))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if ticket != "" {
		req.Header.Set("Authorization", "Ticket "+ticket)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		s.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, got)
	}
	if out != nil {
		if err := json.Unmarshal(got, out); err != nil {
			s.t.Fatal(err)
		}
	}
}

// questionByText finds a question of the event by its text (as an
// organizer, who sees every state).
func (s *server) questionByText(text string) app.QuestionView {
	s.t.Helper()
	var out struct{ Questions []app.QuestionView }
	s.call("GET", "/api/v1/events/"+demo.Slug+"/questions", nil, &out)
	for _, q := range out.Questions {
		if q.Text == text {
			return q
		}
	}
	s.t.Fatalf("no question %q", text)
	return app.QuestionView{}
}

// everShown records, from before the page's first script, every question
// text the page ever puts into its DOM (window.__shown), so a test can
// prove a text was never shown, not only that it is gone now.
const everShown = `window.__shown = new Set(); window.__errs=[]; addEventListener('error', (e) => __errs.push(e.message)); addEventListener('unhandledrejection', (e) => __errs.push(String(e.reason)));
new MutationObserver(() => { for (const el of document.querySelectorAll('.q-text')) window.__shown.add(el.textContent); })
  .observe(document, { childList: true, subtree: true, characterData: true });`

func recordShown(t *testing.T, tab context.Context) {
	t.Helper()
	addInitScript(t, tab, "install the recorder", everShown)
}

// addInitScript makes the tab run src in every document it loads, before
// the page's own scripts.
func addInitScript(t *testing.T, tab context.Context, what, src string) {
	t.Helper()
	do(t, tab, 10*time.Second, what, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Call(ctx, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: src})
		return err
	}))
}

// TestLiveQuestions: a viewer asks the item on stage from the live page;
// an organizer approves it and it shows, most votes first, on the live
// page, the hall screen and the presenter timer; one vote per viewer
// connection; a question hidden after it was shown leaves every screen,
// and one never approved, or hidden, is never shown to a viewer — not
// even for a moment, nor to a viewer who arrives later.
func TestLiveQuestions(t *testing.T) {
	srv := startServer(t)
	showcase := srv.showcaseID()
	srv.call("POST", fmt.Sprintf("/api/v1/sessions/%d/start", showcase), nil, nil)
	sc := srv.showcase(showcase)
	srv.call("PUT", "/api/v1/events/"+demo.Slug+"/transfer/settings", app.TransferSettings{AnonymousQuestions: true, AnonymousVotes: true}, nil)
	guest := srv.attendees(1)[0]

	b := newBrowser(t)
	viewer, hall, timer := newTab(t, b), newTab(t, b), newTab(t, b)
	for _, tab := range []context.Context{viewer, hall, timer} {
		recordShown(t, tab)
	}
	do(t, viewer, 20*time.Second, "open the live page", chromedp.Navigate(srv.url+"/e/"+demo.Slug+"?lang=en"))
	do(t, hall, 20*time.Second, "open the hall screen", chromedp.Navigate(srv.url+"/e/"+demo.Slug+"?lang=en&screen=1"))
	do(t, timer, 20*time.Second, "open the timer", chromedp.Navigate(fmt.Sprintf("%s/e/%s/s/%s/timer?lang=en", srv.url, demo.Slug, sc.Session.Stage)))
	waitFor(t, viewer, 10*time.Second, "the ask box for the item on stage",
		fmt.Sprintf(`!document.querySelector('#x-ask').hidden && document.querySelector('#x-ask-slot').value === '%d' && !document.querySelector('#x-ask fieldset').disabled`, sc.Current.ID))

	// The viewer asks; a participant and another viewer ask through the API.
	asked := "How long does the sensor last outdoors? 传感器在户外能用多久？"
	do(t, viewer, 10*time.Second, "ask", chromedp.SendKeys(chromedp.CSS("#x-ask-text"), asked), chromedp.Click(chromedp.CSS("#x-ask-send")))
	waitFor(t, viewer, 5*time.Second, "the confirmation", `document.querySelector('#x-notice').classList.contains('notice-ok')`)
	pending, hidden := "Never approved: who pays?", "Approved, then hidden: rude words"
	srv.asParticipant(guest.Ticket, "POST", "/api/v1/events/"+demo.Slug+"/questions", app.QuestionInput{Text: pending}, nil)
	srv.asParticipant("", "POST", "/api/v1/events/"+demo.Slug+"/questions", app.QuestionInput{Text: hidden, Voter: "other-viewer-1"}, nil)
	qa, qh := srv.questionByText(asked), srv.questionByText(hidden)
	if qa.SlotID != sc.Current.ID || qa.State != app.QuestionPending {
		t.Fatalf("the viewer's question: %+v", qa)
	}

	// Approved questions reach every screen, most votes first.
	srv.call("POST", fmt.Sprintf("/api/v1/questions/%d/approve", qa.ID), nil, nil)
	srv.call("POST", fmt.Sprintf("/api/v1/questions/%d/approve", qh.ID), nil, nil)
	srv.asParticipant(guest.Ticket, "POST", fmt.Sprintf("/api/v1/questions/%d/vote", qh.ID), map[string]any{}, nil)
	both := fmt.Sprintf(`(() => { const qs = [...document.querySelectorAll('.q[data-slot="%d"] .q-text')].map((e) => e.textContent);
		return qs.length === 2 && qs[0] === %s && qs[1] === %s; })()`, sc.Current.ID, jsString(hidden), jsString(asked))
	for name, tab := range map[string]context.Context{"viewer": viewer, "hall screen": hall, "timer": timer} {
		waitFor(t, tab, 5*time.Second, "both approved questions, most votes first, on the "+name, both)
	}

	// One vote per connection: the button counts once, then is disabled.
	sel := fmt.Sprintf(`.q[data-question="%d"]`, qa.ID)
	do(t, viewer, 5*time.Second, "vote", chromedp.Click(chromedp.CSS(sel+" .q-vote")))
	waitFor(t, viewer, 5*time.Second, "the vote counted and the button spent",
		fmt.Sprintf(`document.querySelector('%s .q-vote').disabled && document.querySelector('%s .q-votes').dataset.votes === '1'`, sel, sel))
	var again app.VoteAnswer
	srv.asParticipant(guest.Ticket, "POST", fmt.Sprintf("/api/v1/questions/%d/vote", qh.ID), map[string]any{}, &again)
	if again.Counted || again.Votes != 1 {
		t.Fatalf("a participant's second vote: %+v", again)
	}

	// Hiding takes the question back from every screen.
	srv.call("POST", fmt.Sprintf("/api/v1/questions/%d/hide", qh.ID), nil, nil)
	gone := fmt.Sprintf(`![...document.querySelectorAll('.q-text')].some((e) => e.textContent === %s) && document.querySelector('.q[data-question="%d"]')`, jsString(hidden), qa.ID)
	for name, tab := range map[string]context.Context{"viewer": viewer, "hall screen": hall, "timer": timer} {
		waitFor(t, tab, 5*time.Second, "the hidden question gone from the "+name, gone)
	}

	// A viewer arriving now never sees the hidden one; nobody ever saw
	// the pending one.
	late := newTab(t, b)
	recordShown(t, late)
	do(t, late, 20*time.Second, "open the live page again", chromedp.Navigate(srv.url+"/e/"+demo.Slug+"?lang=en"))
	waitFor(t, late, 10*time.Second, "the approved question", fmt.Sprintf(`document.querySelector('.q[data-question="%d"]')`, qa.ID))
	time.Sleep(500 * time.Millisecond)
	if eval[bool](t, late, fmt.Sprintf(`window.__shown.has(%s)`, jsString(hidden))) {
		t.Error("a viewer who arrived after the hide was shown the hidden question")
	}
	for name, tab := range map[string]context.Context{"viewer": viewer, "hall screen": hall, "timer": timer, "late viewer": late} {
		if eval[bool](t, tab, fmt.Sprintf(`window.__shown.has(%s)`, jsString(pending))) {
			t.Errorf("the %s showed a question never approved", name)
		}
		if errs := eval[[]string](t, tab, `window.__errs`); len(errs) > 0 {
			t.Errorf("script errors on the %s: %q", name, errs)
		}
	}
}

// TestLiveInterest: a participant who opened the live page from their
// personal link marks interest in the item on stage, with a purpose, a
// note and consent; the team sees it on its page at once (pushed), with
// the contact details, and another viewer sees the count go up.
func TestLiveInterest(t *testing.T) {
	srv := startServer(t)
	showcase := srv.showcaseID()
	srv.call("POST", fmt.Sprintf("/api/v1/sessions/%d/start", showcase), nil, nil)
	sc := srv.showcase(showcase)
	achievement := sc.Current.AchievementID
	token := srv.team(achievement)
	guest := srv.attendees(1)[0]

	b := newBrowser(t)
	me, other, team := newTab(t, b), newTab(t, b), newTab(t, b)
	do(t, team, 20*time.Second, "open the team page", chromedp.Navigate(srv.url+"/t/"+token+"?lang=en"))
	do(t, other, 20*time.Second, "open the live page", chromedp.Navigate(srv.url+"/e/"+demo.Slug+"?lang=en"))
	// From the personal page's link to the live page.
	do(t, me, 20*time.Second, "open the personal page", chromedp.Navigate(srv.url+"/p/"+guest.Ticket+"?lang=en"))
	waitFor(t, me, 10*time.Second, "the link to the live page", `document.querySelector('#live-link').href.includes('#ticket=')`)
	do(t, me, 20*time.Second, "follow it", chromedp.Click(chromedp.CSS("#live-link")))
	waitFor(t, me, 10*time.Second, "the interest form, as the participant, without the ticket in the address",
		fmt.Sprintf(`!document.querySelector('#x-interest fieldset')?.disabled && document.querySelector('#x-who').textContent.includes(%s) &&
			!location.hash && document.querySelector('#x-interest-what').value === '%d:%d'`, jsString(guest.Name), achievement, sc.Current.ID))
	count := fmt.Sprintf(`document.querySelector('#x-counts [data-achievement="%d"]')?.dataset.count`, achievement)
	waitFor(t, other, 10*time.Second, "no interest yet", count+` === '0'`)

	do(t, me, 10*time.Second, "mark interest",
		chromedp.SetValue(chromedp.CSS("#x-interest-purpose"), "pilot_customer"),
		chromedp.SendKeys(chromedp.CSS("#x-interest-note"), "We would pilot it in our plant."),
		chromedp.Click(chromedp.CSS("#x-interest-consent")),
		chromedp.Click(chromedp.CSS("#x-interest-send")))
	waitFor(t, me, 5*time.Second, "the confirmation", `document.querySelector('#x-notice').classList.contains('notice-ok')`)
	waitFor(t, team, 5*time.Second, "the interest on the team page, with the guest's name",
		fmt.Sprintf(`[...document.querySelectorAll('#interests li')].some((li) => li.textContent.includes(%s) && li.textContent.includes('pilot it'))`, jsString(guest.Name)))
	waitFor(t, other, 5*time.Second, "the count on another viewer's page", count+` === '1'`)
	var mine struct{ Interests []app.Interest }
	srv.asParticipant(guest.Ticket, "GET", "/api/v1/events/"+demo.Slug+"/interests", nil, &mine)
	if len(mine.Interests) != 1 || mine.Interests[0].Purpose != "pilot_customer" || !mine.Interests[0].Consent || mine.Interests[0].SlotID != sc.Current.ID {
		t.Fatalf("recorded: %+v", mine.Interests)
	}

	// A forged ticket is refused and forgotten: the form stays closed.
	do(t, other, 10*time.Second, "enter a forged link",
		chromedp.SendKeys(chromedp.CSS("#x-ticket-text"), srv.url+"/p/"+flip(guest.Ticket)),
		chromedp.Click(chromedp.CSS("#x-ticket button[type=submit]")))
	waitFor(t, other, 5*time.Second, "the refusal", `document.querySelector('#x-notice').classList.contains('notice-bad') && document.querySelector('#x-interest fieldset').disabled`)
}

// TestTransferJourneyLive is the whole journey through the pages: an
// online viewer, who opened the live page from their personal link, marks
// interest while the item is presented and asks the team for a meeting;
// the team accepts on its page; the organizer defines a meeting session
// and runs the scheduler in the console; participant and team see the
// same slot and table, each in their own time zone; the host scans the
// guest at the table; the console's report counts the meeting held.
func TestTransferJourneyLive(t *testing.T) {
	srv := startServer(t)
	showcase := srv.showcaseID()
	srv.call("POST", fmt.Sprintf("/api/v1/sessions/%d/start", showcase), nil, nil)
	sc := srv.showcase(showcase)
	achievement := sc.Current.AchievementID
	token := srv.team(achievement)
	guest := srv.attendees(1)[0]

	b := newBrowser(t)
	viewer, team, organizer := newTab(t, b), newTab(t, b), newTab(t, b)
	setTimezone(t, viewer, "Europe/Budapest")
	setTimezone(t, team, "Asia/Shanghai")
	setTimezone(t, organizer, "UTC")
	do(t, viewer, 20*time.Second, "open the live page from the personal link",
		chromedp.Navigate(srv.url+"/e/"+demo.Slug+"?lang=en#ticket="+guest.Ticket))
	do(t, team, 20*time.Second, "open the team page", chromedp.Navigate(srv.url+"/t/"+token+"?lang=en"))
	login(t, organizer, srv.url, "/console?lang=en", organizerName, organizerPassword, "/console")
	waitFor(t, organizer, 10*time.Second, "the console's transfer card", `document.querySelector('#transfer')?.dataset.ready === 'true'`)

	// Interest while the item is presented, from the live page.
	waitFor(t, viewer, 10*time.Second, "the interest form for the item on stage",
		fmt.Sprintf(`!document.querySelector('#x-interest fieldset')?.disabled && document.querySelector('#x-interest-what').value === '%d:%d'`, achievement, sc.Current.ID))
	do(t, viewer, 10*time.Second, "mark interest",
		chromedp.SetValue(chromedp.CSS("#x-interest-purpose"), "licensing"),
		chromedp.SendKeys(chromedp.CSS("#x-interest-note"), "Licensing for the EU market."),
		chromedp.Click(chromedp.CSS("#x-interest-consent")),
		chromedp.Click(chromedp.CSS("#x-interest-send")))
	waitFor(t, organizer, 5*time.Second, "the interest in the console, pushed",
		fmt.Sprintf(`[...document.querySelectorAll('#xc-interests li')].some((li) => li.textContent.includes(%s) && li.textContent.includes('EU market'))`, jsString(guest.Name)))
	waitFor(t, team, 5*time.Second, "the interest on the team page, pushed",
		fmt.Sprintf(`[...document.querySelectorAll('#interests li')].some((li) => li.textContent.includes(%s))`, jsString(guest.Name)))

	// The meeting request, from the personal page.
	do(t, viewer, 20*time.Second, "open the personal page", chromedp.Navigate(srv.url+"/p/"+guest.Ticket+"?lang=en"))
	waitFor(t, viewer, 10*time.Second, "the item on stage", fmt.Sprintf(`document.body.dataset.ready === 'true' && document.querySelector('#now li[data-slot="%d"]')`, sc.Current.ID))
	do(t, viewer, 10*time.Second, "request a meeting",
		chromedp.Click(chromedp.CSS(`#now li [data-act="meet"]`)),
		chromedp.SetValue(chromedp.CSS("#meet-mode"), "onsite"),
		chromedp.Click(chromedp.CSS("#meet-submit")))
	waitFor(t, team, 5*time.Second, "the request on the team page", `document.querySelector('#requests li[data-state="requested"] [data-act="accept"]')`)
	do(t, team, 10*time.Second, "accept", chromedp.Click(chromedp.CSS(`#requests li [data-act="accept"]`)))
	waitFor(t, viewer, 5*time.Second, "accepted on the personal page", `document.querySelector('#my-requests li .chip-accepted')`)

	// The organizer defines a session starting in 20 minutes and schedules.
	start := time.Now().UTC().Add(20 * time.Minute).Truncate(time.Minute)
	do(t, organizer, 10*time.Second, "define a meeting session",
		chromedp.SendKeys(chromedp.CSS("#xc-session-title"), "Meetings"),
		chromedp.SetValue(chromedp.CSS("#xc-session-start"), start.Format("2006-01-02T15:04")),
		chromedp.SetValue(chromedp.CSS("#xc-session-end"), start.Add(time.Hour).Format("2006-01-02T15:04")),
		chromedp.SetValue(chromedp.CSS("#xc-session-tables"), "5"),
		chromedp.Click(chromedp.CSS("#xc-session-create")))
	waitFor(t, organizer, 5*time.Second, "the session listed", `document.querySelector('#xc-sessions li[data-session]')`)
	do(t, organizer, 10*time.Second, "run the scheduler", chromedp.Click(chromedp.CSS("#xc-schedule")))
	waitFor(t, organizer, 5*time.Second, "the scheduler's answer", `document.querySelector('#xc-notice').textContent.startsWith('Placed 1;')`)
	var list struct{ Meetings []app.MeetingView }
	srv.call("GET", "/api/v1/events/"+demo.Slug+"/meetings", nil, &list)
	if len(list.Meetings) != 1 || !list.Meetings[0].StartsAt.Equal(start) {
		t.Fatalf("meetings: %+v (session starts %s)", list.Meetings, start)
	}
	m := list.Meetings[0]
	shows := func(tz string) string {
		loc := mustZone(t, tz)
		return fmt.Sprintf(`(() => { const li = document.querySelector('#my-meetings li[data-meeting="%d"], #meetings li[data-meeting="%d"]');
			return li && li.dataset.table === '%d' && li.querySelector('.place').textContent === 'Table %d' &&
				li.querySelector('.when .own').textContent.includes('%s–%s'); })()`,
			m.ID, m.ID, m.Table, m.Table, m.StartsAt.In(loc).Format("15:04"), m.EndsAt.In(loc).Format("15:04"))
	}
	waitFor(t, viewer, 5*time.Second, "the meeting in Budapest time", shows("Europe/Budapest"))
	waitFor(t, team, 5*time.Second, "the meeting in Beijing time", shows("Asia/Shanghai"))

	// At the table, when the meeting is due, the host scans the guest.
	srv.setNow(m.StartsAt.Add(time.Minute))
	scanAtTable(t, b, srv, m, guest.Ticket)
	waitFor(t, viewer, 5*time.Second, "held on the personal page", `document.querySelector('#my-meetings li .chip-held')`)
	waitFor(t, organizer, 5*time.Second, "the console's report counts it held",
		fmt.Sprintf(`document.querySelector('#xc-report tr[data-achievement="%d"] .rep-held')?.textContent === '1'`, achievement))

	// Its session cannot be deleted now (a meeting was held in it); an
	// empty one goes in two clicks.
	del := func(id int64) chromedp.Action[chromedp.Void] {
		return chromedp.Click(chromedp.CSS(fmt.Sprintf(`#xc-sessions li[data-session="%d"] [data-act="delete-session"]`, id)))
	}
	do(t, organizer, 10*time.Second, "delete the held meeting's session", del(m.SessionID), del(m.SessionID))
	waitFor(t, organizer, 5*time.Second, "the refusal", `document.querySelector('#xc-notice').textContent.includes('held or under way')`)
	var later app.MeetingSession
	srv.call("POST", "/api/v1/events/"+demo.Slug+"/meeting-sessions", app.MeetingSessionInput{Title: app.Text{EN: "Later"},
		StartsAt: start.Add(3 * time.Hour), EndsAt: start.Add(4 * time.Hour), SlotMinutes: 20, Tables: 2}, &later)
	other := later.ID
	otherLi := fmt.Sprintf(`#xc-sessions li[data-session="%d"]`, other)
	waitFor(t, organizer, 5*time.Second, "the new session listed, pushed", fmt.Sprintf(`!!document.querySelector('%s')`, otherLi))
	do(t, organizer, 10*time.Second, "delete the new session", del(other), del(other))
	waitFor(t, organizer, 5*time.Second, "the new session gone", fmt.Sprintf(`!document.querySelector('#xc-sessions li[data-session="%d"]')`, other))
	waitFor(t, organizer, 5*time.Second, "the held meeting's session kept", fmt.Sprintf(`!!document.querySelector('#xc-sessions li[data-session="%d"]')`, m.SessionID))
}

// scanAtTable logs door staff into the kiosk in meeting mode at the
// meeting's table, scans the guest's ticket and waits for "held".
func scanAtTable(t *testing.T, b context.Context, srv *server, m app.MeetingView, ticket string) {
	t.Helper()
	kiosk := newTab(t, b)
	path := fmt.Sprintf("/e/%s/checkin?lang=en&mode=meeting&table=%d", demo.Slug, m.Table)
	login(t, kiosk, srv.url, path, checkerName, checkerPassword, "/e/"+demo.Slug+"/checkin")
	waitFor(t, kiosk, 10*time.Second, "the kiosk in meeting mode", fmt.Sprintf(`document.body.dataset.mode === 'meeting' && document.querySelector('#meeting-table').value === '%d'`, m.Table))
	do(t, kiosk, 10*time.Second, "scan the guest", chromedp.SendKeys(chromedp.CSS("#scan"), ticket+"\n"))
	waitFor(t, kiosk, 5*time.Second, "held", `document.querySelector('#meeting-result').dataset.result === 'held'`)
	// A second scan is recorded once; a forged ticket is refused.
	do(t, kiosk, 10*time.Second, "scan again", chromedp.SendKeys(chromedp.CSS("#scan"), ticket+"\n"))
	waitFor(t, kiosk, 5*time.Second, "already held", `document.querySelector('#meeting-result').dataset.result === 'already_held'`)
	do(t, kiosk, 10*time.Second, "scan a forged ticket", chromedp.SendKeys(chromedp.CSS("#scan"), flip(ticket)+"\n"))
	waitFor(t, kiosk, 5*time.Second, "rejected", `document.querySelector('#meeting-result').dataset.result === 'rejected'`)
}

// recordFrameTypes makes the tab count the types of the messages its
// websockets receive (window.__frameTypes), from before its scripts run.
func recordFrameTypes(t *testing.T, tab context.Context) {
	t.Helper()
	const src = `window.__frameTypes = {};
	(() => {
	  const Native = window.WebSocket;
	  window.WebSocket = function (url, protocols) {
	    const ws = protocols === undefined ? new Native(url) : new Native(url, protocols);
	    ws.addEventListener('message', (e) => {
	      try { const ty = JSON.parse(e.data).type; window.__frameTypes[ty] = (window.__frameTypes[ty] || 0) + 1; } catch {}
	    });
	    return ws;
	  };
	  window.WebSocket.prototype = Native.prototype;
	  Object.assign(window.WebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
	})();`
	addInitScript(t, tab, "install the frame recorder", src)
}

// TestQuestionsReachTheConsoleNotViewers: a question asked while an item
// is on stage shows in the console's moderation queue within seconds —
// the console's live connection asks for the transfer bell (bell=1) —
// while the live page's connection, which does not ask, receives no bell.
func TestQuestionsReachTheConsoleNotViewers(t *testing.T) {
	srv := startServer(t)
	showcase := srv.showcaseID()
	srv.call("POST", fmt.Sprintf("/api/v1/sessions/%d/start", showcase), nil, nil)
	guest := srv.attendees(1)[0]

	b := newBrowser(t)
	viewer, organizer := newTab(t, b), newTab(t, b)
	recordFrameTypes(t, viewer)
	do(t, viewer, 20*time.Second, "open the live page", chromedp.Navigate(srv.url+"/e/"+demo.Slug+"?lang=en"))
	waitFor(t, viewer, 10*time.Second, "the live page connected", `document.querySelector('#conn').dataset.state === 'live'`)
	login(t, organizer, srv.url, "/console", organizerName, organizerPassword, "/console")
	waitFor(t, organizer, 10*time.Second, "the console's transfer card", `document.querySelector('#transfer').dataset.ready === 'true'`)

	asked := "Who maintains the sensors after the pilot?"
	srv.asParticipant(guest.Ticket, "POST", "/api/v1/events/"+demo.Slug+"/questions", app.QuestionInput{Text: asked}, nil)
	waitFor(t, organizer, 10*time.Second, "the new question in the moderation queue, without a reload",
		fmt.Sprintf(`[...document.querySelectorAll('#xc-queue li')].some((li) => li.textContent.includes(%s))`, jsString(asked)))

	// The bell rang (the console heard it); give the viewer's connection
	// the same time and more, then check it got none.
	time.Sleep(2 * time.Second)
	types := eval[map[string]int](t, viewer, `window.__frameTypes`)
	if types["snapshot"] == 0 {
		t.Fatalf("the live page's recorder saw no snapshot (%v): it did not record the live connection", types)
	}
	if types["transfer"] != 0 {
		t.Errorf("the live page received %d transfer bells (%v), want none", types["transfer"], types)
	}
}
