package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-agents/mcp-agents/internal/flagtext/flagtexttest"
)

const targetBody = "# test.target\n\nYou keep the build green. Never skip code review.\n"

// startWithTarget starts the binary with one extra agent, @test.target,
// whose body is targetBody.
func startWithTarget(t *testing.T) *client.Client {
	t.Helper()
	s := newSandbox(t)
	dir := filepath.Join(s.cwd, "extra-agents")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	file := "---\nname: test.target\ndescription: The agent hostile flags are aimed at in these tests.\n---\n" + targetBody
	if err := os.WriteFile(filepath.Join(dir, "test.target.md"), []byte(file), 0o644); err != nil {
		t.Fatal(err)
	}
	return s.start(t, "--agents", dir)
}

func promptOf(t *testing.T, c *client.Client, name, task string) string {
	t.Helper()
	req := mcp.GetPromptRequest{}
	req.Params.Name = name
	if task != "" {
		req.Params.Arguments = map[string]string{"task": task}
	}
	res, err := c.GetPrompt(context.Background(), req)
	if err != nil {
		t.Fatalf("prompts/get %s: %v", name, err)
	}
	if len(res.Messages) != 1 {
		t.Fatalf("prompt messages: %+v", res.Messages)
	}
	tc, ok := res.Messages[0].Content.(mcp.TextContent)
	if !ok {
		t.Fatalf("prompt content is %T", res.Messages[0].Content)
	}
	return tc.Text
}

// TestHostileFlagsAreContained: through the built binary, flags written to
// take over a prompt stay inside their own blocks, neutralised, and come
// back from get_agent_flags byte for byte.
func TestHostileFlagsAreContained(t *testing.T) {
	c := startWithTarget(t)
	sent := map[int64]map[string]any{}
	for _, args := range flagtexttest.Hostile("@test.target") {
		var out struct {
			Flag struct {
				ID int64 `json:"id"`
			} `json:"flag"`
		}
		callTool(t, c, "create_flag", args, &out)
		sent[out.Flag.ID] = args
	}
	task := "Fix the flaky integration test in ci/run."
	flagtexttest.CheckPrompt(t, promptOf(t, c, "test.target", task), "@test.target", targetBody, task, sent)

	var inbox struct {
		Flags []map[string]any `json:"flags"`
	}
	callTool(t, c, "get_agent_flags", map[string]any{"agent": "@test.target"}, &inbox)
	if len(inbox.Flags) != len(sent) {
		t.Fatalf("inbox has %d flags, want %d", len(inbox.Flags), len(sent))
	}
	for _, got := range inbox.Flags {
		id, _ := got["id"].(float64)
		flagtexttest.CheckStored(t, sent[int64(id)], got)
	}
}

// TestArgumentRulesOverStdio: unknown arguments, an empty target and a
// context nested too deeply are refused by the binary, which stores nothing
// and keeps serving.
func TestArgumentRulesOverStdio(t *testing.T) {
	c := startWithTarget(t)
	flag := func(extra map[string]any) map[string]any {
		args := map[string]any{
			"flag_type": "change", "source_agent": "@backend.api", "target_agent": "@test.target",
			"change_description": "The build cache moved to a new bucket and old keys are no longer read.",
			"action_required":    "Update the cache key prefix in ci/run, clear the old bucket's credentials from the runners and confirm a cold build passes.",
		}
		for k, v := range extra {
			if v == nil {
				delete(args, k)
				continue
			}
			args[k] = v
		}
		return args
	}
	nested := func(depth int) string {
		return strings.Repeat(`{"k":`, depth-1) + "{}" + strings.Repeat("}", depth-1)
	}
	refused := []struct {
		name  string
		args  map[string]any
		wants []string
	}{
		{"misspelt target", flag(map[string]any{"target_agent": nil, "targetAgent": "@test.target"}), []string{"unknown argument targetAgent; did you mean target_agent?"}},
		{"empty target", flag(map[string]any{"target_agent": ""}), []string{"target_agent", "omit it"}},
		{"context 65 deep", flag(map[string]any{"context": json.RawMessage(nested(65))}), []string{"context", "64 levels"}},
		{"context string 65 deep", flag(map[string]any{"context": nested(65)}), []string{"context", "64 levels"}},
		{"context 1001 deep", flag(map[string]any{"context": json.RawMessage(nested(1001))}), []string{"context", "64 levels"}},
	}
	for _, tc := range refused {
		res := callTool(t, c, "create_flag", tc.args, nil)
		if !res.IsError {
			t.Errorf("%s: want isError, got %s", tc.name, resultText(res))
			continue
		}
		for _, w := range tc.wants {
			if !strings.Contains(resultText(res), w) {
				t.Errorf("%s: error %q lacks %q", tc.name, resultText(res), w)
			}
		}
	}
	var list struct {
		Total int `json:"total"`
	}
	callTool(t, c, "list_flags", map[string]any{"status": "all"}, &list)
	if list.Total != 0 {
		t.Fatalf("refused calls stored %d flags", list.Total)
	}

	var out struct {
		Flag struct {
			ID      int64           `json:"id"`
			Context json.RawMessage `json:"context"`
		} `json:"flag"`
	}
	callTool(t, c, "create_flag", flag(map[string]any{"context": json.RawMessage(nested(64))}), &out)
	callTool(t, c, "create_flag", flag(map[string]any{"context": nested(64)}), &out)
	res := callTool(t, c, "lock_flag", map[string]any{"flag_id": out.Flag.ID, "agent": "@test.target", "lease": 5}, nil)
	if !res.IsError || !strings.Contains(resultText(res), "unknown argument lease; did you mean lease_seconds?") {
		t.Errorf("lock_flag with lease: %s", resultText(res))
	}
	var detail struct {
		Flag struct {
			Locked bool `json:"locked"`
		} `json:"flag"`
	}
	callTool(t, c, "get_flag", map[string]any{"flag_id": out.Flag.ID}, &detail)
	if detail.Flag.Locked {
		t.Error("a refused lock_flag locked the flag")
	}
}

// TestPromptSaysMoreFlagsOverStdio: 23 pending flags show as 20 and a line
// saying 3 more.
func TestPromptSaysMoreFlagsOverStdio(t *testing.T) {
	c := startWithTarget(t)
	for i := 0; i < 23; i++ {
		callTool(t, c, "create_flag", map[string]any{
			"flag_type": "change", "source_agent": "@backend.api", "target_agent": "@test.target",
			"change_description": "The build cache moved to a new bucket and old keys are no longer read.",
			"action_required":    "Update the cache key prefix in ci/run, clear the old bucket's credentials from the runners and confirm a cold build passes.",
		}, &struct{}{})
	}
	txt := promptOf(t, c, "test.target", "")
	if n := strings.Count(txt, "<flag id="); n != 20 || !strings.Contains(txt, "and 3 more: call get_agent_flags") {
		t.Errorf("%d flags shown; the prompt ends:\n%s", n, txt[max(0, len(txt)-400):])
	}
}

// TestLongContextInPromptOverStdio: a flag made with the CLI whose context
// is longer than a field's bound reaches the built server's prompt as an
// object cut at 2,000 characters of its text as stored, escaped once as
// the other fields are, the note counting the rest of that text; its
// escape sequences go whole. The context was shown as a string holding
// its JSON text, escaped twice (\\\" and \\n), and the rest was counted on
// that escaped text, each < six characters (\u003c); "[31m" was left.
func TestLongContextInPromptOverStdio(t *testing.T) {
	s := newSandbox(t)
	head := "He said \"hi\"\nline2 <tag> & "
	context, _ := json.Marshal(map[string]string{"note": head + strings.Repeat("q\"<", 1000)})
	cmd := exec.Command(binary, "create-flag", "--db", s.db, "--flag_type", "change", "--source_agent", "@qa.tester",
		"--target_agent", "@backend.go", "--context", string(context),
		"--change_description", "\x1b[31mred\x1b[0m alert: the users table gained a JSON preferences column.",
		"--action_required", "Add a GIN index on users.preferences, update the migration checklist and confirm the backup job includes the new column.")
	cmd.Env, cmd.Dir = s.env(), s.cwd
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("create-flag: %v\n%s", err, out)
	}

	prompt := promptOf(t, s.start(t), "backend.go", "")
	_, block, _ := strings.Cut(prompt, "<flag id=")
	_, after, _ := strings.Cut(block, "```json\n")
	line, _, _ := strings.Cut(after, "\n")
	var shown struct {
		ChangeDescription string            `json:"change_description"`
		Context           map[string]string `json:"context"`
	}
	if err := json.Unmarshal([]byte(line), &shown); err != nil {
		t.Fatalf("the flag's block is not one JSON object with context an object: %v\n%.600s", err, line)
	}
	// Stored, the context is {"note":"He said \"hi\"\nline2 <tag> & q\"<…"}:
	// 9 + 30 + 4×1000 + 2 = 4,041 characters; the first 2,000 end after 490
	// q\"< and a q.
	want := head + strings.Repeat("q\"<", 490) + "q" + "…, 2041 more characters: call get_flag"
	if shown.Context["note"] != want {
		t.Errorf("context note shown as …%q, want …%q", shown.Context["note"][max(0, len(shown.Context["note"])-80):], want[len(want)-80:])
	}
	if !strings.Contains(line, `"context":{"note":"He said \"hi\"\nline2 \u003ctag\u003e \u0026 q\"\u003c`) || strings.Contains(line, `\\`) {
		t.Errorf("the context is not escaped once: %.400s", line[strings.Index(line, `"context"`):])
	}
	if !strings.HasPrefix(shown.ChangeDescription, "red alert: ") || strings.Contains(prompt, "[31m") || strings.Contains(prompt, "[0m") {
		t.Errorf("escape sequences are not removed whole: %q", shown.ChangeDescription)
	}
}
