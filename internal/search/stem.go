package search

import "strings"

// stem reduces an English word to a crude root so that "deploying",
// "deployed", "deployments" and "deploy" meet. It is deliberately small: an
// inflection step (plural, -ing, -ed), one derivational step (-ization,
// -ation, -ment, -ness, -ity, -ance, -ence, -ion, -able, -er, -or, -ate,
// -ize, -ise), and a final silent-e removal so "cache" and "caching" agree.
// Roots may not be real words; they are only compared with each other. Words
// with digits and short words are left alone. The same function is used at
// index and query time, which is all that consistency requires.
func stem(w string) string {
	if len(w) <= 3 || !allLetters(w) {
		return w
	}
	if exceptions[w] {
		return w
	}
	w = inflection(w)
	if exceptions[w] { // "authorities": an authority
		return w
	}
	// Two derivational passes let "documentation" → "document" → "docu"
	// meet "document" → "docu".
	w = undouble(derivation(derivation(w)))
	if len(w) >= 4 && w[len(w)-1] == 'e' {
		w = w[:len(w)-1]
	}
	return w
}

// exceptions are words the suffix rules would mangle into another word.
var exceptions = map[string]bool{
	"business": true, "witness": true, "express": true, "ingress": true, "egress": true,
	// production is not product, nor is a station a stat.
	"production": true, "station": true,
	// -er that is not an agent noun: a customer is not custom, an engineer
	// not an engine, a folder not a fold, a landing page not land.
	"customer": true, "customers": true, "engineer": true, "engineers": true, "engineering": true,
	"folder": true, "folders": true, "landing": true, "number": true, "numbers": true,
	"answer": true, "answers": true, "corner": true, "paper": true, "banner": true,
	// -or and -ity cut an author and an authority down to "auth", which
	// is authentication's: "oauth" found an SEO authority builder first.
	"author": true, "authority": true,
	// Localization is not "local" (a local container setup, local-first).
	"localization": true, "localisation": true, "localize": true, "localise": true,
}

func allLetters(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] < 'a' || w[i] > 'z' {
			return false
		}
	}
	return true
}

func hasVowel(w string) bool {
	return strings.ContainsAny(w, "aeiouy")
}

func inflection(w string) string {
	switch {
	case strings.HasSuffix(w, "ies") && len(w) > 4:
		w = w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "ied") && len(w) > 4:
		return w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "sses"):
		w = w[:len(w)-2]
	case strings.HasSuffix(w, "ss"), strings.HasSuffix(w, "us"), strings.HasSuffix(w, "is"):
		// class, status, analysis, redis: not plurals.
	case strings.HasSuffix(w, "s") && len(w) > 3:
		w = w[:len(w)-1]
	}
	for _, suf := range [...]string{"ing", "ed"} {
		if strings.HasSuffix(w, suf) {
			root := w[:len(w)-len(suf)]
			if len(root) >= 3 && hasVowel(root) {
				// Restore the e that -ing/-ed swallowed where a derivational
				// suffix follows: "migrating" → "migrate", "optimized" → "optimize".
				if strings.HasSuffix(root, "at") || strings.HasSuffix(root, "iz") || strings.HasSuffix(root, "is") {
					return root + "e"
				}
				return undouble(root)
			}
			break
		}
	}
	return w
}

// undouble turns "runn" into "run" and "plann" into "plan"; ll, ss and zz
// stay ("install", "process", "buzz").
func undouble(w string) string {
	n := len(w)
	if n >= 2 && w[n-1] == w[n-2] && !strings.ContainsRune("aeioulsz", rune(w[n-1])) {
		return w[:n-1]
	}
	return w
}

// derivational suffixes, longest first; minRoot guards short words
// ("user", "order", "state") from being cut down to nothing.
var derivational = [...]struct {
	suffix  string
	minRoot int
}{
	{"ization", 3}, {"isation", 3}, {"ability", 3}, {"ibility", 3}, {"ation", 3},
	{"ment", 4}, {"ness", 4}, {"ance", 4}, {"ence", 4}, {"able", 4}, {"ible", 4},
	{"ity", 4}, {"ion", 4}, {"ure", 7}, {"ate", 4}, {"ize", 3}, {"ise", 4}, {"er", 4}, {"or", 4},
}

// derivationalByEnd lists the indexes into derivational of the suffixes
// ending in each letter, in derivational's order, so a word is compared only
// with the suffixes it could end in (a query stems its words and every
// member of their synonyms: comparing all nineteen suffixes twice a word was
// a tenth of a search_agents call's search).
var derivationalByEnd = func() (by [26][]uint8) {
	for i, d := range derivational {
		c := d.suffix[len(d.suffix)-1] - 'a'
		by[c] = append(by[c], uint8(i))
	}
	return by
}()

func derivation(w string) string {
	if len(w) == 0 || w[len(w)-1] < 'a' || w[len(w)-1] > 'z' {
		return w
	}
	for _, i := range derivationalByEnd[w[len(w)-1]-'a'] {
		d := derivational[i]
		if strings.HasSuffix(w, d.suffix) {
			root := w[:len(w)-len(d.suffix)]
			if len(root) >= d.minRoot && hasVowel(root) {
				return root
			}
			return w
		}
	}
	return w
}
