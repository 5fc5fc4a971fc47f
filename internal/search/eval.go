package search

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
)

// EvalSet is a relevance benchmark file (testdata/relevance*.json): queries
// written from the task's point of view, each with the agents it would be
// acceptable to hand it to, and the catalog they are asked against.
type EvalSet struct {
	// About says how the set was written (and, for split sets, how split).
	About string `json:"about,omitempty"`
	// Builtin puts the built-in agents under the collections, as a server
	// started with --agents for each collection loads them.
	Builtin bool `json:"builtin,omitempty"`
	// Collections are directories of the shared corpus, lowest precedence
	// first.
	Collections []string    `json:"collections"`
	Queries     []EvalQuery `json:"queries"`
}

// EvalQuery is one benchmark query. Accept entries are path.Match patterns
// over agent names ("*kubernetes-architect" covers every plugin's copy).
type EvalQuery struct {
	Kind   string   `json:"kind"`
	Query  string   `json:"query"`
	Accept []string `json:"accept"`
}

// LoadEvalSet reads a benchmark file.
func LoadEvalSet(file string) (EvalSet, error) {
	var s EvalSet
	data, err := os.ReadFile(file)
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return s, fmt.Errorf("%s: %w", file, err)
	}
	return s, nil
}

// EvalDepth is how deep a result list is searched for an accepted agent.
const EvalDepth = 10

// EvalResult summarises a ranker on a set.
type EvalResult struct {
	N                int
	Hit1, Hit3, MRR  float64
	Misses           []EvalMiss
	StalePatterns    []string // accept patterns that name no agent
	Ranks            []int    // per query, 1-based rank of the first accepted agent, 0 if none
	hits1, hits3, rr float64
}

// EvalMiss is a query whose first result is not accepted.
type EvalMiss struct {
	Kind, Query string
	Rank        int // 0: no accepted agent in the first EvalDepth
	Top         []Result
	// Want is the best-ranked accepted agent within the first
	// EvalWantDepth results, if it is not among Top: what the ranker
	// would have had to put first, and why it did not.
	Want *Result
}

// EvalWantDepth is how deep a miss is searched for the accepted agent it
// shows.
const EvalWantDepth = 100

// Accepted reports whether name matches one of patterns.
func Accepted(patterns []string, name string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

// Evaluate runs every query of s against ix, whose catalog has the agents
// named names, and scores hit@1, hit@3 and mean reciprocal rank.
func Evaluate(ix *Index, names []string, s EvalSet) EvalResult {
	var r EvalResult
	for _, q := range s.Queries {
		for _, p := range q.Accept {
			if !anyMatch(p, names) {
				r.StalePatterns = append(r.StalePatterns, fmt.Sprintf("%q: %s", q.Query, p))
			}
		}
		res, _ := ix.Search(q.Query, EvalDepth)
		rank := 0
		for i, x := range res {
			if Accepted(q.Accept, x.Name[1:]) {
				rank = i + 1
				break
			}
		}
		r.add(rank)
		if rank != 1 {
			m := EvalMiss{Kind: q.Kind, Query: q.Query, Rank: rank, Top: res[:min(3, len(res))]}
			if rank == 0 || rank > 3 {
				deep, _ := ix.Search(q.Query, EvalWantDepth)
				for i := range deep {
					if Accepted(q.Accept, deep[i].Name[1:]) {
						m.Want = &deep[i]
						break
					}
				}
			}
			r.Misses = append(r.Misses, m)
		}
	}
	if r.N > 0 {
		r.Hit1, r.Hit3, r.MRR = r.hits1/float64(r.N), r.hits3/float64(r.N), r.rr/float64(r.N)
	}
	return r
}

func (r *EvalResult) add(rank int) {
	r.N++
	r.Ranks = append(r.Ranks, rank)
	if rank == 1 {
		r.hits1++
	}
	if rank >= 1 && rank <= 3 {
		r.hits3++
	}
	if rank >= 1 {
		r.rr += 1 / float64(rank)
	}
}

func anyMatch(p string, names []string) bool {
	for _, n := range names {
		if ok, _ := path.Match(p, n); ok {
			return true
		}
	}
	return false
}
