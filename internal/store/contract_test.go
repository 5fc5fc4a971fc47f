package store_test

import (
	"context"
	"testing"

	"github.com/mcp-agents/mcp-agents/internal/store"
	"github.com/mcp-agents/mcp-agents/internal/store/storetest"
)

// The SQLite engine against the shared store contract.
func TestContract(t *testing.T) {
	storetest.Run(t, func(tb testing.TB, c *storetest.Clock) store.Engine {
		s, err := store.Open(context.Background(), tb.TempDir()+"/agents.db", store.WithClock(c.Now))
		if err != nil {
			tb.Fatalf("Open: %v", err)
		}
		tb.Cleanup(func() { s.Close() })
		return s
	})
}
