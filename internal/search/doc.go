// Package search ranks agents for a task so that work can be handed to the
// right specialist.
//
// The index is a field-weighted BM25 (BM25F) over name, aliases, tags,
// capabilities, examples, description, body headings and body text. Query
// words are matched through a light stemmer, a curated synonym table
// (synonyms.txt) and bounded edit distance, and every result carries the
// reasons it matched. An Index is immutable after NewIndex and safe for
// concurrent use.
package search
