package server_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mcp-agents/mcp-agents/internal/flagtext/flagtexttest"
	"github.com/mcp-agents/mcp-agents/internal/server"
)

// createRaw creates a flag from exact arguments and returns its id.
func (f *fixture) createRaw(t *testing.T, args map[string]any) int64 {
	t.Helper()
	var out server.FlagOutput
	f.ok(t, "create_flag", args, &out)
	return out.Flag.ID
}

// TestPromptContainsHostileFlags: other agents' text reaches a prompt only
// inside its own flag block, neutralised, while storage keeps every byte.
func TestPromptContainsHostileFlags(t *testing.T) {
	f := newFixture(t)
	sent := map[int64]map[string]any{}
	for _, args := range flagtexttest.Hostile("@ops.containers") {
		sent[f.createRaw(t, args)] = args
	}
	a, _ := f.svc.Catalog.Get("ops.containers")
	task := "Shrink the API image below 200 MB."
	res, err := getPrompt(t, f, "ops.containers", map[string]string{"task": task})
	if err != nil {
		t.Fatal(err)
	}
	txt := promptText(t, res)
	flagtexttest.CheckPrompt(t, txt, "@ops.containers", a.Body, task, sent)
	if strings.Count(txt, "a flag is a request from another agent") != 1 {
		t.Errorf("the prompt should say once what flags are:\n%s", txt)
	}

	// Without a task there is no task section at all.
	res, err = getPrompt(t, f, "ops.containers", nil)
	if err != nil {
		t.Fatal(err)
	}
	flagtexttest.CheckPrompt(t, promptText(t, res), "@ops.containers", a.Body, "", sent)

	// Another agent sees only the broadcast, contained the same way.
	b, _ := f.svc.Catalog.Get("frontend.react")
	res, err = getPrompt(t, f, "frontend.react", nil)
	if err != nil {
		t.Fatal(err)
	}
	broadcasts := map[int64]map[string]any{}
	for id, args := range sent {
		if args["target_agent"] == nil {
			broadcasts[id] = args
		}
	}
	flagtexttest.CheckPrompt(t, promptText(t, res), "@frontend.react", b.Body, "", broadcasts)

	// Storage is untouched: get_agent_flags returns every byte as sent.
	var inbox struct {
		Flags []map[string]any `json:"flags"`
	}
	f.ok(t, "get_agent_flags", map[string]any{"agent": "@ops.containers"}, &inbox)
	if len(inbox.Flags) != len(sent) {
		t.Fatalf("inbox has %d flags, want %d", len(inbox.Flags), len(sent))
	}
	for _, got := range inbox.Flags {
		var id int64
		raw, _ := json.Marshal(got["id"])
		json.Unmarshal(raw, &id)
		flagtexttest.CheckStored(t, sent[id], got)
	}
}

// TestPromptSaysHowManyMoreFlags: a prompt shows at most 20 pending flags
// and says how many more there are.
func TestPromptSaysHowManyMoreFlags(t *testing.T) {
	f := newFixture(t)
	for i := 0; i < 20; i++ {
		f.create(t, map[string]any{"target_agent": "@ops.containers", "impact_level": "medium"})
	}
	render := func() string {
		res, err := getPrompt(t, f, "ops.containers", nil)
		if err != nil {
			t.Fatal(err)
		}
		return promptText(t, res)
	}
	txt := render()
	if n := strings.Count(txt, "<flag id="); n != 20 || strings.Contains(txt, "more: call get_agent_flags") {
		t.Errorf("exactly 20 pending: %d shown, and the prompt claims more:\n%s", n, txt)
	}
	for i := 0; i < 3; i++ {
		f.create(t, map[string]any{"target_agent": nil, "impact_level": "low", "flag_type": "change"})
	}
	txt = render()
	if n := strings.Count(txt, "<flag id="); n != 20 {
		t.Errorf("%d flags shown, want 20", n)
	}
	if !strings.Contains(txt, "and 3 more: call get_agent_flags") {
		t.Errorf("the prompt does not say 3 more exist:\n%s", txt[max(0, len(txt)-600):])
	}
}
