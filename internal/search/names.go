package search

import (
	"slices"
	"strings"
)

// parseNames finds agents named by the query: the whole query, any token
// that starts with "@" or contains a name separator, or a query of two or
// three words that is a name written with spaces for its separators ("test
// writer" for test.writer, "code reviewer" for code-reviewer). Failing an
// exact name, the whole query or a token is matched to names within the
// edit budget.
func (ix *Index) parseNames(q string, pl *plan) {
	exact := func(c string) {
		for _, d := range ix.handleDocs(c) {
			if !slices.Contains(pl.exact, d) {
				pl.exact = append(pl.exact, d)
			}
		}
	}
	cands := []string{trimHandle(q)}
	if strings.ContainsAny(q, " \t\n") {
		words := strings.Fields(q)
		for _, tok := range words {
			if strings.HasPrefix(tok, "@") || strings.ContainsAny(strings.Trim(tok, ".-_"), ".-_") {
				cands = append(cands, trimHandle(tok))
			}
		}
		if len(words) <= 3 {
			// Exact names only, not in cands: looking each spelling up
			// for typos too doubled the time of a search over the corpus.
			for _, sep := range []string{".", "-", "_"} {
				if joined := trimHandle(strings.Join(words, sep)); len(joined) >= minJoinedName {
					exact(joined)
				}
			}
		}
	}
	for _, c := range cands {
		exact(c)
	}
	if len(pl.exact) > 0 {
		return
	}
	for i, c := range cands {
		// The whole query only reads as a name if it is one token.
		if i == 0 && strings.ContainsAny(c, " \t\n") {
			continue
		}
		near, _ := ix.handleVocab.get().near(c)
		for _, h := range near {
			for _, d := range ix.handleDocs(h) {
				pl.nameTypos = append(pl.nameTypos, nameTypo{doc: d, from: c, to: h})
			}
		}
	}
}

func trimHandle(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimLeft(s, "@\"'`(")
	return strings.TrimRight(s, "\"'`).,;:!?")
}

// minJoinedName is the shortest name a query's words joined by a separator
// is read as: shorter ones ("go.ai") would be near too many names.
const minJoinedName = 8
