package search

import (
	"container/heap"
	"math"
	"slices"
	"strings"
)

// Result is one ranked agent.
type Result struct {
	// Name is the canonical handle: "@" + agent name.
	Name        string `json:"name"`
	Description string `json:"description"`
	// Score is the relevance, rounded to 3 decimals; always > 0.
	Score float64 `json:"score"`
	// Rank is the 1-based position.
	Rank int `json:"rank"`
	// Reasons say which fields and terms matched, strongest first, at most
	// eight: "name: kubernetes", "tag: helm", "typo: kubernets→kubernetes",
	// "synonym: k8s→kubernetes", "stem: deploying→deploy", ...
	Reasons []string `json:"reasons"`
}

const maxReasons = 8

// scratch holds the per-query accumulators, sized to the catalog and reused
// through a pool so a query allocates only for the documents it touches.
type scratch struct {
	acc     []float32 // summed group scores
	grp     []float32 // best expansion score in the current group
	cnt     []uint8   // groups matched
	touched []uint32
	inGroup []uint32
}

func newScratch(n int) *scratch {
	return &scratch{acc: make([]float32, n), grp: make([]float32, n), cnt: make([]uint8, n)}
}

// Search ranks the agents for query and returns at most limit results, best
// first (ties by name), and totalMatches, the number of agents that matched
// at all. An agent named exactly by the query ("@ops.containers",
// "ops.containers", an alias) ranks first, one whose name is within a typo
// or two of a name-like query next. Any input is safe: an empty query matches
// nothing and a limit below 1 returns no results.
func (ix *Index) Search(query string, limit int) (results []Result, totalMatches int) {
	if ix == nil || len(ix.names) == 0 || strings.TrimSpace(query) == "" {
		return nil, 0
	}
	pl := ix.parse(query)
	// The scratch goes back to the pool only once reset, below; if a query
	// panicked it would be dropped rather than reused dirty.
	sc := ix.scratch.Get().(*scratch)
	ix.accumulate(pl, sc)

	// Named agents go first: above every other score, exact names above
	// near misses.
	var top float32
	for _, d := range sc.touched {
		top = max(top, sc.acc[d])
	}
	boost := func(d uint32, by float32) {
		if sc.cnt[d] == 0 {
			sc.touched = append(sc.touched, d)
			sc.cnt[d] = 1
		}
		sc.acc[d] = top + by
	}
	for _, nt := range pl.nameTypos {
		boost(nt.doc, 1)
	}
	for _, d := range pl.exact {
		boost(d, 2)
	}

	total := len(sc.touched)
	res := ix.topK(sc, limit)
	for i := range res {
		d := res[i].doc
		res[i].Result = Result{
			Name:        "@" + ix.names[d],
			Description: ix.descs[d],
			Score:       res[i].score,
			Rank:        i + 1,
			Reasons:     ix.reasons(pl, d),
		}
	}
	for _, d := range sc.touched {
		sc.acc[d], sc.cnt[d] = 0, 0
	}
	sc.touched = sc.touched[:0]
	ix.scratch.Put(sc)
	out := make([]Result, len(res))
	for i := range res {
		out[i] = res[i].Result
	}
	return out, total
}

// accumulate adds each group's best expansion score per document, then
// scales by how much of the query each document covers.
func (ix *Index) accumulate(pl plan, sc *scratch) {
	for gi := range pl.groups {
		g := &pl.groups[gi]
		for _, e := range g.exps {
			if len(e.terms) == 1 {
				// The common case, walked inline: this loop is most of a
				// query's time.
				w := e.weight * ix.termIDF(g, &e, e.terms[0])
				if e.fields != anyField {
					for _, p := range ix.postings[e.terms[0]] {
						if p.mask&e.fields != 0 {
							sc.take(p.doc, w*p.sat)
						}
					}
					continue
				}
				for _, p := range ix.postings[e.terms[0]] {
					sc.take(p.doc, w*p.sat)
				}
				continue
			}
			ix.walk(e, g, sc.take)
		}
		for _, d := range sc.inGroup {
			if sc.cnt[d] == 0 {
				sc.touched = append(sc.touched, d)
			}
			sc.acc[d] += g.scale * sc.grp[d]
			sc.cnt[d]++
			sc.grp[d] = 0
		}
		sc.inGroup = sc.inGroup[:0]
	}
	if n := len(pl.groups); n > 1 && ix.p.coord != 0 {
		factor := make([]float32, n+1)
		for c := range factor {
			factor[c] = float32(math.Pow(float64(c)/float64(n), ix.p.coord))
		}
		for _, d := range sc.touched {
			sc.acc[d] *= factor[sc.cnt[d]]
		}
	}
}

// take records v as a candidate best score of the current group for d.
func (sc *scratch) take(d uint32, v float32) {
	// Only a positive score enters the group, so a document is listed in
	// inGroup once however many zero-weight expansions reach it.
	if v > sc.grp[d] {
		if sc.grp[d] == 0 {
			sc.inGroup = append(sc.inGroup, d)
		}
		sc.grp[d] = v
	}
}

// walk calls fn with each document's weighted score for e. A multi-term
// expansion scores the mean over its terms, merged across their postings.
func (ix *Index) walk(e expansion, g *group, fn func(d uint32, v float32)) {
	if len(e.terms) == 1 {
		w := e.weight * ix.termIDF(g, &e, e.terms[0])
		for _, p := range ix.postings[e.terms[0]] {
			if p.mask&e.fields != 0 {
				fn(p.doc, w*p.sat)
			}
		}
		return
	}
	lists := make([][]posting, len(e.terms))
	idfs := make([]float32, len(e.terms))
	for i, t := range e.terms {
		lists[i] = ix.postings[t]
		idfs[i] = ix.termIDF(g, &e, t)
	}
	w := e.weight / float32(len(lists))
	for {
		next := uint32(math.MaxUint32)
		for _, l := range lists {
			if len(l) > 0 {
				next = min(next, l[0].doc)
			}
		}
		if next == math.MaxUint32 {
			return
		}
		var sum float32
		n := 0
		for i, l := range lists {
			if len(l) > 0 && l[0].doc == next {
				if l[0].mask&e.fields != 0 {
					sum += idfs[i] * l[0].sat
					n++
				}
				lists[i] = l[1:]
			}
		}
		if n > 0 && (!e.all || n == len(lists)) {
			fn(next, w*sum)
		}
	}
}

type ranked struct {
	Result
	doc   uint32
	score float64
}

// roundScore is the score as shown: three decimals, never zero for a match.
func roundScore(v float32) float64 {
	return max(math.Round(float64(v)*1000)/1000, 0.001)
}

// before orders results: higher shown score first, then name (docs are
// numbered in name order).
func before(a, b ranked) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	return a.doc < b.doc
}

// minHeap keeps the k best results with the worst on top.
type minHeap []ranked

func (h minHeap) Len() int           { return len(h) }
func (h minHeap) Less(i, j int) bool { return before(h[j], h[i]) }
func (h minHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *minHeap) Push(x any)        { *h = append(*h, x.(ranked)) }
func (h *minHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (ix *Index) topK(sc *scratch, k int) []ranked {
	if k <= 0 {
		return nil
	}
	h := make(minHeap, 0, min(k, len(sc.touched)))
	for _, d := range sc.touched {
		r := ranked{doc: d, score: roundScore(sc.acc[d])}
		if len(h) < k {
			// heap.Push would box r (a Result and more) into an
			// allocation; Fix on the new last element is Push's up.
			h = append(h, r)
			heap.Fix(&h, len(h)-1)
		} else if before(r, h[0]) {
			h[0] = r
			heap.Fix(&h, 0)
		}
	}
	out := []ranked(h)
	slices.SortFunc(out, func(a, b ranked) int {
		if before(a, b) {
			return -1
		}
		return 1
	})
	return out
}
