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
	// Literal status and +? for the reason ListFlags gives.
	where := []string{"(target_agent = +? OR target_agent IS NULL)"}
	args := []any{agent}
	if status != "all" {
		where = append(where, "status = '"+status+"'")
	}
	if !q.IncludeLocked {
		where = append(where, "NOT (locked_by IS NOT NULL AND lock_expires_at > ?)")
		args = append(args, formatTime(s.now()))
	}
	query := "SELECT count(*) FROM flags WHERE " + strings.Join(where, " AND ")
	var n int
	err = s.readTx(ctx, "count agent flags", []string{query}, func(tx *txn) error {
		return tx.queryRow(query, args...).Scan(&n)
	})
	return n, err
}
