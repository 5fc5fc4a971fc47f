package server_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-agents/mcp-agents/internal/server"
	"github.com/mcp-agents/mcp-agents/internal/store"
)

func callReq(name string, args map[string]any) mcp.CallToolRequest {
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	return req
}

func (f *fixture) create(t *testing.T, overrides map[string]any) store.Flag {
	t.Helper()
	var out server.FlagOutput
	f.ok(t, "create_flag", validFlag(overrides), &out)
	return out.Flag
}

func TestCreateFlag(t *testing.T) {
	f := newFixture(t)
	fl := f.create(t, map[string]any{
		"source_agent":  "@Backend.API",
		"target_agent":  "DATABASE.postgres",
		"related_files": "db/schema.sql, api/users.go ,",
		"context":       `{"ticket": "PLAT-12"}`,
		"code_location": "db/schema.sql:42",
	})
	if fl.ID < 1 || fl.Status != "pending" || fl.Locked {
		t.Fatalf("new flag = %+v", fl)
	}
	if fl.SourceAgent != "@backend.api" || fl.TargetAgent == nil || *fl.TargetAgent != "@database.postgres" {
		t.Errorf("handles not normalised: source %q target %v", fl.SourceAgent, fl.TargetAgent)
	}
	if strings.Join(fl.RelatedFiles, "|") != "db/schema.sql|api/users.go" {
		t.Errorf("related_files = %q", fl.RelatedFiles)
	}
	if string(fl.Context) != `{"ticket":"PLAT-12"}` && string(fl.Context) != `{"ticket": "PLAT-12"}` {
		t.Errorf("context = %s", fl.Context)
	}
	if _, err := time.Parse(time.RFC3339, fl.CreatedAt); err != nil {
		t.Errorf("created_at %q is not RFC 3339: %v", fl.CreatedAt, err)
	}

	// A blank entry names no file, in a list as between commas.
	// Nor does one of invisible characters, and such an optional text is
	// none, as a blank one is: they showed as nothing and were stored.
	broadcast := f.create(t, map[string]any{"target_agent": nil, "impact_level": nil, "flag_type": "new_feature",
		"related_files": []any{"a.go", "", " ", "\u200b\u200b", "b.go"}, "code_location": "\u200b\u2066", "example_usage": " \u200b "})
	if broadcast.TargetAgent != nil || broadcast.ImpactLevel != "medium" || strings.Join(broadcast.RelatedFiles, "|") != "a.go|b.go" ||
		broadcast.CodeLocation != nil || broadcast.ExampleUsage != nil {
		t.Errorf("broadcast flag = %+v", broadcast)
	}
}

func TestCreateFlagRejections(t *testing.T) {
	f := newFixture(t)
	long := strings.Repeat("x", 16385)
	cases := []struct {
		name      string
		overrides map[string]any
		wants     []string
	}{
		{"unknown type", map[string]any{"flag_type": "oops"}, []string{"flag_type"}},
		{"short change", map[string]any{"change_description": "too short"}, []string{"change_description", "50"}},
		{"short action", map[string]any{"action_required": "do it"}, []string{"action_required", "100"}},
		{"security not critical", map[string]any{"flag_type": "security", "impact_level": "high"}, []string{"impact_level", "critical"}},
		{"critical refactor", map[string]any{"flag_type": "refactor", "impact_level": "critical"}, []string{"critical"}},
		{"low breaking", map[string]any{"impact_level": "low"}, []string{"low"}},
		{"high without target", map[string]any{"target_agent": nil}, []string{"target_agent"}},
		{"unknown target", map[string]any{"target_agent": "@database.postgress"}, []string{"target_agent", "did you mean", "@database.postgres"}},
		{"bad source handle", map[string]any{"source_agent": "bad handle"}, []string{"source_agent"}},
		{"missing chain origin", map[string]any{"chain_origin_id": 999}, []string{"chain_origin_id"}},
		{"context not object", map[string]any{"context": "[1,2]"}, []string{"context", "object"}},
		{"text too long", map[string]any{"example_usage": long}, []string{"example_usage", "16384"}},
		{"related_files wrong type", map[string]any{"related_files": 7}, []string{"related_files"}},
		// Each entry is a string: null was read as "" and dropped.
		{"related_files null entry", map[string]any{"related_files": []any{"a.go", nil}}, []string{"related_files[1] must be a string, got null"}},
		{"related_files number entries", map[string]any{"related_files": []any{1, 2}}, []string{"related_files[0] must be a string, got number 1"}},
		{"related_files list entry", map[string]any{"related_files": []any{"a.go", []any{"b.go"}}}, []string{"related_files[1] must be a string, got list"}},
		{"related_files boolean entry", map[string]any{"related_files": []any{true}}, []string{"related_files[0] must be a string, got boolean"}},
		{"chain id wrong type", map[string]any{"chain_origin_id": "one"}, []string{"chain_origin_id", "integer"}},
		// Counted as shown: zero-width characters showed as an empty change.
		{"invisible change", map[string]any{"change_description": strings.Repeat("\u200b", 60)},
			[]string{"change_description must be at least 50 characters after trimming (got 0, not counting invisible"}},
		{"padded action", map[string]any{"action_required": strings.Repeat("do it \u202e\u2066", 16)},
			[]string{"action_required must be at least 100 characters after trimming (got 95, not counting invisible"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f.fails(t, "create_flag", validFlag(tc.overrides), tc.wants...)
		})
	}
	var all server.ListFlagsOutput
	f.ok(t, "list_flags", map[string]any{"status": "all"}, &all)
	if all.Total != 0 {
		t.Fatalf("rejected creates stored %d flags", all.Total)
	}
}

func TestFlagLifecycle(t *testing.T) {
	f := newFixture(t)
	fl := f.create(t, nil)

	var inbox server.AgentFlagsOutput
	f.ok(t, "get_agent_flags", map[string]any{"agent": "database.postgres"}, &inbox)
	if inbox.Agent != "@database.postgres" || len(inbox.Flags) != 1 || inbox.Flags[0].ID != fl.ID {
		t.Fatalf("inbox = %+v", inbox)
	}

	var locked server.FlagOutput
	f.ok(t, "lock_flag", map[string]any{"flag_id": fl.ID, "agent": "@database.postgres", "lease_seconds": 60}, &locked)
	if !locked.Flag.Locked || locked.Flag.LockedBy == nil || *locked.Flag.LockedBy != "@database.postgres" {
		t.Fatalf("locked = %+v", locked.Flag)
	}
	f.fails(t, "lock_flag", map[string]any{"flag_id": fl.ID, "agent": "@ops.containers"}, "@database.postgres")
	f.fails(t, "complete_flag", map[string]any{"flag_id": fl.ID, "agent": "@ops.containers"}, "@database.postgres")
	f.fails(t, "unlock_flag", map[string]any{"flag_id": fl.ID, "agent": "@ops.containers"}, "@database.postgres")

	// include_locked=false hides other agents' leases; this one is the
	// inbox owner's own.
	var hidden server.AgentFlagsOutput
	f.ok(t, "get_agent_flags", map[string]any{"agent": "@database.postgres", "include_locked": false}, &hidden)
	if len(hidden.Flags) != 1 || !hidden.Flags[0].Locked {
		t.Errorf("include_locked=false hides the owner's own lease: %+v", hidden.Flags)
	}

	// Past the lease, the lock counts as gone everywhere and may be taken over.
	*f.now = f.now.Add(61 * time.Second)
	f.ok(t, "get_agent_flags", map[string]any{"agent": "@database.postgres", "include_locked": false}, &hidden)
	if len(hidden.Flags) != 1 || hidden.Flags[0].Locked {
		t.Errorf("expired lease still hides or shows locked: %+v", hidden.Flags)
	}
	var taken server.FlagOutput
	f.ok(t, "lock_flag", map[string]any{"flag_id": fl.ID, "agent": "@ops.containers"}, &taken)
	if *taken.Flag.LockedBy != "@ops.containers" {
		t.Errorf("takeover holder = %v", *taken.Flag.LockedBy)
	}

	var unlocked server.FlagOutput
	f.ok(t, "unlock_flag", map[string]any{"flag_id": fl.ID, "agent": "@database.postgres", "force": true}, &unlocked)
	if unlocked.Flag.Locked {
		t.Errorf("force unlock left it locked")
	}
	f.fails(t, "unlock_flag", map[string]any{"flag_id": fl.ID, "agent": "@database.postgres"}, "not locked")

	var done server.FlagOutput
	f.ok(t, "complete_flag", map[string]any{"flag_id": fl.ID, "agent": "@database.postgres", "notes": "index added"}, &done)
	if done.Flag.Status != "completed" || done.Flag.CompletedBy == nil || *done.Flag.CompletedBy != "@database.postgres" ||
		done.Flag.Notes == nil || *done.Flag.Notes != "index added" || done.Flag.CompletedAt == nil {
		t.Fatalf("completed = %+v", done.Flag)
	}
	f.fails(t, "complete_flag", map[string]any{"flag_id": fl.ID, "agent": "@database.postgres"}, "completed")
	f.fails(t, "lock_flag", map[string]any{"flag_id": fl.ID, "agent": "@database.postgres"}, "completed")

	var detail store.FlagDetail
	f.ok(t, "get_flag", map[string]any{"flag_id": fl.ID}, &detail)
	var kinds []string
	for _, e := range detail.Events {
		kinds = append(kinds, e.Kind)
	}
	if got := strings.Join(kinds, ","); got != "created,locked,takeover,force_unlocked,completed" {
		t.Errorf("events = %s", got)
	}
}

func TestFlagToolArgumentErrors(t *testing.T) {
	f := newFixture(t)
	fl := f.create(t, nil)
	cases := []struct {
		tool  string
		args  map[string]any
		wants []string
	}{
		{"lock_flag", map[string]any{"agent": "@a.b"}, []string{"flag_id"}},
		{"lock_flag", map[string]any{"flag_id": fl.ID, "agent": "@a.b", "lease_seconds": 0}, []string{"lease_seconds", "between 1 and 86400"}},
		{"lock_flag", map[string]any{"flag_id": fl.ID, "agent": "@a.b", "lease_seconds": 86401}, []string{"lease_seconds"}},
		{"lock_flag", map[string]any{"flag_id": "7", "agent": "@a.b"}, []string{"flag_id", "integer"}},
		{"lock_flag", map[string]any{"flag_id": 424242, "agent": "@a.b"}, []string{"flag_id", "424242", "existing flag"}},
		{"lock_flag", map[string]any{"flag_id": fl.ID, "agent": "no/slash"}, []string{"agent"}},
		{"get_agent_flags", map[string]any{"agent": "@a.b", "status": "open"}, []string{"status", "pending, completed, all"}},
		{"get_agent_flags", map[string]any{"agent": "@a.b", "limit": 501}, []string{"limit", "between 1 and 500"}},
		{"get_agent_flags", map[string]any{"agent": ""}, []string{"agent", "required"}},
		{"get_agent_flags", map[string]any{"agent": "@a.b", "include_locked": "yes"}, []string{"include_locked", "boolean"}},
		{"list_flags", map[string]any{"limit": 1001}, []string{"limit", "between 1 and 1000"}},
		{"list_flags", map[string]any{"flag_type": "nope"}, []string{"flag_type"}},
		{"get_flag", map[string]any{"flag_id": 0}, []string{"flag_id"}},
		{"get_flag", map[string]any{"flag_id": 99999}, []string{"flag_id", "99999", "existing flag"}},
		{"complete_flag", map[string]any{"flag_id": fl.ID}, []string{"agent", "required"}},
	}
	for _, tc := range cases {
		f.fails(t, tc.tool, tc.args, tc.wants...)
	}
	// The rejected calls above changed nothing.
	var detail store.FlagDetail
	f.ok(t, "get_flag", map[string]any{"flag_id": fl.ID}, &detail)
	if detail.Flag.Locked || detail.Flag.Status != "pending" || len(detail.Events) != 1 {
		t.Errorf("flag changed by rejected calls: %+v events %d", detail.Flag, len(detail.Events))
	}
}

// Every id argument says what is wrong with it in one wording: missing is
// "required" (flag_id; chain_origin_id is optional), a number below 1 "must
// be a positive integer, got N" (0 was called missing), one past int64 "out
// of range", anything else "must be an integer". Nothing changes.
func TestIDArgumentErrors(t *testing.T) {
	f := newFixture(t)
	fl := f.create(t, nil)
	withID := func(tool, field string, v any) map[string]any {
		args := map[string]any{}
		switch tool {
		case "create_flag":
			args = validFlag(nil)
		case "lock_flag", "unlock_flag", "complete_flag":
			args["agent"] = "@database.postgres"
			args["flag_id"] = fl.ID
		case "get_flag":
			args["flag_id"] = fl.ID
		}
		args[field] = v
		if v == nil {
			delete(args, field)
		}
		return args
	}
	tooLarge := json.Number("9223372036854775808")
	type check struct {
		value any
		want  string
	}
	checks := func(field string) []check {
		return []check{
			{0, field + " must be a positive integer, got 0"},
			{-1, field + " must be a positive integer, got -1"},
			{tooLarge, field + " is out of range, got 9223372036854775808"},
			{"7", field + " must be an integer, got string"},
		}
	}
	for _, tool := range []string{"get_flag", "lock_flag", "unlock_flag", "complete_flag"} {
		for _, c := range append(checks("flag_id"), check{nil, "flag_id is required and must be a positive integer"}) {
			if got := f.fails(t, tool, withID(tool, "flag_id", c.value)); got != c.want {
				t.Errorf("%s flag_id %v: %q, want %q", tool, c.value, got, c.want)
			}
		}
	}
	for _, tool := range []string{"create_flag", "list_flags"} {
		for _, c := range checks("chain_origin_id") {
			if got := f.fails(t, tool, withID(tool, "chain_origin_id", c.value)); got != c.want {
				t.Errorf("%s chain_origin_id %v: %q, want %q", tool, c.value, got, c.want)
			}
		}
	}
	var list server.ListFlagsOutput
	f.ok(t, "list_flags", map[string]any{}, &list)
	if list.Total != 1 || list.Flags[0].Locked || list.Flags[0].Status != "pending" {
		t.Errorf("rejected calls changed the flags: %+v", list)
	}
}

func TestListFlagsAndChains(t *testing.T) {
	f := newFixture(t)
	root := f.create(t, nil)
	child := f.create(t, map[string]any{"chain_origin_id": root.ID, "flag_type": "information_request", "impact_level": "medium", "source_agent": "@database.postgres", "target_agent": "@ops.containers"})
	grandchild := f.create(t, map[string]any{"chain_origin_id": child.ID, "flag_type": "change", "impact_level": "low", "target_agent": nil})
	other := f.create(t, map[string]any{"flag_type": "enhancement", "impact_level": "medium"})

	var list server.ListFlagsOutput
	f.ok(t, "list_flags", map[string]any{"source_agent": "@BACKEND.api", "limit": 1}, &list)
	if list.Total != 3 || len(list.Flags) != 1 {
		t.Errorf("filtered list: total %d, %d flags; want 3 and 1", list.Total, len(list.Flags))
	}
	f.ok(t, "list_flags", map[string]any{"chain_origin_id": root.ID}, &list)
	if list.Total != 1 || list.Flags[0].ID != child.ID {
		t.Errorf("chain filter = %+v", list)
	}

	var detail store.FlagDetail
	f.ok(t, "get_flag", map[string]any{"flag_id": grandchild.ID}, &detail)
	var ids []int64
	for _, c := range detail.Chain {
		ids = append(ids, c.ID)
	}
	if len(ids) != 3 || ids[0] != root.ID || ids[1] != child.ID || ids[2] != grandchild.ID {
		t.Errorf("chain of %d = %v, want [%d %d %d] (not %d)", grandchild.ID, ids, root.ID, child.ID, grandchild.ID, other.ID)
	}

	// The broadcast grandchild is in everyone's inbox, after the more urgent ones.
	var inbox server.AgentFlagsOutput
	f.ok(t, "get_agent_flags", map[string]any{"agent": "@frontend.react"}, &inbox)
	if len(inbox.Flags) != 1 || inbox.Flags[0].ID != grandchild.ID {
		t.Errorf("broadcast inbox = %+v", inbox.Flags)
	}
	f.ok(t, "get_agent_flags", map[string]any{"agent": "@database.postgres"}, &inbox)
	var order []string
	for _, fl := range inbox.Flags {
		order = append(order, fl.ImpactLevel)
	}
	if strings.Join(order, ",") != "high,medium,low" {
		t.Errorf("inbox order = %v, want high,medium,low", order)
	}
}
