package agent

import (
	"maps"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/mcp-agents/mcp-agents/agents"
	"github.com/mcp-agents/mcp-agents/internal/diskcache"
)

// past is a modification time old enough not to be racy.
var past = time.Date(2024, 3, 4, 5, 6, 7, 89, time.UTC)

// writeTree creates files under dir with old modification times.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, past, past); err != nil {
			t.Fatal(err)
		}
	}
}

func fingerprint(t *testing.T, sources []Source) string {
	t.Helper()
	fp, err := Fingerprint(sources)
	if err != nil {
		t.Fatalf("Fingerprint: %v", err)
	}
	if len(fp) != 32 {
		t.Fatalf("Fingerprint = %q, want 32 hex digits", fp)
	}
	return fp
}

func dirSources(dirs ...string) []Source {
	var out []Source
	for _, d := range dirs {
		out = append(out, dirSource("dir", d))
	}
	return out
}

func TestFingerprintDirChanges(t *testing.T) {
	base := map[string]string{
		"a.md":          "---\nname: a\ndescription: a\n---\n",
		"sub/b.md":      "---\nname: b\ndescription: b\n---\n",
		"sub/deep/c.md": "---\nname: c\ndescription: c\n---\n",
		"notes.txt":     "not an agent",
		".git/d.md":     "hidden",
	}
	tests := []struct {
		name   string
		change func(t *testing.T, dir string)
		same   bool // the change is invisible to Load, so to Fingerprint
	}{
		{"nothing", func(*testing.T, string) {}, true},
		{"touch", func(t *testing.T, dir string) {
			must(t, os.Chtimes(filepath.Join(dir, "sub", "b.md"), past, past.Add(time.Nanosecond)))
		}, false},
		{"touch deep", func(t *testing.T, dir string) {
			must(t, os.Chtimes(filepath.Join(dir, "sub", "deep", "c.md"), past, past.Add(time.Second)))
		}, false},
		{"size, same mtime", func(t *testing.T, dir string) {
			writeTree(t, dir, map[string]string{"a.md": "---\nname: a\ndescription: aa\n---\n"})
		}, false},
		{"add", func(t *testing.T, dir string) {
			writeTree(t, dir, map[string]string{"sub/new.md": "x"})
		}, false},
		{"add in new dir", func(t *testing.T, dir string) {
			writeTree(t, dir, map[string]string{"new/x.md": "x"})
		}, false},
		{"remove", func(t *testing.T, dir string) {
			must(t, os.Remove(filepath.Join(dir, "sub", "b.md")))
		}, false},
		{"rename", func(t *testing.T, dir string) {
			must(t, os.Rename(filepath.Join(dir, "sub", "b.md"), filepath.Join(dir, "sub", "b2.md")))
		}, false},
		{"rename dir", func(t *testing.T, dir string) {
			must(t, os.Rename(filepath.Join(dir, "sub"), filepath.Join(dir, "sub2")))
		}, false},
		{"non-markdown file", func(t *testing.T, dir string) {
			writeTree(t, dir, map[string]string{"other.txt": "x", "sub/x.yaml": "y"})
		}, true},
		{"hidden dir", func(t *testing.T, dir string) {
			writeTree(t, dir, map[string]string{".git/e.md": "x", "sub/.cache/f.md": "y"})
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, base)
			before := fingerprint(t, dirSources(dir))
			if again := fingerprint(t, dirSources(dir)); again != before {
				t.Fatalf("unchanged directory: %s then %s", before, again)
			}
			tt.change(t, dir)
			after := fingerprint(t, dirSources(dir))
			if (after == before) != tt.same {
				t.Errorf("fingerprint before %s, after %s; want same=%v", before, after, tt.same)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestFingerprintSources(t *testing.T) {
	d1, d2 := t.TempDir(), t.TempDir()
	writeTree(t, d1, map[string]string{"a.md": "a"})
	writeTree(t, d2, map[string]string{"a.md": "a"})
	base := []Source{dirSource("user", d1), dirSource("dir", d2)}
	want := fingerprint(t, base)

	variants := map[string][]Source{
		"order":        {base[1], base[0]},
		"label":        {dirSource("project", d1), base[1]},
		"root":         {{Label: "user", Root: d1 + "/", FS: base[0].FS}, base[1]},
		"fewer":        base[:1],
		"more":         {base[0], base[1], base[1]},
		"no fs":        {{Label: "user", Root: d1}, base[1]},
		"missing root": {dirSource("user", filepath.Join(d1, "gone")), base[1]},
	}
	seen := map[string]string{want: "base"}
	for name, srcs := range variants {
		fp := fingerprint(t, srcs)
		if prev, ok := seen[fp]; ok {
			t.Errorf("%s: same fingerprint as %s", name, prev)
		}
		seen[fp] = name
	}
	if fp := fingerprint(t, []Source{dirSource("user", d1), dirSource("dir", d2)}); fp != want {
		t.Errorf("equal sources: %s, want %s", fp, want)
	}
}

// The cache key tells sources apart as the fingerprint does, but not their
// files: an entry is found whatever the files became, and its recorded
// fingerprint says whether it is still theirs.
func TestCacheKey(t *testing.T) {
	d1, d2 := t.TempDir(), t.TempDir()
	writeTree(t, d1, map[string]string{"a.md": "a"})
	base := []Source{dirSource("user", d1), dirSource("dir", d2)}
	want := CacheKey(base)
	if !diskcache.ValidKey(want) {
		t.Fatalf("CacheKey = %q, not a cache key", want)
	}
	seen := map[string]string{want: "base"}
	for name, srcs := range map[string][]Source{
		"order": {base[1], base[0]},
		"label": {dirSource("project", d1), base[1]},
		"root":  {{Label: "user", Root: d1 + "/", FS: base[0].FS}, base[1]},
		"fewer": base[:1],
		"more":  {base[0], base[1], base[1]},
	} {
		key := CacheKey(srcs)
		if prev, ok := seen[key]; ok {
			t.Errorf("%s: same key as %s", name, prev)
		}
		seen[key] = name
	}
	before := fingerprint(t, base)
	writeTree(t, d2, map[string]string{"b.md": "b"})
	if key := CacheKey(base); key != want {
		t.Errorf("after adding a file: key %s, want %s", key, want)
	}
	if fingerprint(t, base) == before {
		t.Error("adding a file left the fingerprint as it was")
	}
}

// TestFingerprintContents covers file systems without modification times,
// such as the embedded built-ins.
func TestFingerprintContents(t *testing.T) {
	base := fstest.MapFS{"a.md": {Data: []byte("one")}, "d/b.md": {Data: []byte("two")}, "c.txt": {Data: []byte("x")}}
	fp := func(m fstest.MapFS) string {
		return fingerprint(t, []Source{{Label: "builtin", Root: "builtin", FS: m}})
	}
	want := fp(base)
	if got := fp(maps.Clone(base)); got != want {
		t.Errorf("same contents: %s, want %s", got, want)
	}
	changed := maps.Clone(base)
	changed["d/b.md"] = &fstest.MapFile{Data: []byte("twO")}
	if fp(changed) == want {
		t.Error("changed contents, same fingerprint")
	}
	moved := maps.Clone(base)
	delete(moved, "d/b.md")
	moved["d/c.md"] = base["d/b.md"]
	if fp(moved) == want {
		t.Error("renamed file, same fingerprint")
	}
	other := maps.Clone(base)
	other["c.txt"] = &fstest.MapFile{Data: []byte("y")}
	if fp(other) != want {
		t.Error("a file Load ignores changed the fingerprint")
	}
	// With modification times, those are used instead of the contents.
	timed := fstest.MapFS{"a.md": {Data: []byte("one"), ModTime: past}}
	t1 := fp(timed)
	timed["a.md"] = &fstest.MapFile{Data: []byte("one"), ModTime: past.Add(time.Millisecond)}
	if fp(timed) == t1 {
		t.Error("changed ModTime, same fingerprint")
	}

	emb := []Source{{Label: "builtin", Root: "builtin", FS: agents.FS}}
	if a, b := fingerprint(t, emb), fingerprint(t, emb); a != b {
		t.Errorf("embedded built-ins: %s then %s", a, b)
	}
}

// TestFingerprintRacy checks that a just-modified file never yields a
// fingerprint a later call could repeat.
func TestFingerprintRacy(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a.md": "a"})
	must(t, os.WriteFile(filepath.Join(dir, "b.md"), []byte("b"), 0o644))
	if a, b := fingerprint(t, dirSources(dir)), fingerprint(t, dirSources(dir)); a == b {
		t.Errorf("fresh file: both calls gave %s", a)
	}
	must(t, os.Chtimes(filepath.Join(dir, "b.md"), past, past))
	if a, b := fingerprint(t, dirSources(dir)), fingerprint(t, dirSources(dir)); a != b {
		t.Errorf("settled files: %s then %s", a, b)
	}
	future := time.Now().Add(time.Hour)
	must(t, os.Chtimes(filepath.Join(dir, "b.md"), future, future))
	if a, b := fingerprint(t, dirSources(dir)), fingerprint(t, dirSources(dir)); a == b {
		t.Errorf("file from the future: both calls gave %s", a)
	}
}

// TestFingerprintCorpusStable fingerprints the reference corpus twice.
func TestFingerprintCorpusStable(t *testing.T) {
	sources := append(builtinSources(), corpusSources(t)...)
	want := fingerprint(t, sources)
	if got := fingerprint(t, sources); got != want {
		t.Errorf("second call %s, first %s", got, want)
	}
	if got := fingerprint(t, sources[:len(sources)-1]); got == want {
		t.Error("one source fewer, same fingerprint")
	}
}
