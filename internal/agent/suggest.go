package agent

import (
	"sort"
	"strings"

	"github.com/sahilm/fuzzy"
)

// Suggest returns up to n handles ("@x.y") of agents whose names or aliases
// are closest to nameOrHandle, for "did you mean" messages. Ranking, best
// first: whole-name typos (small edit distance), then fuzzy subsequence
// matches ("containers" finds "ops.containers"), then names with a part
// that is a near miss ("contaners" finds "ops.containers"). Ties break by
// name so the order is deterministic.
func (c *Catalog) Suggest(nameOrHandle string, n int) []string {
	q := asciiLower(strings.TrimPrefix(strings.TrimSpace(nameOrHandle), "@"))
	if q == "" || n <= 0 || len(c.candidates) == 0 {
		return nil
	}
	maxDist := max(1, min(4, len(q)/3))

	type ranked struct {
		tier, metric int
		a            *Agent
	}
	best := make(map[*Agent]ranked, len(c.candidates))
	consider := func(r ranked) {
		if old, ok := best[r.a]; !ok || r.tier < old.tier || r.tier == old.tier && r.metric < old.metric {
			best[r.a] = r
		}
	}
	for i, cand := range c.candidates {
		if d := levenshtein(q, cand, maxDist); d <= maxDist {
			consider(ranked{0, d, c.target[i]})
		}
		if d := partDistance(q, cand, maxDist); d <= maxDist {
			consider(ranked{2, d, c.target[i]})
		}
	}
	for rank, m := range fuzzy.Find(q, c.candidates) {
		consider(ranked{1, rank, c.target[m.Index]})
	}

	out := make([]ranked, 0, len(best))
	for _, r := range best {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].tier != out[j].tier {
			return out[i].tier < out[j].tier
		}
		if out[i].metric != out[j].metric {
			return out[i].metric < out[j].metric
		}
		return out[i].a.Name < out[j].a.Name
	})
	handles := make([]string, 0, min(n, len(out)))
	for _, r := range out[:min(n, len(out))] {
		handles = append(handles, r.a.Handle())
	}
	return handles
}

// partDistance is the smallest edit distance between q and any suffix of
// cand that starts after a separator ("ops.containers" -> "containers").
func partDistance(q, cand string, limit int) int {
	best := limit + 1
	for i := 0; i < len(cand); i++ {
		if c := cand[i]; c == '.' || c == '-' || c == '_' {
			if d := levenshtein(q, cand[i+1:], limit); d < best {
				best = d
			}
		}
	}
	return best
}

// levenshtein is the byte-wise edit distance between a and b, or limit+1
// as soon as it is certain to exceed limit.
func levenshtein(a, b string, limit int) int {
	if abs(len(a)-len(b)) > limit {
		return limit + 1
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > limit {
			return limit + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
