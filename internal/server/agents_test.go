package server_test

import (
	"strings"
	"testing"

	"github.com/mcp-agents/mcp-agents/internal/server"
)

func TestSearchAgents(t *testing.T) {
	f := newFixture(t)
	var out server.SearchAgentsOutput
	f.ok(t, "search_agents", map[string]any{"query": "tune slow postgresql queries"}, &out)
	if out.Query != "tune slow postgresql queries" {
		t.Errorf("query echoed as %q", out.Query)
	}
	if len(out.Results) == 0 || out.Results[0].Name != "@database.postgres" {
		t.Fatalf("top result = %+v, want @database.postgres", out.Results)
	}
	top := out.Results[0]
	if top.Rank != 1 || top.Score <= 0 || len(top.Reasons) == 0 || top.Description == "" {
		t.Errorf("top result lacks rank/score/reasons/description: %+v", top)
	}
	if out.TotalMatches < len(out.Results) {
		t.Errorf("total_matches %d < %d results", out.TotalMatches, len(out.Results))
	}

	var limited server.SearchAgentsOutput
	f.ok(t, "search_agents", map[string]any{"query": "engineer expert specialist", "limit": 1}, &limited)
	if len(limited.Results) > 1 {
		t.Errorf("limit 1 returned %d results", len(limited.Results))
	}

	var none server.SearchAgentsOutput
	f.ok(t, "search_agents", map[string]any{"query": "zzzqqq"}, &none)
	if none.Results == nil || len(none.Results) != 0 || none.TotalMatches != 0 {
		t.Errorf("no-match search = %+v, want empty results list", none)
	}
}

func TestSearchAgentsRejectsBadArguments(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		name  string
		args  map[string]any
		wants []string
	}{
		{"missing query", map[string]any{}, []string{"query", "required"}},
		{"empty query", map[string]any{"query": ""}, []string{"query", "empty"}},
		{"whitespace query", map[string]any{"query": "  \t "}, []string{"query", "whitespace"}},
		{"ideographic space", map[string]any{"query": "\u3000"}, []string{"query", "whitespace"}},
		// Nothing visible is as empty as nothing: it found nothing.
		{"zero-width spaces", map[string]any{"query": "\u200b\u200b"}, []string{"query", "empty or whitespace", "invisible"}},
		{"invisible and spaces", map[string]any{"query": " \u200b\ufeff\u202e \u2060"}, []string{"query", "invisible"}},
		{"control characters", map[string]any{"query": "\x1b[31m\r"}, []string{"query", "invisible"}},
		{"limit zero", map[string]any{"query": "docker", "limit": 0}, []string{"limit", "between 1 and 50", "got 0"}},
		{"limit too big", map[string]any{"query": "docker", "limit": 51}, []string{"limit", "between 1 and 50", "got 51"}},
		{"limit wrong type", map[string]any{"query": "docker", "limit": "five"}, []string{"limit", "integer", "string"}},
		{"limit fractional", map[string]any{"query": "docker", "limit": 2.5}, []string{"limit", "integer"}},
		{"query wrong type", map[string]any{"query": 42}, []string{"query", "string"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f.fails(t, "search_agents", tc.args, tc.wants...)
		})
	}
}

func TestGetAgent(t *testing.T) {
	f := newFixture(t)
	for _, name := range []string{"@ops.containers", "ops.containers", "@OPS.Containers", "  ops.containers "} {
		var out server.AgentOutput
		f.ok(t, "get_agent", map[string]any{"name": name}, &out)
		if out.Name != "@ops.containers" || out.Model != "sonnet" || out.Color != "blue" || out.Source != "test" {
			t.Errorf("get_agent(%q) = %+v", name, out)
		}
		if !strings.Contains(out.Body, "You run containers in production.") {
			t.Errorf("body missing identity text: %q", out.Body)
		}
		if len(out.Tags) != 3 || len(out.Capabilities) != 2 || len(out.Examples) != 1 {
			t.Errorf("tags/capabilities/examples = %v / %v / %v", out.Tags, out.Capabilities, out.Examples)
		}
	}
	var pg server.AgentOutput
	f.ok(t, "get_agent", map[string]any{"name": "database.postgres"}, &pg)
	if strings.Join(pg.Tools, ",") != "Read,Grep" {
		t.Errorf("tools from a comma string = %q", pg.Tools)
	}
	var bare server.AgentOutput
	f.ok(t, "get_agent", map[string]any{"name": "frontend.react"}, &bare)
	if bare.Tags == nil || bare.Tools == nil || bare.Capabilities == nil {
		t.Errorf("absent lists must be [], got %+v", bare)
	}
}

func TestGetAgentErrors(t *testing.T) {
	f := newFixture(t)
	f.fails(t, "get_agent", map[string]any{"name": "ops.contaners"}, "name", "@ops.contaners", "did you mean", "@ops.containers")
	f.fails(t, "get_agent", map[string]any{"name": "../etc/passwd"}, "name", "must match")
	f.fails(t, "get_agent", map[string]any{"name": "has space"}, "name", "must match")
	f.fails(t, "get_agent", map[string]any{}, "name", "required")
	f.fails(t, "get_agent", map[string]any{"name": true}, "name", "string")
}

func TestUnknownToolIsProtocolError(t *testing.T) {
	f := newFixture(t)
	req := callReq("no_such_tool", nil)
	if _, err := f.client.CallTool(t.Context(), req); err == nil {
		t.Fatal("unknown tool: want a protocol error")
	}
}
