package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"modernc.org/sqlite"
)

// A database deleted or replaced (rm, mv) while a server runs must not
// swallow writes: SQLite keeps writing through its open descriptor to the
// unlinked file while new connections open the new one. The driver does not
// expose SQLite's descriptor, so each connection records the identity
// (device and inode) of the file at the path right after it opened, and
// every write compares it with the path before and after it commits.

// watched maps the DSNs of open pools to their database path and the
// number of pools using it (two Stores on one path share DSNs), so the
// connection hook records identities for our connections only.
var watched struct {
	sync.Mutex
	m map[string]*watch
}

type watch struct {
	path  string
	pools int
}

// idents maps a driver connection to the file that was at its path when
// it opened. Entries go when the last pool using their DSN closes.
var idents sync.Map // driver conn -> ident

type ident struct {
	dsn  string
	file os.FileInfo
}

var hookOnce sync.Once

func watchDSNs(path string, dsns ...string) {
	hookOnce.Do(func() {
		sqlite.RegisterConnectionHook(func(c sqlite.ExecQuerierContext, dsn string) error {
			watched.Lock()
			w := watched.m[dsn]
			watched.Unlock()
			if w != nil {
				if fi, err := os.Stat(w.path); err == nil {
					idents.Store(c, ident{dsn, fi})
				}
			}
			return nil
		})
	})
	watched.Lock()
	defer watched.Unlock()
	if watched.m == nil {
		watched.m = map[string]*watch{}
	}
	for _, d := range dsns {
		if w := watched.m[d]; w != nil {
			w.pools++
		} else {
			watched.m[d] = &watch{path: path, pools: 1}
		}
	}
}

// pathWatched reports whether pools of this process have path open.
func pathWatched(path string) bool {
	watched.Lock()
	defer watched.Unlock()
	for _, w := range watched.m {
		if w.path == path {
			return true
		}
	}
	return false
}

func forgetDSNs(dsns ...string) {
	watched.Lock()
	defer watched.Unlock()
	gone := map[string]bool{}
	for _, d := range dsns {
		if w := watched.m[d]; w != nil {
			if w.pools--; w.pools == 0 {
				delete(watched.m, d)
				gone[d] = true
			}
		}
	}
	if len(gone) == 0 {
		return
	}
	idents.Range(func(c, v any) bool {
		if gone[v.(ident).dsn] {
			idents.Delete(c)
		}
		return true
	})
}

// connFile returns the identity recorded when conn's connection opened.
func connFile(conn *sql.Conn) (os.FileInfo, error) {
	var fi os.FileInfo
	err := conn.Raw(func(dc any) error {
		if v, ok := idents.Load(dc); ok {
			fi = v.(ident).file
		}
		return nil
	})
	return fi, err
}

// errMoved reports that the file at the path is no longer the one a
// connection opened.
var errMoved = errors.New("the database file was replaced or removed")

// errMovedAfterCommit is errMoved found once the transaction committed, to
// the file that left the path.
var errMovedAfterCommit = fmt.Errorf("%w after the write committed", errMoved)

// atPath reports whether fi is still the file at the path.
func (s *Store) atPath(fi os.FileInfo) bool {
	return fi != nil && sameFile(fi, s.path)
}

// atPathNoting is atPath for p's file that also records the -wal file at
// the path as p's while the file is still p's. reopen removes that WAL
// only: a server that has only read must know it as well as one that
// wrote, or, first to open a file moved over its own, it pairs the new
// file with the old WAL, and the first process to follow the move later
// deletes that WAL from under it (reads of the old file, writes lost).
// The WAL is looked at first, for the reason writeOnce gives.
func (s *Store) atPathNoting(p *pools) bool {
	wal, walErr := os.Stat(s.path + "-wal")
	if !s.atPath(p.file) {
		return false
	}
	if walErr == nil {
		p.wal.Store(wal)
	}
	return true
}

// acquire returns the current pools, held shared until release; when the
// file at the path has changed since they opened, it reopens first, so
// reads follow the file too.
func (s *Store) acquire(ctx context.Context) (*pools, error) {
	return s.hold(ctx, true)
}

// hold is acquire; checkFile false skips comparing the file at the path
// (one stat), for writes: writeOnce compares it with the file its
// connection opened, before BEGIN and after COMMIT, and reopens itself.
func (s *Store) hold(ctx context.Context, checkFile bool) (*pools, error) {
	// Looked at again after each reopen: the pools it opened may be
	// retired before this call holds them (Follow, for a file moved again).
	for try := 0; ; try++ {
		s.mu.RLock()
		p := s.cur
		if p == nil {
			s.mu.RUnlock()
			return nil, errors.New("store: closed")
		}
		if !p.closed && (!checkFile || s.atPathNoting(p)) {
			return p, nil
		}
		s.mu.RUnlock()
		if try == 3 {
			return nil, replacedError(s.path, errMoved)
		}
		if err := s.reopen(ctx, p); err != nil {
			return nil, err
		}
	}
}

func (s *Store) release() { s.mu.RUnlock() }

// reopen replaces the pools old by pools on the file now at the path
// (creating and migrating it if none is there), unless another call did
// already; see retire for the old pools.
func (s *Store) reopen(ctx context.Context, old *pools) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur != old {
		return nil
	}
	if s.cur == nil {
		return errors.New("store: closed")
	}
	s.retireLocked(ctx, old)
	// A directory moved away takes the file with it; the README promises
	// the parent directory is created.
	if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
		return replacedError(s.path, err)
	}
	p, err := s.openPools(ctx)
	if err != nil {
		// s.cur stays the closed pools, so the next call tries again.
		return replacedError(s.path, err)
	}
	s.cur = p
	return nil
}

// errNoFile is what acquireExisting returns when no file is at the path.
var errNoFile = errors.New("no database file at the path")

// acquireExisting is acquire for a reader that must not create the file
// (the change feed, which polls): with none at the path, it lets go of the
// old one and returns errNoFile. Created by it, a file would be there
// between the two moves of a restore (mv agents.db backup.db; mv
// restore.db agents.db), with a WAL the restored file would be paired
// with, hiding it.
func (s *Store) acquireExisting(ctx context.Context) (*pools, error) {
	s.mu.RLock()
	p := s.cur
	if p != nil && !p.closed && s.atPathNoting(p) {
		return p, nil
	}
	open := p != nil && !p.closed
	s.mu.RUnlock()
	if _, err := os.Stat(s.path); errors.Is(err, fs.ErrNotExist) {
		if open {
			s.letGo(ctx, p)
		}
		return nil, errNoFile
	}
	return s.acquire(ctx)
}

// letGo retires p, whose file is no longer at the path, taking its WAL
// off the path at once, without waiting for the calls in flight to end.
func (s *Store) letGo(ctx context.Context, p *pools) {
	s.unpair(p)
	s.retire(ctx, p)
}

// retire closes old, whose file is no longer at the path, unless another
// call did already; the next call opens the file then at the path.
func (s *Store) retire(ctx context.Context, old *pools) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur == old && old != nil {
		s.retireLocked(ctx, old)
	}
}

// retireLocked takes the old file's -wal and -shm off the path, copies
// that WAL into the old file, and closes old's pools. SQLite pairs WAL and
// database by name, and does not checkpoint or delete the WAL of a file
// that was moved: the old WAL left at the path would be replayed into the
// new file.
func (s *Store) retireLocked(ctx context.Context, old *pools) {
	if old.closed {
		return
	}
	s.unpair(old)
	// Through old's open descriptors: the WAL is off the path, not gone.
	// Done even when another process took it off the path first, since
	// its own checkpoint may have been kept from copying all of it by this
	// process's readers.
	checkpointMoved(ctx, s.path, old)
	// No call holds old: they hold mu shared for as long as they use it.
	_ = old.close()
	old.closed = true
}

// unpair removes from the path the -wal (and -shm) noted as p's, whose
// file is no longer at the path, first thing and before any checkpoint:
// from then on a process opening the path (a command run right after
// `mv new.db agents.db`) pairs the new file with a WAL of its own. It runs
// while p still holds that WAL open, so that its inode number cannot have
// gone to another file (the WAL of a process that opened the new file),
// which os.SameFile would take for p's.
func (s *Store) unpair(p *pools) {
	if w, ok := p.wal.Load().(os.FileInfo); ok && !s.atPath(p.file) && sameFile(w, s.path+"-wal") {
		_ = os.Remove(s.path + "-wal")
		_ = os.Remove(s.path + "-shm")
	}
}

// sameFile reports whether fi is the file now at name.
func sameFile(fi os.FileInfo, name string) bool {
	now, err := os.Stat(name)
	return err == nil && os.SameFile(fi, now)
}

// checkpointMoved copies the WAL at the path into the file old opened,
// which was moved away (mv agents.db backup.db), before reopen removes the
// WAL. SQLite checkpoints on close only a file still at its path
// (databaseIsUnmoved in pager.c), so without this the writes acknowledged
// before the move were in neither file. TRUNCATE waits, with the busy
// timeout, for readers of other processes still on the old file; their
// writers find the move at their next write and follow it.
func checkpointMoved(ctx context.Context, path string, old *pools) {
	ctx = context.WithoutCancel(ctx)
	var busy, frames, copied int64
	var err error
	// Another process following the same move checkpoints too, and a
	// checkpoint that meets another one gives up at once (busy, and -1
	// frames), whatever the busy timeout: it is tried again until that
	// one is done.
	for try := 0; try < 50; try++ {
		err = old.w.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &frames, &copied)
		if err != nil || busy == 0 || frames != -1 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil || busy != 0 {
		slog.Error("store: the database file was moved away and its last writes could not all be copied into it",
			"path", path, "err", err, "busy", busy, "frames", frames, "copied", copied)
	}
}

// replacedError is what a call gets when the file at the path changed and
// it could not be written there. The path is in the cause, for the
// caller's log, not in the message, for the client.
// mapFault turns it into an Error, which says that nothing was stored
// only for a write.
func replacedError(path string, cause error) error {
	return &replaced{err: fmt.Errorf("%s was replaced or removed and cannot be reopened: %w", path, cause)}
}

type replaced struct {
	err error
	// storedInOld: the write committed to the file that was at the path
	// when the call was made, before it could not be redone on the new one.
	storedInOld bool
}

func (r *replaced) Error() string { return r.err.Error() }
func (r *replaced) Unwrap() error { return r.err }

const replacedMessage = "the database file was replaced or removed while the server was running, " +
	"and the call could not be redone on the file now at its path"
