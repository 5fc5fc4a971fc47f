package main

import (
	"bytes"
	"context"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-agents/mcp-agents/internal/agent"
	"github.com/mcp-agents/mcp-agents/internal/diskcache"
)

// writeAgent writes an agent file dated age ago: files edited in the last
// moments never hit the start-up cache (their time stamp could repeat).
func writeAgent(t *testing.T, path, content string, age time.Duration) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	then := time.Now().Add(-age)
	if err := os.Chtimes(path, then, then); err != nil {
		t.Fatal(err)
	}
}

// startLogged starts the built binary as a stdio server with debug logging
// and returns the client and the server's stderr so far.
func (s sandbox) startLogged(t *testing.T, args ...string) (*client.Client, *lockedWriter) {
	t.Helper()
	errBuf := &lockedWriter{w: &strings.Builder{}}
	c := s.stdioClient(t, errBuf, append([]string{"--log-level", "debug"}, args...)...)
	if _, err := initialize(c, "e2e"); err != nil {
		t.Fatalf("initialize: %v\n%s", err, errBuf)
	}
	return c, errBuf
}

// waitLog waits until the server's stderr, copied by the transport as it
// comes, contains want, and reports whether it did.
func waitLog(w *lockedWriter, want string) bool {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if strings.Contains(w.String(), want) {
			return true
		}
	}
	return false
}

// cacheEntries lists the start-up cache's entry files.
func cacheEntries(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".entry") {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out
}

// waitForEntries waits for the two cache entries a cold start writes after
// it starts serving, and tells them apart: the catalog's (metadata and
// search index) and its agents' texts.
func waitForEntries(t *testing.T, dir string) (catalog, texts string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		e := cacheEntries(t, dir)
		if len(e) > 2 {
			t.Fatalf("want two cache entries, found %v", e)
		}
		if len(e) == 2 {
			for _, p := range e {
				data, err := diskcache.Dir(dir).Read(strings.TrimSuffix(filepath.Base(p), ".entry"))
				var tx agent.Texts
				if err == nil && gob.NewDecoder(bytes.NewReader(data)).Decode(&tx) == nil && len(tx.Raw) > 0 {
					texts = p
				} else {
					catalog = p
				}
			}
			if catalog == "" || texts == "" {
				t.Fatalf("want a catalog entry and a texts entry, found %v", e)
			}
			return catalog, texts
		}
		if time.Now().After(deadline) {
			t.Fatalf("want two cache entries, found %v", e)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestStartupCache(t *testing.T) {
	s := newSandbox(t)
	dir := filepath.Join(s.cwd, "agents")
	cacheDir := filepath.Join(s.home, ".cache", "mcp-agents", "startup-cache")
	writeAgent(t, filepath.Join(dir, "team.md"), "---\nname: team.billing\ndescription: Owns the billing service and invoices.\n---\nFirst version.\n", 2*time.Hour)
	writeAgent(t, filepath.Join(dir, "broken.md"), "no frontmatter here\n", 2*time.Hour)

	startOnce := func() (stderr string, body string) {
		t.Helper()
		c, errBuf := s.startLogged(t, "--agents", dir)
		var got struct {
			Body string `json:"body"`
		}
		callTool(t, c, "get_agent", map[string]any{"name": "@team.billing"}, &got)
		waitLog(errBuf, "msg=serving") // logged after the catalog's lines
		c.Close()
		return errBuf.String(), got.Body
	}

	stderr, body := startOnce()
	if !strings.Contains(stderr, "catalog built from files") || !strings.Contains(stderr, "broken.md") || !strings.Contains(body, "First version.") {
		t.Fatalf("first start: body %q\n%s", body, stderr)
	}
	waitForEntries(t, cacheDir)
	stderr, body = startOnce()
	if !strings.Contains(stderr, "catalog loaded from the start-up cache") || !strings.Contains(stderr, "broken.md") || !strings.Contains(body, "First version.") {
		t.Fatalf("second start: body %q\n%s", body, stderr)
	}
	writeAgent(t, filepath.Join(dir, "team.md"), "---\nname: team.billing\ndescription: Owns the billing service and invoices.\n---\nSecond, longer version.\n", time.Hour)
	stderr, body = startOnce()
	if !strings.Contains(stderr, "start-up cache entry is of other files") || !strings.Contains(stderr, "catalog built from files") ||
		!strings.Contains(body, "Second, longer version.") {
		t.Fatalf("after an edit: body %q\n%s", body, stderr)
	}
	// The entry was rewritten (before that server exited): the next start
	// finds the new version.
	stderr, body = startOnce()
	if !strings.Contains(stderr, "catalog loaded from the start-up cache") || !strings.Contains(body, "Second, longer version.") {
		t.Fatalf("start after the edit's rewrite: body %q\n%s", body, stderr)
	}
}

// checkServes asks a server for an agent, its prompt and a search, and
// fails unless all three answer with that agent's content.
func checkServes(t *testing.T, c *client.Client, what string) {
	t.Helper()
	var got struct {
		Name string `json:"name"`
		Body string `json:"body"`
	}
	callTool(t, c, "get_agent", map[string]any{"name": "@team.billing"}, &got)
	if got.Name != "@team.billing" || !strings.Contains(got.Body, "Invoices are issued") {
		t.Fatalf("%s: get_agent = %+v", what, got)
	}
	preq := mcp.GetPromptRequest{}
	preq.Params.Name = "team.billing"
	preq.Params.Arguments = map[string]string{"task": "refund an invoice"}
	prompt, err := c.GetPrompt(context.Background(), preq)
	if err != nil {
		t.Fatalf("%s: prompts/get: %v", what, err)
	}
	if tc, ok := prompt.Messages[0].Content.(mcp.TextContent); !ok || !strings.Contains(tc.Text, "Invoices are issued") {
		t.Fatalf("%s: prompt lacks the agent's body: %+v", what, prompt.Messages[0].Content)
	}
	var found struct {
		Results []struct {
			Name string `json:"name"`
		} `json:"results"`
	}
	callTool(t, c, "search_agents", map[string]any{"query": "invoices billing", "limit": 3}, &found)
	if len(found.Results) == 0 || found.Results[0].Name != "@team.billing" {
		t.Fatalf("%s: search_agents = %+v", what, found)
	}
}

// Entries truncated or overwritten in place while servers run neither
// disturb the servers that loaded them nor mislead the next one: that one
// ignores them with one debug line, serves from the files, and rewrites
// them. A server that has not read the agents' texts yet reads them from
// their unchanged files, never from the damaged entry.
func TestStartupCacheDamagedWhileServing(t *testing.T) {
	s := newSandbox(t)
	dir := filepath.Join(s.cwd, "agents")
	cacheDir := filepath.Join(s.home, ".cache", "mcp-agents", "startup-cache")
	writeAgent(t, filepath.Join(dir, "team.md"), "---\nname: team.billing\ndescription: Owns the billing service and invoices.\n---\nInvoices are issued on the first of the month.\n", time.Hour)
	for i := range 40 { // an entry of some size, so that damage lands in the middle of it
		writeAgent(t, filepath.Join(dir, fmt.Sprintf("other%02d.md", i)),
			fmt.Sprintf("---\nname: other.n%02d\ndescription: Handles chores number %d.\n---\n%s\n", i, i, strings.Repeat("Chores and more chores. ", 200)), time.Hour)
	}

	cold, _ := s.startLogged(t, "--agents", dir)
	checkServes(t, cold, "cold start")
	catalogEntry, textsEntry := waitForEntries(t, cacheDir)
	warm, warmLog := s.startLogged(t, "--agents", dir)
	if !waitLog(warmLog, "loaded from the start-up cache") {
		t.Fatalf("second start did not use the cache:\n%s", warmLog)
	}
	checkServes(t, warm, "warm start")

	damages := []struct {
		name   string
		damage func(f *os.File, size int64) error
	}{
		{"truncated in place", func(f *os.File, size int64) error { return f.Truncate(size / 2) }},
		{"overwritten in place", func(f *os.File, size int64) error {
			_, err := f.WriteAt([]byte(strings.Repeat("garbage!", 512)), size/3)
			return err
		}},
		{"emptied", func(f *os.File, _ int64) error { return f.Truncate(0) }},
		{"foreign content", func(f *os.File, _ int64) error {
			if err := f.Truncate(0); err != nil {
				return err
			}
			_, err := f.WriteAt([]byte("SQLite format 3\x00 not a cache entry at all"), 0)
			return err
		}},
	}
	for _, d := range damages {
		t.Run(d.name, func(t *testing.T) {
			lazy, lazyLog := s.startLogged(t, "--agents", dir)
			if !waitLog(lazyLog, "loaded from the start-up cache") {
				t.Fatalf("the start did not use the cache:\n%s", lazyLog)
			}
			for _, entry := range []string{catalogEntry, textsEntry} {
				f, err := os.OpenFile(entry, os.O_RDWR, 0)
				if err != nil {
					t.Fatal(err)
				}
				info, err := f.Stat()
				if err != nil {
					t.Fatal(err)
				}
				if err := d.damage(f, info.Size()); err != nil {
					t.Fatal(err)
				}
				f.Close()
			}
			// The servers already running keep answering.
			checkServes(t, cold, "cold server after the damage")
			checkServes(t, warm, "warm server after the damage")
			checkServes(t, lazy, "server yet to read the texts, after the damage")
			checkServes(t, lazy, "server yet to read the texts, after the damage, again")
			if strings.Contains(lazyLog.String(), "agent texts not in the start-up cache") {
				t.Errorf("the texts' entry was read for unchanged files:\n%s", lazyLog)
			}

			next, log := s.startLogged(t, "--agents", dir)
			checkServes(t, next, "start after the damage")
			// The line about the entry comes before this one.
			if !waitLog(log, "catalog built from files") {
				t.Errorf("the damaged entry was not rebuilt from the files:\n%s", log)
			}
			if n := strings.Count(log.String(), "start-up cache entry ignored"); n != 1 {
				t.Errorf("want one debug line about the damaged entry, found %d:\n%s", n, log)
			}
			next.Close() // waits for the rewritten entry
			again, log := s.startLogged(t, "--agents", dir)
			if !waitLog(log, "loaded from the start-up cache") {
				t.Errorf("the entry was not rewritten:\n%s", log)
			}
			checkServes(t, again, "start from the rewritten entry")
			if strings.Contains(log.String(), "agent texts not in the start-up cache") {
				t.Errorf("the texts' entry was not rewritten:\n%s", log)
			}
		})
	}
}

// Issue 8: pruning the cache once deleted the flag database when the cache
// and data directories were the same. The cache now has a directory of its
// own and removes only its own entries, so flags survive any number of
// starts with different agent directories.
func TestCachePruningKeepsTheDatabase(t *testing.T) {
	home := t.TempDir()
	same := filepath.Join(home, "same")
	// Later entries win (os/exec keeps the last value of a duplicated key).
	env := append(sandbox{home: home}.env(), "XDG_CACHE_HOME="+same, "XDG_DATA_HOME="+same)
	run := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command(binary, args...)
		cmd.Env, cmd.Dir = env, home
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return string(out)
	}

	create := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}
{"jsonrpc":"2.0","method":"notifications/initialized"}
{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"create_flag","arguments":{"flag_type":"deprecation","source_agent":"@backend.api","target_agent":"@ops.containers","impact_level":"medium","change_description":"The /v1/health endpoint is deprecated in favour of /healthz on every service.","action_required":"Switch liveness and readiness probes in all Helm charts to /healthz and remove the /v1/health probe before the next release."}}}
`
	if out := run(create, "serve"); !strings.Contains(out, `\"id\": 1`) && !strings.Contains(out, `\"id\":1`) {
		t.Fatalf("create_flag through the server:\n%s", out)
	}
	// A file of the user's in each directory the cache could touch.
	mine := []string{filepath.Join(same, "mcp-agents", "notes.txt"), filepath.Join(same, "mcp-agents", "startup-cache", "notes.txt")}
	for _, p := range mine {
		writeAgent(t, p, "mine", 48*time.Hour)
	}

	for i := range 2*diskcache.Keep + 2 {
		dir := filepath.Join(home, fmt.Sprintf("agents%02d", i))
		writeAgent(t, filepath.Join(dir, "a.md"), fmt.Sprintf("---\nname: team.n%02d\ndescription: Team number %d.\n---\nbody\n", i, i), time.Hour)
		run("", "serve", "--agents", dir) // stdin closed at once
	}

	var list struct {
		Total int `json:"total"`
	}
	out := run("", "flags", "list", "--status", "all")
	if err := json.Unmarshal([]byte(out), &list); err != nil || list.Total != 1 {
		t.Fatalf("flags list --status all after %d starts: %v\n%s", 2*diskcache.Keep+2, err, out)
	}
	for _, p := range mine {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("a file the cache did not write was removed: %v", err)
		}
	}
	if n := len(cacheEntries(t, filepath.Join(same, "mcp-agents", "startup-cache"))); n != diskcache.Keep {
		t.Errorf("%d cache entries, want the newest %d", n, diskcache.Keep)
	}
}
