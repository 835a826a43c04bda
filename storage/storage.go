// Package storage implements app.Store with GORM on SQLite (the default,
// pure Go, one file under the data directory) or PostgreSQL (the cluster).
//
// It holds storage's own GORM models, the versioned schema migrations and
// the event live log; app types cross the border through small converter
// functions, and database errors are translated there into *app.Error
// (ENotFound, EConflict, EUnavailable) or wrapped as internal errors whose
// text never reaches clients. Nothing outside this package sees GORM.
package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/hybridcon/hybridcon/app"
)

// Dialect names returned by Store.Dialect.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// DefaultSQLitePath is the database file used when Options.SQLitePath is
// empty.
const DefaultSQLitePath = "data/hybridcon.db"

// slowQuery is the duration above which a statement is logged at warn.
const slowQuery = 200 * time.Millisecond

// Options configures Open. The zero value opens (and creates) the SQLite
// file DefaultSQLitePath and applies pending migrations.
type Options struct {
	// DatabaseURL is a postgres:// URL (or a libpq key=value DSN). Empty
	// selects SQLite.
	DatabaseURL string
	// SQLitePath is the SQLite database file; its directory is created.
	// Empty means DefaultSQLitePath. Ignored for PostgreSQL.
	SQLitePath string
	// Logger receives slow statements and database errors at warn. Nil
	// discards them.
	Logger *slog.Logger
	// MaxOpenConns caps the PostgreSQL pool; 0 means 20. SQLite always
	// uses one connection (see Open).
	MaxOpenConns int
	// NoMigrate skips applying pending migrations in Open; Migrate can be
	// called later.
	NoMigrate bool
}

// Store implements app.Store over one *gorm.DB. A Store returned by Open is
// safe for concurrent use; the *Store handed to a Tx callback (as app.Repo)
// is bound to that transaction and must only be used inside the callback.
type Store struct {
	db   *gorm.DB // the pool, or the transaction for a Store inside Tx
	inTx bool
	c    *core
}

// core is what a Store and the transaction Stores derived from it share.
type core struct {
	sqlDB   *sql.DB
	dialect string
	file    string        // SQLite: the database file's absolute path
	ckpt    *checkpointer // SQLite: checkpoints the log off the commit path
	log     *slog.Logger
	queries atomic.Int64
}

var _ app.Store = (*Store)(nil)

// Open connects to the database described by o, checks that it answers
// and, unless o.NoMigrate, applies pending migrations.
//
// SQLite runs with WAL, busy_timeout(5000), foreign_keys(1) and
// synchronous(NORMAL) set in the DSN, so every connection the pool opens
// gets them, and with immediate transactions (BEGIN IMMEDIATE via the
// driver's _txlock), so a transaction takes the write lock when it begins
// and cannot fail with SQLITE_BUSY halfway through after reading. The pool
// holds a single connection, as gotify does: SQLite admits one writer at a
// time anyway, and one connection makes every statement and transaction
// of this process queue in database/sql instead of in busy-retry loops.
// A separate read pool was not added because reads are rare here: live
// pages are served from per-node snapshot caches (O(1) queries per event),
// so the writer connection is not the bottleneck. The price is that a
// Store method called on the Store while a Tx callback runs waits for the
// transaction to end: inside Tx, use only the Repo passed to the callback.
//
// PostgreSQL uses pgx through GORM's postgres driver with a pool of
// o.MaxOpenConns (default 20) connections.
func Open(ctx context.Context, o Options) (*Store, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &core{log: log}

	var dialector gorm.Dialector
	var dsn string
	if o.DatabaseURL == "" {
		path := o.SQLitePath
		if path == "" {
			path = DefaultSQLitePath
		}
		var err error
		dsn, err = sqliteDSN(path)
		if err != nil {
			return nil, err
		}
		c.dialect = DialectSQLite
		if c.file, err = filepath.Abs(path); err != nil {
			return nil, fmt.Errorf("storage: SQLite path %q: %w", path, err)
		}
		pinSQLiteAllocator()
		dialector = sqlite.Open(dsn)
	} else {
		c.dialect = DialectPostgres
		dialector = postgres.New(postgres.Config{DSN: o.DatabaseURL})
	}

	db, err := gorm.Open(dialector, &gorm.Config{
		TranslateError: true,
		// Every write here is one statement or runs inside Tx already.
		SkipDefaultTransaction: true,
		// Open pings itself, after the pool is configured.
		DisableAutomaticPing: true,
		NowFunc:              now,
		Logger:               newGormLogger(log, slowQuery),
	})
	if err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", c.dialect, err)
	}
	c.sqlDB, err = db.DB()
	if err != nil {
		return nil, fmt.Errorf("storage: open %s: %w", c.dialect, err)
	}
	if c.dialect == DialectSQLite {
		keepOneConn(c.sqlDB)
	} else {
		n := o.MaxOpenConns
		if n <= 0 {
			n = 20
		}
		c.sqlDB.SetMaxOpenConns(n)
		c.sqlDB.SetMaxIdleConns(max(n/2, 1))
		c.sqlDB.SetConnMaxIdleTime(5 * time.Minute)
		c.sqlDB.SetConnMaxLifetime(time.Hour)
	}
	if err := registerCounter(db, &c.queries); err != nil {
		c.sqlDB.Close()
		return nil, fmt.Errorf("storage: register callbacks: %w", err)
	}

	s := &Store{db: db, c: c}
	if err := c.sqlDB.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("storage: connect to %s: %w", c.dialect, err)
	}
	if !o.NoMigrate {
		if err := s.Migrate(ctx); err != nil {
			s.Close()
			return nil, err
		}
	}
	if c.dialect == DialectSQLite {
		if c.ckpt, err = startCheckpointer(ctx, dsn, c.file, c.sqlDB, log); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// keepOneConn makes db a pool of one SQLite connection, opened once and
// kept for the life of the pool (see Open).
func keepOneConn(db *sql.DB) {
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
}

// sqliteDSN builds the DSN for path: pragmas as _pragma parameters (the
// driver runs them on every new connection) and immediate transactions.
func sqliteDSN(path string) (string, error) {
	if strings.ContainsRune(path, '?') {
		return "", fmt.Errorf("storage: SQLite path %q must not contain '?'", path)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return "", fmt.Errorf("storage: create SQLite directory: %w", err)
		}
	}
	q := url.Values{}
	// Order matters only in that busy_timeout comes first, so that setting
	// WAL on a file another process holds waits instead of failing.
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// Commits checkpoint only as a backstop; see checkpoint.go.
	q.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", walBackstopPages))
	// Not combined with _time_format: go-sqlite v1.21 returns before
	// reading _txlock when _time_format is present.
	q.Set("_txlock", "immediate")
	return path + "?" + q.Encode(), nil
}

// now is GORM's clock: UTC with microsecond precision, which both
// databases store exactly.
func now() time.Time { return utc(time.Now()) }

// Close closes the connection pool. Calling it on the Store passed to a Tx
// callback is an error.
func (s *Store) Close() error {
	if s.inTx {
		return errors.New("storage: Close called inside a transaction")
	}
	if s.c.ckpt == nil {
		return s.c.sqlDB.Close()
	}
	err := errors.Join(s.c.ckpt.stop(), s.c.sqlDB.Close())
	s.c.ckpt.release()
	return err
}

// Ping checks that the database answers. It is not counted by QueryCount.
func (s *Store) Ping(ctx context.Context) error {
	var err error
	if s.inTx {
		err = s.db.WithContext(ctx).Exec("SELECT 1").Error
	} else {
		err = s.c.sqlDB.PingContext(ctx)
	}
	if err != nil {
		s.c.log.WarnContext(ctx, "storage: ping failed", "dialect", s.c.dialect, "err", err)
		return &app.Error{Code: app.EUnavailable, Message: "database unavailable"}
	}
	return nil
}

// Dialect returns DialectSQLite or DialectPostgres.
func (s *Store) Dialect() string { return s.c.dialect }

// Identity names the database itself, not the way it is reached: for
// SQLite the file's absolute path (symbolic links resolved), for PostgreSQL
// the server's system identifier, the database name and the schema the
// tables live in (search_path), so a copy restored
// into another database (or another server) has another identity while
// every node of one deployment sees the same one. The Redis channel prefix
// defaults to a hash of it. When the system identifier cannot be read
// (pg_control_system revoked) the server's address and port stand in.
func (s *Store) Identity(ctx context.Context) (string, error) {
	if s.c.dialect == DialectSQLite {
		if real, err := filepath.EvalSymlinks(s.c.file); err == nil {
			return "sqlite:" + real, nil
		}
		return "sqlite:" + s.c.file, nil
	}
	var id string
	err := s.c.sqlDB.QueryRowContext(ctx,
		"SELECT system_identifier::text || '/' || current_database() || '/' || current_schema() FROM pg_control_system()").Scan(&id)
	if err != nil {
		s.c.log.WarnContext(ctx, "storage: system identifier unreadable; identifying the database by address", "err", err)
		err = s.c.sqlDB.QueryRowContext(ctx,
			"SELECT coalesce(host(inet_server_addr()), 'socket') || ':' || coalesce(inet_server_port(), 0)::text || '/' || current_database() || '/' || current_schema()").Scan(&id)
	}
	if err != nil {
		return "", fmt.Errorf("storage: database identity: %w", err)
	}
	return "postgres:" + id, nil
}

// QueryCount returns the number of SQL statements this Store (and the
// transactions derived from it) has executed through GORM since Open:
// queries, row queries, raw statements, creates, updates and deletes.
// BEGIN, COMMIT and Ping are not counted. Safe for concurrent use.
func (s *Store) QueryCount() int64 { return s.c.queries.Load() }

// Empty reports whether the database holds no event; it decides whether
// the demo conference is loaded.
func (s *Store) Empty(ctx context.Context) (bool, error) {
	var ids []int64
	err := s.db.WithContext(ctx).Model(&eventRow{}).Limit(1).Pluck("id", &ids).Error
	if err != nil {
		return false, s.fail(ctx, err, "check for events", on{})
	}
	return len(ids) == 0, nil
}

// Tx runs fn in one database transaction and commits when fn returns nil;
// an error or a panic from fn rolls it back, and fn's error is returned
// unchanged. The Repo handed to fn is a *Store bound to the transaction;
// calling Tx on it runs fn2 in the same transaction (no savepoint).
func (s *Store) Tx(ctx context.Context, fn func(app.Repo) error) error {
	return s.tx(ctx, func(tx *Store) error { return fn(tx) })
}

// tx is Tx for callbacks that want the *Store.
func (s *Store) tx(ctx context.Context, fn func(*Store) error) error {
	if s.inTx {
		return fn(s)
	}
	var fnErr error
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		fnErr = fn(&Store{db: tx, inTx: true, c: s.c})
		return fnErr
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return s.fail(ctx, err, "transaction", on{})
	}
	return nil
}

// registerCounter counts every statement GORM runs into n.
func registerCounter(db *gorm.DB, n *atomic.Int64) error {
	count := func(tx *gorm.DB) {
		if !tx.DryRun && tx.Statement.SQL.Len() > 0 {
			n.Add(1)
		}
	}
	cb := db.Callback()
	for _, err := range []error{
		cb.Query().After("gorm:query").Register("hybridcon:count", count),
		cb.Row().After("gorm:row").Register("hybridcon:count", count),
		cb.Raw().After("gorm:raw").Register("hybridcon:count", count),
		cb.Create().After("gorm:create").Register("hybridcon:count", count),
		cb.Update().After("gorm:update").Register("hybridcon:count", count),
		cb.Delete().After("gorm:delete").Register("hybridcon:count", count),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}
