package httpserve

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
)

// BenchmarkCall measures one tools/call of a tool that does nothing through
// mcp-go's handler alone and through the whole /mcp stack (token,
// session binding, body bound), so what this package adds per request
// shows as the difference.
func BenchmarkCall(b *testing.B) {
	newMCP := func() *mcpserver.MCPServer {
		s := mcpserver.NewMCPServer("t", "1", mcpserver.WithToolCapabilities(false))
		s.AddTool(mcp.NewTool("noop"), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText("ok"), nil
		})
		return s
	}
	bare := mcpserver.NewStreamableHTTPServer(newMCP(), mcpserver.WithStateful(true))
	noAuth, err := New(Config{Addr: "127.0.0.1:1", NoAuth: true}, newMCP(), nil, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	withToken, err := New(Config{Addr: "127.0.0.1:1"}, newMCP(), &countingTokens{}, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		h    http.Handler
	}{{"mcp-go", bare}, {"no-auth", noAuth.Handler()}, {"token", withToken.Handler()}} {
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
			b.ReportAllocs()
			for b.Loop() {
				if rec := do(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"noop","arguments":{}}}`, sid); rec.Code != 200 {
					b.Fatalf("call: %d %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
