package web_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/app/demo"
)

// TestConsoleRevokesLostKioskToken: an admin finds a kiosk token in the
// console's accounts card and revokes it in two clicks (Revoke, then
// confirm); the token is refused at once. An organizer sees no such card
// but changes their own password there.
func TestConsoleRevokesLostKioskToken(t *testing.T) {
	srv := startServer(t)
	ctx := context.Background()
	if _, err := srv.svc.CreateUser(ctx, app.Principal{Name: "t", Role: app.RoleAdmin}, app.UserInput{Username: "chief", Password: "chief password 1", Role: app.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	var kiosk struct {
		app.Token
		Secret string `json:"token"`
	}
	srv.call("POST", "/api/v1/tokens", map[string]string{"name": "Gate 3 kiosk", "role": "checker", "event": demo.Slug}, &kiosk)
	kit := func() int {
		req, _ := http.NewRequest("GET", srv.url+"/api/v1/events/"+demo.Slug+"/checkin-kit", nil)
		req.Header.Set("Authorization", "Bearer "+kiosk.Secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := kit(); code != 200 {
		t.Fatalf("the kiosk token before: %d", code)
	}

	b := newBrowser(t)
	tab := newTab(t, b)
	login(t, tab, srv.url, "/console", "chief", "chief password 1", "/console")
	row := `[...document.querySelectorAll('#tokens tr')].find(r => r.textContent.includes('Gate 3 kiosk'))`
	waitFor(t, tab, 10*time.Second, "the kiosk token listed", `!!`+row)
	if dir := os.Getenv(envScreenshots); dir != "" {
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(moduleRoot(t), dir)
		}
		do(t, tab, 10*time.Second, "scroll", chromedp.ScrollIntoView(chromedp.CSS("#accounts")))
		c, cancel := context.WithTimeout(tab, 10*time.Second)
		png, err := chromedp.Run(c, chromedp.Screenshot(chromedp.CSS("#accounts")))
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "console-accounts-en.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	eval[bool](t, tab, `(() => { `+row+`.querySelector('button').click(); return true })()`) // click 1: Revoke
	waitFor(t, tab, 5*time.Second, "the revoke dialog", `document.querySelector('#confirm').open && document.activeElement?.id === 'confirm-cancel'`)
	press(t, tab, "#confirm-ok") // click 2: confirm
	waitFor(t, tab, 5*time.Second, "the token gone from the list", `!`+row+` && (document.querySelector('#toast')?.textContent || '').includes('revoked')`)
	if code := kit(); code != 401 {
		t.Fatalf("the revoked kiosk token: %d, want 401", code)
	}

	org := newTab(t, b)
	login(t, org, srv.url, "/console", organizerName, organizerPassword, "/console")
	if eval[bool](t, org, `!document.querySelector('#accounts-admin').hidden`) {
		t.Fatal("an organizer sees the admin part of the accounts card")
	}
	do(t, org, 5*time.Second, "change the password",
		chromedp.SendKeys(chromedp.CSS("#pw-current"), organizerPassword),
		chromedp.SendKeys(chromedp.CSS("#pw-new"), "a brand new password"),
		chromedp.Click(chromedp.CSS(`#password-form button[type="submit"]`)))
	waitFor(t, org, 5*time.Second, "the change confirmed", `(document.querySelector('#toast')?.textContent || '').includes('Password changed')`)
	if _, _, err := srv.svc.Login(ctx, organizerName, "a brand new password"); err != nil {
		t.Fatalf("login with the new password: %v", err)
	}
}
