package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/app/api"
	"github.com/hybridcon/hybridcon/app/demo"
)

// asJSON decodes a successful answer into v.
func asJSON(t *testing.T, resp response, status int, v any) {
	t.Helper()
	if resp.Status != status {
		t.Fatalf("got %d, want %d: %s", resp.Status, status, resp.Body)
	}
	if v != nil {
		if err := json.Unmarshal(resp.Body, v); err != nil {
			t.Fatalf("%v: %s", err, resp.Body)
		}
	}
}

// wantError checks an error answer's status and code.
func wantError(t *testing.T, resp response, status int, code string) {
	t.Helper()
	var b api.ErrorBody
	_ = json.Unmarshal(resp.Body, &b)
	if resp.Status != status || b.Error.Code != code {
		t.Fatalf("got %d %q, want %d %q: %s", resp.Status, b.Error.Code, status, code, resp.Body)
	}
}

// jsonReq is a request with a JSON body and a bearer token.
func jsonReq(method, path, token string, body any) request {
	req := request{method: method, path: path, token: token}
	if body != nil {
		b, _ := json.Marshal(body)
		req.body = b
	}
	return req
}

// cookieReq is a request of a logged-in page: login cookie and CSRF header.
func cookieReq(method, path string, l pageLogin, body any) request {
	req := jsonReq(method, path, "", body)
	req.header = map[string]string{"Cookie": cookies(l.session, l.csrfCookie), api.CSRFHeader: l.csrfCookie}
	return req
}

// logIn logs a user in through the API.
func (r *rig) logIn(t *testing.T, username, password string) pageLogin {
	t.Helper()
	resp := r.do(t, jsonReq("POST", "/api/v1/auth/login", "", map[string]string{"username": username, "password": password}))
	if resp.Status != 200 {
		t.Fatalf("login %s: %d %s", username, resp.Status, resp.Body)
	}
	return parseLogin(t, resp)
}

// auditActions returns the actions of the newest audit entries about
// object (type:id).
func (r *rig) auditActions(t *testing.T, object string) []string {
	t.Helper()
	var page struct{ Entries []app.AuditEntry }
	asJSON(t, r.do(t, jsonReq("GET", "/api/v1/audit?limit=200", r.admin, nil)), 200, &page)
	var out []string
	for _, e := range page.Entries {
		if e.ObjectType+":"+e.ObjectID == object {
			out = append(out, e.Action)
		}
	}
	return out
}

func TestUsers(t *testing.T) {
	r := newRig(t, api.Config{})
	const pw = "a good password"
	var created app.User
	asJSON(t, r.do(t, jsonReq("POST", "/api/v1/users", r.admin, map[string]string{
		"username": "Dora", "password": pw, "role": "organizer", "display_name": "  Dóra Kovács "})), 201, &created)
	if created.Username != "Dora" || created.DisplayName != "Dóra Kovács" || created.Role != "organizer" || created.Disabled {
		t.Fatalf("created %+v", created)
	}
	userPath := fmt.Sprintf("/api/v1/users/%d", created.ID)

	t.Run("CreationAudited", func(t *testing.T) {
		if got := r.auditActions(t, fmt.Sprintf("user:%d", created.ID)); len(got) != 1 || got[0] != "user.create" {
			t.Fatalf("audit of the new user: %v, want [user.create]", got)
		}
	})
	t.Run("ListedWithoutHash", func(t *testing.T) {
		resp := r.do(t, jsonReq("GET", "/api/v1/users", r.admin, nil))
		var list struct{ Users []app.User }
		asJSON(t, resp, 200, &list)
		found := false
		for _, u := range list.Users {
			found = found || u.ID == created.ID
		}
		if !found || strings.Contains(string(resp.Body), "argon2") || strings.Contains(string(resp.Body), "password") {
			t.Fatalf("list: %s", resp.Body)
		}
	})
	t.Run("BadInput", func(t *testing.T) {
		before := r.fingerprint(t)
		for _, tc := range []struct {
			name   string
			body   map[string]string
			status int
			code   string
		}{
			{"DuplicateOtherCase", map[string]string{"username": "dORA", "password": pw, "role": "organizer"}, 409, app.EConflict},
			{"ShortPassword", map[string]string{"username": "eve", "password": "short", "role": "organizer"}, 422, app.EInvalid},
			{"OversizedPassword", map[string]string{"username": "eve", "password": strings.Repeat("ő", 129), "role": "organizer"}, 422, app.EInvalid},
			{"PasswordIsUsername", map[string]string{"username": "evelyn1234", "password": "EVELYN1234", "role": "organizer"}, 422, app.EInvalid},
			{"PasswordOneCharacter", map[string]string{"username": "eve", "password": strings.Repeat("x", 12), "role": "organizer"}, 422, app.EInvalid},
			{"UsernameWithSpace", map[string]string{"username": "eve adams", "password": pw, "role": "organizer"}, 422, app.EInvalid},
			{"UsernameTooLong", map[string]string{"username": strings.Repeat("e", 65), "password": pw, "role": "organizer"}, 422, app.EInvalid},
			{"UnknownRole", map[string]string{"username": "eve", "password": pw, "role": "root"}, 422, app.EInvalid},
			{"CheckerWithoutEvent", map[string]string{"username": "eve", "password": pw, "role": "checker"}, 422, app.EInvalid},
			{"ControlInDisplayName", map[string]string{"username": "eve", "password": pw, "role": "organizer", "display_name": "a\u0007b"}, 422, app.EInvalid},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantError(t, r.do(t, jsonReq("POST", "/api/v1/users", r.admin, tc.body)), tc.status, tc.code)
			})
		}
		wantError(t, r.do(t, jsonReq("PATCH", "/api/v1/users/999999", r.admin, map[string]any{"disabled": true})), 404, app.ENotFound)
		wantError(t, r.do(t, jsonReq("DELETE", "/api/v1/users/999999", r.admin, nil)), 404, app.ENotFound)
		wantError(t, r.do(t, jsonReq("PATCH", userPath, r.admin, map[string]any{})), 422, app.EInvalid)
		wantError(t, r.do(t, jsonReq("PATCH", userPath, r.admin, map[string]any{"password": "tiny"})), 422, app.EInvalid)
		r.ensureUnchanged(t, before, "refused user changes")
	})
	t.Run("LoginInAnyCase", func(t *testing.T) {
		l := r.logIn(t, "DORA", pw)
		var me map[string]any
		asJSON(t, r.do(t, request{method: "GET", path: "/api/v1/auth/me", header: map[string]string{"Cookie": cookies(l.session, l.csrfCookie)}}), 200, &me)
		if me["user_id"] != float64(created.ID) || me["role"] != "organizer" {
			t.Fatalf("me: %v", me)
		}
	})
	t.Run("NonAdminCannot", func(t *testing.T) {
		l := r.logIn(t, "dora", pw)
		other := r.freshUser(t)
		before := r.fingerprint(t)
		otherPath := fmt.Sprintf("/api/v1/users/%d", other.ID)
		wantError(t, r.do(t, cookieReq("GET", "/api/v1/users", l, nil)), 403, app.EForbidden)
		wantError(t, r.do(t, cookieReq("POST", "/api/v1/users", l, map[string]string{"username": "mallory", "password": pw, "role": "admin"})), 403, app.EForbidden)
		wantError(t, r.do(t, cookieReq("PATCH", otherPath, l, map[string]any{"disabled": true})), 403, app.EForbidden)
		wantError(t, r.do(t, cookieReq("PATCH", otherPath, l, map[string]any{"password": "taken over 123"})), 403, app.EForbidden)
		wantError(t, r.do(t, cookieReq("PATCH", userPath, l, map[string]any{"disabled": true})), 403, app.EForbidden) // not even oneself
		wantError(t, r.do(t, cookieReq("DELETE", otherPath, l, nil)), 403, app.EForbidden)
		wantError(t, r.do(t, cookieReq("GET", "/api/v1/tokens", l, nil)), 403, app.EForbidden)
		wantError(t, r.do(t, jsonReq("PATCH", userPath, r.organizer, map[string]any{"display_name": "x"})), 403, app.EForbidden) // a token is nobody's account
		r.ensureUnchanged(t, before, "refused changes by an organizer")
	})
	t.Run("OwnPassword", func(t *testing.T) {
		first := r.logIn(t, "dora", pw)
		second := r.logIn(t, "dora", pw)
		before := r.fingerprint(t)
		wantError(t, r.do(t, cookieReq("PATCH", userPath, first, map[string]any{"password": "a new password"})), 422, app.EInvalid)
		wantError(t, r.do(t, cookieReq("PATCH", userPath, first, map[string]any{"password": "a new password", "current_password": "not it at all"})), 403, app.EForbidden)
		r.ensureUnchanged(t, before, "refused password changes")
		asJSON(t, r.do(t, cookieReq("PATCH", userPath, first, map[string]any{"password": "a new password", "current_password": pw, "display_name": "Dóra K."})), 200, nil)
		// The login it was made with goes on; the other one ended.
		asJSON(t, r.do(t, cookieReq("GET", "/api/v1/auth/me", first, nil)), 200, nil)
		wantError(t, r.do(t, cookieReq("GET", "/api/v1/auth/me", second, nil)), 401, app.EUnauthorized)
		wantError(t, r.do(t, jsonReq("POST", "/api/v1/auth/login", "", map[string]string{"username": "dora", "password": pw})), 401, app.EUnauthorized)
		r.logIn(t, "dora", "a new password")
		if got := r.auditActions(t, fmt.Sprintf("user:%d", created.ID)); len(got) < 2 || got[0] != "user.password_change" {
			t.Fatalf("audit: %v, want user.password_change first", got)
		}
	})
	t.Run("DisplayNameIsTheAuthor", func(t *testing.T) {
		l := r.logIn(t, "dora", "a new password")
		var a app.Announcement
		asJSON(t, r.do(t, cookieReq("POST", ev+"/announcements", l, map[string]any{"text": map[string]string{"en": "by Dóra"}})), 201, &a)
		if a.Author != "Dóra K." {
			t.Fatalf("author %q, want the display name", a.Author)
		}
		asJSON(t, r.do(t, jsonReq("POST", ev+"/announcements", r.admin, map[string]any{"text": map[string]string{"en": "by the admin token"}})), 201, &a)
		if a.Author != "admin" {
			t.Fatalf("author %q, want the role (never HYBRIDCON_ADMIN_TOKEN)", a.Author)
		}
		resp := r.do(t, request{method: "GET", path: ev + "/live"})
		if strings.Contains(string(resp.Body), "HYBRIDCON_ADMIN_TOKEN") || strings.Contains(string(resp.Body), `"dora"`) {
			t.Fatalf("the public snapshot names a token or username: %s", truncate(resp.Body))
		}
	})
	t.Run("DisableEndsLogins", func(t *testing.T) {
		l := r.logIn(t, "dora", "a new password")
		asJSON(t, r.do(t, jsonReq("PATCH", userPath, r.admin, map[string]any{"disabled": true})), 200, nil)
		wantError(t, r.do(t, cookieReq("GET", "/api/v1/auth/me", l, nil)), 401, app.EUnauthorized)
		resp := r.do(t, jsonReq("POST", "/api/v1/auth/login", "", map[string]string{"username": "dora", "password": "a new password"}))
		wantError(t, resp, 401, app.EUnauthorized)
		if !strings.Contains(string(resp.Body), "disabled") {
			t.Fatalf("login of a disabled user: %s", resp.Body)
		}
		asJSON(t, r.do(t, jsonReq("PATCH", userPath, r.admin, map[string]any{"disabled": false, "password": "reset by admin"})), 200, nil)
		r.logIn(t, "dora", "reset by admin")
		if got := r.auditActions(t, fmt.Sprintf("user:%d", created.ID)); len(got) < 2 || got[0] != "user.enable" || got[1] != "user.disable" {
			t.Fatalf("audit: %v, want user.enable, user.disable first", got)
		}
	})
	t.Run("DeleteEndsLogins", func(t *testing.T) {
		l := r.logIn(t, "dora", "reset by admin")
		if resp := r.do(t, jsonReq("DELETE", userPath, r.admin, nil)); resp.Status != 204 {
			t.Fatalf("delete: %d %s", resp.Status, resp.Body)
		}
		wantError(t, r.do(t, cookieReq("GET", "/api/v1/auth/me", l, nil)), 401, app.EUnauthorized)
		wantError(t, r.do(t, jsonReq("DELETE", userPath, r.admin, nil)), 404, app.ENotFound)
		if got := r.auditActions(t, fmt.Sprintf("user:%d", created.ID)); got[0] != "user.delete" {
			t.Fatalf("audit: %v, want user.delete first", got)
		}
	})
}

// TestLastActiveAdmin: the last admin who can log in can be neither
// disabled nor deleted (409), by themselves or anyone; with a second
// admin both work.
func TestLastActiveAdmin(t *testing.T) {
	r := newRig(t, api.Config{})
	const pw = "admin password 1"
	var first app.User
	asJSON(t, r.do(t, jsonReq("POST", "/api/v1/users", r.admin, map[string]string{"username": "root1", "password": pw, "role": "admin"})), 201, &first)
	path := fmt.Sprintf("/api/v1/users/%d", first.ID)
	before := r.fingerprint(t)
	wantError(t, r.do(t, jsonReq("PATCH", path, r.admin, map[string]any{"disabled": true})), 409, app.EConflict)
	wantError(t, r.do(t, jsonReq("DELETE", path, r.admin, nil)), 409, app.EConflict)
	l := r.logIn(t, "root1", pw)
	before = r.fingerprint(t)
	wantError(t, r.do(t, cookieReq("DELETE", path, l, nil)), 409, app.EConflict)
	r.ensureUnchanged(t, before, "refusals to remove the last admin")

	var second app.User
	asJSON(t, r.do(t, cookieReq("POST", "/api/v1/users", l, map[string]string{"username": "root2", "password": pw, "role": "admin"})), 201, &second)
	asJSON(t, r.do(t, cookieReq("PATCH", path, l, map[string]any{"disabled": true})), 200, nil) // oneself, now that another admin exists
	path2 := fmt.Sprintf("/api/v1/users/%d", second.ID)
	wantError(t, r.do(t, jsonReq("DELETE", path2, r.admin, nil)), 409, app.EConflict)
	if resp := r.do(t, jsonReq("DELETE", path, r.admin, nil)); resp.Status != 204 {
		t.Fatalf("deleting a disabled admin: %d %s", resp.Status, resp.Body)
	}
}

func TestTokens(t *testing.T) {
	r := newRig(t, api.Config{})
	expires := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	var issued struct {
		app.Token
		Secret string `json:"token"`
	}
	asJSON(t, r.do(t, jsonReq("POST", "/api/v1/tokens", r.admin, map[string]any{"name": "gate 3 kiosk", "role": "checker", "event": demo.Slug, "expires_at": expires})), 201, &issued)
	if issued.Secret == "" || issued.ExpiresAt == nil || !issued.ExpiresAt.Equal(expires) || issued.Event != demo.Slug {
		t.Fatalf("issued %+v", issued)
	}
	tokenPath := fmt.Sprintf("/api/v1/tokens/%d", issued.ID)
	asJSON(t, r.do(t, jsonReq("GET", ev+"/checkin-kit", issued.Secret, nil)), 200, nil)
	r.svc.FlushTokenUses()

	t.Run("ListedWithoutSecret", func(t *testing.T) {
		resp := r.do(t, jsonReq("GET", "/api/v1/tokens", r.admin, nil))
		var list struct{ Tokens []app.Token }
		asJSON(t, resp, 200, &list)
		var got *app.Token
		for i := range list.Tokens {
			if list.Tokens[i].ID == issued.ID {
				got = &list.Tokens[i]
			}
		}
		if got == nil || got.Name != "gate 3 kiosk" || got.Role != "checker" || got.Event != demo.Slug || got.CreatedBy != "HYBRIDCON_ADMIN_TOKEN" ||
			got.LastUsedAt == nil || got.ExpiresAt == nil {
			t.Fatalf("listed %+v", got)
		}
		if strings.Contains(string(resp.Body), issued.Secret) || strings.Contains(string(resp.Body), app.HashToken(issued.Secret)) {
			t.Fatal("the list shows a secret or its hash")
		}
	})
	t.Run("BadInput", func(t *testing.T) {
		before := r.fingerprint(t)
		wantError(t, r.do(t, jsonReq("POST", "/api/v1/tokens", r.admin, map[string]any{"name": "old", "role": "organizer", "expires_at": time.Now().Add(-time.Minute)})), 422, app.EInvalid)
		wantError(t, r.do(t, jsonReq("POST", "/api/v1/tokens", r.admin, map[string]any{"name": "forever", "role": "organizer", "expires_at": time.Now().AddDate(6, 0, 0)})), 422, app.EInvalid)
		wantError(t, r.do(t, jsonReq("POST", "/api/v1/tokens", r.admin, map[string]any{"name": "x", "role": "organizer", "expires_at": "tomorrow"})), 400, app.EBadRequest)
		wantError(t, r.do(t, jsonReq("DELETE", "/api/v1/tokens/999999", r.admin, nil)), 404, app.ENotFound)
		wantError(t, r.do(t, jsonReq("DELETE", "/api/v1/tokens/x", r.admin, nil)), 400, app.EBadRequest)
		r.ensureUnchanged(t, before, "refused token requests")
	})
	t.Run("RevokedAtOnce", func(t *testing.T) {
		if resp := r.do(t, jsonReq("DELETE", tokenPath, r.admin, nil)); resp.Status != 204 {
			t.Fatalf("revoke: %d %s", resp.Status, resp.Body)
		}
		wantError(t, r.do(t, jsonReq("GET", ev+"/checkin-kit", issued.Secret, nil)), 401, app.EUnauthorized)
		if got := r.auditActions(t, fmt.Sprintf("token:%d", issued.ID)); len(got) != 2 || got[0] != "token.revoke" || got[1] != "token.create" {
			t.Fatalf("audit: %v, want [token.revoke token.create]", got)
		}
	})
}

// TestRevokeOnTwoNodes: a token revoked through one node is refused by
// another node on the same database within its authentication cache's
// 5 s, which the second node's clock measures.
func TestRevokeOnTwoNodes(t *testing.T) {
	r := newRig(t, api.Config{})
	n2 := r.secondNode(t)
	clock := time.Now()
	n2.svc.Now = func() time.Time { return clock }
	t2, err := r.svc.IssueToken(t.Context(), asAdmin, app.TokenInput{Name: "gate 1", Role: app.RoleChecker, Event: demo.Slug})
	if err != nil {
		t.Fatal(err)
	}
	kit := jsonReq("GET", ev+"/checkin-kit", t2.Secret, nil)
	asJSON(t, n2.do(t, r, kit), 200, nil) // node 2 has verified and cached it
	if resp := r.do(t, jsonReq("DELETE", fmt.Sprintf("/api/v1/tokens/%d", t2.ID), r.admin, nil)); resp.Status != 204 {
		t.Fatalf("revoke on node 1: %d %s", resp.Status, resp.Body)
	}
	wantError(t, r.do(t, kit), 401, app.EUnauthorized) // node 1: at once
	clock = clock.Add(4900 * time.Millisecond)
	asJSON(t, n2.do(t, r, kit), 200, nil) // node 2 trusts its cache for up to 5 s
	clock = clock.Add(100 * time.Millisecond)
	wantError(t, n2.do(t, r, kit), 401, app.EUnauthorized) // node 2: once its cache entry is 5 s old
}

// TestExpiredToken: a token past its expiry is refused.
func TestExpiredToken(t *testing.T) {
	r := newRig(t, api.Config{})
	exp := time.Now().Add(time.Hour)
	tk, err := r.svc.IssueToken(t.Context(), asAdmin, app.TokenInput{Name: "short", Role: app.RoleOrganizer, ExpiresAt: &exp})
	if err != nil {
		t.Fatal(err)
	}
	asJSON(t, r.do(t, jsonReq("GET", ev+"/audit", tk.Secret, nil)), 200, nil)
	r.setNow(exp.Add(time.Second))
	wantError(t, r.do(t, jsonReq("GET", ev+"/audit", tk.Secret, nil)), 401, app.EUnauthorized)
}

// TestRetryAfterOnBusyHashing: the service's refusal when every password
// hashing slot stays busy (app's TestHashSlots) is a 503 with
// Retry-After, like a rate limit's 429.
func TestRetryAfterOnBusyHashing(t *testing.T) {
	r := newRig(t, api.Config{})
	r.srv.App().Get("/test-busy", func(*fiber.Ctx) error {
		return &app.Error{Code: app.EUnavailable, Message: "too many password checks at once", Details: map[string]int{"retry_after": 1}}
	})
	resp := r.do(t, request{method: "GET", path: "/test-busy"})
	wantError(t, resp, 503, app.EUnavailable)
	if got := resp.Header.Get("Retry-After"); got != "1" {
		t.Fatalf("Retry-After %q, want 1", got)
	}
}
