package store

import (
	"context"
	"database/sql"
	"errors"
)

// wtx is one write transaction with the prepared write statements.
type wtx struct {
	ctx context.Context
	tx  *sql.Tx
	st  *writeStmts
}

// writeTx runs fn in one BEGIN IMMEDIATE transaction on the write pool.
func (s *Store) writeTx(ctx context.Context, op string, fn func(*wtx) error) error {
	ws, err := s.writeStatements(ctx)
	if err != nil {
		return mapErr(op, err)
	}
	return runTx(ctx, s.w, op, func(tx *sql.Tx) error {
		return fn(&wtx{ctx: ctx, tx: tx, st: ws})
	})
}

// readTx runs fn in one deferred (snapshot) transaction on the read pool.
func (s *Store) readTx(ctx context.Context, op string, fn func(*sql.Tx) error) error {
	return runTx(ctx, s.r, op, fn)
}

func runTx(ctx context.Context, db *sql.DB, op string, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return mapErr(op, err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return mapErr(op, err)
	}
	return mapErr(op, tx.Commit())
}

func (w *wtx) exec(st *sql.Stmt, args ...any) (sql.Result, error) {
	return w.tx.StmtContext(w.ctx, st).ExecContext(w.ctx, args...)
}

// claim runs one conditional UPDATE and reports whether it changed the row.
func (w *wtx) claim(st *sql.Stmt, args ...any) (bool, error) {
	res, err := w.exec(st, args...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// flagRow reads the stored row of flag id under the write lock; a missing
// id is CodeNotFound.
func (w *wtx) flagRow(id int64) (flagRow, error) {
	var r flagRow
	err := r.scan(w.tx.StmtContext(w.ctx, w.st.selectFlag).QueryRowContext(w.ctx, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, notFound("id", "flag %d does not exist", id)
	}
	return r, err
}

func (w *wtx) addEvent(flagID int64, kind, agent, prev, at string) error {
	_, err := w.exec(w.st.insertEvent, flagID, kind, agent, nullStr(prev), at)
	return err
}

// getFlag reads one flag inside a read transaction; a missing id is
// CodeNotFound.
func getFlag(ctx context.Context, tx *sql.Tx, id int64, now string) (Flag, error) {
	f, err := scanFlag(tx.QueryRowContext(ctx, sqlSelectFlag, id), now)
	if err == sql.ErrNoRows {
		return Flag{}, notFound("id", "flag %d does not exist", id)
	}
	return f, err
}
