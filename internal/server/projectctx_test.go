package server_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-agents/mcp-agents/internal/project"
)

// Every project context document listed reads by the uri listed, which
// the prompt shows too, whatever its file name; the name is decoded
// before it is looked up, and a path once decoded is still refused.
func TestProjectDocumentsReadByTheirURI(t *testing.T) {
	dir := t.TempDir()
	texts := map[string]string{"Team Prefs.md": "# Team Prefs\n", "Über.md": "# Über\n", "a#b.md": "# Hash\n", "x?y.md": "# Query\n"}
	for name, text := range texts {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f := newFixture(t)
	docs, skipped := project.Load([]string{dir})
	if len(skipped) > 0 {
		t.Fatalf("skipped %v", skipped)
	}
	f.svc.SetProjectDocs(docs)
	read := func(uri string) (string, error) {
		res, err := f.client.ReadResource(t.Context(), mcp.ReadResourceRequest{Params: mcp.ReadResourceParams{URI: uri}})
		if err != nil {
			return "", err
		}
		return res.Contents[0].(mcp.TextResourceContents).Text, nil
	}
	index, err := read("project://context")
	if err != nil {
		t.Fatal(err)
	}
	var list []struct{ Name, URI string }
	if err := json.Unmarshal([]byte(index), &list); err != nil || len(list) != len(texts) {
		t.Fatalf("project://context: %s, %v", index, err)
	}
	for _, d := range list {
		if got, err := read(d.URI); err != nil || !strings.HasPrefix(got, "# ") {
			t.Errorf("resources/read %s (%s): %q, %v", d.URI, d.Name, got, err)
		}
	}
	for uri, want := range map[string]string{
		"project://context/team%20prefs": texts["Team Prefs.md"],
		"project://context/%c3%bcber":    texts["Über.md"],
		"project://context/TEAM%20Prefs": texts["Team Prefs.md"],
	} {
		if got, err := read(uri); err != nil || got != want {
			t.Errorf("resources/read %s: %q, %v; want %q", uri, got, err, want)
		}
	}
	if _, err := read("project://context/a%2Fb"); err == nil || !strings.Contains(err.Error(), "not a path") {
		t.Errorf("resources/read project://context/a%%2Fb: %v, want it refused as a path", err)
	}
	if _, err := read("project://context/nope%20nope"); err == nil || !strings.Contains(err.Error(), `no project context document named "nope nope"`) {
		t.Errorf("resources/read of a missing document: %v, want it named decoded", err)
	}

	res, err := f.client.GetPrompt(t.Context(), mcp.GetPromptRequest{Params: mcp.GetPromptParams{Name: "ops.containers"}})
	if err != nil {
		t.Fatal(err)
	}
	prompt := res.Messages[0].Content.(mcp.TextContent).Text
	shown := regexp.MustCompile(`(?m)^- (project://context/\S+): `).FindAllStringSubmatch(prompt, -1)
	if len(shown) != len(texts) {
		t.Fatalf("the prompt indexes %d documents, want %d:\n%s", len(shown), len(texts), prompt)
	}
	for _, m := range shown {
		if _, err := read(m[1]); err != nil {
			t.Errorf("the prompt's %s does not read: %v", m[1], err)
		}
	}
}

// Of two documents whose names differ only in case in one directory, the
// first file by path is the one listed and read (the later served).
func TestProjectDocumentOfOneNameIsTheFirstByPath(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{"ARCHITECTURE.md": "# Upper\n", "architecture.md": "# Lower\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f := newFixture(t)
	docs, _ := project.Load([]string{dir})
	f.svc.SetProjectDocs(docs)
	for uri, want := range map[string]string{
		"project://context":              `[{"name":"architecture","title":"Upper","uri":"project://context/architecture"}]`,
		"project://context/architecture": "# Upper\n",
	} {
		res, err := f.client.ReadResource(t.Context(), mcp.ReadResourceRequest{Params: mcp.ReadResourceParams{URI: uri}})
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Contents[0].(mcp.TextResourceContents).Text; got != want {
			t.Errorf("resources/read %s = %q, want %q", uri, got, want)
		}
	}
}
