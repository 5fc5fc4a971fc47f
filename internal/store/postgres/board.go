package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mcp-agents/mcp-agents/internal/flagtext"
	"github.com/mcp-agents/mcp-agents/internal/store"
)

// The board's reads (see store.Board): one summary of the whole database
// for people, read from one snapshot. Every section is bounded, and the
// pending sections read the partial indexes over pending flags only
// (migration 0001), so a year of history costs what the open work costs.
// Flag lists page by offset (each is counted over the same range anyway),
// events by key (before an event id), as on SQLite.

// boardCols reads a BoardFlag; change is cut in SQL so a 16 KB description
// is not copied out for one line.
const boardCols = `f.id, f.flag_type, f.source_agent, f.target_agent, f.impact_level, f.status,
	substr(f.change_description, 1, 400), f.chain_origin_id, f.created_at,
	f.locked_by IS NOT NULL AND f.lock_expires_at > ` + clock + `, f.locked_by, f.lock_expires_at,
	f.completed_at, f.completed_by, f.created_token, f.created_role`

func scanBoardFlag(row pgx.Row, extra ...any) (store.BoardFlag, error) {
	var b store.BoardFlag
	var created time.Time
	var held bool
	var lockedBy *string
	var lockExp, doneAt *time.Time
	dest := append([]any{&b.ID, &b.FlagType, &b.SourceAgent, &b.TargetAgent, &b.ImpactLevel, &b.Status,
		&b.Change, &b.ChainOriginID, &created, &held, &lockedBy, &lockExp, &doneAt, &b.CompletedBy,
		&b.CreatedToken, &b.CreatedRole}, extra...)
	if err := row.Scan(dest...); err != nil {
		return b, err
	}
	b.Change = flagtext.FirstLine(b.Change)
	b.CreatedAt, b.CompletedAt = store.FormatTime(created), timePtr(doneAt)
	if held {
		b.LockedBy, b.LockExpiresAt = lockedBy, timePtr(lockExp)
	}
	return b, nil
}

// boardFilter is the conditions (on alias f) of q's agent, type and impact
// filters, their parameters added to a.
func boardFilter(q store.BoardQuery, a *args) string {
	var where []string
	if q.Agent != "" {
		p := a.add(q.Agent)
		where = append(where, "(f.source_agent = "+p+" OR f.target_agent = "+p+" OR f.target_agent IS NULL)")
	}
	if q.FlagType != "" {
		where = append(where, "f.flag_type = "+a.add(q.FlagType))
	}
	if q.ImpactLevel != "" {
		where = append(where, "f.impact_level = "+a.add(q.ImpactLevel))
	}
	if len(where) == 0 {
		return ""
	}
	return " AND " + strings.Join(where, " AND ")
}

// boardTx is one board read: its transaction, and the filter's condition
// and parameters ($1 the clock offset first), which every query repeats.
type boardTx struct {
	ctx  context.Context
	tx   pgx.Tx
	q    store.BoardQuery
	cond string
	args args
}

// with returns the filter's parameters followed by more, and the
// placeholders of more.
func (b *boardTx) with(more ...any) (args, []string) {
	a := append(args{}, b.args...)
	ph := make([]string, len(more))
	for i, v := range more {
		ph[i] = a.add(v)
	}
	return a, ph
}

// Board returns what the board's main page shows under q, read from one
// snapshot.
func (s *Store) Board(ctx context.Context, q store.BoardQuery) (store.BoardSummary, error) {
	q, err := store.CheckBoardQuery(q)
	if err != nil {
		return store.BoardSummary{}, err
	}
	var sum store.BoardSummary
	err = s.do(ctx, "board", false, func(ctx context.Context) error {
		return pgx.BeginTxFunc(ctx, s.pool, snapshot, func(tx pgx.Tx) error {
			sum = store.BoardSummary{Query: q, Pending: []store.ImpactGroup{}, Locked: []store.BoardFlag{},
				Inboxes: []store.InboxCount{}, Completed: []store.BoardFlag{}, Events: []store.BoardEvent{},
				Agents: []string{}}
			b := &boardTx{ctx: ctx, tx: tx, q: q, args: s.args()}
			b.cond = boardFilter(q, &b.args)
			var now, since time.Time
			if err := tx.QueryRow(ctx, "SELECT "+clock+", "+clock+" - interval '24 hours'", s.clockArg()).Scan(&now, &since); err != nil {
				return err
			}
			sum.Now, sum.CompletedSince = store.FormatTime(now), store.FormatTime(since)
			if q.Status != "completed" {
				if err := b.pending(&sum); err != nil {
					return err
				}
			}
			if q.Status != "pending" {
				if err := b.completed(&sum); err != nil {
					return err
				}
			}
			if q.Shows("events") {
				if err := b.events(&sum); err != nil {
					return err
				}
			}
			return b.agents(&sum)
		})
	})
	if err != nil {
		return store.BoardSummary{}, err
	}
	return sum, nil
}

const lockHeld = `f.locked_by IS NOT NULL AND f.lock_expires_at > ` + clock

func (b *boardTx) pending(sum *store.BoardSummary) error {
	rows, err := b.tx.Query(b.ctx, `SELECT f.impact_level, count(*), count(*) FILTER (WHERE f.target_agent IS NULL),
			count(*) FILTER (WHERE `+lockHeld+`), count(*) FILTER (WHERE f.target_agent IS NULL AND `+lockHeld+`)
		FROM flags f WHERE f.status = 'pending'`+b.cond+` GROUP BY f.impact_level`, b.args...)
	if err != nil {
		return err
	}
	byImpact := map[string]int{}
	for rows.Next() {
		var impact string
		var n, broadcast, locked, broadcastLocked int
		if err := rows.Scan(&impact, &n, &broadcast, &locked, &broadcastLocked); err != nil {
			rows.Close()
			return err
		}
		byImpact[impact] = n
		sum.PendingTotal += n
		sum.AddBroadcasts(impact, broadcast, broadcastLocked)
		sum.LockedTotal += locked
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if b.q.List == "" {
		if err := b.inboxes(sum); err != nil {
			return err
		}
	}
	off := b.q.Offset()
	for _, impact := range store.ImpactLevels {
		n := byImpact[impact]
		if n == 0 || !b.q.Shows("pending") {
			continue
		}
		g := store.ImpactGroup{Impact: impact, Total: n, Offset: off, Flags: []store.BoardFlag{}}
		if off < n {
			a, ph := b.with(impact, b.q.Rows, off)
			if g.Flags, err = b.flags(`SELECT `+boardCols+` FROM flags f
				WHERE f.status = 'pending' AND f.impact_level = `+ph[0]+b.cond+`
				ORDER BY f.created_at, f.id LIMIT `+ph[1]+` OFFSET `+ph[2], a); err != nil {
				return err
			}
		}
		sum.Pending = append(sum.Pending, g)
	}
	if b.q.Shows("locked") {
		sum.LockedOffset = off
		if off < sum.LockedTotal {
			a, ph := b.with(b.q.Rows, off)
			sum.Locked, err = b.flags(`SELECT `+boardCols+` FROM flags f
				WHERE f.status = 'pending' AND `+lockHeld+b.cond+`
				ORDER BY f.lock_expires_at, f.id LIMIT `+ph[0]+` OFFSET `+ph[1], a)
		}
	}
	return err
}

// inboxes counts each agent's pending flags (broadcasts are counted once,
// by pending).
func (b *boardTx) inboxes(sum *store.BoardSummary) error {
	rows, err := b.tx.Query(b.ctx, `SELECT f.target_agent, count(*),
			count(*) FILTER (WHERE f.impact_level IN ('critical', 'high')), count(*) FILTER (WHERE `+lockHeld+`)
		FROM flags f WHERE f.status = 'pending' AND f.target_agent IS NOT NULL`+b.cond+`
		GROUP BY f.target_agent`, b.args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var c store.InboxCount
		if err := rows.Scan(&c.Agent, &c.Pending, &c.Urgent, &c.Locked); err != nil {
			return err
		}
		sum.Inboxes = append(sum.Inboxes, c)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	store.SortInboxes(sum.Inboxes)
	return nil
}

// completed reads the flags completed in the last 24 hours, newest first.
func (b *boardTx) completed(sum *store.BoardSummary) error {
	base := ` FROM flags f WHERE f.status = 'completed' AND f.completed_at >= ` + clock + ` - interval '24 hours'` + b.cond
	if err := b.tx.QueryRow(b.ctx, "SELECT count(*)"+base, b.args...).Scan(&sum.CompletedTotal); err != nil {
		return err
	}
	if !b.q.Shows("completed") {
		return nil
	}
	sum.CompletedOffset = b.q.Offset()
	if sum.CompletedOffset >= sum.CompletedTotal {
		return nil
	}
	a, ph := b.with(b.q.Rows, sum.CompletedOffset)
	var err error
	sum.Completed, err = b.flags("SELECT "+boardCols+base+" ORDER BY f.completed_at DESC, f.id DESC LIMIT "+ph[0]+" OFFSET "+ph[1], a)
	return err
}

// events reads the newest events (before q.Before, if set); with a
// filter, the status filter included (events of flags with that status),
// among the store.BoardEventScan events below that point only, so a narrow
// filter does not walk the whole history.
func (b *boardTx) events(sum *store.BoardSummary) error {
	query := `SELECT ` + boardCols + `, e.id, e.flag_id, e.kind, e.agent, e.previous_holder, e.at, e.token_id
		FROM flag_events e JOIN flags f ON f.id = e.flag_id`
	n := store.BoardEvents
	if b.q.List == "events" {
		n = b.q.Rows
	}
	// One row more than the page says whether anything older matches.
	a, ph := b.with(n + 1)
	cond := b.cond
	if b.q.Status != "all" {
		cond += " AND f.status = " + a.add(b.q.Status)
	}
	upper := b.q.Before // the first id not read
	if upper == 0 && cond != "" {
		if err := b.tx.QueryRow(b.ctx, "SELECT coalesce(max(id), 0) + 1 FROM flag_events").Scan(&upper); err != nil {
			return err
		}
	}
	var where []string
	if upper > 0 {
		where = append(where, "e.id < "+a.add(upper))
	}
	var lower int64 // the lowest id a filtered scan reads
	if cond != "" {
		lower = max(upper-store.BoardEventScan, 1)
		where = append(where, "e.id >= "+a.add(lower))
	}
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ") + cond
	}
	query += " ORDER BY e.id DESC LIMIT " + ph[0]
	rows, err := b.tx.Query(b.ctx, query, a...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var e store.BoardEvent
		var at time.Time
		f, err := scanBoardFlag(rows, &e.ID, &e.FlagID, &e.Kind, &e.Agent, &e.PreviousHolder, &at, &e.TokenID)
		if err != nil {
			return err
		}
		e.Flag, e.At = f, store.FormatTime(at)
		sum.Events = append(sum.Events, e)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	sum.EventsOlder = store.OlderEvents(sum, n, lower)
	return nil
}

// agents lists every handle that ever sent or received a flag: a skip
// scan of flags_source and flags_target, one index probe per agent, not
// a pass over every flag.
func (b *boardTx) agents(sum *store.BoardSummary) error {
	rows, err := b.tx.Query(b.ctx, `WITH RECURSIVE
		src(a) AS (
			(SELECT source_agent FROM flags ORDER BY source_agent LIMIT 1)
			UNION ALL
			SELECT (SELECT source_agent FROM flags WHERE source_agent > src.a ORDER BY source_agent LIMIT 1)
			FROM src WHERE src.a IS NOT NULL),
		tgt(a) AS (
			(SELECT target_agent FROM flags WHERE target_agent IS NOT NULL ORDER BY target_agent LIMIT 1)
			UNION ALL
			SELECT (SELECT target_agent FROM flags WHERE target_agent > tgt.a ORDER BY target_agent LIMIT 1)
			FROM tgt WHERE tgt.a IS NOT NULL)
		SELECT a FROM src WHERE a IS NOT NULL UNION SELECT a FROM tgt WHERE a IS NOT NULL ORDER BY 1`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return err
		}
		sum.Agents = append(sum.Agents, a)
	}
	return rows.Err()
}

func (b *boardTx) flags(query string, a args) ([]store.BoardFlag, error) {
	rows, err := b.tx.Query(b.ctx, query, a...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []store.BoardFlag{}
	for rows.Next() {
		f, err := scanBoardFlag(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}
