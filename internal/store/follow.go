package store

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Follow makes the store follow its file as soon as it is moved, replaced
// or removed, not at its next call. Until a process that wrote to the old
// file follows, that file's -wal and -shm stay at the path, and any
// process opening the path meanwhile (a command run right after
// `mv new.db agents.db`) reads the new file through the old WAL, since
// SQLite pairs them by name: it sees the old flags, and what it writes
// goes to the old file. Following takes that WAL off the path and copies
// it into the old file (see retire), so a server left idle does not keep
// the path in that state for hours. Only a long-running server needs it;
// the returned function stops following.
//
// It watches the file itself, not its directory: the file is written
// only by checkpoints, while every write of every process goes to the
// -wal beside it, and anything else may churn in that directory. Moved
// away, removed or replaced, the file reports a move or a change of its
// link count (inotify's IN_MOVE_SELF, IN_ATTRIB). The file then at the
// path is watched once the store has opened it.
func (s *Store) Follow(log *slog.Logger) (stop func()) {
	quit, done := make(chan struct{}), make(chan struct{})
	// Set up off the start-up path: a server answers meanwhile.
	go func() {
		defer close(done)
		w, err := fsnotify.NewWatcher()
		if err != nil {
			log.Warn("cannot watch the database file: a moved or replaced database file is followed at the next call only",
				"path", s.path, "err", err)
			return
		}
		defer w.Close()
		watching := false
		watch := func() {
			if watching {
				_ = w.Remove(s.path)
			}
			watching = w.Add(s.path) == nil
		}
		// settle follows the file and watches the one at the path, again
		// while they differ: a file moved over the path between the two
		// would have no watch on the store's file.
		settle := func() {
			for range 3 {
				s.follow(log)
				watch()
				if !s.movedAway() {
					return
				}
			}
		}
		settle()
		for {
			select {
			case <-quit:
				return
			case <-s.opened:
				watch()
				if s.movedAway() {
					settle()
				}
			case ev := <-w.Events:
				if ev.Op == fsnotify.Write {
					continue // a checkpoint
				}
				s.wakes.Add(1)
				settle()
			case err := <-w.Errors:
				// An overflowed queue may have hidden a move.
				log.Debug("watching the database file", "err", err)
				settle()
			}
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}

// follow moves the store off a file that is no longer at the path, and
// onto the one now there, if any. With none there it creates none: the
// next call does, as without following. Created here, a file would pair
// with the next one moved over the path (a restore done as two mv) as the
// old WAL did, hiding it.
func (s *Store) follow(log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*s.busyTimeout+5*time.Second)
	defer cancel()
	s.mu.RLock()
	p := s.cur
	s.mu.RUnlock()
	if s.movedAway() {
		s.letGo(ctx, p)
	}
	if _, err := os.Stat(s.path); err != nil {
		return
	}
	if _, err := s.acquire(ctx); err != nil {
		log.Warn("following the database file", "path", s.path, "err", err)
		return
	}
	s.release()
}

// movedAway reports whether the store's open file is no longer at the path.
func (s *Store) movedAway() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p := s.cur
	return p != nil && !p.closed && !s.atPath(p.file)
}
