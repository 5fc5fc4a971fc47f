package search

import (
	"cmp"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/mcp-agents/mcp-agents/internal/agent"
)

// posting is one document's entry for a term: its precomputed BM25F
// term-frequency saturation, tf/(k1+tf) over the weighted fields, and which
// fields the term occurs in (for reasons). The idf is applied per query
// word, so that synonyms and typo corrections are weighed by the rarity of
// the word asked for rather than of the word found.
type posting struct {
	doc  uint32
	sat  float32
	mask uint8
}

// Index ranks a fixed set of agents. Build it with NewIndex; it is read-only
// afterwards and safe for concurrent Search calls.
type Index struct {
	p     params
	names []string // agent name per doc, docs sorted by name
	descs []string
	// terms maps a stem to its id; postings, surface and df are by id.
	terms    map[string]int32
	postings [][]posting
	idf      []float32
	// surface is the most frequent spelling of each stem, shown in reasons.
	surface []string
	// surfaceTerm maps every spelling seen to its stem id; vocab is the typo
	// index over those spellings.
	surfaceTerm map[string]int32
	vocab       *typoIndex
	// handles maps lowercased names and aliases to docs; handleVocab is the
	// typo index over them.
	handles     map[string][]uint32
	handleVocab *typoIndex
	scratch     sync.Pool
}

// NewIndex builds an index over agents. Nil agents are skipped.
func NewIndex(agents []*agent.Agent) *Index {
	return newIndex(agents, defaultParams)
}

// docTerms is one document's term frequencies per field, in worker-local
// term ids.
type docTerms struct {
	terms []int32
	tf    [][numFields]uint16
	len   [numFields]uint32
}

// worker tokenizes a contiguous chunk of documents with its own dictionary,
// so that workers share nothing until the merge.
type worker struct {
	stemID  map[string]int32 // stem → local id
	stems   []string
	surf    map[string]int32 // spelling → local surface id
	surfs   []string
	surfOf  []int32 // local surface id → local stem id
	surfCnt []int32
	counts  [][numFields]uint16 // scratch per local stem id
	docs    []docTerms
	buf     []byte
}

func newIndex(agents []*agent.Agent, p params) *Index {
	docs := make([]*agent.Agent, 0, len(agents))
	for _, a := range agents {
		if a != nil {
			docs = append(docs, a)
		}
	}
	slices.SortStableFunc(docs, func(a, b *agent.Agent) int { return cmp.Compare(a.Name, b.Name) })

	ix := &Index{
		p:           p,
		names:       make([]string, len(docs)),
		descs:       make([]string, len(docs)),
		terms:       make(map[string]int32),
		surfaceTerm: make(map[string]int32),
		handles:     make(map[string][]uint32),
	}
	for i, a := range docs {
		ix.names[i], ix.descs[i] = a.Name, a.Description
		for _, h := range append([]string{a.Name}, a.Aliases...) {
			h = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(h), "@"))
			if h != "" && !slices.Contains(ix.handles[h], uint32(i)) {
				ix.handles[h] = append(ix.handles[h], uint32(i))
			}
		}
	}
	handleList := make([]string, 0, len(ix.handles))
	for h := range ix.handles {
		handleList = append(handleList, h)
	}
	slices.Sort(handleList)
	ix.handleVocab = newTypoIndex(handleList)

	workers := tokenizeAll(docs)
	ix.merge(workers, len(docs))
	ix.scratch.New = func() any { return newScratch(len(docs)) }
	return ix
}

func tokenizeAll(docs []*agent.Agent) []*worker {
	nw := min(runtime.GOMAXPROCS(0), max(1, len(docs)/64))
	chunk := (len(docs) + nw - 1) / max(nw, 1)
	workers := make([]*worker, nw)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*chunk, min((w+1)*chunk, len(docs))
		wk := &worker{stemID: make(map[string]int32), surf: make(map[string]int32)}
		workers[w] = wk
		wg.Go(func() {
			for _, a := range docs[lo:hi] {
				wk.addDoc(a)
			}
		})
	}
	wg.Wait()
	return workers
}

func (wk *worker) addDoc(a *agent.Agent) {
	var d docTerms
	fieldTexts(a, func(f field, text string) {
		wk.buf = forEachWord(text, wk.buf, func(w []byte) {
			if len(w) < 2 || isDigits(w) || stopwords[string(w)] {
				return
			}
			sid, ok := wk.surf[string(w)]
			if !ok {
				s := string(w)
				st := stem(s)
				id, ok := wk.stemID[st]
				if !ok {
					id = int32(len(wk.stems))
					wk.stemID[st] = id
					wk.stems = append(wk.stems, st)
					wk.counts = append(wk.counts, [numFields]uint16{})
				}
				sid = int32(len(wk.surfs))
				wk.surf[s] = sid
				wk.surfs = append(wk.surfs, s)
				wk.surfOf = append(wk.surfOf, id)
				wk.surfCnt = append(wk.surfCnt, 0)
			}
			wk.surfCnt[sid]++
			id := wk.surfOf[sid]
			c := &wk.counts[id]
			if *c == ([numFields]uint16{}) {
				d.terms = append(d.terms, id)
			}
			if c[f] < math.MaxUint16 {
				c[f]++
			}
			d.len[f]++
		})
	})
	d.tf = make([][numFields]uint16, len(d.terms))
	for i, id := range d.terms {
		d.tf[i] = wk.counts[id]
		wk.counts[id] = [numFields]uint16{}
	}
	wk.docs = append(wk.docs, d)
}

// merge maps worker-local ids to global term ids and computes the postings.
func (ix *Index) merge(workers []*worker, ndocs int) {
	var avg [numFields]float64
	local := make([][]int32, len(workers))
	var df []int32
	type surfStat struct {
		term  int32
		count int32
	}
	surfs := make(map[string]surfStat)
	for w, wk := range workers {
		local[w] = make([]int32, len(wk.stems))
		for i, st := range wk.stems {
			id, ok := ix.terms[st]
			if !ok {
				id = int32(len(df))
				ix.terms[st] = id
				df = append(df, 0)
			}
			local[w][i] = id
		}
		for i, s := range wk.surfs {
			st := surfs[s]
			st.term = local[w][wk.surfOf[i]]
			st.count += wk.surfCnt[i]
			surfs[s] = st
		}
		for _, d := range wk.docs {
			for _, t := range d.terms {
				df[local[w][t]]++
			}
			for f := range numFields {
				avg[f] += float64(d.len[f])
			}
		}
	}
	for f := range numFields {
		avg[f] = max(avg[f]/float64(max(ndocs, 1)), 1)
	}

	// Representative spelling per stem: most frequent, then shortest, then
	// alphabetical, so reasons are stable.
	ix.surface = make([]string, len(df))
	best := make([]int32, len(df))
	vocab := make([]string, 0, len(surfs))
	for s, st := range surfs {
		ix.surfaceTerm[s] = st.term
		vocab = append(vocab, s)
		cur := ix.surface[st.term]
		if cur == "" || st.count > best[st.term] ||
			st.count == best[st.term] && (len(s) < len(cur) || len(s) == len(cur) && s < cur) {
			ix.surface[st.term], best[st.term] = s, st.count
		}
	}
	slices.Sort(vocab)
	ix.vocab = newTypoIndex(vocab)

	ix.postings = make([][]posting, len(df))
	ix.idf = make([]float32, len(df))
	n := float64(ndocs)
	for t, c := range df {
		ix.postings[t] = make([]posting, 0, c)
		ix.idf[t] = float32(math.Log(1 + (n-float64(c)+0.5)/(float64(c)+0.5)))
	}
	p := &ix.p
	doc := uint32(0)
	for w, wk := range workers {
		for _, d := range wk.docs {
			var norm [numFields]float64
			for f := range numFields {
				norm[f] = p.weight[f] / (1 - p.b[f] + p.b[f]*float64(d.len[f])/avg[f])
			}
			for i, lt := range d.terms {
				t := local[w][lt]
				var tfw, sat float64
				var mask uint8
				for f, c := range d.tf[i] {
					if c > 0 {
						if p.perField {
							tfn := float64(c) * norm[f] / p.weight[f]
							sat += p.weight[f] * tfn / (p.k1 + tfn)
						}
						tfw += float64(c) * norm[f]
						mask |= 1 << f
					}
				}
				if !p.perField {
					sat = tfw / (p.k1 + tfw)
				}
				ix.postings[t] = append(ix.postings[t], posting{
					doc:  doc,
					sat:  float32(sat),
					mask: mask,
				})
			}
			doc++
		}
	}
}

// lookupPosting finds doc in a postings list (sorted by doc).
func lookupPosting(ps []posting, doc uint32) (posting, bool) {
	i, ok := slices.BinarySearchFunc(ps, doc, func(p posting, d uint32) int { return cmp.Compare(p.doc, d) })
	if !ok {
		return posting{}, false
	}
	return ps[i], true
}
