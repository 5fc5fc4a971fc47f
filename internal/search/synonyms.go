package search

import (
	_ "embed"
	"fmt"
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
func parseSynonymsInto(name, text string, t *synonymTable) (*synonymTable, error) {
	if t == nil {
		// Sized for both files (1,448 members with expansions, 1,080
		// stemmed keys, 649 starts): with the lists' room (addPhrase), 1.32
		// -> 1.04 ms and 848 -> 669 KB a parse (BenchmarkParseSynonyms),
		// when the files were half as long.
		t = &synonymTable{expand: make(map[string][]phrase, 1536), stemmed: make(map[string][]phrase, 1152), starts: make(map[string]bool, 768)}
	}
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var from, to []phrase
		var err error
		if l, r, ok := strings.Cut(line, "=>"); ok {
			if from, err = parseMembers(l); err == nil {
				to, err = parseMembers(r)
			}
			for i := range to {
				to[i].related = true
				to[i].domain = name == "problems.txt"
			}
			if err == nil && len(from) != 1 {
				err = fmt.Errorf("left of => must be one member")
			}
		} else {
			from, err = parseMembers(line)
			to = from
			if err == nil && len(from) < 2 {
				err = fmt.Errorf("a group needs at least two members")
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %w", name, n+1, err)
		}
		// Keys are worked out once per member, not once per pair: this
		// parse runs at every start (WarmUp), and took 15% longer.
		toKeys := make([]string, len(to))
		for i, m := range to {
			toKeys[i] = strings.Join(m.words, " ")
		}
		for _, f := range from {
			key := strings.Join(f.words, " ")
			sk := ""
			for i, m := range to {
				if toKeys[i] != key {
					t.expand[key] = addPhrase(t.expand[key], m, len(to))
					if m.related {
						if sk == "" {
							sk = stemKey(f.words)
						}
						t.stemmed[sk] = addPhrase(t.stemmed[sk], m, len(to))
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

func parseMembers(s string) ([]phrase, error) {
	var out []phrase
	for _, m := range strings.Split(s, ",") {
		m = strings.TrimSpace(strings.ToLower(m))
		w := words(m)
		if len(w) == 0 {
			return nil, fmt.Errorf("empty member in %q", s)
		}
		out = append(out, phrase{text: m, words: w})
	}
	return out, nil
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
