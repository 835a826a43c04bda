package app

import (
	"errors"
	"fmt"
)

// Error codes. They are part of the public API (the "code" of an error
// response) and are mapped to HTTP statuses in one table in app/api.
const (
	EBadRequest        = "bad_request"        // malformed input: JSON, ids, query parameters
	EInvalid           = "invalid"            // well-formed but invalid values
	EUnauthorized      = "unauthorized"       // no or bad credentials
	EForbidden         = "forbidden"          // authenticated but not allowed
	ENotFound          = "not_found"          // unknown slug or id
	EConflict          = "conflict"           // duplicate or concurrent change
	EInvalidTransition = "invalid_transition" // illegal state machine move
	EStaleSlot         = "stale_slot"         // showcase advance on a slot that is no longer presenting
	ETooLarge          = "too_large"          // body over the limit
	ERateLimited       = "rate_limited"
	EUnavailable       = "unavailable" // a dependency (database, Redis) is down
	EInternal          = "internal"
)

// Error is the one error type the domain returns. Any other error reaching
// the API is treated as internal and its text is never shown to clients.
type Error struct {
	Code    string
	Message string
	// Details is optional structured context shown to clients, such as the
	// current slot of a stale advance or the rows of a failed import.
	Details any
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err if it is (or wraps) an *Error, and
// EInternal otherwise. A nil error has no code.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the client-safe message of err: the message of an
// *Error, and "internal error" for anything else.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
