// Command mcp-agents serves a team of specialist agents and their flags over
// the Model Context Protocol (stdio), and offers the same operations as
// command-line verbs.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/mcp-agents/mcp-agents/internal/cli"
)

// version is set at release time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	// A client that goes away closes our pipes. Without this, the next log
	// line on the closed stderr would kill the process with SIGPIPE before
	// it closes the database and finishes writing its start-up cache.
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(cli.ExitCode(err, os.Stderr))
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return cli.Run(ctx, args, stdin, stdout, stderr, cli.Options{Version: version})
}
