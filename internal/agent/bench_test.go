package agent

import (
	"bytes"
	"encoding/gob"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkLoadCorpus loads the reference corpus and seeds, about 400
// third-party agent files, as four directory sources.
func BenchmarkLoadCorpus(b *testing.B) {
	sources := corpusSources(b)
	for b.Loop() {
		Load(sources)
	}
}

// BenchmarkLoadBuiltin loads the agents embedded in the binary, the set
// every server start pays for.
func BenchmarkLoadBuiltin(b *testing.B) {
	dir := filepath.Join("..", "..", "agents")
	if _, err := os.Stat(dir); err != nil {
		b.Skipf("built-in agents not found: %v", err)
	}
	sources := []Source{{Label: "builtin", Root: "builtin", FS: os.DirFS(dir)}}
	for b.Loop() {
		Load(sources)
	}
}

func BenchmarkParseFrontmatter(b *testing.B) {
	var fms []string
	for _, fsys := range agentFileSets(b) {
		paths, _ := listMarkdown(Source{FS: fsys})
		for _, p := range paths {
			data, err := fs.ReadFile(fsys, p)
			if err != nil {
				b.Fatal(err)
			}
			if fm, ok := frontmatterOf(data); ok {
				fms = append(fms, string(fm))
			}
		}
	}
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			for _, fm := range fms {
				if _, ok := fastRoot(fm); !ok {
					_, _ = strictRoot([]byte(fm))
				}
			}
		}
	})
	b.Run("yaml.v3", func(b *testing.B) {
		for b.Loop() {
			for _, fm := range fms {
				_, _ = strictRoot([]byte(fm))
			}
		}
	})
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
	c, warns := Load(sources)
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(c.Snapshot(warns)); err != nil {
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
		if _, _, err := s.Catalog(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSnapshotDecodeCorpus(b *testing.B) {
	benchmarkSnapshotDecode(b, append(builtinSources(), corpusSources(b)...))
}

func BenchmarkSnapshotDecodeBuiltin(b *testing.B) { benchmarkSnapshotDecode(b, builtinSources()) }
