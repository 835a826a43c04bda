package web_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/app/demo"
)

// TestKioskClockOffset: the server's clock is 40 minutes ahead of the
// device's. The kiosk measures that while online; a scan it makes offline
// is uploaded with the server's time, not the device's (which would put
// the guest's arrival 40 minutes early, before scans at other gates).
func TestKioskClockOffset(t *testing.T) {
	srv := startServer(t)
	guest := srv.attendees(2)[1]
	const skew = 40 * time.Minute
	serverNow := time.Now().UTC().Add(skew)
	srv.setNow(serverNow)

	b := newBrowser(t)
	kiosk := newTab(t, b)
	login(t, kiosk, srv.url, "/e/"+demo.Slug+"/checkin", checkerName, checkerPassword, "/e/"+demo.Slug+"/checkin")
	waitFor(t, kiosk, 10*time.Second, "the check-in kit", `!!document.body.dataset.kit`)
	waitFor(t, kiosk, 10*time.Second, "the clock offset", `Number(document.body.dataset.clockOffset) > 0`)
	offset, _ := strconv.ParseInt(eval[string](t, kiosk, `document.body.dataset.clockOffset`), 10, 64)
	// The server's clock stands still in this test, so the offset shrinks
	// by the seconds the test has taken so far.
	if d := time.Duration(offset)*time.Millisecond - skew; d < -time.Minute || d > 5*time.Second {
		t.Fatalf("measured offset %d ms, want about %v", offset, skew)
	}

	setOffline(t, kiosk, true)
	waitFor(t, kiosk, 5*time.Second, "the kiosk to notice", `document.querySelector('#net').dataset.state === 'offline'`)
	do(t, kiosk, 20*time.Second, "scan", chromedp.SetValue(chromedp.CSS("#scan"), guest.Ticket), chromedp.SendKeys(chromedp.CSS("#scan"), kb.Enter))
	waitFor(t, kiosk, 5*time.Second, "the offline green result",
		`!document.querySelector('#result').hidden && document.querySelector('#result').dataset.result === 'ok'`)
	waitFor(t, kiosk, 5*time.Second, "one queued scan", `document.body.dataset.queue === '1'`)

	// The offset is kept for a restart without the network.
	if got := eval[string](t, kiosk, `localStorage.getItem('hc.kiosk.clockOffset')`); got != strconv.FormatInt(offset, 10) {
		t.Errorf("kept offset %q, want %d", got, offset)
	}

	setOffline(t, kiosk, false)
	waitFor(t, kiosk, 15*time.Second, "the queue to upload", `document.body.dataset.queue === '0' && document.querySelector('#net').dataset.state === 'online'`)
	scans, err := srv.st.ValidCheckIns(context.Background(), guest.ID, 0)
	if err != nil || len(scans) != 1 {
		t.Fatalf("scans of the guest: %+v %v", scans, err)
	}
	c := scans[0]
	if c.Source != app.SourceOfflineSync {
		t.Fatalf("scan %+v, want one from offline_sync", c)
	}
	// The kiosk's estimate of the (standing) server clock moved on by the
	// seconds between measuring and scanning.
	if d := c.ScannedAt.Sub(serverNow); d < -5*time.Second || d > time.Minute {
		t.Fatalf("scanned_at %v is %v from the server's clock %v; the device clock was %v behind", c.ScannedAt, d, serverNow, skew)
	}
}
