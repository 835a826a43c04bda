package storage

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// gormLogger is GORM's logger on slog: quiet, it logs at warn only the
// statements slower than slow and the errors that are not answers (a row
// not found, a unique or foreign key violation, a cancelled request are
// translated for the caller and are not worth a log line). Statements are
// logged with placeholders, never with their values, which include
// password hashes and private keys.
type gormLogger struct {
	log  *slog.Logger
	slow time.Duration
}

var (
	_ logger.Interface  = gormLogger{}
	_ gorm.ParamsFilter = gormLogger{}
)

func newGormLogger(log *slog.Logger, slow time.Duration) gormLogger {
	return gormLogger{log: log, slow: slow}
}

// LogMode returns the logger unchanged: its level is fixed.
func (l gormLogger) LogMode(logger.LogLevel) logger.Interface { return l }

// Info drops GORM's informational messages.
func (l gormLogger) Info(context.Context, string, ...any) {}

// Warn logs GORM's warnings.
func (l gormLogger) Warn(ctx context.Context, msg string, args ...any) {
	l.log.WarnContext(ctx, "gorm: "+msg, "args", args)
}

// Error logs GORM's own errors (not statement errors) at warn.
func (l gormLogger) Error(ctx context.Context, msg string, args ...any) {
	l.log.WarnContext(ctx, "gorm: "+msg, "args", args)
}

// Trace logs one statement if it failed unexpectedly or was slow.
func (l gormLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	elapsed := time.Since(begin)
	switch {
	case err != nil && !expected(err):
		sql, rows := fc()
		l.log.WarnContext(ctx, "storage: statement failed", "sql", sql, "rows", rows,
			"duration", elapsed, "err", err)
	case elapsed > l.slow:
		sql, rows := fc()
		l.log.WarnContext(ctx, "storage: slow statement", "sql", sql, "rows", rows,
			"duration", elapsed)
	}
}

// ParamsFilter drops the statement's values from what is logged.
func (l gormLogger) ParamsFilter(_ context.Context, sql string, _ ...any) (string, []any) {
	return sql, nil
}

// expected reports whether err is an ordinary answer translated for the
// caller rather than a failure.
func expected(err error) bool {
	return errors.Is(err, gorm.ErrRecordNotFound) ||
		errors.Is(err, gorm.ErrDuplicatedKey) ||
		errors.Is(err, gorm.ErrForeignKeyViolated) ||
		errors.Is(err, context.Canceled)
}
