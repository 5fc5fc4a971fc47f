// Package search ranks agents for a task so that work can be handed to the
// right specialist.
//
// NewIndex tokenizes every agent into eight fields: name (split on . - _),
// aliases, tags, capabilities (from the frontmatter, else DeriveCapabilities),
// examples, description, body headings and body text. Words are lowercased
// and reduced by a small English stemmer. Each (term, agent) posting keeps a
// BM25 term-frequency saturation summed over the fields with per-field
// weights and length normalisation, so the field weights bound what each
// field can contribute.
//
// A query is split into words (stopwords and request filler such as "need",
// "please" dropped); each word becomes a group of expansions: its own stem,
// its synonyms from synonyms.txt, the domains problems.txt maps everyday
// problem vocabulary to ("hacked" → security incident, "idle" → cost
// optimization), a library's name run together with "js" read as written
// apart ("reactjs": React.js, both words required), and, for words the
// catalog does not know, the nearest
// spellings by bounded Damerau-Levenshtein distance. Phrases from the two
// tables ("infrastructure as code", "broke into") form one group; one-way
// entries also match by stem ("leaks" for "leaked"), and an expansion to a
// word the query asks for itself is dropped. An agent scores, per group, the
// best of its expansions, weighted by a flattened idf (idf^0.75, capped at
// the asked word's own idf so a synonym never outweighs it; a problem word's
// domain terms are capped no lower than a fixed idf, since everyday words
// are common in agent texts; a phrase that must occur whole counts with the
// idf of the phrase, from the agents that have all its words) and
// discounted for synonyms and typos. Domain terms
// count only in the fields where an agent states what it is for (name,
// aliases, tags, capabilities, examples, description), and a multi-word one
// only whole: most agent bodies mention performance or security in passing,
// and "go" alone is not "go to market". When the query states a problem the
// lexicon knows, its other plain words (not synonyms, not typo corrections)
// count less, as the problem's context ("customer" and "sale" in "our
// customer database was leaked and is for sale online"). The sum is
// scaled by the share of groups matched to the power 0.7. Agents named by
// the query rank first. All constants are tuned as general rules on the
// development sets in testdata (go run ./internal/search/cmd/searcheval),
// never on the held-out halves.
//
// An Index is immutable after NewIndex and safe for concurrent use; a query
// walks only the postings of its terms, with pooled accumulators.
package search
