package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hybridcon/hybridcon/app"
)

// closedConnErr stands for pgconn's unexported "conn closed" error: safe
// to retry, since nothing was sent on the closed connection.
type closedConnErr struct{}

func (closedConnErr) Error() string     { return "conn closed" }
func (closedConnErr) SafeToRetry() bool { return true }

// cancelledErr stands for pgconn's error for a context cancelled before
// anything was sent.
type cancelledErr struct{}

func (cancelledErr) Error() string     { return "context canceled" }
func (cancelledErr) SafeToRetry() bool { return true }
func (cancelledErr) Unwrap() error     { return context.Canceled }

// TestFailConnectionLost covers the errors a cut or shut-down PostgreSQL
// produces besides net.Error: the first statement on a pooled connection
// a proxy closed fails with "unexpected EOF", and a transaction whose
// connection broke fails at COMMIT with "conn closed" (both found by
// cmd/hybridcon's TestFaultDatabaseDown, which got 500s for them); a
// server that shuts down sends a FATAL with SQLSTATE 57P01 first.
func TestFailConnectionLost(t *testing.T) {
	s := &Store{c: &core{log: slog.New(slog.DiscardHandler)}}
	ctx := context.Background()
	for _, c := range []struct {
		name string
		err  error
		code string
	}{
		{"UnexpectedEOF", fmt.Errorf("list events: %w", io.ErrUnexpectedEOF), app.EUnavailable},
		{"EOF", io.EOF, app.EUnavailable},
		{"AdminShutdown", &pgconn.PgError{Severity: "FATAL", Code: "57P01", Message: "terminating connection due to administrator command"}, app.EUnavailable},
		{"CannotConnectNow", fmt.Errorf("connect: %w", &pgconn.PgError{Severity: "FATAL", Code: "57P03", Message: "the database system is starting up"}), app.EUnavailable},
		{"ConnectionFailure", &pgconn.PgError{Code: "08006"}, app.EUnavailable},
		{"TooManyConnections", &pgconn.PgError{Code: "53300"}, app.EUnavailable},
		{"ConnClosed", fmt.Errorf("commit: %w", closedConnErr{}), app.EUnavailable},
		{"CanceledBeforeSending", cancelledErr{}, app.EInternal},
		{"SyntaxError", &pgconn.PgError{Code: "42601", Message: "syntax error"}, app.EInternal},
		{"CheckViolation", &pgconn.PgError{Code: "23514"}, app.EInternal},
		{"Other", errors.New("something else"), app.EInternal},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := s.fail(ctx, c.err, "op", on{})
			if got := app.ErrorCode(err); got != c.code {
				t.Fatalf("code: got %q, want %q (%v)", got, c.code, err)
			}
			if c.code == app.EUnavailable && app.ErrorMessage(err) != "database unavailable" {
				t.Fatalf("message: got %q", app.ErrorMessage(err))
			}
		})
	}
}
