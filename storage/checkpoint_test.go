package storage_test

import (
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/hybridcon/hybridcon/app"
	"github.com/hybridcon/hybridcon/storage"
	"github.com/hybridcon/hybridcon/storage/storagetest"
)

// writePages commits one announcement of about six pages at a time
// until the store's log has grown by at least pages pages.
func writePages(t *testing.T, s *storage.Store, eventID int64, pages int64) {
	t.Helper()
	ctx := ctxT(t)
	long := strings.Repeat("展", 1000) // 3,000 bytes per language
	start := s.WALPagesForTest()
	for i := 0; s.WALPagesForTest()-start < pages; i++ {
		if i > 10*int(pages) {
			t.Fatalf("the log grew by only %d pages in %d commits: a commit checkpointed it and started it over", s.WALPagesForTest()-start, i)
		}
		// In a transaction: SQLite runs its own checkpoint (the backstop)
		// after a COMMIT, but not after a single INSERT … RETURNING,
		// which the driver finalizes before it reaches SQLITE_DONE.
		a := &app.Announcement{EventID: eventID, Text: app.Text{ZH: long, EN: long, HU: long}, CreatedAt: time.Now().UTC()}
		if err := s.Tx(ctx, func(r app.Repo) error { return r.CreateAnnouncement(ctx, a) }); err != nil {
			t.Fatal(err)
		}
	}
}

// A commit no longer checkpoints the log when it passes SQLite's default
// 1,000 pages: the checkpointer copies it on its own connection, and the
// next writer starts the log over.
func TestSQLiteCheckpointsOffCommit(t *testing.T) {
	sqliteOnly(t)
	defer storage.SetCheckpointEveryForTest(time.Hour)()
	s := storagetest.Open(t)
	ctx := ctxT(t)
	if got, err := s.PragmaForTest(ctx, "wal_autocheckpoint"); err != nil || got != "10000" {
		t.Fatalf("PRAGMA wal_autocheckpoint: got %q, %v; want 10000", got, err)
	}
	ev := mustEvent(t, s)
	// The migrations and the event may have left a log of any size;
	// start from an empty one.
	if !s.CheckpointForTest() {
		t.Fatal("checkpoint of the fresh store did not copy every frame")
	}

	// With SQLite's default, the commit past 1,000 pages would have
	// copied the log, and the next commit restarted it: the file would
	// stay near 1,000 pages.
	writePages(t, s, ev.ID, 500)
	if s.CheckpointDueForTest() {
		t.Fatal("a checkpoint is due after 500 pages (want 1,000)")
	}
	writePages(t, s, ev.ID, 700)
	if n := s.WALPagesForTest(); n < 1200 {
		t.Fatalf("the log is %d pages after 1,200 pages of commits: a commit checkpointed it", n)
	}
	if !s.CheckpointDueForTest() {
		t.Fatal("no checkpoint is due after 1,200 pages")
	}
	if !s.CheckpointForTest() {
		t.Fatal("the checkpointer did not copy every frame of the log")
	}
	// Everything copied: the next commit writes from the start of the
	// file again, so the file does not grow.
	if s.CheckpointDueForTest() {
		t.Fatal("a checkpoint is still due after a full one")
	}
	expectLogStartsOver(t, s, ev.ID, "after the checkpoint")
	got, err := s.ListAnnouncements(ctx, ev.ID, 1)
	if err != nil || len(got) != 1 || got[0].Text.EN != "after the checkpoint" {
		t.Fatalf("newest announcement after the checkpoint: %+v, %v", got, err)
	}
}

// The checkpointer's own loop copies the log once it passes 1,000 pages,
// while commits go on.
func TestSQLiteCheckpointerRuns(t *testing.T) {
	sqliteOnly(t)
	defer storage.SetCheckpointEveryForTest(10 * time.Millisecond)()
	s := storagetest.Open(t)
	ev := mustEvent(t, s)
	deadline := time.Now().Add(10 * time.Second)
	for s.CompleteCheckpointsForTest() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the checkpointer copied no log within 10 s")
		}
		writePages(t, s, ev.ID, 100)
		time.Sleep(20 * time.Millisecond)
	}
}

// A few pages left uncopied are copied once the log has been quiet for
// checkpointIdle.
func TestSQLiteCheckpointWhenQuiet(t *testing.T) {
	sqliteOnly(t)
	defer storage.SetCheckpointEveryForTest(time.Hour)()
	defer storage.SetCheckpointIdleForTest(200 * time.Millisecond)()
	s := storagetest.Open(t)
	ev := mustEvent(t, s)
	writePages(t, s, ev.ID, 5)
	if s.CheckpointDueForTest() {
		t.Fatal("a checkpoint is due right after a commit of a few pages")
	}
	time.Sleep(250 * time.Millisecond)
	if !s.CheckpointDueForTest() {
		t.Fatal("no checkpoint is due after the log was quiet for longer than checkpointIdle")
	}
	if !s.CheckpointForTest() || s.CheckpointDueForTest() {
		t.Fatal("a checkpoint is still due after a full one")
	}
}

// After a checkpoint that copied every frame, the checkpointer starts the
// log over itself (one page: user_version, unchanged), so the next commit
// does not write and sync a new log header first. That page is not work
// for the next look, however long the log stays quiet.
func TestSQLiteCheckpointerStartsTheLogOver(t *testing.T) {
	sqliteOnly(t)
	defer storage.SetCheckpointEveryForTest(time.Hour)()
	defer storage.SetCheckpointIdleForTest(100 * time.Millisecond)()
	s := storagetest.Open(t)
	ctx := ctxT(t)
	ev := mustEvent(t, s)
	if err := s.ExecForTest(ctx, "PRAGMA user_version = 7"); err != nil {
		t.Fatal(err)
	}
	writePages(t, s, ev.ID, 50)
	if n := s.WALFramesForTest(); n < 50 {
		t.Fatalf("the log holds %d frames after 50 pages of commits", n)
	}
	if !s.CheckpointForTest() {
		t.Fatal("the checkpointer did not copy every frame of the log")
	}
	if n := s.WALFramesForTest(); n != 1 {
		t.Fatalf("the log holds %d frames after a full checkpoint; want 1, the checkpointer's own page of a log started over", n)
	}
	for range 2 { // the first look notes the log's size, the second finds it quiet
		if s.CheckpointDueForTest() {
			t.Fatal("a checkpoint is due for the checkpointer's own page")
		}
		time.Sleep(150 * time.Millisecond)
	}
	if v, err := s.PragmaForTest(ctx, "user_version"); err != nil || v != "7" {
		t.Fatalf("user_version after the restart: %q, %v; want 7, as it was", v, err)
	}

	// A commit appends to the log the checkpointer started over, and its
	// pages are copied once the log is quiet.
	expectLogStartsOver(t, s, ev.ID, "after the restart")
	if n := s.WALFramesForTest(); n <= 1 {
		t.Fatalf("the log holds %d frames after a commit", n)
	}
	if s.CheckpointDueForTest() {
		t.Fatal("a checkpoint is due right after a commit of a few pages")
	}
	time.Sleep(150 * time.Millisecond)
	if !s.CheckpointDueForTest() {
		t.Fatal("no checkpoint is due for a quiet log holding a commit's pages")
	}
	if !s.CheckpointForTest() || s.WALFramesForTest() != 1 {
		t.Fatalf("the second full checkpoint left %d frames; want 1", s.WALFramesForTest())
	}
}

// A reader still on the log keeps it from starting over: the
// checkpointer's page then follows the copied frames, and is not work
// for the next look either (else every full checkpoint would bring
// another page and another checkpoint while such a reader stays).
func TestSQLiteCheckpointerPageAfterAReader(t *testing.T) {
	sqliteOnly(t)
	defer storage.SetCheckpointEveryForTest(time.Hour)()
	defer storage.SetCheckpointIdleForTest(100 * time.Millisecond)()
	s, path := openSQLite(t)
	ev := mustEvent(t, s)
	writePages(t, s, ev.ID, 50)
	readerSnapshot(t, path)
	frames := s.WALFramesForTest()
	if !s.CheckpointForTest() {
		t.Fatal("the checkpointer did not copy every frame the reader also sees")
	}
	if got := s.WALFramesForTest(); got != frames+1 {
		t.Fatalf("the log holds %d frames after the checkpointer's page; want %d, after the %d the reader keeps", got, frames+1, frames)
	}
	for range 2 {
		if s.CheckpointDueForTest() {
			t.Fatal("a checkpoint is due for the checkpointer's own page after a reader's frames")
		}
		time.Sleep(150 * time.Millisecond)
	}
}

// A checkpoint that could not copy the whole log (here a reader held an
// older snapshot; in production, commits that came while it ran) leaves
// a few pages, and the log cannot start over until they are copied too:
// the checkpointer copies them at its next look instead of waiting for
// 1,000 new ones.
func TestSQLiteCheckpointFinishesARacedOne(t *testing.T) {
	sqliteOnly(t)
	defer storage.SetCheckpointEveryForTest(time.Hour)()
	s, path := openSQLite(t)
	ev := mustEvent(t, s)
	if !s.CheckpointForTest() {
		t.Fatal("checkpoint of the fresh store did not copy every frame")
	}
	writePages(t, s, ev.ID, 600)

	rtx := readerSnapshot(t, path)
	writePages(t, s, ev.ID, 600)
	if s.CheckpointForTest() {
		t.Fatal("a checkpoint copied the whole log while a reader held an older snapshot")
	}
	if err := rtx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if !s.CheckpointDueForTest() {
		t.Fatal("no checkpoint is due for the pages the raced one left")
	}
	if !s.CheckpointForTest() || s.CheckpointDueForTest() {
		t.Fatal("the second checkpoint did not copy the rest of the log")
	}
	expectLogStartsOver(t, s, ev.ID, "after the second checkpoint")
}

// openSQLite opens a store of its own for t and returns it with the path
// of its SQLite file, for a second connection to it.
func openSQLite(t *testing.T) (*storage.Store, string) {
	t.Helper()
	o := storagetest.NewOptions(t)
	s, err := storage.Open(ctxT(t), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, o.SQLitePath
}

// readerSnapshot opens a second connection to the SQLite file at path
// and holds a read transaction on it, whose snapshot keeps the log's
// frames it reads from being started over, until the test ends or the
// returned transaction is rolled back.
func readerSnapshot(t *testing.T, path string) *sql.Tx {
	t.Helper()
	ctx := ctxT(t)
	reader, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reader.Close() })
	rtx, err := reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rtx.Rollback() })
	var n int
	if err := rtx.QueryRowContext(ctx, "SELECT count(*) FROM announcements").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return rtx
}

// expectLogStartsOver commits an announcement with text after a full
// checkpoint and fails t if the log file grew: the commit should have
// written from the start of the file again.
func expectLogStartsOver(t *testing.T, s *storage.Store, eventID int64, text string) {
	t.Helper()
	grown := s.WALPagesForTest()
	a := &app.Announcement{EventID: eventID, Text: app.Text{EN: text}, CreatedAt: time.Now().UTC()}
	if err := s.CreateAnnouncement(ctxT(t), a); err != nil {
		t.Fatal(err)
	}
	if n := s.WALPagesForTest(); n != grown {
		t.Fatalf("the log grew from %d to %d pages %s: it did not start over", grown, n, text)
	}
}
