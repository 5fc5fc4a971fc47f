package main

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
)

// TestPromptsPaginateThroughTheBinary: with more agents than one page
// (500), prompts/list through the built binary hands out a cursor, and a
// client that follows the cursors sees every agent exactly once.
func TestPromptsPaginateThroughTheBinary(t *testing.T) {
	s := newSandbox(t)
	dir := filepath.Join(s.cwd, "many")
	const n = 1100
	for i := range n {
		name := fmt.Sprintf("team%02d.worker%04d", i%37, i)
		writeAgentFile(t, filepath.Join(dir, name+".md"), name, "A synthetic specialist for the pagination test.")
	}
	c := s.start(t, "--no-builtin", "--agents", dir)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	seen := map[string]int{}
	pages := 0
	req := mcp.ListPromptsRequest{}
	for {
		res, err := c.ListPromptsByPage(ctx, req) // one page: ListPrompts follows the cursors itself
		if err != nil {
			t.Fatalf("prompts/list page %d: %v", pages+1, err)
		}
		pages++
		if len(res.Prompts) > 500 {
			t.Fatalf("page %d has %d prompts, want at most 500", pages, len(res.Prompts))
		}
		for _, p := range res.Prompts {
			seen[p.Name]++
		}
		if res.NextCursor == "" {
			break
		}
		req.Params.Cursor = res.NextCursor
	}
	if pages < 3 || len(seen) != n {
		t.Fatalf("%d pages, %d distinct prompts, want 3 or more pages and %d", pages, len(seen), n)
	}
	for name, k := range seen {
		if k != 1 {
			t.Errorf("prompt %s listed %d times", name, k)
		}
	}
}
