package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/mcp-agents/mcp-agents/agents"
	"github.com/mcp-agents/mcp-agents/internal/agent"
	"github.com/mcp-agents/mcp-agents/internal/search"
	"github.com/mcp-agents/mcp-agents/internal/server"
	"github.com/mcp-agents/mcp-agents/internal/store"
)

// benchQueries are bench/stdiobench's search_agents queries, with its
// limits (3, 5, 10 in turn).
var benchQueries = []string{
	"kubernetes helm deployment", "PostgreSQL schema migration", "REST API endpoints Node.js",
	"JWT authentication implementation", "React components TypeScript", "docker container security hardening",
	"terraform infrastructure as code aws", "python data pipeline etl", "kuberntes ingress", "graphql federation",
	"security audit owasp", "performance profiling go service", "machine learning model deployment",
	"ci/cd github actions", "mobile app flutter", "database query optimization", "write unit tests for legacy code",
	"incident response on-call", "accessibility review of a web page", "rust",
	"refactor a large monolith into microservices", "prometheus grafana monitoring alerts",
	"technical documentation writer", "payment integration stripe", "vector database embeddings",
	"seo content marketing", "llm prompt engineering", "redis caching strategy", "compliance gdpr audit",
	"frontend performance core web vitals",
}

// BenchmarkToolCall is one tools/call as a transport serves it: the request
// line through mcp-go's HandleMessage and the response encoded, without the
// pipe or socket. The no-op server's call is the baseline the stdio and HTTP
// benchmarks compare search_agents with.
func BenchmarkToolCall(b *testing.B) {
	noop := mcpserver.NewMCPServer("noop", "1", mcpserver.WithToolCapabilities(false))
	noop.AddTool(mcp.NewTool("noop"), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText("ok"), nil
	})
	builtin := []agent.Source{{Label: "builtin", Root: "builtin", FS: agents.FS}}
	corpus := builtin
	root := filepath.Join("..", "..", "..", "shared", "corpus") // as internal/search finds it
	for _, c := range []string{"acolytes", "voltagent", "wshobson"} {
		dir := filepath.Join(root, c)
		if _, err := os.Stat(dir); err == nil {
			corpus = append(corpus, agent.Source{Label: "dir", Root: dir, FS: os.DirFS(dir)})
		}
	}
	serve := func(srcs []agent.Source) *mcpserver.MCPServer {
		cat, _, err := agent.Load(context.Background(), srcs)
		if err != nil {
			b.Fatal(err)
		}
		ix := search.NewIndex(cat.All())
		return server.New(&server.Service{Agents: server.NewAgents(cat, ix)}, "bench")
	}
	search := func(i int) string {
		return fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"search_agents","arguments":{"query":%q,"limit":%d}}}`,
			i, benchQueries[i%len(benchQueries)], []int{3, 5, 10}[i%3])
	}
	for _, tc := range []struct {
		name string
		srv  *mcpserver.MCPServer
		line func(i int) string
	}{
		{"noop", noop, func(i int) string {
			return fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"noop","arguments":{}}}`, i)
		}},
		{"search-builtin", serve(builtin), search},
		{"search-corpus", serve(corpus), search},
	} {
		b.Run(tc.name, func(b *testing.B) {
			lines := make([]json.RawMessage, 300)
			for i := range lines {
				lines[i] = json.RawMessage(tc.line(i))
			}
			ctx := context.Background()
			for i := range lines { // warm the typo indexes
				tc.srv.HandleMessage(ctx, lines[i])
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if err := callOnce(ctx, tc.srv, lines[i%len(lines)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkInboxCall is one get_agent_flags call (pending, default limit 50,
// rotating over 200 agents) on a year of history, as BenchmarkToolCall
// serves it: the request through HandleMessage, the response through
// json.Marshal. MCP_AGENTS_HISTORY_DB names the database (go run
// ./bench/scale -db PATH builds one); without it the benchmark is skipped.
func BenchmarkInboxCall(b *testing.B) {
	path := os.Getenv("MCP_AGENTS_HISTORY_DB")
	if path == "" {
		b.Skip("MCP_AGENTS_HISTORY_DB is not set")
	}
	ctx := context.Background()
	st, err := store.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	cat, _, err := agent.Load(ctx, []agent.Source{{Label: "builtin", Root: "builtin", FS: agents.FS}})
	if err != nil {
		b.Fatal(err)
	}
	srv := server.New(&server.Service{Agents: server.NewAgents(cat, search.NewIndex(cat.All())), Flags: st}, "bench")
	lines := make([]json.RawMessage, 200)
	for i := range lines {
		lines[i] = json.RawMessage(fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"get_agent_flags","arguments":{"agent":"@team.agent%03d"}}}`, i, i))
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := callOnce(ctx, srv, lines[i%len(lines)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// callOnce is one call as a transport makes it (a function of its own, so
// that profilers can single it out).
//
//go:noinline
func callOnce(ctx context.Context, srv *mcpserver.MCPServer, line json.RawMessage) error {
	_, err := json.Marshal(srv.HandleMessage(ctx, line))
	return err
}

// BenchmarkUnknownArguments is a get_flag call with 100,000 unknown
// argument names, under the 4 MiB line limit: its cost must grow with the
// request, not with its square (it took 310 s for 350,000 names when each
// name was looked up in the list of those seen).
func BenchmarkUnknownArguments(b *testing.B) {
	cat, _, err := agent.Load(context.Background(), []agent.Source{{Label: "builtin", Root: "builtin", FS: agents.FS}})
	if err != nil {
		b.Fatal(err)
	}
	srv := server.New(&server.Service{Agents: server.NewAgents(cat, search.NewIndex(cat.All()))}, "bench")
	var args strings.Builder
	args.WriteString(`{"flag_id":1`)
	for i := range 100000 {
		fmt.Fprintf(&args, `,"k%d":0`, i)
	}
	args.WriteString("}")
	line := json.RawMessage(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_flag","arguments":` + args.String() + `}}`)
	ctx := context.Background()
	for b.Loop() {
		if err := callOnce(ctx, srv, line); err != nil {
			b.Fatal(err)
		}
	}
}
