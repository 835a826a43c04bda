package app

import (
	"context"
	"strings"
	"sync"
	"time"
)

// LoginTTL is how long a page login lasts.
const LoginTTL = 12 * time.Hour

// tokenTouchEvery limits last-used writes to one per token per interval,
// so a busy gate does not turn every scan into two writes.
const tokenTouchEvery = time.Minute

// Bootstrap makes sure an administrator can get in. With adminToken set,
// an admin API token with exactly that value exists afterwards. Without
// it, a first start (no users at all) creates the user "admin" with a
// generated password and returns the password so the caller prints it
// once; later starts return "".
func (s *Service) Bootstrap(ctx context.Context, adminToken string) (generatedPassword string, err error) {
	if adminToken != "" {
		hash := HashToken(adminToken)
		if _, err := s.store.TokenByHash(ctx, hash); err == nil {
			return "", nil
		} else if ErrorCode(err) != ENotFound {
			return "", err
		}
		err := s.store.CreateToken(ctx, &Token{Kind: TokenAPI, Name: "HYBRIDCON_ADMIN_TOKEN", Hash: hash, Role: RoleAdmin, CreatedAt: s.Now()})
		if ErrorCode(err) == EConflict { // another node created it meanwhile
			return "", nil
		}
		return "", err
	}
	n, err := s.store.CountUsers(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	password, err := NewSecret("")
	if err != nil {
		return "", err
	}
	password = password[:20]
	hash, err := HashPassword(password)
	if err != nil {
		return "", err
	}
	err = s.store.CreateUser(ctx, &User{Username: "admin", PasswordHash: hash, Role: RoleAdmin, CreatedAt: s.Now()})
	if ErrorCode(err) == EConflict {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return password, nil
}

// CreateUser adds a user who logs in to the pages. Checkers need an event.
func (s *Service) CreateUser(ctx context.Context, p Principal, username, password, role, eventSlug string) (*User, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	username = strings.TrimSpace(username)
	if username == "" || len(username) > 64 {
		return nil, Errorf(EInvalid, "username must be 1–64 characters")
	}
	if len(password) < 10 {
		return nil, Errorf(EInvalid, "password must be at least 10 characters")
	}
	u := &User{Username: username, Role: role, CreatedAt: s.Now()}
	eventID, err := s.roleEvent(ctx, role, eventSlug)
	if err != nil {
		return nil, err
	}
	u.EventID = eventID
	if u.PasswordHash, err = HashPassword(password); err != nil {
		return nil, err
	}
	if err := s.store.CreateUser(ctx, u); err != nil {
		return nil, err
	}
	return u, nil
}

// roleEvent validates a role and resolves the event a checker belongs to.
func (s *Service) roleEvent(ctx context.Context, role, eventSlug string) (*int64, error) {
	if !ValidRole(role) {
		return nil, Errorf(EInvalid, "role must be admin, organizer or checker")
	}
	if role != RoleChecker {
		if eventSlug != "" {
			return nil, Errorf(EInvalid, "only checkers belong to one event")
		}
		return nil, nil
	}
	if eventSlug == "" {
		return nil, Errorf(EInvalid, "a checker needs an event")
	}
	id, err := s.eventID(ctx, eventSlug)
	if ErrorCode(err) == ENotFound {
		return nil, Errorf(EInvalid, "event %q does not exist", eventSlug)
	}
	if err != nil {
		return nil, err
	}
	return &id, nil
}

// IssuedToken is a new API token; Secret is shown once and never stored.
type IssuedToken struct {
	Token
	Secret string `json:"token"`
	Event  string `json:"event,omitempty"`
}

// IssueToken creates an API token with a role (admin only). Checker
// tokens belong to one event.
func (s *Service) IssueToken(ctx context.Context, p Principal, name, role, eventSlug string) (*IssuedToken, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	name = strings.TrimSpace(name)
	if len(name) > 100 {
		return nil, Errorf(EInvalid, "name must be at most 100 characters")
	}
	eventID, err := s.roleEvent(ctx, role, eventSlug)
	if err != nil {
		return nil, err
	}
	secret, err := NewSecret("hc_")
	if err != nil {
		return nil, err
	}
	t := Token{Kind: TokenAPI, Name: name, Hash: HashToken(secret), Role: role, EventID: eventID, CreatedAt: s.Now()}
	err = s.store.Tx(ctx, func(r Repo) error {
		if err := r.CreateToken(ctx, &t); err != nil {
			return err
		}
		return r.AddAudit(ctx, &AuditEntry{EventID: eventID, Actor: p.Name, Action: "token.create", ObjectType: "token",
			ObjectID: itoa(t.ID), After: mustJSON(map[string]any{"name": name, "role": role, "event": eventSlug}), At: s.Now()})
	})
	if err != nil {
		return nil, err
	}
	return &IssuedToken{Token: t, Secret: secret, Event: eventSlug}, nil
}

// Login checks a user's password and returns a login token for a cookie.
// A wrong user name and a wrong password give the same answer.
func (s *Service) Login(ctx context.Context, username, password string) (string, *User, error) {
	u, err := s.store.UserByName(ctx, username)
	if ErrorCode(err) == ENotFound {
		// Spend the same time as a real check so timing does not reveal
		// which user names exist.
		CheckPassword(dummyHash(), password)
		return "", nil, Errorf(EUnauthorized, "wrong user name or password")
	}
	if err != nil {
		return "", nil, err
	}
	if !CheckPassword(u.PasswordHash, password) {
		return "", nil, Errorf(EUnauthorized, "wrong user name or password")
	}
	secret, err := NewSecret("hcs_")
	if err != nil {
		return "", nil, err
	}
	exp := s.Now().Add(LoginTTL)
	t := &Token{Kind: TokenLogin, Name: u.Username, Hash: HashToken(secret), Role: u.Role, EventID: u.EventID, UserID: &u.ID, CreatedAt: s.Now(), ExpiresAt: &exp}
	if err := s.store.CreateToken(ctx, t); err != nil {
		return "", nil, err
	}
	return secret, u, nil
}

// dummyHash is hashed on first use, not at start-up (argon2 costs tens
// of milliseconds).
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("not a real password")
	return h
})

// Logout ends a login; an unknown token is not an error.
func (s *Service) Logout(ctx context.Context, secret string) error {
	s.auth.drop(HashToken(secret))
	err := s.store.DeleteToken(ctx, HashToken(secret))
	if ErrorCode(err) == ENotFound {
		return nil
	}
	return err
}

// Authenticate returns the principal of a token or login secret, or
// EUnauthorized when it is unknown or expired.
func (s *Service) Authenticate(ctx context.Context, secret string) (Principal, error) {
	if secret == "" || len(secret) > 200 {
		return Principal{}, Errorf(EUnauthorized, "invalid or expired token")
	}
	hash := HashToken(secret)
	now := s.Now()
	if p, ok := s.auth.get(hash, now); ok {
		return p, nil
	}
	t, err := s.store.TokenByHash(ctx, hash)
	if ErrorCode(err) == ENotFound {
		return Principal{}, Errorf(EUnauthorized, "invalid or expired token")
	}
	if err != nil {
		return Principal{}, err
	}
	if t.ExpiresAt != nil && !now.Before(*t.ExpiresAt) {
		return Principal{}, Errorf(EUnauthorized, "invalid or expired token")
	}
	s.touch(ctx, t.ID, now)
	name := t.Name
	if name == "" {
		name = "token-" + itoa(t.ID)
	}
	p := Principal{Name: name, Role: t.Role, EventID: t.EventID, TokenID: t.ID, UserID: t.UserID}
	s.auth.put(hash, p, now, t.ExpiresAt)
	return p, nil
}

func (s *Service) touch(ctx context.Context, id int64, now time.Time) {
	s.touchMu.Lock()
	last, ok := s.touched[id]
	if ok && now.Sub(last) < tokenTouchEvery {
		s.touchMu.Unlock()
		return
	}
	s.touched[id] = now
	s.touchMu.Unlock()
	if err := s.store.TouchToken(ctx, id, now); err != nil {
		s.log.Warn("recording token use", "token", id, "err", err)
	}
}

// authCacheTTL is how long a verified token is trusted without asking the
// database again. A busy gate sends many scans a second with one token;
// this keeps authentication off the check-in path's query budget. A
// logout takes effect at once on the node that served it, and within the
// TTL on the others.
const authCacheTTL = 5 * time.Second

// authCache remembers recently verified tokens by hash. It is bounded:
// when full it is cleared, which costs one database read per token.
type authCache struct {
	mu sync.Mutex
	m  map[string]authEntry
}

type authEntry struct {
	p     Principal
	until time.Time
}

const authCacheMax = 10000

func (c *authCache) get(hash string, now time.Time) (Principal, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[hash]
	if !ok || !now.Before(e.until) {
		return Principal{}, false
	}
	return e.p, true
}

func (c *authCache) put(hash string, p Principal, now time.Time, expires *time.Time) {
	until := now.Add(authCacheTTL)
	if expires != nil && expires.Before(until) {
		until = *expires
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= authCacheMax {
		c.m = make(map[string]authEntry)
	}
	c.m[hash] = authEntry{p: p, until: until}
}

func (c *authCache) drop(hash string) {
	c.mu.Lock()
	delete(c.m, hash)
	c.mu.Unlock()
}
