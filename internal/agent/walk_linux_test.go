package agent

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestOSWalkerMatchesWalkDir checks that Fingerprint's directory walker
// finds the files walkMarkdown finds, in the same order, with the
// metadata statOSFile reports.
func TestOSWalkerMatchesWalkDir(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"a.md": "a", "a-b.md": "x", "a/x.md": "x", "a0/y.md": "y", "b.txt": "no",
		".hidden/h.md": "h", "d/.git/g.md": "g", "d/e/f/deep.md": "deep", "d/.dot.md": "dotfile",
		"z/README": "no", "dir.md/inside.md": "dir named .md",
	})
	must(t, os.Symlink(filepath.Join(dir, "a.md"), filepath.Join(dir, "link.md")))
	must(t, os.Symlink(filepath.Join(dir, "a"), filepath.Join(dir, "linkdir")))
	must(t, os.Symlink(filepath.Join(dir, "missing"), filepath.Join(dir, "dangling.md")))
	if os.Getuid() != 0 { // root reads anything
		must(t, os.MkdirAll(filepath.Join(dir, "locked"), 0o755))
		must(t, os.Chmod(filepath.Join(dir, "locked"), 0))
		t.Cleanup(func() { os.Chmod(filepath.Join(dir, "locked"), 0o755) })
	}

	for _, root := range []string{dir, dir + "/", filepath.Join(dir, "d")} {
		fsys := os.DirFS(root)
		want, _ := listMarkdown(Source{FS: fsys})
		var wantOrder []string
		walkMarkdown(Source{FS: fsys}, func(p string) { wantOrder = append(wantOrder, p) })
		var got []string
		ok := walkOSDirFS(root, func(p string, st fileStat, err error) {
			got = append(got, p)
			ref, handled, rerr := statOSFile(fsys, p)
			if !handled || (err == nil) != (rerr == nil) || ref != st {
				t.Errorf("%s: walker stat %+v, %v; statOSFile %+v, %v", p, st, err, ref, rerr)
			}
		}, func(p string, err error) {
			if filepath.Base(p) != "locked" {
				t.Errorf("cannot read %s: %v", p, err)
			}
		})
		if !ok {
			t.Fatalf("walkOSDirFS(%q) declined", root)
		}
		if !slices.Equal(got, wantOrder) {
			t.Errorf("root %s: walker found %q, fs.WalkDir %q", root, got, wantOrder)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("root %s: sorted %q, want %q", root, got, want)
		}
	}
	if walkOSDirFS("", nil, nil) {
		t.Error(`walkOSDirFS("") should leave the empty root to os.DirFS`)
	}
}
