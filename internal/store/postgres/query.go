package postgres

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mcp-agents/mcp-agents/internal/store"
)

// impactOrder sorts most urgent first. It must stay identical to the
// expression in flags_inbox (migration 0001), or the planner cannot use
// the index's order.
const impactOrder = `CASE impact_level WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END`

// notLockedByOthers keeps flags under no unexpired lease but one held by who.
func notLockedByOthers(who string) string {
	return ` AND NOT (locked_by IS NOT NULL AND lock_expires_at > ` + clock + ` AND locked_by <> ` + who + `)`
}

// AgentFlags returns the flags addressed to q.Agent or to everyone, most
// urgent first, then oldest first.
func (s *Store) AgentFlags(ctx context.Context, q store.AgentFlagsQuery) ([]store.Flag, error) {
	agent, err := store.CanonicalHandle("agent", q.Agent)
	if err != nil {
		return nil, err
	}
	status, err := store.StatusFilter(q.Status, "pending")
	if err != nil {
		return nil, err
	}
	if err := store.CheckLimit(q.Limit); err != nil {
		return nil, err
	}
	query, a := s.inboxQuery(agent, status, q.IncludeLocked, q.Limit)
	var out []store.Flag
	err = s.do(ctx, "agent flags", false, func(ctx context.Context) error {
		rows, err := s.pool.Query(ctx, query, a...)
		if err != nil {
			return err
		}
		out, err = collectFlags(rows)
		return err
	})
	return out, err
}

// inboxQuery selects an inbox as a union of ordered, limited halves, one
// per recipient (the agent, everyone) and status: "target_agent = $n OR
// target_agent IS NULL" cannot use an index's order, so it would sort
// every matching flag; each half reads its index (flags_inbox, or
// flags_inbox_broadcast) in order and stops at the limit, and the union
// sorts at most a few limits' worth of rows. The halves read whole rows
// (the lease filter reads them anyway), so nothing is fetched twice.
// Statuses and the limit are literals (from a fixed set, and an int): one
// generic plan then fits every call, and only the agent is a parameter.
func (s *Store) inboxQuery(agent, status string, includeLocked bool, limit int) (string, args) {
	statuses := []string{status}
	if status == "all" {
		statuses = []string{"pending", "completed"}
	}
	a := s.args()
	who := a.add(agent)
	lim := ""
	if limit > 0 {
		lim = " LIMIT " + strconv.Itoa(limit)
	}
	var halves []string
	for _, broadcast := range []bool{false, true} {
		for _, st := range statuses {
			h := "SELECT " + impactOrder + " AS rank, " + cols("flags") + " FROM flags WHERE "
			if broadcast {
				h += "target_agent IS NULL"
			} else {
				h += "target_agent = " + who
			}
			h += " AND status = '" + st + "'"
			if !includeLocked && st != "completed" {
				h += notLockedByOthers(who)
			}
			halves = append(halves, "("+h+" ORDER BY "+impactOrder+", created_at, id"+lim+")")
		}
	}
	return "SELECT " + strings.Join(flagColumns, ", ") + ", held FROM (" + strings.Join(halves, " UNION ALL ") +
		") AS top ORDER BY rank, created_at, id" + lim, a
}

// CountAgentFlags counts the flags AgentFlags would return for q without a
// limit (q.Limit is ignored).
func (s *Store) CountAgentFlags(ctx context.Context, q store.AgentFlagsQuery) (int, error) {
	agent, err := store.CanonicalHandle("agent", q.Agent)
	if err != nil {
		return 0, err
	}
	status, err := store.StatusFilter(q.Status, "pending")
	if err != nil {
		return 0, err
	}
	a := args{} // no clock unless locked flags are left out
	if !q.IncludeLocked {
		a = s.args()
	}
	// Two counts, each in its own index (flags_inbox, and
	// flags_inbox_broadcast for the broadcasts), rather than one over
	// "target_agent = $n OR target_agent IS NULL".
	who := a.add(agent)
	cond := ""
	if status != "all" {
		cond += " AND status = " + a.add(status)
	}
	if !q.IncludeLocked {
		cond += notLockedByOthers(who)
	}
	query := "SELECT (SELECT count(*) FROM flags WHERE target_agent = " + who + cond + ")" +
		" + (SELECT count(*) FROM flags WHERE target_agent IS NULL" + cond + ")"
	var n int
	err = s.do(ctx, "count agent flags", false, func(ctx context.Context) error {
		return s.pool.QueryRow(ctx, query, a...).Scan(&n)
	})
	return n, err
}

// ListFlags returns matching flags ordered by id, and how many matched
// before the limit: one statement, so the page and its total come from one
// snapshot. The total is an exact count in the filter's index.
func (s *Store) ListFlags(ctx context.Context, q store.ListQuery) ([]store.Flag, int, error) {
	q, err := store.NormListQuery(q)
	if err != nil {
		return nil, 0, err
	}
	a := s.args()
	var where []string
	for _, c := range []struct{ col, v string }{
		{"status", q.Status}, {"source_agent", q.SourceAgent}, {"target_agent", q.TargetAgent},
		{"flag_type", q.FlagType}, {"impact_level", q.ImpactLevel},
	} {
		if c.v != "" && !(c.col == "status" && c.v == "all") {
			where = append(where, "f."+c.col+" = "+a.add(c.v))
		}
	}
	if q.ChainOriginID > 0 {
		where = append(where, "f.chain_origin_id = "+a.add(q.ChainOriginID))
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	query := "WITH total AS (SELECT count(*) AS n FROM flags f" + cond + ")" +
		" SELECT (SELECT n FROM total), " + cols("f") + " FROM flags f" + cond + " ORDER BY f.id"
	if q.Limit > 0 {
		query += " LIMIT " + a.add(q.Limit)
	}
	// No row carries no total: then nothing matched (one snapshot), so 0.
	var out []store.Flag
	total := 0
	err = s.do(ctx, "list flags", false, func(ctx context.Context) error {
		rows, err := s.pool.Query(ctx, query, a...)
		if err != nil {
			return err
		}
		defer rows.Close()
		out = []store.Flag{}
		for rows.Next() {
			var r flagRow
			if err := rows.Scan(append([]any{&total}, r.dest()...)...); err != nil {
				return err
			}
			out = append(out, r.flag())
		}
		return rows.Err()
	})
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// chainSQL walks chain_origin_id up to the root, then collects the root and
// every descendant ($2 is the flag).
var chainSQL = `WITH RECURSIVE
	up(id, parent) AS (
		SELECT id, chain_origin_id FROM flags WHERE id = $2
		UNION ALL
		SELECT f.id, f.chain_origin_id FROM flags f JOIN up ON f.id = up.parent
	),
	down(id) AS (
		SELECT id FROM up WHERE parent IS NULL
		UNION
		SELECT f.id FROM flags f JOIN down ON f.chain_origin_id = down.id
	)
	SELECT ` + cols("f") + ` FROM flags f WHERE f.id IN (SELECT id FROM down) ORDER BY f.id`

const sqlEvents = `SELECT id, flag_id, kind, agent, previous_holder, at, token_id FROM flag_events WHERE flag_id = $1 ORDER BY id`

// snapshot is how reads of several statements see one state of the
// database, as the SQLite store's read transactions do.
var snapshot = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}

// GetFlag returns a flag with its events and its chain tree, read from one
// snapshot.
func (s *Store) GetFlag(ctx context.Context, id int64) (store.FlagDetail, error) {
	if err := store.CheckID(id); err != nil {
		return store.FlagDetail{}, err
	}
	var d store.FlagDetail
	err := s.do(ctx, "get flag", false, func(ctx context.Context) error {
		return pgx.BeginTxFunc(ctx, s.pool, snapshot, func(tx pgx.Tx) error {
			b := &pgx.Batch{}
			b.Queue(chainSQL, s.clockArg(), id)
			b.Queue(sqlEvents, id)
			res := tx.SendBatch(ctx, b)
			defer res.Close()
			rows, err := res.Query()
			if err != nil {
				return err
			}
			if d.Chain, err = collectFlags(rows); err != nil {
				return err
			}
			found := false
			for _, f := range d.Chain {
				if f.ID == id {
					d.Flag, found = f, true
				}
			}
			if !found {
				return store.FlagNotFoundError(id)
			}
			rows, err = res.Query()
			if err != nil {
				return err
			}
			d.Events, err = collectEvents(rows)
			if err != nil {
				return err
			}
			return res.Close()
		})
	})
	if err != nil {
		return store.FlagDetail{}, err
	}
	return d, nil
}

func collectEvents(rows pgx.Rows) ([]store.Event, error) {
	defer rows.Close()
	out := []store.Event{}
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func scanEvent(row pgx.Row, extra ...any) (store.Event, error) {
	var e store.Event
	var at time.Time
	err := row.Scan(append([]any{&e.ID, &e.FlagID, &e.Kind, &e.Agent, &e.PreviousHolder, &at, &e.TokenID}, extra...)...)
	e.At = store.FormatTime(at)
	return e, err
}
