package agents

import (
	"bytes"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// frontmatter lists every key a built-in file may use; decoding with KnownFields
// turns a typo such as "capabilites" into a test failure instead of a silently
// empty field.
type frontmatter struct {
	Name         string   `yaml:"name"`
	Description  string   `yaml:"description"`
	Model        string   `yaml:"model"`
	Color        string   `yaml:"color"`
	Tags         []string `yaml:"tags"`
	Capabilities []string `yaml:"capabilities"`
	Examples     []string `yaml:"examples"`
	Aliases      []string `yaml:"aliases"`
}

var (
	validName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,127}$`)
	// handleRef matches `@domain.specialty` in code spans; the dot keeps CSS
	// at-rules such as `@apply` from counting as agent handles.
	handleRef   = regexp.MustCompile("`@([a-z0-9][a-z0-9_-]*\\.[a-z0-9._-]+)`")
	validModels = []string{"sonnet", "opus", "haiku"}
)

type builtin struct {
	file string
	fm   frontmatter
	body string
}

// split separates the YAML block from the markdown body; it is deliberately
// stricter than a general parser because we control these files.
func split(data []byte) (yml []byte, body string, err error) {
	const delim = "---\n"
	if !bytes.HasPrefix(data, []byte(delim)) {
		return nil, "", fmt.Errorf("file must start with %q", "---")
	}
	rest := data[len(delim):]
	end := bytes.Index(rest, []byte("\n"+delim))
	if end < 0 {
		return nil, "", fmt.Errorf("no closing %q line", "---")
	}
	return rest[:end+1], string(rest[end+1+len(delim):]), nil
}

func parseStrict(data []byte) (frontmatter, string, error) {
	var fm frontmatter
	yml, body, err := split(data)
	if err != nil {
		return fm, "", err
	}
	dec := yaml.NewDecoder(bytes.NewReader(yml))
	dec.KnownFields(true)
	if err := dec.Decode(&fm); err != nil {
		return fm, "", fmt.Errorf("frontmatter: %w", err)
	}
	return fm, body, nil
}

func loadAll(tb testing.TB) []builtin {
	tb.Helper()
	files, err := fs.Glob(FS, "*.md")
	if err != nil {
		tb.Fatal(err)
	}
	var out []builtin
	for _, f := range files {
		data, err := fs.ReadFile(FS, f)
		if err != nil {
			tb.Fatalf("%s: %v", f, err)
		}
		fm, body, err := parseStrict(data)
		if err != nil {
			tb.Errorf("%s: %v", f, err)
			continue
		}
		out = append(out, builtin{file: f, fm: fm, body: body})
	}
	return out
}

func TestEmbeddedCount(t *testing.T) {
	files, err := fs.Glob(FS, "*.md")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 24 {
		t.Fatalf("embedded %d agent files, want at least 24", len(files))
	}
}

func TestFrontmatter(t *testing.T) {
	for _, a := range loadAll(t) {
		t.Run(a.file, func(t *testing.T) {
			fm := a.fm
			if want := strings.TrimSuffix(a.file, ".md"); fm.Name != want {
				t.Errorf("name %q, want %q (file name without .md)", fm.Name, want)
			}
			if !validName.MatchString(fm.Name) {
				t.Errorf("name %q does not match %s", fm.Name, validName)
			}
			if strings.TrimSpace(fm.Description) == "" {
				t.Error("description is empty")
			}
			if !slices.Contains(validModels, fm.Model) {
				t.Errorf("model %q, want one of %v", fm.Model, validModels)
			}
			if fm.Color == "" {
				t.Error("color is empty")
			}
			checkList(t, "tags", fm.Tags, 8, 15)
			for _, tag := range fm.Tags {
				if tag != strings.ToLower(tag) {
					t.Errorf("tag %q is not lowercase", tag)
				}
			}
			checkList(t, "capabilities", fm.Capabilities, 5, 10)
			checkList(t, "examples", fm.Examples, 1, 2)
			for _, al := range fm.Aliases {
				if !validName.MatchString(al) {
					t.Errorf("alias %q does not match %s", al, validName)
				}
			}
		})
	}
}

func checkList(t *testing.T, field string, items []string, lo, hi int) {
	t.Helper()
	if n := len(items); n < lo || n > hi {
		t.Errorf("%s has %d items, want %d-%d", field, n, lo, hi)
	}
	seen := map[string]bool{}
	for _, it := range items {
		if strings.TrimSpace(it) == "" {
			t.Errorf("%s has an empty item", field)
		}
		if seen[it] {
			t.Errorf("%s repeats %q", field, it)
		}
		seen[it] = true
	}
}

// TestNamesUnique also covers aliases: an alias equal to another agent's name
// would make handle resolution ambiguous.
func TestNamesUnique(t *testing.T) {
	owner := map[string]string{}
	for _, a := range loadAll(t) {
		for _, n := range append([]string{a.fm.Name}, a.fm.Aliases...) {
			if prev, ok := owner[n]; ok {
				t.Errorf("%q used by both %s and %s", n, prev, a.file)
			}
			owner[n] = a.file
		}
	}
}

// TestBodies checks that every identity has real content, explains the flag
// workflow with the server's tool names, and hands work only to agents that
// exist in the built-in set (a dangling handle would send flags nowhere).
func TestBodies(t *testing.T) {
	all := loadAll(t)
	known := map[string]bool{}
	for _, a := range all {
		known[a.fm.Name] = true
		for _, al := range a.fm.Aliases {
			known[al] = true
		}
	}
	tools := []string{"get_agent_flags", "lock_flag", "complete_flag", "unlock_flag", "search_agents", "create_flag"}
	for _, a := range all {
		t.Run(a.file, func(t *testing.T) {
			lines := strings.Count(strings.TrimSpace(a.body), "\n") + 1
			if lines < 35 || lines > 110 {
				t.Errorf("body has %d lines, want 35-110", lines)
			}
			if !strings.HasPrefix(strings.TrimSpace(a.body), "# ") {
				t.Error("body does not start with a level-1 heading")
			}
			for _, section := range []string{"## Boundaries", "## Coordination"} {
				if !strings.Contains(a.body, section) {
					t.Errorf("body lacks a %q section", section)
				}
			}
			for _, tool := range tools {
				if !strings.Contains(a.body, "`"+tool+"`") {
					t.Errorf("body does not mention tool `%s`", tool)
				}
			}
			if !strings.Contains(a.body, "`@"+a.fm.Name+"`") {
				t.Errorf("body never names its own handle `@%s`", a.fm.Name)
			}
			refs := 0
			for _, m := range handleRef.FindAllStringSubmatch(a.body, -1) {
				if !known[m[1]] {
					t.Errorf("body refers to @%s, which is not a built-in agent", m[1])
				}
				if m[1] != a.fm.Name {
					refs++
				}
			}
			if refs == 0 {
				t.Error("body hands nothing to any other built-in agent")
			}
		})
	}
}

func TestParseStrictRejects(t *testing.T) {
	tests := []struct {
		name, in string
	}{
		{"no opening delimiter", "name: x\n---\nbody\n"},
		{"no closing delimiter", "---\nname: x\nbody\n"},
		{"unknown key", "---\nname: x\ncapabilites: [a]\n---\nbody\n"},
		{"unquoted colon-space", "---\nname: x\ndescription: does a: b\n---\nbody\n"},
		{"tags not a list", "---\nname: x\ntags: docker\n---\nbody\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := parseStrict([]byte(tt.in)); err == nil {
				t.Errorf("parseStrict(%q) = nil error, want an error", tt.in)
			}
		})
	}
	fm, body, err := parseStrict([]byte("---\nname: ok.one\ntags: [a, b]\n---\n# Hi\n"))
	if err != nil || fm.Name != "ok.one" || len(fm.Tags) != 2 || body != "# Hi\n" {
		t.Errorf("parseStrict on a valid file = %+v, %q, %v", fm, body, err)
	}
}
