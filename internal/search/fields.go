package search

import "github.com/mcp-agents/mcp-agents/internal/agent"

// field is one indexed part of an agent, in the order reasons list them.
type field uint8

const (
	fName field = iota
	fAlias
	fTag
	fCapability
	fExample
	fDescription
	fHeading
	fBody
	numFields
)

var fieldLabel = [numFields]string{"name", "alias", "tag", "capability", "example", "description", "heading", "body"}

// anyField and intentFields are posting masks. intentFields are the fields
// in which an agent states what it is for; headings and body text also
// mention, in passing, what it merely touches.
const (
	anyField     uint8 = 1<<numFields - 1
	intentFields uint8 = 1<<fName | 1<<fAlias | 1<<fTag | 1<<fCapability | 1<<fExample | 1<<fDescription
)

// params are the ranking constants. They are tuned as general rules, never
// per query, on the development sets (searcheval -sweep), not on the
// held-out ones.
type params struct {
	weight [numFields]float64
	b      [numFields]float64
	k1     float64
	// synonym, related, typo1 and typo2 discount matches through a synonym,
	// a one-way related term, and at edit distance one and two.
	synonym, related, typo1, typo2 float64
	// domain discounts matches through the problem lexicon.
	domain float64
	// coord rewards covering more of the query: the summed score is
	// multiplied by (matched groups / groups) ^ coord, so that one word
	// matched strongly (a name) weighs less against an agent matching
	// most of a long description of a problem.
	coord float64
	// perField saturates each field separately and sums the weighted
	// results (so a field's weight bounds its contribution), instead of
	// saturating the weighted sum of frequencies (classic BM25F).
	perField bool
	// idfPow sharpens idf (idf^idfPow), weighting rare query words more.
	idfPow float64
	// domainIDF bounds how far the everyday word that led to a
	// problem-lexicon expansion can cap its idf: a domain term counts with
	// its own idf (or its phrase's), capped at max(word's idf, domainIDF).
	domainIDF float64
	// domainIntent counts a problem-lexicon expansion only where an agent
	// states its intent (intentFields), and a multi-word one only whole.
	// The lexicon's domain terms ("performance", "security incident")
	// appear in passing in most agent bodies, and a part of one ("go" of
	// "go to market", "data" of "data breach") is a different concept.
	domainIntent bool
	// context scales the words of a query that states a problem the
	// lexicon knows, other than the problem words themselves and names
	// with synonyms or typo corrections: "customer" and "sale" in "our
	// customer database was leaked and is for sale online" say where the
	// problem is, not who should handle it. 1 turns it off.
	context float64
	// phraseIDF weighs an expansion that needs all of several terms by
	// the idf of the phrase as a whole rather than of each term apart.
	phraseIDF bool
	// noLexicon leaves problems.txt out, to measure the ranker on problem
	// vocabulary no one has written down (Variants).
	noLexicon bool
}

var defaultParams = params{
	weight:       [numFields]float64{fName: 6, fAlias: 5, fTag: 4, fCapability: 3, fExample: 2, fDescription: 3, fHeading: 1.5, fBody: 1},
	b:            [numFields]float64{fName: 0.3, fAlias: 0.3, fTag: 0.5, fCapability: 0.5, fExample: 0.5, fDescription: 0.5, fHeading: 0.6, fBody: 0.75},
	k1:           1.2,
	synonym:      0.9,
	related:      0.6,
	domain:       0.6,
	typo1:        0.75,
	typo2:        0.55,
	coord:        0.7,
	perField:     true,
	idfPow:       0.75,
	domainIDF:    4,
	domainIntent: true,
	context:      0.6,
	phraseIDF:    true,
}

// fieldTexts returns the texts indexed for a in each field. Capabilities fall
// back to those derived from the body when the frontmatter lists none.
func fieldTexts(a *agent.Agent, fn func(f field, text string)) {
	fn(fName, a.Name)
	for _, s := range a.Aliases {
		fn(fAlias, s)
	}
	for _, s := range a.Tags {
		fn(fTag, s)
	}
	// An index is built from agents loaded from files, whose texts are at
	// hand; one that cannot be read is indexed without its body.
	_, body, _ := a.Text()
	headings, derived := scanBody(body)
	caps := a.Capabilities
	if len(caps) == 0 {
		caps = derived
	}
	for _, s := range caps {
		fn(fCapability, s)
	}
	for _, s := range a.Examples {
		fn(fExample, s)
	}
	fn(fDescription, a.Description)
	for _, s := range headings {
		fn(fHeading, s)
	}
	fn(fBody, body)
}
