package search

import "testing"

func BenchmarkZZParseSynonyms(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		t := mustParseSynonyms("synonyms.txt", synonymsText, nil)
		mustParseSynonyms("problems.txt", problemsText, t)
	}
}
