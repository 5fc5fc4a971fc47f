package project

import (
	"fmt"
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
// link to a file over MaxDoc are skipped and reported, with the reason.
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
		"loop.md":     "loop.md",
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
	slices.SortFunc(skipped, func(a, b Skipped) int { return strings.Compare(a.Path, b.Path) })
	// Each says why: one warning for three causes left the user to guess.
	wantSkipped := []Skipped{
		{filepath.Join(dir, "big.md"), fmt.Sprintf("over 1 MiB: %d bytes", MaxDoc+1)},
		{filepath.Join(dir, "dangling.md"), "unreadable: no such file or directory"},
		{filepath.Join(dir, "dir.md"), "not a regular file: it is a directory"},
		{filepath.Join(dir, "loop.md"), "unreadable: too many levels of symbolic links"},
	}
	if d := cmp.Diff(wantSkipped, skipped); d != "" {
		t.Fatalf("skipped (-want +got):\n%s", d)
	}
}

// A document that cannot be read is skipped as unreadable, with the
// system's reason.
func TestLoadSaysWhyUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads a file whatever its permissions")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "secret.md")
	write(t, path, "# Secret\n")
	if err := os.Chmod(path, 0); err != nil {
		t.Fatal(err)
	}
	_, skipped := Load([]string{dir})
	if want := []Skipped{{path, "unreadable: permission denied"}}; !slices.Equal(skipped, want) {
		t.Fatalf("skipped %v, want %v", skipped, want)
	}
}

// Any file name gives a document whose URI is its name percent-encoded,
// so that it reads; a name no URI can give (none, or a dot-segment) is
// skipped, saying so, rather than listed and unreadable.
func TestLoadURIs(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"Team Prefs.md", "Über.md", "a#b.md", "x?y.md", ".md", "..md", "...md"} {
		write(t, filepath.Join(dir, name), "# "+name+"\n")
	}
	docs, skipped := Load([]string{dir})
	type nu struct{ Name, URI string }
	var got []nu
	for _, d := range docs.List() {
		got = append(got, nu{d.Name, d.URI})
	}
	want := []nu{
		{"a#b", "project://context/a%23b"},
		{"team prefs", "project://context/team%20prefs"},
		{"x?y", "project://context/x%3Fy"},
		{"über", "project://context/%C3%BCber"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("docs (-want +got):\n%s", d)
	}
	var paths []string
	for _, sk := range skipped {
		paths = append(paths, filepath.Base(sk.Path))
		if !strings.HasPrefix(sk.Reason, "no URI can name it: ") {
			t.Errorf("%s skipped as %q, want it said that no URI can name it", sk.Path, sk.Reason)
		}
	}
	slices.Sort(paths)
	if want := []string{"...md", "..md", ".md"}; !slices.Equal(paths, want) {
		t.Errorf("skipped %v, want %v", paths, want)
	}
}

// Two files of one directory whose names differ only in case are one
// document's: the first by path serves and the other is skipped, naming
// it, as of agent files; the later served before, without a word. A later
// directory still replaces the document.
func TestLoadSameNameInOneDirectory(t *testing.T) {
	root := t.TempDir()
	dir, later := filepath.Join(root, "ctx"), filepath.Join(root, "later")
	write(t, filepath.Join(dir, "ARCHITECTURE.md"), "# Upper\n")
	write(t, filepath.Join(dir, "architecture.md"), "# Lower\n")
	write(t, filepath.Join(dir, "Architecture.MD"), "# Mixed\n")
	// Whichever place a missing directory has.
	for _, dirs := range [][]string{{dir, later}, {later, dir}} {
		docs, skipped := Load(dirs)
		if d, ok := docs.Get("architecture"); !ok || d.Title != "Upper" || len(docs.List()) != 1 {
			t.Errorf("Load(%v): architecture = %+v, %v; want the first by path, ARCHITECTURE.md, alone", dirs, d, ok)
		}
		want := []Skipped{
			{filepath.Join(dir, "Architecture.MD"), filepath.Join(dir, "ARCHITECTURE.md") + ` already has the name "architecture" in the same directory (the first by path serves)`},
			{filepath.Join(dir, "architecture.md"), filepath.Join(dir, "ARCHITECTURE.md") + ` already has the name "architecture" in the same directory (the first by path serves)`},
		}
		if d := cmp.Diff(want, skipped); d != "" {
			t.Errorf("Load(%v) skipped (-want +got):\n%s", dirs, d)
		}
	}
	write(t, filepath.Join(later, "Architecture.md"), "# Later\n")
	if docs, _ := Load([]string{dir, later}); docs.List()[0].Title != "Later" {
		t.Errorf("a later directory's document does not replace it: %+v", docs.List())
	}
}
