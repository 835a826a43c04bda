package storage

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"

	"gorm.io/gorm"

	"github.com/hybridcon/hybridcon/app"
)

// on says what a failed statement means to the caller: the *app.Error for
// a missing row, a unique violation and a foreign key violation. A nil
// field falls back to a generic error of the usual code.
type on struct {
	notFound *app.Error
	dup      *app.Error
	fk       *app.Error
}

// notFound returns the ENotFound error naming the missing object.
func notFound(format string, args ...any) *app.Error {
	return app.Errorf(app.ENotFound, format, args...)
}

// conflict returns an EConflict error.
func conflict(format string, args ...any) *app.Error {
	return app.Errorf(app.EConflict, format, args...)
}

// translate maps a driver error that did not pass through GORM's
// callbacks (one met while reading a Raw query's rows) to GORM's errors,
// as Config.TranslateError does for the others: a unique violation
// becomes gorm.ErrDuplicatedKey and so on.
func (s *Store) translate(err error) error {
	if t, ok := s.db.Dialector.(gorm.ErrorTranslator); ok && err != nil {
		return t.Translate(err)
	}
	return err
}

// fail translates a database error at the border: record not found →
// ENotFound, unique violation → EConflict, foreign key violation → o.fk
// (EConflict by default), a lost or refused connection or a statement
// past its context's deadline (a net.Error, as context.DeadlineExceeded
// is), or a connection that was cut or shut down (connectionLost) →
// EUnavailable, logged at warn since the message withholds the
// cause; anything else is wrapped with op and becomes an internal error
// for the API. No message built here contains SQL.
func (s *Store) fail(ctx context.Context, err error, op string, o on) error {
	var ne net.Error
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound):
		if o.notFound != nil {
			return o.notFound
		}
		return notFound("not found")
	case errors.Is(err, gorm.ErrDuplicatedKey):
		if o.dup != nil {
			return o.dup
		}
		return conflict("already exists")
	case errors.Is(err, gorm.ErrForeignKeyViolated):
		if o.fk != nil {
			return o.fk
		}
		return conflict("refers to a missing object or is still referred to")
	case retryable(err):
		// Nothing was written; the caller may simply try again. Lock
		// ordering (Repo.LockEvent) keeps this rare.
		s.c.log.WarnContext(ctx, "storage: transaction aborted by a deadlock or serialization failure", "op", op)
		return conflict("a concurrent change got in the way; nothing was changed, try again")
	case errors.As(err, &ne), errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone), connectionLost(err):
		s.c.log.WarnContext(ctx, "storage: database unavailable", "op", op, "err", err)
		return &app.Error{Code: app.EUnavailable, Message: "database unavailable"}
	}
	return fmt.Errorf("storage: %s: %w", op, err)
}
