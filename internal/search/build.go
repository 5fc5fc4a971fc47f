package search

import (
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/mcp-agents/mcp-agents/internal/agent"
)

// Index builds run in two phases: workers tokenize contiguous chunks of the
// catalog in parallel (this file), then merge.go joins their dictionaries
// and writes the postings.

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
		wk.df[id]++
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
	// Worker state is held in locals for the loop and reloaded only after
	// a new spelling, which may grow it.
	sc := wordScanner{s: foldDiacritics(text)}
	stemDoc, ndocs, terms := wk.stemDoc, wk.ndocs, wk.terms
	n := uint32(0)
	for {
		w, h, ok := sc.next()
		if !ok {
			break
		}
		slot := wk.surf.lookup(w, h)
		if slot == nil {
			slot = wk.newSpelling(strings.Clone(lowerASCII(w)), h)
			stemDoc = wk.stemDoc
		}
		st := slot.stem()
		if st < 0 {
			continue
		}
		slot.count++
		c := &stemDoc[st]
		if c.last != ndocs {
			c.last = ndocs
			terms = append(terms, st)
		}
		if c.tf[f] < math.MaxUint8 {
			c.tf[f]++
		}
		n++
	}
	wk.terms = terms
	d.len[f] += n
}
