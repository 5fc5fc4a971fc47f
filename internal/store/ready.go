package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"
)

// readyWithin bounds a readiness check: a server whose database cannot give
// it the write lock within a second is not ready for writes.
const readyWithin = time.Second

// Ready reports whether the database can take writes now: the file the
// store opened is still at its path, and the write lock is had within a
// second (BEGIN IMMEDIATE; ROLLBACK). Unlike the flag calls it reopens
// nothing that was replaced: it reports. Only a store that let go of a
// file moved away (Follow) opens the one another process has since made
// at the path, as its next call would: nothing watches the path then, and
// a replica taken out of rotation for it would get no call to wake it.
func (s *Store) Ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyWithin)
	defer cancel()
	s.mu.RLock()
	if p := s.cur; p != nil && p.closed {
		s.mu.RUnlock()
		if _, err := os.Stat(s.path); err == nil {
			if _, err := s.acquire(ctx); err != nil {
				return err
			}
			s.release()
		}
		s.mu.RLock()
	}
	defer s.mu.RUnlock()
	p := s.cur
	if p == nil {
		return errors.New("the database is closed")
	}
	// Closed pools were left by a file that moved; the next call opens the
	// one at the path, or creates it.
	if p.closed || !s.atPath(p.file) {
		return fmt.Errorf("%s no longer names the database file this server opened (removed or replaced)", s.path)
	}
	conn, err := p.w.Conn(ctx)
	if err != nil {
		return fmt.Errorf("no database connection within %s: %w", readyWithin, err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("the database write lock was not had within %s: %w", readyWithin, err)
	}
	if _, err := conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK"); err != nil {
		return fmt.Errorf("rollback: %w", err)
	}
	return nil
}
