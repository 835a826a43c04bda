package api_test

import (
	"bytes"
	"context"
	"image/png"
	"strings"
	"testing"

	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/app/api"
	"github.com/hybridcon/hybridcon/app/demo"
)

// TestKioskTokenLogin: a checker token logs a browser in to its event's
// pages (the kiosk's QR code); the cookie holds the token, so the token's
// CSRF rules apply, logging out leaves the token working, and revoking
// the token ends the login. Other secrets are refused and set no cookie.
func TestKioskTokenLogin(t *testing.T) {
	r := newRig(t, api.Config{})
	issued, err := r.svc.IssueToken(context.Background(), asAdmin, app.TokenInput{Name: "Gate QR", Role: app.RoleChecker, Event: demo.Slug})
	if err != nil {
		t.Fatal(err)
	}
	kiosk := issued.Secret

	for name, c := range map[string]struct {
		body   any
		status int
		code   string
	}{
		"no token":        {map[string]string{"token": ""}, 422, app.EInvalid},
		"unknown field":   {map[string]string{"token": kiosk, "role": "admin"}, 400, app.EBadRequest},
		"unknown token":   {map[string]string{"token": "hc_not-a-token"}, 401, app.EUnauthorized},
		"organizer token": {map[string]string{"token": r.issue(t, app.RoleOrganizer, "")}, 403, app.EForbidden},
		"admin token":     {map[string]string{"token": r.admin}, 403, app.EForbidden},
	} {
		resp := r.do(t, jsonReq("POST", "/api/v1/auth/token", "", c.body))
		wantError(t, resp, c.status, c.code)
		if sc := resp.Header.Values("Set-Cookie"); strings.Contains(strings.Join(sc, ";"), api.SessionCookie+"=") {
			t.Fatalf("%s: a refused token login set %v", name, sc)
		}
	}
	user, password := r.login(t)
	page := r.logIn(t, user, password)
	wantError(t, r.do(t, jsonReq("POST", "/api/v1/auth/token", "", map[string]string{"token": page.session})), 403, app.EForbidden)

	resp := r.do(t, jsonReq("POST", "/api/v1/auth/token", "", map[string]string{"token": kiosk}))
	l := parseLogin(t, resp)
	var me map[string]any
	asJSON(t, r.do(t, cookieReq("GET", "/api/v1/auth/me", l, nil)), 200, &me)
	if me["role"] != app.RoleChecker || me["event"] != demo.Slug {
		t.Fatalf("me after the token login: %v", me)
	}
	scan := map[string]string{"ticket": "HC1.x", "gate": "Door", "scan_id": "kioskqr:0001"}
	noCSRF := cookieReq("POST", "/api/v1/events/"+demo.Slug+"/checkins", l, scan)
	delete(noCSRF.header, api.CSRFHeader)
	wantError(t, r.do(t, noCSRF), 403, app.EForbidden)
	asJSON(t, r.do(t, cookieReq("POST", "/api/v1/events/"+demo.Slug+"/checkins", l, scan)), 200, nil)

	if resp := r.do(t, cookieReq("POST", "/api/v1/auth/logout", l, nil)); resp.Status != 204 {
		t.Fatalf("logout: %d %s", resp.Status, resp.Body)
	}
	if resp := r.do(t, jsonReq("GET", "/api/v1/events/"+demo.Slug+"/checkin-kit", kiosk, nil)); resp.Status != 200 {
		t.Fatalf("the kiosk token after logging out: %d, want 200", resp.Status)
	}

	l = parseLogin(t, r.do(t, jsonReq("POST", "/api/v1/auth/token", "", map[string]string{"token": kiosk})))
	r.svc.FlushTokenUses()
	var tokens struct{ Tokens []app.Token }
	asJSON(t, r.do(t, jsonReq("GET", "/api/v1/tokens", r.admin, nil)), 200, &tokens)
	for _, tk := range tokens.Tokens {
		if tk.ID == issued.ID && tk.LastUsedAt == nil {
			t.Fatalf("the kiosk token's last use is not recorded: %+v", tk)
		}
	}
	if resp := r.do(t, jsonReq("DELETE", "/api/v1/tokens/"+itoa(issued.ID), r.admin, nil)); resp.Status != 204 {
		t.Fatalf("revoke: %d %s", resp.Status, resp.Body)
	}
	wantError(t, r.do(t, cookieReq("GET", "/api/v1/auth/me", l, nil)), 401, app.EUnauthorized)
	wantError(t, r.do(t, jsonReq("POST", "/api/v1/auth/token", "", map[string]string{"token": kiosk})), 401, app.EUnauthorized)
}

// TestQRCode: an admin gets a PNG of a login link; bad texts are 422 and
// other callers 403.
func TestQRCode(t *testing.T) {
	r := newRig(t, api.Config{})
	link := "https://conf.example/login?next=%2Fe%2Fdemo%2Fcheckin#token=hc_abc"
	resp := r.do(t, jsonReq("POST", "/api/v1/qr", r.admin, map[string]string{"text": link}))
	if resp.Status != 200 || resp.Header.Get("Content-Type") != "image/png" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("qr: %d %v", resp.Status, resp.Header)
	}
	img, err := png.Decode(bytes.NewReader(resp.Body))
	if err != nil || img.Bounds().Dx() < 256 {
		t.Fatalf("qr png: %v %v", err, img)
	}
	for _, text := range []string{"", strings.Repeat("x", 513)} {
		wantError(t, r.do(t, jsonReq("POST", "/api/v1/qr", r.admin, map[string]string{"text": text})), 422, app.EInvalid)
	}
	bad := request{method: "POST", path: "/api/v1/qr", token: r.admin, body: []byte("{\"text\":\"bad \xff\"}")}
	wantError(t, r.do(t, bad), 422, app.EInvalid)
	wantError(t, r.do(t, request{method: "POST", path: "/api/v1/qr", token: r.admin, body: []byte(`{"text":`)}), 400, app.EBadRequest)
	wantError(t, r.do(t, jsonReq("POST", "/api/v1/qr", r.issue(t, app.RoleOrganizer, ""), map[string]string{"text": link})), 403, app.EForbidden)
}
