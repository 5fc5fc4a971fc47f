package agent

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestLoadFirstByWholePath pins "first by path" to the order of whole
// paths, which differs from the order a directory walk visits them in.
func TestLoadFirstByWholePath(t *testing.T) {
	fsys := fstest.MapFS{
		"a/x.md":  agentFile("dup", "a/x.md"),
		"a.md":    agentFile("dup", "a.md"),
		"a-b.md":  agentFile("dup", "a-b.md"),
		"a0/y.md": agentFile("dup", "a0/y.md"),
	}
	c, warns := Load([]Source{{Label: "dir", Root: "r", FS: fsys}})
	if a, _ := c.Get("dup"); a == nil || a.Description != "a-b.md" {
		t.Fatalf("got %+v, want the agent from a-b.md", a)
	}
	var skipped []string
	for _, w := range warns {
		skipped = append(skipped, w.Path)
	}
	want := []string{"r/a.md", "r/a/x.md", "r/a0/y.md"}
	for i := range want {
		want[i] = displayPath("", want[i])
	}
	if diff := cmp.Diff(want, skipped); diff != "" {
		t.Errorf("skipped files (-want +got):\n%s", diff)
	}
}

// TestLoadSameWithoutParallelism checks that the single-worker path and the
// worker pool build the same catalog and warnings.
func TestLoadSameWithoutParallelism(t *testing.T) {
	sources := []Source{{Label: "builtin", Root: "b", FS: fstest.MapFS{
		"x.md":      agentFile("x", "x"),
		"d/y.md":    agentFile("y", "y", "aliases: [x, why]"),
		"bad.md":    {Data: []byte("nothing")},
		"d/e/z.md":  agentFile("z", "z"),
		"d/e/zz.md": agentFile("Z", "second z"),
	}}, {Label: "dir", Root: "u", FS: fstest.MapFS{
		"y.md": agentFile("y", "user y"),
	}}}
	type result struct {
		Agents []*Agent
		Warns  []Warning
	}
	load := func(procs int) result {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		c, w := Load(sources)
		return result{c.All(), w}
	}
	one, many := load(1), load(4)
	if diff := cmp.Diff(one, many, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("GOMAXPROCS=1 vs 4 (-1 +4):\n%s", diff)
	}
	if len(one.Agents) != 3 || len(one.Warns) != 3 {
		t.Errorf("got %d agents and warnings %v; want 3 agents and 3 warnings", len(one.Agents), one.Warns)
	}
}

func TestDedupeMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		in := make([]string, r.IntN(40))
		for i := range in {
			in[i] = string(rune('a' + r.IntN(12)))
		}
		want := refDedupe(slices.Clone(in))
		if got := dedupe(slices.Clone(in)); !slices.Equal(got, want) {
			t.Fatalf("dedupe(%q) = %q, want %q", in, got, want)
		}
	}
}
