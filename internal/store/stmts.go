package store

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// Statements are prepared once per pool and reused: SQLite compiles every
// CHECK constraint of the table into an INSERT or UPDATE, and parsing SQL
// again on every call was a large share of a call's CPU time.

// Write statements.
const (
	sqlChainExists = `SELECT 1 FROM flags WHERE id = ?`
	sqlSelectFlag  = `SELECT ` + flagCols + ` FROM flags WHERE id = ?`
	sqlInsertFlag  = `INSERT INTO flags (flag_type, source_agent, target_agent,
			change_description, action_required, impact_level, related_files, chain_origin_id,
			code_location, example_usage, context, status, created_at, created_token, created_role)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)`
	sqlInsertEvent = `INSERT INTO flag_events (flag_id, kind, agent, previous_holder, at, token_id) VALUES (?, ?, ?, ?, ?, ?)`
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

// stmtCache holds the statements prepared on one pool, by SQL text. Each is
// prepared on first use, not in Open, so start-up does not pay for
// statements a process may never run. database/sql prepares a statement
// again by itself on each pool connection that has not seen it, including
// one that replaces a broken connection. The SQL texts come from a fixed set
// of templates (the query builders combine a few optional filters), so the
// cache stays small.
type stmtCache struct {
	db *sql.DB
	m  sync.Map // string -> *sql.Stmt
}

// prepare makes sure queries are prepared. It must run before the
// transaction that uses them: preparing takes a pool connection, and the
// write pool has only the one the transaction would hold.
func (c *stmtCache) prepare(ctx context.Context, queries ...string) error {
	for _, q := range queries {
		if _, ok := c.m.Load(q); ok {
			continue
		}
		st, err := c.db.PrepareContext(ctx, q)
		if err != nil {
			// Nothing is cached, so a busy or cancelled call leaves the
			// next one to try again.
			return err
		}
		if _, raced := c.m.LoadOrStore(q, st); raced {
			st.Close()
		}
	}
	return nil
}

func (c *stmtCache) lookup(query string) (*sql.Stmt, bool) {
	st, ok := c.m.Load(query)
	if !ok {
		return nil, false
	}
	return st.(*sql.Stmt), true
}

func (c *stmtCache) close() error {
	var errs []error
	c.m.Range(func(q, st any) bool {
		errs = append(errs, st.(*sql.Stmt).Close())
		c.m.Delete(q)
		return true
	})
	return errors.Join(errs...)
}
