package server_test

import (
	"fmt"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-agents/mcp-agents/internal/server"
	"github.com/mcp-agents/mcp-agents/internal/store"
)

// TestUnknownArgumentsRefused: a misspelt argument used to be ignored, so
// targetAgent made a targeted flag a broadcast and lease gave the default
// lease. Every tool now refuses it, names the closest valid argument, and
// changes nothing.
func TestUnknownArgumentsRefused(t *testing.T) {
	f := newFixture(t)
	fl := f.create(t, nil)

	list, err := f.client.ListTools(t.Context(), mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range list.Tools {
		if tool.InputSchema.AdditionalProperties != false {
			t.Errorf("%s: inputSchema.additionalProperties = %v, want false", tool.Name, tool.InputSchema.AdditionalProperties)
		}
		f.fails(t, tool.Name, map[string]any{"no_such_argument": 1}, "unknown argument no_such_argument")
	}

	cases := []struct {
		tool  string
		args  map[string]any
		wants []string
	}{
		{"create_flag", validFlag(map[string]any{"target_agent": nil, "targetAgent": "@database.postgres", "impact_level": "medium"}),
			[]string{"unknown argument targetAgent; did you mean target_agent?"}},
		{"create_flag", validFlag(map[string]any{"Flag_Type": "change"}), []string{"unknown argument Flag_Type; did you mean flag_type?"}},
		{"create_flag", validFlag(map[string]any{"target_agent": ""}), []string{"target_agent", "must not be empty", "omit it"}},
		{"create_flag", validFlag(map[string]any{"target_agent": "  "}), []string{"target_agent", "must not be empty"}},
		{"create_flag", validFlag(map[string]any{"impact_level": ""}), []string{"impact_level must be one of critical, high, medium, low; omit it"}},
		{"create_flag", validFlag(map[string]any{"source_agent": ""}), []string{"source_agent is required"}},
		{"lock_flag", map[string]any{"flag_id": fl.ID, "agent": ""}, []string{"agent", "must not be empty"}},
		{"lock_flag", map[string]any{"flag_id": fl.ID, "agent": "@a.b", "lease": 60}, []string{"unknown argument lease; did you mean lease_seconds?"}},
		{"get_agent_flags", map[string]any{"agent": "@a.b", "includeLocked": false, "limt": 3},
			[]string{"unknown argument includeLocked; did you mean include_locked?", "unknown argument limt; did you mean limit?"}},
		{"search_agents", map[string]any{"query": "docker", "max": 3}, []string{"unknown argument max.", "Valid arguments: limit, query."}},
		{"get_flag", map[string]any{"flag_id": fl.ID, "id": 1}, []string{"unknown argument id. Valid arguments: flag_id."}},
		{"lock_flag", map[string]any{"flag_id": -5, "agent": "@a.b"}, []string{"flag_id must be a positive integer, got -5"}},
		{"search_agents", map[string]any{"query": "docker", "limit": 1e20}, []string{"limit is out of range, got 100000000000000000000"}},
		{"get_flag", map[string]any{"flag_id": 9.3e18}, []string{"flag_id is out of range, got 9300000000000000000"}},
		{"search_agents", map[string]any{"query": "docker", "limit": 2.5}, []string{"limit must be an integer, got number 2.5"}},
		// An empty filter would silently mean none: refused, as omitting it is the way to say so.
		{"list_flags", map[string]any{"target_agent": ""}, []string{"target_agent must not be empty; omit it (or send null) for no filter"}},
		{"list_flags", map[string]any{"source_agent": "  "}, []string{"source_agent must not be empty"}},
		{"list_flags", map[string]any{"flag_type": ""}, []string{"flag_type must not be empty"}},
		{"list_flags", map[string]any{"impact_level": ""}, []string{"impact_level must not be empty"}},
		{"list_flags", map[string]any{"status": ""}, []string{`status must be one of pending, completed, all, got ""`}},
		{"get_agent_flags", map[string]any{"agent": "@a.b", "status": ""}, []string{`status must be one of pending, completed, all, got ""`}},
	}
	// Thousands of unknown names get a short answer that counts them once
	// each (JSON decoding keeps the last of a repeated name).
	many := map[string]any{"flag_id": fl.ID}
	for i := range 20000 {
		many[fmt.Sprintf("k%d", i)] = 0
	}
	cases = append(cases, struct {
		tool  string
		args  map[string]any
		wants []string
	}{"get_flag", many, []string{"unknown argument k", "And 19990 more unknown arguments."}})
	for _, tc := range cases {
		f.fails(t, tc.tool, tc.args, tc.wants...)
	}

	// Nothing stored changed: still one flag, pending, unlocked, one event.
	var all server.ListFlagsOutput
	f.ok(t, "list_flags", map[string]any{"status": "all"}, &all)
	if all.Total != 1 {
		t.Errorf("rejected calls stored flags: total %d", all.Total)
	}
	var detail store.FlagDetail
	f.ok(t, "get_flag", map[string]any{"flag_id": fl.ID}, &detail)
	if detail.Flag.Locked || len(detail.Events) != 1 {
		t.Errorf("rejected calls changed the flag: %+v, %d events", detail.Flag, len(detail.Events))
	}
}

// TestNullMeansOmitted: null for an optional argument takes its default,
// and for target_agent makes a broadcast, as omitting it does.
func TestNullMeansOmitted(t *testing.T) {
	f := newFixture(t)
	var out server.FlagOutput
	f.ok(t, "create_flag", validFlag(map[string]any{"target_agent": nil, "impact_level": nil, "chain_origin_id": nil, "context": nil}), &out)
	if out.Flag.TargetAgent != nil || out.Flag.ImpactLevel != "medium" {
		t.Errorf("null arguments: %+v", out.Flag)
	}
	req := map[string]any{"flag_type": "change", "source_agent": "@a.b", "target_agent": nil,
		"change_description": validFlag(nil)["change_description"], "action_required": validFlag(nil)["action_required"],
		"impact_level": nil, "related_files": nil, "code_location": nil, "example_usage": nil, "context": nil}
	f.ok(t, "create_flag", req, &out)
	if out.Flag.TargetAgent != nil || out.Flag.ImpactLevel != "medium" || (out.Flag.Context != nil && string(out.Flag.Context) != "null") {
		t.Errorf("explicit nulls: %+v", out.Flag)
	}
	var locked server.FlagOutput
	f.ok(t, "lock_flag", map[string]any{"flag_id": out.Flag.ID, "agent": "@a.b", "lease_seconds": nil}, &locked)
	if !locked.Flag.Locked {
		t.Errorf("lock with null lease: %+v", locked.Flag)
	}
	f.fails(t, "create_flag", validFlag(map[string]any{"flag_type": nil, "source_agent": nil}), "flag_type")
}
