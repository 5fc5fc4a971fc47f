package server_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-agents/mcp-agents/internal/server"
)

var toolsDir = filepath.Join("testdata", "tools")

// TestToolsGolden pins each tool as tools/list shows it (name, description,
// annotations, input and output schema) in testdata/tools/<name>.json: they
// are a contract with clients. -update rewrites the files.
func TestToolsGolden(t *testing.T) {
	f := newFixture(t)
	list, err := f.client.ListTools(t.Context(), mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if *server.Update {
		if err := os.RemoveAll(toolsDir); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(toolsDir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	listed := map[string]bool{}
	for _, tool := range list.Tools {
		listed[tool.Name] = true
		a := tool.Annotations
		if a.ReadOnlyHint == nil || a.DestructiveHint == nil || a.IdempotentHint == nil || a.OpenWorldHint == nil {
			t.Errorf("%s: not all four annotations set: %+v", tool.Name, a)
		}
		got, err := json.MarshalIndent(tool, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, '\n')
		golden := filepath.Join(toolsDir, tool.Name+".json")
		if *server.Update {
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Errorf("%v (if the tool is new: go test ./internal/server -run TestToolsGolden -update)", err)
			continue
		}
		if !bytes.Equal(want, got) {
			t.Errorf("%s differs from %s; if intended, rerun with -update\n%s", tool.Name, golden, got)
		}
	}
	for _, name := range goldenTools(t) {
		if !listed[name] {
			t.Errorf("%s.json has no tool in tools/list; rerun with -update", name)
		}
	}
}

// goldenTool is what the README check needs of a golden file.
type goldenTool struct {
	Name        string `json:"name"`
	InputSchema struct {
		Properties map[string]json.RawMessage `json:"properties"`
		Required   []string                   `json:"required"`
	} `json:"inputSchema"`
	Annotations struct {
		ReadOnly bool `json:"readOnlyHint"`
	} `json:"annotations"`
}

func goldenTools(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(toolsDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range paths {
		names = append(names, strings.TrimSuffix(filepath.Base(p), ".json"))
	}
	return names
}

// TestREADMEToolTable checks the README's tool table against the golden
// files: the same tools, each with exactly its input fields, optional ones
// marked with "?", and read-only or write as annotated.
func TestREADMEToolTable(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(readme), "\n### Tools\n")
	if !ok {
		t.Fatal(`README has no "### Tools" section`)
	}
	table, _, _ = strings.Cut(table, "\n### ")
	field := regexp.MustCompile("`([a-z_]+)(\\??)`")
	rows := 0
	documented := map[string]bool{}
	for _, line := range strings.Split(table, "\n") {
		// | `tool` | inputs | output | annotations |, with \| inside cells
		cells := strings.Split(strings.ReplaceAll(line, `\|`, "/"), "|")
		if len(cells) != 6 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue
		}
		rows++
		name, inputs, kind := strings.Trim(strings.TrimSpace(cells[1]), "`"), cells[2], strings.TrimSpace(cells[4])
		documented[name] = true
		raw, err := os.ReadFile(filepath.Join(toolsDir, name+".json"))
		if err != nil {
			t.Errorf("README lists %s, which has no golden file: %v", name, err)
			continue
		}
		var tool goldenTool
		if err := json.Unmarshal(raw, &tool); err != nil {
			t.Fatal(err)
		}
		var listedFields []string
		for _, m := range field.FindAllStringSubmatch(inputs, -1) {
			listedFields = append(listedFields, m[1])
			_, known := tool.InputSchema.Properties[m[1]]
			required := slices.Contains(tool.InputSchema.Required, m[1])
			switch {
			case !known:
				t.Errorf("README: %s has no input %q", name, m[1])
			case required && m[2] == "?":
				t.Errorf("README: %s input %q is required but marked optional", name, m[1])
			case !required && m[2] == "":
				t.Errorf("README: %s input %q is optional; mark it %s?", name, m[1], m[1])
			}
		}
		for prop := range tool.InputSchema.Properties {
			if !slices.Contains(listedFields, prop) {
				t.Errorf("README: %s input %q is not listed", name, prop)
			}
		}
		if want := map[bool]string{true: "read-only", false: "write"}[tool.Annotations.ReadOnly]; kind != want {
			t.Errorf("README: %s is %q, the golden file says %s", name, kind, want)
		}
	}
	for _, name := range goldenTools(t) {
		if !documented[name] {
			t.Errorf("README's tool table lacks %s", name)
		}
	}
	if rows == 0 {
		t.Fatal("no rows found in the README's tool table")
	}
}
