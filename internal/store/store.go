// Package store keeps flags — asynchronous coordination messages between AI
// agents — in one SQLite database shared by several mcp-agents processes.
//
// Concurrency model: every process opens the same file in WAL mode. Writes go
// through a single-connection pool whose transactions BEGIN IMMEDIATE, so a
// writer takes the database write lock up front and waits (busy_timeout)
// instead of failing when it would upgrade a read lock. State changes are a
// single conditional UPDATE whose affected-row count decides who won; reads
// use a separate pool of deferred transactions and never block writers.
//
// The file at the path is checked around every call (see file.go): a
// database deleted or replaced while the server runs is reopened, so a
// write is never acknowledged into an unlinked file.
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
	"sync/atomic"
	"time"

	sqlite3 "modernc.org/sqlite/lib"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// busyTimeout is how long one statement waits for another process's lock
// before the call fails with CodeBusy.
const busyTimeout = BusyTimeout

// BusyTimeout is how long a write waits for a lock another process (or,
// on PostgreSQL, transaction) holds before it answers "the database is
// busy", on either engine.
const BusyTimeout = 5 * time.Second

// openDeadline bounds the retries of the first-connection work when the
// caller's context has no deadline.
const openDeadline = 20 * time.Second

// Store is a handle on one flags database. It is safe for concurrent use.
type Store struct {
	path        string
	now         func() time.Time
	busyTimeout time.Duration
	pragmas     []string // extra DSN pragmas (tests)

	// mu guards cur: calls hold it shared for one attempt, a reopen
	// exclusively, so no call runs on pools being closed.
	mu  sync.RWMutex
	cur *pools

	// applied lists the migration versions this Store applied (tests check
	// that concurrent openers apply each exactly once).
	applied []int

	// opened tells Follow that pools opened on the file at the path, to
	// watch it; wakes counts the events that woke Follow other than the
	// file's own writes (tests).
	opened chan struct{}
	wakes  atomic.Int64
}

// pools are the connections to one file: the one that was at the path
// when they were opened.
type pools struct {
	w              *sql.DB // one connection, BEGIN IMMEDIATE
	r              *sql.DB // several connections, deferred, query_only
	wstmts, rstmts stmtCache
	file           os.FileInfo // identity of the file w opened
	dsns           []string
	closed         bool         // by a reopen that could not open the new file
	wal            atomic.Value // os.FileInfo of the -wal file last seen paired with file
}

func (p *pools) close() error {
	err := errors.Join(p.rstmts.close(), p.wstmts.close(), p.r.Close(), p.w.Close())
	forgetDSNs(p.dsns...)
	return err
}

// Option configures Open.
type Option func(*Store)

// WithClock replaces time.Now, so lease tests need not sleep.
func WithClock(now func() time.Time) Option {
	return func(s *Store) { s.now = now }
}

// Path returns the absolute path of the database file.
func (s *Store) Path() string { return s.path }

// Close releases both connection pools, first refreshing the planner's
// statistics where the data changed enough (PRAGMA optimize, as SQLite
// recommends before closing a connection).
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur == nil || s.cur.closed {
		s.cur = nil
		return nil
	}
	// Best effort and never waiting: a shutdown (SIGTERM) must not stall
	// on another process's write lock.
	ctx, cancel := context.WithTimeout(context.Background(), 250*time.Millisecond)
	_, _ = s.cur.w.ExecContext(ctx, "PRAGMA busy_timeout = 0; PRAGMA analysis_limit = 1000; PRAGMA optimize")
	cancel()
	err := s.cur.close()
	s.cur = nil
	return err
}

// Open opens (creating if needed) the database at path, switches it to WAL,
// applies pending migrations and probes it (see probe). Several processes
// may open a brand-new path at the same moment: contention during this
// first work is retried with jittered backoff until ctx's deadline (or 20 s).
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	if strings.TrimSpace(path) == "" {
		return nil, errors.New("store: database path is empty")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("store: database path %q: %w", path, err)
	}
	abs = linkTarget(abs)
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return nil, fmt.Errorf("store: cannot create the directory for database %s: %w", abs, err)
	}
	if fi, err := os.Stat(abs); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("store: database path %s is a directory, not a file", abs)
	}
	s := &Store{path: abs, now: time.Now, busyTimeout: busyTimeout, opened: make(chan struct{}, 1)}
	for _, o := range opts {
		o(s)
	}
	if s.cur, err = s.openPools(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// linkTarget resolves path when it is a symbolic link (a chain of them),
// whether or not the target exists yet. SQLite opens a linked file's
// target and keeps its -wal and -shm beside the target: that is the file
// the store compares, follows and pairs with its WAL. A link re-pointed
// later is not followed, even one whose target was missing at start.
func linkTarget(path string) string {
	for range 40 { // as the kernel's limit on a chain
		fi, err := os.Lstat(path)
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			return path
		}
		target, err := os.Readlink(path)
		if err != nil {
			return path
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(path), target)
		}
		path = target
	}
	return path
}

// openPools connects to the file now at the path, creating and migrating
// it when needed.
func (s *Store) openPools(ctx context.Context) (*pools, error) {
	// At the first open of the path in this process, before any
	// connection of ours holds a lock on its files (see sidecarsWritable);
	// a reopen after the file was replaced meets the new file's, which
	// the first write then reports as read-only.
	if s.cur == nil && !pathWatched(s.path) {
		if err := sidecarsWritable(s.path); err != nil {
			return nil, openError(s.path, err)
		}
	}
	p := &pools{
		dsns: []string{s.dsn("immediate", false), s.dsn("deferred", true)},
	}
	watchDSNs(s.path, p.dsns...)
	absent := sidecarsAbsent(s.path)
	fail := func(err error) (*pools, error) {
		if p.w != nil {
			p.w.Close()
		}
		forgetDSNs(p.dsns...)
		if errors.Is(err, errReadOnly) {
			removeSidecars(absent)
		}
		return nil, err
	}
	var err error
	if p.w, err = sql.Open("sqlite", p.dsns[0]); err != nil {
		return fail(fmt.Errorf("store: open %s: %w", s.path, err))
	}
	p.wstmts.db = p.w
	p.w.SetMaxOpenConns(1)
	p.w.SetMaxIdleConns(1)
	p.w.SetConnMaxLifetime(0)

	// The deadline bounds waiting for other processes, not the migrations
	// themselves: rebuilding an index over a year of flags can take longer
	// than it on a slow disk, and cutting it off would leave the file
	// unmigrated, and the server unable to start, for good.
	migrateCtx := ctx
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, openDeadline)
		defer cancel()
	}
	if err := retryBusy(ctx, func() error { return s.bootstrap(ctx, migrateCtx, p) }); err != nil {
		return fail(openError(s.path, err))
	}

	if p.r, err = sql.Open("sqlite", p.dsns[1]); err != nil {
		return fail(fmt.Errorf("store: open %s: %w", s.path, err))
	}
	p.rstmts.db = p.r
	n := max(2, runtime.GOMAXPROCS(0))
	p.r.SetMaxOpenConns(n)
	p.r.SetMaxIdleConns(n)
	// bootstrap's transactions opened the WAL: it is this file's, for a
	// reopen to remove should the file move before any call (Follow).
	s.atPathNoting(p)
	select {
	case s.opened <- struct{}{}:
	default: // Follow has yet to take the last one
	}
	return p, nil
}

// dsn builds a modernc.org/sqlite URI. The path is percent-escaped so names
// containing '?', '#' or '%' survive. Pragmas are in the DSN because a PRAGMA
// run through Exec reaches one pooled connection only.
func (s *Store) dsn(txlock string, readOnly bool) string {
	return dsn(s.path, txlock, readOnly, s.busyTimeout, s.pragmas...)
}

func dsn(abs, txlock string, readOnly bool, busy time.Duration, extra ...string) string {
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // Windows drive letter: file:///C:/...
	}
	u := url.URL{Scheme: "file", Path: p}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	for _, e := range extra {
		q.Add("_pragma", e)
	}
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	}
	q.Set("_txlock", txlock)
	return u.String() + "?" + q.Encode()
}

// bootstrap does the first-connection work: the WAL switch; one read
// transaction that reads user_version and probes the file; when
// migrations are pending, a BEGIN IMMEDIATE transaction that reads
// user_version again under the write lock and applies them; and a check
// that the file is writable. It takes the write lock only to migrate, so a
// server starts while another process writes. It is idempotent, so
// retryBusy may run it again after contention.
func (s *Store) bootstrap(ctx, migrateCtx context.Context, p *pools) error {
	var mode string
	if err := p.w.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode); err != nil {
		return err
	}
	if !strings.EqualFold(mode, "wal") {
		// Some filesystems (network mounts) refuse WAL; rollback journal
		// plus busy_timeout is still correct, only less concurrent.
		slog.Warn("store: database is not in WAL mode", "path", s.path, "journal_mode", mode)
	}
	conn, err := p.w.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if p.file, err = connFile(conn); err != nil {
		return err
	}

	var have int
	err = inTx(ctx, conn, &sql.TxOptions{ReadOnly: true}, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&have); err != nil {
			return err
		}
		if err := checkSchemaVersion(have, schemaVersion()); err != nil {
			return err
		}
		return probe(ctx, tx)
	})
	if err != nil {
		return err
	}
	if have < schemaVersion() {
		return inTx(migrateCtx, conn, nil, func(tx *sql.Tx) error {
			applied, err := migrate(migrateCtx, tx)
			if err == nil {
				s.applied = append(s.applied, applied...)
			}
			return err
		})
	}
	return writable(conn)
}

// writable refuses a file SQLite opened read-only: it opens one without
// complaint and fails only the first write. (A read-only -wal or -shm file
// is refused before, by sidecarsWritable in openPools.)
func writable(conn *sql.Conn) error {
	return conn.Raw(func(dc any) error {
		c, ok := dc.(interface{ IsReadOnly(string) (bool, error) })
		if !ok {
			return nil
		}
		ro, err := c.IsReadOnly("main")
		if err == nil && ro {
			return errReadOnly
		}
		return err
	})
}

var errReadOnly = errors.New("the file is read-only")

// inTx runs fn in one transaction on conn.
func inTx(ctx context.Context, conn *sql.Conn, opts *sql.TxOptions, fn func(*sql.Tx) error) error {
	tx, err := conn.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
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
		return fmt.Errorf("store: database %s: %w", path, se)
	}
	var sc *sidecarError
	if errors.As(err, &sc) {
		return fmt.Errorf("store: database %s is read-only: its %w (check the permissions of that file and its directory)", path, sc)
	}
	if errors.Is(err, errReadOnly) {
		return fmt.Errorf("store: database %s is read-only (check the permissions of the file and its directory): %w", path, err)
	}
	if sqliteExtendedCode(err) == sqlite3.SQLITE_IOERR_SHMSIZE {
		// Growing the -shm file failed: on Linux, for want of space.
		return fmt.Errorf("store: database %s cannot be opened: its -shm file cannot grow (is the disk full?): %w", path, err)
	}
	switch sqliteCode(err) {
	case sqlite3.SQLITE_NOTADB:
		return fmt.Errorf("store: %s is not an SQLite database (file exists with other content): %w", path, err)
	case sqlite3.SQLITE_CORRUPT:
		return fmt.Errorf("store: database %s is corrupt (restore a backup, or try `sqlite3 %s .recover`): %w", path, path, err)
	case sqlite3.SQLITE_CANTOPEN:
		return fmt.Errorf("store: cannot open database %s (check the directory exists and is writable): %w", path, err)
	case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM, sqlite3.SQLITE_AUTH:
		return fmt.Errorf("store: database %s is read-only (check the permissions of the file, its directory and its -wal and -shm files): %w", path, err)
	case sqlite3.SQLITE_FULL:
		return fmt.Errorf("store: database %s cannot grow: the disk is full: %w", path, err)
	case sqlite3.SQLITE_IOERR:
		return fmt.Errorf("store: database %s cannot be read or written (I/O error): %w", path, err)
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return fmt.Errorf("store: database %s stayed busy while opening: %w", path, err)
	}
	return fmt.Errorf("store: open database %s: %w", path, err)
}
