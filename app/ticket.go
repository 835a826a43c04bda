package app

import (
	"crypto/ed25519"
	"encoding/base64"
	"strings"
)

// Tickets are short texts carried in QR codes:
//
//	HC1.<event-slug>.<attendee-id>.<signature>
//
// where signature is the Ed25519 signature, by the event's private key,
// of the bytes "HC1.<event-slug>.<attendee-id>", in URL-safe base64
// without padding (86 characters). A kiosk holding the event's public key
// verifies a ticket with no network. Everything here is pure.

// TicketVersion is the prefix of every ticket this version issues.
const TicketVersion = "HC1"

// MaxTicketLen bounds the ticket text (after trimming surrounding space).
const MaxTicketLen = 300

// Rejection reasons of a scan: part of the public API (the "reason" of a
// rejected check-in).
const (
	// ReasonInvalidTicket: unparsable, truncated, wrong signature, or an
	// attendee this event does not know.
	ReasonInvalidTicket = "invalid_ticket"
	// ReasonWrongEvent: a well-formed ticket of another event. Decided
	// before the signature check: only that event's key could verify it.
	ReasonWrongEvent = "wrong_event"
	// ReasonRevoked: a genuine ticket whose attendee was revoked.
	ReasonRevoked = "revoked"
)

// attendeeIDLen is the length of the ids storage generates: 16 random
// bytes in lowercase base32 without padding.
const attendeeIDLen = 26

// sigLen is the length of an encoded signature: 64 bytes in unpadded
// base64.
var sigLen = base64.RawURLEncoding.EncodedLen(ed25519.SignatureSize)

// Ticket is a parsed ticket. ParseTicket checks its shape; only
// VerifyTicket says whether it is genuine.
type Ticket struct {
	Version  string
	Event    string // event slug
	Attendee string // attendee id
	Sig      []byte // Ed25519 signature, 64 bytes
}

// Message returns the bytes the signature covers.
func (t Ticket) Message() []byte {
	return []byte(t.Version + "." + t.Event + "." + t.Attendee)
}

// String returns the ticket text; for a ticket ParseTicket accepted it is
// exactly the (trimmed) text parsed.
func (t Ticket) String() string {
	return t.Version + "." + t.Event + "." + t.Attendee + "." + base64.RawURLEncoding.EncodeToString(t.Sig)
}

// ValidAttendeeID reports whether id has the shape of a generated
// attendee id: 26 characters of lowercase base32 (a–z, 2–7).
func ValidAttendeeID(id string) bool {
	if len(id) != attendeeIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// SignTicket returns the ticket text of an attendee of the event with the
// slug, signed with the event's Ed25519 private key (64 bytes, as
// Repo.EventPrivateKey returns it). It panics if priv has the wrong
// length, as ed25519.Sign does.
func SignTicket(priv ed25519.PrivateKey, slug, attendeeID string) string {
	t := Ticket{Version: TicketVersion, Event: slug, Attendee: attendeeID}
	t.Sig = ed25519.Sign(priv, t.Message())
	return t.String()
}

// ParseTicket parses a ticket text strictly: surrounding white space is
// trimmed, then the text must be at most MaxTicketLen bytes and exactly
// four dot-separated parts: the version TicketVersion, a valid event slug
// (ValidSlug), an attendee id (ValidAttendeeID) and a canonical unpadded
// URL-safe base64 signature of exactly 64 bytes. Any other text is an
// *Error with code EInvalid saying what is wrong; the scan reason is
// ReasonInvalidTicket. ParseTicket never panics.
func ParseTicket(s string) (Ticket, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return Ticket{}, Errorf(EInvalid, "empty ticket")
	case len(s) > MaxTicketLen:
		return Ticket{}, Errorf(EInvalid, "ticket longer than %d bytes", MaxTicketLen)
	}
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return Ticket{}, Errorf(EInvalid, "a ticket has 4 dot-separated parts, this one %d (truncated?)", len(parts))
	}
	t := Ticket{Version: parts[0], Event: parts[1], Attendee: parts[2]}
	switch {
	case t.Version != TicketVersion:
		return Ticket{}, Errorf(EInvalid, "unknown ticket version")
	case !ValidSlug(t.Event):
		return Ticket{}, Errorf(EInvalid, "malformed event in ticket")
	case !ValidAttendeeID(t.Attendee):
		return Ticket{}, Errorf(EInvalid, "malformed attendee id in ticket")
	case len(parts[3]) != sigLen:
		return Ticket{}, Errorf(EInvalid, "signature has %d characters, want %d (truncated?)", len(parts[3]), sigLen)
	}
	sig, err := base64.RawURLEncoding.Strict().DecodeString(parts[3])
	if err != nil || len(sig) != ed25519.SignatureSize {
		return Ticket{}, Errorf(EInvalid, "malformed signature")
	}
	t.Sig = sig
	return t, nil
}

// VerifyTicket reports whether t carries a valid signature by the private
// key of pub (32 bytes). A key of the wrong length verifies nothing.
func VerifyTicket(pub ed25519.PublicKey, t Ticket) bool {
	if len(pub) != ed25519.PublicKeySize || len(t.Sig) != ed25519.SignatureSize {
		return false
	}
	return ed25519.Verify(pub, t.Message(), t.Sig)
}

// ParsePublicKey decodes an event's PublicKey (standard base64, 32
// bytes).
func ParsePublicKey(b64 string) (ed25519.PublicKey, error) {
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, Errorf(EInternal, "event public key is not 32 bytes of base64")
	}
	return ed25519.PublicKey(b), nil
}
