package search

import "testing"

// TestCachedIndexProblemQueries checks that an index restored from the
// start-up cache ranks and explains the problem-first queries exactly as
// the index it was saved from: the problem lexicon and its domain weighting
// live outside the cached data, so nothing the cache drops may change them.
func TestCachedIndexProblemQueries(t *testing.T) {
	var queries []string
	var set EvalSet
	for _, file := range []string{"testdata/relevance_problems_dev.json", "testdata/relevance_problems_test.json"} {
		set = loadRelevanceTB(t, file)
		for _, q := range set.Queries {
			queries = append(queries, q.Query)
		}
	}
	agents := loadSetCatalog(t, set)
	built := NewIndex(agents)
	cached, err := gobRoundTrip(t, built, agents)
	if err != nil {
		t.Fatal(err)
	}
	sameSearches(t, built, cached, queries)
}
