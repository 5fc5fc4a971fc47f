package store

import (
	"context"
	"database/sql"
	"slices"
	"strings"
)

// Status filters.
var statusFilters = []string{"pending", "completed", "all"}

// impactOrder sorts most urgent first.
const impactOrder = `CASE impact_level WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END`

// AgentFlagsQuery selects an agent's inbox.
type AgentFlagsQuery struct {
	Agent         string
	Status        string // pending | completed | all; "" = pending
	IncludeLocked bool   // false hides flags under another agent's unexpired lease
	Limit         int    // 0 = no limit
}

// AgentFlags returns the flags addressed to q.Agent or to everyone, most
// urgent first, then oldest first.
func (s *Store) AgentFlags(ctx context.Context, q AgentFlagsQuery) ([]Flag, error) {
	agent, err := canonicalHandle("agent", q.Agent)
	if err != nil {
		return nil, err
	}
	status, err := statusFilter(q.Status, "pending")
	if err != nil {
		return nil, err
	}
	if err := checkLimit(q.Limit); err != nil {
		return nil, err
	}
	now := formatTime(s.now())
	query, args := inboxQuery(agent, status, q.IncludeLocked, now, q.Limit)
	var out []Flag
	err = s.readTx(ctx, "agent flags", []string{query}, func(tx *txn) error {
		// An inbox is usually full to the limit (default 50), but the
		// limit can be 500 for a nearly empty one.
		out, err = tx.flags(now, min(q.Limit, 64), query, args...)
		return err
	})
	return out, err
}

// inboxQuery selects an inbox as a union of ordered, limited halves, one
// per recipient (the agent, everyone) and status: "target_agent = ? OR
// target_agent IS NULL" cannot use an index's order, so it would sort
// every matching flag; each half reads flags_inbox in order and stops at
// the limit, and the union sorts at most a few limits' worth of keys. The
// halves read the index alone (unless locked flags are filtered out); only
// the flags that make the cut are read in full. The status is a literal and
// the agent a parameter behind a unary plus, as in ListFlags.
//
// The parameters are numbered (?1 agent, ?2 now, ?3 limit), so the text
// depends only on the status and includeLocked and is built once for each:
// building it on every read was 5 KB of an inbox read's 67 KB of garbage.
func inboxQuery(agent, status string, includeLocked bool, now string, limit int) (string, []any) {
	if limit <= 0 {
		limit = -1 // SQLite: a negative LIMIT is no limit
	}
	return inboxSQL[inboxShape{status, includeLocked}], []any{agent, now, limit}
}

type inboxShape struct {
	status        string
	includeLocked bool
}

var inboxSQL = func() map[inboxShape]string {
	m := map[inboxShape]string{}
	for _, status := range statusFilters {
		for _, includeLocked := range []bool{false, true} {
			m[inboxShape{status, includeLocked}] = buildInboxSQL(status, includeLocked)
		}
	}
	return m
}()

func buildInboxSQL(status string, includeLocked bool) string {
	statuses := []string{status}
	if status == "all" {
		statuses = []string{"pending", "completed"}
	}
	var halves []string
	for _, target := range []string{"target_agent = +?1", "target_agent IS NULL"} {
		for _, st := range statuses {
			h := "SELECT " + impactOrder + " AS rank, created_at, id FROM flags WHERE " + target + " AND status = '" + st + "'"
			if !includeLocked && st != "completed" {
				h += " AND NOT (locked_by IS NOT NULL AND lock_expires_at > ?2 AND locked_by <> ?1)"
			}
			h += " ORDER BY " + impactOrder + ", created_at, id LIMIT ?3"
			halves = append(halves, "SELECT * FROM ("+h+")")
		}
	}
	top := strings.Join(halves, " UNION ALL ") + " ORDER BY rank, created_at, id LIMIT ?3"
	return "SELECT " + flagColsF + " FROM (" + top + ") AS top JOIN flags AS f ON f.id = top.id" +
		" ORDER BY top.rank, top.created_at, top.id"
}

// flagColsF is flagCols on alias f, built once rather than on every inbox
// read.
var flagColsF = qualified("f", flagCols)

// qualified prefixes every column of a flagCols-style list with alias.
func qualified(alias, cols string) string {
	parts := strings.Split(cols, ",")
	for i, p := range parts {
		parts[i] = alias + "." + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

// ListQuery filters ListFlags; zero values do not filter.
type ListQuery struct {
	Status        string // pending | completed | all; "" = all
	SourceAgent   string
	TargetAgent   string // exact target; broadcasts have none
	FlagType      string
	ImpactLevel   string
	ChainOriginID int64 // direct children of this flag
	Limit         int   // 0 = no limit
}

// ListFlags returns matching flags ordered by id, and how many matched
// before the limit.
func (s *Store) ListFlags(ctx context.Context, q ListQuery) ([]Flag, int, error) {
	q, err := NormListQuery(q)
	if err != nil {
		return nil, 0, err
	}
	now := formatTime(s.now())
	query, args, countQuery, countArgs := listQuery(q)
	var (
		out   []Flag
		total int
	)
	err = s.readTx(ctx, "list flags", []string{countQuery, query}, func(tx *txn) error {
		if err := tx.queryRow(countQuery, countArgs...).Scan(&total); err != nil {
			return err
		}
		var err error
		out, err = tx.flags(now, min(q.Limit, total), query, args...)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// listQuery builds ListFlags' query and its count for q (normalised).
//
// Enumerated values (checked by NormListQuery) go into the SQL as
// literals, handles and ids as parameters behind a unary plus. Either way
// the planner does not probe the index statistics (sqlite_stat4) with a
// bound value, which marks the statement to be prepared again whenever the
// value changes: that cost more than the lookup itself at a million flags.
// Each filter's index (migration 0003) holds its flags in id order,
// so the query stops at the limit.
func listQuery(q ListQuery) (query string, args []any, countQuery string, countArgs []any) {
	var where []string
	var countCol, countVal string // the one filter flag_counts may answer for
	for _, c := range []struct {
		col, v  string
		literal bool
	}{
		{"status", q.Status, true}, {"source_agent", q.SourceAgent, false}, {"target_agent", q.TargetAgent, false},
		{"flag_type", q.FlagType, true}, {"impact_level", q.ImpactLevel, true},
	} {
		switch {
		case c.v == "" || (c.col == "status" && c.v == "all"):
			continue
		case c.literal:
			where = append(where, c.col+" = '"+c.v+"'")
		default:
			where = append(where, c.col+" = +?")
			args = append(args, c.v)
		}
		countCol, countVal = c.col, c.v
	}
	if q.ChainOriginID > 0 {
		where = append(where, "chain_origin_id = +?")
		args = append(args, q.ChainOriginID)
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	// Every flag has one status, and flag_counts (migration 0004) keeps the
	// total of each value of one column.
	switch {
	case len(where) == 0:
		countQuery = sqlCountAll
	case len(where) == 1 && q.ChainOriginID == 0:
		countQuery, countArgs = sqlCountOne, []any{countCol, countVal}
	default:
		countQuery, countArgs = "SELECT count(*) FROM flags"+cond, args
	}
	query = "SELECT " + flagCols + " FROM flags" + cond + " ORDER BY id"
	args = slices.Clone(args)
	if q.Limit > 0 {
		query += " LIMIT ?"
		args = append(args, q.Limit)
	}
	return query, args, countQuery, countArgs
}

// NormListQuery checks q's filters and returns them canonical: Status
// resolved ("all" for ""), handles canonical, the rest trimmed.
func NormListQuery(q ListQuery) (ListQuery, error) {
	var err error
	if q.Status, err = statusFilter(q.Status, "all"); err != nil {
		return q, err
	}
	for _, h := range []struct {
		field string
		v     *string
	}{{"source_agent", &q.SourceAgent}, {"target_agent", &q.TargetAgent}} {
		if strings.TrimSpace(*h.v) == "" {
			*h.v = ""
			continue
		}
		if *h.v, err = canonicalHandle(h.field, *h.v); err != nil {
			return q, err
		}
	}
	if q.FlagType = strings.TrimSpace(q.FlagType); q.FlagType != "" {
		if err := oneOf("flag_type", q.FlagType, FlagTypes); err != nil {
			return q, err
		}
	}
	if q.ImpactLevel = strings.TrimSpace(q.ImpactLevel); q.ImpactLevel != "" {
		if err := oneOf("impact_level", q.ImpactLevel, ImpactLevels); err != nil {
			return q, err
		}
	}
	if q.ChainOriginID < 0 {
		return q, invalid("chain_origin_id", "chain_origin_id must be a positive flag id, or 0 for any (got %d)", q.ChainOriginID)
	}
	return q, checkLimit(q.Limit)
}

// Totals kept by triggers (migration 0004), exact without counting.
const (
	sqlCountAll = `SELECT coalesce(sum(n), 0) FROM flag_counts WHERE dim = 'status'`
	sqlCountOne = `SELECT coalesce((SELECT n FROM flag_counts WHERE dim = +? AND value = +?), 0)`
)

// chainSQL walks chain_origin_id up to the root, then collects the root and
// every descendant.
const chainSQL = `WITH RECURSIVE
	up(id, parent) AS (
		SELECT id, chain_origin_id FROM flags WHERE id = ?
		UNION ALL
		SELECT f.id, f.chain_origin_id FROM flags f JOIN up ON f.id = up.parent
	),
	down(id) AS (
		SELECT id FROM up WHERE parent IS NULL
		UNION
		SELECT f.id FROM flags f JOIN down ON f.chain_origin_id = down.id
	)
	SELECT ` + flagCols + ` FROM flags WHERE id IN (SELECT id FROM down) ORDER BY id`

// GetFlag returns a flag with its events and its chain tree, read from one
// snapshot.
func (s *Store) GetFlag(ctx context.Context, id int64) (FlagDetail, error) {
	if err := checkID(id); err != nil {
		return FlagDetail{}, err
	}
	now := formatTime(s.now())
	var d FlagDetail
	err := s.readTx(ctx, "get flag", []string{sqlSelectFlag, sqlEvents, chainSQL}, func(tx *txn) error {
		var err error
		if d.Flag, err = tx.getFlag(id, now); err != nil {
			return err
		}
		if d.Events, err = tx.events(id); err != nil {
			return err
		}
		d.Chain, err = tx.flags(now, 0, chainSQL, id)
		return err
	})
	if err != nil {
		return FlagDetail{}, err
	}
	return d, nil
}

// flags reads the rows of a flagCols query as a read at now sees them;
// size (0: unknown) is how many rows to make room for up front. Every row is scanned into
// one flagRow, through one list of destinations: per row they were a third
// of an inbox read's garbage (50 flags: 132 KB, 1,432 allocations).
func (tx *txn) flags(now string, size int, query string, args ...any) ([]Flag, error) {
	rows, err := tx.query(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]Flag, 0, size)
	var r flagRow
	dests := r.dests()
	for rows.Next() {
		if err := rows.Scan(dests...); err != nil {
			return nil, err
		}
		out = append(out, r.toFlag(now))
	}
	return out, rows.Err()
}

const sqlEvents = "SELECT id, flag_id, kind, agent, previous_holder, at, token_id FROM flag_events WHERE flag_id = +? ORDER BY id"

func (tx *txn) events(flagID int64) ([]Event, error) {
	rows, err := tx.query(sqlEvents, flagID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Event{}
	for rows.Next() {
		var e Event
		var prev, token sql.NullString
		if err := rows.Scan(&e.ID, &e.FlagID, &e.Kind, &e.Agent, &prev, &e.At, &token); err != nil {
			return nil, err
		}
		e.PreviousHolder, e.TokenID = strPtr(prev), strPtr(token)
		out = append(out, e)
	}
	return out, rows.Err()
}

func statusFilter(v, def string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return def, nil
	}
	return v, oneOf("status", v, statusFilters)
}

func checkLimit(n int) error {
	if n < 0 {
		return invalid("limit", "limit must be 0 (no limit) or positive (got %d)", n)
	}
	return nil
}
