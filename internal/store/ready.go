package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// readyWithin bounds a readiness check: a server whose database cannot give
// it the write lock within a second is not ready for writes.
const readyWithin = time.Second

// Ready reports whether the database can take writes now: the file the
// store opened is still at its path, and the write lock is had within a
// second (BEGIN IMMEDIATE; ROLLBACK). Unlike the flag calls it never
// reopens a replaced file: it reports.
func (s *Store) Ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyWithin)
	defer cancel()
	s.mu.RLock()
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
