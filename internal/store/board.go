package store

import (
	"github.com/mcp-agents/mcp-agents/internal/flagtext"

	"context"
	"database/sql"
	"slices"
	"strings"
	"time"
)

// The board's reads: one summary of the whole database for people, read
// from one snapshot. Every section is bounded (a page of rows plus an exact
// count), and every query starts from an index that holds only the rows in
// question (flags_pending, migration 0007; the newest events), so a year of
// history costs what the open work costs, not what the archive does.
//
// Lists page on. The flag lists (pending, locked, completed in 24 h) page
// by offset: each is already counted exactly by a pass over the same index
// range, so skipping rows costs no more than that count, and a page number
// says where a person is ("101–200 of 1434"). Events page by key (before an
// event id): they are the whole history, with no count to lean on.

// BoardQuery filters the board; zero values do not filter. Its JSON names
// are the board URL's parameters (type, impact, …), so a script can turn
// the query a summary echoes back into a URL.
type BoardQuery struct {
	// Agent keeps flags the agent sent or must act on: its source, its
	// target, or a broadcast (every agent's inbox holds those).
	Agent       string `json:"agent"`
	FlagType    string `json:"type"`
	ImpactLevel string `json:"impact"`
	Status      string `json:"status"` // pending | completed | all; "" = all
	// List, when set, reads that list alone (pending, locked, completed or
	// events), a page of BoardPageRows, so a person can page through it;
	// the totals are still counted.
	List string `json:"list"`
	// Page is the page of the list (1 = the first; 0 means 1): rows
	// (Page-1)×Rows on of each flag list read. Pages past the first need a
	// flag List.
	Page int `json:"page"`
	// Skip, with a flag List, reads the list from row Skip+1 instead of a
	// page's first (0 = as Page says): where a summary's cut list leaves
	// off, which is no page's start (25 rows shown, pages of 100).
	Skip int `json:"offset"`
	// Before, with List "events", reads the events older than this event
	// id (0 = the newest).
	Before int64 `json:"before"`
	// Rows bounds each list (0 = BoardRows, or BoardPageRows with an
	// impact filter, which leaves one group, or with a List).
	Rows int `json:"rows"`
}

// BoardRows is how many flags each board list shows by default: a page
// shows the oldest of each impact group, and its count; the group's own
// filter link shows more.
const BoardRows = 25

// BoardPageRows is how many rows a page of one list shows.
const BoardPageRows = 4 * BoardRows

// BoardLists are the lists a BoardQuery.List can name.
var BoardLists = []string{"pending", "locked", "completed", "events"}

// maxBoardPage bounds Page so that its offset stays far from overflow.
const maxBoardPage = 1_000_000

// Offset is the number of rows each flag list skips under q, a checked
// query.
func (q BoardQuery) Offset() int {
	if q.Skip > 0 {
		return q.Skip
	}
	if q.Page <= 1 {
		return 0
	}
	return (q.Page - 1) * q.Rows
}

// Shows reports whether q, a checked query, reads list's rows.
func (q BoardQuery) Shows(list string) bool { return q.List == "" || q.List == list }

// eventRows is how many events q reads.
func (q BoardQuery) eventRows() int {
	if q.List == "events" {
		return q.Rows
	}
	return BoardEvents
}

// BoardEvents is how many of the newest events the board shows.
const BoardEvents = 50

// BoardEventScan bounds how far back a filtered event list looks: without
// a filter the newest 50 events are read straight off the end of the
// table, but a narrow filter could otherwise walk the whole history to
// find 50 matches. A page of older events (Before) scans as far again
// below its start. The status filter counts: it keeps the events of flags
// with that status now.
const BoardEventScan = 5000

// BoardFlag is one row of a board list: what a person scans, not every
// field (the detail view has those).
type BoardFlag struct {
	ID            int64   `json:"id"`
	FlagType      string  `json:"flag_type"`
	SourceAgent   string  `json:"source_agent"`
	TargetAgent   *string `json:"target_agent"` // nil = everyone
	ImpactLevel   string  `json:"impact_level"`
	Status        string  `json:"status"`
	Change        string  `json:"change"` // the first line of change_description with text, as stored
	ChainOriginID *int64  `json:"chain_origin_id"`
	CreatedAt     string  `json:"created_at"`
	LockedBy      *string `json:"locked_by"` // only while the lease holds
	LockExpiresAt *string `json:"lock_expires_at"`
	CompletedAt   *string `json:"completed_at"`
	CompletedBy   *string `json:"completed_by"`
	// CreatedToken and CreatedRole name the token the flag was created
	// under (HTTP); null where the source named itself (stdio, --no-auth).
	CreatedToken *string `json:"created_token"`
	CreatedRole  *string `json:"created_role"`
}

// ImpactGroup is the pending flags of one impact level: the oldest Rows of
// them and how many there are.
type ImpactGroup struct {
	Impact string `json:"impact"`
	Total  int    `json:"total"`
	// Offset is how many of the group's oldest flags come before Flags
	// (a page past the first).
	Offset int         `json:"offset"`
	Flags  []BoardFlag `json:"flags"`
}

// InboxCount is one agent's pending work. Broadcasts are counted once, in
// BoardSummary.Broadcasts, not in every agent's row.
type InboxCount struct {
	Agent   string `json:"agent"`
	Pending int    `json:"pending"`
	Urgent  int    `json:"urgent"` // critical or high
	Locked  int    `json:"locked"`
}

// BoardEvent is one state change with the flag it happened to.
type BoardEvent struct {
	Event
	Flag BoardFlag `json:"flag"`
}

// BoardSummary is everything the board's main page shows.
type BoardSummary struct {
	Now          string        `json:"now"`
	Query        BoardQuery    `json:"query"`
	PendingTotal int           `json:"pending_total"`
	Pending      []ImpactGroup `json:"pending"`
	LockedTotal  int           `json:"locked_total"`
	LockedOffset int           `json:"locked_offset"` // how many come before Locked
	Locked       []BoardFlag   `json:"locked"`
	Inboxes      []InboxCount  `json:"inboxes"`
	Broadcasts   int           `json:"broadcasts"` // pending flags addressed to everyone
	// BroadcastsUrgent and BroadcastsLocked are the broadcasts' row of the
	// inbox table: how many are critical or high, and how many are under
	// a live lease.
	BroadcastsUrgent int          `json:"broadcasts_urgent"`
	BroadcastsLocked int          `json:"broadcasts_locked"`
	CompletedSince   string       `json:"completed_since"`
	CompletedTotal   int          `json:"completed_total"`
	CompletedOffset  int          `json:"completed_offset"` // how many come before Completed
	Completed        []BoardFlag  `json:"completed"`
	Events           []BoardEvent `json:"events"`
	// EventsOlder is the Before that reads on past Events (their oldest
	// id, or where a filtered scan stopped); null when nothing is older.
	EventsOlder *int64 `json:"events_older"`
	// Agents are every handle that ever sent or received a flag, for the
	// agent filter.
	Agents []string `json:"agents"`
}

// boardCols reads a BoardFlag; change is cut in SQL so a 16 KB description
// is not copied out for one line.
const boardCols = `f.id, f.flag_type, f.source_agent, f.target_agent, f.impact_level, f.status,
	substr(f.change_description, 1, 400), f.chain_origin_id, f.created_at,
	f.locked_by, f.lock_expires_at, f.completed_at, f.completed_by, f.created_token, f.created_role`

func scanBoardFlag(sc rowScanner, now string, extra ...any) (BoardFlag, error) {
	var b BoardFlag
	var target, lockedBy, lockExp, completedAt, completedBy, createdToken, createdRole sql.NullString
	var chain sql.NullInt64
	dest := append([]any{&b.ID, &b.FlagType, &b.SourceAgent, &target, &b.ImpactLevel, &b.Status,
		&b.Change, &chain, &b.CreatedAt, &lockedBy, &lockExp, &completedAt, &completedBy, &createdToken, &createdRole}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return b, err
	}
	b.Change = flagtext.FirstLine(b.Change)
	b.TargetAgent = strPtr(target)
	if chain.Valid {
		v := chain.Int64
		b.ChainOriginID = &v
	}
	if lockedBy.Valid && lockExp.Valid && lockExp.String > now {
		b.LockedBy, b.LockExpiresAt = strPtr(lockedBy), strPtr(lockExp)
	}
	b.CompletedAt, b.CompletedBy = strPtr(completedAt), strPtr(completedBy)
	b.CreatedToken, b.CreatedRole = strPtr(createdToken), strPtr(createdRole)
	return b, nil
}

// boardFilter is the WHERE conditions (on alias f) of q's agent, type and
// impact filters.
func boardFilter(q BoardQuery) (string, []any) {
	var where []string
	var args []any
	if q.Agent != "" {
		where = append(where, "(f.source_agent = ? OR f.target_agent = ? OR f.target_agent IS NULL)")
		args = append(args, q.Agent, q.Agent)
	}
	if q.FlagType != "" {
		where = append(where, "f.flag_type = ?")
		args = append(args, q.FlagType)
	}
	if q.ImpactLevel != "" {
		where = append(where, "f.impact_level = ?")
		args = append(args, q.ImpactLevel)
	}
	if len(where) == 0 {
		return "", nil
	}
	return " AND " + strings.Join(where, " AND "), args
}

// checkBoardQuery validates and canonicalises q's filters.
func checkBoardQuery(q BoardQuery) (BoardQuery, error) {
	var err error
	if strings.TrimSpace(q.Agent) != "" {
		if q.Agent, err = canonicalHandle("agent", q.Agent); err != nil {
			return q, err
		}
	} else {
		q.Agent = ""
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
	if q.Status, err = statusFilter(q.Status, "all"); err != nil {
		return q, err
	}
	if q.List = strings.TrimSpace(q.List); q.List != "" {
		if err := oneOf("list", q.List, BoardLists); err != nil {
			return q, err
		}
	}
	switch {
	case q.Page < 0 || q.Page > maxBoardPage:
		return q, invalid("page", "page must be between 1 and %d (got %d)", maxBoardPage, q.Page)
	case q.Page > 1 && (q.List == "" || q.List == "events"):
		return q, invalid("page", "page needs list=pending, locked or completed (events go on with before=ID)")
	case q.Skip < 0 || q.Skip > maxBoardPage*BoardPageRows:
		return q, invalid("offset", "offset must be between 0 and %d (got %d)", maxBoardPage*BoardPageRows, q.Skip)
	case q.Skip > 0 && (q.List == "" || q.List == "events"):
		return q, invalid("offset", "offset needs list=pending, locked or completed (events go on with before=ID)")
	case q.Skip > 0 && q.Page > 1:
		return q, invalid("offset", "give page or offset, not both")
	case q.Before < 0:
		return q, invalid("before", "before must be an event id (got %d)", q.Before)
	case q.Before > 0 && q.List != "events":
		return q, invalid("before", "before needs list=events")
	}
	if q.Page == 0 {
		q.Page = 1
	}
	if q.Rows < 0 {
		return q, invalid("rows", "rows must be 0 (the default, %d) or positive (got %d)", BoardRows, q.Rows)
	}
	if q.Rows == 0 {
		q.Rows = BoardRows
		if q.ImpactLevel != "" || q.List != "" {
			q.Rows = BoardPageRows
		}
	}
	return q, nil
}

// Board returns what the board's main page shows under q, read from one
// snapshot.
func (s *Store) Board(ctx context.Context, q BoardQuery) (BoardSummary, error) {
	q, err := checkBoardQuery(q)
	if err != nil {
		return BoardSummary{}, err
	}
	nowT := s.now()
	now := formatTime(nowT)
	sum := BoardSummary{Now: now, Query: q, Pending: []ImpactGroup{}, Locked: []BoardFlag{}, Inboxes: []InboxCount{},
		Completed: []BoardFlag{}, Events: []BoardEvent{}, Agents: []string{},
		CompletedSince: formatTime(nowT.Add(-24 * time.Hour))}
	cond, args := boardFilter(q)
	err = s.readTx(ctx, "board", nil, func(tx *txn) error {
		if q.Status != "completed" {
			if err := tx.boardPending(&sum, q, now, cond, args); err != nil {
				return err
			}
		}
		if q.Status != "pending" {
			if err := tx.boardCompleted(&sum, q, now, cond, args); err != nil {
				return err
			}
		}
		if q.Shows("events") {
			if err := tx.boardEvents(&sum, q, now, cond, args); err != nil {
				return err
			}
		}
		return tx.boardAgents(&sum)
	})
	return sum, err
}

// AddBroadcasts counts n pending broadcasts of impact, locked of them
// under a live lease.
func (sum *BoardSummary) AddBroadcasts(impact string, n, locked int) {
	sum.Broadcasts += n
	if impact == "critical" || impact == "high" {
		sum.BroadcastsUrgent += n
	}
	sum.BroadcastsLocked += locked
}

func (tx *txn) boardPending(sum *BoardSummary, q BoardQuery, now, cond string, args []any) error {
	// Totals per impact from flags_pending, in its order (no sort).
	rows, err := tx.query(`SELECT f.impact_level, count(*), sum(f.target_agent IS NULL),
			sum(f.locked_by IS NOT NULL AND f.lock_expires_at > ?1),
			sum(f.target_agent IS NULL AND f.locked_by IS NOT NULL AND f.lock_expires_at > ?1)
		FROM flags f INDEXED BY flags_pending
		WHERE f.status = 'pending'`+cond+`
		GROUP BY f.impact_level`, append([]any{now}, args...)...)
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
	if q.List == "" {
		if err := tx.boardInboxes(sum, q, now, cond, args); err != nil {
			return err
		}
	}
	off := q.Offset()
	for _, impact := range ImpactLevels {
		n := byImpact[impact]
		if n == 0 || !q.Shows("pending") {
			continue
		}
		g := ImpactGroup{Impact: impact, Total: n, Offset: off, Flags: []BoardFlag{}}
		if off < n {
			if g.Flags, err = tx.boardFlags(now, `SELECT `+boardCols+` FROM flags f INDEXED BY flags_pending
				WHERE f.status = 'pending' AND f.impact_level = ?`+cond+`
				ORDER BY f.created_at, f.id LIMIT ? OFFSET ?`, append(append([]any{impact}, args...), q.Rows, off)...); err != nil {
				return err
			}
		}
		sum.Pending = append(sum.Pending, g)
	}
	if q.Shows("locked") {
		sum.LockedOffset = off
		if off < sum.LockedTotal {
			sum.Locked, err = tx.boardFlags(now, `SELECT `+boardCols+` FROM flags f INDEXED BY flags_pending
				WHERE f.status = 'pending' AND f.locked_by IS NOT NULL AND f.lock_expires_at > ?`+cond+`
				ORDER BY f.lock_expires_at, f.id LIMIT ? OFFSET ?`, append(append([]any{now}, args...), q.Rows, off)...)
		}
	}
	return err
}

// boardInboxes counts each agent's pending flags (broadcasts are counted
// once, by boardPending). Without filters it counts in flags_inbox, one
// index range per agent, which needs no sort; with them, it groups the
// matching entries of flags_pending.
func (tx *txn) boardInboxes(sum *BoardSummary, q BoardQuery, now, cond string, args []any) error {
	inbox := map[string]*InboxCount{}
	row := func(agent string) *InboxCount {
		c := inbox[agent]
		if c == nil {
			c = &InboxCount{Agent: agent}
			inbox[agent] = c
		}
		return c
	}
	var query string
	var qargs []any
	if cond == "" {
		// The rank expression is flags_inbox's (see impactOrder).
		query = `SELECT fc.value,
				(SELECT count(*) FROM flags INDEXED BY flags_inbox WHERE target_agent = fc.value AND status = 'pending'),
				(SELECT count(*) FROM flags INDEXED BY flags_inbox WHERE target_agent = fc.value AND status = 'pending' AND ` + impactOrder + ` <= 1)
			FROM flag_counts fc WHERE fc.dim = 'target_agent'`
	} else {
		query = `SELECT f.target_agent, count(*), sum(f.impact_level IN ('critical', 'high'))
			FROM flags f INDEXED BY flags_pending
			WHERE f.status = 'pending' AND f.target_agent IS NOT NULL` + cond + `
			GROUP BY f.target_agent`
		qargs = args
	}
	rows, err := tx.query(query, qargs...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var agent string
		var n, urgent int
		if err := rows.Scan(&agent, &n, &urgent); err != nil {
			rows.Close()
			return err
		}
		if n > 0 {
			c := row(agent)
			c.Pending, c.Urgent = n, urgent
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if sum.LockedTotal > 0 {
		rows, err := tx.query(`SELECT f.target_agent, count(*) FROM flags f INDEXED BY flags_pending
			WHERE f.status = 'pending' AND f.target_agent IS NOT NULL
			  AND f.locked_by IS NOT NULL AND f.lock_expires_at > ?`+cond+`
			GROUP BY f.target_agent`, append([]any{now}, args...)...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var agent string
			var n int
			if err := rows.Scan(&agent, &n); err != nil {
				rows.Close()
				return err
			}
			row(agent).Locked = n
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	for _, c := range inbox {
		sum.Inboxes = append(sum.Inboxes, *c)
	}
	sortInboxes(sum.Inboxes)
	return nil
}

// boardCompleted reads the flags completed in the last 24 hours from
// flags_completed (migration 0007), newest first.
func (tx *txn) boardCompleted(sum *BoardSummary, q BoardQuery, now, cond string, args []any) error {
	base := ` FROM flags f INDEXED BY flags_completed
		WHERE f.status = 'completed' AND f.completed_at >= ?` + cond
	wargs := append([]any{sum.CompletedSince}, args...)
	if err := tx.queryRow("SELECT count(*)"+base, wargs...).Scan(&sum.CompletedTotal); err != nil {
		return err
	}
	if !q.Shows("completed") {
		return nil
	}
	sum.CompletedOffset = q.Offset()
	if sum.CompletedOffset >= sum.CompletedTotal {
		return nil
	}
	var err error
	sum.Completed, err = tx.boardFlags(now, "SELECT "+boardCols+base+" ORDER BY f.completed_at DESC, f.id DESC LIMIT ? OFFSET ?",
		append(wargs, q.Rows, sum.CompletedOffset)...)
	return err
}

// boardEvents reads the newest events (before q.Before, if set); with a
// filter, the status filter included (events of flags with that status),
// among the BoardEventScan events below that point only.
func (tx *txn) boardEvents(sum *BoardSummary, q BoardQuery, now, cond string, args []any) error {
	if q.Status != "all" {
		cond += " AND f.status = ?"
		args = append(slices.Clip(args), q.Status)
	}
	query := `SELECT ` + boardCols + `, e.id, e.flag_id, e.kind, e.agent, e.previous_holder, e.at, e.token_id
		FROM flag_events e CROSS JOIN flags f ON f.id = e.flag_id` // CROSS: walk the newest events, never the flags
	upper := q.Before // the first id not read
	if upper == 0 && cond != "" {
		if err := tx.queryRow("SELECT coalesce(max(id), 0) + 1 FROM flag_events").Scan(&upper); err != nil {
			return err
		}
	}
	var where []string
	var qargs []any
	if upper > 0 {
		where = append(where, "e.id < ?")
		qargs = append(qargs, upper)
	}
	var lower int64 // the lowest id a filtered scan reads
	if cond != "" {
		lower = max(upper-BoardEventScan, 1)
		where = append(where, "e.id >= ?")
		qargs = append(qargs, lower)
	}
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ") + cond
		qargs = append(qargs, args...)
	}
	// One row more than the page says whether anything older matches.
	n := q.eventRows()
	query += " ORDER BY e.id DESC LIMIT ?"
	rows, err := tx.query(query, append(qargs, n+1)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var e BoardEvent
		var prev, token sql.NullString
		f, err := scanBoardFlag(rows, now, &e.ID, &e.FlagID, &e.Kind, &e.Agent, &prev, &e.At, &token)
		if err != nil {
			return err
		}
		e.Flag, e.PreviousHolder, e.TokenID = f, strPtr(prev), strPtr(token)
		sum.Events = append(sum.Events, e)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	sum.EventsOlder = OlderEvents(sum, n, lower)
	return nil
}

// OlderEvents trims a page of events read with one row to spare (n+1) and
// returns the Before that reads on: the oldest event kept, when the spare
// row was there, or lower, where a filtered scan stopped, when events
// below it are left unread; nil when nothing is older.
func OlderEvents(sum *BoardSummary, n int, lower int64) *int64 {
	if len(sum.Events) > n {
		sum.Events = sum.Events[:n]
		id := sum.Events[n-1].ID
		return &id
	}
	if lower > 1 {
		return &lower
	}
	return nil
}

func (tx *txn) boardAgents(sum *BoardSummary) error {
	rows, err := tx.query(`SELECT DISTINCT value FROM flag_counts
		WHERE dim IN ('source_agent', 'target_agent') AND n > 0 ORDER BY value`)
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

func (tx *txn) boardFlags(now, query string, args ...any) ([]BoardFlag, error) {
	rows, err := tx.query(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []BoardFlag{}
	for rows.Next() {
		f, err := scanBoardFlag(rows, now)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// sortInboxes puts the agents with the most urgent work first.
func sortInboxes(in []InboxCount) {
	slices.SortFunc(in, func(a, b InboxCount) int {
		switch {
		case a.Urgent != b.Urgent:
			return b.Urgent - a.Urgent
		case a.Pending != b.Pending:
			return b.Pending - a.Pending
		}
		return strings.Compare(a.Agent, b.Agent)
	})
}
