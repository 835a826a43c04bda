package app

import (
	"context"
	"time"
)

// Password hashing is bounded: each argon2id hash takes argonMemory (32
// MiB) for tens of milliseconds, so eight logins at once took a node from
// 155 to 286 MB. At most SetPasswordHashes hashes run at once; a login
// (or password change) finding every slot busy waits up to hashWait for
// one, then is refused with EUnavailable (503 with Retry-After), so a
// burst of logins costs time, not memory.

// DefaultPasswordHashes is how many password hashes run at once unless
// SetPasswordHashes says otherwise.
const DefaultPasswordHashes = 2

// hashWait is how long a password check waits for a free slot.
const hashWait = time.Second

// hashRetryAfter is the Retry-After (seconds) of a refused check.
const hashRetryAfter = 1

// SetPasswordHashes sets how many argon2id password hashes may run at
// once (n < 1 means DefaultPasswordHashes). Call it during wiring only,
// before the service handles requests.
func (s *Service) SetPasswordHashes(n int) {
	if n < 1 {
		n = DefaultPasswordHashes
	}
	s.hashSlots = make(chan struct{}, n)
}

// errHashersBusy refuses a password check when every slot stayed busy.
func errHashersBusy() error {
	return &Error{Code: EUnavailable, Message: "too many password checks at once; retry in a second",
		Details: map[string]int{"retry_after": hashRetryAfter}}
}

// hashSlot takes a hashing slot, waiting up to hashWait (less if ctx
// ends first); the caller runs release when its hash is done.
func (s *Service) hashSlot(ctx context.Context) (release func(), err error) {
	release = func() { <-s.hashSlots }
	select {
	case s.hashSlots <- struct{}{}:
		return release, nil
	default:
	}
	t := time.NewTimer(hashWait)
	defer t.Stop()
	select {
	case s.hashSlots <- struct{}{}:
		return release, nil
	case <-t.C:
		return nil, errHashersBusy()
	case <-ctx.Done():
		return nil, errHashersBusy()
	}
}

// hashPassword is HashPassword in a hashing slot.
func (s *Service) hashPassword(ctx context.Context, password string) (string, error) {
	release, err := s.hashSlot(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	return HashPassword(password)
}

// checkPasswordHash is CheckPassword in a hashing slot.
func (s *Service) checkPasswordHash(ctx context.Context, encoded, password string) (bool, error) {
	release, err := s.hashSlot(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	return CheckPassword(encoded, password), nil
}
