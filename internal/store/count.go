package store

import (
	"context"
	"strings"
)

// CountAgentFlags counts the flags AgentFlags would return for q without a
// limit (q.Limit is ignored), so a reader shown a page can say how many
// more there are.
func (s *Store) CountAgentFlags(ctx context.Context, q AgentFlagsQuery) (int, error) {
	agent, err := canonicalHandle("agent", q.Agent)
	if err != nil {
		return 0, err
	}
	status, err := statusFilter(q.Status, "pending")
	if err != nil {
		return 0, err
	}
	query, args := inboxCountQuery(agent, status, q.IncludeLocked, formatTime(s.now()))
	var n int
	err = s.readTx(ctx, "count agent flags", []string{query}, func(tx *txn) error {
		return tx.queryRow(query, args...).Scan(&n)
	})
	return n, err
}

// inboxCountQuery counts an inbox with one count per recipient (the agent,
// everyone), as inboxQuery has its halves: each reads flags_inbox by its
// prefix, where one count over "target_agent = ? OR target_agent IS NULL"
// read every pending flag (5 ms at a million flags, 0.7 ms this way).
// Literal status and +? for the reason listQuery gives.
func inboxCountQuery(agent, status string, includeLocked bool, now string) (string, []any) {
	var counts []string
	var args []any
	for _, target := range []string{"target_agent = +?", "target_agent IS NULL"} {
		where := []string{target}
		if target != "target_agent IS NULL" {
			args = append(args, agent)
		}
		if status != "all" {
			where = append(where, "status = '"+status+"'")
		}
		if !includeLocked {
			where = append(where, "NOT (locked_by IS NOT NULL AND lock_expires_at > ? AND locked_by <> ?)")
			args = append(args, now, agent)
		}
		counts = append(counts, "(SELECT count(*) FROM flags WHERE "+strings.Join(where, " AND ")+")")
	}
	return "SELECT " + strings.Join(counts, " + "), args
}
