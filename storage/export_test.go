package storage

import "context"

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
