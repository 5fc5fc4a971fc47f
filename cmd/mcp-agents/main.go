// Command mcp-agents serves a team of specialist agents and their flags over
// the Model Context Protocol (stdio), and offers the same operations as
// command-line verbs.
package main

import (
	"context"
	"errors"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/mcp-agents/mcp-agents/internal/cli"
)

// version is set at release time with -ldflags "-X main.version=...";
// otherwise the build info's module version is used.
var version = "dev"

func main() {
	// A client that goes away closes our pipes. Without this, the next log
	// line on the closed stderr would kill the process with SIGPIPE before
	// it closes the database and finishes writing its start-up cache.
	signal.Ignore(syscall.SIGPIPE)
	drain := &cli.Drain{}
	ctx, signalled := cli.Shutdown{
		Codes: map[os.Signal]int{os.Interrupt: 130, syscall.SIGTERM: 143},
		Grace: time.Second,
		Exit:  os.Exit,
		Drain: drain,
	}.Context(context.Background())
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, drain)
	if code := signalled(); code != 0 {
		// Stopped on purpose: whatever the interrupted work returned is
		// not news.
		os.Exit(code)
	}
	if errors.Is(err, syscall.EPIPE) {
		// The reader of our output went away (`agents list | head -1`): it
		// had what it wanted, so the exit is 0 and silent.
		os.Exit(0)
	}
	os.Exit(cli.ExitCode(err, os.Stderr))
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, drain *cli.Drain) error {
	return cli.Run(ctx, args, stdin, stdout, stderr, cli.Options{Version: cli.Version(version), Drain: drain})
}
