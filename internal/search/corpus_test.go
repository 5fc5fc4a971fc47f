package search

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/mcp-agents/mcp-agents/internal/agent"
)

// sharedDir is the shared reference material, relative to this package.
const sharedDir = "../../../shared"

// loadCorpus loads the named collections of the shared corpus with
// agent.Load, lowest precedence first, skipping the test when the corpus is
// absent.
func loadCorpus(tb testing.TB, collections ...string) []*agent.Agent {
	tb.Helper()
	root := filepath.Join(sharedDir, "corpus")
	if _, err := os.Stat(root); err != nil {
		tb.Skipf("shared corpus not present: %v", err)
	}
	var srcs []agent.Source
	for _, c := range collections {
		dir := filepath.Join(root, c)
		srcs = append(srcs, agent.Source{Label: "dir", Root: dir, FS: os.DirFS(dir)})
	}
	cat, _, err := agent.Load(context.Background(), srcs)
	if err != nil || cat.Len() == 0 {
		tb.Fatalf("no agents loaded from %v", collections)
	}
	return cat.All()
}
