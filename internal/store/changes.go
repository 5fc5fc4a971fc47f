package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// ChangeFeed tells a watcher what other connections committed to the flags
// database: a counter that moves on every commit (PRAGMA data_version), the
// flag events after a cursor with the inbox each one concerns, and the
// leases due to expire (an expiry writes nothing, so it has no event).
//
// It reads on one connection of its own that never writes: data_version
// only moves for commits made by other connections, and because this one
// never commits, it sees every commit, this process's included. The
// connection is opened on first use, so a process that never listens pays
// nothing. A ChangeFeed is safe for concurrent use, but its calls are
// serialised on that one connection.
type ChangeFeed struct {
	db    *sql.DB
	store *Store
	path  string
	now   func() time.Time

	mu   sync.Mutex
	conn *sql.Conn
	// file is what was at the path when conn opened: a connection keeps
	// reading a file deleted or replaced under it, and would never see
	// another commit.
	file os.FileInfo
}

// ErrFeedReplaced is returned once by a ChangeFeed call that found another
// file at the database's path (deleted and recreated, or replaced with mv)
// than the one it was reading. The feed has moved to the new file: its data
// version and event ids start afresh there, so a watcher takes new
// positions and treats every inbox as changed.
var ErrFeedReplaced = errors.New("store: the database file was replaced or removed; the change feed follows the new file")

// FlagChange is one state change of a flag, with the inbox it concerns.
type FlagChange struct {
	EventID int64 // 0 for a lease expiry, which has no event
	// Pos is the feed's position once this change is read: ChangesAfter(Pos)
	// continues after it. Here it is the event id; on PostgreSQL, where ids
	// can commit out of order, the feed numbers changes as it learns of them.
	Pos    int64
	FlagID int64
	Kind   string // an Event kind, or KindExpired
	Agent  string // who acted (for an expiry: the holder whose lease ran out)
	// Target is the agent whose inbox changed; nil means every inbox (a
	// broadcast flag).
	Target *string
	// PreviousHolder is the agent whose lease a takeover or forced unlock
	// ended ("" otherwise).
	PreviousHolder string
}

// KindExpired marks a FlagChange for a lease that ran out.
const KindExpired = "expired"

// ChangeBatch bounds how many events one ChangesAfter call returns, so a
// backlog after a long pause is read in pieces.
const ChangeBatch = 1000

// ChangeFeed opens the change feed of s's database.
func (s *Store) ChangeFeed() (*ChangeFeed, error) {
	db, err := sql.Open("sqlite", dsn(s.path, "deferred", true, s.busyTimeout))
	if err != nil {
		return nil, fmt.Errorf("store: open change feed on %s: %w", s.path, err)
	}
	db.SetMaxOpenConns(1)
	// The feed pins its one connection itself; none is kept idle, so one it
	// drops (failed, or reading a replaced file) is really closed and the
	// next is opened afresh on whatever file is at the path.
	db.SetMaxIdleConns(0)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	return &ChangeFeed{db: db, store: s, path: s.path, now: s.now}, nil
}

// Close releases the feed's connection.
func (f *ChangeFeed) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.conn != nil {
		f.conn.Close()
		f.conn = nil
	}
	return f.db.Close()
}

// with runs fn on the pinned connection. A connection that failed is
// dropped, so the next call opens a fresh one; so is one whose file is no
// longer the one at the path (one stat a call, a few microseconds), and
// the call says so with ErrFeedReplaced.
func (f *ChangeFeed) with(ctx context.Context, op string, fn func(*sql.Conn) error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.conn != nil {
		// The store's check, which also records the WAL paired with the
		// file (atPathNoting), so that a server whose only use of the
		// database is this feed (--notify) knows it when the file moves.
		p, err := f.store.acquireExisting(ctx)
		if errors.Is(err, errNoFile) {
			f.conn.Close()
			f.conn, f.file = nil, nil
			return ErrFeedReplaced
		}
		if err != nil {
			return mapReadErr(op, err)
		}
		f.store.release()
		if !os.SameFile(f.file, p.file) {
			f.conn.Close()
			f.conn, f.file = nil, nil
			return ErrFeedReplaced
		}
	}
	if f.conn == nil {
		// The store follows a replaced file first: it removes the old
		// file's -wal and -shm left at the path before anything opens the
		// new file. Opened here first, the feed's connection would pair
		// the new file with the old WAL, and, SQLite sharing one wal-index
		// per file within a process, so would the store's own connections
		// after it: reads of the old file's pages, writes lost, or "file
		// is not a database".
		// Until a file is at the path again, the feed has nothing to read
		// and reports it as a replaced file: its positions start afresh.
		if _, err := f.store.acquireExisting(ctx); errors.Is(err, errNoFile) {
			return ErrFeedReplaced
		} else if err != nil {
			return mapReadErr(op, err)
		}
		f.store.release()
		c, err := f.db.Conn(ctx)
		if err != nil {
			return mapReadErr(op, err)
		}
		// Taken right after the connection opened its file, as the
		// store's own connections do (file.go).
		fi, err := os.Stat(f.path)
		if err != nil {
			c.Close()
			return mapReadErr(op, err)
		}
		f.conn, f.file = c, fi
	}
	err := fn(f.conn)
	if err != nil && ctx.Err() == nil {
		f.conn.Close()
		f.conn = nil
	}
	return mapReadErr(op, err)
}

// DataVersion returns a number that differs from the previous call's
// whenever any connection committed to the database in between.
func (f *ChangeFeed) DataVersion(ctx context.Context) (int64, error) {
	var v int64
	err := f.with(ctx, "data version", func(c *sql.Conn) error {
		return c.QueryRowContext(ctx, "PRAGMA data_version").Scan(&v)
	})
	return v, err
}

// LastEventID returns the id of the newest flag event (0 when there is
// none): the cursor to read changes after. Take it before reading the
// state it stands for, so that no change falls between the two.
func (f *ChangeFeed) LastEventID(ctx context.Context) (int64, error) {
	var id int64
	err := f.with(ctx, "last event", func(c *sql.Conn) error {
		return c.QueryRowContext(ctx, "SELECT coalesce(max(id), 0) FROM flag_events").Scan(&id)
	})
	return id, err
}

// ChangesAfter returns up to ChangeBatch events with an id above cursor,
// oldest first, each with the target of its flag (flag_events.agent is the
// actor, not the recipient). Fewer than ChangeBatch means the caller is up
// to date.
func (f *ChangeFeed) ChangesAfter(ctx context.Context, cursor int64) ([]FlagChange, error) {
	const q = `SELECT e.id, e.flag_id, e.kind, e.agent, f.target_agent, coalesce(e.previous_holder, '')
		FROM flag_events e JOIN flags f ON f.id = e.flag_id
		WHERE e.id > ? ORDER BY e.id LIMIT ?`
	var out []FlagChange
	err := f.with(ctx, "changes", func(c *sql.Conn) error {
		out = out[:0]
		rows, err := c.QueryContext(ctx, q, cursor, ChangeBatch)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var ch FlagChange
			var target sql.NullString
			if err := rows.Scan(&ch.EventID, &ch.FlagID, &ch.Kind, &ch.Agent, &target, &ch.PreviousHolder); err != nil {
				return err
			}
			ch.Target = strPtr(target)
			ch.Pos = ch.EventID
			out = append(out, ch)
		}
		return rows.Err()
	})
	return out, err
}

// NextLeaseExpiry returns when the earliest lease still held runs out, and
// false when no lease is held.
func (f *ChangeFeed) NextLeaseExpiry(ctx context.Context) (time.Time, bool, error) {
	const q = `SELECT min(lock_expires_at) FROM flags
		WHERE status = 'pending' AND locked_by IS NOT NULL AND lock_expires_at > ?`
	var next sql.NullString
	err := f.with(ctx, "next lease expiry", func(c *sql.Conn) error {
		return c.QueryRowContext(ctx, q, formatTime(f.now())).Scan(&next)
	})
	if err != nil || !next.Valid {
		return time.Time{}, false, err
	}
	t, err := time.Parse(timeLayout, next.String)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("store: next lease expiry: %w", err)
	}
	return t, true, nil
}

// Now is the store's clock, which decides whether a lease still holds.
func (f *ChangeFeed) Now() time.Time { return f.now() }

// LeasesExpired returns a change for each lease on a pending flag that ran
// out after from and at or before to.
func (f *ChangeFeed) LeasesExpired(ctx context.Context, from, to time.Time) ([]FlagChange, error) {
	const q = `SELECT id, locked_by, target_agent FROM flags
		WHERE status = 'pending' AND locked_by IS NOT NULL
		  AND lock_expires_at > ? AND lock_expires_at <= ? ORDER BY lock_expires_at, id`
	var out []FlagChange
	err := f.with(ctx, "expired leases", func(c *sql.Conn) error {
		out = out[:0]
		rows, err := c.QueryContext(ctx, q, formatTime(from), formatTime(to))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			ch := FlagChange{Kind: KindExpired}
			var target sql.NullString
			if err := rows.Scan(&ch.FlagID, &ch.Agent, &target); err != nil {
				return err
			}
			ch.Target = strPtr(target)
			out = append(out, ch)
		}
		return rows.Err()
	})
	return out, err
}
