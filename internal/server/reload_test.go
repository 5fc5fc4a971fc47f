package server_test

import (
	"context"
	"slices"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-agents/mcp-agents/internal/agent"
	"github.com/mcp-agents/mcp-agents/internal/search"
	"github.com/mcp-agents/mcp-agents/internal/server"
)

func catalogOf(t *testing.T, files map[string]string) *agent.Catalog {
	t.Helper()
	fsys := fstest.MapFS{}
	for name, desc := range files {
		fsys[name+".md"] = &fstest.MapFile{Data: []byte("---\nname: " + name + "\ndescription: " + desc + "\n---\nBody of " + name + ".\n")}
	}
	cat, warns, err := agent.Load(context.Background(), []agent.Source{{Label: "test", Root: "t", FS: fsys}})
	if err != nil || len(warns) > 0 {
		t.Fatalf("load: %v %v", err, warns)
	}
	return cat
}

func TestReplaceAgents(t *testing.T) {
	ctx := context.Background()
	cat := catalogOf(t, map[string]string{"team.a": "A.", "team.b": "B.", "team.c": "C."})
	svc := &server.Service{Agents: server.NewAgents(cat, search.NewIndex(cat.All()))}
	c, err := client.NewInProcessClient(server.New(svc, "test"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	notes := make(chan string, 100)
	c.OnNotification(func(n mcp.JSONRPCNotification) { notes <- n.Method })
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = "2025-06-18"
	if _, err := c.Initialize(ctx, req); err != nil {
		t.Fatal(err)
	}
	drain := func() []string {
		var got []string
		for {
			select {
			case m := <-notes:
				got = append(got, m)
			case <-time.After(200 * time.Millisecond):
				slices.Sort(got)
				return slices.Compact(got)
			}
		}
	}
	prompts := func() map[string]string {
		res, err := c.ListPrompts(ctx, mcp.ListPromptsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, p := range res.Prompts {
			out[p.Name] = p.Description
		}
		return out
	}

	same := catalogOf(t, map[string]string{"team.a": "A.", "team.b": "B.", "team.c": "C."})
	if r := svc.ReplaceAgents(same, search.NewIndex(same.All())); !r.Empty() {
		t.Fatalf("identical catalog: %+v", r)
	}
	if got := drain(); len(got) != 0 {
		t.Fatalf("identical catalog sent %v", got)
	}

	next := catalogOf(t, map[string]string{"team.a": "A.", "team.b": "B, edited.", "team.d": "D."})
	r := svc.ReplaceAgents(next, search.NewIndex(next.All()))
	want := server.Reload{Added: []string{"team.d"}, Changed: []string{"team.b"}, Removed: []string{"team.c"}}
	if d := cmp.Diff(want, r); d != "" {
		t.Fatalf("reload (-want +got):\n%s", d)
	}
	if got := drain(); !slices.Equal(got, []string{"notifications/prompts/list_changed", "notifications/resources/list_changed"}) {
		t.Fatalf("notifications %v", got)
	}
	if d := cmp.Diff(map[string]string{"team.a": "A.", "team.b": "B, edited.", "team.d": "D."}, prompts()); d != "" {
		t.Fatalf("prompts (-want +got):\n%s", d)
	}
	if _, ok := svc.Catalog.Get("team.d"); !ok {
		t.Fatal("the catalog was not swapped")
	}
	if res, _ := svc.Search.Search("team.d", 1); len(res) == 0 || res[0].Name != "@team.d" && res[0].Name != "team.d" {
		t.Fatalf("the index was not swapped: %+v", res)
	}
}
