// Package store keeps flags — asynchronous coordination messages between AI
// agents — in one SQLite database shared by several mcp-agents processes.
//
// Concurrency model: every process opens the same file in WAL mode. Writes go
// through a single-connection pool whose transactions BEGIN IMMEDIATE, so a
// writer takes the database write lock up front and waits (busy_timeout)
// instead of failing when it would upgrade a read lock. State changes are a
// single conditional UPDATE whose affected-row count decides who won; reads
// use a separate pool of deferred transactions and never block writers.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	sqlite3 "modernc.org/sqlite/lib"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// busyTimeout is how long one statement waits for another process's lock
// before the call fails with CodeBusy.
const busyTimeout = 5 * time.Second

// openDeadline bounds the retries of Open's first-connection work when the
// caller's context has no deadline.
const openDeadline = 20 * time.Second

// Store is a handle on one flags database. It is safe for concurrent use.
type Store struct {
	path string
	w    *sql.DB // one connection, BEGIN IMMEDIATE
	r    *sql.DB // several connections, deferred, query_only
	now  func() time.Time

	wstmts, rstmts stmtCache // prepared statements of w and r

	busyTimeout time.Duration

	// applied lists the migration versions this Open applied (tests check
	// that concurrent openers apply each exactly once).
	applied []int
	// fast records that Open found the database current on disk and did
	// not connect.
	fast bool

	unregister sync.Once
}

// Option configures Open.
type Option func(*Store)

// WithClock replaces time.Now, so lease tests need not sleep.
func WithClock(now func() time.Time) Option {
	return func(s *Store) { s.now = now }
}

// Path returns the absolute path of the database file.
func (s *Store) Path() string { return s.path }

// Close releases both connection pools.
func (s *Store) Close() error {
	err := errors.Join(s.rstmts.close(), s.wstmts.close(), s.r.Close(), s.w.Close())
	s.unregister.Do(unregister)
	return err
}

// Open opens (creating if needed) the database at path, switches it to WAL
// and applies pending migrations. Several processes may open a brand-new
// path at the same moment: contention during this first work is retried with
// jittered backoff until ctx's deadline (or 20 s). When the file already
// shows a writable WAL database at the current schema version, Open does
// not connect at all and the first call pays for the connection.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	if strings.TrimSpace(path) == "" {
		return nil, errors.New("store: database path is empty")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("store: database path %q: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return nil, fmt.Errorf("store: cannot create the directory for database %s: %w", abs, err)
	}
	fi, statErr := os.Stat(abs)
	if statErr == nil && fi.IsDir() {
		return nil, fmt.Errorf("store: database path %s is a directory, not a file", abs)
	}

	s := &Store{path: abs, now: time.Now, busyTimeout: busyTimeout}
	for _, o := range opts {
		o(s)
	}
	want := schemaVersion()
	s.fast = register(func() bool {
		return statErr == nil && want > 0 && canSkipBootstrap(abs, fi, want)
	})
	fail := func(err error) (*Store, error) {
		if s.w != nil {
			s.w.Close()
		}
		s.unregister.Do(unregister)
		return nil, err
	}

	s.w, err = sql.Open("sqlite", dsn(abs, "immediate", false, s.busyTimeout))
	if err != nil {
		return fail(fmt.Errorf("store: open %s: %w", abs, err))
	}
	s.wstmts.db = s.w
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)

	if !s.fast {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, openDeadline)
			defer cancel()
		}
		if err := retryBusy(ctx, func() error { return s.bootstrap(ctx) }); err != nil {
			return fail(openError(abs, err))
		}
	}

	s.r, err = sql.Open("sqlite", dsn(abs, "deferred", true, s.busyTimeout))
	if err != nil {
		return fail(fmt.Errorf("store: open %s: %w", abs, err))
	}
	s.rstmts.db = s.r
	n := max(2, runtime.GOMAXPROCS(0))
	s.r.SetMaxOpenConns(n)
	s.r.SetMaxIdleConns(n)
	return s, nil
}

// dsn builds a modernc.org/sqlite URI. The path is percent-escaped so names
// containing '?', '#' or '%' survive. Pragmas are in the DSN because a PRAGMA
// run through Exec reaches one pooled connection only.
func dsn(abs, txlock string, readOnly bool, busy time.Duration) string {
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // Windows drive letter: file:///C:/...
	}
	u := url.URL{Scheme: "file", Path: p}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	}
	q.Set("_txlock", txlock)
	return u.String() + "?" + q.Encode()
}

// bootstrap does the first-connection work: WAL switch and migrations. It
// is idempotent, so retryBusy may run it again after contention.
func (s *Store) bootstrap(ctx context.Context) error {
	var mode string
	if err := s.w.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode); err != nil {
		return err
	}
	if !strings.EqualFold(mode, "wal") {
		// Some filesystems (network mounts) refuse WAL; rollback journal
		// plus busy_timeout is still correct, only less concurrent.
		slog.Warn("store: database is not in WAL mode", "path", s.path, "journal_mode", mode)
	}
	return s.migrate(ctx)
}

// retryBusy runs fn until it succeeds, fails with something other than
// SQLITE_BUSY/LOCKED, or ctx ends. Jitter keeps simultaneous openers from
// retrying in lockstep.
func retryBusy(ctx context.Context, fn func() error) error {
	backoff := 5 * time.Millisecond
	for {
		err := fn()
		if err == nil || !isBusy(err) {
			return err
		}
		d := backoff/2 + rand.N(backoff)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (gave up: %w)", err, ctx.Err())
		case <-t.C:
		}
		backoff = min(backoff*2, 250*time.Millisecond)
	}
}

// openError explains a failed Open in terms of the path.
func openError(path string, err error) error {
	var se *Error
	if errors.As(err, &se) {
		return se
	}
	switch sqliteCode(err) {
	case sqlite3.SQLITE_NOTADB:
		return fmt.Errorf("store: %s is not an SQLite database (file exists with other content): %w", path, err)
	case sqlite3.SQLITE_CANTOPEN:
		return fmt.Errorf("store: cannot open database %s (check the directory exists and is writable): %w", path, err)
	case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM, sqlite3.SQLITE_AUTH:
		return fmt.Errorf("store: database %s is not writable: %w", path, err)
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return fmt.Errorf("store: database %s stayed busy while opening: %w", path, err)
	}
	return fmt.Errorf("store: open database %s: %w", path, err)
}
