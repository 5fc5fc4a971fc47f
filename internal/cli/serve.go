package cli

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/mcp-agents/mcp-agents/internal/agent"
	"github.com/mcp-agents/mcp-agents/internal/diskcache"
	"github.com/mcp-agents/mcp-agents/internal/search"
	"github.com/mcp-agents/mcp-agents/internal/server"
	"github.com/mcp-agents/mcp-agents/internal/stdio"
)

// startupHeap is the heap size below which the collector stays idle while
// the server starts: loading agents, or decoding them from the start-up
// cache (for the 412-file corpus a 4 MB entry, read, buffered by gob and
// decoded: about 16 MB), allocates megabytes that are mostly garbage. With
// the default GOGC a fresh process collected nine times doing it, and with
// a limit below the peak (it was 16 MB) the collector ran without pause and
// doubled a warm start's CPU time. The limit keeps peak memory bounded all
// the same: at 32 MB a corpus server peaked at 40.1 MB (over the 40 MB
// target), at 24 MB at 37.0 MB with the same start-up CPU (42 ms; bench/run.sh
// -only startup,memory, measured side by side).
const startupHeap = 24 << 20

// buildHeap is startupHeap for a start that builds the catalog from the
// files (no usable cache entry): parsing 412 files and indexing them leave
// more garbage than decoding an entry, and at 24 MB a corpus server's cold
// start peaked at 40-42 MB (VmHWM), over the 40 MB target; at 16 MB at
// 35 MB, for about 100 ms more of a start that happens once after the
// files change (spawn to the third search_agents answer, cold, 258-265 ms
// → 359-396 ms, measured side by side on a loaded machine). A warm start
// keeps startupHeap, where a lower bound doubled its CPU time.
const buildHeap = 16 << 20

// serveOptions are serve's own options, besides the global ones.
type serveOptions struct {
	contextDirs []string
	notify      *string
	http        httpFlags
}

func (o *serveOptions) register(fs *flag.FlagSet) {
	fs.Var(dirList{&o.contextDirs}, "context", "serve the project context documents (*.md) in `DIR` too (repeatable; default: the nearest .claude/project)")
	o.notify = fs.String("notify", "", "stdio only: push Claude Code channel messages for new flags concerning these `@agent,...` (default $MCP_AGENTS_NOTIFY)")
	o.http.register(fs)
}

// isServeOption reports whether name is one of serve's own options, which
// "mcp-agents" with no command, the same server, takes too.
func isServeOption(name string) bool {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	new(serveOptions).register(fs)
	addDashedAliases(fs)
	return fs.Lookup(name) != nil
}

func runServe(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("serve", "[flags]")
	var opts serveOptions
	opts.register(fs)
	hf := &opts.http
	if err := e.parse(fs, args, 0, 0); err != nil {
		return err
	}
	if err := hf.check(fs, e.option); err != nil {
		return err
	}
	logger, err := e.logger()
	if err != nil {
		return err
	}
	// Channel messages go to the one client of a stdio server; on the team
	// server they would reach every session, whichever agent's token it has.
	notifyEnv := e.set.envNotify
	notifyGiven := false
	fs.Visit(func(f *flag.Flag) { notifyGiven = notifyGiven || f.Name == "notify" })
	if hf.addr != "" {
		if notifyGiven {
			return usagef("%s: only without %s (a team server's sessions belong to different agents; they subscribe to flags://inbox/{name})", e.option("notify"), e.option("http"))
		}
		if notifyEnv != "" {
			logger.Warn("MCP_AGENTS_NOTIFY is ignored by serve --http: channel messages are for a stdio server's one client")
		}
		notifyEnv = ""
	}
	notify, err := notifyHandles(e.option("notify"), *opts.notify, notifyGiven, notifyEnv)
	if err != nil {
		return err
	}
	gc := quietGC()
	defer gc.restore()

	// Opening the database and loading the agents are independent, so they
	// overlap. A database that cannot be opened is still a clear error
	// before any client is told the server is ready.
	type opened struct {
		st  flagDB
		err error
	}
	openc := make(chan opened, 1)
	go func() {
		st, err := e.openDB(ctx)
		openc <- opened{st, err}
	}()
	// Started before the database's goroutine, this one ran first and the
	// database began to open only once it was done: with the built-in
	// agents, serving waited for the database until ~12 ms into runServe,
	// when the rest was ready at ~7 (timed in the process, load 2).
	search.WarmUp()
	srcs, discoverWarnings, err := e.sources()
	if err != nil {
		if o := <-openc; o.st != nil {
			o.st.Close()
		}
		return err
	}
	// The watches go in place while the catalog loads; goLive connects
	// them to the server.
	e.cfg.contextDirs = opts.contextDirs
	for _, dir := range opts.contextDirs {
		// Said, as a missing --agents directory is, rather than ignored.
		if info, err := os.Stat(dir); err != nil || !info.IsDir() {
			logger.Warn("--context directory does not exist or is not a directory", "dir", dir)
		}
	}
	ownPaths := []string{string(diskcache.Default())}
	if p, pg, err := e.dbTarget(); err == nil && !pg {
		ownPaths = append(ownPaths, p)
	}
	watching := make(chan *agentWatch, 1)
	roots, shallow := e.watchRoots(srcs)
	log := e.log
	go func() { watching <- watchAgents(roots, shallow, ownPaths, log) }()
	var aw *agentWatch
	watch := func() *agentWatch {
		if aw == nil {
			aw = <-watching
		}
		return aw
	}
	defer func() { watch().close() }()
	ic, err := e.loadIndexed(ctx, diskcache.Default(), srcs, discoverWarnings, gc.building)
	if err != nil {
		if o := <-openc; o.st != nil {
			o.st.Close()
		}
		return err
	}
	warnUnknownNotify(logger, ic.cat, notify)
	// The server is built before the database is needed: its handlers
	// reach the store only when called, after serving starts.
	svc := &server.Service{Agents: server.NewAgents(ic.cat, ic.index), Log: logger, Notify: notify,
		TokenIdentity: hf.addr != "" && !hf.noAuth}
	if hf.addr == "" {
		svc.MaxWaits = stdio.MaxWaits // its calls run on mcp-go's pool of workers
	}
	svc.SetProjectDocs(e.loadProject())
	srv := server.New(svc, e.opts.Version)
	// From here on, log lines also reach clients that ask for them.
	logger = slog.New(svc.ClientLog(logger.Handler()))
	svc.Log, e.log = logger, logger
	o := <-openc
	if o.err != nil {
		return o.err
	}
	st := o.st
	svc.Flags = st
	// The collector's first cycle would run now, over the start-up garbage,
	// while the first calls are answered; serving's setting (serveHeap, gc.go) takes
	// over after a second (startupHeap still bounds the heap meanwhile).
	gcTimer := time.AfterFunc(time.Second, gc.serve)
	defer gcTimer.Stop()
	// A freshly built catalog is written back while the server already
	// answers: a cold start should not also wait for encoding and a write.
	var saved sync.WaitGroup
	if ic.save != nil {
		saved.Go(ic.save)
	}
	defer func() {
		saved.Wait()
		if err := st.Close(); err != nil {
			logger.Warn("closing database", "err", err)
		}
	}()
	// Stopped before the database closes (defers run last first).
	defer followDB(st, logger)()

	if hf.addr != "" {
		stopLive := e.goLive(ctx, svc, st, watch(), ic)
		defer stopLive()
		return e.serveHTTP(ctx, hf, srv, svc, st, logger)
	}
	if isTerminal(e.stdin) {
		fmt.Fprintf(e.stderr, "mcp-agents %s: %s; database %s. Waiting for an MCP client on stdin (see README: configure it in Claude Desktop or Claude Code; Ctrl-C to quit).\n",
			e.opts.Version, describeSources(ic.cat), st.Path())
	}
	logger.Debug("serving", "agents", ic.cat.Len(), "db", st.Path())
	stopLive := e.goLive(ctx, svc, st, watch(), ic)
	defer stopLive()

	if err := stdio.Serve(ctx, srv, endOfInput{e.stdin, svc.EndWaits}, e.stdout, logger); err != nil && ctx.Err() == nil {
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

// isTerminal reports whether stdin is a terminal, i.e. a person started the
// server by hand rather than an MCP client through a pipe. (Asking the
// terminal driver, not the file mode: /dev/null is a character device too.)
func isTerminal(r any) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}
