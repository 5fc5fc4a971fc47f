package agent

import (
	"bytes"
	"context"
	"encoding/gob"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkLoadCorpus loads the reference corpus and seeds, about 400
// third-party agent files, as four directory sources: the cost of a start
// without the start-up cache (the files themselves in the page cache).
func BenchmarkLoadCorpus(b *testing.B) {
	sources := corpusSources(b)
	for b.Loop() {
		mustLoad(b, sources)
	}
}

// BenchmarkLoadBuiltin loads the agents shipped in the binary, the set
// every server start pays for.
func BenchmarkLoadBuiltin(b *testing.B) {
	dir := filepath.Join("..", "..", "agents")
	if _, err := os.Stat(dir); err != nil {
		b.Skipf("built-in agents not found: %v", err)
	}
	sources := []Source{{Label: "builtin", Root: "builtin", FS: os.DirFS(dir)}}
	for b.Loop() {
		mustLoad(b, sources)
	}
}

// BenchmarkParseCorpus parses the corpus files already in memory: the
// YAML share of BenchmarkLoadCorpus.
func BenchmarkParseCorpus(b *testing.B) {
	var files [][]byte
	for _, s := range corpusSources(b) {
		paths, _, err := listMarkdown(context.Background(), s)
		if err != nil {
			b.Fatal(err)
		}
		for _, p := range paths {
			data, err := readRegular(s.FS, p)
			if err != nil {
				b.Fatal(err)
			}
			files = append(files, data)
		}
	}
	for b.Loop() {
		for _, data := range files {
			_, _ = Parse(data)
		}
	}
}

// BenchmarkFingerprintCorpus fingerprints the corpus and seeds directories
// and the embedded built-ins, the check a cached start-up pays for.
func BenchmarkFingerprintCorpus(b *testing.B) {
	sources := append(builtinSources(), corpusSources(b)...)
	for b.Loop() {
		if _, err := Fingerprint(sources); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFingerprintBuiltin hashes the embedded built-ins' contents.
func BenchmarkFingerprintBuiltin(b *testing.B) {
	sources := builtinSources()
	for b.Loop() {
		if _, err := Fingerprint(sources); err != nil {
			b.Fatal(err)
		}
	}
}

func snapshotOf(b *testing.B, sources []Source) []byte {
	b.Helper()
	c, warns := mustLoad(b, sources)
	var buf bytes.Buffer
	s, _ := c.Snapshot(warns)
	if err := gob.NewEncoder(&buf).Encode(s); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// The start-up cache's share of a warm start: decoding the catalog.
func benchmarkSnapshotDecode(b *testing.B, sources []Source) {
	data := snapshotOf(b, sources)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		var s Snapshot
		if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&s); err != nil {
			b.Fatal(err)
		}
		if _, _, err := s.Catalog(sources, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSnapshotDecodeCorpus(b *testing.B) {
	benchmarkSnapshotDecode(b, append(builtinSources(), corpusSources(b)...))
}

func BenchmarkSnapshotDecodeBuiltin(b *testing.B) { benchmarkSnapshotDecode(b, builtinSources()) }
