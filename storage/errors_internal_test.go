package storage

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"testing"

	"gorm.io/gorm"

	"github.com/hybridcon/hybridcon/app"
)

func TestFail(t *testing.T) {
	s := &Store{c: &core{log: slog.New(slog.DiscardHandler)}}
	ctx := context.Background()
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	for _, c := range []struct {
		name string
		err  error
		o    on
		code string
		msg  string
	}{
		{"NotFound", gorm.ErrRecordNotFound, on{notFound: notFound("session 42 not found")}, app.ENotFound, "session 42 not found"},
		{"NotFoundDefault", gorm.ErrRecordNotFound, on{}, app.ENotFound, "not found"},
		{"Duplicate", fmt.Errorf("%w: pg detail", gorm.ErrDuplicatedKey), on{dup: conflict("slug taken")}, app.EConflict, "slug taken"},
		{"DuplicateDefault", gorm.ErrDuplicatedKey, on{}, app.EConflict, "already exists"},
		{"ForeignKey", gorm.ErrForeignKeyViolated, on{fk: notFound("event 1 not found")}, app.ENotFound, "event 1 not found"},
		{"Refused", fmt.Errorf("failed to connect: %w", refused), on{}, app.EUnavailable, "database unavailable"},
		{"BadConn", driver.ErrBadConn, on{}, app.EUnavailable, "database unavailable"},
		{"Deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), on{}, app.EUnavailable, "database unavailable"},
		{"Canceled", context.Canceled, on{}, app.EInternal, "internal error"},
		{"Other", errors.New(`syntax error at or near "SELEC"`), on{}, app.EInternal, "internal error"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := s.fail(ctx, c.err, "op", c.o)
			if got := app.ErrorCode(err); got != c.code {
				t.Fatalf("code: got %q, want %q", got, c.code)
			}
			if got := app.ErrorMessage(err); got != c.msg {
				t.Fatalf("message: got %q, want %q", got, c.msg)
			}
		})
	}
	if err := s.fail(ctx, nil, "op", on{}); err != nil {
		t.Fatalf("nil: got %v", err)
	}
	if err := s.fail(ctx, errors.New("x"), "list events", on{}); err.Error() != "storage: list events: x" {
		t.Fatalf("wrapped: got %q", err)
	}
}
