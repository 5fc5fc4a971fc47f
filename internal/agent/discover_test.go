package agent

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func mkdirs(t *testing.T, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func labelsRoots(ss []Source) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Label+"="+s.Root)
	}
	return out
}

func TestDiscoverOrder(t *testing.T) {
	tmp := t.TempDir()
	home := filepath.Join(tmp, "home")
	proj := filepath.Join(tmp, "work", "proj")
	cwd := filepath.Join(proj, "src", "pkg")
	env1, env2 := filepath.Join(tmp, "env1"), filepath.Join(tmp, "env2")
	flag1, flag2 := filepath.Join(tmp, "flag1"), filepath.Join(tmp, "flag2")
	userDir := filepath.Join(home, ".claude", "agents")
	projDir := filepath.Join(proj, ".claude", "agents")
	mkdirs(t, userDir, projDir, cwd, env1, env2, flag1, flag2)
	if err := os.WriteFile(filepath.Join(projDir, "p.md"), []byte("---\nname: p\ndescription: d\n---\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	sep := string(os.PathListSeparator)
	got, warns := Discover(DiscoverOptions{
		Builtin: fstest.MapFS{},
		Home:    home,
		Cwd:     cwd,
		EnvDirs: sep + env2 + sep + sep + env1 + sep,
		Dirs:    []string{flag2, flag1},
	})
	if len(warns) != 0 {
		t.Errorf("unexpected warnings %v", warns)
	}
	want := []string{
		"builtin=builtin", "user=" + userDir, "project=" + projDir,
		"env=" + env2, "env=" + env1, "dir=" + flag2, "dir=" + flag1,
	}
	if g := labelsRoots(got); !slices.Equal(g, want) {
		t.Errorf("sources =\n %v\nwant\n %v", g, want)
	}
	// The project source must really read the directory found upward.
	c, _ := mustLoad(t, got)
	if a, ok := c.Get("p"); !ok || a.Source != "project" {
		t.Errorf("agent from project dir: %v, %v", a, ok)
	}
}

func TestDiscoverMissingDefaultsSilent(t *testing.T) {
	tmp := t.TempDir()
	got, warns := Discover(DiscoverOptions{Home: filepath.Join(tmp, "nohome"), Cwd: tmp})
	if len(got) != 0 || len(warns) != 0 {
		t.Errorf("got sources %v warnings %v, want none", labelsRoots(got), warns)
	}
}

func TestDiscoverProjectIsUserDir(t *testing.T) {
	home := t.TempDir()
	userDir := filepath.Join(home, ".claude", "agents")
	cwd := filepath.Join(home, "code", "x")
	mkdirs(t, userDir, cwd)
	got, _ := Discover(DiscoverOptions{Home: home, Cwd: cwd})
	if g := labelsRoots(got); !slices.Equal(g, []string{"user=" + userDir}) {
		t.Errorf("sources = %v, want only the user dir", g)
	}
}

func TestDiscoverExplicitDirProblems(t *testing.T) {
	tmp := t.TempDir()
	missing := filepath.Join(tmp, "missing")
	file := filepath.Join(tmp, "file.md")
	good := filepath.Join(tmp, "good")
	mkdirs(t, good)
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, warns := Discover(DiscoverOptions{EnvDirs: missing, Dirs: []string{file, good}})
	if g := labelsRoots(got); !slices.Equal(g, []string{"dir=" + good}) {
		t.Errorf("sources = %v", g)
	}
	if len(warns) != 2 {
		t.Fatalf("warnings = %v, want 2", warns)
	}
	if warns[0].Path != missing || !strings.Contains(warns[0].Reason, "does not exist") || !strings.Contains(warns[0].Reason, "MCP_AGENTS_DIRS") {
		t.Errorf("missing env dir warning = %v", warns[0])
	}
	if warns[1].Path != file || !strings.Contains(warns[1].Reason, "not a directory") || !strings.Contains(warns[1].Reason, "--agents") {
		t.Errorf("non-directory warning = %v", warns[1])
	}
}
