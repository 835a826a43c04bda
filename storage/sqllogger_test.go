package storage_test

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/storage"
	"github.com/hybridcon/hybridcon/storage/storagetest"
)

// lockedBuffer is a bytes.Buffer safe for the store's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestSQLLogger(t *testing.T) {
	var buf lockedBuffer
	o := storagetest.NewOptions(t)
	ctx := ctxT(t)
	// Migrate first, without the logger: on a loaded machine a migration's
	// DDL may well take longer than the slow-statement threshold, which
	// is not what this test is about.
	m, err := storage.Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	m.Close()
	o.Logger = slog.New(slog.NewTextHandler(&buf, nil))
	o.NoMigrate = true
	s, err := storage.Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	// Answers are not failures: nothing is logged for them.
	ev := mustEvent(t, s)
	_, err = s.EventBySlug(ctx, "missing")
	wantCode(t, err, app.ENotFound)
	wantCode(t, s.CreateUser(ctx, &app.User{Username: "u", Role: app.RoleAdmin}), "")
	wantCode(t, s.CreateUser(ctx, &app.User{Username: "u", Role: app.RoleAdmin}), app.EConflict)
	wantCode(t, s.CreateSession(ctx, &app.Session{EventID: ev.ID + 1000}), app.ENotFound)
	wantCode(t, s.CreateAnnouncement(ctx, &app.Announcement{EventID: ev.ID + 1000}), app.ENotFound) // insertID
	if got := buf.String(); got != "" {
		t.Fatalf("log after ordinary answers: got %q, want nothing", got)
	}

	// A real failure is logged at warn, with placeholders but not values.
	err = s.ExecForTest(ctx, "UPDATE no_such_table SET x = ? WHERE y = ?", "secret-value", 1)
	if err == nil || app.ErrorCode(err) != app.EInternal {
		t.Fatalf("bad statement: got %v, want an internal error", err)
	}
	if app.ErrorMessage(err) != "internal error" {
		t.Fatalf("client message: got %q", app.ErrorMessage(err))
	}
	got := buf.String()
	if !strings.Contains(got, "level=WARN") || !strings.Contains(got, "no_such_table") {
		t.Fatalf("log after a failed statement: got %q, want a warning naming the statement", got)
	}
	if strings.Contains(got, "secret-value") {
		t.Fatalf("log contains a bound value: %q", got)
	}

	// The rows inserted with their own SQL (insertID) are logged too: on
	// PostgreSQL their error surfaces after GORM's callbacks ran.
	if err := s.ExecForTest(ctx, "DROP TABLE audit_entries"); err != nil {
		t.Fatal(err)
	}
	err = s.AddAudit(ctx, &app.AuditEntry{Actor: "root", Action: "secret-action"})
	if err == nil || app.ErrorCode(err) != app.EInternal {
		t.Fatalf("insert into a dropped table: got %v, want an internal error", err)
	}
	got = buf.String()
	if !strings.Contains(got, "INSERT INTO audit_entries") {
		t.Fatalf("log after a failed insert: got %q, want a warning naming the statement", got)
	}
	if strings.Contains(got, "secret-action") {
		t.Fatalf("log contains a bound value: %q", got)
	}
}
