package postgres

import (
	"testing"

	"github.com/mcp-agents/mcp-agents/internal/store"
	"github.com/mcp-agents/mcp-agents/internal/store/storetest"
)

// The PostgreSQL engine against the shared store contract (skipped, saying
// so, without MCP_AGENTS_TEST_PG).
func TestContract(t *testing.T) {
	storetest.Run(t, func(tb testing.TB, c *storetest.Clock) store.Engine {
		return openTest(tb, WithClock(c.Now))
	})
}
