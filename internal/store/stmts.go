package store

import (
	"context"
	"database/sql"
	"errors"
)

// Write statements are prepared once per Store instead of on every call:
// SQLite compiles every CHECK constraint of the table into an INSERT or
// UPDATE, and parsing them was a large share of a write's CPU time.
const (
	sqlChainExists = `SELECT 1 FROM flags WHERE id = ?`
	sqlSelectFlag  = `SELECT ` + flagCols + ` FROM flags WHERE id = ?`
	sqlInsertFlag  = `INSERT INTO flags (flag_type, source_agent, target_agent,
			change_description, action_required, impact_level, related_files, chain_origin_id,
			code_location, example_usage, context, status, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)`
	sqlInsertEvent = `INSERT INTO flag_events (flag_id, kind, agent, previous_holder, at) VALUES (?, ?, ?, ?, ?)`
	// The claims: one conditional UPDATE each, whose affected-row count
	// decides who won.
	sqlLock = `UPDATE flags SET locked_by = ?, locked_at = ?, lock_expires_at = ?
			WHERE id = ? AND status = 'pending'
			  AND (locked_by IS NULL OR locked_by = ? OR lock_expires_at <= ?)`
	sqlUnlock = `UPDATE flags SET locked_by = NULL, locked_at = NULL, lock_expires_at = NULL
			WHERE id = ? AND status = 'pending' AND locked_by IS NOT NULL AND lock_expires_at > ?
			  AND (locked_by = ? OR ?)`
	sqlComplete = `UPDATE flags SET status = 'completed', completed_at = ?, completed_by = ?,
			notes = ?, locked_by = NULL, locked_at = NULL, lock_expires_at = NULL
			WHERE id = ? AND status = 'pending'
			  AND (locked_by IS NULL OR locked_by = ? OR lock_expires_at <= ?)`
)

// writeStmts are prepared on the write pool. Its single connection holds
// them; should database/sql ever replace that connection, it prepares them
// again on the new one by itself.
type writeStmts struct {
	chainExists, selectFlag, insertFlag, insertEvent, lock, unlock, complete *sql.Stmt
}

// writeStatements prepares the write statements on first use rather than in
// Open, so a process that never writes (or has not written yet) does not
// pay for compiling them at start-up. It must not be called inside a write
// transaction: preparing needs the write pool's only connection.
func (s *Store) writeStatements(ctx context.Context) (*writeStmts, error) {
	if ws := s.ws.Load(); ws != nil {
		return ws, nil
	}
	s.wsMu.Lock()
	defer s.wsMu.Unlock()
	if ws := s.ws.Load(); ws != nil {
		return ws, nil
	}
	ws := &writeStmts{}
	for _, p := range []struct {
		dst   **sql.Stmt
		query string
	}{
		{&ws.chainExists, sqlChainExists},
		{&ws.selectFlag, sqlSelectFlag},
		{&ws.insertFlag, sqlInsertFlag},
		{&ws.insertEvent, sqlInsertEvent},
		{&ws.lock, sqlLock},
		{&ws.unlock, sqlUnlock},
		{&ws.complete, sqlComplete},
	} {
		st, err := s.w.PrepareContext(ctx, p.query)
		if err != nil {
			// Nothing is cached, so a busy or cancelled first call leaves
			// the next one to try again.
			return nil, errors.Join(err, ws.close())
		}
		*p.dst = st
	}
	s.ws.Store(ws)
	return ws, nil
}

func (ws *writeStmts) close() error {
	var errs []error
	for _, st := range []*sql.Stmt{ws.chainExists, ws.selectFlag, ws.insertFlag, ws.insertEvent, ws.lock, ws.unlock, ws.complete} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}
