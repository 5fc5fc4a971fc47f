// Package stdio serves an MCP server to one client over stdin and stdout
// with mcp-go's StdioServer, adding the two things it lacks: every request
// read before stdin ends is answered before serving stops, and a request
// line is bounded (MaxLine) instead of read whole whatever its size. A
// request mcp-go would serve wrongly (a resources/read of a malformed URI,
// a prompts/get with a misspelt argument) is answered here as invalid
// params (server.CheckRequest).
package stdio

import (
	"bufio"
	"context"
	"io"
	"log/slog"

	"github.com/mark3labs/mcp-go/server"
)

// MaxLine is the longest request line served. A longer one is answered with
// an error and skipped without being held in memory.
const MaxLine = 4 << 20

// mcp-go runs each tools/call on a pool of workers fed by a queue, and a
// call holds its worker for as long as it runs. A call that waits (for a
// flag to arrive, up to 50 s; for a busy database) must not keep other calls
// from starting, so the pool is mcp-go's maximum: 99 calls can wait while
// another still runs at once. An idle worker is a parked goroutine. The
// queue is deep because when it is full mcp-go runs the call on its read
// loop, which then stops reading, notifications/cancelled included.
const (
	workers = 100
	// MaxWaits is how many get_agent_flags calls may wait at once over
	// stdio (server.Service.MaxWaits): the rest of the pool stays free for
	// other calls, the very write that would wake the waits among them.
	MaxWaits = workers / 2
	queue    = 10000
)

// Serve serves srv on in and out until in ends, and every request read by
// then has been answered, or until ctx is cancelled.
func Serve(ctx context.Context, srv *server.MCPServer, in io.Reader, out io.Writer, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w := &output{w: out}
	r := &input{ctx: ctx, src: bufio.NewReaderSize(in, 64<<10), out: w, log: log}
	s := server.NewStdioServer(srv)
	s.SetErrorLogger(slog.NewLogLogger(log.Handler(), slog.LevelWarn))
	server.WithWorkerPoolSize(workers)(s)
	server.WithQueueSize(queue)(s)
	return s.Listen(ctx, r, w)
}
