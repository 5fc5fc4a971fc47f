package search

import (
	"cmp"
	"slices"
	"strings"
	"sync"

	"github.com/mcp-agents/mcp-agents/internal/agent"
)

// posting is one document's entry for a term: its precomputed term-frequency
// saturation, the sum over fields of weight × tf/(k1+tf) with tf normalised
// by field length, and which fields the term occurs in (for reasons). The idf
// is applied per query word, so that synonyms and typo corrections are
// weighed by the rarity of the word asked for rather than of the word found.
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
	// docs are the agents themselves, for the texts reasons quote.
	docs []*agent.Agent
	// terms maps a stem to its id; postings, surface and df are by id.
	terms    strDict
	postings [][]posting
	idf      []float32
	// surface is the most frequent spelling of each stem, shown in reasons.
	surface []string
	// surfaceTerm maps every spelling seen (its keys, sorted) to its stem
	// id; vocab is the typo index over those spellings.
	surfaceTerm strDict
	vocab       lazyTypo
	// handles maps lowercased names and aliases (sorted) to their docs,
	// handleDoc[handleOff[i]:handleOff[i+1]] for handle i; handleVocab is
	// the typo index over them.
	handles     strDict
	handleOff   []uint32
	handleDoc   []uint32
	handleVocab lazyTypo
	scratch     sync.Pool
}

// NewIndex builds an index over agents. Nil agents are skipped.
func NewIndex(agents []*agent.Agent) *Index {
	return newIndex(agents, defaultParams)
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
		p:     p,
		names: make([]string, len(docs)),
		descs: make([]string, len(docs)),
		docs:  docs,
	}
	handles := make(map[string][]uint32)
	for i, a := range docs {
		ix.names[i], ix.descs[i] = a.Name, a.Description
		for _, h := range append([]string{a.Name}, a.Aliases...) {
			h = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(h), "@"))
			if h != "" && !slices.Contains(handles[h], uint32(i)) {
				handles[h] = append(handles[h], uint32(i))
			}
		}
	}
	handleList := make([]string, 0, len(handles))
	for h := range handles {
		handleList = append(handleList, h)
	}
	slices.Sort(handleList)
	ix.handles = newStrDict(handleList, nil)
	ix.handleOff = make([]uint32, 1, len(handleList)+1)
	for _, h := range handleList {
		ix.handleDoc = append(ix.handleDoc, handles[h]...)
		ix.handleOff = append(ix.handleOff, uint32(len(ix.handleDoc)))
	}
	ix.handleVocab.keys = &ix.handles

	workers := tokenizeAll(docs)
	ix.merge(workers, len(docs))
	ix.scratch.New = func() any { return newScratch(len(docs)) }
	return ix
}

// lookupPosting finds doc in a postings list (sorted by doc).
func lookupPosting(ps []posting, doc uint32) (posting, bool) {
	i, ok := slices.BinarySearchFunc(ps, doc, func(p posting, d uint32) int { return cmp.Compare(p.doc, d) })
	if !ok {
		return posting{}, false
	}
	return ps[i], true
}
