package agent

import (
	"context"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

func writeAgent(t *testing.T, dir, file, name, desc string) {
	t.Helper()
	text := "---\nname: " + name + "\ndescription: " + desc + "\n---\nBody of " + name + ".\n"
	if err := os.WriteFile(filepath.Join(dir, file), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLastGoodKeepsABrokenEditsPreviousVersion(t *testing.T) {
	t.Run("loaded", func(t *testing.T) { testLastGood(t, false) })
	// From the start-up cache, the previous version's text is read when
	// the broken file is found.
	t.Run("decoded", func(t *testing.T) { testLastGood(t, true) })
}

func testLastGood(t *testing.T, decoded bool) {
	dir := t.TempDir()
	writeAgent(t, dir, "a.md", "alpha", "First version of alpha.")
	writeAgent(t, dir, "b.md", "beta", "Beta.")
	writeAgent(t, dir, "c.md", "gamma", "Gamma.")
	srcs := []Source{dirSource("dir", dir)}
	prev, warns, _ := Load(context.Background(), srcs)
	if len(warns) != 0 || prev.Len() != 3 {
		t.Fatalf("setup: %d agents, warnings %v", prev.Len(), warns)
	}
	if decoded {
		prev, _ = snapshotRoundTrip(t, prev, nil, srcs)
	}

	// alpha's file is broken, beta's edited, gamma's deleted, delta's new.
	if err := os.WriteFile(filepath.Join(dir, "a.md"), []byte("---\nname: [unclosed\n---\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	writeAgent(t, dir, "b.md", "beta", "Beta, edited.")
	if err := os.Remove(filepath.Join(dir, "c.md")); err != nil {
		t.Fatal(err)
	}
	writeAgent(t, dir, "d.md", "delta", "Delta.")

	cat, warns, _ := Load(context.Background(), srcs)
	if _, ok := cat.Get("alpha"); ok {
		t.Fatal("setup: the broken file still loads")
	}
	again, kept := LastGood(srcs, prev, cat, warns)
	if len(kept) != 1 || kept[0] != filepath.Join(dir, "a.md") {
		t.Fatalf("kept = %v, want only a.md", kept)
	}
	cat, _, _ = Load(context.Background(), again)
	want := map[string]string{"alpha": "First version of alpha.", "beta": "Beta, edited.", "delta": "Delta."}
	if cat.Len() != len(want) {
		t.Fatalf("catalog has %d agents, want %d", cat.Len(), len(want))
	}
	for name, desc := range want {
		a, ok := cat.Get(name)
		if !ok || a.Description != desc || a.Body != "Body of "+name+".\n" {
			t.Errorf("%s: %+v, want description %q", name, a, desc)
		}
	}

	// A file that was already broken before yields nothing to keep.
	if _, kept := LastGood(srcs, cat, cat, nil); len(kept) != 0 {
		t.Fatalf("no warnings: kept %v", kept)
	}
}

// An edit that grows a file past MaxFileSize breaks it like any other: the
// last good version is kept, not the agent dropped.
func TestLastGoodKeepsAFileGrownTooLarge(t *testing.T) {
	dir := t.TempDir()
	writeAgent(t, dir, "a.md", "alpha", "First version of alpha.")
	srcs := []Source{dirSource("dir", dir)}
	prev, warns, _ := Load(context.Background(), srcs)
	if len(warns) != 0 || prev.Len() != 1 {
		t.Fatalf("setup: %d agents, warnings %v", prev.Len(), warns)
	}
	big := "---\nname: alpha\ndescription: Grown.\n---\n" + strings.Repeat("x", MaxFileSize)
	if err := os.WriteFile(filepath.Join(dir, "a.md"), []byte(big), 0o644); err != nil {
		t.Fatal(err)
	}
	cat, warns, _ := Load(context.Background(), srcs)
	if cat.Len() != 0 || len(warns) != 1 {
		t.Fatalf("setup: the grown file loads (%d agents, warnings %v)", cat.Len(), warns)
	}
	again, kept := LastGood(srcs, prev, cat, warns)
	if len(kept) != 1 {
		t.Fatalf("kept = %v, want a.md", kept)
	}
	cat, _, _ = Load(context.Background(), again)
	if a, ok := cat.Get("alpha"); !ok || a.Description != "First version of alpha." {
		t.Errorf("alpha after the oversize edit: %+v, %v; want its last good version", a, ok)
	}
}

// A file edited to declare a name another file of its source already has
// is left out by the precedence rules (the first file by path wins), not
// broken: its previous agent goes, and the catalog is the one a fresh
// load of the same files gives.
func TestLastGoodLetsANameConflictDropThePreviousAgent(t *testing.T) {
	dir := t.TempDir()
	writeAgent(t, dir, "x.md", "t.x", "From x.")
	writeAgent(t, dir, "y.md", "t.y", "From y.")
	srcs := []Source{dirSource("dir", dir)}
	prev, warns, _ := Load(context.Background(), srcs)
	if len(warns) != 0 || prev.Len() != 2 {
		t.Fatalf("setup: %d agents, warnings %v", prev.Len(), warns)
	}
	writeAgent(t, dir, "y.md", "t.x", "From y.")
	cat, warns, _ := Load(context.Background(), srcs)
	if len(warns) != 1 || !warns[0].Conflict || warns[0].Path != filepath.Join(dir, "y.md") {
		t.Fatalf("setup: warnings %v, want y.md's name conflict", warns)
	}
	// As the server reloads: load again through what LastGood returns.
	again, kept := LastGood(srcs, prev, cat, warns)
	if len(kept) != 0 {
		t.Errorf("kept = %v, want nothing: a name conflict is not a broken file", kept)
		cat, _, _ = Load(context.Background(), again)
	}
	if _, ok := cat.Get("t.y"); ok || cat.Len() != 1 {
		t.Fatalf("catalog %v, want t.x alone", names(cat))
	}
	if a, _ := cat.Get("t.x"); a.Description != "From x." {
		t.Fatalf("t.x is %q, want x.md's (first by path)", a.Description)
	}
}

func names(c *Catalog) []string {
	var out []string
	for _, a := range c.All() {
		out = append(out, a.Name)
	}
	return out
}

// deniedFS is an os.DirFS whose listed names cannot be opened, as after
// "chmod 000" for an unprivileged user (root ignores the mode, so the
// tests cannot use chmod): a file cannot be read, a directory cannot be
// listed and what is below it cannot be reached, while the name itself
// can still be looked at (stat needs no permission on it). "." is the one
// name below itself: os.DirFS stats it as "dir/.", which the kernel
// refuses when dir is unreadable, so a denied "." cannot be stat'ed.
type deniedFS struct {
	fs.FS
	deny map[string]error // name -> what opening it, or anything below it, fails with
}

func (d deniedFS) denied(name string) error {
	for p := name; ; p = path.Dir(p) {
		if err, ok := d.deny[p]; ok {
			return err
		}
		if p == "." {
			return nil
		}
	}
}

func (d deniedFS) Open(name string) (fs.File, error) {
	if err := d.denied(name); err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return d.FS.Open(name)
}

func (d deniedFS) Stat(name string) (fs.FileInfo, error) {
	if err := d.denied(path.Dir(name)); err != nil { // path.Dir(".") is "."
		return nil, &fs.PathError{Op: "stat", Path: name, Err: err}
	}
	if err := d.deny[name]; errors.Is(err, fs.ErrNotExist) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: err}
	}
	return fs.Stat(d.FS, name)
}

// A file or directory that exists but cannot be read (its permissions
// taken away, an I/O error) is rejected as a broken edit is: its agents
// keep their last good versions, and the catalog serves them unchanged.
// One that is gone, even when it goes while Load walks it, takes its
// agents with it. The live reload dropped every unreadable agent, and a
// later reload (after "chmod 644") brought it back.
func TestLastGoodKeepsUnreadableFilesAndDirectories(t *testing.T) {
	tests := []struct {
		name string
		deny map[string]error
		// keptPaths are the warnings' paths LastGood keeps, relative to
		// the directory; gone are the agents that must not be served.
		keptPaths []string
		gone      []string
	}{
		{"file permission denied", map[string]error{"a.md": fs.ErrPermission}, []string{"a.md"}, nil},
		{"file read error", map[string]error{"a.md": syscall.EIO}, []string{"a.md"}, nil},
		{"directory permission denied", map[string]error{"sub": fs.ErrPermission}, []string{"sub"}, nil},
		{"nested directory permission denied", map[string]error{"sub/deep": fs.ErrPermission}, []string{"sub/deep"}, nil},
		{"the source's own directory", map[string]error{".": fs.ErrPermission}, []string{"."}, nil},
		{"directory removed while Load walked it", map[string]error{"sub": fs.ErrNotExist}, nil, []string{"t.sub", "t.deep"}},
		{"the source's own directory removed", map[string]error{".": fs.ErrNotExist}, nil, []string{"t.a", "t.b", "t.sub", "t.deep"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, decoded := range []bool{false, true} {
				dir := t.TempDir()
				writeAgent(t, dir, "a.md", "t.a", "A.")
				writeAgent(t, dir, "b.md", "t.b", "B.")
				for _, d := range []string{"sub", "sub/deep"} {
					if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
						t.Fatal(err)
					}
				}
				writeAgent(t, dir, "sub/s.md", "t.sub", "Sub.")
				writeAgent(t, dir, "sub/deep/d.md", "t.deep", "Deep.")
				fsys := deniedFS{FS: os.DirFS(dir), deny: map[string]error{}}
				// Given as typed ("--agents dir/"): Load's paths are clean.
				srcs := []Source{{Label: "dir", Root: dir + string(filepath.Separator), FS: fsys}}
				prev, warns := mustLoad(t, srcs)
				if len(warns) != 0 || prev.Len() != 4 {
					t.Fatalf("setup: %v, warnings %v", names(prev), warns)
				}
				if decoded {
					// From the start-up cache: the texts are read when
					// needed, from the cache when the file cannot be.
					prev, _ = snapshotRoundTrip(t, prev, nil, srcs)
				}

				maps.Copy(fsys.deny, tc.deny)
				cat, warns := mustLoad(t, srcs)
				again, kept := LastGood(srcs, prev, cat, warns)
				var want []string
				for _, p := range tc.keptPaths {
					want = append(want, filepath.Join(dir, p))
				}
				if !slices.Equal(kept, want) {
					t.Fatalf("decoded %v: kept %v, want %v (warnings %v)", decoded, kept, want, warns)
				}
				cat, _ = mustLoad(t, again)
				for _, a := range prev.All() {
					got, ok := cat.Get(a.Name)
					switch {
					case slices.Contains(tc.gone, a.Name):
						if ok {
							t.Errorf("decoded %v: %s is served from %s, want it gone", decoded, a.Name, got.Path)
						}
					case !ok:
						t.Errorf("decoded %v: %s is not served, want its last good version", decoded, a.Name)
					case got.Sum != a.Sum || got.Path != a.Path || got.Body != "Body of "+a.Name+".\n":
						t.Errorf("decoded %v: %s is %+v, want its last good version", decoded, a.Name, got)
					}
				}

				// Readable again: what the files hold, as a restart reads it.
				clear(fsys.deny)
				writeAgent(t, dir, "a.md", "t.a", "A, edited meanwhile.")
				cat, warns = mustLoad(t, srcs)
				if _, kept := LastGood(srcs, prev, cat, warns); len(warns) != 0 || len(kept) != 0 || cat.Len() != 4 {
					t.Fatalf("decoded %v: readable again: %v, warnings %v, kept %v", decoded, names(cat), warns, kept)
				}
				if a, _ := cat.Get("t.a"); a.Description != "A, edited meanwhile." {
					t.Errorf("decoded %v: readable again: t.a is %q", decoded, a.Description)
				}
			}
		})
	}
}
