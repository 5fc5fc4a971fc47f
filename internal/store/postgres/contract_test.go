package postgres

import (
	"context"
	"testing"

	"github.com/mcp-agents/mcp-agents/internal/store"
	"github.com/mcp-agents/mcp-agents/internal/store/pgtest"
	"github.com/mcp-agents/mcp-agents/internal/store/storetest"
)

// The PostgreSQL engine against the shared store contract (skipped, saying
// so, without MCP_AGENTS_TEST_PG). The subtests run one after another on
// one database, emptied (ids restarted) for each: a fresh database per
// subtest would cost most of the run.
func TestContract(t *testing.T) {
	url := pgtest.URL(t)
	storetest.Run(t, func(tb testing.TB, c *storetest.Clock) store.Engine {
		s, err := Open(context.Background(), url, WithClock(c.Now))
		if err != nil {
			tb.Fatalf("Open: %v", err)
		}
		tb.Cleanup(func() { s.Close() })
		if _, err := s.pool.Exec(context.Background(), "TRUNCATE flags, flag_events, tokens RESTART IDENTITY"); err != nil {
			tb.Fatal(err)
		}
		return s
	})
}
