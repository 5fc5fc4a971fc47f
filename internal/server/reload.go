package server

import (
	"slices"
	"sync/atomic"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcp-agents/mcp-agents/internal/agent"
	"github.com/mcp-agents/mcp-agents/internal/search"
)

// Agents is the catalog and its search index, replaced together: a reader
// sees the old pair or the new one, never half of each. It implements
// Catalog and Searcher.
type Agents struct {
	cur atomic.Pointer[agentSet]
}

type agentSet struct {
	cat   *agent.Catalog
	index *search.Index
}

// NewAgents holds cat and its index.
func NewAgents(cat *agent.Catalog, index *search.Index) *Agents {
	a := &Agents{}
	a.cur.Store(&agentSet{cat: cat, index: index})
	return a
}

// Catalog returns the current catalog.
func (a *Agents) Catalog() *agent.Catalog { return a.cur.Load().cat }

// Get looks an agent up in the current catalog.
func (a *Agents) Get(nameOrHandle string) (*agent.Agent, bool) {
	return a.cur.Load().cat.Get(nameOrHandle)
}

// All lists the current catalog.
func (a *Agents) All() []*agent.Agent { return a.cur.Load().cat.All() }

// Suggest proposes near names from the current catalog.
func (a *Agents) Suggest(nameOrHandle string, n int) []string {
	return a.cur.Load().cat.Suggest(nameOrHandle, n)
}

// Search ranks the current catalog.
func (a *Agents) Search(query string, limit int) ([]search.Result, int) {
	return a.cur.Load().index.Search(query, limit)
}

// Reload is what one reload changed, by agent name.
type Reload struct {
	Added, Changed, Removed []string
}

// Empty reports that the reload changed nothing.
func (r Reload) Empty() bool { return len(r.Added)+len(r.Changed)+len(r.Removed) == 0 }

// ReplaceAgents swaps in a new catalog and index (svc.Agents must be set)
// and brings the MCP server's prompts in line: new and changed prompts are
// registered before removed ones are deleted, so a client listing prompts
// meanwhile never finds one missing that exists before and after. Clients
// hear prompts/list_changed (from mcp-go, per registration or deletion)
// and one resources/list_changed, and nothing at all when nothing changed.
func (svc *Service) ReplaceAgents(cat *agent.Catalog, index *search.Index) Reload {
	svc.reloadMu.Lock()
	defer svc.reloadMu.Unlock()
	old := svc.Agents.Catalog()
	r := diffCatalogs(old, cat)
	if r.Empty() {
		return r
	}
	svc.Agents.cur.Store(&agentSet{cat: cat, index: index})
	if svc.srv == nil {
		return r
	}
	var add []server.ServerPrompt
	for _, name := range slices.Concat(r.Added, r.Changed) {
		a, _ := cat.Get(name)
		add = append(add, svc.serverPrompt(a))
	}
	if len(add) > 0 {
		svc.srv.AddPrompts(add...)
	}
	if len(r.Removed) > 0 {
		svc.srv.DeletePrompts(r.Removed...)
	}
	// Resource templates are not re-registered, so mcp-go sends nothing for
	// agent://{name}: say it by hand.
	svc.srv.SendNotificationToAllClients(mcp.MethodNotificationResourcesListChanged, nil)
	return r
}

// diffCatalogs compares two catalogs agent by agent. An agent changed when
// anything a client can see of it did: its file (by its sum: the text of
// an agent from the start-up cache may not have been read), where it came
// from, or the file it came from.
func diffCatalogs(old, cur *agent.Catalog) Reload {
	var r Reload
	for _, a := range cur.All() {
		prev, ok := old.Get(a.Name)
		switch {
		case !ok || prev.Name != a.Name:
			r.Added = append(r.Added, a.Name)
		case prev != a && (prev.Sum != a.Sum || prev.Source != a.Source || prev.Path != a.Path):
			r.Changed = append(r.Changed, a.Name)
		}
	}
	for _, a := range old.All() {
		if b, ok := cur.Get(a.Name); !ok || b.Name != a.Name {
			r.Removed = append(r.Removed, a.Name)
		}
	}
	return r
}
