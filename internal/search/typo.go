package search

import (
	"slices"
	"sync"
)

// maxTypos is the edit budget for a misspelt word of n bytes: none for short
// words (too many accidental neighbours), one up to seven, two beyond.
func maxTypos(n int) int {
	switch {
	case n < 4:
		return 0
	case n < 8:
		return 1
	default:
		return 2
	}
}

// editDistance is the optimal-string-alignment Damerau-Levenshtein distance
// between a and b, or max+1 as soon as it is known to exceed max.
func editDistance(a, b string, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	// Three rolling rows: prev2 for transpositions, prev, cur.
	var buf [3 * 64]int
	n := len(b) + 1
	var prev2, prev, cur []int
	if 3*n <= len(buf) {
		prev2, prev, cur = buf[:n], buf[n:2*n], buf[2*n:3*n]
	} else {
		prev2, prev, cur = make([]int, n), make([]int, n), make([]int, n)
	}
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j < n; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	if d := prev[n-1]; d <= limit {
		return d
	}
	return limit + 1
}

// typoIndex finds vocabulary words near a misspelt word without scanning the
// whole vocabulary: words are posted under their padded bigrams, and only
// words sharing enough bigrams with the query are checked by edit distance.
type typoIndex struct {
	words []string
	// bigrams posts word ids under (bigram, word length), so a lookup only
	// visits words whose length is within the edit budget.
	bigrams map[uint32][]int32
	scratch sync.Pool // *typoScratch
}

type typoScratch struct {
	counts  []uint8
	touched []int32
}

func lenKey(k uint16, n int) uint32 { return uint32(k)<<8 | uint32(min(n, 255)) }

func bigramKey(a, b byte) uint16 { return uint16(a)<<8 | uint16(b) }

// forEachBigram visits the bigrams of "^w$" once each.
func forEachBigram(w string, fn func(k uint16)) {
	var seen [64]uint16
	n := 0
	visit := func(k uint16) {
		for _, s := range seen[:min(n, len(seen))] {
			if s == k {
				return
			}
		}
		if n < len(seen) {
			seen[n] = k
		}
		n++
		fn(k)
	}
	prev := byte('^')
	for i := 0; i < len(w); i++ {
		visit(bigramKey(prev, w[i]))
		prev = w[i]
	}
	visit(bigramKey(prev, '$'))
}

// scanVocab is the vocabulary size up to which near checks every word
// instead of building bigram postings: for agent names (hundreds) the
// postings cost a millisecond to build, which a first query would pay,
// while a scan of a few thousand words costs well under that.
const scanVocab = 2048

func newTypoIndex(vocab []string) *typoIndex {
	t := &typoIndex{words: vocab}
	if len(vocab) > scanVocab {
		t.indexBigrams()
	}
	return t
}

func (t *typoIndex) indexBigrams() {
	t.bigrams = make(map[uint32][]int32)
	t.scratch.New = func() any { return &typoScratch{counts: make([]uint8, len(t.words))} }
	for i, w := range t.words {
		if len(w) < 3 {
			continue
		}
		forEachBigram(w, func(k uint16) {
			lk := lenKey(k, len(w))
			t.bigrams[lk] = append(t.bigrams[lk], int32(i))
		})
	}
}

// near returns the vocabulary words at the smallest edit distance (≥1,
// within maxTypos(len(w))) from w, and that distance.
func (t *typoIndex) near(w string) ([]string, int) {
	limit := maxTypos(len(w))
	if limit == 0 || len(w) > 60 {
		return nil, 0
	}
	if t.bigrams == nil {
		return t.scan(w, limit)
	}
	// Each edit destroys at most two distinct padded bigrams (a
	// transposition at most three), so a word within the budget shares at
	// least this many with w.
	nb := 0
	forEachBigram(w, func(uint16) { nb++ })
	need := nb - 3*limit
	if need < 1 {
		need = 1
	}
	// Shared-bigram counts per vocabulary word, in a pooled array that is
	// reset through the list of words touched.
	sc := t.scratch.Get().(*typoScratch)
	defer t.scratch.Put(sc)
	forEachBigram(w, func(k uint16) {
		for n := len(w) - limit; n <= len(w)+limit; n++ {
			for _, i := range t.bigrams[lenKey(k, n)] {
				if sc.counts[i] == 0 {
					sc.touched = append(sc.touched, i)
				}
				sc.counts[i]++
			}
		}
	})
	found := nearest{w: w, limit: limit, best: limit + 1}
	for _, i := range sc.touched {
		c := int(sc.counts[i])
		sc.counts[i] = 0
		if c >= need {
			found.consider(t.words[i])
		}
	}
	sc.touched = sc.touched[:0]
	return found.result()
}

// scan is near for a small vocabulary: every word within the length
// budget is checked by edit distance (the bigram filter only ever skips
// words that fail that check, so both find the same words).
func (t *typoIndex) scan(w string, limit int) ([]string, int) {
	nb := nearest{w: w, limit: limit, best: limit + 1}
	for _, cand := range t.words {
		if len(cand) >= 3 && len(cand) >= len(w)-limit && len(cand) <= len(w)+limit {
			nb.consider(cand)
		}
	}
	return nb.result()
}

// nearest collects the words at the smallest edit distance (1..limit) from
// w seen so far. The order words are considered in does not matter: the
// result holds every word at the final distance, sorted.
type nearest struct {
	w           string
	limit, best int
	out         []string
}

func (n *nearest) consider(cand string) {
	d := editDistance(n.w, cand, n.limit)
	if d == 0 || d > n.limit || d > n.best {
		return
	}
	if d < n.best {
		n.best, n.out = d, n.out[:0]
	}
	n.out = append(n.out, cand)
}

func (n *nearest) result() ([]string, int) {
	if len(n.out) == 0 {
		return nil, 0
	}
	slices.Sort(n.out)
	return n.out, n.best
}
