// Package cli implements the mcp-agents command line: the stdio server and
// the verbs scripts use (search-agents, agents, flag verbs). Every verb writes
// its result to the stdout it is given, and its errors to stderr, so the whole
// program runs in tests without a process.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/mcp-agents/mcp-agents/internal/server"
)

// Options carries what the program reads from its environment, so tests can
// substitute it.
type Options struct {
	Version string
	Getenv  func(string) string
	Getwd   func() (string, error)
	HomeDir func() (string, error)
	// Drain, when set, lets serve --http make a signal a graceful
	// shutdown (see Shutdown.Drain).
	Drain *Drain
}

func (o *Options) defaults() {
	if o.Version == "" {
		o.Version = "dev"
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Getwd == nil {
		o.Getwd = os.Getwd
	}
	if o.HomeDir == nil {
		o.HomeDir = os.UserHomeDir
	}
}

// UsageError is a mistake in the command line itself (exit code 2).
type UsageError struct {
	Msg string
	// Cmd is the command whose help the message points at ("agents
	// list"); empty for the program's own help.
	Cmd string
	// option is an option the command does not know, as typed ("-notify",
	// "--notify"); empty for other mistakes.
	option string
}

func (e *UsageError) Error() string { return e.Msg }

func usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// errReported marks an error whose message was already written (such as the
// problem lines of `agents check`), so Main only sets the exit code.
var errReported = errors.New("reported")

// ExitCode maps an error from Run to the process exit code and writes its
// message to stderr: 0 ok, 2 usage error, 1 anything else. (Output to a
// reader that went away is main's to recognise: it knows the platform's
// error for it.)
func ExitCode(err error, stderr io.Writer) int {
	switch {
	case err == nil || errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errReported):
		return 1
	}
	var ue *UsageError
	if errors.As(err, &ue) {
		help := "mcp-agents --help"
		if ue.Cmd != "" {
			help = "mcp-agents " + ue.Cmd + " --help"
		}
		fmt.Fprintf(stderr, "mcp-agents: %s\nRun '%s' for usage.\n", terminalText(ue.Msg), help)
		return 2
	}
	if d, ok := server.AsDomain(err); ok {
		fmt.Fprintf(stderr, "mcp-agents: %s\n", terminalText(d.Message))
		return 1
	}
	fmt.Fprintf(stderr, "mcp-agents: %s\n", terminalText(err.Error()))
	return 1
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

// commands lists the verbs; the order is the order of the help text.
var commands = []command{
	{"serve", "run the MCP server on stdin/stdout (the default), or with --http ADDR for a team", runServe},
	{"search-agents", "QUERY [LIMIT]: rank agents for a task (JSON, like the search_agents tool)", runSearchAgents},
	{"agents", "list | show NAME | check [DIR...]: inspect and lint agent files", runAgents},
	{"get-agent-flags", "AGENT: an agent's pending flags, most urgent first", runGetAgentFlags},
	{"create-flag", "--flag_type T --source_agent A ...: create a flag", runCreateFlag},
	{"lock-flag", "ID AGENT [--lease SECONDS]: take or renew a lease on a flag", runLockFlag},
	{"unlock-flag", "ID AGENT [--force]: release a flag", runUnlockFlag},
	{"complete-flag", "ID AGENT [--notes TEXT]: mark a flag done", runCompleteFlag},
	{"flags", "list [filters] | show ID: browse flags", runFlags},
	{"tokens", "create --agent A --role R | list | revoke ID (refused by running servers within 5 s): bearer tokens for serve --http", runTokens},
	{"board", "[--addr 127.0.0.1:8766] [--open]: the flag board, a live web page on this machine", runBoard},
	{"migrate", "--db FILE --to postgres://…: copy every flag, event and token into an empty PostgreSQL database", runMigrate},
	{"version", "print the version", runVersion},
	{"help", "[COMMAND]: this help, or a command's", nil},
}

// Run executes one invocation of the program.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, opts Options) error {
	opts.defaults()
	e := &env{opts: opts, set: readSettings(opts), stdin: stdin, stdout: stdout, stderr: stderr}
	e.mainHelp = e.printMainHelp
	// --version wins over whatever else is on the line: --help, or a
	// usage error that would stop parsing before it is reached ("flags
	// list --limit abc --version").
	if asksVersion(args) {
		return e.printVersion()
	}
	err := e.dispatch(ctx, args)
	var ue *UsageError
	if errors.As(err, &ue) && ue.Cmd == "" {
		ue.Cmd = e.cmd
	}
	return err
}

// asksVersion reports whether --version (or -version, or =true) is among
// args before a "--".
func asksVersion(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		name, value, hasValue := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-"), "=")
		if name != "version" || a == name {
			continue
		}
		if on, err := strconv.ParseBool(value); !hasValue || err == nil && on {
			return true
		}
	}
	return false
}

func (e *env) dispatch(ctx context.Context, args []string) error {
	fs := e.flagSet("mcp-agents", "[global flags] [command] [args]")
	if err := e.parseFlags(fs, args); err != nil {
		// "mcp-agents" with no command is "mcp-agents serve", options and
		// all, and so is "mcp-agents --notify @a.b serve".
		if name, ok := unknownOption(err); ok && isServeOption(name) {
			return e.serveOptionsFirst(ctx, args, err)
		}
		return err
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return runServe(ctx, e, nil)
	}
	if rest[0] == "help" {
		if len(rest) > 1 {
			// "help create-flag" is "create-flag --help".
			return e.dispatch(ctx, append(rest[1:], "--help"))
		}
		var help strings.Builder
		e.printMainHelp(&help, fs)
		_, err := io.WriteString(e.stdout, help.String())
		return err
	}
	for _, c := range commands {
		if c.name == rest[0] && c.run != nil {
			return c.run(ctx, e, rest[1:])
		}
	}
	return usagef("unknown command %q", rest[0])
}

func (e *env) printMainHelp(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "mcp-agents %s: a team of specialist agents and their flags, served over MCP.\n\n", e.opts.Version) // stdout-ok: help
	fmt.Fprintf(w, "Usage: mcp-agents [global flags] [command] [args]\n\nCommands:\n")                                 // stdout-ok: help
	for _, c := range commands {
		fmt.Fprintf(w, "  %-16s %s\n", c.name, c.summary) // stdout-ok: help
	}
	var global strings.Builder
	fs.VisitAll(func(f *flag.Flag) { writeFlag(&global, fs, f) })
	fmt.Fprintf(w, "\nGlobal flags (before or after the command):\n%s\n%s", global.String(), environment)                                                     // stdout-ok: help
	fmt.Fprintf(w, "\nRun 'mcp-agents COMMAND --help' for a command's own flags. Exit codes: 0 ok, 1 error, 2 usage error, 130 on SIGINT, 143 on SIGTERM.\n") // stdout-ok: help
}

func runVersion(_ context.Context, e *env, args []string) error {
	fs := e.flagSet("version", "")
	if err := e.parse(fs, args, 0, 0); err != nil {
		return err
	}
	return e.printVersion()
}

func (e *env) printVersion() error {
	_, err := fmt.Fprintf(e.stdout, "mcp-agents %s\n", e.opts.Version) // stdout-ok: CLI output
	return err
}

// unknownOption returns the name of the option a parse error says is not
// defined.
func unknownOption(err error) (string, bool) {
	var ue *UsageError
	if !errors.As(err, &ue) || ue.option == "" {
		return "", false
	}
	return strings.TrimLeft(ue.option, "-"), true
}

// serveOptionsFirst runs a command line whose first option the program
// does not know but serve does: what it asks for depends on the command
// that follows the options. None is "mcp-agents serve" with them (a client
// configured with ["--notify", "@a.b"] gets the server it asked for);
// "serve" is that command; another command is a usage error, since serve's
// options mean nothing to it and were not what was meant.
func (e *env) serveOptionsFirst(ctx context.Context, args []string, unknown error) error {
	word, at := commandAfterServeOptions(args)
	// The global options before the one that stopped the first parse are
	// set already; serve parses them again, and a repeatable one
	// ("--agents DIR") taken twice loaded its directory twice, each agent
	// "overriding" itself.
	e.cfg = config{}
	switch {
	case word == "":
		return runServe(ctx, e, args)
	case word == "serve":
		return runServe(ctx, e, slices.Delete(slices.Clone(args), at, at+1))
	case !isCommand(word):
		return usagef("unknown command %q", word)
	}
	var ue *UsageError
	errors.As(unknown, &ue)
	return &UsageError{Cmd: "serve", Msg: fmt.Sprintf("%s is an option of serve, not of %s: give it after serve (mcp-agents serve %s ...), or not at all",
		ue.option, word, ue.option)}
}

// commandAfterServeOptions returns the first argument that is not an option
// (or an option's value) of serve or the program, and its index; "" when
// there is none, or when the options do not parse (serve then says why).
// It binds nothing of e's: the command run parses its arguments itself.
func commandAfterServeOptions(args []string) (string, int) {
	scratch := &env{}
	fs := scratch.flagSet("serve", "")
	new(serveOptions).register(fs)
	addDashedAliases(fs)
	if err := fs.Parse(args); err != nil || fs.NArg() == 0 {
		return "", -1
	}
	at := len(args) - fs.NArg()
	return args[at], at
}

func isCommand(name string) bool {
	for _, c := range commands {
		if c.name == name {
			return true
		}
	}
	return false
}
