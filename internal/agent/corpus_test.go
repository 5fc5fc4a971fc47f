package agent

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sharedDir locates the reference material beside the repository
// (<repo>/../shared); tests that need it skip when it is absent.
func sharedDir(tb testing.TB) string {
	tb.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "shared"))
	if err != nil {
		tb.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(dir, "corpus")); err != nil || !st.IsDir() {
		tb.Skipf("reference corpus not found at %s", dir)
	}
	return dir
}

func corpusSources(tb testing.TB) []Source {
	tb.Helper()
	shared := sharedDir(tb)
	var sources []Source
	for _, sub := range []string{"seeds", "corpus/acolytes", "corpus/voltagent", "corpus/wshobson"} {
		dir := filepath.Join(shared, filepath.FromSlash(sub))
		sources = append(sources, Source{Label: "dir", Root: dir, FS: os.DirFS(dir)})
	}
	return sources
}

func TestCorpusLoadsWithoutRejections(t *testing.T) {
	sources := corpusSources(t)
	c, warns := mustLoad(t, sources)

	files := 0
	for _, s := range sources {
		paths, ws, err := listMarkdown(context.Background(), s)
		if err != nil {
			t.Fatal(err)
		}
		if len(ws) != 0 {
			t.Errorf("walk warnings: %v", ws)
		}
		files += len(paths)
	}
	if files != 414 {
		t.Errorf("found %d markdown files, want 412 corpus + 2 seeds", files)
	}

	overrides := 0
	for _, w := range warns {
		if strings.Contains(w.Reason, " overrides ") {
			overrides++
			continue
		}
		t.Errorf("file rejected or skipped: %s", w)
	}
	if c.Len()+overrides != files {
		t.Errorf("%d agents + %d overrides != %d files", c.Len(), overrides, files)
	}

	lenient := 0
	for _, a := range c.All() {
		if a.Lenient {
			lenient++
		}
		if strings.TrimSpace(a.Body) == "" {
			t.Errorf("%s: empty body", a.Path)
		}
	}
	if lenient == 0 {
		t.Error("expected some corpus files to need lenient parsing")
	}
	t.Logf("%d files, %d agents, %d overrides, %d lenient", files, c.Len(), overrides, lenient)
	for _, sc := range c.CountBySource() {
		t.Logf("  %s %s: %d", sc.Label, sc.Root, sc.Count)
	}
}

func TestCorpusSeedsBothFormats(t *testing.T) {
	shared := sharedDir(t)
	seeds := filepath.Join(shared, "seeds")
	c, warns := mustLoad(t, []Source{{Label: "dir", Root: seeds, FS: os.DirFS(seeds)}})
	if len(warns) != 0 {
		t.Fatalf("warnings: %v", warns)
	}
	if a, ok := c.Get("@ops.containers"); !ok || a.Model == "" || a.Color == "" {
		t.Errorf("ops.containers: %+v %v", a, ok)
	}
	if a, ok := c.Get("container-platform-specialist"); !ok || len(a.Examples) == 0 || a.Maturity == "" {
		t.Errorf("container-platform-specialist: %+v %v", a, ok)
	}
}
