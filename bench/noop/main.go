// Command noop is the benchmark baseline: the smallest mcp-go stdio server,
// exposing one tool that does nothing. Whatever mcp-agents costs beyond this
// is the cost of mcp-agents itself rather than of the protocol library.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

func main() {
	s := server.NewMCPServer("noop", "0.0.0", server.WithToolCapabilities(false))
	s.AddTool(
		mcp.NewTool("noop", mcp.WithDescription("Does nothing; benchmark baseline.")),
		func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText("ok"), nil
		},
	)
	if err := server.ServeStdio(s); err != nil {
		fmt.Fprintln(os.Stderr, "noop:", err)
		os.Exit(1)
	}
}
