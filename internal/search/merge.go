package search

import (
	"math"
	"slices"
	"sync"
)

// merge maps worker-local ids to global term ids and computes the postings.
// Postings live in one flat array; each worker writes the postings of its own
// documents into disjoint ranges of it in parallel, while the spelling tables
// are merged for reasons and typo lookup.
func (ix *Index) merge(workers []*worker, ndocs int) {
	local := make([][]int32, len(workers))
	var df []int32
	terms := make(map[string]int32)
	var stems []string
	var avg [numFields]float64
	for w, wk := range workers {
		local[w] = make([]int32, len(wk.stems))
		for i, st := range wk.stems {
			id, ok := terms[st]
			if !ok {
				id = int32(len(df))
				terms[st] = id
				stems = append(stems, st)
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
	ix.terms = newStrDict(stems, nil)
	ix.idf = make([]float32, len(df))
	ix.postings = make([][]posting, len(df))
	// cursor[w][t] is where worker w writes its next posting of term t.
	cursor := make([][]int32, len(workers))
	for w := range workers {
		cursor[w] = make([]int32, len(df))
	}
	total := int32(0)
	for t, c := range df {
		ix.idf[t] = float32(ix.idfOf(int(c)))
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

// idfOf is the (flattened) idf of a term or phrase found in df documents.
func (ix *Index) idfOf(df int) float64 {
	n, c := float64(len(ix.names)), float64(df)
	return math.Pow(math.Log(1+(n-c+0.5)/(c+0.5)), ix.p.idfPow)
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
		for _, sl := range wk.surf.slots {
			if sl.stem() < 0 {
				continue
			}
			key := sl.key
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
		vocab = append(vocab, s)
		cur := ix.surface[st.term]
		if cur == "" || st.count > best[st.term] ||
			st.count == best[st.term] && (len(s) < len(cur) || len(s) == len(cur) && s < cur) {
			ix.surface[st.term], best[st.term] = s, st.count
		}
	}
	slices.Sort(vocab)
	ids := make([]int32, len(vocab))
	for i, s := range vocab {
		ids[i] = surfs[s].term
	}
	ix.surfaceTerm = newStrDict(vocab, ids)
	ix.vocab.keys = &ix.surfaceTerm
}
