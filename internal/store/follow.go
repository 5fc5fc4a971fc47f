package store

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Follow makes the store follow its file as soon as it is moved, replaced
// or removed, not at its next call. Until a process that wrote to the old
// file follows, that file's -wal and -shm stay at the path, and any
// process opening the path meanwhile (a command run right after
// `mv new.db agents.db`) reads the new file through the old WAL, since
// SQLite pairs them by name: it sees the old flags, and what it writes
// goes to the old file. Following copies that WAL into the old file and
// removes it (see reopen), so a server left idle does not keep the path
// in that state for hours. Only a long-running server needs it; the
// returned function stops following.
func (s *Store) Follow(log *slog.Logger) (stop func()) {
	quit, done := make(chan struct{}), make(chan struct{})
	// Set up off the start-up path: a server answers meanwhile.
	go func() {
		defer close(done)
		w, err := fsnotify.NewWatcher()
		if err == nil {
			defer w.Close()
			err = w.Add(filepath.Dir(s.path))
		}
		if err != nil {
			log.Warn("cannot watch the database's directory: a moved or replaced database file is followed at the next call only",
				"path", s.path, "err", err)
			return
		}
		for {
			select {
			case <-quit:
				return
			case ev := <-w.Events:
				if ev.Name == s.path && ev.Has(fsnotify.Create|fsnotify.Remove|fsnotify.Rename) {
					s.follow(log)
				}
			case err := <-w.Errors:
				// An overflowed queue may have hidden a move.
				log.Debug("watching the database's directory", "err", err)
				s.follow(log)
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
	moved := p != nil && !p.closed && !s.atPath(p.file)
	s.mu.RUnlock()
	if moved {
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
