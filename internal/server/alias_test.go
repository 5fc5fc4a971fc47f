package server_test

import (
	"encoding/json"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-agents/mcp-agents/agents"
	"github.com/mcp-agents/mcp-agents/internal/agent"
	"github.com/mcp-agents/mcp-agents/internal/search"
	"github.com/mcp-agents/mcp-agents/internal/server"
)

// TestAliasesNameTheAgent: create_flag stores a target given by an alias
// under the agent's own handle, so every other handle argument resolves
// aliases too; an agent reading its inbox by an alias found nothing.
func TestAliasesNameTheAgent(t *testing.T) {
	f := newFixture(t)
	fl := f.create(t, map[string]any{"target_agent": "@DATABASE.PG"})
	if fl.TargetAgent == nil || *fl.TargetAgent != "@database.postgres" {
		t.Fatalf("target stored as %v, want @database.postgres", fl.TargetAgent)
	}

	var inbox server.AgentFlagsOutput
	f.ok(t, "get_agent_flags", map[string]any{"agent": "database.pg"}, &inbox)
	if inbox.Agent != "@database.postgres" || len(inbox.Flags) != 1 {
		t.Errorf("get_agent_flags by alias: agent %s, %d flags; want @database.postgres, 1", inbox.Agent, len(inbox.Flags))
	}
	var list server.ListFlagsOutput
	f.ok(t, "list_flags", map[string]any{"target_agent": "@database.pg"}, &list)
	if list.Total != 1 {
		t.Errorf("list_flags by the target's alias: total %d, want 1", list.Total)
	}

	// A lease taken by the alias is the agent's own under its name.
	var locked server.FlagOutput
	f.ok(t, "lock_flag", map[string]any{"flag_id": fl.ID, "agent": "@database.pg"}, &locked)
	if locked.Flag.LockedBy == nil || *locked.Flag.LockedBy != "@database.postgres" {
		t.Errorf("locked_by %v, want @database.postgres", locked.Flag.LockedBy)
	}
	f.ok(t, "complete_flag", map[string]any{"flag_id": fl.ID, "agent": "@database.postgres"}, &locked)
	f.ok(t, "list_flags", map[string]any{"source_agent": "@database.pg", "status": "all"}, &list)
	if list.Total != 0 {
		t.Errorf("list_flags by a source alias nobody used: total %d, want 0", list.Total)
	}

	// The inbox resource reads by the alias too.
	f.create(t, map[string]any{"target_agent": "@database.postgres"})
	res, err := f.client.ReadResource(t.Context(), mcp.ReadResourceRequest{Params: mcp.ReadResourceParams{URI: "flags://inbox/database.pg"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(res.Contents[0].(mcp.TextResourceContents).Text), &inbox); err != nil {
		t.Fatal(err)
	}
	if inbox.Agent != "@database.postgres" || len(inbox.Flags) != 1 {
		t.Errorf("flags://inbox/database.pg: agent %s, %d flags; want @database.postgres, 1", inbox.Agent, len(inbox.Flags))
	}
}

// A source_agent given by an alias is stored as the agent it names, as a
// target is: the source_agent filter finds the flag by either name, and
// its created event names the agent as later events do.
func TestAliasAsSource(t *testing.T) {
	f := newFixture(t)
	fl := f.create(t, map[string]any{"source_agent": "@Database.PG", "target_agent": "@ops.containers"})
	if fl.SourceAgent != "@database.postgres" {
		t.Fatalf("source stored as %s, want @database.postgres", fl.SourceAgent)
	}
	for _, by := range []string{"@database.pg", "@database.postgres"} {
		var list server.ListFlagsOutput
		f.ok(t, "list_flags", map[string]any{"source_agent": by}, &list)
		if list.Total != 1 {
			t.Errorf("list_flags source_agent %s: total %d, want 1", by, list.Total)
		}
	}
}

// An alias two files of one directory claim names the agent of the first
// file by path, as agents check and the README say, not the agent whose
// name sorts first; get_agent by the alias loads it.
func TestAliasClaimedTwiceNamesTheFirstFileByPath(t *testing.T) {
	fsys := fstest.MapFS{
		"a.md": {Data: []byte("---\nname: zz.first\ndescription: First by path.\naliases: [shared]\n---\nfirst\n")},
		"b.md": {Data: []byte("---\nname: aa.second\ndescription: Second by path.\naliases: [shared]\n---\nsecond\n")},
	}
	cat, _, err := agent.Load(t.Context(), []agent.Source{{Label: "dir", Root: "a3", FS: fsys}})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{client: connect(t, server.New(&server.Service{Catalog: cat, Search: search.NewIndex(cat.All())}, "test"))}
	for _, name := range []string{"shared", "@SHARED"} {
		var got server.AgentOutput
		f.ok(t, "get_agent", map[string]any{"name": name}, &got)
		if got.Name != "@zz.first" {
			t.Errorf("get_agent %s = %s, want @zz.first (a.md, the first file by path)", name, got.Name)
		}
	}
}

// An agent lists, in get_agent and in search reasons, only the aliases
// that name it: an alias another agent keeps (by path, by precedence) or
// that is another agent's name is not offered as its own, so two agents
// never report one alias. The built-in database.postgres kept listing
// database.sql when --agents had an agent of that name.
func TestAliasesListedAreTheAgentsOwn(t *testing.T) {
	sources := []agent.Source{
		{Label: "builtin", Root: "builtin", FS: agents.FS},
		{Label: "dir", Root: "a3", FS: fstest.MapFS{
			"a.md": {Data: []byte("---\nname: zz.first\ndescription: First by path.\naliases: [shared]\n---\nfirst\n")},
			"b.md": {Data: []byte("---\nname: aa.second\ndescription: Second by path.\naliases: [shared]\n---\nsecond\n")},
		}},
		{Label: "dir", Root: "a4", FS: fstest.MapFS{
			"sql.md":  {Data: []byte("---\nname: database.sql\ndescription: Plain SQL.\n---\nsql\n")},
			"kube.md": {Data: []byte("---\nname: my.kube\ndescription: Our cluster.\naliases: [ops.docker]\n---\nkube\n")},
		}},
	}
	cat, _, err := agent.Load(t.Context(), sources)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{client: connect(t, server.New(&server.Service{Catalog: cat, Search: search.NewIndex(cat.All())}, "test"))}
	for _, tc := range []struct {
		agent   string
		aliases []string
	}{
		{"zz.first", []string{"shared"}},
		{"aa.second", []string{}},
		{"database.postgres", []string{"database.postgresql"}},
		{"database.sql", []string{}},
		{"ops.containers", []string{}},
		{"my.kube", []string{"ops.docker"}},
	} {
		var got server.AgentOutput
		f.ok(t, "get_agent", map[string]any{"name": tc.agent}, &got)
		if !slices.Equal(got.Aliases, tc.aliases) {
			t.Errorf("get_agent %s: aliases %q, want %q", tc.agent, got.Aliases, tc.aliases)
		}
	}
	for _, q := range []string{"shared", "database.sql", "ops.docker"} {
		var res server.SearchAgentsOutput
		f.ok(t, "search_agents", map[string]any{"query": q, "limit": 50}, &res)
		owner, _ := cat.Get(q)
		for _, r := range res.Results {
			if r.Name != owner.Handle() && slices.Contains(r.Reasons, "alias: "+q) {
				t.Errorf("search_agents %q: %s matched by alias %s, which names %s", q, r.Name, q, owner.Handle())
			}
		}
	}
}
