package app

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Principal is who makes a request: an API token, a logged-in user, or
// nobody (the zero value, anonymous).
type Principal struct {
	Name    string // user name or token name, for the audit trail
	Role    string // empty for anonymous
	EventID *int64 // the event a checker belongs to
	TokenID int64
	UserID  *int64
	// Party is set for the holder of a ticket or team link (Role
	// RoleParticipant or RoleTeam; see transfer_auth.go).
	Party *Party
}

// Anonymous reports whether nobody is authenticated.
func (p Principal) Anonymous() bool { return p.Role == "" }

// CanAdmin reports whether p may manage events, users and tokens.
func (p Principal) CanAdmin() bool { return p.Role == RoleAdmin }

// CanOrganize reports whether p may run events (organizers run every event).
func (p Principal) CanOrganize() bool { return p.Role == RoleAdmin || p.Role == RoleOrganizer }

// CanCheckIn reports whether p may scan tickets of the event.
func (p Principal) CanCheckIn(eventID int64) bool {
	if p.CanOrganize() {
		return true
	}
	return p.Role == RoleChecker && p.EventID != nil && *p.EventID == eventID
}

// RequireOrganizer returns EUnauthorized for anonymous callers and
// EForbidden for callers without the organizer or admin role.
func (p Principal) RequireOrganizer() error {
	switch {
	case p.Anonymous():
		return Errorf(EUnauthorized, "authentication required")
	case !p.CanOrganize():
		return Errorf(EForbidden, "this action needs the organizer role")
	}
	return nil
}

// RequireAdmin is RequireOrganizer for the admin role.
func (p Principal) RequireAdmin() error {
	switch {
	case p.Anonymous():
		return Errorf(EUnauthorized, "authentication required")
	case !p.CanAdmin():
		return Errorf(EForbidden, "this action needs the admin role")
	}
	return nil
}

// RequireCheckIn returns an error unless p may scan tickets of the event.
func (p Principal) RequireCheckIn(eventID int64) error {
	switch {
	case p.Anonymous():
		return Errorf(EUnauthorized, "authentication required")
	case !p.CanCheckIn(eventID):
		return Errorf(EForbidden, "this token may not check in guests of this event")
	}
	return nil
}

// argon2id parameters (RFC 9106's second recommended option, with less
// memory so a 2-core node can serve a burst of logins).
const (
	argonTime    = 2
	argonMemory  = 32 * 1024 // KiB
	argonThreads = 2
	argonKeyLen  = 32
	argonSaltLen = 16
)

// HashPassword returns an encoded argon2id hash of password, in the
// $argon2id$v=19$m=…,t=…,p=…$salt$hash form.
func HashPassword(password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches an encoded hash made by
// HashPassword, in constant time.
func CheckPassword(encoded, password string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 || m > 1<<20 || t > 16 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 || len(want) > 128 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// NewSecret returns a random token or password: 32 random bytes in
// URL-safe base64 with a prefix naming what it is (e.g. "hc_").
func NewSecret(prefix string) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b), nil
}

// NewPassword returns a generated password: 20 random URL-safe
// characters (120 bits).
func NewPassword() (string, error) {
	s, err := NewSecret("")
	if err != nil {
		return "", err
	}
	return s[:20], nil
}

// HashToken returns the stored form of a token: hex SHA-256. Tokens are
// long random strings, so a fast hash is enough (unlike passwords).
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
