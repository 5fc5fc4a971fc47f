package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mcp-agents/mcp-agents/internal/store"
)

// The official TypeScript MCP SDK, which Claude Desktop and Claude Code
// build on, is installed once per test run (npm ci of the pinned version in
// testdata/tsclient) into the directory of the built binary.
var tsSDK struct {
	once       sync.Once
	node, dir  string
	skipReason string
}

// tsClient returns node and the directory holding the installed SDK and the
// scripts, or skips the test when node, npm or the registry is missing.
func tsClient(t *testing.T) (node, dir string) {
	t.Helper()
	if testing.Short() {
		t.Skip("installs an npm package")
	}
	tsSDK.once.Do(func() {
		node, err := exec.LookPath("node")
		if err != nil {
			tsSDK.skipReason = "node not on PATH"
			return
		}
		npm, err := exec.LookPath("npm")
		if err != nil {
			tsSDK.skipReason = "npm not on PATH"
			return
		}
		dir := filepath.Join(filepath.Dir(binary), "tsclient")
		if err := os.CopyFS(dir, os.DirFS(filepath.Join("testdata", "tsclient"))); err != nil {
			tsSDK.skipReason = "copying testdata/tsclient: " + err.Error()
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		install := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
		install.Dir = dir
		if out, err := install.CombinedOutput(); err != nil {
			tsSDK.skipReason = "npm ci failed (registry unreachable?): " + err.Error() + "\n" + string(out)
			return
		}
		tsSDK.node, tsSDK.dir = node, dir
	})
	if tsSDK.skipReason != "" {
		t.Skip(tsSDK.skipReason)
	}
	return tsSDK.node, tsSDK.dir
}

// runScript runs one of the testdata/tsclient scripts against the binary
// and decodes the JSON object it prints into seen.
func runScript(t *testing.T, s sandbox, script string, seen any) {
	t.Helper()
	node, dir := tsClient(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script, binary, s.db)
	cmd.Dir = dir
	cmd.Env = s.env()
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("%s: %v\nstdout: %s\nstderr: %s", script, err, out, stderr)
	}
	if err := json.Unmarshal(out, seen); err != nil {
		t.Fatalf("decoding %s output: %v\n%s", script, err, out)
	}
}

// TestTypeScriptSDKClient drives the built binary with the TypeScript SDK,
// so a client other than mcp-go's own checks the wire format and, through
// the SDK's own validation, every structuredContent against its
// outputSchema.
func TestTypeScriptSDKClient(t *testing.T) {
	s := newSandbox(t)
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
	runScript(t, s, "check.mjs", &seen)
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
			t.Errorf("%s: not as expected; client saw %+v", c.what, seen)
		}
	}
}

// While another process holds the database's write lock, a create_flag the
// client gives up on is cancelled (the SDK sends notifications/cancelled),
// and the session stays responsive: ping and search answer at once, the
// SDK reports no answer to the request it gave up on, and the server exits
// promptly at the end instead of waiting out its busy timeout.
func TestTypeScriptSDKClientCancels(t *testing.T) {
	s := newSandbox(t)
	st, err := store.Open(t.Context(), s.db)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	db, err := sql.Open("sqlite", s.db)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(context.Background(), "ROLLBACK")

	var seen struct {
		CreateOutcome  string   `json:"createOutcome"`
		AbortedAfterMs int      `json:"abortedAfterMs"`
		PingMs         int      `json:"pingMs"`
		SearchWorks    bool     `json:"searchWorks"`
		CloseMs        int      `json:"closeMs"`
		ClientErrors   []string `json:"clientErrors"`
	}
	runScript(t, s, "cancel.mjs", &seen)
	if seen.CreateOutcome != "aborted" || seen.AbortedAfterMs > 2000 {
		t.Errorf("create_flag on a locked database: %q after %d ms; want aborted by the client after ~300 ms", seen.CreateOutcome, seen.AbortedAfterMs)
	}
	if seen.PingMs > 1000 || !seen.SearchWorks {
		t.Errorf("session after the cancel: ping %d ms, search works %v; want both at once", seen.PingMs, seen.SearchWorks)
	}
	if len(seen.ClientErrors) != 0 {
		t.Errorf("the SDK reported %q; the cancelled request must get no answer", seen.ClientErrors)
	}
	if seen.CloseMs > 1500 {
		t.Errorf("server took %d ms to exit after stdin closed; the cancelled request is still waiting on the lock", seen.CloseMs)
	}
	var n int
	if err := conn.QueryRowContext(t.Context(), "SELECT count(*) FROM flags").Scan(&n); err != nil || n != 0 {
		t.Errorf("flags stored: %d (%v), want none", n, err)
	}
}
