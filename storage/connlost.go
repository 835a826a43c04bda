package storage

import (
	"context"
	"errors"
	"io"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// connectionLost reports whether err means the database connection went
// away rather than that the statement was wrong, beyond the net.Error and
// driver.ErrBadConn cases fail checks itself:
//
//   - io.EOF and io.ErrUnexpectedEOF: pgx reading from a pooled connection
//     the server or a proxy closed (database/sql does not retry it, since
//     the statement may have been sent);
//   - pgx errors that are safe to retry because nothing was sent (the
//     connection was already closed: "conn closed", e.g. at COMMIT after
//     the connection broke mid-transaction; a failed dial), unless the
//     cause is the caller's own cancelled context;
//   - PostgreSQL's SQLSTATE class 08 (connection exception), 57P01
//     admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now
//     (starting up or in recovery) and 53300 too_many_connections.
//
// Such errors become EUnavailable (503) instead of internal errors.
func connectionLost(err error) bool {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return true
	}
	if pgconn.SafeToRetry(err) && !errors.Is(err, context.Canceled) {
		return true
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Code {
	case "57P01", "57P02", "57P03", "53300":
		return true
	}
	return strings.HasPrefix(pe.Code, "08")
}
