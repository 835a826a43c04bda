package storage

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/hybridcon/hybridcon/app"
)

// LockEvent locks the event's row until the transaction ends (SELECT …
// FOR UPDATE on PostgreSQL; SQLite's immediate transactions already hold
// its one write lock). Transactions that change sessions and append to
// the live log take it first, so they all lock in the same order —
// event, then sessions — and cannot deadlock each other.
func (s *Store) LockEvent(ctx context.Context, eventID int64) error {
	if s.c.dialect != DialectPostgres {
		return nil
	}
	var id int64
	err := s.db.WithContext(ctx).Raw("SELECT id FROM events WHERE id = ? FOR UPDATE", eventID).Row().Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("event %d not found", eventID)
	}
	if err != nil {
		return s.fail(ctx, err, "lock event", on{})
	}
	return nil
}

// ReadTx runs fn in one read-only transaction that sees a single snapshot
// of the database (REPEATABLE READ on PostgreSQL; SQLite transactions are
// serialised anyway), so what fn reads is consistent across statements.
func (s *Store) ReadTx(ctx context.Context, fn func(app.Repo) error) error {
	if s.inTx || s.c.dialect != DialectPostgres {
		return s.Tx(ctx, fn)
	}
	var fnErr error
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		fnErr = fn(&Store{db: tx, inTx: true, c: s.c})
		return fnErr
	}, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return s.fail(ctx, err, "read transaction", on{})
	}
	return nil
}

// retryable reports whether err is a PostgreSQL serialization failure or
// deadlock: the transaction was rolled back whole and may run again.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}
