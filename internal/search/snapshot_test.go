package search

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

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
			data, err := built.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			again, err := NewIndex(agents).MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(data, again) {
				t.Fatal("two builds of the same catalog encode differently")
			}
			decoded, err := UnmarshalIndex(data, agents)
			if err != nil {
				t.Fatal(err)
			}
			re, err := decoded.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(data, re) {
				t.Fatal("a decoded index encodes differently from the index it came from")
			}
			queries := snapshotQueries(t, agents)
			sameSearches(t, built, decoded, queries)
			// The order agents come in does not matter (NewIndex sorts them).
			rev := make([]*agent.Agent, 0, len(agents)+1)
			for i := len(agents) - 1; i >= 0; i-- {
				rev = append(rev, agents[i])
			}
			decoded, err = UnmarshalIndex(data, append(rev, nil))
			if err != nil {
				t.Fatal(err)
			}
			sameSearches(t, built, decoded, queries[:min(len(queries), 50)])
			t.Logf("%d agents: %d bytes", len(agents), len(data))
		})
	}
}

// TestSnapshotDecodePaths decodes through the paths a little-endian host
// with an aligned buffer does not take: a misaligned buffer (copied) and
// element-by-element conversion (big-endian hosts).
func TestSnapshotDecodePaths(t *testing.T) {
	agents := loadBuiltins(t)
	built := NewIndex(agents)
	data, err := built.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	queries := snapshotQueries(t, agents)[:100]
	t.Run("misaligned", func(t *testing.T) {
		buf := make([]byte, len(data)+1)
		copy(buf[1:], data)
		ix, err := UnmarshalIndex(buf[1:], agents)
		if err != nil {
			t.Fatal(err)
		}
		clear(buf) // the copy must not depend on the caller's buffer
		sameSearches(t, built, ix, queries)
	})
	t.Run("converted", func(t *testing.T) {
		defer func(v bool) { nativeLittle = v }(nativeLittle)
		nativeLittle = false
		ix, err := UnmarshalIndex(data, agents)
		if err != nil {
			t.Fatal(err)
		}
		sameSearches(t, built, ix, queries)
	})
}

func TestSnapshotEmptyCatalog(t *testing.T) {
	data, err := NewIndex(nil).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	ix, err := UnmarshalIndex(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res, total := ix.Search("kubernetes", 5); len(res) != 0 || total != 0 {
		t.Fatalf("empty index found %v, %d", res, total)
	}
	if _, err := UnmarshalIndex(data, loadBuiltins(t)); err == nil {
		t.Fatal("a snapshot of no agents was accepted for the built-in catalog")
	}
}

// reseal recomputes the checksum of data, so that tests reach the checks
// behind it.
func reseal(data []byte) []byte {
	b := bytes.Clone(data)
	if len(b) >= 4 {
		binary.LittleEndian.PutUint32(b[len(b)-4:], crc32.Checksum(b[:len(b)-4], castagnoli))
	}
	return b
}

// corrupted encodes a fresh index of agents after breaking it with spoil,
// so that the data is well formed and checksummed but wrong inside.
func corrupted(t *testing.T, agents []*agent.Agent, spoil func(ix *Index)) []byte {
	t.Helper()
	ix := NewIndex(agents)
	spoil(ix)
	data, err := ix.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestUnmarshalIndexRejects(t *testing.T) {
	agents := loadBuiltins(t)
	data, err := NewIndex(agents).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	ndocs := uint32(len(agents))

	edited := *agents[3]
	edited.Body += "\nAlso knows COBOL."
	renamed := *agents[3]
	renamed.Name += "x"
	withEdit := func(a *agent.Agent) []*agent.Agent {
		out := append([]*agent.Agent(nil), agents...)
		out[3] = a
		return out
	}
	p := defaultParams
	p.k1 = 1.5
	otherParams, err := newIndex(agents, p).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	version := func(v uint32) []byte {
		b := bytes.Clone(data)
		binary.LittleEndian.PutUint32(b[4:], v)
		return reseal(b)
	}
	// longList is a term with at least two postings.
	longList := func(ix *Index) []posting {
		for _, ps := range ix.postings {
			if len(ps) >= 2 {
				return ps
			}
		}
		t.Fatal("no term has two postings")
		return nil
	}

	tests := []struct {
		name   string
		data   []byte
		agents []*agent.Agent
		want   string // field named by the error
	}{
		{"nil", nil, agents, "length"},
		{"header only", data[:headerSize], agents, "length"},
		{"bad magic", append([]byte("XGIX"), data[4:]...), agents, "magic"},
		{"older version", version(snapshotVersion - 1), agents, "version"},
		{"newer version", version(snapshotVersion + 1), agents, "version"},
		{"flipped bit", func() []byte { b := bytes.Clone(data); b[len(b)/2] ^= 4; return b }(), agents, "checksum"},
		{"trailing byte", append(bytes.Clone(data), 0), agents, "checksum"},
		{"trailing word resealed", reseal(append(bytes.Clone(data[:len(data)-4]), 0, 0, 0, 0, 0, 0, 0, 0)), agents, "length"},
		{"other ranking constants", otherParams, agents, "fingerprint"},
		{"other code", func() []byte { b := bytes.Clone(data); b[8] ^= 1; return reseal(b) }(), agents, "fingerprint"},
		{"fewer agents", data, agents[1:], "names"},
		{"no agents", data, nil, "names"},
		{"renamed agent", data, withEdit(&renamed), "names"},
		{"edited agent", data, withEdit(&edited), "shapes"},
		{"huge name count", func() []byte {
			b := bytes.Clone(data)
			binary.LittleEndian.PutUint32(b[headerSize:], 1<<31)
			return reseal(b)
		}(), agents, "overrun"},
		{"posting doc out of range", corrupted(t, agents, func(ix *Index) { ix.postings[0][0].doc = ndocs }), agents, "postings"},
		{"postings out of order", corrupted(t, agents, func(ix *Index) {
			ps := longList(ix)
			ps[0], ps[1] = ps[1], ps[0]
		}), agents, "postings"},
		{"spelling of no term", corrupted(t, agents, func(ix *Index) { ix.surfaceTerm.vals[0] = int32(len(ix.postings)) }), agents, "spellings values"},
		{"handle of no doc", corrupted(t, agents, func(ix *Index) { ix.handleDoc[0] = ndocs }), agents, "handle docs"},
		{"handle ends decrease", corrupted(t, agents, func(ix *Index) { ix.handleOff[1] = ix.handleOff[2] + 1 }), agents, "handle ends"},
		{"key end past the blob", corrupted(t, agents, func(ix *Index) { ix.terms.ends[len(ix.terms.ends)-1]++ }), agents, "terms ends"},
		{"key ends decrease", corrupted(t, agents, func(ix *Index) { ix.terms.ends[1] = ix.terms.ends[2] + 1 }), agents, "terms ends"},
		{"slots not a power of two", corrupted(t, agents, func(ix *Index) { ix.terms.slots = ix.terms.slots[:3] }), agents, "power of two"},
		{"values for some keys", corrupted(t, agents, func(ix *Index) { ix.handles.vals = []int32{0} }), agents, "values for"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ix, err := UnmarshalIndex(tc.data, tc.agents)
			if err == nil {
				t.Fatalf("accepted; index has %d docs", len(ix.names))
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
		})
	}

	t.Run("truncated", func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 2))
		for range 300 {
			n := r.IntN(len(data))
			if _, err := UnmarshalIndex(data[:n], agents); err == nil {
				t.Fatalf("truncated to %d of %d bytes: accepted", n, len(data))
			}
			// Past the checksum, the structure checks catch it too.
			if _, err := UnmarshalIndex(reseal(data[:n]), agents); err == nil {
				t.Fatalf("truncated to %d of %d bytes and resealed: accepted", n, len(data))
			}
		}
	})
}

// TestSnapshotBadSlots checks that lookup tables are safe without being
// validated: slots naming no key, or no empty slot, make lookups miss but
// never fail or loop.
func TestSnapshotBadSlots(t *testing.T) {
	agents := loadBuiltins(t)
	for name, spoil := range map[string]func(ix *Index){
		"slot past the keys": func(ix *Index) {
			for i := range ix.handles.slots {
				ix.handles.slots[i] = int32(ix.handles.len() + 1)
			}
		},
		"no empty slot": func(ix *Index) {
			for i := range ix.terms.slots {
				ix.terms.slots[i] = 1
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			ix, err := UnmarshalIndex(corrupted(t, agents, spoil), agents)
			if err != nil {
				t.Fatal(err)
			}
			for _, q := range []string{"@" + agents[0].Name, "kubernetes deployment", "kubernets"} {
				ix.Search(q, 5)
			}
		})
	}
}

func FuzzUnmarshalIndex(f *testing.F) {
	// Small catalogs keep inputs small, so that the fuzzer runs fast.
	agents := loadBuiltins(f)
	catalogs := [][]*agent.Agent{agents[:1], agents[:3]}
	for _, c := range catalogs {
		data, err := NewIndex(c).MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, false)
		f.Add(data, true)
	}
	f.Add([]byte(snapshotMagic), true)
	f.Fuzz(func(t *testing.T, b []byte, sealed bool) {
		if sealed {
			// Resealing lets mutations reach the structure checks behind
			// the checksum.
			b = reseal(b)
		}
		for _, c := range catalogs {
			ix, err := UnmarshalIndex(b, c)
			if err != nil {
				continue
			}
			for _, q := range []string{"kubernetes deploy", "kubernets", "@" + c[0].Name, swapLetters(c[0].Name)} {
				ix.Search(q, 5)
			}
		}
	})
}

// TestUnmarshalIndexFreshProcess times the first decode in a new process,
// where nothing is warm: what a server pays at start-up. The child is this
// test binary, run with SNAPSHOT_CHILD naming the snapshot file.
func TestUnmarshalIndexFreshProcess(t *testing.T) {
	if file := os.Getenv("SNAPSHOT_CHILD"); file != "" {
		freshChild(t, file)
		return
	}
	if testing.Short() || raceEnabled {
		t.Skip("spawns processes; times are only meaningful without -race")
	}
	for _, s := range []struct {
		name        string
		collections []string
		budget      time.Duration
	}{
		{"builtin", nil, 300 * time.Microsecond},
		{"corpus", []string{"acolytes", "voltagent", "wshobson"}, 3 * time.Millisecond},
	} {
		t.Run(s.name, func(t *testing.T) {
			var agents []*agent.Agent
			if s.collections == nil {
				agents = loadBuiltins(t)
			} else {
				agents = loadCorpus(t, s.collections...)
			}
			data, err := NewIndex(agents).MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(t.TempDir(), "index")
			if err := os.WriteFile(file, data, 0o600); err != nil {
				t.Fatal(err)
			}
			var best time.Duration
			for range 5 {
				cmd := exec.Command(os.Args[0], "-test.run=^TestUnmarshalIndexFreshProcess$", "-test.v")
				cmd.Env = append(os.Environ(), "SNAPSHOT_CHILD="+file, "SNAPSHOT_COLLECTIONS="+strings.Join(s.collections, ","))
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("child: %v\n%s", err, out)
				}
				_, after, ok := strings.Cut(string(out), "decode-ns=")
				if !ok {
					t.Fatalf("child printed no time:\n%s", out)
				}
				ns, err := strconv.Atoi(strings.Fields(after)[0])
				if err != nil {
					t.Fatal(err)
				}
				if d := time.Duration(ns); best == 0 || d < best {
					best = d
				}
			}
			t.Logf("first decode in a fresh process: %v (best of 5; target %v)", best, s.budget)
			// Generous against a loaded machine: an order of magnitude
			// over the target means the decode itself went wrong.
			if best > 10*s.budget {
				t.Errorf("first decode took %v, target %v", best, s.budget)
			}
		})
	}
}

func freshChild(t *testing.T, file string) {
	var agents []*agent.Agent
	if c := os.Getenv("SNAPSHOT_COLLECTIONS"); c == "" {
		agents = loadBuiltins(t)
	} else {
		agents = loadCorpus(t, strings.Split(c, ",")...)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	ix, err := UnmarshalIndex(data, agents)
	d := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if res, _ := ix.Search(agents[0].Name, 1); len(res) == 0 {
		t.Fatal("decoded index finds nothing")
	}
	t.Logf("decode-ns=%d", d.Nanoseconds())
}

func benchmarkUnmarshal(b *testing.B, agents []*agent.Agent) {
	data, err := NewIndex(agents).MarshalBinary()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := UnmarshalIndex(data, agents); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnmarshalIndexCorpus(b *testing.B) {
	benchmarkUnmarshal(b, loadCorpus(b, "acolytes", "voltagent", "wshobson"))
}

func BenchmarkUnmarshalIndexBuiltin(b *testing.B) {
	benchmarkUnmarshal(b, loadBuiltins(b))
}

func BenchmarkMarshalIndexCorpus(b *testing.B) {
	ix := NewIndex(loadCorpus(b, "acolytes", "voltagent", "wshobson"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ix.MarshalBinary(); err != nil {
			b.Fatal(err)
		}
	}
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
