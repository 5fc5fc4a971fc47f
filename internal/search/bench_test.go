package search

import (
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcp-agents/mcp-agents/internal/agent"
)

const benchAgents = 10000

var benchCatalog = sync.OnceValue(func() []*agent.Agent { return syntheticCatalog(benchAgents, 1) })

func BenchmarkBuildIndex(b *testing.B) {
	agents := benchCatalog()
	var size int
	for _, a := range agents {
		size += len(a.Body)
	}
	b.ReportAllocs()
	for b.Loop() {
		NewIndex(agents)
	}
	b.ReportMetric(float64(size)/float64(len(agents)), "body-bytes/agent")
}

// benchQueries mixes keyword queries, longer task descriptions, typos,
// abbreviations and agent names, drawn deterministically from the catalog.
func benchQueries(agents []*agent.Agent, n int) []string {
	r := rand.New(rand.NewPCG(7, 11))
	abbrevs := []string{"k8s", "pg", "js", "ts", "py", "tf", "iac", "a11y", "ci/cd", "db", "ml", "llm", "ui", "ux", "api", "auth", "perf", "sec"}
	out := make([]string, n)
	for i := range out {
		a := agents[r.IntN(len(agents))]
		ws := words(a.Description)
		pick := func(k int) string {
			var q []string
			for range k {
				q = append(q, ws[r.IntN(len(ws))])
			}
			return strings.Join(q, " ")
		}
		switch i % 6 {
		case 0:
			out[i] = pick(1 + r.IntN(2))
		case 1:
			out[i] = "I need someone to " + pick(6+r.IntN(8)) + " for our team"
		case 2:
			w := []byte(techWords[r.IntN(len(techWords))] + "ing")
			j := r.IntN(len(w) - 1)
			w[j], w[j+1] = w[j+1], w[j]
			out[i] = string(w) + " " + pick(2)
		case 3:
			out[i] = abbrevs[r.IntN(len(abbrevs))] + " " + pick(2)
		case 4:
			out[i] = "@" + a.Name
		default:
			out[i] = pick(3 + r.IntN(3))
		}
	}
	return out
}

// benchSearch runs the queries round-robin, reporting per-query p50 and p99
// latency besides the mean.
func benchSearch(b *testing.B, ix *Index, queries []string) {
	b.Helper()
	lat := make([]time.Duration, 0, 1<<16)
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		start := time.Now()
		ix.Search(queries[i%len(queries)], 10)
		if len(lat) < cap(lat) {
			lat = append(lat, time.Since(start))
		}
		i++
	}
	b.StopTimer()
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	}
}

func BenchmarkSearch(b *testing.B) {
	agents := benchCatalog()
	ix := NewIndex(agents)
	// The typo indexes are built once, by the first query that needs them;
	// the benchmark measures queries, not that one-time build.
	ix.vocab.get()
	ix.handleVocab.get()
	benchSearch(b, ix, benchQueries(agents, 2000))
}

func BenchmarkSearchCorpus(b *testing.B) {
	agents := loadCorpus(b, "acolytes", "voltagent", "wshobson")
	ix := NewIndex(agents)
	ix.vocab.get()
	ix.handleVocab.get()
	var queries []string
	for _, file := range []string{"testdata/relevance.json", "testdata/relevance_acolytes.json"} {
		for _, q := range loadRelevanceTB(b, file).Queries {
			queries = append(queries, q.Query)
		}
	}
	benchSearch(b, ix, queries)
}

// BenchmarkSearchProblems runs the problem-first development queries over
// the built-ins and the corpus: long, everyday phrasings that reach the
// problem lexicon and its phrases far more than the other benchmarks do.
func BenchmarkSearchProblems(b *testing.B) {
	set := loadRelevanceTB(b, "testdata/relevance_problems_dev.json")
	ix := NewIndex(loadSetCatalog(b, set))
	ix.vocab.get()
	ix.handleVocab.get()
	var queries []string
	for _, q := range set.Queries {
		queries = append(queries, q.Query)
	}
	benchSearch(b, ix, queries)
}
