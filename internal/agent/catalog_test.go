package agent

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func agentFile(name, desc string, extra ...string) *fstest.MapFile {
	s := "---\nname: " + name + "\ndescription: " + desc + "\n" + strings.Join(extra, "\n")
	if len(extra) > 0 {
		s += "\n"
	}
	return &fstest.MapFile{Data: []byte(s + "---\nbody of " + name + "\n")}
}

func warningsContaining(ws []Warning, sub string) []Warning {
	var out []Warning
	for _, w := range ws {
		if strings.Contains(w.String(), sub) {
			out = append(out, w)
		}
	}
	return out
}

func TestLoadPrecedence(t *testing.T) {
	builtin := fstest.MapFS{
		"ops.containers.md":  agentFile("ops.containers", "builtin containers"),
		"web/frontend.md":    agentFile("web.frontend", "builtin frontend", "aliases: [ui, fe]"),
		"notes.txt":          &fstest.MapFile{Data: []byte("not markdown")},
		".git/HEAD.md":       agentFile("hidden", "must be skipped"),
		"broken.md":          &fstest.MapFile{Data: []byte("no frontmatter here\n")},
		"deep/a/b/c/deep.md": agentFile("deep", "nested"),
	}
	user := fstest.MapFS{
		"a/dup.md":      agentFile("dup", "first by path"),
		"b/dup.md":      agentFile("Dup", "second by path"),
		"containers.md": agentFile("@Ops.Containers", "user containers"),
	}
	sources := []Source{
		{Label: "builtin", Root: "builtin", FS: builtin},
		{Label: "user", Root: "/home/u/.claude/agents", FS: user},
	}
	c, warns := mustLoad(t, sources)

	var names []string
	for _, a := range c.All() {
		names = append(names, a.Name)
	}
	if want := []string{"deep", "dup", "ops.containers", "web.frontend"}; !slices.Equal(names, want) {
		t.Errorf("All() names = %v, want %v", names, want)
	}
	if c.Len() != 4 {
		t.Errorf("Len() = %d, want 4", c.Len())
	}

	oc, ok := c.Get("@OPS.Containers")
	if !ok || oc.Description != "user containers" || oc.Source != "user" {
		t.Fatalf("Get(@OPS.Containers) = %+v, %v; want the user override", oc, ok)
	}
	wantPath := filepath.Join("/home/u/.claude/agents", "containers.md")
	if oc.Path != wantPath {
		t.Errorf("Path = %q, want %q", oc.Path, wantPath)
	}
	if !strings.HasPrefix(string(oc.Raw), "---\nname: @Ops.Containers") {
		t.Errorf("Raw not kept: %q", oc.Raw)
	}
	if ov := warningsContaining(warns, "overrides"); len(ov) != 1 ||
		ov[0].Path != wantPath || !strings.Contains(ov[0].Reason, filepath.Join("builtin", "ops.containers.md")) {
		t.Errorf("override warnings = %v, want one naming both files", ov)
	}

	dup, _ := c.Get("dup")
	if dup == nil || dup.Description != "first by path" {
		t.Errorf("same-source duplicate: got %+v, want the first by path", dup)
	}
	if dw := warningsContaining(warns, "same"); len(dw) != 1 || dw[0].Path != filepath.Join("/home/u/.claude/agents", "b", "dup.md") {
		t.Errorf("duplicate warnings = %v, want one on b/dup.md", dw)
	}

	if bw := warningsContaining(warns, "broken.md"); len(bw) != 1 || !strings.Contains(bw[0].Reason, "no frontmatter") {
		t.Errorf("broken file warnings = %v", bw)
	}
	if _, ok := c.Get("hidden"); ok {
		t.Error("file under a dot-directory was loaded")
	}
	if len(warns) != 3 {
		t.Errorf("got %d warnings, want 3: %v", len(warns), warns)
	}

	for _, q := range []string{"ui", "@FE", "web.frontend"} {
		if a, ok := c.Get(q); !ok || a.Name != "web.frontend" {
			t.Errorf("Get(%q) = %v, %v; want web.frontend", q, a, ok)
		}
	}
	for _, q := range []string{"", "nope", "a/b", "@"} {
		if a, ok := c.Get(q); ok {
			t.Errorf("Get(%q) = %v, want not found", q, a.Name)
		}
	}

	want := []SourceCount{{"builtin", "builtin", 2}, {"user", "/home/u/.claude/agents", 2}}
	if got := c.CountBySource(); !slices.Equal(got, want) {
		t.Errorf("CountBySource() = %v, want %v", got, want)
	}
}

func TestLoadAliasConflicts(t *testing.T) {
	low := fstest.MapFS{
		"a.md": agentFile("alpha", "a", "aliases: shared, beta"),
		"c.md": agentFile("gamma", "c", "aliases: [own]"),
	}
	high := fstest.MapFS{
		"b.md": agentFile("beta", "b", "aliases: [shared]"),
	}
	c, warns := mustLoad(t, []Source{{Label: "builtin", Root: "low", FS: low}, {Label: "dir", Root: "high", FS: high}})
	if a, _ := c.Get("shared"); a == nil || a.Name != "beta" {
		t.Errorf("alias claimed twice: got %v, want the higher-precedence beta", a)
	}
	if a, _ := c.Get("beta"); a == nil || a.Name != "beta" {
		t.Errorf("a name must beat an alias: got %v", a)
	}
	if a, _ := c.Get("own"); a == nil || a.Name != "gamma" {
		t.Errorf("Get(own) = %v", a)
	}
	if len(warns) != 2 {
		t.Errorf("want 2 alias warnings, got %v", warns)
	}
}

// An alias two files claim goes to the higher-precedence source, and
// within a source to the first file by path (not the name that sorts
// first), as a name does; the warning is on the other file and names the
// one that serves. An agent lists only the aliases that lead to it, so no
// alias is ever listed for two agents, or for one it does not name.
func TestAliasClaimedTwice(t *testing.T) {
	for _, tc := range []struct {
		name       string
		sources    []Source
		alias      string
		owner      string            // who Get(alias) gives
		aliases    map[string]string // an agent's listed aliases, joined
		warnedFile string            // the file warned about
		warnNames  string            // what its warning names
	}{
		{
			name: "same source, first by path",
			sources: []Source{{Label: "dir", Root: "a3", FS: fstest.MapFS{
				"a.md": agentFile("zz.first", "a", "aliases: [shared]"),
				"b.md": agentFile("aa.second", "b", "aliases: [shared]"),
			}}},
			alias: "shared", owner: "zz.first",
			aliases:    map[string]string{"zz.first": "shared", "aa.second": ""},
			warnedFile: "b.md", warnNames: filepath.Join("a3", "a.md"),
		},
		{
			name: "same source, first by whole path",
			sources: []Source{{Label: "dir", Root: "r", FS: fstest.MapFS{
				"a-b.md": agentFile("zz.first", "a", "aliases: [shared]"),
				"a/x.md": agentFile("aa.second", "b", "aliases: [shared]"),
			}}},
			alias: "shared", owner: "zz.first",
			aliases:    map[string]string{"zz.first": "shared", "aa.second": ""},
			warnedFile: "x.md", warnNames: filepath.Join("r", "a-b.md"),
		},
		{
			name: "a name beats an alias",
			sources: []Source{
				{Label: "builtin", Root: "builtin", FS: fstest.MapFS{
					"pg.md": agentFile("database.postgres", "pg", "aliases: [database.postgresql, database.sql]"),
				}},
				{Label: "dir", Root: "a4", FS: fstest.MapFS{"sql.md": agentFile("database.sql", "sql")}},
			},
			alias: "database.sql", owner: "database.sql",
			aliases:    map[string]string{"database.postgres": "database.postgresql", "database.sql": ""},
			warnedFile: "pg.md", warnNames: "@database.sql",
		},
		{
			name: "the higher source keeps an alias",
			sources: []Source{
				{Label: "builtin", Root: "builtin", FS: fstest.MapFS{
					"ops.md": agentFile("ops.containers", "c", "aliases: [ops.docker]"),
				}},
				{Label: "dir", Root: "a4", FS: fstest.MapFS{"kube.md": agentFile("my.kube", "k", "aliases: [ops.docker]")}},
			},
			alias: "ops.docker", owner: "my.kube",
			aliases:    map[string]string{"ops.containers": "", "my.kube": "ops.docker"},
			warnedFile: "ops.md", warnNames: "@my.kube",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			loaded, warns := mustLoad(t, tc.sources)
			decoded, _ := snapshotRoundTrip(t, loaded, warns, tc.sources)
			for cat, c := range map[string]*Catalog{"loaded": loaded, "decoded": decoded} {
				if a, _ := c.Get(tc.alias); nameOf(a) != tc.owner {
					t.Errorf("%s: Get(%q) = %s, want %s", cat, tc.alias, nameOf(a), tc.owner)
				}
				for name, want := range tc.aliases {
					a, _ := c.Get(name)
					if got := strings.Join(a.Aliases, ","); got != want {
						t.Errorf("%s: %s lists aliases %q, want %q", cat, name, got, want)
					}
				}
				for _, a := range c.All() {
					for _, al := range a.Aliases {
						if b, _ := c.Get(al); b != a {
							t.Errorf("%s: %s lists alias %q, which leads to %s", cat, a.Name, al, nameOf(b))
						}
					}
				}
			}
			if len(warns) != 1 || filepath.Base(warns[0].Path) != tc.warnedFile ||
				!strings.Contains(warns[0].Reason, tc.warnNames) || !warns[0].Conflict {
				t.Errorf("warnings = %v, want one conflict on %s naming %s", warns, tc.warnedFile, tc.warnNames)
			}
		})
	}
}

func TestLoadDeterministic(t *testing.T) {
	fsys := fstest.MapFS{}
	for _, n := range []string{"z", "y", "x", "w", "v", "u", "t", "s"} {
		fsys[n+"/dup.md"] = agentFile("dup", "from "+n)
		fsys[n+".md"] = agentFile(n, n)
	}
	for range 20 {
		c, warns := mustLoad(t, []Source{{Label: "dir", Root: "r", FS: fsys}})
		if a, _ := c.Get("dup"); a.Description != "from s" {
			t.Fatalf("first by path is s/dup.md, got %q", a.Description)
		}
		if len(warns) != 7 || !strings.Contains(warns[0].Path, filepath.Join("t", "dup.md")) {
			t.Fatalf("warnings not in path order: %v", warns)
		}
	}
}

func TestLoadTooLargeWithoutParsing(t *testing.T) {
	fsys := fstest.MapFS{"big.md": &fstest.MapFile{Data: make([]byte, MaxFileSize+1)}}
	c, warns := mustLoad(t, []Source{{Label: "dir", Root: "r", FS: fsys}})
	if c.Len() != 0 || len(warns) != 1 || !strings.Contains(warns[0].Reason, "too large") {
		t.Errorf("Len %d, warnings %v", c.Len(), warns)
	}
}

func TestSuggest(t *testing.T) {
	fsys := fstest.MapFS{}
	for _, n := range []string{"ops.containers", "ops.monitoring", "backend.go", "backend.rust", "web.frontend", "database.postgres"} {
		fsys[n+".md"] = agentFile(n, "d")
	}
	fsys["k8s.md"] = agentFile("platform.k8s", "d", "aliases: [kube]")
	c, _ := mustLoad(t, []Source{{Label: "dir", Root: "r", FS: fsys}})
	tests := []struct {
		q     string
		first string
	}{
		{"ops.contaners", "@ops.containers"},
		{"ops.contianers", "@ops.containers"},
		{"@OPS.CONTAINER", "@ops.containers"},
		{"containers", "@ops.containers"},
		{"contaners", "@ops.containers"},
		{"backend.rsut", "@backend.rust"},
		{"postgres", "@database.postgres"},
		{"kub", "@platform.k8s"},
	}
	for _, tt := range tests {
		got := c.Suggest(tt.q, 3)
		if len(got) == 0 || got[0] != tt.first {
			t.Errorf("Suggest(%q) = %v, want %s first", tt.q, got, tt.first)
		}
		if len(got) > 3 {
			t.Errorf("Suggest(%q, 3) returned %d", tt.q, len(got))
		}
		if again := c.Suggest(tt.q, 3); !slices.Equal(got, again) {
			t.Errorf("Suggest(%q) not deterministic: %v then %v", tt.q, got, again)
		}
	}
	if got := c.Suggest("backend", 5); !slices.Equal(got[:2], []string{"@backend.go", "@backend.rust"}) {
		t.Errorf("Suggest(backend) = %v", got)
	}
	if got := c.Suggest("zzzzzzzzzz", 3); len(got) != 0 {
		t.Errorf("Suggest(nonsense) = %v, want none", got)
	}
	if got := c.Suggest("ops", 0); got != nil {
		t.Errorf("Suggest(n=0) = %v", got)
	}
}
