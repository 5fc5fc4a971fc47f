package store

import (
	"context"
	"database/sql"
)

// writeTx runs fn in one BEGIN IMMEDIATE transaction on the write pool.
func (s *Store) writeTx(ctx context.Context, op string, fn func(*sql.Tx) error) error {
	return runTx(ctx, s.w, op, fn)
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

// getFlag reads one flag inside tx; a missing id is CodeNotFound.
func getFlag(ctx context.Context, tx *sql.Tx, id int64, now string) (Flag, error) {
	f, err := scanFlag(tx.QueryRowContext(ctx, "SELECT "+flagCols+" FROM flags WHERE id = ?", id), now)
	if err == sql.ErrNoRows {
		return Flag{}, notFound("id", "flag %d does not exist", id)
	}
	return f, err
}

func addEvent(ctx context.Context, tx *sql.Tx, flagID int64, kind, agent, prev, at string) error {
	_, err := tx.ExecContext(ctx,
		`INSERT INTO flag_events (flag_id, kind, agent, previous_holder, at) VALUES (?, ?, ?, ?, ?)`,
		flagID, kind, agent, nullStr(prev), at)
	return err
}
