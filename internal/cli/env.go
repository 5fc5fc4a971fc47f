package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
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
	version   bool
	// contextDirs are serve's --context directories.
	contextDirs []string
}

// settings are what the program reads from its environment: read once,
// when it starts (Run), so that everything in one run, the reloads of a
// server running for days included, works from the same ones. The working
// directory above all: one removed while a server ran could no longer be
// read (getwd fails), and every reload of the agents failed, the --agents
// directories' included.
type settings struct {
	cwd    string
	cwdErr error
	home   string // "" when there is none: the user source is simply absent
	// The variables of the help's Environment section.
	envDirs, envDB, envNotify string
}

func readSettings(o Options) settings {
	s := settings{
		envDirs:   o.Getenv("MCP_AGENTS_DIRS"),
		envDB:     o.Getenv(store.EnvDB),
		envNotify: o.Getenv("MCP_AGENTS_NOTIFY"),
	}
	s.cwd, s.cwdErr = o.Getwd()
	if s.cwdErr != nil {
		s.cwdErr = fmt.Errorf("working directory: %w", s.cwdErr)
	}
	if home, err := o.HomeDir(); err == nil {
		s.home = home
	}
	return s
}

type env struct {
	opts   Options
	set    settings
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	cfg    config
	log    *slog.Logger
	// cmd is the command being run ("agents list"), for the pointer to its
	// help that follows a usage error.
	cmd string
	// synopsis holds each flag set's usage line, printed by --help.
	synopsis map[*flag.FlagSet]string
	groups   map[*flag.FlagSet]bool // the flag sets of command groups (agents, flags, tokens)
	// mainHelp prints the program's help (set by Run: it lists the
	// commands, which refer back to the parsing code).
	mainHelp func(io.Writer, *flag.FlagSet)
	// projectWarned holds the skipped project documents loadProject
	// warned about last time, by path and version.
	projectWarned map[string]bool
	// typed holds how each option given was typed ("-addr", "--addr"),
	// by its name with underscores for dashes (see option).
	typed map[string]string
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

// flagSet makes the flag set of the command name: it carries the global
// flags, stays silent on errors (Run reports them) and leaves --help to
// parseFlags, which prints the help on stdout.
func (e *env) flagSet(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.Var(dirList{&e.cfg.agentDirs}, "agents", "load agent files from `DIR` as well (repeatable; later wins; also $MCP_AGENTS_DIRS, a path list)")
	fs.BoolVar(&e.cfg.noBuiltin, "no-builtin", e.cfg.noBuiltin, "do not load the built-in agents")
	fs.StringVar(&e.cfg.db, "db", e.cfg.db, "the database: a SQLite file `PATH`, or a postgres:// URL (default: $MCP_AGENTS_DB, nearest .mcp-agents/agents.db, or the user data dir)")
	fs.StringVar(&e.cfg.logLevel, "log-level", orDefault(e.cfg.logLevel, "info"), "log `LEVEL` on stderr: debug, info, warn, error")
	checked(fs, "log-level", checkLogLevel)
	checked(fs, "db", checkDB)
	fs.BoolVar(&e.cfg.version, "version", e.cfg.version, "print the version and exit")
	if e.synopsis == nil {
		e.synopsis = map[*flag.FlagSet]string{}
		e.groups = map[*flag.FlagSet]bool{}
	}
	e.synopsis[fs] = synopsis
	if name != "mcp-agents" {
		e.cmd = name
	}
	return fs
}

// globalFlags are printed apart from a command's own flags.
var globalFlags = map[string]bool{"agents": true, "no-builtin": true, "db": true, "log-level": true, "version": true}

// environment is the help's account of the variables the program reads.
const environment = `Environment:
  MCP_AGENTS_DIRS    agent directories to load, a path list (before --agents DIR)
  MCP_AGENTS_DB      the database: a SQLite path or a postgres:// URL (unless --db is given)
  MCP_AGENTS_NOTIFY  serve: agents whose new flags are pushed to Claude Code (unless --notify is given)
`

// printHelp writes a command's help; asked for, it is the output (stdout).
func (e *env) printHelp(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: %s\n", strings.TrimSpace("mcp-agents "+fs.Name()+" "+e.synopsis[fs])) // stdout-ok: help asked for
	if e.groups[fs] {
		// A group has no options of its own: its subcommands do.
		fmt.Fprintf(w, "\nEach subcommand's own options: mcp-agents %s SUBCOMMAND --help\n", fs.Name()) // stdout-ok: help asked for
	}
	var own, global strings.Builder
	fs.VisitAll(func(f *flag.Flag) {
		if isAlias(fs, f) {
			return
		}
		b := &own
		if globalFlags[f.Name] {
			b = &global
		}
		writeFlag(b, fs, f)
	})
	if own.Len() > 0 {
		fmt.Fprintf(w, "\nFlags:\n%s", own.String()) // stdout-ok: help asked for
	}
	fmt.Fprintf(w, "\nGlobal flags (before or after the command):\n%s\n%s", global.String(), environment) // stdout-ok: help asked for
}

// writeFlag formats one flag as "--name TYPE" (with its dashed alias) and
// its usage, the way the README writes options.
func writeFlag(b *strings.Builder, fs *flag.FlagSet, f *flag.Flag) {
	arg, usage := flag.UnquoteUsage(f)
	fmt.Fprintf(b, "  --%s", f.Name)
	if dashed := strings.ReplaceAll(f.Name, "_", "-"); dashed != f.Name && fs.Lookup(dashed) != nil {
		fmt.Fprintf(b, ", --%s", dashed)
	}
	if arg != "" {
		fmt.Fprintf(b, " %s", arg)
	}
	fmt.Fprintf(b, "\n      %s", usage)
	switch f.DefValue {
	case "", "false", "0", "info":
	default:
		fmt.Fprintf(b, " (default %s)", f.DefValue)
	}
	b.WriteString("\n")
}

// isAlias reports whether f is the dashed spelling of an underscore option.
func isAlias(fs *flag.FlagSet, f *flag.Flag) bool {
	if !strings.Contains(f.Name, "-") {
		return false
	}
	orig := fs.Lookup(strings.ReplaceAll(f.Name, "-", "_"))
	return orig != nil && orig.Value == f.Value
}

// addDashedAliases lets every underscore option (--include_locked, the
// tools' argument names) be typed with dashes too, as people do by habit.
func addDashedAliases(fs *flag.FlagSet) {
	var names []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f) })
	for _, f := range names {
		if dashed := strings.ReplaceAll(f.Name, "_", "-"); dashed != f.Name && fs.Lookup(dashed) == nil {
			fs.Var(f.Value, dashed, "same as --"+f.Name)
		}
	}
}

// checkedValue is an option whose value check refuses a value as it is
// parsed: a bad one is a usage error naming the option as typed, on every
// command and before the command does anything, whatever else is on the
// line (help and version included: --log-level was checked only when a
// command logged, and "version --log-level bogus" passed).
type checkedValue struct {
	flag.Value
	check func(string) error
}

func (c *checkedValue) Set(s string) error {
	if err := c.check(s); err != nil {
		return err
	}
	return c.Value.Set(s)
}

// IsBoolFlag is the wrapped value's: package flag asks the option's value.
func (c *checkedValue) IsBoolFlag() bool {
	b, ok := c.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// checked makes fs's option name refuse, as it is parsed, a value check
// refuses. (Before parseFlags: the dashed alias it adds shares the value,
// a pointer, which isAlias compares.)
func checked(fs *flag.FlagSet, name string, check func(string) error) {
	f := fs.Lookup(name)
	f.Value = &checkedValue{f.Value, check}
}

// oneOf is the check of an option that takes one of choices.
func oneOf(choices ...string) func(string) error {
	return func(s string) error {
		if slices.Contains(choices, s) {
			return nil
		}
		return fmt.Errorf("must be one of %s", strings.Join(choices, ", "))
	}
}

// checkLogLevel accepts what slog reads: debug, info, warn, error, in any
// case, with an offset (info+2).
func checkLogLevel(s string) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(s)); err != nil {
		return errors.New("must be one of debug, info, warn, error")
	}
	return nil
}

// checkDB refuses an empty --db: left to the lookup, it used another
// database without a word (--db "$UNSET_VARIABLE" wrote to the user's).
func checkDB(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("needs a SQLite file path or a postgres:// URL; leave --db out to use the default")
	}
	return nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// parseFlags parses the flags at the front of args. --help prints the
// command's help on stdout and ends the command successfully. (--version
// never reaches a parse: Run answers it first, wherever it is.)
func (e *env) parseFlags(fs *flag.FlagSet, args []string) error {
	addDashedAliases(fs)
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		var help strings.Builder
		if e.mainHelp != nil && fs.Name() == "mcp-agents" {
			e.mainHelp(&help, fs) // the program's help lists the commands
		} else {
			e.printHelp(&help, fs)
		}
		if _, werr := io.WriteString(e.stdout, help.String()); werr != nil {
			return werr
		}
		return err
	case err != nil:
		return flagError(err, args, fs.Args())
	}
	e.recordTyped(fs, args[:len(args)-fs.NArg()])
	return nil
}

// recordTyped notes how each option among consumed, the arguments fs
// parsed, was typed, reading them as package flag did: "-name" or
// "--name", then its value in the same argument after "=", or, but for a
// bool, in the next one. A later one wins, as its value does.
func (e *env) recordTyped(fs *flag.FlagSet, consumed []string) {
	if e.typed == nil {
		e.typed = map[string]string{}
	}
	for i := 0; i < len(consumed); i++ {
		arg := consumed[i]
		if arg == "--" || len(arg) < 2 || arg[0] != '-' {
			return
		}
		opt, _, hasValue := strings.Cut(arg, "=")
		f := fs.Lookup(strings.TrimPrefix(opt[1:], "-"))
		if f == nil {
			return
		}
		e.typed[optionKey(f.Name)] = opt
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !hasValue && !(ok && b.IsBoolFlag()) {
			i++ // its value
		}
	}
}

func optionKey(name string) string { return strings.ReplaceAll(name, "-", "_") }

// option is the option called name ("addr", "flag_type") as it was typed
// on the command line ("-addr" or "--addr", "-flag-type"), or "--name"
// when it was not: every message about an option's value names it so,
// and the README promises a usage error names an option as it was typed
// (a check after the parse said "--addr" for "-addr").
func (e *env) option(name string) string {
	if typed, ok := e.typed[optionKey(name)]; ok {
		return typed
	}
	return "--" + name
}

// about says msg, a message that starts with the name of an option's value
// ("expires must be ...", as package auth words them), of the option name
// as it was typed.
func (e *env) about(name, msg string) string {
	if rest, ok := strings.CutPrefix(msg, name); ok {
		return e.option(name) + rest
	}
	return e.option(name) + ": " + msg
}

// flagError turns a parse error of package flag into a usage error that
// names the option as it was typed: "-x" or "--x" (package flag says "-x"
// for both). args are what was parsed, rest what was left of them
// (fs.Args()): the option at fault is among the last arguments consumed.
func flagError(err error, args, rest []string) error {
	msg := strings.TrimSpace(err.Error())
	consumed := args[:len(args)-len(rest)]
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		typed := typedOption(name, consumed, nil)
		return &UsageError{Msg: "unknown option " + typed, option: typed}
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		return &UsageError{Msg: "option needs an argument: " + typedOption(name, consumed, nil)}
	}
	if rest, ok := strings.CutPrefix(msg, "invalid boolean value "); ok {
		// invalid boolean value "x" for -json: parse error
		if quoted, err := strconv.QuotedPrefix(rest); err == nil {
			if name, ok := strings.CutPrefix(rest[len(quoted):], " for -"); ok {
				name, _, _ = strings.Cut(name, ": ")
				return &UsageError{Msg: "invalid value " + quoted + " for " + typedOption(name, consumed, nil) + ": must be true or false"}
			}
		}
	}
	if rest, ok := strings.CutPrefix(msg, "invalid value "); ok {
		// invalid value "abc" for flag -limit: must be an integer
		if quoted, err := strconv.QuotedPrefix(rest); err == nil {
			if name, ok := strings.CutPrefix(rest[len(quoted):], " for flag -"); ok {
				name, why, _ := strings.Cut(name, ": ")
				value, _ := strconv.Unquote(quoted)
				if why == errOutOfRange.Error() {
					return outOfRange(typedOption(name, consumed, &value), value)
				}
				return &UsageError{Msg: "invalid value " + quoted + " for " + typedOption(name, consumed, &value) + ": " + why}
			}
		}
	}
	return &UsageError{Msg: msg} // "bad flag syntax: ---x" shows it as typed already
}

// typedOption returns the option called name as it was typed ("-x",
// "--x"): the last of consumed, or, for an option whose value was the
// argument after it (value, when not nil, is the value refused), the one
// before. "--name" when it is not found.
func typedOption(name string, consumed []string, value *string) string {
	spelling := func(arg string) (string, bool) {
		opt, _, _ := strings.Cut(arg, "=")
		return opt, opt == "-"+name || opt == "--"+name
	}
	n := len(consumed)
	if n > 0 {
		last := consumed[n-1]
		opt, ok := spelling(last)
		// "--limit=abc" is the option itself; in "--limit -limit=abc"
		// the value is the whole argument, and the option came before.
		if ok && (value == nil || last == opt+"="+*value) {
			return opt
		}
	}
	if n > 1 && value != nil {
		if opt, ok := spelling(consumed[n-2]); ok {
			return opt
		}
	}
	return "--" + name
}

// subcommand parses the global flags (and --help, --version) in front of a
// group's subcommand ("agents --no-builtin list") and returns the
// subcommand ("" when none is given) and its arguments.
func (e *env) subcommand(group, synopsis string, args []string) (string, []string, error) {
	fs := e.flagSet(group, synopsis)
	e.groups[fs] = true
	if err := e.parseFlags(fs, args); err != nil {
		return "", nil, err
	}
	if fs.NArg() == 0 {
		return "", nil, nil
	}
	return fs.Arg(0), fs.Args()[1:], nil
}

// parse parses flags wherever they appear among the positional arguments
// ("lock-flag 7 @me --lease 60" and "lock-flag --lease 60 7 @me" both work)
// and checks the positional count. An argument that reads as a negative
// number ("flags show -1", "search-agents docker -1") is a positional
// value, checked as such: no option's name starts with a digit, and
// package flag took it for the option --1, refused as unknown.
func (e *env) parse(fs *flag.FlagSet, args []string, minPos, maxPos int) error {
	var pos []string
	for {
		if len(args) > 0 && negativeNumber(args[0]) {
			pos = append(pos, args[0])
			args = args[1:]
			continue
		}
		if err := e.parseFlags(fs, args); err != nil {
			return err
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
		if maxPos >= 0 && len(pos) > maxPos {
			if hint := boolValueHint(fs, pos); hint != "" {
				return usagef("%s takes %d argument(s), got %d (%s)", fs.Name(), maxPos, len(pos), hint)
			}
		}
		if minPos == maxPos {
			return usagef("%s takes %d argument(s), got %d", fs.Name(), minPos, len(pos))
		}
		if maxPos < 0 {
			return usagef("%s takes at least %d argument(s), got %d", fs.Name(), minPos, len(pos))
		}
		return usagef("%s takes %d to %d arguments, got %d", fs.Name(), minPos, maxPos, len(pos))
	}
	// Re-parse an empty list so fs.Args() returns the positionals.
	return fs.Parse(append([]string{"--"}, pos...))
}

// boolValueHint explains an extra argument "true" or "false" when fs has a
// yes/no option: package flag reads "--include_locked false" as the option
// and an argument, as a newcomer does not.
func boolValueHint(fs *flag.FlagSet, pos []string) string {
	i := slices.IndexFunc(pos, func(p string) bool { return strings.EqualFold(p, "true") || strings.EqualFold(p, "false") })
	if i < 0 {
		return ""
	}
	var name string
	fs.VisitAll(func(f *flag.Flag) {
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() && name == "" && !strings.Contains(f.Name, "-") && f.Name != "version" && f.Name != "help" {
			name = f.Name
		}
	})
	if name == "" {
		return ""
	}
	return fmt.Sprintf("%q was read as an argument: a yes/no option takes its value after =, as --%s=%s", pos[i], name, strings.ToLower(pos[i]))
}

// negativeNumber reports whether arg reads as a negative number (-1, -0.5,
// -.5, -1e3) rather than an option.
func negativeNumber(arg string) bool {
	rest, ok := strings.CutPrefix(arg, "-")
	rest = strings.TrimPrefix(rest, ".")
	return ok && rest != "" && rest[0] >= '0' && rest[0] <= '9'
}

func (e *env) logger() (*slog.Logger, error) {
	if e.log != nil {
		return e.log, nil
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(e.cfg.logLevel)); err != nil {
		// The option refuses such a value (checkLogLevel): only a default
		// could be one.
		return nil, fmt.Errorf("log level %q: %w", e.cfg.logLevel, err)
	}
	e.log = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
	return e.log, nil
}

// dbPath resolves the database path (absolute).
func (e *env) dbPath() (string, error) {
	if e.set.cwdErr != nil {
		return "", e.set.cwdErr
	}
	getenv := func(k string) string {
		if k == store.EnvDB {
			return e.set.envDB
		}
		return e.opts.Getenv(k) // where the user data directory is
	}
	path, err := store.ResolvePath(e.cfg.db, getenv, e.set.cwd)
	if err != nil {
		return "", fmt.Errorf("database path: %w", err)
	}
	return path, nil
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
		db, err := e.openDB(ctx)
		if err != nil {
			return nil, nil, err
		}
		svc.Flags = db
		closeFn = func() {
			if err := db.Close(); err != nil {
				log.Warn("closing database", "err", err)
			}
		}
	}
	return svc, closeFn, nil
}

// writeJSON prints v as indented JSON: the same fields the MCP tools return.
// Flag and agent text may hold characters a terminal acts on or that
// reorder a line (C1 controls such as the 8-bit CSI, bidirectional
// overrides, zero-width characters); encoding/json escapes only the C0
// ones. They are written as \u escapes too, so the output is safe on a
// terminal and still decodes to the very same strings.
func (e *env) writeJSON(v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := e.stdout.Write(escapeInvisible(buf.Bytes()))
	return err
}
