package search

import (
	"os"
	"strings"
	"testing"
)

// TestExplainQueries prints the top results, with scores and reasons, for
// the ";"-separated queries in SEARCH_QUERIES over the shared corpus: a
// diagnosis aid for relevance work.
func TestExplainQueries(t *testing.T) {
	queries := os.Getenv("SEARCH_QUERIES")
	if queries == "" {
		t.Skip("set SEARCH_QUERIES='query one;query two' to explain rankings")
	}
	ix := NewIndex(loadCorpus(t, "acolytes", "voltagent", "wshobson"))
	for _, q := range strings.Split(queries, ";") {
		res, total := ix.Search(q, 6)
		t.Logf("%q: %d matches", q, total)
		for _, r := range res {
			t.Logf("  %d %-40s %7.3f %q", r.Rank, r.Name, r.Score, r.Reasons)
		}
	}
}
