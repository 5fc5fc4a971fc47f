package search

import (
	"slices"
	"strings"

	"github.com/mcp-agents/mcp-agents/internal/agent"
)

// originalScorer re-implements the original system's agent search exactly,
// as the baseline TestRelevance compares against. The original fields map
// to ours as: tags → Tags, tech stack → Capabilities, role → Description,
// scenarios → Examples, module name → Name.
type originalScorer struct {
	agents []*agent.Agent
}

type originalResult struct {
	name  string
	score int
}

func wordSet(ss ...string) map[string]bool {
	m := make(map[string]bool)
	for _, s := range ss {
		for _, w := range strings.Fields(strings.ToLower(s)) {
			m[w] = true
		}
	}
	return m
}

func (o originalScorer) search(query string, limit int) []originalResult {
	q := strings.ToLower(query)
	qws := strings.Fields(q)
	var out []originalResult
	for _, a := range o.agents {
		score := 0
		for _, tag := range a.Tags {
			if strings.Contains(q, strings.ToLower(tag)) {
				score += 50
			}
		}
		categories := []struct {
			words  map[string]bool
			points int
		}{
			{wordSet(a.Tags...), 40},
			{wordSet(a.Capabilities...), 30},
			{wordSet(a.Description), 20},
			{wordSet(a.Examples...), 20},
			{wordSet(a.Name), 15},
		}
		matched := 0
		for _, c := range categories {
			hit := false
			for _, w := range qws {
				if c.words[w] {
					score += c.points
					hit = true
				}
			}
			if hit {
				matched++
			}
		}
		if matched >= 2 {
			score += 25
		}
		if score > 0 {
			out = append(out, originalResult{name: a.Name, score: score})
		}
	}
	// Stable: equal scores keep catalog order, as the original's sort did.
	slices.SortStableFunc(out, func(a, b originalResult) int { return b.score - a.score })
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}
