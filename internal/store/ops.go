package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/mcp-agents/mcp-agents/internal/auth"
)

// Writes return the flag without reading it back: the row read under the
// write lock (or, for a new flag, the validated input) plus the columns the
// statement just set is exactly what a read after the commit would see
// (TestWritesReturnWhatIsStored).

// CreateFlag validates in, stores it as a pending flag and records a
// "created" event. A rejected flag stores nothing.
func (s *Store) CreateFlag(ctx context.Context, in NewFlag) (Flag, error) {
	v, err := validateNewFlag(in)
	if err != nil {
		return Flag{}, err
	}
	r := flagRow{
		flagType: v.flagType, source: v.source, target: nullStr(v.target),
		change: v.change, action: v.action, impact: v.impact,
		related: v.related, files: v.files,
		codeLoc: nullStr(v.codeLocation), example: nullStr(v.example), ctxt: nullStr(v.context),
		status: "pending",
	}
	if p, ok := auth.From(ctx); ok {
		r.createdToken, r.createdRole = validStr(p.TokenID), validStr(string(p.Role))
	}
	args := func() []any {
		return []any{r.flagType, r.source, r.target, r.change, r.action, r.impact, r.related, r.chain,
			r.codeLoc, r.example, r.ctxt, r.created, r.createdToken, r.createdRole}
	}
	// The "created" event is written by the database with the flag
	// (migration 0008). Even a flag that starts no chain, one INSERT, is
	// written in a BEGIN IMMEDIATE transaction rather than autocommitted:
	// modernc.org/sqlite answers ctx.Err() for a statement whose context
	// ends while it runs even when it completed, so an autocommitted flag
	// could be stored yet answered "cancelled" (and stored twice by a
	// client's retry). In a transaction the cancelled INSERT is rolled
	// back, the wait for the write lock still ends with the call, and
	// COMMIT is not interrupted (TestSIGTERMDuringWrites,
	// TestTypeScriptSDKClientCancels).
	queries := []string{sqlInsertFlag}
	if v.chain != 0 {
		queries = append(queries, sqlChainExists)
	}
	var now string
	err = s.writeTx(ctx, "create flag", queries, func(w *txn) error {
		// The time is read under the write lock, so flags created one
		// after another have times in the order of their ids, however
		// long each call waited for the lock.
		now = formatTime(s.now())
		r.created = now
		if v.chain != 0 {
			var one int
			err := w.queryRow(sqlChainExists, v.chain).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return notFound("chain_origin_id", "chain_origin_id %d does not name an existing flag", v.chain)
			}
			if err != nil {
				return err
			}
			r.chain = sql.NullInt64{Int64: v.chain, Valid: true}
		}
		res, err := w.exec(sqlInsertFlag, args()...)
		if err != nil {
			return err
		}
		r.id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return Flag{}, err
	}
	return r.toFlag(now), nil
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

func (r *flagRow) lockState(now string) lockState {
	return lockState{
		status:   r.status,
		holder:   r.lockedBy.String,
		expires:  r.lockExp.String,
		doneBy:   r.completedBy.String,
		doneAt:   r.completedAt.String,
		unlocked: !r.lockedBy.Valid || r.lockExp.String <= now,
	}
}

func (st lockState) completedErr(id int64) error {
	return conflict("flag %d is completed (by %s at %s)", id, st.doneBy, st.doneAt)
}

func (st lockState) lockedErr(id int64, what string) error {
	return conflict("flag %d is locked by %s until %s; %s", id, st.holder, st.expires, what)
}

// CheckClaim applies the rules every claim (lock, unlock, complete) has
// for its flag id and acting agent, on either engine, and returns the
// agent's canonical handle.
func CheckClaim(id int64, agent string) (string, error) {
	if err := checkID(id); err != nil {
		return "", err
	}
	return canonicalHandle("agent", agent)
}

func checkID(id int64) error {
	if id <= 0 {
		return invalid("flag_id", "flag_id must be a positive integer (got %d)", id)
	}
	return nil
}

// LockFlag takes (or renews) a lease on a pending flag for agent. It
// succeeds when the flag is unlocked, already held by agent (renewal: new
// expiry) or held under an expired lease (takeover).
func (s *Store) LockFlag(ctx context.Context, id int64, agent string, lease time.Duration) (Flag, error) {
	agent, err := CheckClaim(id, agent)
	if err != nil {
		return Flag{}, err
	}
	if err := CheckLease(lease); err != nil {
		return Flag{}, err
	}
	var r flagRow
	var now string
	err = s.writeTx(ctx, "lock flag", []string{sqlSelectFlag, sqlLock, sqlInsertEvent}, func(w *txn) error {
		// Under the write lock (as every change's time): a call that
		// waited for it still gets its whole lease.
		t := s.now()
		var exp string
		now, exp = formatTime(t), formatTime(t.Add(lease))
		if r, err = w.flagRow(id); err != nil {
			return err
		}
		st := r.lockState(now)
		ok, err := w.claim(sqlLock, agent, now, exp, id, agent, now)
		if err != nil {
			return err
		}
		if !ok {
			if st.status == "completed" {
				return st.completedErr(id)
			}
			return st.lockedErr(id, WaitForLease)
		}
		kind, prev := EventLocked, ""
		switch {
		case st.holder == agent && !st.unlocked:
			kind = EventRenewed
		case st.holder != "" && st.holder != agent:
			kind, prev = EventTakeover, st.holder
		}
		r.setLease(agent, now, exp)
		return w.addEvent(id, kind, agent, prev, now)
	})
	if err != nil {
		return Flag{}, err
	}
	return r.toFlag(now), nil
}

// UnlockFlag releases the lease on a flag. Only the holder may, unless force
// is set.
func (s *Store) UnlockFlag(ctx context.Context, id int64, agent string, force bool) (Flag, error) {
	agent, err := CheckClaim(id, agent)
	if err != nil {
		return Flag{}, err
	}
	var r flagRow
	var now string
	err = s.writeTx(ctx, "unlock flag", []string{sqlSelectFlag, sqlUnlock, sqlInsertEvent}, func(w *txn) error {
		now = formatTime(s.now())
		if r, err = w.flagRow(id); err != nil {
			return err
		}
		st := r.lockState(now)
		ok, err := w.claim(sqlUnlock, id, now, agent, force)
		if err != nil {
			return err
		}
		if !ok {
			if st.status == "completed" {
				return CompletedNotLockedError(id, st.doneBy, st.doneAt)
			}
			if st.unlocked {
				return NotLockedError(id)
			}
			return st.lockedErr(id, OnlyHolderFree)
		}
		kind, prev := EventUnlocked, ""
		if st.holder != agent {
			kind, prev = EventForceUnlocked, st.holder
		}
		r.clearLease()
		return w.addEvent(id, kind, agent, prev, now)
	})
	if err != nil {
		return Flag{}, err
	}
	return r.toFlag(now), nil
}

// CompleteFlag marks a pending flag completed by agent, with optional
// notes, and clears any lease. It is refused while another agent holds an
// unexpired lease.
func (s *Store) CompleteFlag(ctx context.Context, id int64, agent, notes string) (Flag, error) {
	agent, err := CheckClaim(id, agent)
	if err != nil {
		return Flag{}, err
	}
	notes, err = optText("notes", notes)
	if err != nil {
		return Flag{}, err
	}
	var r flagRow
	var now string
	err = s.writeTx(ctx, "complete flag", []string{sqlSelectFlag, sqlComplete, sqlInsertEvent}, func(w *txn) error {
		now = formatTime(s.now())
		if r, err = w.flagRow(id); err != nil {
			return err
		}
		st := r.lockState(now)
		ok, err := w.claim(sqlComplete, now, agent, nullStr(notes), id, agent, now)
		if err != nil {
			return err
		}
		if !ok {
			if st.status == "completed" {
				return st.completedErr(id)
			}
			return st.lockedErr(id, OnlyHolderDone)
		}
		r.status = "completed"
		r.completedAt, r.completedBy, r.notes = validStr(now), validStr(agent), nullStr(notes)
		r.clearLease()
		return w.addEvent(id, EventCompleted, agent, "", now)
	})
	if err != nil {
		return Flag{}, err
	}
	return r.toFlag(now), nil
}
