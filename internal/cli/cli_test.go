package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcp-agents/mcp-agents/internal/cli"
)

type result struct {
	stdout, stderr string
	code           int
}

// harness runs the CLI in-process with an isolated home, working directory
// and database, so tests never touch the developer's files.
type harness struct {
	home, cwd, db string
	env           map[string]string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	root := t.TempDir()
	h := &harness{home: filepath.Join(root, "home"), cwd: filepath.Join(root, "work"), db: filepath.Join(root, "agents.db"), env: map[string]string{}}
	for _, d := range []string{h.home, h.cwd} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

func (h *harness) run(t *testing.T, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := cli.Run(context.Background(), args, strings.NewReader(""), &stdout, &stderr, cli.Options{
		Version: "1.2.3",
		Getenv:  func(k string) string { return h.env[k] },
		Getwd:   func() (string, error) { return h.cwd, nil },
		HomeDir: func() (string, error) { return h.home, nil },
	})
	code := cli.ExitCode(err, &stderr)
	return result{stdout.String(), stderr.String(), code}
}

func (h *harness) ok(t *testing.T, out any, args ...string) {
	t.Helper()
	r := h.run(t, args...)
	if r.code != 0 {
		t.Fatalf("%v: exit %d\n%s", args, r.code, r.stderr)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(r.stdout), out); err != nil {
			t.Fatalf("%v: stdout is not JSON: %v\n%s", args, err, r.stdout)
		}
	}
}

func writeAgent(t *testing.T, dir, file, content string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, file), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestVersionAndHelp(t *testing.T) {
	h := newHarness(t)
	for _, args := range [][]string{{"--version"}, {"version"}} {
		r := h.run(t, args...)
		if r.code != 0 || strings.TrimSpace(r.stdout) != "mcp-agents 1.2.3" {
			t.Errorf("%v: %+v", args, r)
		}
	}
	r := h.run(t, "--help")
	if r.code != 0 || !strings.Contains(r.stderr, "search-agents") || !strings.Contains(r.stderr, "create-flag") {
		t.Errorf("--help: %+v", r)
	}
	for _, cmd := range []string{"serve", "search-agents", "get-agent-flags", "create-flag", "lock-flag", "unlock-flag", "complete-flag", "version"} {
		r := h.run(t, cmd, "--help")
		if r.code != 0 || !strings.Contains(r.stderr, "Usage: mcp-agents "+cmd) {
			t.Errorf("%s --help: %+v", cmd, r)
		}
	}
	for _, args := range [][]string{{"agents", "--help"}, {"flags", "--help"}, {"agents", "list", "--help"}, {"flags", "list", "--help"}} {
		if r := h.run(t, args...); r.code != 0 || !strings.Contains(r.stderr, "Usage") {
			t.Errorf("%v: %+v", args, r)
		}
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	h := newHarness(t)
	cases := [][]string{
		{"bogus"},
		{"search-agents"},
		{"search-agents", "docker", "three"},
		{"lock-flag", "1"},
		{"lock-flag", "x", "@a.b"},
		{"agents"},
		{"agents", "frobnicate"},
		{"flags", "show"},
		{"--nope"},
		{"--log-level", "loud", "search-agents", "docker"},
	}
	for _, args := range cases {
		if r := h.run(t, args...); r.code != 2 || r.stderr == "" {
			t.Errorf("%v: want exit 2 with a message, got %+v", args, r)
		}
	}
}

func TestSearchAgentsVerb(t *testing.T) {
	h := newHarness(t)
	var out struct {
		Query        string `json:"query"`
		TotalMatches int    `json:"total_matches"`
		Results      []struct {
			Name    string   `json:"name"`
			Rank    int      `json:"rank"`
			Score   float64  `json:"score"`
			Reasons []string `json:"reasons"`
		} `json:"results"`
	}
	h.ok(t, &out, "search-agents", "PostgreSQL query performance tuning", "3")
	if len(out.Results) != 3 || out.Results[0].Rank != 1 || out.Results[0].Score <= 0 || len(out.Results[0].Reasons) == 0 {
		t.Fatalf("search-agents: %+v", out)
	}
	if out.Results[0].Name != "@database.postgres" {
		t.Errorf("top result %s, want @database.postgres", out.Results[0].Name)
	}
	if r := h.run(t, "search-agents", "docker", "0"); r.code != 1 || !strings.Contains(r.stderr, "limit") {
		t.Errorf("limit 0: %+v", r)
	}
	if r := h.run(t, "search-agents", " "); r.code != 1 || !strings.Contains(r.stderr, "query") {
		t.Errorf("blank query: %+v", r)
	}
}

func TestAgentsVerbs(t *testing.T) {
	h := newHarness(t)
	extra := filepath.Join(h.cwd, "extra")
	writeAgent(t, extra, "mine.md", "---\nname: team.mine\ndescription: Our own agent for the billing service.\n---\nYou own billing.\n")

	r := h.run(t, "--no-builtin", "--agents", extra, "agents", "list")
	if r.code != 0 || !strings.Contains(r.stdout, "@team.mine") || strings.Contains(r.stdout, "@ops.containers") {
		t.Errorf("agents list --no-builtin: %+v", r)
	}
	var entries []map[string]any
	h.ok(t, &entries, "agents", "list", "--json")
	if len(entries) < 24 {
		t.Errorf("built-in catalog has %d agents, want at least 24", len(entries))
	}

	var shown struct {
		Name   string `json:"name"`
		Source string `json:"source"`
		Body   string `json:"body"`
	}
	h.ok(t, &shown, "agents", "show", "TEAM.MINE", "--agents", extra)
	if shown.Name != "@team.mine" || shown.Source != "dir" || !strings.Contains(shown.Body, "You own billing.") {
		t.Errorf("agents show: %+v", shown)
	}
	if r := h.run(t, "agents", "show", "ops.contaners"); r.code != 1 || !strings.Contains(r.stderr, "did you mean") {
		t.Errorf("show unknown: %+v", r)
	}

	// The project's .claude/agents, found upward from a nested directory,
	// overrides a built-in agent of the same name.
	writeAgent(t, filepath.Join(h.cwd, ".claude", "agents"), "pg.md", "---\nname: database.postgres\ndescription: Project-specific Postgres rules.\n---\nProject body.\n")
	h.cwd = filepath.Join(h.cwd, "sub", "dir")
	if err := os.MkdirAll(h.cwd, 0o755); err != nil {
		t.Fatal(err)
	}
	h.ok(t, &shown, "agents", "show", "@database.postgres")
	if shown.Source != "project" || !strings.Contains(shown.Body, "Project body.") {
		t.Errorf("project override: %+v", shown)
	}
}

func TestAgentsCheck(t *testing.T) {
	h := newHarness(t)
	good := filepath.Join(h.cwd, "good")
	writeAgent(t, good, "a.md", "---\nname: a.one\ndescription: First agent.\n---\nBody.\n")
	if r := h.run(t, "agents", "check", good); r.code != 0 || r.stdout != "" || !strings.Contains(r.stderr, "ok: 1") {
		t.Errorf("clean dir: %+v", r)
	}

	bad := filepath.Join(h.cwd, "bad")
	writeAgent(t, bad, "nofront.md", "just text\n")
	writeAgent(t, bad, "noname.md", "---\ndescription: x\n---\nbody\n")
	writeAgent(t, bad, "dup1.md", "---\nname: same\ndescription: one\n---\n")
	writeAgent(t, bad, "dup2.md", "---\nname: same\ndescription: two\n---\n")
	r := h.run(t, "agents", "check", good, bad)
	if r.code != 1 {
		t.Fatalf("bad dir: want exit 1, got %+v", r)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 3 {
		t.Errorf("want 3 problem lines, got %d:\n%s", len(lines), r.stdout)
	}
	for _, want := range []string{"nofront.md", "noname.md", "dup2.md"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("problems do not name %s:\n%s", want, r.stdout)
		}
	}
	if r := h.run(t, "agents", "check", filepath.Join(h.cwd, "missing")); r.code != 1 {
		t.Errorf("missing dir: %+v", r)
	}
}

type flagJSON struct {
	ID          int64    `json:"id"`
	Status      string   `json:"status"`
	Locked      bool     `json:"locked"`
	LockedBy    *string  `json:"locked_by"`
	TargetAgent *string  `json:"target_agent"`
	Related     []string `json:"related_files"`
	Notes       *string  `json:"notes"`
}

func TestFlagVerbs(t *testing.T) {
	h := newHarness(t)
	h.env["MCP_AGENTS_DB"] = h.db
	var created struct{ Flag flagJSON }
	h.ok(t, &created, "create-flag",
		"--flag_type", "breaking_change", "--source_agent", "@backend.api", "--target_agent", "@Database.Postgres",
		"--change_description", "The orders table primary key changed from integer to UUID across all services.",
		"--action_required", "Update every foreign key referencing orders.id to UUID, rebuild the affected indexes, and re-run the migration tests on staging.",
		"--impact_level", "high", "--related_files", "db/orders.sql,api/orders.go", "--context", `{"ticket":"DB-7"}`)
	id := created.Flag.ID
	if id < 1 || *created.Flag.TargetAgent != "@database.postgres" || len(created.Flag.Related) != 2 {
		t.Fatalf("create-flag: %+v", created.Flag)
	}
	if _, err := os.Stat(h.db); err != nil {
		t.Fatalf("MCP_AGENTS_DB not used: %v", err)
	}
	sid := strings.TrimSpace(string(must(json.Marshal(id))))

	var inbox struct {
		Agent string
		Flags []flagJSON
	}
	h.ok(t, &inbox, "get-agent-flags", "database.postgres")
	if inbox.Agent != "@database.postgres" || len(inbox.Flags) != 1 {
		t.Fatalf("get-agent-flags: %+v", inbox)
	}

	var locked struct{ Flag flagJSON }
	h.ok(t, &locked, "lock-flag", sid, "@database.postgres", "--lease", "120")
	if !locked.Flag.Locked {
		t.Fatalf("lock-flag: %+v", locked.Flag)
	}
	if r := h.run(t, "lock-flag", sid, "@ops.containers"); r.code != 1 || !strings.Contains(r.stderr, "@database.postgres") {
		t.Errorf("contended lock: %+v", r)
	}
	h.ok(t, &locked, "unlock-flag", sid, "@database.postgres")
	if locked.Flag.Locked {
		t.Errorf("unlock-flag left it locked")
	}
	var done struct{ Flag flagJSON }
	h.ok(t, &done, "complete-flag", sid, "@database.postgres", "--notes", "keys migrated")
	if done.Flag.Status != "completed" || done.Flag.Notes == nil || *done.Flag.Notes != "keys migrated" {
		t.Errorf("complete-flag: %+v", done.Flag)
	}

	var list struct {
		Flags []flagJSON
		Total int
	}
	h.ok(t, &list, "flags", "list", "--status", "completed", "--target_agent", "@database.postgres")
	if list.Total != 1 {
		t.Errorf("flags list: %+v", list)
	}
	var detail struct {
		Flag   flagJSON
		Events []map[string]any
		Chain  []flagJSON
	}
	h.ok(t, &detail, "flags", "show", sid)
	if detail.Flag.ID != id || len(detail.Events) != 4 || len(detail.Chain) != 1 {
		t.Errorf("flags show: %+v", detail)
	}

	r := h.run(t, "create-flag", "--flag_type", "security", "--source_agent", "@a.b",
		"--change_description", strings.Repeat("c", 60), "--action_required", strings.Repeat("a", 120), "--impact_level", "high", "--target_agent", "@database.postgres")
	if r.code != 1 || !strings.Contains(r.stderr, "critical") || r.stdout != "" {
		t.Errorf("rule violation: %+v", r)
	}
	h.ok(t, &list, "flags", "list", "--status", "all")
	if list.Total != 1 {
		t.Errorf("a rejected create stored something: total %d", list.Total)
	}
}

func TestDatabaseFlagWins(t *testing.T) {
	h := newHarness(t)
	h.env["MCP_AGENTS_DB"] = filepath.Join(h.cwd, "env.db")
	explicit := filepath.Join(h.cwd, "nested", "explicit.db")
	h.ok(t, nil, "--db", explicit, "flags", "list")
	if _, err := os.Stat(explicit); err != nil {
		t.Errorf("--db not used (parent dir should be created): %v", err)
	}
	if _, err := os.Stat(h.env["MCP_AGENTS_DB"]); err == nil {
		t.Errorf("MCP_AGENTS_DB used despite --db")
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// Every skipped file and every override is one warning line on stderr that
// names the file and the reason; --log-level error silences them.
func TestWarningsOnStderr(t *testing.T) {
	h := newHarness(t)
	dir := filepath.Join(h.cwd, "extra")
	writeAgent(t, dir, "broken.md", "no frontmatter here\n")
	writeAgent(t, dir, "pg.md", "---\nname: database.postgres\ndescription: Overrides the built-in one.\n---\nBody.\n")
	writeAgent(t, dir, "ok.md", "---\nname: team.ok\ndescription: Fine.\n---\nBody.\n")

	r := h.run(t, "agents", "list", "--agents", dir)
	if r.code != 0 {
		t.Fatalf("agents list: %+v", r)
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 warning lines, got %d:\n%s", len(lines), r.stderr)
	}
	for i, want := range []string{"broken.md", "pg.md"} {
		if !strings.Contains(lines[i], "level=WARN") || !strings.Contains(lines[i], want) || !strings.Contains(lines[i], "reason=") {
			t.Errorf("warning %d = %q, want a WARN line naming %s with a reason", i, lines[i], want)
		}
	}
	if r := h.run(t, "agents", "list", "--agents", dir, "--log-level", "error"); r.stderr != "" {
		t.Errorf("--log-level error still printed:\n%s", r.stderr)
	}
}
