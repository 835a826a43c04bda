package app

import (
	"context"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Users and API tokens as administrators manage them (the login and the
// token check are in account.go). Every change here writes an audit entry
// in the same transaction; entries about accounts belong to no event and
// are read with AuditAll.

// AccountRepo is what managing users and tokens needs beyond
// AuthRepo. Implementations follow Repo's contract.
type AccountRepo interface {
	// ListUsers returns every user in id order.
	ListUsers(ctx context.Context) ([]User, error)
	// UserByID returns the user with id, or ENotFound.
	UserByID(ctx context.Context, id int64) (*User, error)
	// UpdateUser writes u's DisplayName, PasswordHash and Disabled, or
	// returns ENotFound.
	UpdateUser(ctx context.Context, u *User) error
	// DeleteUser deletes the user and their tokens, or returns ENotFound.
	DeleteUser(ctx context.Context, id int64) error
	// LockActiveAdmins returns the ids of the admins who are not
	// disabled and keeps them from changing until the transaction ends.
	LockActiveAdmins(ctx context.Context) ([]int64, error)
	// ListAPITokens returns every API token (kind api) in id order.
	ListAPITokens(ctx context.Context) ([]Token, error)
	// DeleteAPIToken deletes the API token with id and returns it (with
	// its Hash), or returns ENotFound.
	DeleteAPIToken(ctx context.Context, id int64) (*Token, error)
	// DeleteUserTokens deletes the user's tokens except the one with id
	// keep (0: none) and returns the hashes of those deleted.
	DeleteUserTokens(ctx context.Context, userID, keep int64) ([]string, error)
}

// Limits of account fields.
const (
	MinPasswordRunes    = 10
	MaxPasswordRunes    = 128
	MaxDisplayNameRunes = 100
	maxTokenNameRunes   = 100
)

// usernameRE is what a username may be: ASCII, so that every database
// lowers it alike for the case-insensitive unique index.
var usernameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// UserInput is a new user.
type UserInput struct {
	Username    string `json:"username"`
	Password    string `json:"password"`
	Role        string `json:"role"`
	Event       string `json:"event,omitempty"` // a checker's event (slug)
	DisplayName string `json:"display_name,omitempty"`
}

// UserUpdate changes a user; nil fields stay as they are.
type UserUpdate struct {
	DisplayName *string `json:"display_name,omitempty"`
	// Disabled: a disabled user cannot log in, and their logins end.
	Disabled *bool `json:"disabled,omitempty"`
	// Password is the new password: set by an admin for another user (a
	// reset), or by anyone for themselves with CurrentPassword.
	Password        *string `json:"password,omitempty"`
	CurrentPassword *string `json:"current_password,omitempty"`
}

// checkUsername returns the EInvalid error for a bad username.
func checkUsername(name string) error {
	if !usernameRE.MatchString(name) {
		return Errorf(EInvalid, "username must be 1–64 characters: ASCII letters, digits, and . _ @ - (not first)")
	}
	return nil
}

// validatePassword returns the EInvalid error for a password that is too
// short, too long, the username itself or one character repeated.
func validatePassword(password, username string) error {
	n := utf8.RuneCountInString(password)
	switch {
	case !utf8.ValidString(password):
		return Errorf(EInvalid, "password must be valid UTF-8")
	case n < MinPasswordRunes:
		return Errorf(EInvalid, "password must be at least %d characters", MinPasswordRunes)
	case n > MaxPasswordRunes:
		return Errorf(EInvalid, "password must be at most %d characters", MaxPasswordRunes)
	case strings.EqualFold(password, username):
		return Errorf(EInvalid, "password must not be the username")
	case oneRuneRepeated(password):
		return Errorf(EInvalid, "password must not be one character repeated")
	}
	return nil
}

// oneRuneRepeated reports whether s is one character over and over.
func oneRuneRepeated(s string) bool {
	first, _ := utf8.DecodeRuneInString(s)
	return strings.Trim(s, string(first)) == ""
}

// cleanDisplayName trims a display name and checks it.
func cleanDisplayName(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > MaxDisplayNameRunes {
		return "", Errorf(EInvalid, "display_name must be at most %d characters of valid UTF-8", MaxDisplayNameRunes)
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return "", Errorf(EInvalid, "display_name must not contain control characters")
	}
	return s, nil
}

// userAudit is what the audit trail records of a user: no hash.
func userAudit(u *User) map[string]any {
	return map[string]any{"username": u.Username, "display_name": u.DisplayName, "role": u.Role, "event": u.Event, "disabled": u.Disabled}
}

// tokenAudit is what the audit trail records of a token: never the hash.
func tokenAudit(t *Token) map[string]any {
	m := map[string]any{"name": t.Name, "role": t.Role, "event": t.Event}
	if t.ExpiresAt != nil {
		m["expires_at"] = t.ExpiresAt
	}
	return m
}

// accountAudit is an audit entry about a user or token (no event).
func (s *Service) accountAudit(p Principal, action, objectType string, id int64, before, after any) *AuditEntry {
	e := &AuditEntry{Actor: p.Name, Action: action, ObjectType: objectType, ObjectID: itoa(id), At: s.Now()}
	if before != nil {
		e.Before = mustJSON(before)
	}
	if after != nil {
		e.After = mustJSON(after)
	}
	return e
}

// eventSlug returns the slug of the event with id (nil: ""), read through
// r (the transaction's Repo inside one) and remembered in cache.
func eventSlug(ctx context.Context, r Repo, cache map[int64]string, id *int64) (string, error) {
	if id == nil {
		return "", nil
	}
	if slug, ok := cache[*id]; ok {
		return slug, nil
	}
	ev, err := r.EventByID(ctx, *id)
	if err != nil {
		return "", err
	}
	cache[*id] = ev.Slug
	return ev.Slug, nil
}

// CreateUser adds a user who logs in to the pages (admin only). Checkers
// need an event. A username taken in any case is EConflict.
func (s *Service) CreateUser(ctx context.Context, p Principal, in UserInput) (*User, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	in.Username = strings.TrimSpace(in.Username)
	if err := checkUsername(in.Username); err != nil {
		return nil, err
	}
	if err := validatePassword(in.Password, in.Username); err != nil {
		return nil, err
	}
	display, err := cleanDisplayName(in.DisplayName)
	if err != nil {
		return nil, err
	}
	role, event := strings.TrimSpace(in.Role), strings.TrimSpace(in.Event)
	eventID, err := s.roleEvent(ctx, role, event)
	if err != nil {
		return nil, err
	}
	u := &User{Username: in.Username, DisplayName: display, Role: role, EventID: eventID, Event: event, CreatedAt: s.Now()}
	if u.PasswordHash, err = s.hashPassword(ctx, in.Password); err != nil {
		return nil, err
	}
	err = s.store.Tx(ctx, func(r Repo) error {
		if err := r.CreateUser(ctx, u); err != nil {
			return err
		}
		return r.AddAudit(ctx, s.accountAudit(p, "user.create", "user", u.ID, nil, userAudit(u)))
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// Users lists every user (admin only).
func (s *Service) Users(ctx context.Context, p Principal) ([]User, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	us, err := s.store.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	slugs := map[int64]string{}
	for i := range us {
		if us[i].Event, err = eventSlug(ctx, s.store, slugs, us[i].EventID); err != nil {
			return nil, err
		}
	}
	return us, nil
}

// UpdateUser changes a user. An admin may change anyone's display name
// and disabled flag and reset anyone else's password; everyone may change
// their own display name, and their own password with the current one
// (admins too). Disabling a user or setting their password ends their
// logins (a user changing their own keeps the login they made it with).
// The last active admin cannot be disabled (EConflict).
func (s *Service) UpdateUser(ctx context.Context, p Principal, id int64, in UserUpdate) (*User, error) {
	if p.Anonymous() {
		return nil, Errorf(EUnauthorized, "authentication required")
	}
	self := p.UserID != nil && *p.UserID == id
	if !self && !p.CanAdmin() {
		return nil, Errorf(EForbidden, "only an admin may change another user")
	}
	if in.Disabled != nil && !p.CanAdmin() {
		return nil, Errorf(EForbidden, "only an admin may disable or enable a user")
	}
	if in.CurrentPassword != nil && !self {
		return nil, Errorf(EInvalid, "current_password is only for changing your own password")
	}
	if in.DisplayName == nil && in.Disabled == nil && in.Password == nil {
		return nil, Errorf(EInvalid, "nothing to change: give display_name, disabled or password")
	}
	var display string
	if in.DisplayName != nil {
		var err error
		if display, err = cleanDisplayName(*in.DisplayName); err != nil {
			return nil, err
		}
	}
	u, err := s.store.UserByID(ctx, id)
	if err != nil {
		return nil, err
	}
	var hash string
	if in.Password != nil {
		if self {
			if in.CurrentPassword == nil {
				return nil, Errorf(EInvalid, "changing your own password needs current_password")
			}
			ok, err := s.checkPasswordHash(ctx, u.PasswordHash, *in.CurrentPassword)
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, Errorf(EForbidden, "current_password is wrong")
			}
		}
		if err := validatePassword(*in.Password, u.Username); err != nil {
			return nil, err
		}
		if hash, err = s.hashPassword(ctx, *in.Password); err != nil {
			return nil, err
		}
	}
	var ended []string
	err = s.store.Tx(ctx, func(r Repo) error {
		cur, err := r.UserByID(ctx, id)
		if err != nil {
			return err
		}
		before := *cur
		if in.Disabled != nil && *in.Disabled && !cur.Disabled && cur.Role == RoleAdmin {
			if err := lastAdminCheck(ctx, r, id, "disable"); err != nil {
				return err
			}
		}
		if in.DisplayName != nil {
			cur.DisplayName = display
		}
		if in.Disabled != nil {
			cur.Disabled = *in.Disabled
		}
		if hash != "" {
			cur.PasswordHash = hash
		}
		if err := r.UpdateUser(ctx, cur); err != nil {
			return err
		}
		if cur.Disabled && !before.Disabled || hash != "" {
			keep := int64(0)
			if self && !cur.Disabled {
				keep = p.TokenID
			}
			if ended, err = r.DeleteUserTokens(ctx, id, keep); err != nil {
				return err
			}
		}
		if cur.Event, err = eventSlug(ctx, r, map[int64]string{}, cur.EventID); err != nil {
			return err
		}
		before.Event = cur.Event
		after := userAudit(cur)
		if hash != "" {
			after["password_changed"] = true
		}
		u = cur
		return r.AddAudit(ctx, s.accountAudit(p, userAction(self, before, *cur, hash != ""), "user", id, userAudit(&before), after))
	})
	if err != nil {
		return nil, err
	}
	for _, h := range ended {
		s.auth.drop(h)
	}
	return u, nil
}

// userAction names an update in the audit trail by what matters most.
func userAction(self bool, before, after User, password bool) string {
	switch {
	case after.Disabled && !before.Disabled:
		return "user.disable"
	case !after.Disabled && before.Disabled:
		return "user.enable"
	case password && self:
		return "user.password_change"
	case password:
		return "user.password_reset"
	}
	return "user.update"
}

// lastAdminCheck refuses to take away the last active admin: the
// console needs one, and HYBRIDCON_ADMIN_TOKEN does not replace a login.
func lastAdminCheck(ctx context.Context, r Repo, id int64, what string) error {
	admins, err := r.LockActiveAdmins(ctx)
	if err != nil {
		return err
	}
	if len(admins) == 1 && admins[0] == id {
		return Errorf(EConflict, "cannot %s the last active admin; create or enable another admin first", what)
	}
	return nil
}

// DeleteUser deletes a user and their logins (admin only). The last
// active admin cannot be deleted (EConflict). Audit entries keep the name
// the user acted under.
func (s *Service) DeleteUser(ctx context.Context, p Principal, id int64) error {
	if err := p.RequireAdmin(); err != nil {
		return err
	}
	var ended []string
	err := s.store.Tx(ctx, func(r Repo) error {
		u, err := r.UserByID(ctx, id)
		if err != nil {
			return err
		}
		if u.Role == RoleAdmin && !u.Disabled {
			if err := lastAdminCheck(ctx, r, id, "delete"); err != nil {
				return err
			}
		}
		if ended, err = r.DeleteUserTokens(ctx, id, 0); err != nil {
			return err
		}
		if err := r.DeleteUser(ctx, id); err != nil {
			return err
		}
		if u.Event, err = eventSlug(ctx, r, map[int64]string{}, u.EventID); err != nil {
			return err
		}
		return r.AddAudit(ctx, s.accountAudit(p, "user.delete", "user", id, userAudit(u), nil))
	})
	if err != nil {
		return err
	}
	for _, h := range ended {
		s.auth.drop(h)
	}
	return nil
}

// Tokens lists the API tokens (admin only): name, role, event, creator,
// creation, expiry and last use — never the secret, which is not stored.
// Logins are not listed; they end with their user.
func (s *Service) Tokens(ctx context.Context, p Principal) ([]Token, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	ts, err := s.store.ListAPITokens(ctx)
	if err != nil {
		return nil, err
	}
	slugs := map[int64]string{}
	for i := range ts {
		if ts[i].Event, err = eventSlug(ctx, s.store, slugs, ts[i].EventID); err != nil {
			return nil, err
		}
	}
	return ts, nil
}

// RevokeToken deletes an API token (admin only). This node refuses it at
// once; the others within their authentication cache's lifetime (5 s).
// An unknown id (or a login's) is ENotFound. The HYBRIDCON_ADMIN_TOKEN
// token is made again at the next start while the variable is set.
func (s *Service) RevokeToken(ctx context.Context, p Principal, id int64) error {
	if err := p.RequireAdmin(); err != nil {
		return err
	}
	var gone *Token
	err := s.store.Tx(ctx, func(r Repo) error {
		t, err := r.DeleteAPIToken(ctx, id)
		if err != nil {
			return err
		}
		if t.Event, err = eventSlug(ctx, r, map[int64]string{}, t.EventID); err != nil {
			return err
		}
		gone = t
		return r.AddAudit(ctx, s.accountAudit(p, "token.revoke", "token", id, tokenAudit(t), nil))
	})
	if err != nil {
		return err
	}
	s.auth.drop(gone.Hash)
	return nil
}

// AuditAll pages through the whole audit trail, newest first (admin
// only): every event's entries and those about accounts and tokens,
// which belong to no event. Paging as Audit.
func (s *Service) AuditAll(ctx context.Context, p Principal, before int64, limit int) ([]AuditEntry, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	return s.store.ListAudit(ctx, 0, before, limit)
}

// publicName is how the public sees p where an author is shown: a
// user's display name, else the role; never a username or a token's name.
func (s *Service) publicName(ctx context.Context, p Principal) string {
	if p.UserID != nil {
		if u, err := s.store.UserByID(ctx, *p.UserID); err == nil && u.DisplayName != "" {
			return u.DisplayName
		}
	}
	if p.Role == "" {
		return RoleOrganizer
	}
	return p.Role
}

// maxTokenLifetime bounds an API token's optional expiry.
const maxTokenLifetime = 5 * 365 * 24 * time.Hour
