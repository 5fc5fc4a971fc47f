package project

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestNearestAndLoad(t *testing.T) {
	root := t.TempDir()
	proj := filepath.Join(root, ".claude", "project")
	write(t, filepath.Join(proj, "Vision.md"), "---\nowner: me\n---\n\n# Our vision\n\nShip it.\n")
	write(t, filepath.Join(proj, "team-preferences.md"), "Small PRs.\nTests first.\n")
	write(t, filepath.Join(proj, "notes.txt"), "not markdown")
	write(t, filepath.Join(proj, "sub", "deep.md"), "# not read: only the directory's own files")
	extra := filepath.Join(root, "docs")
	write(t, filepath.Join(extra, "vision.md"), "## The vision, overridden\n")
	write(t, filepath.Join(extra, "empty.md"), "")

	cwd := filepath.Join(root, "a", "b")
	if err := os.MkdirAll(cwd, 0o755); err != nil {
		t.Fatal(err)
	}
	if got := Nearest(cwd); got != proj {
		t.Fatalf("Nearest = %q, want %q", got, proj)
	}
	if got := Nearest(t.TempDir()); got != "" {
		t.Fatalf("Nearest with none = %q", got)
	}

	docs, skipped := Load([]string{Nearest(cwd), filepath.Join(root, "missing"), extra})
	if len(skipped) != 0 {
		t.Fatalf("skipped %v", skipped)
	}
	type nt struct{ Name, Title, URI string }
	var got []nt
	for _, d := range docs.List() {
		got = append(got, nt{d.Name, d.Title, d.URI})
	}
	want := []nt{
		{"empty", "empty", "project://context/empty"},
		{"team-preferences", "Small PRs.", "project://context/team-preferences"},
		{"vision", "The vision, overridden", "project://context/vision"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("docs (-want +got):\n%s", d)
	}
	if d, ok := docs.Get("VISION"); !ok || d.Path != filepath.Join(extra, "vision.md") {
		t.Fatalf("Get(VISION) = %+v, %v", d, ok)
	}
	again, _ := Load([]string{proj, extra})
	if !docs.Equal(again) {
		t.Fatal("two loads of the same files differ")
	}
	write(t, filepath.Join(extra, "empty.md"), "now with text")
	if changed, _ := Load([]string{proj, extra}); docs.Equal(changed) {
		t.Fatal("an edit went unnoticed")
	}
}

// A document linked in from elsewhere is served with its target's text,
// as a linked agent file is; a link to a directory, a dangling link and a
// link to a file over MaxDoc are skipped and reported.
func TestLoadFollowsLinks(t *testing.T) {
	root := t.TempDir()
	dir, elsewhere := filepath.Join(root, "ctx"), filepath.Join(root, "else")
	write(t, filepath.Join(dir, "plain.md"), "# Plain\n")
	write(t, filepath.Join(elsewhere, "doc.md"), "# Linked doc\n\nFrom elsewhere.\n")
	write(t, filepath.Join(elsewhere, "big.md"), strings.Repeat("x", MaxDoc+1))
	if err := os.MkdirAll(filepath.Join(elsewhere, "sub.md"), 0o755); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{
		"linked.md":   filepath.Join("..", "else", "doc.md"), // relative
		"Abs.MD":      filepath.Join(elsewhere, "doc.md"),
		"dir.md":      filepath.Join(elsewhere, "sub.md"),
		"dangling.md": filepath.Join(elsewhere, "gone.md"),
		"big.md":      filepath.Join(elsewhere, "big.md"),
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	docs, skipped := Load([]string{dir})
	type nt struct{ Name, Title, Text string }
	var got []nt
	for _, d := range docs.List() {
		got = append(got, nt{d.Name, d.Title, d.Text})
	}
	linked := "# Linked doc\n\nFrom elsewhere.\n"
	want := []nt{{"abs", "Linked doc", linked}, {"linked", "Linked doc", linked}, {"plain", "Plain", "# Plain\n"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("docs (-want +got):\n%s", d)
	}
	slices.Sort(skipped)
	wantSkipped := []string{filepath.Join(dir, "big.md"), filepath.Join(dir, "dangling.md"), filepath.Join(dir, "dir.md")}
	if d := cmp.Diff(wantSkipped, skipped); d != "" {
		t.Fatalf("skipped (-want +got):\n%s", d)
	}
}
