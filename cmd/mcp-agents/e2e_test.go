package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// binary is the mcp-agents executable built once for the end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mcp-agents-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "mcp-agents")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building mcp-agents: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// sandbox is an isolated home, working directory and database for one test,
// so no test sees the developer's own ~/.claude/agents or database.
type sandbox struct {
	home, cwd, db string
	// attr, when set, is how stdioClient starts the server (as another
	// user: see unprivileged).
	attr *syscall.SysProcAttr
}

func newSandbox(t *testing.T) sandbox {
	t.Helper()
	root := t.TempDir()
	s := sandbox{home: filepath.Join(root, "home"), cwd: filepath.Join(root, "work"), db: filepath.Join(root, "db", "agents.db")}
	for _, d := range []string{s.home, s.cwd} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func (s sandbox) env() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "MCP_AGENTS_DB", "MCP_AGENTS_DIRS":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME="+s.home, "XDG_DATA_HOME="+filepath.Join(s.home, ".local", "share"), "XDG_CACHE_HOME="+filepath.Join(s.home, ".cache"))
}

// startPiped starts cmd with its stdin and stdout on pipes.
func startPiped(t *testing.T, cmd *exec.Cmd) (stdin io.WriteCloser, stdout io.ReadCloser) {
	t.Helper()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if stdout, err = cmd.StdoutPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return stdin, stdout
}

// stdioClient starts `serve --db s.db args...` from the built binary under a
// real mcp-go client, not yet initialized; stderr, when not nil, receives
// the server's stderr.
func (s sandbox) stdioClient(t *testing.T, stderr io.Writer, args ...string) *client.Client {
	t.Helper()
	opts := []transport.StdioOption{transport.WithCommandFunc(func(ctx context.Context, command string, _ []string, args []string) (*exec.Cmd, error) {
		cmd := exec.CommandContext(ctx, command, args...)
		cmd.Env, cmd.Dir, cmd.SysProcAttr = s.env(), s.cwd, s.attr
		return cmd, nil
	})}
	if stderr != nil {
		opts = append(opts, transport.WithCommandStderrWriter(stderr))
	}
	c, err := client.NewStdioMCPClientWithOptions(binary, nil, append([]string{"serve", "--db", s.db}, args...), opts...)
	if err != nil {
		t.Fatalf("start server: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// initialize sends the client's initialize request, as client name, at the
// latest protocol version.
func initialize(c *client.Client, name string) (*mcp.InitializeResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	req.Params.ClientInfo = mcp.Implementation{Name: name, Version: "1"}
	return c.Initialize(ctx, req)
}

// start launches the built binary as a stdio MCP server and initializes a
// real mcp-go client against it.
func (s sandbox) start(t *testing.T, args ...string) *client.Client {
	t.Helper()
	c := s.stdioClient(t, nil, args...)
	res, err := initialize(c, "e2e")
	if err != nil {
		t.Fatalf("initialize: %v", err)
	}
	if res.ServerInfo.Name != "mcp-agents" || !strings.Contains(res.Instructions, "search_agents") {
		t.Fatalf("initialize result: %+v", res)
	}
	return c
}

func callTool(t *testing.T, c *client.Client, name string, args map[string]any, out any) *mcp.CallToolResult {
	t.Helper()
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := c.CallTool(ctx, req)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if out != nil {
		if res.IsError {
			t.Fatalf("%s(%v): %s", name, args, resultText(res))
		}
		if err := json.Unmarshal([]byte(resultText(res)), out); err != nil {
			t.Fatalf("%s: decode %q: %v", name, resultText(res), err)
		}
	}
	return res
}

func resultText(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

func TestStdioServer(t *testing.T) {
	s := newSandbox(t)
	c := s.start(t)
	ctx := context.Background()

	tools, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range tools.Tools {
		names = append(names, tool.Name)
	}
	for _, want := range []string{"search_agents", "get_agent", "create_flag", "get_agent_flags", "lock_flag", "unlock_flag", "complete_flag", "list_flags", "get_flag"} {
		if !strings.Contains(","+strings.Join(names, ",")+",", ","+want+",") {
			t.Errorf("tools/list lacks %s: %v", want, names)
		}
	}

	var found struct {
		Results []struct {
			Name    string   `json:"name"`
			Rank    int      `json:"rank"`
			Reasons []string `json:"reasons"`
		} `json:"results"`
	}
	callTool(t, c, "search_agents", map[string]any{"query": "kubernetes helm chart deployment", "limit": 3}, &found)
	if len(found.Results) == 0 || len(found.Results) > 3 || found.Results[0].Rank != 1 || len(found.Results[0].Reasons) == 0 {
		t.Fatalf("search_agents: %+v", found)
	}

	var got struct {
		Name string `json:"name"`
		Body string `json:"body"`
	}
	callTool(t, c, "get_agent", map[string]any{"name": found.Results[0].Name}, &got)
	if got.Name != found.Results[0].Name || got.Body == "" {
		t.Fatalf("get_agent(%s) = %+v", found.Results[0].Name, got)
	}

	res := callTool(t, c, "search_agents", map[string]any{"query": "   "}, nil)
	if !res.IsError || !strings.Contains(resultText(res), "query") {
		t.Errorf("blank query: want isError naming query, got %+v", res)
	}

	preq := mcp.GetPromptRequest{}
	preq.Params.Name = strings.TrimPrefix(got.Name, "@")
	preq.Params.Arguments = map[string]string{"task": "review the deployment manifests"}
	prompt, err := c.GetPrompt(ctx, preq)
	if err != nil {
		t.Fatalf("prompts/get %s: %v", preq.Params.Name, err)
	}
	if len(prompt.Messages) != 1 {
		t.Fatalf("prompt messages: %+v", prompt.Messages)
	}
	if tc, ok := prompt.Messages[0].Content.(mcp.TextContent); !ok || !strings.Contains(tc.Text, "review the deployment manifests") {
		t.Errorf("prompt text lacks the task: %+v", prompt.Messages[0].Content)
	}
}

// TestFlagsSurviveRestart shows flags and their events are on disk, not in
// the process: a second server on the same file sees everything.
func TestFlagsSurviveRestart(t *testing.T) {
	s := newSandbox(t)
	c := s.start(t)
	var created struct {
		Flag struct {
			ID int64 `json:"id"`
		} `json:"flag"`
	}
	callTool(t, c, "create_flag", map[string]any{
		"flag_type": "deprecation", "source_agent": "@backend.api", "target_agent": "@ops.containers", "impact_level": "medium",
		"change_description": "The /v1/health endpoint is deprecated in favour of /healthz on every service.",
		"action_required":    "Switch liveness and readiness probes in all Helm charts to /healthz and remove the /v1/health probe before the next release.",
	}, &created)
	callTool(t, c, "lock_flag", map[string]any{"flag_id": created.Flag.ID, "agent": "@ops.containers"}, &struct{}{})
	c.Close()

	c2 := s.start(t)
	var detail struct {
		Flag struct {
			ID       int64   `json:"id"`
			Locked   bool    `json:"locked"`
			LockedBy *string `json:"locked_by"`
		} `json:"flag"`
		Events []struct {
			Kind string `json:"kind"`
		} `json:"events"`
	}
	callTool(t, c2, "get_flag", map[string]any{"flag_id": created.Flag.ID}, &detail)
	if !detail.Flag.Locked || detail.Flag.LockedBy == nil || *detail.Flag.LockedBy != "@ops.containers" || len(detail.Events) != 2 {
		t.Fatalf("after restart: %+v", detail)
	}
}

// TestManyServersOneDatabase is the multi-client case: six server processes
// share one database file; each creates 50 flags, then all race to lock
// every flag with different agents. Every create is stored, every flag is
// locked exactly once, and no call fails on a busy or locked database.
func TestManyServersOneDatabase(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns six servers")
	}
	const procs, perProc = 6, 50
	s := newSandbox(t)
	clients := make([]*client.Client, procs)
	for i := range clients {
		clients[i] = s.start(t)
	}
	raceToLock(t, clients, perProc)
}

// raceToLock has each client create perProc flags, then every client race
// to lock every flag under its own agent: every create must be stored
// (and seen through another client than the first), every flag locked
// exactly once, and no call may fail other than by losing the race.
func raceToLock(t *testing.T, clients []*client.Client, perProc int) {
	t.Helper()
	procs := len(clients)
	flagArgs := func(p, i int) map[string]any {
		return map[string]any{
			"flag_type": "change", "source_agent": fmt.Sprintf("@worker.p%d", p),
			"change_description": fmt.Sprintf("Process %d changed shared configuration item number %d for the race test.", p, i),
			"action_required":    "Reload the shared configuration, verify the new value is picked up by every consumer, and report any mismatch back to the sender.",
		}
	}
	var wg sync.WaitGroup
	errs := make(chan string, procs*perProc*2)
	for p, c := range clients {
		wg.Go(func() {
			for i := range perProc {
				req := mcp.CallToolRequest{}
				req.Params.Name = "create_flag"
				req.Params.Arguments = flagArgs(p, i)
				res, err := c.CallTool(context.Background(), req)
				if err != nil {
					errs <- err.Error()
				} else if res.IsError {
					errs <- resultText(res)
				}
			}
		})
	}
	wg.Wait()

	var list struct {
		Flags []struct {
			ID int64 `json:"id"`
		} `json:"flags"`
		Total int `json:"total"`
	}
	callTool(t, clients[len(clients)-1], "list_flags", map[string]any{"limit": 1000}, &list)
	if list.Total != procs*perProc || len(list.Flags) != procs*perProc {
		t.Fatalf("stored %d flags (%d listed), want %d", list.Total, len(list.Flags), procs*perProc)
	}

	var mu sync.Mutex
	winners := map[int64][]string{}
	for p, c := range clients {
		wg.Go(func() {
			agent := fmt.Sprintf("@racer.p%d", p)
			for _, fl := range list.Flags {
				req := mcp.CallToolRequest{}
				req.Params.Name = "lock_flag"
				req.Params.Arguments = map[string]any{"flag_id": fl.ID, "agent": agent}
				res, err := c.CallTool(context.Background(), req)
				switch {
				case err != nil:
					errs <- err.Error()
				case !res.IsError:
					mu.Lock()
					winners[fl.ID] = append(winners[fl.ID], agent)
					mu.Unlock()
				case !strings.Contains(resultText(res), "locked by"):
					errs <- resultText(res)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("call failed: %s", e)
	}
	for _, fl := range list.Flags {
		if n := len(winners[fl.ID]); n != 1 {
			t.Errorf("flag %d locked %d times (%v)", fl.ID, n, winners[fl.ID])
		}
	}
}

// TestConcurrentFirstOpen starts eight processes on a database file that does
// not exist yet: all must create, migrate and use it without an error.
func TestConcurrentFirstOpen(t *testing.T) {
	s := newSandbox(t)
	const procs = 8
	var wg sync.WaitGroup
	outs := make([]string, procs)
	errs := make([]error, procs)
	for i := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(binary, "flags", "list", "--db", s.db)
			cmd.Env, cmd.Dir = s.env(), s.cwd
			out, err := cmd.CombinedOutput()
			outs[i], errs[i] = string(out), err
		}()
	}
	wg.Wait()
	for i := range procs {
		if errs[i] != nil || !strings.Contains(outs[i], `"total": 0`) {
			t.Errorf("process %d: %v\n%s", i, errs[i], outs[i])
		}
	}
}

func TestRunRefusesUnopenableDatabase(t *testing.T) {
	s := newSandbox(t)
	blocker := filepath.Join(s.cwd, "file")
	if err := os.WriteFile(blocker, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "serve", "--db", filepath.Join(blocker, "agents.db"))
	cmd.Env, cmd.Dir = s.env(), s.cwd
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("want exit 1, got %v\n%s", err, out)
	}
	if !strings.Contains(string(out), blocker) {
		t.Errorf("error does not name the path: %s", out)
	}
}

// TestCatalogCache shows the start-up cache is invisible except for speed:
// the second start reads the catalog from the cache directory, warnings about bad
// files are still reported, and an edited agent file is seen at the next
// start, never a stale copy.
// lockedWriter serialises writes from the transport's stderr goroutine with
// the test's read at the end.
type lockedWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}
