package storage

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/glebarez/sqlite"
)

// SQLite checkpoints off the commit path.
//
// In WAL mode SQLite by default checkpoints inside the COMMIT that takes
// the write-ahead log past 1,000 pages: that commit copies the log into
// the database file and, with synchronous(NORMAL), fsyncs both before it
// returns. An announcement writes eight pages, so every 125th one (fewer
// when check-ins write too) waited for that before its broadcast could
// start — 11 to 125 ms on the benchmark machine — and at 1,000 viewers
// that one late broadcast set the 99th percentile of a whole run
// (docs/benchmarks.md, "Checkpoints off the commit path"). And a write
// that is a single INSERT … RETURNING, which the driver finalizes before
// the statement reaches SQLITE_DONE, never ran SQLite's checkpoint at
// all, so the log of a node whose writes were mostly such statements grew
// without bound.
//
// So the pool's connection checkpoints only as a backstop, at
// walBackstopPages (wal_autocheckpoint in the DSN), and a checkpointer
// with a connection of its own runs PRAGMA wal_checkpoint(PASSIVE) when
// the log holds checkpointPages pages not yet copied, or any for
// checkpointIdle without a new one, or any while the log is longer than
// checkpointPages (a checkpoint that raced with commits left a few, and
// the log only starts over once none is left). Once every checkpointEvery
// it learns that from the WAL index (the -shm file: the header's mxFrame
// and the checkpoint record's nBackfill, SQLite's documented format) with
// one read, without a lock or a statement. A PASSIVE checkpoint takes no lock
// a writer needs, so commits go on while it copies and syncs; once it has
// copied every frame, the next writer starts the log over from its
// beginning. Checkpointing once a second instead was measured too: its
// fsyncs stalled the commits they coincided with by 4–5 ms, every second
// broadcast at two a second.
//
// Starting the log over costs an fsync: the writer that finds it fully
// copied writes a new log header and syncs it before its frames. Left to
// the next commit, that was the first announcement after every quiet
// spell (and one in about 125 under load): its COMMIT took 1.3 ms
// instead of 0.2 ms on the benchmark machine's quiet disk, before its
// broadcast could start. So right after a checkpoint that copied every
// frame, the checkpointer starts the log over with the smallest write
// there is: the database header's user_version, set to the value it has
// (restartLog). It writes through the pool's connection, not its own: a
// write by another connection makes the pool's connection drop its page
// cache and read the pages again, which the next announcement paid for
// instead (request to first write 2.5–2.9 ms against 1.8–2.2 ms). That
// one page is not work for the next look (ownMax).

// walBackstopPages is the pool connection's wal_autocheckpoint: the log
// size (in pages) at which a commit checkpoints itself because the
// checkpointer has not. Ten times SQLite's default.
const walBackstopPages = 10000

// checkpointPages is how many uncopied pages make the checkpointer copy
// the log: SQLite's own default.
const checkpointPages = 1000

// checkpointIdle is how long the log may hold uncopied pages without a
// new one before the checkpointer copies them anyway.
var checkpointIdle = 30 * time.Second

// checkpointEvery is how often the checkpointer reads the WAL index.
var checkpointEvery = time.Second

// checkpointer runs PASSIVE checkpoints of one SQLite file on its own
// connection until stop.
type checkpointer struct {
	db     *sql.DB // its own connection, for checkpoints
	pool   *sql.DB // the store's pool, for restartLog
	shm    string  // the WAL index's path (symbolic links resolved, as SQLite does)
	log    *slog.Logger
	every  time.Duration // checkpointEvery and checkpointIdle when started
	idle   time.Duration
	ctx    context.Context // ends a checkpoint under way at stop
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once

	// complete counts runs that copied every frame of a non-empty log.
	complete atomic.Int64

	// shmFile is read by the loop (or a test, instead of it) and closed
	// only by release, after every SQLite connection of this process to
	// the file is closed: closing a descriptor drops every POSIX lock the
	// process holds on the file, SQLite's own included.
	shmFile       *os.File
	lastMax       uint32    // mxFrame at the last look
	lastMove      time.Time // when mxFrame last changed
	warned        time.Time
	warnedRestart time.Time // warned, for restartLog's failures
	// ownMax and ownSalt describe the log as restartLog left it: one
	// frame of a log that started over with that salt. While it is so,
	// nothing is left to copy that anyone else wrote.
	ownMax  uint32
	ownSalt uint64
}

// startCheckpointer opens the checkpointer's connection to the database
// at path (dsn, as the pool's) and starts its loop; pool is the store's.
func startCheckpointer(ctx context.Context, dsn, path string, pool *sql.DB, log *slog.Logger) (*checkpointer, error) {
	db, err := sql.Open(sqlite.DriverName, dsn)
	if err != nil {
		return nil, fmt.Errorf("storage: open SQLite checkpointer: %w", err)
	}
	keepOneConn(db)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("storage: open SQLite checkpointer: %w", err)
	}
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	c := &checkpointer{db: db, pool: pool, shm: path + "-shm", log: log, every: checkpointEvery, idle: checkpointIdle,
		done: make(chan struct{}), lastMove: time.Now()}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	go c.loop()
	return c, nil
}

func (c *checkpointer) loop() {
	defer close(c.done)
	t := time.NewTicker(c.every)
	defer t.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case now := <-t.C:
			if c.due(now) {
				c.run()
			}
		}
	}
}

// due reads the WAL index and reports whether the log holds enough
// uncopied pages, or has held some long enough, to copy it now. A torn
// read (a writer changing the header meanwhile) only moves the decision
// to the next look. An index it cannot read makes nothing due (commits
// then checkpoint at the backstop) and is logged at warn, at most once a
// minute.
func (c *checkpointer) due(now time.Time) bool {
	ix, err := c.readIndex()
	if err != nil {
		c.warn(&c.warned, "storage: SQLite WAL index unreadable; commits checkpoint the log themselves past its backstop size", err)
		return false
	}
	mxFrame, backfilled := ix.mxFrame, ix.backfilled
	if mxFrame != c.lastMax {
		c.lastMax, c.lastMove = mxFrame, now
	}
	if mxFrame == c.ownMax && ix.salt == c.ownSalt {
		return false // only restartLog's page since the log started over
	}
	pending := int64(mxFrame) - int64(backfilled)
	// A log that holds checkpointPages frames in all has not started over
	// since the last checkpoint: commits came while it ran (or a reader
	// held an old snapshot), so the next writer found frames left to copy
	// and went on appending. Copying the few left lets it start over.
	// Under writes that never pause this is a small checkpoint a second.
	return pending >= checkpointPages ||
		(pending > 0 && (mxFrame >= checkpointPages || now.Sub(c.lastMove) >= c.idle))
}

// walIndex is what the checkpointer reads of the WAL index.
type walIndex struct {
	mxFrame    uint32 // frames in the log since it last started over
	backfilled uint32 // of those, copied into the database file
	salt       uint64 // changes every time the log starts over
}

// copied reports whether the log holds frames and all are copied.
func (ix walIndex) copied() bool { return ix.mxFrame > 0 && ix.mxFrame == ix.backfilled }

// readIndex reads the start of the WAL index, opening the file on first
// use (it exists once the pool's connection has opened the database in
// WAL mode): WalIndexHdr.mxFrame at byte 16 and its salt at bytes 32–39,
// WalCkptInfo.nBackfill at byte 96 (after the header's two 48-byte
// copies), native-endian. The salt is copied byte for byte from the
// log's big-endian header; reading it as a native integer is fine
// because it is only compared.
func (c *checkpointer) readIndex() (walIndex, error) {
	if c.shmFile == nil {
		f, err := os.Open(c.shm)
		if err != nil {
			return walIndex{}, err
		}
		c.shmFile = f
	}
	var hdr [100]byte
	if _, err := c.shmFile.ReadAt(hdr[:], 0); err != nil {
		return walIndex{}, err
	}
	return walIndex{
		mxFrame:    binary.NativeEndian.Uint32(hdr[16:]),
		backfilled: binary.NativeEndian.Uint32(hdr[96:]),
		salt:       binary.NativeEndian.Uint64(hdr[32:]),
	}, nil
}

// warn logs msg at warn, at most once a minute by *last.
func (c *checkpointer) warn(last *time.Time, msg string, err error) {
	if now := time.Now(); now.Sub(*last) > time.Minute {
		*last = now
		c.log.Warn(msg, "err", err, "backstop_pages", walBackstopPages)
	}
}

// run checkpoints the log and reports whether every frame of it is now
// in the database file. A failure is logged at warn, at most once a
// minute; a checkpoint a reader or a commit kept from copying everything
// is not a failure, and the next look takes it up.
func (c *checkpointer) run() bool {
	ctx, cancel := context.WithTimeout(c.ctx, 30*time.Second)
	defer cancel()
	var busy, frames, copied int64
	err := c.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied)
	if err != nil {
		if c.ctx.Err() == nil {
			c.warn(&c.warned, "storage: SQLite checkpoint failed; commits checkpoint the log themselves past its backstop size", err)
		}
		return false
	}
	if busy != 0 || frames != copied {
		return false
	}
	if frames > 0 {
		c.complete.Add(1)
		c.restartLog(ctx)
	}
	return true
}

// restartLog starts the fully copied log over, so that the next commit
// does not pay for it: a write transaction on the pool's connection that
// sets user_version to the value it has (one page, the database header;
// nothing in hybridcon reads it). It does so only while the log is still
// fully copied and not started over, checked before it asks for the
// connection and again under the write lock, and only if it gets the
// connection within restartWait: a request then starts the log over, as
// SQLite does by itself. When its page is the only one since the log
// started over (or, when a reader kept the log from starting over, the
// only one after the copied frames), ownMax and ownSalt remember that
// state. A failure is logged at warn, at most once a minute.
func (c *checkpointer) restartLog(ctx context.Context) {
	c.ownMax, c.ownSalt = 0, 0
	before, err := c.readIndex()
	if err != nil || !before.copied() {
		return
	}
	wrote, err := func() (bool, error) {
		wait, cancel := context.WithTimeout(ctx, restartWait)
		conn, err := c.pool.Conn(wait)
		cancel()
		if err != nil {
			return false, nil // the pool is busy: its next commit starts the log over
		}
		defer conn.Close()
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return false, err
		}
		defer tx.Rollback() //nolint:errcheck // a no-op after Commit
		// BEGIN IMMEDIATE holds the write lock: the log cannot change now.
		if again, err := c.readIndex(); err != nil || again != before {
			return false, nil
		}
		var v int64
		if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
			return false, err
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v)); err != nil {
			return false, err
		}
		return true, tx.Commit()
	}()
	if err != nil {
		if c.ctx.Err() == nil {
			c.warn(&c.warnedRestart, "storage: SQLite log restart after a checkpoint failed; the next commit starts it over", err)
		}
		return
	}
	if !wrote {
		return
	}
	after, err := c.readIndex()
	if err != nil {
		return
	}
	// Its page alone: frame 1 of a log started over (a new salt), or, when
	// a reader kept the log from starting over, the one frame after the
	// copied ones. Anything else means a commit came in between; the next
	// looks then go by the usual rules.
	if (after.mxFrame == 1 && after.salt != before.salt) || (after.mxFrame == before.mxFrame+1 && after.salt == before.salt) {
		c.ownMax, c.ownSalt = after.mxFrame, after.salt
	}
}

// restartWait is how long restartLog waits for the pool's connection.
const restartWait = 50 * time.Millisecond

// stop ends the loop (and a checkpoint under way) and closes the
// checkpointer's connection. Safe to call twice. Call release once the
// pool is closed too.
func (c *checkpointer) stop() error {
	var err error
	c.once.Do(func() {
		c.cancel()
		<-c.done
		err = c.db.Close()
	})
	return err
}

// release closes the checkpointer's descriptor of the WAL index. Call it
// only after stop and after the pool is closed (see shmFile).
func (c *checkpointer) release() {
	if c.shmFile != nil {
		c.shmFile.Close()
		c.shmFile = nil
	}
}
