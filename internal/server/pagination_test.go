package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-agents/mcp-agents/internal/agent"
	"github.com/mcp-agents/mcp-agents/internal/search"
	"github.com/mcp-agents/mcp-agents/internal/server"
)

// bigCatalog is a synthetic catalog, in name order as a Catalog lists it.
type bigCatalog []*agent.Agent

func (c bigCatalog) Get(name string) (*agent.Agent, bool) {
	for _, a := range c {
		if a.Name == name {
			return a, true
		}
	}
	return nil, false
}
func (c bigCatalog) All() []*agent.Agent          { return c }
func (c bigCatalog) Suggest(string, int) []string { return nil }

// With 20,000 agents, prompts/list comes in pages with cursors, none near
// the size of the whole list, and a client following the cursors sees
// every agent exactly once; the resource lists page the same way.
func TestListsPaginate(t *testing.T) {
	const n = 20000
	cat := make(bigCatalog, n)
	for i := range cat {
		cat[i] = &agent.Agent{
			Name:        fmt.Sprintf("team%03d.specialist%05d", i%997, i),
			Description: "A synthetic specialist for the pagination test, described in about as many words as a real agent file uses.",
		}
	}
	srv := server.New(&server.Service{Catalog: cat, Search: search.NewIndex(nil)}, "test")
	// Resources that later features add (project context documents) page
	// like the prompts; these stand in for them.
	const extra = 1200
	for i := range extra {
		srv.AddResource(mcp.NewResource(fmt.Sprintf("test://doc/%04d", i), fmt.Sprintf("doc %04d", i)),
			func(context.Context, mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) { return nil, nil })
	}
	c := connect(t, srv)
	ctx := context.Background()

	seen := map[string]int{}
	pages := 0
	req := mcp.ListPromptsRequest{}
	for {
		page, err := c.ListPromptsByPage(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if size := jsonSize(t, page); size > 256<<10 {
			t.Fatalf("page %d is %d bytes", pages, size)
		}
		for _, p := range page.Prompts {
			seen[p.Name]++
		}
		if page.NextCursor == "" {
			break
		}
		if pages > n {
			t.Fatal("cursors never end")
		}
		req.Params.Cursor = page.NextCursor
	}
	if pages < 2 {
		t.Errorf("prompts/list came in %d page(s); want it split", pages)
	}
	for _, a := range cat {
		if seen[a.Name] != 1 {
			t.Fatalf("prompt %s listed %d times over %d pages", a.Name, seen[a.Name], pages)
		}
	}
	if len(seen) != n {
		t.Errorf("listed %d distinct prompts, want %d", len(seen), n)
	}

	uris := map[string]int{}
	pages = 0
	rreq := mcp.ListResourcesRequest{}
	for {
		page, err := c.ListResourcesByPage(ctx, rreq)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, r := range page.Resources {
			uris[r.URI]++
		}
		if page.NextCursor == "" || pages > extra {
			break
		}
		rreq.Params.Cursor = page.NextCursor
	}
	// The server's own two: agents://catalog and project://context.
	if pages < 2 || len(uris) != extra+2 || uris["agents://catalog"] != 1 || uris["project://context"] != 1 {
		t.Errorf("resources/list: %d distinct URIs over %d pages, want %d (agents://catalog seen %d times)", len(uris), pages, extra+2, uris["agents://catalog"])
	}
	for uri, k := range uris {
		if k != 1 {
			t.Errorf("resource %s listed %d times", uri, k)
		}
	}
	tmpl, err := c.ListResourceTemplates(ctx, mcp.ListResourceTemplatesRequest{})
	if err != nil || len(tmpl.ResourceTemplates) < 2 {
		t.Errorf("resources/templates/list = %+v, %v", tmpl, err)
	}
}

func jsonSize(t *testing.T, v any) int {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return len(b)
}
