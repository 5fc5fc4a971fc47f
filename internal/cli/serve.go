package cli

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"os"
	"strings"

	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/mcp-agents/mcp-agents/internal/agent"
	"github.com/mcp-agents/mcp-agents/internal/search"
	"github.com/mcp-agents/mcp-agents/internal/server"
)

func runServe(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("serve", "[flags]")
	if err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	logger, err := e.logger()
	if err != nil {
		return err
	}
	// The database comes first: one that cannot be opened is a clear error
	// before any client is told the server is ready.
	st, err := e.openStore(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if err := st.Close(); err != nil {
			logger.Warn("closing database", "err", err)
		}
	}()
	cat, err := e.loadCatalog()
	if err != nil {
		return err
	}
	svc := &server.Service{Catalog: cat, Search: search.NewIndex(cat.All()), Flags: st, Log: logger}
	srv := server.New(svc, e.opts.Version)

	if isTerminal(e.stdin) {
		fmt.Fprintf(e.stderr, "mcp-agents %s: %s; database %s. Waiting for an MCP client on stdin (see README: configure it in Claude Desktop or Claude Code; Ctrl-C to quit).\n",
			e.opts.Version, describeSources(cat), st.Path())
	}
	logger.Debug("serving", "agents", cat.Len(), "db", st.Path())

	stdio := mcpserver.NewStdioServer(srv)
	stdio.SetErrorLogger(log.New(slogWriter{logger}, "", 0))
	if err := stdio.Listen(ctx, e.stdin, e.stdout); err != nil && ctx.Err() == nil {
		return fmt.Errorf("serving stdio: %w", err)
	}
	return nil
}

func describeSources(cat *agent.Catalog) string {
	var parts []string
	for _, sc := range cat.CountBySource() {
		parts = append(parts, fmt.Sprintf("%d from %s", sc.Count, sc.Root))
	}
	if len(parts) == 0 {
		return "no agents loaded"
	}
	return fmt.Sprintf("%d agents (%s)", cat.Len(), strings.Join(parts, ", "))
}

// isTerminal reports whether stdin is a character device, i.e. a person
// started the server by hand rather than an MCP client through a pipe.
func isTerminal(r any) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// slogWriter routes mcp-go's standard-library logger into slog on stderr.
type slogWriter struct{ log *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.log.Error(strings.TrimSpace(string(p)))
	return len(p), nil
}
