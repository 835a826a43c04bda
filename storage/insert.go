package storage

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
)

// The rows every live change writes (the log entry, the audit entry) and
// the announcement, inserted by insertID instead of GORM's Create.
const (
	insertAnnouncementSQL = "INSERT INTO announcements (event_id, text_zh, text_en, text_hu, pinned, author, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
	insertLiveSQL         = "INSERT INTO live_entries (event_id, seq, type, at, data) VALUES (?, ?, ?, ?, ?)"
	insertAuditSQL        = `INSERT INTO audit_entries (event_id, actor, action, object_type, object_id, "before", "after", at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
)

// errNoResult is an INSERT that reported neither an error nor a row id
// (GORM's dry run, which no Store uses).
var errNoResult = errors.New("insert reported no id")

// insertID runs one INSERT of a single row (q, with ? placeholders) and
// returns the new row's id. It is what Create does for these rows, minus
// the model's reflection, and on SQLite minus the RETURNING clause: SQLite
// runs a RETURNING as a trigger program, so there the id is the driver's
// last insert id instead (docs/benchmarks.md, "The log's inserts"). On
// PostgreSQL it is RETURNING id. Statements still go through GORM's
// callbacks, so the query counter and the SQL log see them, and their
// errors are translated and logged as Create's are.
func (s *Store) insertID(ctx context.Context, q string, args ...any) (int64, error) {
	if s.c.dialect == DialectPostgres {
		q += " RETURNING id"
		var id int64
		err := errNoResult
		begin := time.Now()
		if row := s.db.WithContext(ctx).Raw(q, args...).Row(); row != nil {
			err = row.Scan(&id)
		}
		if err != nil {
			// The error surfaces at Scan, after GORM's callbacks: it is
			// translated, and logged, here as GORM does for an Exec's.
			err = s.translate(err)
			s.db.Logger.Trace(ctx, begin, func() (string, int64) { return q, 0 }, err)
		}
		return id, err
	}
	res := gorm.WithResult()
	if err := s.db.WithContext(ctx).Clauses(res).Exec(q, args...).Error; err != nil {
		return 0, err
	}
	if res.Result == nil {
		return 0, errNoResult
	}
	return res.Result.LastInsertId()
}
