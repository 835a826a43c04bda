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

// TestKioskTokenQR: an admin issues a kiosk token in the console and
// gets a QR code of its login link; a kiosk opening the link is logged in
// to the event's check-in page (the token leaves the address at once);
// the console shows the token's last use; the kiosk's scanner reading
// another kiosk token's link switches it to that token; revoking the
// token sends the kiosk back to the login page. The users part: a password the API refuses is
// shown beside its field; a user is created, given a password, deleted.
func TestKioskTokenQR(t *testing.T) {
	srv := startServer(t)
	ctx := context.Background()
	if _, err := srv.svc.CreateUser(ctx, app.Principal{Name: "t", Role: app.RoleAdmin}, app.UserInput{Username: "chief", Password: "chief password 1", Role: app.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	tab := newTab(t, b)
	login(t, tab, srv.url, "/console?event="+demo.Slug, "chief", "chief password 1", "/console")
	waitFor(t, tab, 10*time.Second, "the token form", `!document.querySelector('#accounts-admin').hidden && document.querySelector('#user-form')`)

	do(t, tab, 10*time.Second, "issue a kiosk token",
		chromedp.SendKeys(chromedp.CSS("#token-name"), "Gate QR"),
		chromedp.SetValue(chromedp.CSS("#token-role"), "checker"),
		chromedp.Click(chromedp.CSS(`#token-form button[type="submit"]`)))
	waitFor(t, tab, 10*time.Second, "the QR code", `document.querySelector('#kiosk-qr img')?.complete && document.querySelector('#kiosk-qr img').naturalWidth >= 256`)
	link := eval[string](t, tab, `document.querySelector('#kiosk-qr a').href`)
	if !strings.Contains(link, "/login?next=%2Fe%2F"+demo.Slug+"%2Fcheckin#token=hc_") {
		t.Fatalf("kiosk link %q", link)
	}

	kiosk := newTab(t, b)
	do(t, kiosk, 20*time.Second, "open the kiosk link", chromedp.Navigate(link))
	waitFor(t, kiosk, 15*time.Second, "the kiosk logged in", `location.pathname === '/e/`+demo.Slug+`/checkin' && document.body.dataset.ready === 'true'`)
	if h := eval[string](t, kiosk, `location.href`); strings.Contains(h, "token") {
		t.Fatalf("the token stayed in the address: %s", h)
	}

	// The kiosk's scanner reads another kiosk token's link: it switches.
	var second struct {
		app.Token
		Secret string `json:"token"`
	}
	srv.call("POST", "/api/v1/tokens", map[string]string{"name": "Second gate", "role": "checker", "event": demo.Slug}, &second)
	link2 := strings.Replace(link, link[strings.Index(link, "#token=")+7:], second.Secret, 1)
	do(t, kiosk, 10*time.Second, "scan the second link", chromedp.SendKeys(chromedp.CSS("#scan"), link2+"\n"))
	waitFor(t, kiosk, 15*time.Second, "the kiosk on the second token", `location.pathname === '/e/`+demo.Slug+`/checkin' && document.body.dataset.ready === 'true' && document.body.dataset.user === 'Second gate'`)

	srv.svc.FlushTokenUses()
	row := `[...document.querySelectorAll('#tokens tr')].find(r => r.textContent.includes('Gate QR'))`
	do(t, tab, 20*time.Second, "reload the console", chromedp.Reload())
	waitFor(t, tab, 10*time.Second, "the last use shown", row+` && !`+row+`.textContent.includes('Last used: never')`)
	// Revoking the token the kiosk now uses logs it out.
	row2 := `[...document.querySelectorAll('#tokens tr')].find(r => r.textContent.includes('Second gate'))`
	eval[bool](t, tab, `(() => { `+row2+`.querySelector('button').click(); return true })()`)
	waitFor(t, tab, 5*time.Second, "the revoke dialog", `document.querySelector('#confirm').open`)
	press(t, tab, "#confirm-ok")
	waitFor(t, tab, 5*time.Second, "the token gone", `!`+row2)
	do(t, kiosk, 20*time.Second, "reload the kiosk", chromedp.Reload())
	waitFor(t, kiosk, 10*time.Second, "the kiosk at the login page", `location.pathname === '/login'`)

	// Users: the API's refusal beside the field, then create, reset, delete.
	do(t, tab, 10*time.Second, "a user with a short password",
		chromedp.SendKeys(chromedp.CSS(`#user-form [name="username"]`), "door7"),
		chromedp.SetValue(chromedp.CSS(`#user-form [name="role"]`), "checker"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#user-form [name="password"]').removeAttribute('minlength')`),
		chromedp.SendKeys(chromedp.CSS(`#user-form [name="password"]`), "short"),
		chromedp.Click(chromedp.CSS(`#user-form button[type="submit"]`)))
	waitFor(t, tab, 5*time.Second, "the error beside the password", `document.querySelector('#user-form .field-error[data-field="password"]')?.textContent.includes('at least 10') && document.querySelector('#user-form [name="password"]').getAttribute('aria-invalid') === 'true'`)
	do(t, tab, 10*time.Second, "a good password",
		chromedp.SendKeys(chromedp.CSS(`#user-form [name="password"]`), " but longer now"),
		chromedp.Click(chromedp.CSS(`#user-form button[type="submit"]`)))
	user := `document.querySelector('#users tr[data-user="door7"]')`
	waitFor(t, tab, 10*time.Second, "door7 listed", user+` && !document.querySelector('#user-form .field-error')`)
	if _, _, err := srv.svc.Login(ctx, "door7", "short but longer now"); err != nil {
		t.Fatalf("door7 logs in: %v", err)
	}
	eval[bool](t, tab, `(() => { `+user+`.querySelector('button[data-user]').click(); return true })()`)
	do(t, tab, 10*time.Second, "set door7's password",
		chromedp.SendKeys(chromedp.CSS(`#users .inline-form input`), "a reset password 7"),
		chromedp.Click(chromedp.CSS(`#users .inline-form button[type="submit"]`)))
	waitFor(t, tab, 10*time.Second, "the password set", `(document.querySelector('#toast')?.textContent || '').includes('Password of door7')`)
	if _, _, err := srv.svc.Login(ctx, "door7", "a reset password 7"); err != nil {
		t.Fatalf("door7 logs in with the reset password: %v", err)
	}
	eval[bool](t, tab, `(() => { `+user+`.querySelector('.btn-danger:last-child').click(); return true })()`)
	waitFor(t, tab, 5*time.Second, "the delete dialog", `document.querySelector('#confirm').open`)
	press(t, tab, "#confirm-ok")
	waitFor(t, tab, 10*time.Second, "door7 gone", `!`+user)

	// The tokens list pages by 20.
	for i := range 25 {
		if _, err := srv.svc.IssueToken(ctx, app.Principal{Name: "t", Role: app.RoleAdmin}, app.TokenInput{Name: fmt.Sprintf("script %02d", i), Role: app.RoleOrganizer}); err != nil {
			t.Fatal(err)
		}
	}
	do(t, tab, 20*time.Second, "reload the console", chromedp.Reload())
	waitFor(t, tab, 10*time.Second, "the first page of tokens", `document.querySelectorAll('#tokens tbody tr').length === 20 && (document.querySelector('#tokens .setup-pager')?.textContent || '').includes('of 2')`)
	tap(t, tab, `#tokens .setup-pager button:last-child`)
	all, err := srv.svc.Tokens(ctx, app.Principal{Name: "t", Role: app.RoleAdmin})
	if err != nil || len(all) <= 20 || len(all) > 40 {
		t.Fatalf("%d tokens: %v", len(all), err)
	}
	waitFor(t, tab, 10*time.Second, "the second page", fmt.Sprintf(`document.querySelectorAll('#tokens tbody tr').length === %d`, len(all)-20))
}
