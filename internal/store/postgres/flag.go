package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/mcp-agents/mcp-agents/internal/store"
)

var _ store.Engine = (*Store)(nil)

// flagColumns are the contract's columns of flags, in the order flagRow
// scans them.
var flagColumns = []string{"id", "flag_type", "source_agent", "target_agent", "change_description",
	"action_required", "impact_level", "related_files", "chain_origin_id", "code_location", "example_usage",
	"context", "notes", "status", "locked_by", "locked_at", "lock_expires_at", "created_at", "completed_at",
	"completed_by", "created_token", "created_role"}

// cols selects flagColumns on alias, then whether the row's lease still
// holds by the database clock ($1): a read reports an expired lease as
// no lock at all.
func cols(alias string) string {
	var b strings.Builder
	for _, c := range flagColumns {
		b.WriteString(alias + "." + c + ", ")
	}
	b.WriteString("(" + alias + ".locked_by IS NOT NULL AND " + alias + ".lock_expires_at > " + clock + ") AS held")
	return b.String()
}

// flagRow is one row of cols as stored, lease included even when expired.
type flagRow struct {
	id                                                int64
	flagType, source, change, action, impact, status  string
	target, codeLoc, example, notes, lockedBy, doneBy *string
	createdToken, createdRole                         *string
	related                                           []string
	ctxt                                              []byte
	chain                                             *int64
	lockedAt, lockExp, doneAt                         *time.Time
	created                                           time.Time
	held                                              bool
}

func (r *flagRow) dest() []any {
	return []any{&r.id, &r.flagType, &r.source, &r.target, &r.change, &r.action, &r.impact, &r.related,
		&r.chain, &r.codeLoc, &r.example, &r.ctxt, &r.notes, &r.status, &r.lockedBy, &r.lockedAt, &r.lockExp,
		&r.created, &r.doneAt, &r.doneBy, &r.createdToken, &r.createdRole, &r.held}
}

func timePtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := store.FormatTime(*t)
	return &s
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return store.FormatTime(*t)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// flag converts the row as a read sees it.
func (r *flagRow) flag() store.Flag {
	f := store.Flag{
		ID: r.id, FlagType: r.flagType, SourceAgent: r.source, TargetAgent: r.target,
		ChangeDescription: r.change, ActionRequired: r.action, ImpactLevel: r.impact,
		RelatedFiles: r.related, ChainOriginID: r.chain, CodeLocation: r.codeLoc, ExampleUsage: r.example,
		Notes: r.notes, Status: r.status, CreatedAt: store.FormatTime(r.created),
		CompletedAt: timePtr(r.doneAt), CompletedBy: r.doneBy,
	}
	if f.RelatedFiles == nil {
		f.RelatedFiles = []string{}
	}
	if r.ctxt != nil {
		f.Context = json.RawMessage(r.ctxt)
	}
	if r.createdToken != nil {
		f.CreatedBy = &store.Creator{TokenID: *r.createdToken, Role: deref(r.createdRole)}
	}
	if r.held {
		f.Locked, f.LockedBy, f.LockedAt, f.LockExpiresAt = true, r.lockedBy, timePtr(r.lockedAt), timePtr(r.lockExp)
	}
	return f
}

// collectFlags reads rows of cols.
func collectFlags(rows pgx.Rows) ([]store.Flag, error) {
	defer rows.Close()
	out := []store.Flag{}
	for rows.Next() {
		var r flagRow
		if err := rows.Scan(r.dest()...); err != nil {
			return nil, err
		}
		out = append(out, r.flag())
	}
	return out, rows.Err()
}

// args collects a statement's parameters; $1 is always the clock offset.
type args []any

func (s *Store) args() args { return args{s.clockArg()} }

// add appends v and returns its placeholder.
func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// do runs one call's database work, with its error mapped to the
// contract. A pooled connection the server closed (a restart) fails the
// attempt that draws it, so the work runs once more on a fresh one when
// that is safe: for a read always, for a write only when nothing reached
// the server (otherwise a write the server did commit would be made
// twice). pgxpool pings a connection idle for over a second before
// handing it out, so after a restart writes rarely meet a dead one.
//
// Each attempt has opTimeout: a database host that stops answering while
// its connections stay open (hung, or the network path lost) would
// otherwise hold the call for good, as TCP waits on. Such a timeout is an
// unreachable database, and is not retried: the host that did not answer
// would not answer the retry either.
func (s *Store) do(ctx context.Context, op string, write bool, fn func(context.Context) error) error {
	attempt := func() error {
		actx, cancel := context.WithTimeout(ctx, opTimeout)
		defer cancel()
		err := fn(actx)
		if err != nil && ctx.Err() == nil && actx.Err() != nil {
			return noAnswer{err}
		}
		return err
	}
	err := attempt()
	var silent noAnswer
	if err != nil && ctx.Err() == nil && unreachable(err) && !errors.As(err, &silent) {
		// One dead connection means the others from before the outage are
		// dead too: drop them all, so no later call meets one.
		s.pool.Reset()
		if pgconn.SafeToRetry(err) || !write {
			err = attempt()
		}
	}
	return mapErr(op, write, err)
}

// tokenOf is the token a call was made under (HTTP), nil over stdio.
func tokenOf(ctx context.Context) (id, role *string) {
	if p, ok := principal(ctx); ok {
		r := string(p.Role)
		return &p.TokenID, &r
	}
	return nil, nil
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// CreateFlag validates in, stores it as a pending flag and records a
// "created" event, in one statement. A rejected flag stores nothing.
func (s *Store) CreateFlag(ctx context.Context, in store.NewFlag) (store.Flag, error) {
	v, err := store.ValidateNewFlag(in)
	if err != nil {
		return store.Flag{}, err
	}
	token, role := tokenOf(ctx)
	var chain *int64
	if v.Chain != 0 {
		chain = &v.Chain
	}
	a := s.args()
	// The chain's existence is checked in the same statement, before a row
	// is made: a refused flag then takes no id from the sequences, as on
	// SQLite (the foreign key alone would refuse it only after drawing
	// one). A flag is never deleted, so the check cannot go stale.
	chainP := a.add(chain) + `::bigint`
	q := `WITH f AS (
		INSERT INTO flags (flag_type, source_agent, target_agent, change_description, action_required,
			impact_level, related_files, chain_origin_id, code_location, example_usage, context, status,
			created_at, created_token, created_role)
		SELECT ` + a.add(v.FlagType) + `, ` + a.add(v.Source) + `, ` + a.add(optional(v.Target)) + `, ` +
		a.add(v.Change) + `, ` + a.add(v.Action) + `, ` + a.add(v.Impact) + `, ` + a.add(v.Related) + `::json, ` +
		chainP + `, ` + a.add(optional(v.CodeLocation)) + `, ` + a.add(optional(v.Example)) + `, ` +
		a.add(optional(v.Context)) + `::json, 'pending', ` + clock + `, ` + a.add(token) + `, ` + a.add(role) + `
		WHERE ` + chainP + ` IS NULL OR EXISTS (SELECT 1 FROM flags WHERE id = ` + chainP + `)
		RETURNING *),
	e AS (
		INSERT INTO flag_events (flag_id, kind, agent, at, token_id)
		SELECT id, 'created', source_agent, created_at, created_token FROM f)
	SELECT ` + cols("f") + ` FROM f`
	var r flagRow
	err = s.do(ctx, "create flag", true, func(ctx context.Context) error {
		err := s.pool.QueryRow(ctx, q, a...).Scan(r.dest()...)
		var pe *pgconn.PgError
		if errors.Is(err, pgx.ErrNoRows) || (errors.As(err, &pe) && pe.Code == "23503" && pe.ConstraintName == "flags_chain_origin_id_fkey") {
			return store.ChainNotFoundError(v.Chain)
		}
		return err
	})
	if err != nil {
		return store.Flag{}, err
	}
	r.related = v.Files // as validated; the stored JSON is its encoding
	return r.flag(), nil
}

// claim runs one claim as a single statement:
//
//	old: the flag's row, locked (FOR NO KEY UPDATE: a flag created in a
//	     chain under it, which key-share locks it, need not wait), as it
//	     is before the claim;
//	upd: the conditional UPDATE (set, where cond holds) of that row;
//	ev:  the event the claim records, when upd changed the row;
//
// and returns the row after the claim (won) or as it was (refused, to
// explain why). Under READ COMMITTED the row lock makes old the version the
// UPDATE's condition is decided on, so the event names the holder the
// claim really replaced. In set, cond and the event expressions, $2 is the
// flag id, $3 the acting agent, $4 the call's token; extra parameters
// follow.
func (s *Store) claim(ctx context.Context, op string, id int64, agent string, extra []any,
	set, cond, kind, prev string) (flagRow, bool, error) {
	token, _ := tokenOf(ctx)
	a := append(s.args(), id, agent, token)
	a = append(a, extra...)
	q := `WITH old AS (
		SELECT * FROM flags WHERE id = $2 FOR NO KEY UPDATE),
	upd AS (
		UPDATE flags f SET ` + set + ` FROM old
		WHERE f.id = old.id AND ` + cond + `
		RETURNING f.*, old.locked_by AS prev_by, old.lock_expires_at AS prev_exp),
	ev AS (
		INSERT INTO flag_events (flag_id, kind, agent, previous_holder, at, token_id)
		SELECT id, ` + kind + `, $3, ` + prev + `, ` + clock + `, $4 FROM upd)
	SELECT true, ` + cols("u") + ` FROM upd u
	UNION ALL
	SELECT false, ` + cols("o") + ` FROM old o WHERE NOT EXISTS (SELECT FROM upd)`
	var r flagRow
	var won bool
	err := s.do(ctx, op, true, func(ctx context.Context) error {
		err := s.pool.QueryRow(ctx, q, a...).Scan(append([]any{&won}, r.dest()...)...)
		if errors.Is(err, pgx.ErrNoRows) {
			return store.FlagNotFoundError(id)
		}
		return err
	})
	return r, won, err
}

// claimable is the condition of a lock or complete: the flag is pending
// and no other agent's lease holds it ($3 is the acting agent).
const claimable = `f.status = 'pending' AND (f.locked_by IS NULL OR f.locked_by = $3 OR f.lock_expires_at <= ` + clock + `)`

// refused explains a lost lock or complete from the row as the claim
// found it: the flag is completed, or another agent's lease holds it
// (what says what the caller can do).
func (r flagRow) refused(id int64, what string) error {
	if r.status == "completed" {
		return store.CompletedError(id, deref(r.doneBy), fmtTime(r.doneAt))
	}
	return store.LockedError(id, deref(r.lockedBy), fmtTime(r.lockExp), what)
}

// LockFlag takes (or renews) a lease on a pending flag for agent. It
// succeeds when the flag is unlocked, already held by agent (renewal: new
// expiry) or held under an expired lease (takeover).
func (s *Store) LockFlag(ctx context.Context, id int64, agent string, lease time.Duration) (store.Flag, error) {
	agent, err := store.CheckClaim(id, agent)
	if err != nil {
		return store.Flag{}, err
	}
	if err := store.CheckLease(lease); err != nil {
		return store.Flag{}, err
	}
	r, won, err := s.claim(ctx, "lock flag", id, agent, []any{lease.Microseconds()},
		`locked_by = $3, locked_at = `+clock+`, lock_expires_at = `+after("$5"),
		claimable,
		`CASE WHEN prev_by = $3 AND prev_exp > `+clock+` THEN 'renewed'
			WHEN prev_by IS NOT NULL AND prev_by <> $3 THEN 'takeover' ELSE 'locked' END`,
		`CASE WHEN prev_by <> $3 THEN prev_by END`)
	switch {
	case err != nil:
		return store.Flag{}, err
	case !won:
		return store.Flag{}, r.refused(id, store.WaitForLease)
	}
	return r.flag(), nil
}

// UnlockFlag releases the lease on a flag. Only the holder may, unless force
// is set.
func (s *Store) UnlockFlag(ctx context.Context, id int64, agent string, force bool) (store.Flag, error) {
	agent, err := store.CheckClaim(id, agent)
	if err != nil {
		return store.Flag{}, err
	}
	r, won, err := s.claim(ctx, "unlock flag", id, agent, []any{force},
		`locked_by = NULL, locked_at = NULL, lock_expires_at = NULL`,
		`f.status = 'pending' AND f.locked_by IS NOT NULL AND f.lock_expires_at > `+clock+` AND (f.locked_by = $3 OR $5)`,
		`CASE WHEN prev_by = $3 THEN 'unlocked' ELSE 'force_unlocked' END`,
		`CASE WHEN prev_by <> $3 THEN prev_by END`)
	switch {
	case err != nil:
		return store.Flag{}, err
	case won:
		return r.flag(), nil
	case r.status == "completed":
		return store.Flag{}, store.CompletedNotLockedError(id, deref(r.doneBy), fmtTime(r.doneAt))
	case !r.held:
		return store.Flag{}, store.NotLockedError(id)
	}
	return store.Flag{}, store.LockedError(id, deref(r.lockedBy), fmtTime(r.lockExp), store.OnlyHolderFree)
}

// CompleteFlag marks a pending flag completed by agent, with optional
// notes, and clears any lease. It is refused while another agent holds an
// unexpired lease.
func (s *Store) CompleteFlag(ctx context.Context, id int64, agent, notes string) (store.Flag, error) {
	agent, err := store.CheckClaim(id, agent)
	if err != nil {
		return store.Flag{}, err
	}
	if notes, err = store.CheckNotes(notes); err != nil {
		return store.Flag{}, err
	}
	r, won, err := s.claim(ctx, "complete flag", id, agent, []any{optional(notes)},
		`status = 'completed', completed_at = `+clock+`, completed_by = $3, notes = $5,
			locked_by = NULL, locked_at = NULL, lock_expires_at = NULL`,
		claimable,
		`'completed'`, `NULL`)
	switch {
	case err != nil:
		return store.Flag{}, err
	case !won:
		return store.Flag{}, r.refused(id, store.OnlyHolderDone)
	}
	return r.flag(), nil
}
