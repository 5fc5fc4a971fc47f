package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// CreateFlag validates in, stores it as a pending flag and records a
// "created" event. A rejected flag stores nothing.
func (s *Store) CreateFlag(ctx context.Context, in NewFlag) (Flag, error) {
	v, err := validateNewFlag(in)
	if err != nil {
		return Flag{}, err
	}
	now := formatTime(s.now())
	var f Flag
	err = s.writeTx(ctx, "create flag", func(tx *sql.Tx) error {
		var chain sql.NullInt64
		if v.chain != 0 {
			var one int
			err := tx.QueryRowContext(ctx, "SELECT 1 FROM flags WHERE id = ?", v.chain).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return notFound("chain_origin_id", "chain_origin_id %d does not name an existing flag", v.chain)
			}
			if err != nil {
				return err
			}
			chain = sql.NullInt64{Int64: v.chain, Valid: true}
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO flags (flag_type, source_agent, target_agent,
			change_description, action_required, impact_level, related_files, chain_origin_id,
			code_location, example_usage, context, status, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)`,
			v.flagType, v.source, nullStr(v.target), v.change, v.action, v.impact, v.related, chain,
			nullStr(v.codeLocation), nullStr(v.example), nullStr(v.context), now)
		if err != nil {
			return err
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		if err := addEvent(ctx, tx, id, EventCreated, v.source, "", now); err != nil {
			return err
		}
		f, err = getFlag(ctx, tx, id, now)
		return err
	})
	return f, err
}

// lockState is a flag's status and raw lease, read under the write lock to
// name the previous holder in events and to explain a refusal.
type lockState struct {
	status   string
	holder   string
	expires  string
	doneBy   string
	doneAt   string
	unlocked bool // no lease, or an expired one
}

func readLockState(ctx context.Context, tx *sql.Tx, id int64, now string) (lockState, error) {
	var st lockState
	var holder, exp, by, at sql.NullString
	err := tx.QueryRowContext(ctx,
		"SELECT status, locked_by, lock_expires_at, completed_by, completed_at FROM flags WHERE id = ?", id).
		Scan(&st.status, &holder, &exp, &by, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return st, notFound("id", "flag %d does not exist", id)
	}
	st.holder, st.expires, st.doneBy, st.doneAt = holder.String, exp.String, by.String, at.String
	st.unlocked = !holder.Valid || exp.String <= now
	return st, err
}

func (st lockState) completedErr(id int64) error {
	return conflict("flag %d is completed (by %s at %s)", id, st.doneBy, st.doneAt)
}

func (st lockState) lockedErr(id int64, what string) error {
	return conflict("flag %d is locked by %s until %s; %s", id, st.holder, st.expires, what)
}

func checkID(id int64) error {
	if id <= 0 {
		return invalid("id", "id must be a positive flag id (got %d)", id)
	}
	return nil
}

// LockFlag takes (or renews) a lease on a pending flag for agent. It
// succeeds when the flag is unlocked, already held by agent (renewal: new
// expiry) or held under an expired lease (takeover).
func (s *Store) LockFlag(ctx context.Context, id int64, agent string, lease time.Duration) (Flag, error) {
	if err := checkID(id); err != nil {
		return Flag{}, err
	}
	agent, err := canonicalHandle("agent", agent)
	if err != nil {
		return Flag{}, err
	}
	if lease <= 0 {
		return Flag{}, invalid("lease", "lease must be positive (got %s)", lease)
	}
	t := s.now()
	now, exp := formatTime(t), formatTime(t.Add(lease))
	var f Flag
	err = s.writeTx(ctx, "lock flag", func(tx *sql.Tx) error {
		st, err := readLockState(ctx, tx, id, now)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE flags SET locked_by = ?, locked_at = ?, lock_expires_at = ?
			WHERE id = ? AND status = 'pending'
			  AND (locked_by IS NULL OR locked_by = ? OR lock_expires_at <= ?)`,
			agent, now, exp, id, agent, now)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			if st.status == "completed" {
				return st.completedErr(id)
			}
			return st.lockedErr(id, "wait for the lease to expire or ask the holder to unlock it")
		}
		kind, prev := EventLocked, ""
		switch {
		case st.holder == agent && !st.unlocked:
			kind = EventRenewed
		case st.holder != "" && st.holder != agent:
			kind, prev = EventTakeover, st.holder
		}
		if err := addEvent(ctx, tx, id, kind, agent, prev, now); err != nil {
			return err
		}
		f, err = getFlag(ctx, tx, id, now)
		return err
	})
	return f, err
}

// UnlockFlag releases the lease on a flag. Only the holder may, unless force
// is set.
func (s *Store) UnlockFlag(ctx context.Context, id int64, agent string, force bool) (Flag, error) {
	if err := checkID(id); err != nil {
		return Flag{}, err
	}
	agent, err := canonicalHandle("agent", agent)
	if err != nil {
		return Flag{}, err
	}
	now := formatTime(s.now())
	var f Flag
	err = s.writeTx(ctx, "unlock flag", func(tx *sql.Tx) error {
		st, err := readLockState(ctx, tx, id, now)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE flags SET locked_by = NULL, locked_at = NULL, lock_expires_at = NULL
			WHERE id = ? AND status = 'pending' AND locked_by IS NOT NULL AND lock_expires_at > ?
			  AND (locked_by = ? OR ?)`,
			id, now, agent, force)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			if st.unlocked || st.status != "pending" {
				return conflict("flag %d is not locked", id)
			}
			return st.lockedErr(id, "only the holder can unlock it (or unlock with force)")
		}
		kind, prev := EventUnlocked, ""
		if st.holder != agent {
			kind, prev = EventForceUnlocked, st.holder
		}
		if err := addEvent(ctx, tx, id, kind, agent, prev, now); err != nil {
			return err
		}
		f, err = getFlag(ctx, tx, id, now)
		return err
	})
	return f, err
}

// CompleteFlag marks a pending flag completed by agent, with optional
// notes, and clears any lease. It is refused while another agent holds an
// unexpired lease.
func (s *Store) CompleteFlag(ctx context.Context, id int64, agent, notes string) (Flag, error) {
	if err := checkID(id); err != nil {
		return Flag{}, err
	}
	agent, err := canonicalHandle("agent", agent)
	if err != nil {
		return Flag{}, err
	}
	notes, err = optText("notes", notes)
	if err != nil {
		return Flag{}, err
	}
	now := formatTime(s.now())
	var f Flag
	err = s.writeTx(ctx, "complete flag", func(tx *sql.Tx) error {
		st, err := readLockState(ctx, tx, id, now)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE flags SET status = 'completed', completed_at = ?, completed_by = ?,
			notes = ?, locked_by = NULL, locked_at = NULL, lock_expires_at = NULL
			WHERE id = ? AND status = 'pending'
			  AND (locked_by IS NULL OR locked_by = ? OR lock_expires_at <= ?)`,
			now, agent, nullStr(notes), id, agent, now)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			if st.status == "completed" {
				return st.completedErr(id)
			}
			return st.lockedErr(id, "only the holder can complete it until the lease expires")
		}
		if err := addEvent(ctx, tx, id, EventCompleted, agent, "", now); err != nil {
			return err
		}
		f, err = getFlag(ctx, tx, id, now)
		return err
	})
	return f, err
}
