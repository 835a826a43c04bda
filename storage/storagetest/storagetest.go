// Package storagetest opens migrated, empty stores for tests: on the
// PostgreSQL named by HYBRIDCON_TEST_DATABASE_URL when it is set, each test
// in a schema of its own, and otherwise on SQLite in the test's temporary
// directory.
package storagetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"github.com/hybridcon/hybridcon/storage"
)

// EnvDatabaseURL names the variable holding the PostgreSQL test URL, e.g.
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const EnvDatabaseURL = "HYBRIDCON_TEST_DATABASE_URL"

// Backend returns "postgres" when tests run on PostgreSQL and "sqlite"
// otherwise, for test logs.
func Backend() string {
	if os.Getenv(EnvDatabaseURL) != "" {
		return storage.DialectPostgres
	}
	return storage.DialectSQLite
}

// Open returns a migrated, empty store that tb.Cleanup closes (and on
// PostgreSQL, whose schema it drops). It fails tb if the database cannot
// be opened.
func Open(tb testing.TB) *storage.Store {
	tb.Helper()
	o := NewOptions(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := storage.Open(ctx, o)
	if err != nil {
		tb.Fatalf("storagetest: open %s store: %v", Backend(), err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("storagetest: close store: %v", err)
		}
	})
	return s
}

// NewOptions returns storage options for a fresh, empty database that
// belongs to tb alone: a new PostgreSQL schema (dropped with CASCADE in
// tb.Cleanup, after stores registered later have closed) or a SQLite file
// in tb.TempDir(). Tests that open several stores on one database, or
// that migrate by hand (NoMigrate), use it instead of Open.
func NewOptions(tb testing.TB) storage.Options {
	tb.Helper()
	base := os.Getenv(EnvDatabaseURL)
	if base == "" {
		return storage.Options{SQLitePath: filepath.Join(tb.TempDir(), "hybridcon.db")}
	}

	var b [8]byte
	_, _ = rand.Read(b[:])
	schema := "hct_" + hex.EncodeToString(b[:])

	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatalf("storagetest: open %s: %v", EnvDatabaseURL, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		tb.Fatalf("storagetest: create schema: %v", err)
	}
	tb.Cleanup(func() {
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("storagetest: drop schema %s: %v", schema, err)
		}
	})
	// A small pool: go test runs packages in parallel, each test with its
	// own stores, and PostgreSQL's max_connections is shared by all.
	return storage.Options{DatabaseURL: withSearchPath(tb, base, schema), MaxOpenConns: 4}
}

// withSearchPath adds search_path=schema to a postgres:// URL or a
// key=value DSN; pgx sends it as a run-time parameter on every connection.
func withSearchPath(tb testing.TB, dsn, schema string) string {
	tb.Helper()
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn + " search_path=" + schema
	}
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatalf("storagetest: parse %s: %v", EnvDatabaseURL, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
