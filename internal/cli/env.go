package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/mcp-agents/mcp-agents/internal/server"
	"github.com/mcp-agents/mcp-agents/internal/store"
)

// config holds the global flags; every command's flag set binds them too,
// so they may come before or after the command name.
type config struct {
	agentDirs []string
	noBuiltin bool
	db        string
	logLevel  string
}

type env struct {
	opts   Options
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	cfg    config
	log    *slog.Logger
}

type dirList struct{ dirs *[]string }

func (d dirList) String() string {
	if d.dirs == nil {
		return ""
	}
	return strings.Join(*d.dirs, ",")
}

func (d dirList) Set(v string) error {
	*d.dirs = append(*d.dirs, v)
	return nil
}

// flagSet makes a flag set that carries the global flags and prints its own
// usage on --help.
func (e *env) flagSet(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Var(dirList{&e.cfg.agentDirs}, "agents", "load agent files from `DIR` as well (repeatable; later wins)")
	fs.BoolVar(&e.cfg.noBuiltin, "no-builtin", e.cfg.noBuiltin, "do not load the built-in agents")
	fs.StringVar(&e.cfg.db, "db", e.cfg.db, "SQLite database `PATH` (default: $MCP_AGENTS_DB, nearest .mcp-agents/agents.db, or the user data dir)")
	fs.StringVar(&e.cfg.logLevel, "log-level", orDefault(e.cfg.logLevel, "info"), "log `LEVEL` on stderr: debug, info, warn, error")
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: mcp-agents %s %s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// parse parses flags wherever they appear among the positional arguments
// ("lock-flag 7 @me --lease 60" and "lock-flag --lease 60 7 @me" both work)
// and checks the positional count.
func parse(fs *flag.FlagSet, args []string, minPos, maxPos int) error {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return flagErr(err)
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		if args[0] == "--" {
			pos = append(pos, args[1:]...)
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if len(pos) < minPos || (maxPos >= 0 && len(pos) > maxPos) {
		if minPos == maxPos {
			return usagef("%s takes %d argument(s), got %d", fs.Name(), minPos, len(pos))
		}
		return usagef("%s takes %d to %d arguments, got %d", fs.Name(), minPos, maxPos, len(pos))
	}
	// Re-parse an empty list so fs.Args() returns the positionals.
	return fs.Parse(append([]string{"--"}, pos...))
}

func (e *env) logger() (*slog.Logger, error) {
	if e.log != nil {
		return e.log, nil
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(e.cfg.logLevel)); err != nil {
		return nil, usagef("--log-level must be one of debug, info, warn, error, got %q", e.cfg.logLevel)
	}
	e.log = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
	return e.log, nil
}

// openStore resolves the database path and opens it; a database that cannot
// be opened stops the program before it serves anything.
func (e *env) openStore(ctx context.Context) (*store.Store, error) {
	cwd, err := e.opts.Getwd()
	if err != nil {
		return nil, fmt.Errorf("working directory: %w", err)
	}
	path, err := store.ResolvePath(e.cfg.db, e.opts.Getenv, cwd)
	if err != nil {
		return nil, fmt.Errorf("database path: %w", err)
	}
	// Open's errors name the path already.
	return store.Open(ctx, path)
}

// service builds the tool service for a CLI verb: the catalog always, the
// database when withStore (the agent verbs do not need it and so do not
// create it). The search index is left to the one verb that searches.
func (e *env) service(ctx context.Context, withStore bool) (*server.Service, func(), error) {
	log, err := e.logger()
	if err != nil {
		return nil, nil, err
	}
	cat, err := e.loadCatalog(ctx)
	if err != nil {
		return nil, nil, err
	}
	svc := &server.Service{Catalog: cat, Log: log}
	closeFn := func() {}
	if withStore {
		st, err := e.openStore(ctx)
		if err != nil {
			return nil, nil, err
		}
		svc.Flags = st
		closeFn = func() {
			if err := st.Close(); err != nil {
				log.Warn("closing database", "err", err)
			}
		}
	}
	return svc, closeFn, nil
}

// writeJSON prints v as indented JSON: the same fields the MCP tools return.
func (e *env) writeJSON(v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
