package store

import (
	"context"
	"database/sql"
	"errors"
	"os"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/mcp-agents/mcp-agents/internal/auth"
)

// txn is one transaction with the statement cache of its pool.
type txn struct {
	ctx   context.Context
	tx    *sql.Tx
	stmts *stmtCache
}

// writeTx runs fn in one BEGIN IMMEDIATE transaction on the write pool;
// queries are the statements fn runs, prepared beforehand. When the file
// at the path is not the one the write connection opened, before or after
// the commit, the whole operation runs once more on the file now there.
func (s *Store) writeTx(ctx context.Context, op string, queries []string, fn func(*txn) error) error {
	p, err := s.hold(ctx, false)
	if err != nil {
		return mapErr(op, err)
	}
	err = s.writeOnce(ctx, p, queries, fn)
	s.release()
	if !errors.Is(err, errMoved) {
		return mapErr(op, err)
	}
	// Committed to the file that then left the path, the write is in it:
	// a redo that fails must not say nothing was stored.
	committed := errors.Is(err, errMovedAfterCommit)
	redo := func() error {
		if err := s.reopen(ctx, p); err != nil {
			return err
		}
		p, err := s.hold(ctx, false)
		if err != nil {
			return err
		}
		err = s.writeOnce(ctx, p, queries, fn)
		s.release()
		if errors.Is(err, errMoved) {
			err = replacedError(s.path, err)
		}
		return err
	}
	err = redo()
	if r := (*replaced)(nil); committed && errors.As(err, &r) {
		r.storedInOld = true
	}
	return mapErr(op, err)
}

func (s *Store) writeOnce(ctx context.Context, p *pools, queries []string, fn func(*txn) error) error {
	// This process's writes queue for its one write connection. A call
	// waits, there and then for another process's lock, no longer than the
	// busy timeout in all, counted from when it was made: queued behind a
	// write that waits on a busy database, each would otherwise wait its
	// whole timeout in turn (the tenth answered after 50 s), and hold one
	// of mcp-go's workers meanwhile; and one that got the connection late
	// (the write before it cancelled) would start a whole timeout of
	// SQLite's own from there.
	qctx, cancel := context.WithTimeout(ctx, s.busyTimeout)
	defer cancel()
	queued := func(err error) error {
		var domain *Error
		if ctx.Err() == nil && qctx.Err() != nil && !errors.As(err, &domain) {
			return &Error{Code: CodeBusy, Message: faults[sqlite3.SQLITE_BUSY].what + "; nothing was stored, retry", err: err}
		}
		return err
	}
	// Prepare before taking the connection: preparing needs one, and the
	// write pool has only the one the transaction holds.
	if err := p.wstmts.prepare(qctx, queries...); err != nil {
		return queued(err)
	}
	conn, err := p.w.Conn(qctx)
	if err != nil {
		return queued(err)
	}
	defer conn.Close()
	file, err := connFile(conn)
	if err != nil {
		return err
	}
	if !s.atPath(file) {
		return errMoved
	}
	// The transaction lives under qctx: once the deadline passes, BEGIN
	// IMMEDIATE stops waiting for the lock; a transaction that got it just
	// before is rolled back, and stores nothing either.
	tx, err := conn.BeginTx(qctx, nil)
	if err != nil {
		return queued(cancelled(ctx, err))
	}
	// Only BEGIN IMMEDIATE, which waits for the write lock, and COMMIT
	// watch the call's context. The statements between them run under the lock without
	// waiting, so they need no watch, and modernc.org/sqlite starts a
	// goroutine per statement to watch a context that can end (and wakes
	// another thread for it): 3 fewer per lock_flag, one per create_flag
	// (per create with a cancellable context, store level: −22K
	// instructions under callgrind, −2 futex and −9 nanosleep calls under
	// strace -c). A call cancelled
	// meanwhile still stores nothing: database/sql rolls the transaction
	// back once ctx ends, and the next statement or COMMIT fails.
	if err := fn(&txn{ctx: context.WithoutCancel(ctx), tx: tx, stmts: &p.wstmts}); err != nil {
		_ = tx.Rollback()
		return queued(cancelled(ctx, err))
	}
	if err := tx.Commit(); err != nil {
		return queued(cancelled(ctx, err))
	}
	// The WAL is looked at before the file: with the file still ours
	// after, the WAL at the path was ours too. Looked at after, it could be
	// a new file's, made by another server in between, which reopen would
	// then remove as this file's stale WAL, with that server's
	// acknowledged writes in it.
	wal, walErr := os.Stat(s.path + "-wal")
	if !s.atPath(file) {
		return errMovedAfterCommit
	}
	checkedFile()
	if walErr == nil {
		p.wal.Store(wal)
	}
	return nil
}

// checkedFile runs between a write's last look at the file and recording
// its WAL; tests change the files at the path there.
var checkedFile = func() {}

// cancelled reports a transaction that failed once ctx had ended as what
// it is: database/sql rolls the transaction back when ctx ends, and the
// next statement or COMMIT then fails with whatever it meets first
// (sql.ErrTxDone, or "sql: statement is closed" when the rollback closed a
// statement it was about to run). Either way nothing was stored.
func cancelled(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// readTx runs fn in one deferred (snapshot) transaction on the read pool.
func (s *Store) readTx(ctx context.Context, op string, queries []string, fn func(*txn) error) error {
	p, err := s.acquire(ctx)
	if err != nil {
		return mapReadErr(op, err)
	}
	defer s.release()
	c := &p.rstmts
	if err := c.prepare(ctx, queries...); err != nil {
		return mapReadErr(op, err)
	}
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return mapReadErr(op, err)
	}
	if err := fn(&txn{ctx: ctx, tx: tx, stmts: c}); err != nil {
		_ = tx.Rollback()
		return mapReadErr(op, err)
	}
	return mapReadErr(op, tx.Commit())
}

// The statement methods use the prepared statement when runTx prepared
// query, and run the SQL text otherwise (correct, only slower).

func (t *txn) exec(query string, args ...any) (sql.Result, error) {
	if st, ok := t.stmts.lookup(query); ok {
		return t.tx.StmtContext(t.ctx, st).ExecContext(t.ctx, args...)
	}
	return t.tx.ExecContext(t.ctx, query, args...)
}

func (t *txn) query(query string, args ...any) (*sql.Rows, error) {
	if st, ok := t.stmts.lookup(query); ok {
		return t.tx.StmtContext(t.ctx, st).QueryContext(t.ctx, args...)
	}
	return t.tx.QueryContext(t.ctx, query, args...)
}

func (t *txn) queryRow(query string, args ...any) *sql.Row {
	if st, ok := t.stmts.lookup(query); ok {
		return t.tx.StmtContext(t.ctx, st).QueryRowContext(t.ctx, args...)
	}
	return t.tx.QueryRowContext(t.ctx, query, args...)
}

// claim runs one conditional UPDATE and reports whether it changed the row.
func (t *txn) claim(query string, args ...any) (bool, error) {
	res, err := t.exec(query, args...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// flagRow reads the stored row of flag id; a missing id is CodeNotFound.
func (t *txn) flagRow(id int64) (flagRow, error) {
	var r flagRow
	err := r.scan(t.queryRow(sqlSelectFlag, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, notFound("flag_id", "flag_id %d does not name an existing flag", id)
	}
	return r, err
}

// getFlag reads flag id as a read at now sees it.
func (t *txn) getFlag(id int64, now string) (Flag, error) {
	r, err := t.flagRow(id)
	if err != nil {
		return Flag{}, err
	}
	return r.toFlag(now), nil
}

// addEvent records a state change, with the token it was made under when
// the call came with one (HTTP): the principal travels in the context.
func (t *txn) addEvent(flagID int64, kind, agent, prev, at string) error {
	var token sql.NullString
	if p, ok := auth.From(t.ctx); ok {
		token = validStr(p.TokenID)
	}
	_, err := t.exec(sqlInsertEvent, flagID, kind, agent, nullStr(prev), at, token)
	return err
}
