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

// docTerms is one document's terms, as a range of its worker's terms and tf
// arrays (worker-local term ids), and its field lengths.
type docTerms struct {
	start, end int32
	len        [numFields]uint32
}

// worker tokenizes a contiguous chunk of documents with its own dictionary,
// so that workers share nothing until the merge.
type worker struct {
	stemID map[string]int32 // stem → local id
	stems  []string
	surf   spellingTable
	// per local stem id: counts in the current doc, and the last doc
	// (1-based) it was seen in; kept together for locality.
	stemDoc []stemCounts
	df      []int32 // documents per local stem id
	lens    [numFields]int64
	ndocs   int32
	docs    []docTerms
	// terms and tf hold every document's terms back to back; a term's
	// frequency per field saturates at 255, far past where BM25 stops
	// caring, to keep this the size of the postings.
	terms []int32
	tf    [][numFields]uint8
}

type stemCounts struct {
	last int32
	tf   [numFields]uint8
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
		wk := &worker{stemID: make(map[string]int32)}
		workers[w] = wk
		wg.Go(func() {
			// Reserve for one (document, term) pair per 14 bytes of text:
			// the shared corpus has one per 23 bytes, the more varied
			// synthetic benchmark catalog one per 15.
			size := 0
			for _, a := range docs[lo:hi] {
				size += len(a.Body) + len(a.Description)
			}
			wk.terms = make([]int32, 0, size/14)
			wk.tf = make([][numFields]uint8, 0, size/14)
			for _, a := range docs[lo:hi] {
				wk.addDoc(a)
			}
		})
	}
	wg.Wait()
	return workers
}

// newSpelling records a spelling not seen by this worker. Spellings that are
// not indexed (stopwords, numbers, single letters) are recorded too, with
// stem -1, so that later occurrences are rejected by the same lookup.
func (wk *worker) newSpelling(s string, h uint64) *spellingSlot {
	if len(s) < 2 || isDigits(s) || stopwords[s] {
		return wk.surf.insert(s, h, -1)
	}
	st := stem(s)
	id, ok := wk.stemID[st]
	if !ok {
		id = int32(len(wk.stems))
		wk.stemID[st] = id
		wk.stems = append(wk.stems, st)
		wk.stemDoc = append(wk.stemDoc, stemCounts{})
		wk.df = append(wk.df, 0)
	}
	return wk.surf.insert(s, h, id)
}

func (wk *worker) addDoc(a *agent.Agent) {
	// Grow by doubling: append's gentler growth for large slices would copy
	// these arrays several times over.
	if cap(wk.terms)-len(wk.terms) < 4096 {
		wk.terms = slices.Grow(wk.terms, max(len(wk.terms), 8192))
		wk.tf = slices.Grow(wk.tf, cap(wk.terms)-len(wk.tf))
	}
	d := docTerms{start: int32(len(wk.terms))}
	wk.ndocs++
	fieldTexts(a, func(f field, text string) { wk.addText(&d, f, text) })
	d.end = int32(len(wk.terms))
	for _, id := range wk.terms[d.start:d.end] {
		wk.tf = append(wk.tf, wk.stemDoc[id].tf)
		wk.stemDoc[id].tf = [numFields]uint8{}
	}
	for f := range numFields {
		wk.lens[f] += int64(d.len[f])
	}
	wk.docs = append(wk.docs, d)
}

// addText counts the words of one field's text. It is the hot loop of an
// index build, so it avoids per-token calls through closures.
func (wk *worker) addText(d *docTerms, f field, text string) {
	sc := wordScanner{s: text}
	n := uint32(0)
	for {
		w, h, ok := sc.next()
		if !ok {
			break
		}
		slot := wk.surf.lookup(h)
		if slot == nil {
			slot = wk.newSpelling(strings.Clone(lowerASCII(w)), h)
		}
		st := slot.stem()
		if st < 0 {
			continue
		}
		slot.count++
		c := &wk.stemDoc[st]
		if c.last != wk.ndocs {
			c.last = wk.ndocs
			wk.terms = append(wk.terms, st)
			wk.df[st]++
		}
		if c.tf[f] < math.MaxUint8 {
			c.tf[f]++
		}
		n++
	}
	d.len[f] += n
}

// merge maps worker-local ids to global term ids and computes the postings.
// Postings live in one flat array; each worker writes the postings of its own
// documents into disjoint ranges of it in parallel, while the spelling tables
// are merged for reasons and typo lookup.
func (ix *Index) merge(workers []*worker, ndocs int) {
	local := make([][]int32, len(workers))
	var df []int32
	var avg [numFields]float64
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
			df[id] += wk.df[i]
		}
		for f := range numFields {
			avg[f] += float64(wk.lens[f])
		}
	}
	for f := range numFields {
		avg[f] = max(avg[f]/float64(max(ndocs, 1)), 1)
	}
	n := float64(ndocs)
	ix.idf = make([]float32, len(df))
	ix.postings = make([][]posting, len(df))
	// cursor[w][t] is where worker w writes its next posting of term t.
	cursor := make([][]int32, len(workers))
	for w := range workers {
		cursor[w] = make([]int32, len(df))
	}
	total := int32(0)
	for t, c := range df {
		ix.idf[t] = float32(math.Pow(math.Log(1+(n-float64(c)+0.5)/(float64(c)+0.5)), ix.p.idfPow))
		cursor[0][t] = total
		total += c
	}
	for w := 1; w < len(workers); w++ {
		copy(cursor[w], cursor[w-1])
		for i, t := range local[w-1] {
			cursor[w][t] += workers[w-1].df[i]
		}
	}
	flat := make([]posting, total)
	for t := range df {
		start := cursor[0][t]
		ix.postings[t] = flat[start : start+df[t] : start+df[t]]
	}

	var wg sync.WaitGroup
	wg.Go(func() { ix.mergeSpellings(workers, local, len(df)) })
	base := uint32(0)
	for w, wk := range workers {
		docBase := base
		base += uint32(len(wk.docs))
		wg.Go(func() { ix.fillPostings(wk, docBase, local[w], cursor[w], flat, &avg) })
	}
	wg.Wait()
}

// fillPostings writes the postings of one worker's documents.
func (ix *Index) fillPostings(wk *worker, docBase uint32, local, cursor []int32, flat []posting, avg *[numFields]float64) {
	p := &ix.p
	for di, d := range wk.docs {
		var norm [numFields]float64
		for f := range numFields {
			norm[f] = p.weight[f] / (1 - p.b[f] + p.b[f]*float64(d.len[f])/avg[f])
		}
		for i := d.start; i < d.end; i++ {
			t := local[wk.terms[i]]
			var tfw, sat float64
			var mask uint8
			for f, c := range wk.tf[i] {
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
			flat[cursor[t]] = posting{doc: docBase + uint32(di), sat: float32(sat), mask: mask}
			cursor[t]++
		}
	}
}

// mergeSpellings collects every spelling seen, for typo lookup, and picks
// each stem's representative spelling for reasons: the most frequent, then
// the shortest, then the first alphabetically, so reasons are stable.
func (ix *Index) mergeSpellings(workers []*worker, local [][]int32, nterms int) {
	type surfStat struct {
		term  int32
		count int32
	}
	surfs := make(map[string]surfStat)
	for w, wk := range workers {
		for i, sl := range wk.surf.slots {
			if sl.stem() < 0 {
				continue
			}
			key := wk.surf.keys[i]
			st := surfs[key]
			st.term = local[w][sl.stem()]
			st.count += sl.count
			surfs[key] = st
		}
	}
	ix.surface = make([]string, nterms)
	best := make([]int32, nterms)
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
}

// lookupPosting finds doc in a postings list (sorted by doc).
func lookupPosting(ps []posting, doc uint32) (posting, bool) {
	i, ok := slices.BinarySearchFunc(ps, doc, func(p posting, d uint32) int { return cmp.Compare(p.doc, d) })
	if !ok {
		return posting{}, false
	}
	return ps[i], true
}
