package server_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/mcp-agents/mcp-agents/agents"
	"github.com/mcp-agents/mcp-agents/internal/agent"
	"github.com/mcp-agents/mcp-agents/internal/search"
	"github.com/mcp-agents/mcp-agents/internal/server"
	"github.com/mcp-agents/mcp-agents/internal/store"
)

// stdioSession drives an mcp-go stdio server over pipes, the way a client
// process does, minus the process boundary: what it measures is the server's
// own per-call cost (decode, handler, encode).
type stdioSession struct {
	in  *io.PipeWriter
	out *bufio.Reader
}

// startStdio serves srv through ServeStdio, or through mcp-go's own
// StdioServer when baseline is set (the no-op comparison).
func startStdio(tb testing.TB, srv *mcpserver.MCPServer, baseline bool) *stdioSession {
	tb.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if baseline {
			_ = mcpserver.NewStdioServer(srv).Listen(ctx, inR, outW)
		} else {
			_ = server.ServeStdio(ctx, srv, inR, outW, nil)
		}
	}()
	tb.Cleanup(func() {
		cancel()
		inW.Close()
		outR.Close()
		<-done
	})
	s := &stdioSession{in: inW, out: bufio.NewReaderSize(outR, 64<<10)}
	s.roundTrip(tb, `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"`+mcp.LATEST_PROTOCOL_VERSION+`","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}`)
	if _, err := io.WriteString(inW, `{"jsonrpc":"2.0","method":"notifications/initialized"}`+"\n"); err != nil {
		tb.Fatal(err)
	}
	return s
}

func (s *stdioSession) roundTrip(tb testing.TB, req string) []byte {
	tb.Helper()
	if _, err := io.WriteString(s.in, req+"\n"); err != nil {
		tb.Fatal(err)
	}
	line, err := s.out.ReadBytes('\n')
	if err != nil {
		tb.Fatal(err)
	}
	if bytes.Contains(line, []byte(`"isError":true`)) || bytes.Contains(line, []byte(`"error":{`)) {
		tb.Fatalf("call failed: %s", line)
	}
	return line
}

func corpusService(tb testing.TB) *server.Service {
	tb.Helper()
	root := filepath.Join("..", "..", "..", "shared", "corpus")
	if _, err := os.Stat(root); err != nil {
		tb.Skip("../shared/corpus not present")
	}
	srcs := []agent.Source{{Label: "builtin", Root: "builtin", FS: agents.FS}}
	for _, c := range []string{"acolytes", "voltagent", "wshobson"} {
		srcs = append(srcs, agent.Source{Label: c, Root: c, FS: os.DirFS(filepath.Join(root, c))})
	}
	cat, _, err := agent.Load(context.Background(), srcs)
	if err != nil {
		tb.Fatal(err)
	}
	st, err := store.Open(context.Background(), filepath.Join(tb.TempDir(), "agents.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return &server.Service{Catalog: cat, Search: search.NewIndex(cat.All()), Flags: st}
}

var benchQueries = []string{"REST API endpoints Node.js", "kuberntes ingress", "database query optimization", "security audit owasp", "llm prompt engineering"}

func BenchmarkStdioSearchCorpus(b *testing.B) {
	s := startStdio(b, server.New(corpusService(b), "bench"), false)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.roundTrip(b, fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"search_agents","arguments":{"query":%q,"limit":%d}}}`, i+1, benchQueries[i%len(benchQueries)], []int{3, 5, 10}[i%3]))
	}
}

func BenchmarkStdioCreateFlag(b *testing.B) {
	s := startStdio(b, server.New(corpusService(b), "bench"), false)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.roundTrip(b, fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"create_flag","arguments":{"source_agent":"@backend.api","target_agent":"@database.postgres","flag_type":"new_feature","impact_level":"medium","change_description":"Added a column to the users table for tracking logins %d","action_required":"Update the queries that read users to include the new column, and backfill it from the audit log before the next release"}}}`, i+1, i))
	}
}

func BenchmarkStdioNoop(b *testing.B) {
	srv := mcpserver.NewMCPServer("noop", "0", mcpserver.WithToolCapabilities(false))
	srv.AddTool(mcp.NewTool("noop"), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText("ok"), nil
	})
	s := startStdio(b, srv, true)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.roundTrip(b, fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"noop","arguments":{}}}`, i+1))
	}
}
