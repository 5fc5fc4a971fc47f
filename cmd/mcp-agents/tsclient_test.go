package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestTypeScriptSDKClient drives the built binary with the official
// TypeScript MCP SDK, which Claude Desktop and Claude Code build on, so a
// client other than mcp-go's own checks the wire format (and, through the
// SDK's own validation, every structuredContent against its outputSchema).
// It needs node and npm and installs the pinned SDK from the npm registry;
// it skips when either is missing or the install fails.
func TestTypeScriptSDKClient(t *testing.T) {
	if testing.Short() {
		t.Skip("installs an npm package")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not on PATH")
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		t.Skip("npm not on PATH")
	}
	dir := filepath.Join(t.TempDir(), "tsclient")
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("testdata", "tsclient"))); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	install := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
	install.Dir = dir
	if out, err := install.CombinedOutput(); err != nil {
		t.Skipf("npm ci failed (registry unreachable?): %v\n%s", err, out)
	}

	s := newSandbox(t)
	check := exec.CommandContext(ctx, node, "check.mjs", binary, s.db)
	check.Dir = dir
	check.Env = s.env()
	out, err := check.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("check.mjs: %v\nstdout: %s\nstderr: %s", err, out, stderr)
	}

	var seen struct {
		ServerName         string   `json:"serverName"`
		HasInstructions    bool     `json:"hasInstructions"`
		Tools              []string `json:"tools"`
		SearchTop          string   `json:"searchTop"`
		SearchTextMatches  bool     `json:"searchTextMatches"`
		UnknownAgentError  bool     `json:"unknownAgentError"`
		CreatedTarget      string   `json:"createdTarget"`
		LockedBy           string   `json:"lockedBy"`
		SecondLockRefused  bool     `json:"secondLockRefused"`
		CompletedStatus    string   `json:"completedStatus"`
		PromptHasTask      bool     `json:"promptHasTask"`
		Prompts            int      `json:"prompts"`
		CatalogEntries     int      `json:"catalogEntries"`
		FlagResourceEvents int      `json:"flagResourceEvents"`
		UnknownToolCode    int      `json:"unknownToolCode"`
	}
	if err := json.Unmarshal(out, &seen); err != nil {
		t.Fatalf("decoding check.mjs output: %v\n%s", err, out)
	}
	wantTools := []string{"complete_flag", "create_flag", "get_agent", "get_agent_flags", "get_flag", "list_flags", "lock_flag", "search_agents", "unlock_flag"}
	checks := []struct {
		what string
		ok   bool
	}{
		{"server name", seen.ServerName == "mcp-agents"},
		{"instructions mention search_agents", seen.HasInstructions},
		{"tools/list", slices.Equal(seen.Tools, wantTools)},
		{"search_agents ranks @ops.kubernetes first for a misspelt query", seen.SearchTop == "@ops.kubernetes"},
		{"search_agents text content is its structuredContent", seen.SearchTextMatches},
		{"unknown agent is an isError result with a suggestion", seen.UnknownAgentError},
		{"create_flag normalises the target handle", seen.CreatedTarget == "@ops.containers"},
		{"lock_flag takes the lease", seen.LockedBy == "@ops.containers"},
		{"a second agent's lock is refused", seen.SecondLockRefused},
		{"complete_flag completes", seen.CompletedStatus == "completed"},
		{"prompts/get carries the task", seen.PromptHasTask},
		{"one prompt per built-in agent", seen.Prompts >= 24},
		{"agents://catalog lists the built-in agents", seen.CatalogEntries == seen.Prompts},
		{"flag:// shows created, locked and completed events", seen.FlagResourceEvents == 3},
		{"unknown tool is a -32602 protocol error", seen.UnknownToolCode == -32602},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: not as expected; client saw %s", c.what, out)
		}
	}
}
