// Package server wires the catalog, the search index and the flag store to
// the Model Context Protocol: tools, prompts and resources (package stdio
// serves them). Each tool has one typed input and one typed output struct;
// the same Service methods back the MCP tools and the CLI verbs, so both
// give the same answers and errors.
package server

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/server"

	"github.com/mcp-agents/mcp-agents/internal/agent"
	"github.com/mcp-agents/mcp-agents/internal/project"
	"github.com/mcp-agents/mcp-agents/internal/search"
	"github.com/mcp-agents/mcp-agents/internal/store"
	"github.com/mcp-agents/mcp-agents/prompts"
)

// Catalog is the set of loaded agents.
type Catalog interface {
	Get(nameOrHandle string) (*agent.Agent, bool)
	All() []*agent.Agent
	Suggest(nameOrHandle string, n int) []string
}

// Searcher ranks agents for a task.
type Searcher interface {
	Search(query string, limit int) ([]search.Result, int)
}

// FlagStore keeps flags; *store.Store implements it.
type FlagStore interface {
	CreateFlag(ctx context.Context, in store.NewFlag) (store.Flag, error)
	AgentFlags(ctx context.Context, q store.AgentFlagsQuery) ([]store.Flag, error)
	CountAgentFlags(ctx context.Context, q store.AgentFlagsQuery) (int, error)
	LockFlag(ctx context.Context, id int64, agent string, lease time.Duration) (store.Flag, error)
	UnlockFlag(ctx context.Context, id int64, agent string, force bool) (store.Flag, error)
	CompleteFlag(ctx context.Context, id int64, agent, notes string) (store.Flag, error)
	ListFlags(ctx context.Context, q store.ListQuery) ([]store.Flag, int, error)
	GetFlag(ctx context.Context, id int64) (store.FlagDetail, error)
}

// Service holds what the tools need. Its methods take and return the tools'
// typed inputs and outputs.
type Service struct {
	Catalog Catalog
	Search  Searcher
	Flags   FlagStore
	Log     *slog.Logger
	// Agents, when set, is the catalog and index that reloads replace; New
	// uses it as Catalog and Search when those are not set.
	Agents *Agents
	// Feed reports changes to the flags database (from any process): it
	// wakes get_agent_flags calls that wait and drives inbox subscriptions.
	// Without it, waits return at once and nothing is pushed.
	Feed Feed
	// Notify lists the agent handles (lowercase; an alias names its
	// catalog agent) whose new flags are pushed as Claude Code channel
	// messages (see StartChannel). Empty: the channel capability is not
	// even declared.
	Notify []string
	// MaxWaits, when positive, bounds how many get_agent_flags calls wait
	// at once: one more answers at once with what there is. A transport
	// that serves calls on a fixed pool of workers (stdio: mcp-go's 100)
	// sets it, so that waits never hold up other calls.
	MaxWaits int
	// TokenIdentity says callers are identified by tokens (the HTTP server
	// with auth): the acting-agent arguments become optional in the tool
	// schemas, defaulting to the token's agent (see identity.go).
	TokenIdentity bool

	srv      *server.MCPServer
	reloadMu sync.Mutex
	inboxes  inboxSubs
	sessions sessions
	logFeed  logListeners
	project  atomic.Pointer[project.Docs]
	// waitsEnded is closed by EndWaits (shutdown).
	waitsEnded chan struct{}
	waiting    atomic.Int64 // get_agent_flags calls waiting now
	endOnce    sync.Once
	endedMu    sync.Mutex
	onEnded    []func(id string)
}

// listPage is how many prompts (or resources, templates, tools) one list
// request returns; nextCursor leads to the rest. A catalog of 20,000 agents
// would otherwise go out as one 4.8 MB prompts/list answer, while a page
// of 500 holds the built-in agents and the usual collections whole.
const listPage = 500

// New builds the MCP server for svc. Extra options (tests enable output
// schema validation with them) are applied after the defaults.
func New(svc *Service, version string, extra ...server.ServerOption) *server.MCPServer {
	if svc.Log == nil {
		svc.Log = slog.New(slog.DiscardHandler)
	}
	if svc.Agents != nil {
		if svc.Catalog == nil {
			svc.Catalog = svc.Agents
		}
		if svc.Search == nil {
			svc.Search = svc.Agents
		}
	}
	hooks := &server.Hooks{}
	svc.inboxes.hook(svc, hooks)
	svc.sessions.hook(hooks)
	svc.logFeed.hook(svc, hooks)
	hooks.AddOnUnregisterSession(func(_ context.Context, s server.ClientSession) {
		svc.endedMu.Lock()
		fns := slices.Clone(svc.onEnded)
		svc.endedMu.Unlock()
		for _, fn := range fns {
			fn(s.SessionID())
		}
	})
	opts := append([]server.ServerOption{
		server.WithInstructions(prompts.Instructions),
		server.WithToolCapabilities(false),
		// Agent files are reloaded while serving, and inboxes change.
		server.WithPromptCapabilities(true),
		server.WithResourceCapabilities(true, true),
		server.WithHooks(hooks),
		// Reloads, skipped files, lease takeovers and store faults reach
		// clients that ask (logging/setLevel) through ClientLog.
		server.WithLogging(),
		server.WithCompletions(),
		server.WithPromptCompletionProvider(completer{svc}),
		server.WithResourceCompletionProvider(completer{svc}),
		server.WithRecovery(),
		server.WithPaginationLimit(listPage),
	}, extra...)
	if len(svc.Notify) > 0 {
		opts = append(opts, server.WithExperimental(map[string]any{channelCapability: map[string]any{}}))
	}
	s := server.NewMCPServer("mcp-agents", version, opts...)
	svc.srv = s
	svc.waitsEnded = make(chan struct{})
	registerAgentTools(s, svc)
	registerFlagTools(s, svc)
	registerPrompts(s, svc)
	registerResources(s, svc)
	registerInbox(s, svc)
	registerProject(s, svc)
	return s
}

// EndWaits makes every get_agent_flags call waiting now, and every later
// one, answer at once with what it has: a server shutting down must not
// hold its callers for up to 50 s.
func (svc *Service) EndWaits() {
	svc.endOnce.Do(func() {
		if svc.waitsEnded != nil {
			close(svc.waitsEnded)
		}
	})
}

// OnSessionEnd has fn called with the id of each MCP session that ends,
// however it ends (a DELETE, mcp-go's idle TTL, shutdown): a transport
// keeps what mcp-go does not know of, such as a session's open streams.
// The hooks are fixed once New has built the server, hence this.
func (svc *Service) OnSessionEnd(fn func(id string)) {
	svc.endedMu.Lock()
	defer svc.endedMu.Unlock()
	svc.onEnded = append(svc.onEnded, fn)
}
