package server_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-agents/mcp-agents/internal/server"
	"github.com/mcp-agents/mcp-agents/internal/store"
)

func getPrompt(t *testing.T, f *fixture, name string, args map[string]string) (*mcp.GetPromptResult, error) {
	t.Helper()
	req := mcp.GetPromptRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	return f.client.GetPrompt(t.Context(), req)
}

func promptText(t *testing.T, res *mcp.GetPromptResult) string {
	t.Helper()
	if len(res.Messages) != 1 || res.Messages[0].Role != mcp.RoleUser {
		t.Fatalf("want one user message, got %+v", res.Messages)
	}
	tc, ok := res.Messages[0].Content.(mcp.TextContent)
	if !ok {
		t.Fatalf("content is %T, want text", res.Messages[0].Content)
	}
	return tc.Text
}

func TestPrompts(t *testing.T) {
	f := newFixture(t)
	list, err := f.client.ListPrompts(t.Context(), mcp.ListPromptsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]mcp.Prompt{}
	for _, p := range list.Prompts {
		byName[p.Name] = p
	}
	p, ok := byName["ops.containers"]
	if len(list.Prompts) != 3 || !ok {
		t.Fatalf("prompts = %v", list.Prompts)
	}
	if !strings.HasPrefix(p.Description, "Container orchestration expert") || len(p.Arguments) != 1 || p.Arguments[0].Name != "task" || p.Arguments[0].Required {
		t.Errorf("prompt = %+v", p)
	}

	res, err := getPrompt(t, f, "ops.containers", nil)
	if err != nil {
		t.Fatal(err)
	}
	txt := promptText(t, res)
	for _, want := range []string{"@ops.containers", "You run containers in production.", "no pending flags"} {
		if !strings.Contains(txt, want) {
			t.Errorf("prompt text lacks %q:\n%s", want, txt)
		}
	}
	if strings.Contains(txt, "Your task") {
		t.Errorf("prompt without task mentions a task:\n%s", txt)
	}
	// A blank task (invisible characters included) is none.
	res, err = getPrompt(t, f, "ops.containers", map[string]string{"task": " \t\u200b\n"})
	if err != nil {
		t.Fatal(err)
	}
	if txt := promptText(t, res); strings.Contains(txt, "Your task") {
		t.Errorf("prompt with a blank task mentions a task:\n%s", txt)
	}

	low := f.create(t, map[string]any{"target_agent": "@ops.containers", "impact_level": "low", "flag_type": "change",
		"change_description": "LOW: the staging cluster moved to a new node pool with larger instance types."})
	high := f.create(t, map[string]any{"target_agent": "@ops.containers", "impact_level": "high",
		"change_description": "HIGH: the API now listens on port 9090 instead of 8080 in every environment."})
	res, err = getPrompt(t, f, "ops.containers", map[string]string{"task": "Shrink the API image"})
	if err != nil {
		t.Fatal(err)
	}
	txt = promptText(t, res)
	hi, lo := strings.Index(txt, "HIGH:"), strings.Index(txt, "LOW:")
	if hi < 0 || lo < 0 || hi > lo {
		t.Errorf("pending flags missing or not most urgent first (high at %d, low at %d):\n%s", hi, lo, txt)
	}
	if !strings.Contains(txt, "Shrink the API image") || !strings.Contains(txt, `<flag id="`+itoa(high.ID)+`"`) || !strings.Contains(txt, `<flag id="`+itoa(low.ID)+`"`) {
		t.Errorf("prompt lacks task or flag ids:\n%s", txt)
	}

	if _, err := getPrompt(t, f, "no.such.agent", nil); err == nil {
		t.Error("unknown prompt: want a protocol error")
	}
}

func TestResources(t *testing.T) {
	f := newFixture(t)
	read := func(uri string) (mcp.TextResourceContents, error) {
		req := mcp.ReadResourceRequest{}
		req.Params.URI = uri
		res, err := f.client.ReadResource(t.Context(), req)
		if err != nil {
			return mcp.TextResourceContents{}, err
		}
		if len(res.Contents) != 1 {
			t.Fatalf("%s: %d contents", uri, len(res.Contents))
		}
		tc, ok := res.Contents[0].(mcp.TextResourceContents)
		if !ok {
			t.Fatalf("%s: content is %T", uri, res.Contents[0])
		}
		return tc, nil
	}

	cat, err := read("agents://catalog")
	if err != nil {
		t.Fatal(err)
	}
	var entries []server.CatalogEntry
	if err := json.Unmarshal([]byte(cat.Text), &entries); err != nil || cat.MIMEType != "application/json" {
		t.Fatalf("catalog: %v (%s)", err, cat.MIMEType)
	}
	if len(entries) != 3 || entries[0].Name != "@database.postgres" || entries[0].Source != "test" || len(entries[0].Tags) != 3 {
		t.Errorf("catalog = %+v", entries)
	}

	md, err := read("agent://ops.containers")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(md.Text, "---\nname: ops.containers") || md.MIMEType != "text/markdown" {
		t.Errorf("agent resource = %q (%s)", md.Text[:min(40, len(md.Text))], md.MIMEType)
	}
	if _, err := read("agent://ops.contaners"); err == nil || !strings.Contains(err.Error(), "did you mean") {
		t.Errorf("unknown agent resource: err = %v", err)
	}

	fl := f.create(t, nil)
	raw, err := read("flag://" + itoa(fl.ID))
	if err != nil {
		t.Fatal(err)
	}
	var detail store.FlagDetail
	if err := json.Unmarshal([]byte(raw.Text), &detail); err != nil {
		t.Fatal(err)
	}
	if detail.Flag.ID != fl.ID || len(detail.Events) != 1 || len(detail.Chain) != 1 {
		t.Errorf("flag resource = %+v", detail)
	}
	if _, err := read("flag://12345"); err == nil {
		t.Error("missing flag resource: want an error")
	}
	for _, uri := range []string{"flag://-1", "flag://0", "flag://abc", "flag://", "flag://99999999999999999999"} {
		if _, err := read(uri); err == nil || !strings.Contains(err.Error(), "positive integer flag id") {
			t.Errorf("%s: err = %v, want one naming the rule", uri, err)
		}
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
