package search

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/mcp-agents/mcp-agents/internal/agent"
)

func loadRelevanceTB(tb testing.TB, file string) EvalSet {
	tb.Helper()
	s, err := LoadEvalSet(file)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// loadSetCatalog loads the catalog a set is asked against: the built-in
// agents if the set says so, under its corpus collections.
func loadSetCatalog(tb testing.TB, s EvalSet) []*agent.Agent {
	tb.Helper()
	root := filepath.Join(sharedDir, "corpus")
	if _, err := os.Stat(root); err != nil {
		tb.Skipf("shared corpus not present: %v", err)
	}
	var srcs []agent.Source
	if s.Builtin {
		dir := filepath.Join("..", "..", "agents")
		srcs = append(srcs, agent.Source{Label: "builtin", Root: dir, FS: os.DirFS(dir)})
	}
	for _, c := range s.Collections {
		dir := filepath.Join(root, c)
		srcs = append(srcs, agent.Source{Label: "dir", Root: dir, FS: os.DirFS(dir)})
	}
	cat, _, err := agent.Load(context.Background(), srcs)
	if err != nil || cat.Len() == 0 {
		tb.Fatalf("no agents loaded for %v: %v", s.Collections, err)
	}
	return cat.All()
}

// TestRelevance is the regression guard for ranking quality: it fails if
// hit@1 or hit@3 on a benchmark set drops below a floor set a little under
// the measured figures, or if an accept pattern names no agent (a stale
// benchmark must not pass silently). go run ./internal/search/cmd/searcheval
// prints the figures and every miss.
func TestRelevance(t *testing.T) {
	sets := []struct {
		file           string
		floor1, floor3 float64
	}{
		{"testdata/relevance.json", 0.94, 0.97},
		{"testdata/relevance_acolytes.json", 0.97, 0.97},
		// Written after the ranker was first tuned, never tuned on.
		{"testdata/relevance_holdout.json", 0.76, 0.88},
		// The problem-first halves: constants and problems.txt are tuned on
		// dev only; test is measured, never tuned on (this guard shows its
		// figures, so its floor follows the ranker rather than a target).
		{"testdata/relevance_problems_dev.json", 0.83, 0.93},
		{"testdata/relevance_problems_test.json", 0.64, 0.78},
		// Blind sets written later by sessions that never ran the ranker
		// (fresh measured 0.503/0.629, fresh2 0.464/0.642): how it does on
		// problems nobody tuned for. fresh2 is the held-out one; fresh may
		// be tuned on now.
		{"testdata/relevance_problems_fresh.json", 0.48, 0.60},
		{"testdata/relevance_problems_fresh2.json", 0.44, 0.61},
	}
	for _, s := range sets {
		t.Run(filepath.Base(s.file), func(t *testing.T) {
			set := loadRelevanceTB(t, s.file)
			agents := loadSetCatalog(t, set)
			names := make([]string, len(agents))
			for i, a := range agents {
				names[i] = a.Name
			}
			r := Evaluate(NewIndex(agents), names, set)
			for _, p := range r.StalePatterns {
				t.Errorf("accept pattern names no agent: %s", p)
			}
			t.Logf("%d agents, %d queries: hit@1 %.3f  hit@3 %.3f  MRR %.3f", len(agents), r.N, r.Hit1, r.Hit3, r.MRR)
			if r.Hit1 < s.floor1 || r.Hit3 < s.floor3 {
				t.Errorf("ranking regressed: hit@1 %.3f (floor %.2f), hit@3 %.3f (floor %.2f)", r.Hit1, s.floor1, r.Hit3, s.floor3)
			}
		})
	}
}

// TestOriginalBaseline checks that the ranker still beats the original
// system's scoring by a wide margin, and prints both side by side (hit@1,
// hit@3, MRR) on the benchmark sets of the original catalog and the
// corpus: go test -run TestOriginalBaseline -v ./internal/search.
func TestOriginalBaseline(t *testing.T) {
	for _, path := range []string{"testdata/relevance.json", "testdata/relevance_acolytes.json"} {
		set := loadRelevanceTB(t, path)
		agents := loadSetCatalog(t, set)
		o := originalScorer{agents: agents}
		var hits1, hits3, rr float64
		for _, q := range set.Queries {
			for i, r := range o.search(q.Query, 10) {
				if Accepted(q.Accept, r.name) {
					if i == 0 {
						hits1++
					}
					if i < 3 {
						hits3++
					}
					rr += 1 / float64(i+1)
					break
				}
			}
		}
		names := make([]string, len(agents))
		for i, a := range agents {
			names[i] = a.Name
		}
		ours := Evaluate(NewIndex(agents), names, set)
		n := float64(len(set.Queries))
		t.Logf("%s: hit@1 / hit@3 / MRR: ours %.3f / %.3f / %.3f, original %.3f / %.3f / %.3f",
			path, ours.Hit1, ours.Hit3, ours.MRR, hits1/n, hits3/n, rr/n)
		if path == "testdata/relevance.json" && ours.Hit1 < hits1/n+0.2 {
			t.Errorf("hit@1 %.3f is not well above the original scoring's %.3f", ours.Hit1, hits1/n)
		}
	}
}
