package agent

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/fstest"
	"time"

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
	c, warns := mustLoad(t, []Source{{Label: "dir", Root: "r", FS: fsys}})
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
		c, w := mustLoad(t, sources)
		return result{c.All(), w}
	}
	one, many := load(1), load(4)
	if diff := cmp.Diff(one, many, cmpopts.EquateEmpty(), cmpopts.IgnoreUnexported(Agent{})); diff != "" {
		t.Errorf("GOMAXPROCS=1 vs 4 (-1 +4):\n%s", diff)
	}
	if len(one.Agents) != 3 || len(one.Warns) != 3 {
		t.Errorf("got %d agents and warnings %v; want 3 agents and 3 warnings", len(one.Agents), one.Warns)
	}
}

// mustLoad is Load with a context that is never cancelled.
func mustLoad(tb testing.TB, sources []Source) (*Catalog, []Warning) {
	tb.Helper()
	c, warns, err := Load(context.Background(), sources)
	if err != nil {
		tb.Fatalf("Load: %v", err)
	}
	return c, warns
}

// TestLoadSkipsNonRegular covers entries named *.md that are not regular
// files, whatever the FS: they become a warning naming what they are, and
// are never opened.
func TestLoadSkipsNonRegular(t *testing.T) {
	fsys := fstest.MapFS{
		"ok.md":   agentFile("ok", "fine"),
		"pipe.md": {Mode: fs.ModeNamedPipe},
		"dev.md":  {Mode: fs.ModeDevice | fs.ModeCharDevice},
		"sock.md": {Mode: fs.ModeSocket},
	}
	c, warns := mustLoad(t, []Source{{Label: "dir", Root: "r", FS: openRefused{fsys, "ok.md"}}})
	if c.Len() != 1 {
		t.Errorf("got %d agents, want 1", c.Len())
	}
	want := map[string]string{"dev.md": "a device", "pipe.md": "a named pipe", "sock.md": "a socket"}
	if len(warns) != len(want) {
		t.Errorf("warnings %v, want one per non-regular file", warns)
	}
	for _, w := range warns {
		kind := want[filepath.Base(w.Path)]
		if kind == "" || !strings.Contains(w.Reason, "not a regular file: it is "+kind) {
			t.Errorf("warning %q, want it to say %q", w, kind)
		}
	}
}

// openRefused fails the test when a file other than allowed is opened.
type openRefused struct {
	fstest.MapFS
	allowed string
}

func (o openRefused) Open(name string) (fs.File, error) {
	if name != "." && name != o.allowed {
		panic("opened " + name)
	}
	return o.MapFS.Open(name)
}

// blockingFS never returns from opening stuck.md, as an open(2) of a named
// pipe with no writer never does.
type blockingFS struct {
	fstest.MapFS
	release chan struct{}
}

func (b blockingFS) Open(name string) (fs.File, error) {
	if name == "stuck.md" {
		<-b.release
	}
	return b.MapFS.Open(name)
}

func TestLoadHonoursCancellation(t *testing.T) {
	sources := []Source{{Label: "dir", Root: "r", FS: fstest.MapFS{"a.md": agentFile("a", "a")}}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if c, w, err := Load(ctx, sources); !errors.Is(err, context.Canceled) || c != nil || w != nil {
		t.Errorf("cancelled before: got %v, %v, %v; want only context.Canceled", c, w, err)
	}

	// A read stuck in the kernel cannot be interrupted; Load returns anyway.
	release := make(chan struct{})
	defer close(release)
	stuck := blockingFS{fstest.MapFS{"a.md": agentFile("a", "a"), "stuck.md": agentFile("s", "s")}, release}
	ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		_, _, err := Load(ctx, []Source{{Label: "dir", Root: "r", FS: stuck}})
		errc <- err
	}()
	select {
	case err := <-errc:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Load = %v, want context.DeadlineExceeded", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Load did not return after its context ended")
	}
}
