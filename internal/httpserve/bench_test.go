package httpserve

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/mcp-agents/mcp-agents/agents"
	"github.com/mcp-agents/mcp-agents/internal/agent"
	"github.com/mcp-agents/mcp-agents/internal/search"
	"github.com/mcp-agents/mcp-agents/internal/server"
)

// BenchmarkCall measures one tools/call through mcp-go's handler alone and
// through the whole /mcp stack (token, session binding, body bound): a
// tool that does nothing, so what this package adds per request shows as
// the difference, and search_agents over the built-in catalog with
// bench/httpbench's queries (limit 5), the call that benchmark sets
// beside the no-op.
func BenchmarkCall(b *testing.B) {
	newMCP := func() *mcpserver.MCPServer {
		s := mcpserver.NewMCPServer("t", "1", mcpserver.WithToolCapabilities(false))
		s.AddTool(mcp.NewTool("noop"), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText("ok"), nil
		})
		return s
	}
	cat, _, err := agent.Load(context.Background(), []agent.Source{{Label: "builtin", Root: "builtin", FS: agents.FS}})
	if err != nil {
		b.Fatal(err)
	}
	agentsMCP := server.New(&server.Service{Agents: server.NewAgents(cat, search.NewIndex(cat.All())), TokenIdentity: true}, "bench")
	bare := mcpserver.NewStreamableHTTPServer(newMCP(), mcpserver.WithStateful(true))
	noAuth, err := New(Config{Addr: "127.0.0.1:1", NoAuth: true}, newMCP(), nil, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	withToken, err := New(Config{Addr: "127.0.0.1:1"}, newMCP(), &countingTokens{}, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	searching, err := New(Config{Addr: "127.0.0.1:1"}, agentsMCP, &countingTokens{}, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	noopCall := func(int) string {
		return `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"noop","arguments":{}}}`
	}
	queries := []string{"tune slow postgres queries", "kubernetes helm chart", "react component state", "terraform aws",
		"kubernets helm charts", "security review of auth", "api design rest", "ci pipeline github actions"}
	searchCall := func(i int) string {
		return fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"search_agents","arguments":{"query":%q,"limit":5}}}`,
			i, queries[i%len(queries)])
	}
	for _, tc := range []struct {
		name string
		h    http.Handler
		call func(i int) string
	}{{"mcp-go", bare, noopCall}, {"no-auth", noAuth.Handler(), noopCall}, {"token", withToken.Handler(), noopCall},
		{"token-search", searching.Handler(), searchCall}} {
		b.Run(tc.name, func(b *testing.B) {
			do := func(body, session string) *httptest.ResponseRecorder {
				req := httptest.NewRequest("POST", "http://127.0.0.1:1/mcp", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Accept", "application/json, text/event-stream")
				req.Header.Set("Authorization", "Bearer mcpa_good")
				if session != "" {
					req.Header.Set(mcpserver.HeaderKeySessionID, session)
				}
				rec := httptest.NewRecorder()
				tc.h.ServeHTTP(rec, req)
				return rec
			}
			rec := do(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"b","version":"1"}}}`, "")
			sid := rec.Header().Get(mcpserver.HeaderKeySessionID)
			if rec.Code != 200 || sid == "" {
				b.Fatalf("initialize: %d %s", rec.Code, rec.Body)
			}
			bodies := make([]string, 64)
			for i := range bodies {
				bodies[i] = tc.call(i)
				do(bodies[i], sid) // warm the typo indexes
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if rec := do(bodies[i%len(bodies)], sid); rec.Code != 200 || strings.Contains(rec.Body.String(), `"isError":true`) {
					b.Fatalf("call: %d %s", rec.Code, rec.Body)
				}
				i++
			}
		})
	}
}
