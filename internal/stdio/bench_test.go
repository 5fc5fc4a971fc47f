package stdio_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcp-agents/mcp-agents/internal/stdio"
)

// BenchmarkCall is one tools/call round trip on a tool that does nothing,
// through Serve and through mcp-go's bare Listen: the difference is what
// the wrapper costs per call.
func BenchmarkCall(b *testing.B) {
	for _, tc := range []struct {
		name  string
		serve func(ctx context.Context, srv *server.MCPServer, in io.Reader, out io.Writer) error
	}{
		{"Serve", func(ctx context.Context, srv *server.MCPServer, in io.Reader, out io.Writer) error {
			return stdio.Serve(ctx, srv, in, out, nil)
		}},
		{"Listen", func(ctx context.Context, srv *server.MCPServer, in io.Reader, out io.Writer) error {
			return server.NewStdioServer(srv).Listen(ctx, in, out)
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			srv := server.NewMCPServer("noop", "1", server.WithToolCapabilities(false))
			srv.AddTool(mcp.NewTool("noop"), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
				return mcp.NewToolResultText("ok"), nil
			})
			inR, inW := io.Pipe()
			outR, outW := io.Pipe()
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { defer close(done); _ = tc.serve(ctx, srv, inR, outW) }()
			defer func() { cancel(); inW.Close(); outR.Close(); <-done }()
			out := bufio.NewReader(outR)
			roundTrip := func(line string) {
				if _, err := io.WriteString(inW, line+"\n"); err != nil {
					b.Fatal(err)
				}
				if _, err := out.ReadString('\n'); err != nil {
					b.Fatal(err)
				}
			}
			roundTrip(initLine)
			b.ResetTimer()
			for i := range b.N {
				roundTrip(fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"noop","arguments":{}}}`, i+2))
			}
		})
	}
}
