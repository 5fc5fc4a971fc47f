package agent

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// fixtureDir is the repository's shared sample agents: good/ holds one
// file per supported format (Claude Code subagents, the seeds' two shapes,
// every field, lenient YAML, CRLF with a byte order mark), bad/ one file
// per rejection.
func fixtureSources(t *testing.T) []Source {
	t.Helper()
	root := filepath.Join("..", "..", "testdata", "agents")
	var sources []Source
	for _, sub := range []string{"good", "bad"} {
		dir := filepath.Join(root, sub)
		if _, err := os.Stat(dir); err != nil {
			t.Fatal(err)
		}
		sources = append(sources, Source{Label: "dir", Root: sub, FS: os.DirFS(dir)})
	}
	return sources
}

// TestLoadFixtures loads testdata/agents and compares every field of every
// agent, and every warning, with testdata/fixtures.golden.json.
func TestLoadFixtures(t *testing.T) {
	c, warns := mustLoad(t, fixtureSources(t))
	type agentOut struct {
		*Agent
		Raw    int    `json:"Raw"`           // its length: the text is in the file
		Sum    string `json:"Sum,omitempty"` // hides Agent.Sum, a function of Raw
		Handle string `json:"Handle"`
	}
	out := struct {
		Agents   []agentOut
		Warnings []string
	}{}
	for _, a := range c.All() {
		out.Agents = append(out.Agents, agentOut{Agent: a, Raw: len(a.Raw), Handle: a.Handle()})
	}
	for _, w := range warns {
		out.Warnings = append(out.Warnings, filepath.ToSlash(w.Path)+": "+w.Reason)
	}
	got, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden := filepath.Join("testdata", "fixtures.golden.json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("fixtures (-golden +got), run go test -update if intended:\n%s", diff)
	}
}

// TestFixtureRejections checks that each bad fixture is rejected for its
// own reason, as a sentinel error callers can test.
func TestFixtureRejections(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "agents", "bad")
	tests := []struct {
		file string
		is   error
		msg  string
	}{
		{"no-frontmatter.md", ErrNoFrontmatter, "must begin with"},
		{"unclosed.md", ErrNoFrontmatter, "never closed"},
		{"missing-name.md", ErrMissingField, `"name"`},
		{"missing-description.md", ErrMissingField, `"description"`},
		{"bad-name.md", ErrInvalidName, `field "name"`},
		{"bad-alias.md", ErrInvalidName, `field "aliases"`},
		{"invalid-yaml.md", ErrInvalidYAML, "line by line also failed"},
		{"not-utf8.md", ErrNotUTF8, "UTF-8"},
		{"description-list.md", ErrFieldType, `field "description"`},
		{"tools-mapping.md", ErrFieldType, `field "tools"`},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Parse(data)
			if !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("Parse: %v; want %v containing %q", err, tt.is, tt.msg)
			}
		})
	}
}

// TestFixtureFormats pins what each good fixture demonstrates.
func TestFixtureFormats(t *testing.T) {
	c, _ := mustLoad(t, fixtureSources(t)[:1])
	get := func(name string) *Agent {
		t.Helper()
		a, ok := c.Get(name)
		if !ok {
			t.Fatalf("%s not loaded", name)
		}
		return a
	}
	if a := get("changelog-writer"); len(a.Tools) != 4 || a.Model != "haiku" || a.Lenient {
		t.Errorf("Claude Code subagent, tools as a string: %+v", a)
	}
	if a := get("flaky-test-hunter"); len(a.Tools) != 3 || a.Color != "orange" {
		t.Errorf("Claude Code subagent, tools as a list: %+v", a)
	}
	if a := get("release-coordinator"); len(a.Examples) != 2 || !strings.HasPrefix(a.Examples[0], "<example> Context:") || a.Maturity != "beta" {
		t.Errorf("examples as multi-line quoted strings: %+v", a)
	}
	if a := get("@db.tsdb"); a.Name != "storage.timeseries" || len(a.Capabilities) != 3 || a.Extra["team"] != "data-platform" {
		t.Errorf("every field, found by alias: %+v", a)
	}
	if a := get("windows.line-endings"); !strings.HasSuffix(a.Body, "\r\n") || !strings.HasPrefix(a.Raw, string(utf8BOM)) {
		t.Errorf("CRLF and BOM: body %q", a.Body)
	}
	for _, name := range []string{"privacy-reviewer", "incident-scribe"} {
		if a := get(name); !a.Lenient {
			t.Errorf("%s: want Lenient", name)
		}
	}
	if _, ok := c.Get("draft-agent"); ok {
		t.Error("a file under .drafts/ was loaded")
	}
}
