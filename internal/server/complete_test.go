package server_test

import (
	"context"
	"fmt"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-agents/mcp-agents/internal/agent"
	"github.com/mcp-agents/mcp-agents/internal/server"
)

func complete(t *testing.T, c *client.Client, ref any, arg, value string) *mcp.CompleteResult {
	t.Helper()
	req := mcp.CompleteRequest{}
	req.Params.Ref = ref
	req.Params.Argument = mcp.CompleteArgument{Name: arg, Value: value}
	res, err := c.Complete(context.Background(), req)
	if err != nil {
		t.Fatalf("complete %v %s=%q: %v", ref, arg, value, err)
	}
	return res
}

func TestCompletionOfAgentNames(t *testing.T) {
	f := newFixture(t)
	agentRef := mcp.ResourceReference{Type: "ref/resource", URI: "agent://{name}"}
	inboxRef := mcp.ResourceReference{Type: "ref/resource", URI: "flags://inbox/{+name}"}
	// The templates as the README and issues write them: the variable is
	// the same with or without the reserved-expansion "+".
	plainInboxRef := mcp.ResourceReference{Type: "ref/resource", URI: "flags://inbox/{name}"}
	plusAgentRef := mcp.ResourceReference{Type: "ref/resource", URI: "agent://{+name}"}
	cases := []struct {
		name  string
		ref   any
		arg   string
		value string
		want  []string
	}{
		{"every name, in order", agentRef, "name", "", []string{"database.postgres", "frontend.react", "ops.containers"}},
		{"prefix", agentRef, "name", "fr", []string{"frontend.react"}},
		{"prefix, any case", agentRef, "name", "OPS.", []string{"ops.containers"}},
		{"fuzzy after prefix", agentRef, "name", "pstgres", []string{"database.postgres"}},
		{"inbox by bare name: prefix first, then fuzzy", inboxRef, "name", "d", []string{"database.postgres", "frontend.react"}},
		{"inbox by handle", inboxRef, "name", "@Fr", []string{"@frontend.react"}},
		{"inbox written {name}", plainInboxRef, "name", "d", []string{"database.postgres", "frontend.react"}},
		{"inbox written {name}, by handle", plainInboxRef, "name", "@Fr", []string{"@frontend.react"}},
		{"agent written {+name}", plusAgentRef, "name", "fr", []string{"frontend.react"}},
		{"agent written {+name}: still no handles", plusAgentRef, "name", "@", []string{}},
		{"another template's {+name}", mcp.ResourceReference{Type: "ref/resource", URI: "project://context/{+name}"}, "name", "", []string{}},
		{"an agent:// handle is not a name", agentRef, "name", "@", []string{}},
		{"no match", agentRef, "name", "zzz", []string{}},
		{"the prompt's task gets none", mcp.PromptReference{Type: "ref/prompt", Name: "ops.containers"}, "task", "dep", []string{}},
		{"unknown prompt", mcp.PromptReference{Type: "ref/prompt", Name: "nope"}, "x", "", []string{}},
		{"unknown template", mcp.ResourceReference{Type: "ref/resource", URI: "nope://{name}"}, "name", "", []string{}},
		{"unknown argument", agentRef, "id", "", []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := complete(t, f.client, tc.ref, tc.arg, tc.value).Completion.Values
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("values (-want +got):\n%s", d)
			}
		})
	}
}

func TestCompletionStopsAtAHundred(t *testing.T) {
	files := fstest.MapFS{}
	for i := range 150 {
		name := fmt.Sprintf("team.a%03d", i)
		files[name+".md"] = &fstest.MapFile{Data: []byte("---\nname: " + name + "\ndescription: Agent " + name + ".\n---\nBody.\n")}
	}
	cat, _, err := agent.Load(context.Background(), []agent.Source{{Label: "test", Root: "many", FS: files}})
	if err != nil {
		t.Fatal(err)
	}
	c := connect(t, server.New(&server.Service{Catalog: cat}, "test"))
	res := complete(t, c, mcp.ResourceReference{Type: "ref/resource", URI: "agent://{name}"}, "name", "team")
	if len(res.Completion.Values) != 100 || res.Completion.Total != 150 || !res.Completion.HasMore || res.Completion.Values[0] != "team.a000" {
		t.Fatalf("completion: %d values from %q, total %d, hasMore %v", len(res.Completion.Values), res.Completion.Values[0], res.Completion.Total, res.Completion.HasMore)
	}
}
