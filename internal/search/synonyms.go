package search

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"sync"
)

//go:embed synonyms.txt
var synonymsText string

// problemsText is the lexicon of problem vocabulary ("hacked", "spam
// folder", "idle") mapped to the domains that deal with it.
//
//go:embed problems.txt
var problemsText string

// phrase is one member of a synonym group: its display form and its words.
type phrase struct {
	text  string
	words []string
	// related marks a one-way ("=>") expansion: a broader or neighbouring
	// term rather than another name for the same thing, weighed lower.
	related bool
	// domain marks members from the problem lexicon (problems.txt).
	domain bool
}

// synonymTable maps a member (its words joined by one space) to the members
// it expands to.
type synonymTable struct {
	expand map[string][]phrase
	// stemmed maps the stems of one-way members' words to their
	// expansions, so "leaks" reads like "leaked"; exact members win.
	stemmed map[string][]phrase
	// starts holds the first word, and the first word's stem, of every
	// multi-word member, so phrase detection skips the other positions.
	starts map[string]bool
	// maxWords is the longest key in words, bounding phrase detection.
	maxWords int
}

// synonymTab parses the table on first use rather than at program start:
// a server answering from a cached index needs it only at its first query,
// and WarmUp lets that parse overlap the rest of start-up.
var synonymTab = sync.OnceValue(func() *synonymTable {
	t := mustParseSynonyms("synonyms.txt", synonymsText, nil)
	return mustParseSynonyms("problems.txt", problemsText, t)
})

// WarmUp prepares, in the background, what the first query needs and a
// cached index does not carry, so the first search does not pay for it.
func WarmUp() { go synonymTab() }

func mustParseSynonyms(name, text string, into *synonymTable) *synonymTable {
	t, err := parseSynonymsInto(name, text, into)
	if err != nil {
		panic(err)
	}
	return t
}

// parseSynonyms reads the synonyms.txt format: one group per line,
// "a, b, c" for mutual synonyms, "a => b, c" for a one-way expansion.
func parseSynonyms(text string) (*synonymTable, error) {
	return parseSynonymsInto("synonyms.txt", text, nil)
}

// parseSynonymsInto adds the groups of file name to t (a new table if nil).
//
// It runs at every start, before the first query can be answered (WarmUp
// overlaps it with the rest of start-up), so it does each piece of work
// once: a member spelt on many lines ("performance" is on hundreds of
// problems.txt's) is split into words, joined into its key and stemmed
// once, and a one-way group's expansions are one list shared by its exact
// and its stemmed key. That made it 1.55x quicker with half the
// allocations and a third less garbage (BenchmarkParseSynonyms, 3.2 -> 2.0
// ms), and a start with the built-in agents about 4 ms sooner.
func parseSynonymsInto(name, text string, t *synonymTable) (*synonymTable, error) {
	if t == nil {
		// Sized for both files (1,448 keys with expansions, 1,080 stemmed
		// keys, 649 starts) when they were half as long as today.
		t = &synonymTable{expand: make(map[string][]phrase, 1536), stemmed: make(map[string][]phrase, 1152), starts: make(map[string]bool, 768)}
	}
	p := memberParser{seen: make(map[string]*member, 1024)}
	var from, to []*member
	for n := 1; text != ""; n++ {
		var line string
		line, text, _ = strings.Cut(text, "\n")
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var err error
		l, r, oneWay := strings.Cut(line, "=>")
		if oneWay {
			if from, err = p.members(l, from[:0]); err == nil {
				to, err = p.members(r, to[:0])
			}
			if err == nil && len(from) != 1 {
				err = fmt.Errorf("left of => must be one member")
			}
		} else {
			from, err = p.members(line, from[:0])
			to = append(to[:0], from...)
			if err == nil && len(from) < 2 {
				err = fmt.Errorf("a group needs at least two members")
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %w", name, n, err)
		}
		for _, f := range from {
			if oneWay {
				t.addOneWay(f, to, name == "problems.txt")
			} else {
				for _, m := range to {
					if m.key != f.key {
						t.expand[f.key] = addPhrase(t.expand[f.key], m.phrase, len(to))
					}
				}
			}
			t.maxWords = max(t.maxWords, len(f.words))
			if len(f.words) > 1 {
				t.starts[f.words[0]] = true
				t.starts[stem(f.words[0])] = true
			}
		}
	}
	return t, nil
}

// addOneWay adds a "from => to" group: to's members, marked related (and
// domain, from the problem lexicon), under from's key and its stems.
func (t *synonymTable) addOneWay(from *member, to []*member, domain bool) {
	sk := from.stemKey()
	exact, stemmed := t.expand[from.key], t.stemmed[sk]
	if exact == nil && stemmed == nil {
		// Both keys are new, as they nearly always are: one list serves
		// both. It is clipped, so a later line's append to either copies
		// it rather than writing into the other's.
		list := make([]phrase, 0, len(to))
		for _, m := range to {
			if m.key != from.key {
				list = addPhrase(list, m.related(domain), len(to))
			}
		}
		t.expand[from.key], t.stemmed[sk] = slices.Clip(list), slices.Clip(list)
		return
	}
	for _, m := range to {
		if m.key != from.key {
			exact = addPhrase(exact, m.related(domain), len(to))
			stemmed = addPhrase(stemmed, m.related(domain), len(to))
		}
	}
	t.expand[from.key], t.stemmed[sk] = exact, stemmed
}

// member is one spelling of a group member, parsed once however many
// lines it is on.
type member struct {
	phrase
	key  string // its words joined by one space
	stem string // its words' stems joined by one space; "" until asked for
}

func (m *member) related(domain bool) phrase {
	p := m.phrase
	p.related, p.domain = true, domain
	return p
}

func (m *member) stemKey() string {
	if m.stem == "" {
		m.stem = stemKey(m.words)
	}
	return m.stem
}

type memberParser struct {
	seen map[string]*member
}

// members appends the comma-separated members of s to dst.
func (p *memberParser) members(s string, dst []*member) ([]*member, error) {
	all := s
	for more := true; more; {
		var m string
		m, s, more = strings.Cut(s, ",")
		m = strings.TrimSpace(strings.ToLower(m))
		mb, ok := p.seen[m]
		if !ok {
			w := words(m)
			if len(w) == 0 {
				return nil, fmt.Errorf("empty member in %q", all)
			}
			mb = &member{phrase: phrase{text: m, words: w}, key: strings.Join(w, " ")}
			p.seen[m] = mb
		}
		dst = append(dst, mb)
	}
	return dst, nil
}

// addPhrase adds p to ps unless it is there; a new list gets room for
// want phrases, the size of p's group, so that it grows at most once more.
func addPhrase(ps []phrase, p phrase, want int) []phrase {
	for _, q := range ps {
		if q.text == p.text {
			return ps
		}
	}
	if ps == nil {
		ps = make([]phrase, 0, want)
	}
	return append(ps, p)
}

// lookup returns the expansions of the member spelled by ws.
func (t *synonymTable) lookup(ws []string) []phrase {
	if ps, ok := t.expand[strings.Join(ws, " ")]; ok {
		return ps
	}
	return t.stemmed[stemKey(ws)]
}

// lookupPhrase is lookup for a run of query words whose stems are known;
// it reports nothing at once for a run no multi-word member starts like.
func (t *synonymTable) lookupPhrase(ws, stems []string) []phrase {
	if !t.starts[ws[0]] && !t.starts[stems[0]] {
		return nil
	}
	if ps, ok := t.expand[strings.Join(ws, " ")]; ok {
		return ps
	}
	return t.stemmed[strings.Join(stems, " ")]
}

func stemKey(ws []string) string {
	var b strings.Builder
	for i, w := range ws {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(stem(w))
	}
	return b.String()
}
