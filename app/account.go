package app

import (
	"context"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// bootstrapActor is who the audit trail names for what a start-up
// creates (the first admin, the HYBRIDCON_ADMIN_TOKEN token).
var bootstrapActor = Principal{Name: "hybridcon (start-up)", Role: RoleAdmin}

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
		t := &Token{Kind: TokenAPI, Name: "HYBRIDCON_ADMIN_TOKEN", Hash: hash, Role: RoleAdmin, CreatedBy: bootstrapActor.Name, CreatedAt: s.Now()}
		err := s.store.Tx(ctx, func(r Repo) error {
			if err := r.CreateToken(ctx, t); err != nil {
				return err
			}
			return r.AddAudit(ctx, s.accountAudit(bootstrapActor, "token.create", "token", t.ID, nil, tokenAudit(t)))
		})
		if ErrorCode(err) == EConflict { // another node created it meanwhile
			return "", nil
		}
		return "", err
	}
	n, err := s.store.CountUsers(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	password, err := NewPassword()
	if err != nil {
		return "", err
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return "", err
	}
	u := &User{Username: "admin", PasswordHash: hash, Role: RoleAdmin, CreatedAt: s.Now()}
	err = s.store.Tx(ctx, func(r Repo) error {
		if err := r.CreateUser(ctx, u); err != nil {
			return err
		}
		return r.AddAudit(ctx, s.accountAudit(bootstrapActor, "user.create", "user", u.ID, nil, userAudit(u)))
	})
	if ErrorCode(err) == EConflict {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return password, nil
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
}

// TokenInput is a new API token.
type TokenInput struct {
	Name  string `json:"name"`
	Role  string `json:"role"`
	Event string `json:"event,omitempty"` // a checker token's event (slug)
	// ExpiresAt, when set, ends the token then; it must lie in the next
	// five years. Nil: the token lasts until it is revoked.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// IssueToken creates an API token with a role (admin only). Checker
// tokens belong to one event.
func (s *Service) IssueToken(ctx context.Context, p Principal, in TokenInput) (*IssuedToken, error) {
	if err := p.RequireAdmin(); err != nil {
		return nil, err
	}
	name, err := cleanDisplayName(in.Name)
	if err != nil || utf8.RuneCountInString(name) > maxTokenNameRunes {
		return nil, Errorf(EInvalid, "name must be at most %d characters, without control characters", maxTokenNameRunes)
	}
	role, event := strings.TrimSpace(in.Role), strings.TrimSpace(in.Event)
	eventID, err := s.roleEvent(ctx, role, event)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	if in.ExpiresAt != nil && (!in.ExpiresAt.After(now) || in.ExpiresAt.Sub(now) > maxTokenLifetime) {
		return nil, Errorf(EInvalid, "expires_at must lie in the future and within five years")
	}
	secret, err := NewSecret("hc_")
	if err != nil {
		return nil, err
	}
	t := Token{Kind: TokenAPI, Name: name, Hash: HashToken(secret), Role: role, EventID: eventID, Event: event,
		CreatedBy: p.Name, CreatedAt: now, ExpiresAt: in.ExpiresAt}
	err = s.store.Tx(ctx, func(r Repo) error {
		if err := r.CreateToken(ctx, &t); err != nil {
			return err
		}
		e := s.accountAudit(p, "token.create", "token", t.ID, nil, tokenAudit(&t))
		e.EventID = eventID
		return r.AddAudit(ctx, e)
	})
	if err != nil {
		return nil, err
	}
	return &IssuedToken{Token: t, Secret: secret}, nil
}

// Login checks a user's password (the username in any case) and returns
// a login token for a cookie. A wrong user name and a wrong password give
// the same answer; a disabled user is told so once the password is right.
// Password checks wait for a free hashing slot (see SetPasswordHashes).
func (s *Service) Login(ctx context.Context, username, password string) (string, *User, error) {
	wrong := Errorf(EUnauthorized, "wrong user name or password")
	u, err := s.store.UserByName(ctx, username)
	if ErrorCode(err) == ENotFound {
		// Spend the same time as a real check so timing does not reveal
		// which user names exist.
		if _, err := s.checkPasswordHash(ctx, dummyHash(), password); err != nil {
			return "", nil, err
		}
		return "", nil, wrong
	}
	if err != nil {
		return "", nil, err
	}
	ok, err := s.checkPasswordHash(ctx, u.PasswordHash, password)
	if err != nil {
		return "", nil, err
	}
	if !ok {
		return "", nil, wrong
	}
	if u.Disabled {
		return "", nil, Errorf(EUnauthorized, "this account is disabled; ask an administrator")
	}
	secret, err := NewSecret("hcs_")
	if err != nil {
		return "", nil, err
	}
	exp := s.Now().Add(LoginTTL)
	t := &Token{Kind: TokenLogin, Name: u.Username, Hash: HashToken(secret), Role: u.Role, EventID: u.EventID, UserID: &u.ID, CreatedAt: s.Now(), ExpiresAt: &exp}
	if err := s.store.CreateToken(ctx, t); err != nil {
		if ErrorCode(err) == ENotFound { // the user was deleted meanwhile
			return "", nil, wrong
		}
		return "", nil, err
	}
	if u.Event, err = eventSlug(ctx, s.store, map[int64]string{}, u.EventID); err != nil {
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
	s.touch(t.ID, now)
	name := t.Name
	if name == "" {
		name = "token-" + itoa(t.ID)
	}
	p := Principal{Name: name, Role: t.Role, EventID: t.EventID, TokenID: t.ID, UserID: t.UserID}
	s.auth.put(hash, p, now, t.ExpiresAt)
	return p, nil
}

// TokenLogin checks an API token offered for a page login: the QR code
// of a kiosk token carries it, and the browser then keeps the token as
// its login cookie, so revoking the token ends that login at once and
// the token's last use shows the kiosk at work. Only a checker token of
// an event logs in this way; a login secret, and admin and organizer
// tokens, are refused (EForbidden), so an API token meant for scripts
// never becomes a browser login.
func (s *Service) TokenLogin(ctx context.Context, secret string) (Principal, error) {
	p, err := s.Authenticate(ctx, strings.TrimSpace(secret))
	if err != nil {
		return Principal{}, err
	}
	if p.UserID != nil || p.Role != RoleChecker || p.EventID == nil {
		return Principal{}, Errorf(EForbidden, "only a checker token of an event logs in to the pages; log in with a user name and password")
	}
	return p, nil
}

// touch records that token id was used at now, at most once per
// tokenTouchEvery per token, without making the request wait: the write
// is queued and a goroutine (started when the queue fills from empty,
// gone when it is empty again) writes the queue with its own deadline.
func (s *Service) touch(id int64, now time.Time) {
	s.touchMu.Lock()
	defer s.touchMu.Unlock()
	if last, ok := s.touched[id]; ok && now.Sub(last) < tokenTouchEvery {
		return
	}
	s.touched[id] = now
	if len(s.touched) > authCacheMax { // forget old uses rather than grow
		clear(s.touched)
		s.touched[id] = now
	}
	if s.touchQueue == nil {
		s.touchQueue = make(map[int64]time.Time)
	}
	s.touchQueue[id] = now
	if !s.touching {
		s.touching = true
		s.touchWG.Add(1)
		go s.writeTouches()
	}
}

// touchWriteTimeout bounds one last-used write.
const touchWriteTimeout = 5 * time.Second

// writeTouches writes queued last uses until the queue is empty.
func (s *Service) writeTouches() {
	defer s.touchWG.Done()
	for {
		s.touchMu.Lock()
		q := s.touchQueue
		s.touchQueue = nil
		if len(q) == 0 {
			s.touching = false
			s.touchMu.Unlock()
			return
		}
		s.touchMu.Unlock()
		for id, at := range q {
			ctx, cancel := context.WithTimeout(context.Background(), touchWriteTimeout)
			err := s.store.TouchToken(ctx, id, at)
			cancel()
			if err != nil && ErrorCode(err) != ENotFound { // a revoked token is no news
				s.log.Warn("recording token use", "token", id, "err", err)
			}
		}
	}
}

// FlushTokenUses waits until the last uses recorded so far are written
// (tests, and a node shutting down before it closes the database).
func (s *Service) FlushTokenUses() { s.touchWG.Wait() }

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
