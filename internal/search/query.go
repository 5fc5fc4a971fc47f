package search

import (
	"cmp"
	"math"
	"slices"
	"strings"
)

// Limits that bound the work of one query whatever the input.
const (
	maxQueryBytes = 1024
	maxQueryWords = 32
)

type matchKind uint8

const (
	kindExact matchKind = iota
	kindSynonym
	kindTypo
)

// expansion is one way a query word can match: a term (or, for a synonym
// phrase, several terms whose mean counts) at a weight.
type expansion struct {
	terms  []int32
	weight float32
	kind   matchKind
	// to is what the word was read as: the spelling matched for typos, the
	// phrase for synonyms, the stem's usual spelling otherwise.
	to string
	// via is the typo correction a synonym was reached through, if any.
	via string
	// related marks a one-way expansion to a neighbouring term (the
	// "=>" entries of synonyms.txt and problems.txt).
	related bool
	// domain marks an expansion from the problem lexicon: the word asked
	// is everyday vocabulary, common in agent texts, so its own idf would
	// understate the domain term it stands for.
	domain bool
	// all requires every term to occur (a literal phrase); otherwise the
	// terms a document lacks count as zero in the mean.
	all bool
	// fields is the posting mask a match must intersect: anyField, or
	// intentFields for problem-lexicon expansions.
	fields uint8
	// phraseIDF, when positive, is the idf of an all-terms expansion as a
	// whole, from the documents that have every term.
	phraseIDF float32
}

// group is one query word (or synonym phrase found in the query) with all
// the ways it can match. A document scores the best of a group's expansions,
// so "k8s" and "kubernetes" in one agent do not count twice.
type group struct {
	word string
	exps []expansion
	// scale multiplies the group's score: params.context for a context
	// word, else 1.
	scale float32
	// ownIDF is the idf of the word itself when the index knows it, else
	// +Inf. An expansion term counts with the smaller of its own idf and
	// this, so a rare word cannot lend its weight to a common synonym, and a
	// rare synonym cannot outweigh the word asked for.
	ownIDF float32
}

// termIDF is the idf term t of e counts with in g.
func (ix *Index) termIDF(g *group, e *expansion, t int32) float32 {
	idf := ix.idf[t]
	if e.phraseIDF > 0 {
		idf = e.phraseIDF
	}
	if e.domain {
		return min(max(g.ownIDF, float32(ix.p.domainIDF)), idf)
	}
	return min(g.ownIDF, idf)
}

// setPhraseIDF gives each expansion that needs all of several terms (a
// phrase) the idf of the phrase as a whole, from the documents that have
// every term: "security incident" is rarer, and so more telling, than
// "security" and "incident" apart.
func (ix *Index) setPhraseIDF(groups []group) {
	if !ix.p.phraseIDF {
		return
	}
	for gi := range groups {
		for ei := range groups[gi].exps {
			if e := &groups[gi].exps[ei]; e.all && len(e.terms) > 1 {
				if df := ix.phraseDF(e); df > 0 {
					e.phraseIDF = float32(ix.idfOf(df))
				}
			}
		}
	}
}

// phraseDF counts the documents that have every term of e (in e's fields),
// walking the first term's postings and searching the others'.
func (ix *Index) phraseDF(e *expansion) int {
	var buf [4][]posting
	lists := buf[:0]
	for _, t := range e.terms {
		lists = append(lists, ix.postings[t])
	}
	df := 0
next:
	for _, p := range lists[0] {
		if p.mask&e.fields == 0 {
			continue
		}
		for i := 1; i < len(lists); i++ {
			l := lists[i]
			j, _ := slices.BinarySearchFunc(l, p.doc, func(q posting, d uint32) int { return cmp.Compare(q.doc, d) })
			lists[i] = l[j:]
			if j == len(l) || l[j].doc != p.doc || l[j].mask&e.fields == 0 {
				continue next
			}
		}
		df++
	}
	return df
}

// plan is a parsed query.
type plan struct {
	groups []group
	// exact are docs named by the query; nameTypos are docs whose name is
	// within the edit budget of a name-like query token.
	exact     []uint32
	nameTypos []nameTypo
}

type nameTypo struct {
	doc      uint32
	from, to string
}

func (ix *Index) parse(query string) plan {
	q := strings.ToLower(foldDiacritics(strings.TrimSpace(query)))
	if len(q) > maxQueryBytes {
		q = q[:maxQueryBytes]
	}
	var pl plan
	ix.parseNames(q, &pl)

	all := words(q)
	if len(all) > 2*maxQueryWords {
		all = all[:2*maxQueryWords]
	}
	// Multi-word members of the synonym table ("infrastructure as code",
	// "broke into", "new hires") are read as one concept: their words form
	// one group instead of one group each, longest phrases first. Stopwords
	// are kept for this matching, since members contain them.
	consumed := make([]bool, len(all))
	var phrases []group
	tab := synonymTab()
	var stems []string
	if tab.maxWords >= 2 && len(all) >= 2 {
		stems = make([]string, len(all))
		for i, w := range all {
			stems[i] = stem(w)
		}
	}
	for n := min(tab.maxWords, len(all)); n >= 2; n-- {
		for i := 0; i+n <= len(all); i++ {
			if slices.Contains(consumed[i:i+n], true) {
				continue
			}
			key := all[i : i+n]
			syns := tab.lookupPhrase(key, stems[i:i+n])
			if len(syns) == 0 {
				continue
			}
			g := ix.synonymGroup(strings.Join(key, " "), syns, 1)
			if self, ok := ix.phraseExpansion(key); ok {
				g.exps = append([]expansion{self}, g.exps...)
			}
			if len(g.exps) == 0 {
				continue
			}
			for j := i; j < i+n; j++ {
				consumed[j] = true
			}
			phrases = append(phrases, g)
		}
	}
	seen := make(map[string]bool)
	for i, w := range all {
		if consumed[i] || len(pl.groups) >= maxQueryWords || len(w) < 2 || isDigits(w) ||
			stopwords[w] || queryFiller[w] || seen[w] || goAsAVerb(all, i) {
			continue
		}
		seen[w] = true
		if g := ix.wordGroup(w); len(g.exps) > 0 {
			pl.groups = append(pl.groups, g)
		}
	}
	pl.groups = append(pl.groups, phrases...)
	dropAsked(pl.groups)
	pl.groups = slices.DeleteFunc(pl.groups, func(g group) bool { return len(g.exps) == 0 })
	ix.scaleContext(pl.groups)
	ix.setPhraseIDF(pl.groups)
	return pl
}

// scaleContext sets each group's scale: when some group reaches the problem
// lexicon, the groups that match only literally are the problem's context.
func (ix *Index) scaleContext(groups []group) {
	literal := func(g group) bool {
		return !slices.ContainsFunc(g.exps, func(e expansion) bool { return e.kind != kindExact })
	}
	problem := slices.ContainsFunc(groups, func(g group) bool {
		return slices.ContainsFunc(g.exps, func(e expansion) bool { return e.domain })
	})
	for gi := range groups {
		groups[gi].scale = 1
		if problem && literal(groups[gi]) {
			groups[gi].scale = float32(ix.p.context)
		}
	}
}

// dropAsked removes expansions to words the query asks for itself
// ("dashboard of business kpis": kpis → dashboard), which would count the
// asked word twice.
func dropAsked(groups []group) {
	var asked []int32
	for _, g := range groups {
		for _, e := range g.exps {
			if e.kind != kindSynonym && len(e.terms) == 1 {
				asked = append(asked, e.terms[0])
			}
		}
	}
	for gi := range groups {
		g := &groups[gi]
		g.exps = slices.DeleteFunc(g.exps, func(e expansion) bool {
			return e.kind == kindSynonym && !slices.ContainsFunc(e.terms, func(t int32) bool { return !slices.Contains(asked, t) })
		})
	}
}

// phraseExpansion matches a multi-word phrase literally: every one of its
// (non-stopword) words must occur in the agent. Phrases of fewer than two
// such words are left to their synonyms.
func (ix *Index) phraseExpansion(ws []string) (expansion, bool) {
	var ts []int32
	n := 0
	for _, w := range ws {
		if stopwords[w] {
			continue
		}
		n++
		t, ok := ix.terms.get(stem(w))
		if !ok {
			return expansion{}, false
		}
		if !slices.Contains(ts, t) {
			ts = append(ts, t)
		}
	}
	if n < 2 {
		return expansion{}, false
	}
	return expansion{terms: ts, weight: 1, kind: kindExact, to: strings.Join(ws, " "), all: true, fields: anyField}, true
}

// wordGroup expands one query word: its own stem, synonyms from the table,
// and, if the word is unknown to the index, its nearest spellings.
func (ix *Index) wordGroup(w string) group {
	g := group{word: w, ownIDF: float32(math.Inf(1))}
	st := stem(w)
	known := false
	if t, ok := ix.terms.get(st); ok {
		kind := kindExact
		// An unseen spelling that stems like a known word is a typo if it is
		// near that word's usual spelling ("kubernets"), else an inflection.
		rep := ix.surface[t]
		known, g.ownIDF = true, ix.idf[t]
		if _, seen := ix.surfaceTerm.get(w); !seen && !inflected(w, rep) && editDistance(w, rep, maxTypos(len(w))) <= maxTypos(len(w)) {
			kind = kindTypo
		}
		g.exps = append(g.exps, expansion{terms: []int32{t}, weight: 1, kind: kind, to: rep, fields: anyField})
		// A misspelling that stems like one word can be as near another:
		// "enginer" stems like engine, and is one letter from engineer too.
		if kind == kindTypo && len(w) > 5 {
			if near, d := ix.vocab.get().near(w); d == editDistance(w, rep, d) {
				ix.addTypos(&g, ix.frequentSpellings(near), d, t)
			}
		}
	}
	syns := synonymTab().lookup([]string{w})
	g.exps = append(g.exps, ix.synonymGroup(w, syns, 1).exps...)
	split := false
	if e, ok := ix.jsLibrary(w); ok {
		g.exps, split = append(g.exps, e), true
	}
	if known || len(syns) > 0 || split {
		return g
	}
	near, d := ix.vocab.get().near(w)
	if len(near) == 0 {
		if e, ok := ix.compound(w); ok {
			g.exps = append(g.exps, e)
		}
		return g
	}
	near = ix.frequentSpellings(near)
	// A short word with several equally near words ("lots": lets, logs)
	// is more likely a word the catalog lacks than a typo; spellings of one
	// word ("dockr": dock, docker) are one candidate.
	if len(w) <= 5 && slices.ContainsFunc(near, func(s string) bool { return ix.spellingTerm(s) != ix.spellingTerm(near[0]) }) {
		return g
	}
	ix.addTypos(&g, near, d, -1)
	return g
}

// addTypos adds to g the terms of near, spellings at edit distance d from
// its word, but not the term skip (already read).
func (ix *Index) addTypos(g *group, near []string, d int, skip int32) {
	weight := ix.p.typo1
	if d == 2 {
		weight = ix.p.typo2
	}
	done := []int32{skip}
	for _, s := range near {
		t, _ := ix.surfaceTerm.get(s)
		if slices.Contains(done, t) {
			continue
		}
		done = append(done, t)
		// Of several near spellings of one word, its usual one reads best
		// and is the one synonyms.txt knows ("dockr": docker, not dock).
		if slices.Contains(near, ix.surface[t]) {
			s = ix.surface[t]
		}
		g.exps = append(g.exps, expansion{terms: []int32{t}, weight: float32(weight), kind: kindTypo, to: s, fields: anyField})
		// The corrected word brings its synonyms ("postgress" → postgres →
		// postgresql), discounted for both steps.
		for _, e := range ix.synonymGroup(s, synonymTab().lookup([]string{s}), weight).exps {
			e.via = s
			g.exps = append(g.exps, e)
		}
	}
}

// compound reads a word the index lacks as two words it holds, written
// together: "springboot" as Spring Boot, "dataops" as data ops. Both must
// occur. Of several splits, the most even one.
func (ix *Index) compound(w string) (expansion, bool) {
	best, bestSplit := expansion{}, 0
	for i := 4; i <= len(w)-4; i++ {
		a, b := w[:i], w[i:]
		ta, oka := ix.surfaceTerm.get(a)
		tb, okb := ix.surfaceTerm.get(b)
		if !oka || !okb || ta == tb || stopwords[a] || stopwords[b] {
			continue
		}
		if even := min(len(a), len(b)); even > bestSplit {
			bestSplit = even
			best = expansion{terms: []int32{ta, tb}, weight: float32(ix.p.synonym), kind: kindSynonym,
				to: a + " " + b, all: true, fields: anyField}
		}
	}
	return best, bestSplit > 0
}

// jsLibrary reads "reactjs" or "vuejs" as the JavaScript library's usual
// spelling, "React.js", which the index holds as two words: both must occur.
func (ix *Index) jsLibrary(w string) (expansion, bool) {
	base, ok := strings.CutSuffix(w, "js")
	base = strings.TrimSuffix(base, ".")
	if !ok || len(base) < 2 {
		return expansion{}, false
	}
	tb, okb := ix.terms.get(stem(base))
	tj, okj := ix.terms.get("js")
	if !okb || !okj || tb == tj {
		return expansion{}, false
	}
	return expansion{terms: []int32{tb, tj}, weight: float32(ix.p.synonym), kind: kindSynonym,
		to: base + ".js", all: true, fields: anyField}, true
}

// inflected reports whether a and b differ by an inflectional ending
// ("deploys" and "deploy"), which reasons call a stem, not a typo.
func inflected(a, b string) bool {
	if len(a) < len(b) {
		a, b = b, a
	}
	if !strings.HasPrefix(a, b) {
		return false
	}
	switch a[len(b):] {
	case "s", "es", "d", "ed", "ing", "er", "ers":
		return true
	}
	return false
}

// frequentSpellings drops candidate spellings used in under a tenth as many
// agents as the most used one: "pythn" means "python", not a stray "pyth".
func (ix *Index) frequentSpellings(near []string) []string {
	best := 0
	for _, s := range near {
		best = max(best, len(ix.postings[ix.spellingTerm(s)]))
	}
	out := near[:0:0]
	for _, s := range near {
		if len(ix.postings[ix.spellingTerm(s)])*10 >= best {
			out = append(out, s)
		}
	}
	return out
}

// synonymGroup turns synonym phrases into expansions over indexed terms,
// with weights scaled by scale.
func (ix *Index) synonymGroup(word string, syns []phrase, scale float64) group {
	g := group{word: word, ownIDF: float32(math.Inf(1))}
	for _, ph := range syns {
		if ph.domain && ix.p.noLexicon {
			continue
		}
		var ts []int32
		dropped := false
		for _, w := range ph.words {
			if stopwords[w] {
				dropped = true
				continue
			}
			t, ok := ix.terms.get(stem(w))
			if !ok {
				ts = nil
				break
			}
			if !slices.Contains(ts, t) {
				ts = append(ts, t)
			}
		}
		// The index holds no stopwords: a phrase left with one word by
		// them ("log in", "on call") would match that word anywhere
		// ("logs", "tool-calling") and say it found the phrase.
		if len(ts) == 0 || dropped && len(ts) == 1 {
			continue
		}
		w := ix.p.synonym * scale
		if ph.related {
			w = ix.p.related * scale
		}
		if ph.domain {
			w = ix.p.domain * scale
		}
		e := expansion{terms: ts, weight: float32(w), kind: kindSynonym, to: ph.text, related: ph.related, domain: ph.domain, fields: anyField}
		if ph.domain && ix.p.domainIntent {
			e.fields, e.all = intentFields, true
		}
		g.exps = append(g.exps, e)
	}
	return g
}

// goAsAVerb reports whether words[i] is "go" used as a verb ("what could go
// wrong", "pages go blank"), which says nothing about the specialist wanted,
// rather than the language ("go modules", "review my Go code", "go").
func goAsAVerb(words []string, i int) bool {
	return words[i] == "go" && i+1 < len(words) && goComplements[words[i+1]]
}

// goComplements are the words that make "go" a verb of a phrase.
var goComplements = setOf(`wrong down up live out off away back through over missing blank bad dark
ahead viral unnoticed unanswered stale crazy haywire sideways south quiet`)
