package search

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/gob"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/mcp-agents/mcp-agents/internal/agent"
)

// loadBuiltins loads the agents shipped with the program (../../agents).
func loadBuiltins(tb testing.TB) []*agent.Agent {
	tb.Helper()
	dir := filepath.Join("..", "..", "agents")
	cat, _, err := agent.Load(context.Background(), []agent.Source{{Label: "builtin", Root: dir, FS: os.DirFS(dir)}})
	if err != nil || cat.Len() == 0 {
		tb.Fatalf("no agents loaded from %s", dir)
	}
	return cat.All()
}

// snapshotQueries are the relevance benchmark queries, each also with a
// typo (two letters of its longest word swapped) and, per agent, its name
// in the forms users type it, misspelt, and its aliases.
func snapshotQueries(tb testing.TB, agents []*agent.Agent) []string {
	tb.Helper()
	var qs []string
	for _, file := range []string{"testdata/relevance.json", "testdata/relevance_acolytes.json", "testdata/relevance_holdout.json"} {
		for _, q := range loadRelevanceTB(tb, file).Queries {
			qs = append(qs, q.Query, swapLetters(q.Query))
		}
	}
	// Names: all of a small catalog, a sample of a large one.
	step := max(1, len(agents)/60)
	for i := 0; i < len(agents); i += step {
		a := agents[i]
		qs = append(qs, a.Name, "@"+a.Name, "ask "+swapLetters(a.Name)+" about it", strings.ToUpper(a.Name)+" please")
		for _, al := range a.Aliases {
			qs = append(qs, "@"+al)
		}
	}
	return append(qs, "kubernets", "postgress replication", "infrastructure as code", "k8s", "", "   ", "the of and",
		"pythn asyncio", "@nobody.at.all", strings.Repeat("deploy ", 100))
}

// swapLetters transposes the middle letters of s's longest word.
func swapLetters(s string) string {
	ws := strings.Fields(s)
	if len(ws) == 0 {
		return s
	}
	long := 0
	for i, w := range ws {
		if len(w) > len(ws[long]) {
			long = i
		}
	}
	w := []byte(ws[long])
	if len(w) >= 4 {
		m := len(w) / 2
		w[m-1], w[m] = w[m], w[m-1]
	}
	ws[long] = string(w)
	return strings.Join(ws, " ")
}

type searchOutcome struct {
	Results []Result
	Total   int
}

// sameSearches fails unless got ranks every query exactly as want does.
func sameSearches(t *testing.T, want, got *Index, queries []string) {
	t.Helper()
	for i, q := range queries {
		limits := []int{10}
		if i%8 == 0 {
			limits = append(limits, 1000) // every match, deep in the ranking
		}
		for _, limit := range limits {
			wr, wt := want.Search(q, limit)
			gr, gt := got.Search(q, limit)
			if diff := cmp.Diff(searchOutcome{wr, wt}, searchOutcome{gr, gt}); diff != "" {
				t.Fatalf("Search(%q, %d) on the decoded index differs (-built +decoded):\n%s", q, limit, diff)
			}
		}
	}
}

// gobRoundTrip stores ix's snapshot as the start-up cache does and
// rebuilds the index for agents.
func gobRoundTrip(tb testing.TB, ix *Index, agents []*agent.Agent) (*Index, error) {
	tb.Helper()
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(ix.Snapshot()); err != nil {
		tb.Fatalf("encoding: %v", err)
	}
	var s Snapshot
	if err := gob.NewDecoder(&buf).Decode(&s); err != nil {
		tb.Fatalf("decoding: %v", err)
	}
	return FromSnapshot(&s, agents)
}

// indexCmp compares every field of two indexes except the lazily built
// typo indexes and the scratch pool; the agents, which both are given, by
// name. A field added to Index that the snapshot does not carry makes
// TestSnapshotRoundTrip fail here.
var indexCmp = cmp.Options{
	cmp.AllowUnexported(Index{}, strDict{}, posting{}, params{}),
	cmp.Comparer(func(a, b *agent.Agent) bool { return a.Name == b.Name }),
	cmpopts.IgnoreTypes(lazyTypo{}, sync.Pool{}),
	cmpopts.EquateEmpty(),
}

func TestSnapshotRoundTrip(t *testing.T) {
	sets := []struct {
		name   string
		agents func(testing.TB) []*agent.Agent
	}{
		{"builtin", loadBuiltins},
		{"corpus", func(tb testing.TB) []*agent.Agent { return loadCorpus(tb, "acolytes", "voltagent", "wshobson") }},
	}
	for _, s := range sets {
		t.Run(s.name, func(t *testing.T) {
			agents := s.agents(t)
			built := NewIndex(agents)
			decoded, err := gobRoundTrip(t, built, agents)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(built, decoded, indexCmp); diff != "" {
				t.Fatalf("decoded index differs (-built +decoded):\n%s", diff)
			}
			queries := snapshotQueries(t, agents)
			sameSearches(t, built, decoded, queries)
			// The order agents come in does not matter (NewIndex sorts them).
			rev := make([]*agent.Agent, 0, len(agents)+1)
			for i := len(agents) - 1; i >= 0; i-- {
				rev = append(rev, agents[i])
			}
			decoded, err = gobRoundTrip(t, built, append(rev, nil))
			if err != nil {
				t.Fatal(err)
			}
			sameSearches(t, built, decoded, queries[:min(len(queries), 50)])
		})
	}
}

func TestSnapshotEmptyCatalog(t *testing.T) {
	ix, err := gobRoundTrip(t, NewIndex(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res, total := ix.Search("kubernetes", 5); len(res) != 0 || total != 0 {
		t.Fatalf("empty index found %v, %d", res, total)
	}
	if _, err := gobRoundTrip(t, NewIndex(nil), loadBuiltins(t)); err == nil {
		t.Fatal("a snapshot of no agents was accepted for the built-in catalog")
	}
}

// A snapshot that could make Search index out of range or answer with the
// wrong document is refused, naming what is wrong.
func TestFromSnapshotRejects(t *testing.T) {
	agents := loadBuiltins(t)
	ndocs := uint32(len(agents))
	// longList is a term with at least two postings.
	longList := func(s *Snapshot) int {
		for t := range len(s.PostingEnds) - 1 {
			if s.PostingEnds[t+1]-s.PostingEnds[t] >= 2 {
				return int(s.PostingEnds[t])
			}
		}
		t.Fatal("no term has two postings")
		return 0
	}
	// spoilDocs lets change change the docs of the postings, and encodes
	// them again as gaps (a doc below the one before wraps around).
	spoilDocs := func(change func(docs []uint32)) func(s *Snapshot) {
		return func(s *Snapshot) {
			var docs []uint32
			gaps := s.PostingGaps
			for t := range len(s.PostingEnds) - 1 {
				doc := uint64(0)
				for range s.PostingEnds[t+1] - s.PostingEnds[t] {
					gap, n := binary.Uvarint(gaps)
					gaps, doc = gaps[n:], doc+gap
					docs = append(docs, uint32(doc))
				}
			}
			change(docs)
			s.PostingGaps = nil
			for t := range len(s.PostingEnds) - 1 {
				prev := uint64(0)
				for _, d := range docs[s.PostingEnds[t]:s.PostingEnds[t+1]] {
					s.PostingGaps = binary.AppendUvarint(s.PostingGaps, uint64(d)-prev)
					prev = uint64(d)
				}
			}
		}
	}
	tests := []struct {
		name   string
		agents []*agent.Agent
		spoil  func(s *Snapshot)
		want   string
	}{
		{"fewer agents", agents[1:], func(*Snapshot) {}, "docs"},
		{"no agents", nil, func(*Snapshot) {}, "docs"},
		{"posting doc out of range", agents, spoilDocs(func(docs []uint32) { docs[0] = ndocs }), "not below"},
		{"postings out of order", agents, func(s *Snapshot) {
			i := longList(s)
			spoilDocs(func(docs []uint32) { docs[i], docs[i+1] = docs[i+1], docs[i] })(s)
		}, "not below"},
		{"posting twice", agents, func(s *Snapshot) {
			i := longList(s)
			spoilDocs(func(docs []uint32) { docs[i+1] = docs[i] })(s)
		}, "twice"},
		{"docs missing", agents, func(s *Snapshot) { s.PostingGaps = s.PostingGaps[:len(s.PostingGaps)-1] }, "no doc"},
		{"docs left over", agents, func(s *Snapshot) { s.PostingGaps = append(s.PostingGaps, 1) }, "left over"},
		{"unterminated doc", agents, func(s *Snapshot) { s.PostingGaps[len(s.PostingGaps)-1] |= 0x80 }, "no doc"},
		{"missing masks", agents, func(s *Snapshot) { s.PostingMasks = s.PostingMasks[1:] }, "postings"},
		{"missing saturations", agents, func(s *Snapshot) { s.PostingSats = s.PostingSats[4:] }, "saturations"},
		{"posting end past the end", agents, func(s *Snapshot) { s.PostingEnds[len(s.PostingEnds)-1]++ }, "posting ends"},
		{"posting ends decrease", agents, func(s *Snapshot) { s.PostingEnds[1] = s.PostingEnds[2] + 1 }, "posting ends"},
		{"too few posting ends", agents, func(s *Snapshot) { s.PostingEnds = s.PostingEnds[1:] }, "posting ends"},
		{"idf missing", agents, func(s *Snapshot) { s.IDF = s.IDF[1:] }, "terms"},
		{"surface missing", agents, func(s *Snapshot) { s.Surface = s.Surface[1:] }, "surface"},
		{"surface of no spelling", agents, func(s *Snapshot) { s.Surface[0] = uint32(len(s.Spellings.Ends)) }, "surface"},
		{"spelling of no term", agents, func(s *Snapshot) { s.Spellings.Vals[0] = int32(len(s.IDF)) }, "spellings values"},
		{"spellings without terms", agents, func(s *Snapshot) { s.Spellings.Vals = nil }, "values for"},
		{"handle of no doc", agents, func(s *Snapshot) { s.HandleDoc[0] = ndocs }, "handle docs"},
		{"handle ends decrease", agents, func(s *Snapshot) { s.HandleOff[1] = s.HandleOff[2] + 1 }, "handle ends"},
		{"handle ends missing", agents, func(s *Snapshot) { s.HandleOff = s.HandleOff[1:] }, "handle ends"},
		{"key end past the blob", agents, func(s *Snapshot) { s.Terms.Ends[len(s.Terms.Ends)-1]++ }, "terms ends"},
		{"key ends decrease", agents, func(s *Snapshot) { s.Terms.Ends[1] = s.Terms.Ends[2] + 1 }, "terms ends"},
		{"no key ends", agents, func(s *Snapshot) { s.Handles.Ends = nil }, "handles"},
		{"slots not a power of two", agents, func(s *Snapshot) { s.Terms.Slots = s.Terms.Slots[:3] }, "power of two"},
		{"values for handles", agents, func(s *Snapshot) { s.Handles.Vals = []int32{0} }, "values"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// A fresh index each time: the snapshot shares its arrays.
			s := NewIndex(agents).Snapshot()
			tc.spoil(&s)
			ix, err := FromSnapshot(&s, tc.agents)
			if err == nil {
				t.Fatalf("accepted; index has %d docs", len(ix.names))
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

// TestSnapshotBadSlots checks that lookup tables are safe without being
// validated: slots naming no key, or no empty slot, make lookups miss but
// never fail or loop.
func TestSnapshotBadSlots(t *testing.T) {
	agents := loadBuiltins(t)
	for name, spoil := range map[string]func(s *Snapshot){
		"slot past the keys": func(s *Snapshot) {
			for i := range s.Handles.Slots {
				s.Handles.Slots[i] = int32(len(s.Handles.Ends) + 1)
			}
		},
		"no empty slot": func(s *Snapshot) {
			for i := range s.Terms.Slots {
				s.Terms.Slots[i] = 1
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			s := NewIndex(agents).Snapshot()
			spoil(&s)
			ix, err := FromSnapshot(&s, agents)
			if err != nil {
				t.Fatal(err)
			}
			for _, q := range []string{"@" + agents[0].Name, "kubernetes deployment", "kubernets"} {
				ix.Search(q, 5)
			}
		})
	}
}

// FuzzFromSnapshot feeds mutated gob streams through the decoder and
// FromSnapshot; whatever is accepted must search without panicking.
func FuzzFromSnapshot(f *testing.F) {
	// Small catalogs keep inputs small, so that the fuzzer runs fast.
	agents := loadBuiltins(f)
	catalogs := [][]*agent.Agent{agents[:1], agents[:3]}
	for _, c := range catalogs {
		var buf bytes.Buffer
		if err := gob.NewEncoder(&buf).Encode(NewIndex(c).Snapshot()); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var s Snapshot
		if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&s); err != nil {
			return
		}
		for _, c := range catalogs {
			ix, err := FromSnapshot(&s, c)
			if err != nil {
				continue
			}
			for _, q := range []string{"kubernetes deploy", "kubernets", "@" + c[0].Name, swapLetters(c[0].Name)} {
				ix.Search(q, 5)
			}
		}
	})
}

func benchmarkFromSnapshot(b *testing.B, agents []*agent.Agent) {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(NewIndex(agents).Snapshot()); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var s Snapshot
		if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&s); err != nil {
			b.Fatal(err)
		}
		if _, err := FromSnapshot(&s, agents); err != nil {
			b.Fatal(err)
		}
	}
}

// The start-up cache's share of a warm start: decoding the index.
func BenchmarkFromSnapshotCorpus(b *testing.B) {
	benchmarkFromSnapshot(b, loadCorpus(b, "acolytes", "voltagent", "wshobson"))
}

func BenchmarkFromSnapshotBuiltin(b *testing.B) {
	benchmarkFromSnapshot(b, loadBuiltins(b))
}

// BenchmarkNewIndex measures builds with the typo indexes left to first
// use (lazy, as NewIndex does) and built at once (eager, as before).
func BenchmarkNewIndex(b *testing.B) {
	for _, set := range []struct {
		name   string
		agents func(testing.TB) []*agent.Agent
	}{
		{"builtin", loadBuiltins},
		{"corpus", func(tb testing.TB) []*agent.Agent { return loadCorpus(tb, "acolytes", "voltagent", "wshobson") }},
	} {
		agents := set.agents(b)
		b.Run(set.name+"/lazy", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				NewIndex(agents)
			}
		})
		b.Run(set.name+"/eager", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ix := NewIndex(agents)
				ix.vocab.get()
				ix.handleVocab.get()
			}
		})
	}
}
