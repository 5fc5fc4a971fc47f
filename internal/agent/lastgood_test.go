package agent

import (
	"context"
	"os"
	"path/filepath"
	"strings"
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
