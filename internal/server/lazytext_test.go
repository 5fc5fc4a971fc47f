package server_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-agents/mcp-agents/internal/agent"
	"github.com/mcp-agents/mcp-agents/internal/search"
	"github.com/mcp-agents/mcp-agents/internal/server"
)

// A server started from the start-up cache reads agent texts when a
// client first asks for one: get_agent, prompts/get and agent:// serve the
// texts the catalog was decoded with, or, when the cache cannot give them,
// the files' current ones, and a clear error for a file that no longer
// defines its agent. They never serve another agent's text.
func TestDecodedCatalogServesTexts(t *testing.T) {
	ctx := context.Background()
	file := func(name, body string) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte("---\nname: " + name + "\ndescription: " + name + " does things.\n---\n" + body)}
	}
	fsys := fstest.MapFS{
		"a.md": file("team.a", "Identity of team.a.\n"),
		"b.md": file("team.b", "Identity of team.b.\n"),
		"c.md": file("team.c", "Identity of team.c.\n"),
	}
	srcs := []agent.Source{{Label: "dir", Root: "agents", FS: fsys}}
	loaded, _, err := agent.Load(ctx, srcs)
	if err != nil {
		t.Fatal(err)
	}
	snap, texts := loaded.Snapshot(nil)
	ixSnap := search.NewIndex(loaded.All()).Snapshot()

	// start serves the catalog as a start from the cache decodes it, with
	// cached returning the texts' entry.
	start := func(t *testing.T, cached func() (agent.Texts, error)) (*client.Client, *server.Service) {
		t.Helper()
		s := snap // Catalog takes the agents over: each start decodes its own
		s.Agents = nil
		for _, a := range snap.Agents {
			cp := *a
			s.Agents = append(s.Agents, &cp)
		}
		cat, _, err := s.Catalog(srcs, cached)
		if err != nil {
			t.Fatal(err)
		}
		ix, err := search.FromSnapshot(&ixSnap, cat.All())
		if err != nil {
			t.Fatal(err)
		}
		svc := &server.Service{Agents: server.NewAgents(cat, ix)}
		return connect(t, server.New(svc, "test")), svc
	}
	getAgent := func(c *client.Client, name string) (string, error) {
		req := mcp.CallToolRequest{}
		req.Params.Name = "get_agent"
		req.Params.Arguments = map[string]any{"name": name}
		res, err := c.CallTool(ctx, req)
		if err != nil {
			return "", err
		}
		if res.IsError {
			return "", errors.New(text(res))
		}
		out, _ := res.StructuredContent.(map[string]any)
		body, _ := out["body"].(string)
		return body, nil
	}
	prompt := func(c *client.Client, name string) (string, error) {
		req := mcp.GetPromptRequest{}
		req.Params.Name = name
		res, err := c.GetPrompt(ctx, req)
		if err != nil {
			return "", err
		}
		return res.Messages[0].Content.(mcp.TextContent).Text, nil
	}
	resource := func(c *client.Client, name string) (string, error) {
		req := mcp.ReadResourceRequest{}
		req.Params.URI = "agent://" + name
		res, err := c.ReadResource(ctx, req)
		if err != nil {
			return "", err
		}
		return res.Contents[0].(mcp.TextResourceContents).Text, nil
	}
	// serves checks what each way of reading name's text gives: want in
	// the text, or an error containing wantErr.
	serves := func(t *testing.T, c *client.Client, name, want, wantErr string) {
		t.Helper()
		for what, read := range map[string]func(*client.Client, string) (string, error){
			"get_agent": getAgent, "prompts/get": prompt, "agent://": resource,
		} {
			got, err := read(c, name)
			switch {
			case wantErr == "" && (err != nil || !strings.Contains(got, want)):
				t.Errorf("%s %s = %q, %v; want it to contain %q", what, name, got, err, want)
			case wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)):
				t.Errorf("%s %s = %q, %v; want an error containing %q", what, name, got, err, wantErr)
			}
		}
	}

	var reads atomic.Int32
	fromCache, svc := start(t, func() (agent.Texts, error) { reads.Add(1); return texts, nil })
	noCache, _ := start(t, func() (agent.Texts, error) { return agent.Texts{}, errors.New("damaged cache entry") })
	req := mcp.CallToolRequest{}
	req.Params.Name = "search_agents"
	req.Params.Arguments = map[string]any{"query": "team.b"}
	if res, err := fromCache.CallTool(ctx, req); err != nil || res.IsError || !strings.Contains(text(res), "@team.b") {
		t.Fatalf("search_agents: %v %+v", err, res)
	}
	if reads.Load() != 0 {
		t.Fatal("the texts were read for a search")
	}
	for _, c := range []*client.Client{fromCache, noCache} {
		serves(t, c, "team.a", "Identity of team.a.", "")
		serves(t, c, "team.b", "Identity of team.b.", "")
	}
	// The same files loaded again are no change to a reload.
	if r := svc.ReplaceAgents(loaded, search.NewIndex(loaded.All())); !r.Empty() {
		t.Errorf("reloading the same files: %+v", r)
	}

	// The files change before a reload could follow.
	fsys["a.md"] = file("team.a", "Edited identity of team.a.\n")
	fsys["b.md"] = file("team.mallory", "Identity of team.mallory.\n")
	delete(fsys, "c.md")
	fromCache, _ = start(t, func() (agent.Texts, error) { return texts, nil })
	noCache, _ = start(t, func() (agent.Texts, error) { return agent.Texts{}, errors.New("damaged cache entry") })
	for _, name := range []string{"team.a", "team.b", "team.c"} {
		serves(t, fromCache, name, "Identity of "+name+".", "")
	}
	serves(t, noCache, "team.a", "Edited identity of team.a.", "")
	for _, name := range []string{"team.b", "team.c"} { // another agent's file, and none
		serves(t, noCache, name, "", "@"+name+": its file changed since the catalog was loaded and is being reloaded; retry in a moment")
	}
}
