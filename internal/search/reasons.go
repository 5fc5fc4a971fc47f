package search

import (
	"cmp"
	"slices"
	"strings"
)

// maxFieldsPerTerm caps how many fields one matched word lists, so that a
// handful of words cannot fill all the reasons with one word each.
const maxFieldsPerTerm = 3

// reasons explains why doc matched pl: the name it was called by, then per
// query word (strongest first) the fields it matched in and how the word was
// read (synonym, typo, stem).
func (ix *Index) reasons(pl plan, doc uint32) []string {
	out := make([]string, 0, maxReasons)
	add := func(s string) {
		if len(out) < maxReasons && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if slices.Contains(pl.exact, doc) {
		add("name: " + ix.names[doc])
	}
	for _, nt := range pl.nameTypos {
		if nt.doc == doc {
			add("typo: " + nt.from + "→" + nt.to)
		}
	}
	// word is one matched term of an expansion: its usual spelling (the
	// expansion's own text for single terms) and the fields it occurs in.
	type word struct {
		text string
		term int32
		mask uint8
	}
	type hit struct {
		g     *group
		e     *expansion
		score float32
		words []word
	}
	// The buffers are reused across expansions and fields (a search answer
	// allocated most of its objects here).
	hits := make([]hit, 0, len(pl.groups))
	var ws []word
	for gi := range pl.groups {
		g := &pl.groups[gi]
		var best hit
		for ei := range g.exps {
			e := &g.exps[ei]
			var sum float32
			ws = ws[:0]
			for _, t := range e.terms {
				if p, ok := lookupPosting(ix.postings[t], doc); ok && p.mask&e.fields != 0 {
					sum += ix.termIDF(g, e, t) * p.sat
					text := ix.surface[t]
					if len(e.terms) == 1 {
						text = e.to
					}
					ws = append(ws, word{text, t, p.mask})
				}
			}
			if len(ws) == 0 || e.all && len(ws) < len(e.terms) {
				continue
			}
			if v := g.scale * e.weight * sum / float32(len(e.terms)); v > best.score {
				best = hit{g: g, e: e, score: v, words: ws}
				ws = nil // best keeps it
			}
		}
		if best.e != nil {
			hits = append(hits, best)
		}
	}
	slices.SortStableFunc(hits, func(a, b hit) int { return cmp.Compare(b.score, a.score) })
	// The lines saying how each word was read, for which the field reasons
	// must leave room: without them a field reason would not say which
	// query word it came from (issue 13: every expansion that moved a
	// result shows). The name line and the name typos come first.
	lines := make([][]string, len(hits))
	pendingLines := 0
	for i, h := range hits {
		switch {
		case h.e.kind == kindSynonym && h.e.via != "":
			lines[i] = []string{"typo: " + h.g.word + "→" + h.e.via, h.e.label() + h.e.via + h.e.arrow() + h.e.to}
		case h.e.kind == kindSynonym:
			lines[i] = []string{h.e.label() + h.g.word + h.e.arrow() + h.e.to}
		case h.e.kind == kindTypo:
			lines[i] = []string{"typo: " + h.g.word + "→" + h.e.to}
		case h.g.word != h.e.to && !strings.Contains(h.g.word, " "):
			// Read as this agent writes it, where the index keeps the text.
			to := h.e.to
			if len(h.words) == 1 {
				w := h.words[0]
				for f := range fHeading {
					if w.mask&(1<<f) != 0 {
						if own := ix.ownSpelling(doc, f, w.term, w.text); own != "" {
							to = own
							break
						}
					}
				}
			}
			if to != h.g.word {
				lines[i] = []string{"stem: " + h.g.word + "→" + to}
			}
		}
		pendingLines += len(lines[i])
	}
	var in []string
	for hi, h := range hits {
		room := maxReasons - pendingLines
		// Per field, the words of the expansion found there: a phrase
		// found whole shows as written, one found in part by its words.
		n := 0
		for f := range numFields {
			if len(out) >= room {
				break
			}
			in = in[:0]
			own := false
			for _, w := range h.words {
				if w.mask&(1<<f) != 0 {
					text := w.text
					if o := ix.ownSpelling(doc, field(f), w.term, text); o != "" && o != text {
						text, own = o, true
					}
					in = append(in, text)
				}
			}
			if len(in) == 0 || n == maxFieldsPerTerm {
				continue
			}
			// Body matches only count as a reason when nothing better did.
			if field(f) == fBody && n > 0 {
				continue
			}
			shown := h.e.to
			if len(in) != len(h.e.terms) || own {
				shown = strings.Join(in, " ")
			}
			if texts := ix.fieldTexts(doc, field(f)); len(in) > 1 && len(texts) > 0 && !slices.ContainsFunc(texts, func(t string) bool {
				return containsWordFold(t, strings.ToLower(shown))
			}) {
				// Found word by word, not as the phrase: say so.
				shown = strings.Join(in, ", ")
			}
			add(fieldLabel[f] + ": " + shown)
			n++
		}
		for _, l := range lines[hi] {
			add(l)
		}
		pendingLines -= len(lines[hi])
	}
	if len(out) == 0 {
		return nil // as before the list was made with room for all
	}
	return out
}

// label and arrow spell a synonym expansion in reasons: "synonym: k8s→kubernetes"
// for another name of the same thing, "related: hacked → intrusion" for a
// one-way expansion to a related domain.
func (e *expansion) label() string {
	if e.related {
		return "related: "
	}
	return "synonym: "
}

func (e *expansion) arrow() string {
	if e.related {
		return " → "
	}
	return "→"
}

// ownSpelling is how doc writes term in f, for the fields whose text the
// index keeps (see fieldTexts), when that is not text, the
// stem's usual spelling in the catalog: reasons said "description:
// composables" of an agent whose description says "compose". It is "" when
// the field's text is not kept, holds text as it is, or does not hold the
// term. It runs for every field line of every search answer, so it reads
// the text by hand rather than through the indexing scanner, which cost a
// search over the corpus 10%.
func (ix *Index) ownSpelling(doc uint32, f field, term int32, text string) string {
	texts := ix.fieldTexts(doc, f)
	if len(text) < 2 || slices.ContainsFunc(texts, func(s string) bool { return containsWordFold(s, text) }) {
		return ""
	}
	for _, s := range texts {
		for i := 0; i < len(s); {
			if !isWordByte(s[i]) {
				i++
				continue
			}
			j := i
			for j < len(s) && isWordByte(s[j]) {
				j++
			}
			w := s[i:j]
			i = j
			// Spellings of one stem start alike: most words need no lookup.
			if len(w) < 2 || lower(w[0]) != text[0] || lower(w[1]) != text[1] {
				continue
			}
			lw := strings.ToLower(w)
			if t, ok := ix.surfaceTerm.get(lw); ok && t == term {
				return lw
			}
		}
	}
	return ""
}

// isWordByte reports whether c can be part of a word: an ASCII letter or
// digit, or a byte of a non-ASCII character.
func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// containsWordFold reports whether s holds sub, lowercase words, as whole
// words in any ASCII case: "review" is not in "reviews". It looks for sub
// as written, then for sub capitalised, with the library's fast searches:
// a byte-by-byte scan was a tenth of a search call.
func containsWordFold(s, sub string) bool {
	whole := func(i int) bool {
		return (i == 0 || !isWordByte(s[i-1])) && (i+len(sub) == len(s) || !isWordByte(s[i+len(sub)]))
	}
	for off := 0; ; {
		i := strings.Index(s[off:], sub)
		if i < 0 {
			break
		}
		if i += off; whole(i) {
			return true
		}
		off = i + 1
	}
	if c := sub[0]; c >= 'a' && c <= 'z' {
		for off := 0; ; {
			i := strings.IndexByte(s[off:], c-'a'+'A')
			if i < 0 || off+i+len(sub) > len(s) {
				return false
			}
			if i += off; strings.EqualFold(s[i:i+len(sub)], sub) && whole(i) {
				return true
			}
			off = i + 1
		}
	}
	return false
}

// fieldTexts is doc's text in field f, for reasons: none for headings and
// the body, which the index does not keep, none for capabilities derived
// from the body (an agent that lists none), and none for examples, whose
// many long texts cost a search over the corpus another 15%.
func (ix *Index) fieldTexts(doc uint32, f field) []string {
	switch f {
	case fName:
		return ix.names[doc : doc+1]
	case fDescription:
		return ix.descs[doc : doc+1]
	case fAlias:
		return ix.docs[doc].Aliases
	case fTag:
		return ix.docs[doc].Tags
	case fCapability:
		return ix.docs[doc].Capabilities
	}
	return nil
}
