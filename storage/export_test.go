package storage

import (
	"context"
	"os"
	"time"
)

// ExecForTest runs a raw statement and translates its error like every
// Store method does: constraint tests insert rows the Repo cannot express.
func (s *Store) ExecForTest(ctx context.Context, sql string, args ...any) error {
	return s.fail(ctx, s.db.WithContext(ctx).Exec(sql, args...).Error, "exec", on{})
}

// CountRowsForTest returns the number of rows of table.
func (s *Store) CountRowsForTest(ctx context.Context, table string) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Table(table).Count(&n).Error
	return n, err
}

// PragmaForTest returns the value of a SQLite pragma on the pool's
// connection.
func (s *Store) PragmaForTest(ctx context.Context, name string) (string, error) {
	var v string
	err := s.db.WithContext(ctx).Raw("PRAGMA " + name).Row().Scan(&v)
	return v, err
}

// MigrateToForTest applies the pending migrations up to and including
// version, as a binary of that schema would.
func (s *Store) MigrateToForTest(ctx context.Context, version int64) error {
	return s.migrateTo(ctx, version)
}

// MigrationVersionsForTest returns the versions of every migration of this
// binary, in order.
func MigrationVersionsForTest() []int64 {
	out := make([]int64, len(migrations))
	for i, m := range migrations {
		out[i] = m.version
	}
	return out
}

// SetCheckpointEveryForTest sets how often the SQLite checkpointer of
// stores opened from now on looks at the log, and returns a function that
// restores the default.
func SetCheckpointEveryForTest(d time.Duration) (restore func()) {
	old := checkpointEvery
	checkpointEvery = d
	return func() { checkpointEvery = old }
}

// CheckpointForTest runs the SQLite checkpointer once and reports whether
// every frame is in the database file.
func (s *Store) CheckpointForTest() bool { return s.c.ckpt.run() }

// CheckpointDueForTest reports whether the SQLite checkpointer, looking at
// the WAL index now, would checkpoint. Call it only while the
// checkpointer's own loop is idle (SetCheckpointEveryForTest(time.Hour)).
func (s *Store) CheckpointDueForTest() bool { return s.c.ckpt.due(time.Now()) }

// CompleteCheckpointsForTest returns how many of the checkpointer's runs
// copied every frame of a non-empty log.
func (s *Store) CompleteCheckpointsForTest() int64 { return s.c.ckpt.complete.Load() }

// WALFramesForTest returns the frames the SQLite log holds since it last
// started over, from the WAL index (0 when it cannot be read). Call it
// only while the checkpointer's own loop is idle.
func (s *Store) WALFramesForTest() uint32 {
	ix, err := s.c.ckpt.readIndex()
	if err != nil {
		return 0
	}
	return ix.mxFrame
}

// WALPagesForTest returns the size of the SQLite -wal file in pages of
// 4 KiB (0 when there is none).
func (s *Store) WALPagesForTest() int64 {
	fi, err := os.Stat(s.c.file + "-wal")
	if err != nil {
		return 0
	}
	return fi.Size() / 4096
}

// SetCheckpointIdleForTest sets how long uncopied pages may wait for the
// SQLite checkpointer without a new page, and returns a function that
// restores the default.
func SetCheckpointIdleForTest(d time.Duration) (restore func()) {
	old := checkpointIdle
	checkpointIdle = d
	return func() { checkpointIdle = old }
}
