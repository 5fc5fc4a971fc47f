package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/mcp-agents/mcp-agents/internal/cli"
)

type result struct {
	stdout, stderr string
	code           int
}

// harness runs the CLI in-process with an isolated home, working directory
// and database, so tests never touch the developer's files.
type harness struct {
	home, cwd, db string
	env           map[string]string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	root := t.TempDir()
	h := &harness{home: filepath.Join(root, "home"), cwd: filepath.Join(root, "work"), db: filepath.Join(root, "agents.db"), env: map[string]string{}}
	for _, d := range []string{h.home, h.cwd} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

func (h *harness) run(t *testing.T, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := cli.Run(context.Background(), args, strings.NewReader(""), &stdout, &stderr, cli.Options{
		Version: "1.2.3",
		Getenv:  func(k string) string { return h.env[k] },
		Getwd:   func() (string, error) { return h.cwd, nil },
		HomeDir: func() (string, error) { return h.home, nil },
	})
	code := cli.ExitCode(err, &stderr)
	return result{stdout.String(), stderr.String(), code}
}

func (h *harness) ok(t *testing.T, out any, args ...string) {
	t.Helper()
	r := h.run(t, args...)
	if r.code != 0 {
		t.Fatalf("%v: exit %d\n%s", args, r.code, r.stderr)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(r.stdout), out); err != nil {
			t.Fatalf("%v: stdout is not JSON: %v\n%s", args, err, r.stdout)
		}
	}
}

func writeAgent(t *testing.T, dir, file, content string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, file), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestVersionAnywhere(t *testing.T) {
	h := newHarness(t)
	for _, args := range [][]string{
		{"--version"}, {"version"}, {"-version"},
		{"agents", "list", "--version"}, {"agents", "--version"}, {"flags", "--version"},
		{"lock-flag", "--version"}, {"create-flag", "--flag_type", "x", "--version"},
		{"search-agents", "docker", "--version"}, {"serve", "--version"},
		// Whatever else is on the line: an unknown flag, a bad value, an
		// unknown command.
		{"create-flag", "--bogus", "--version"}, {"flags", "list", "--limit", "abc", "--version"},
		{"nosuchcmd", "--version"}, {"--version=true", "nosuchcmd"},
		// and help asked for at the same time.
		{"--help", "--version"}, {"--version", "--help"}, {"help", "--version"}, {"flags", "list", "-h", "--version"},
	} {
		r := h.run(t, args...)
		if r.code != 0 || r.stdout != "mcp-agents 1.2.3\n" || r.stderr != "" {
			t.Errorf("%v: %+v", args, r)
		}
	}
}

// Help that was asked for is the output: stdout, exit 0, nothing on stderr.
func TestHelpOnStdout(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"--help"}, []string{"search-agents", "create-flag", "MCP_AGENTS_DIRS", "MCP_AGENTS_DB", "--version"}},
		{[]string{"-h"}, []string{"Commands:"}},
		{[]string{"help"}, []string{"Commands:"}},
		{[]string{"help", "lock-flag"}, []string{"Usage: mcp-agents lock-flag", "--lease SECONDS", "an integer"}},
		{[]string{"serve", "--help"}, []string{"Usage: mcp-agents serve", "MCP_AGENTS_DB", "--notify", "MCP_AGENTS_NOTIFY",
			"per token, N (a number", "per token, M (an integer"}},
		{[]string{"search-agents", "--help"}, []string{"Usage: mcp-agents search-agents", "LIMIT is an integer"}},
		{[]string{"get-agent-flags", "--help"}, []string{"--include_locked, --include-locked", "--limit N", "an integer"}},
		{[]string{"create-flag", "--help"}, []string{"--flag_type, --flag-type TYPE", "--chain_origin_id, --chain-origin-id ID", "integer"}},
		{[]string{"lock-flag", "--help"}, []string{"Usage: mcp-agents lock-flag"}},
		{[]string{"unlock-flag", "-h"}, []string{"--force"}},
		{[]string{"complete-flag", "--help"}, []string{"--notes TEXT"}},
		{[]string{"version", "--help"}, []string{"Usage: mcp-agents version"}},
		{[]string{"agents", "--help"}, []string{"Usage: mcp-agents agents list"}},
		{[]string{"agents", "list", "--help"}, []string{"--json", "MCP_AGENTS_DIRS"}},
		{[]string{"agents", "show", "--help"}, []string{"Usage: mcp-agents agents show NAME"}},
		{[]string{"agents", "check", "--help"}, []string{"Usage: mcp-agents agents check"}},
		{[]string{"flags", "--help"}, []string{"Usage: mcp-agents flags list", "Each subcommand's own options: mcp-agents flags SUBCOMMAND --help"}},
		{[]string{"tokens", "--help"}, []string{"Each subcommand's own options: mcp-agents tokens SUBCOMMAND --help"}},
		{[]string{"flags", "list", "--help"}, []string{"--limit N", "--chain_origin_id, --chain-origin-id ID", "MCP_AGENTS_DB"}},
		{[]string{"flags", "show", "--help"}, []string{"Usage: mcp-agents flags show ID"}},
	}
	for _, c := range cases {
		r := h.run(t, c.args...)
		if r.code != 0 || r.stderr != "" {
			t.Errorf("%v: exit %d, stderr %q; want 0 and nothing", c.args, r.code, r.stderr)
		}
		for _, w := range c.want {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("%v: help lacks %q:\n%s", c.args, w, r.stdout)
			}
		}
	}
}

// Every option whose name has an underscore is offered, and accepted, with
// dashes too.
func TestDashedAliasesForEveryUnderscoreOption(t *testing.T) {
	h := newHarness(t)
	checked := 0
	option := regexp.MustCompile(`(?m)^  --([a-z]+(?:_[a-z]+)+)\b(, --([a-z-]+))?`)
	for _, cmd := range [][]string{{"serve"}, {"search-agents"}, {"get-agent-flags"}, {"create-flag"}, {"lock-flag"}, {"unlock-flag"}, {"complete-flag"}, {"flags", "list"}, {"flags", "show"}, {"agents", "list"}} {
		r := h.run(t, append(cmd, "--help")...)
		for _, m := range option.FindAllStringSubmatch(r.stdout, -1) {
			checked++
			if m[3] != strings.ReplaceAll(m[1], "_", "-") {
				t.Errorf("%v --help: --%s has no dashed alias listed: %q", cmd, m[1], m[0])
			}
		}
	}
	if checked < 15 {
		t.Errorf("found %d underscore options in the help texts; the pattern no longer matches them", checked)
	}

	h.env["MCP_AGENTS_DB"] = h.db
	var created struct{ Flag flagJSON }
	h.ok(t, &created, "create-flag",
		"--flag-type", "breaking_change", "--source-agent", "@backend.api", "--target-agent", "@database.postgres",
		"--change-description", strings.Repeat("c", 60), "--action-required", strings.Repeat("a", 120),
		"--impact-level", "high", "--related-files", "a.go", "--code-location", "a.go:1", "--example-usage", "x", "--context", "{}")
	h.ok(t, nil, "create-flag",
		"--flag-type", "change", "--source-agent", "@backend.api", "--chain-origin-id", fmt.Sprint(created.Flag.ID),
		"--change-description", strings.Repeat("c", 60), "--action-required", strings.Repeat("a", 120))
	h.ok(t, nil, "lock-flag", fmt.Sprint(created.Flag.ID), "@backend.api")
	// The inbox holds the targeted flag, locked by another agent, and the
	// broadcast follow-up.
	var inbox struct{ Flags []flagJSON }
	for _, c := range []struct {
		flag string
		want int
	}{{"--include-locked=false", 1}, {"--include_locked=false", 1}, {"--include-locked", 2}} {
		h.ok(t, &inbox, "get-agent-flags", "@database.postgres", c.flag)
		if len(inbox.Flags) != c.want {
			t.Errorf("get-agent-flags %s: %d flags, want %d", c.flag, len(inbox.Flags), c.want)
		}
	}
	var list struct{ Total int }
	h.ok(t, &list, "flags", "list", "--chain-origin-id", fmt.Sprint(created.Flag.ID), "--source-agent", "@backend.api", "--flag-type", "change", "--impact-level", "medium")
	if list.Total != 1 {
		t.Errorf("flags list with dashed filters: total %d, want 1", list.Total)
	}
}

func TestUsageErrors(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		args []string
		help string // the help the message points at
		msg  string
	}{
		{[]string{"bogus"}, "mcp-agents --help", "unknown command"},
		{[]string{"--nope"}, "mcp-agents --help", "nope"},
		{[]string{"search-agents"}, "mcp-agents search-agents --help", "argument"},
		{[]string{"search-agents", "docker", "three"}, "mcp-agents search-agents --help", "LIMIT must be an integer"},
		{[]string{"lock-flag", "1"}, "mcp-agents lock-flag --help", "2 argument"},
		{[]string{"lock-flag", "x", "@a.b"}, "mcp-agents lock-flag --help", "ID must be a positive integer"},
		{[]string{"lock-flag", "1", "@a.b", "--lease", "soon"}, "mcp-agents lock-flag --help", "must be an integer"},
		{[]string{"get-agent-flags", "@a.b", "--limit", "1.5"}, "mcp-agents get-agent-flags --help", "must be an integer"},
		{[]string{"flags", "list", "--chain-origin-id", "x"}, "mcp-agents flags list --help", "must be an integer"},
		{[]string{"create-flag", "--bogus", "1"}, "mcp-agents create-flag --help", "bogus"},
		{[]string{"agents"}, "mcp-agents agents --help", "subcommand"},
		{[]string{"agents", "frobnicate"}, "mcp-agents agents --help", "frobnicate"},
		{[]string{"agents", "show"}, "mcp-agents agents show --help", "argument"},
		{[]string{"flags"}, "mcp-agents flags --help", "subcommand"},
		{[]string{"flags", "show"}, "mcp-agents flags show --help", "argument"},
		{[]string{"version", "extra"}, "mcp-agents version --help", "argument"},
		// Refused as it is parsed: before the command, it is the program's.
		{[]string{"--log-level", "loud", "search-agents", "docker"}, "mcp-agents --help", `invalid value "loud" for --log-level`},
		{[]string{"search-agents", "docker", "--log-level", "loud"}, "mcp-agents search-agents --help", `invalid value "loud" for --log-level`},
		// Options are spelt as the help spells them, with two dashes.
		{[]string{"--bogus"}, "mcp-agents --help", "unknown option --bogus"},
		{[]string{"flags", "list", "--limit", "abc"}, "mcp-agents flags list --help", `invalid value "abc" for --limit: must be an integer`},
		{[]string{"--db"}, "mcp-agents --help", "option needs an argument: --db"},
		{[]string{"serve", "--http", "127.0.0.1:1", "--rate-burst", "0x10"}, "mcp-agents serve --help", "--rate-burst: must be an integer"},
		{[]string{"serve", "--http", "127.0.0.1:1", "--rate-limit", "NaN"}, "mcp-agents serve --help", "--rate-limit: must be a number"},
		// Not package flag's "parse error".
		{[]string{"serve", "--http", "127.0.0.1:1", "-session-ttl", "soon"}, "mcp-agents serve --help", `invalid value "soon" for -session-ttl: must be a duration such as 30m or 2h`},
		{[]string{"tokens", "create", "--agent", "@a.b", "--role", "agent", "--expires", "200000d"}, "mcp-agents tokens create --help", "at most 106751d"},
		// "0" and an empty value read as "never" as well as "at once": refused.
		{[]string{"tokens", "create", "--agent", "@a.b", "--role", "agent", "--expires", "0"}, "mcp-agents tokens create --help", `positive number of days such as 30d, or a duration such as 720h, got "0"`},
		{[]string{"tokens", "create", "--agent", "@a.b", "--role", "agent", "--expires", ""}, "mcp-agents tokens create --help", "leave it out for a token that never expires"},
		{[]string{"serve", "--http", "127.0.0.1:1", "--notify", "@a.b"}, "mcp-agents serve --help", "--notify: only without --http"},
		{[]string{"create-flag", "--flag_type", "change", "--source_agent", "@a.b", "--change_description", "c"}, "mcp-agents create-flag --help", "--action_required is required"},
		{[]string{"tokens", "create", "--agent", "@a.b", "--role", "observer", "--can-broadcast"}, "mcp-agents tokens create --help", "--can-broadcast: an observer writes nothing"},
		// Left out, not typed empty: said as a required option is.
		{[]string{"tokens", "create", "--agent", "@a.b"}, "mcp-agents tokens create --help", "tokens create: --role is required: agent, observer or admin"},
		{[]string{"get-agent-flags", "@a.b", "--include-locked=maybe"}, "mcp-agents get-agent-flags --help", `invalid value "maybe" for --include-locked: must be true or false`},
		{[]string{"agents", "list", "--json=x"}, "mcp-agents agents list --help", `invalid value "x" for --json: must be true or false`},
		// An empty --db ("$UNSET_VARIABLE") used another database without a word.
		{[]string{"--db", "", "flags", "list"}, "mcp-agents --help", `invalid value "" for --db: needs a SQLite file path or a postgres:// URL`},
		{[]string{"flags", "list", "-db= "}, "mcp-agents flags list --help", `invalid value " " for -db: needs a SQLite file path`},
	}
	for _, c := range cases {
		r := h.run(t, c.args...)
		if r.code != 2 || r.stdout != "" {
			t.Errorf("%v: want exit 2 and no output, got %+v", c.args, r)
			continue
		}
		if !strings.Contains(r.stderr, c.msg) || !strings.Contains(r.stderr, "Run '"+c.help+"' for usage.") {
			t.Errorf("%v: stderr %q; want a message with %q pointing at %q", c.args, r.stderr, c.msg, c.help)
		}
		if strings.Contains(r.stderr, "Global flags") {
			t.Errorf("%v: a usage error printed the whole help on stderr:\n%s", c.args, r.stderr)
		}
	}
}

// A usage error names the option as it was typed, "-x" or "--x", on every
// command (package flag reads both alike, and the error said "--x" for
// "-x"), as do the errors for a missing or refused value.
func TestOptionsNamedAsTyped(t *testing.T) {
	h := newHarness(t)
	help := h.run(t, "help")
	_, list, _ := strings.Cut(help.stdout, "Commands:\n")
	list, _, _ = strings.Cut(list, "\n\n")
	commands := [][]string{nil} // the program alone
	for _, line := range strings.Split(list, "\n") {
		if name := strings.Fields(line)[0]; name != "help" {
			commands = append(commands, []string{name})
		}
	}
	if len(commands) < 10 {
		t.Fatalf("found %d commands in the help:\n%s", len(commands), help.stdout)
	}
	for _, sub := range []string{"agents list", "agents show", "agents check", "flags list", "flags show", "tokens create", "tokens list", "tokens revoke"} {
		commands = append(commands, strings.Fields(sub))
	}
	for _, cmd := range commands {
		for _, c := range []struct{ arg, want string }{
			{"-x", "unknown option -x\n"},
			{"--x", "unknown option --x\n"},
			{"-x=1", "unknown option -x\n"},
			{"--no-such-option=1", "unknown option --no-such-option\n"},
		} {
			args := append(slices.Clone(cmd), c.arg)
			r := h.run(t, args...)
			if r.code != 2 || !strings.HasPrefix(r.stderr, "mcp-agents: "+c.want) {
				t.Errorf("%q: exit %d, stderr %q; want exit 2 and %q", args, r.code, r.stderr, c.want)
			}
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-x", "flags", "list"}, "unknown option -x"},
		{[]string{"flags", "-x", "list"}, "unknown option -x"},
		{[]string{"flags", "list", "-limit", "abc"}, `invalid value "abc" for -limit: must be an integer`},
		{[]string{"flags", "list", "-limit=abc"}, `invalid value "abc" for -limit: must be an integer`},
		{[]string{"flags", "list", "--limit=abc"}, `invalid value "abc" for --limit: must be an integer`},
		// The value of --limit is "-limit=abc", whole.
		{[]string{"flags", "list", "--limit", "-limit=abc"}, `invalid value "-limit=abc" for --limit: must be an integer`},
		{[]string{"flags", "list", "-limit", "--limit=abc"}, `invalid value "--limit=abc" for -limit: must be an integer`},
		{[]string{"agents", "list", "-json=maybe"}, `invalid value "maybe" for -json: must be true or false`},
		{[]string{"get-agent-flags", "@a.b", "-include-locked=maybe"}, `invalid value "maybe" for -include-locked: must be true or false`},
		{[]string{"lock-flag", "1", "@a.b", "-lease"}, "option needs an argument: -lease"},
		{[]string{"-db"}, "option needs an argument: -db"},
	} {
		r := h.run(t, c.args...)
		if r.code != 2 || !strings.HasPrefix(r.stderr, "mcp-agents: "+c.want+"\n") {
			t.Errorf("%q: exit %d, stderr %q; want exit 2 and %q", c.args, r.code, r.stderr, c.want)
		}
	}
}

// A command's own check of an option's value, made once the line is
// parsed, names the option as it was typed too, "-addr" or "--addr" (they
// all said "--addr"); ~ in a case stands for the dash or dashes typed.
func TestValueChecksNameOptionAsTyped(t *testing.T) {
	h := newHarness(t)
	h.env["MCP_AGENTS_DB"] = h.db
	cases := []struct {
		args string // split on spaces; "''" is an empty argument
		want string
	}{
		{"board ~addr 8.8.8.8:1", "~addr must be a loopback address"},
		{"board ~addr=bogus", `~addr must be HOST:PORT`},
		{"serve ~notify ''", `~notify: "" names no agent`},
		{"~notify '' serve", `~notify: "" names no agent`},
		{"~notify , --db " + h.db, `~notify: "," names no agent`},
		{"serve ~notify=@a.b,a!b", `~notify: "a!b" is not an agent handle`},
		{"serve ~http 8.8.8.8:1", "~http 8.8.8.8:1 is not a loopback address"},
		{"serve ~http bogus", `~http "bogus": want HOST:PORT`},
		{"serve ~http 127.0.0.1:0 ~notify @a.b", "~notify: only without ~http"},
		{"serve ~tls-cert c.pem ~session-ttl 1m", "~session-ttl, ~tls-cert: only with --http ADDR"},
		{"serve ~http 127.0.0.1:0 ~tls-key k.pem", "--tls-cert and ~tls-key go together"},
		{"serve ~http 8.8.8.8:1 ~no-auth", "~no-auth is only for a loopback address"},
		{"serve ~http 127.0.0.1:0 ~rate-limit -1", "~rate-limit must be 0 or positive"},
		{"serve ~http 127.0.0.1:0 ~rate-burst=-1", "~rate-burst must be 0 or positive"},
		{"serve ~http 127.0.0.1:0 ~session-ttl 0s", "~session-ttl must be positive"},
		{"tokens create --agent @a.b ~role agent ~expires bogus", "tokens create: ~expires must be a positive number of days"},
		{"tokens create --agent @a.b ~role observer ~can-broadcast", "tokens create: ~can-broadcast: an observer writes nothing"},
		{"migrate ~to mysql://x", "migrate: ~to must be a PostgreSQL URL"},
		// The last one typed is named: its value is the one refused.
		{"board -addr 127.0.0.1:1 ~addr 8.8.8.8:1", "~addr must be a loopback address"},
		{"board --addr=127.0.0.1:1 -addr=x ~addr 8.8.8.8:1", "~addr must be a loopback address"},
		// An option's value that reads as the other spelling is a value.
		{"serve ~http 8.8.8.8:1 --context --http", "~http 8.8.8.8:1 is not a loopback address"},
		{"serve ~http 8.8.8.8:1 -context -http", "~http 8.8.8.8:1 is not a loopback address"},
	}
	for _, c := range cases {
		for _, dashes := range []string{"-", "--"} {
			var args []string
			for _, a := range strings.Fields(strings.ReplaceAll(c.args, "~", dashes)) {
				if a == "''" {
					a = ""
				}
				args = append(args, a)
			}
			want := "mcp-agents: " + strings.ReplaceAll(c.want, "~", dashes)
			r := h.run(t, args...)
			if r.code != 2 || r.stdout != "" || !strings.HasPrefix(r.stderr, want) {
				t.Errorf("%q: %+v; want exit 2 and %q", args, r, want)
			}
		}
	}
	// So does an error of serving with what they gave (exit 1).
	for _, dashes := range []string{"-", "--"} {
		args := []string{"serve", dashes + "http", "127.0.0.1:0", dashes + "tls-cert", "missing.pem", "--tls-key", "missing.pem"}
		want := "mcp-agents: " + dashes + "tls-cert/--tls-key: "
		if r := h.run(t, args...); r.code != 1 || !strings.HasPrefix(r.stderr, want) {
			t.Errorf("%q: %+v; want exit 1 and %q", args, r, want)
		}
	}
}

// An integer past what an option or argument can hold is out of range, as
// the tools say of one (an error, exit 1, as one the tool refuses in range
// is); it was refused as "must be an integer", which it is.
func TestIntegersOutOfRange(t *testing.T) {
	h := newHarness(t)
	h.env["MCP_AGENTS_DB"] = h.db
	const big = "99999999999999999999"
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"lock-flag", "1", "@a.b", "--lease", big}, "--lease is out of range, got " + big},
		{[]string{"lock-flag", "1", "@a.b", "-lease=-" + big}, "-lease is out of range, got -" + big},
		{[]string{"get-agent-flags", "@a.b", "-limit", big}, "-limit is out of range, got " + big},
		{[]string{"flags", "list", "--chain-origin-id", big}, "--chain-origin-id is out of range, got " + big},
		{[]string{"create-flag", "--chain_origin_id=" + big}, "--chain_origin_id is out of range, got " + big},
		{[]string{"serve", "--http", "127.0.0.1:0", "-rate-burst", big}, "-rate-burst is out of range, got " + big},
		{[]string{"serve", "--http", "127.0.0.1:0", "--rate-limit", "1e999"}, "--rate-limit is out of range, got 1e999"},
		{[]string{"search-agents", "docker", big}, "LIMIT is out of range, got " + big},
		{[]string{"search-agents", "docker", "-" + big}, "LIMIT is out of range, got -" + big},
		{[]string{"flags", "show", big}, "ID is out of range, got " + big},
		{[]string{"complete-flag", big, "@a.b"}, "ID is out of range, got " + big},
	} {
		r := h.run(t, c.args...)
		if r.code != 1 || r.stdout != "" || r.stderr != "mcp-agents: "+c.want+"\n" {
			t.Errorf("%q: %+v; want exit 1 and %q", c.args, r, c.want)
		}
	}
	// What is not an integer is still a usage error.
	for _, args := range [][]string{
		{"lock-flag", "1", "@a.b", "--lease", "1e3"}, {"search-agents", "docker", "1.5"}, {"flags", "show", "-" + big},
	} {
		if r := h.run(t, args...); r.code != 2 || strings.Contains(r.stderr, "out of range") {
			t.Errorf("%q: %+v; want exit 2", args, r)
		}
	}
}

// A positional argument that reads as a negative number is a value, and
// gets the message (and exit code) any other bad value of its kind gets;
// it was taken for an option and refused as "unknown option --1", a
// spelling nobody typed.
func TestNegativeNumbersAreValues(t *testing.T) {
	h := newHarness(t)
	h.env["MCP_AGENTS_DB"] = h.db
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"flags", "show", "-1"}, 2, `ID must be a positive integer, got "-1"`},
		{[]string{"flags", "show", "-1.5"}, 2, `ID must be a positive integer, got "-1.5"`},
		{[]string{"lock-flag", "-3", "@a.b"}, 2, `ID must be a positive integer, got "-3"`},
		{[]string{"unlock-flag", "@a.b", "-3"}, 2, `ID must be a positive integer, got "@a.b"`},
		{[]string{"complete-flag", "-3", "@a.b", "--notes", "x"}, 2, `ID must be a positive integer, got "-3"`},
		{[]string{"search-agents", "docker", "-.5"}, 2, `LIMIT must be an integer, got "-.5"`},
		// An integer out of range is the tool's error, as 0 is.
		{[]string{"search-agents", "kubernetes", "-1"}, 1, "limit must be between 1 and 50, got -1"},
		{[]string{"--log-level", "warn", "search-agents", "kubernetes", "-1"}, 1, "limit must be between 1 and 50, got -1"},
		// Options still parse around it; a real unknown option is refused.
		{[]string{"search-agents", "-1", "docker", "--no-builtin"}, 2, `LIMIT must be an integer, got "docker"`},
		{[]string{"flags", "show", "-x"}, 2, "unknown option -x"},
	}
	for _, c := range cases {
		r := h.run(t, c.args...)
		if r.code != c.code || !strings.Contains(r.stderr, c.msg) || r.stdout != "" ||
			(c.msg != "unknown option -x" && strings.Contains(r.stderr, "unknown option")) {
			t.Errorf("%q: %+v; want exit %d with %q", c.args, r, c.code, c.msg)
		}
	}
}

func TestSearchAgentsVerb(t *testing.T) {
	h := newHarness(t)
	var out struct {
		Query        string `json:"query"`
		TotalMatches int    `json:"total_matches"`
		Results      []struct {
			Name    string   `json:"name"`
			Rank    int      `json:"rank"`
			Score   float64  `json:"score"`
			Reasons []string `json:"reasons"`
		} `json:"results"`
	}
	h.ok(t, &out, "search-agents", "PostgreSQL query performance tuning", "3")
	if len(out.Results) != 3 || out.Results[0].Rank != 1 || out.Results[0].Score <= 0 || len(out.Results[0].Reasons) == 0 {
		t.Fatalf("search-agents: %+v", out)
	}
	if out.Results[0].Name != "@database.postgres" {
		t.Errorf("top result %s, want @database.postgres", out.Results[0].Name)
	}
	if r := h.run(t, "search-agents", "docker", "0"); r.code != 1 || !strings.Contains(r.stderr, "limit") {
		t.Errorf("limit 0: %+v", r)
	}
	if r := h.run(t, "search-agents", " "); r.code != 1 || !strings.Contains(r.stderr, "query") {
		t.Errorf("blank query: %+v", r)
	}
}

func TestAgentsVerbs(t *testing.T) {
	h := newHarness(t)
	extra := filepath.Join(h.cwd, "extra")
	writeAgent(t, extra, "mine.md", "---\nname: team.mine\ndescription: Our own agent for the billing service.\n---\nYou own billing.\n")

	r := h.run(t, "--no-builtin", "--agents", extra, "agents", "list")
	if r.code != 0 || !strings.Contains(r.stdout, "@team.mine") || strings.Contains(r.stdout, "@ops.containers") {
		t.Errorf("agents list --no-builtin: %+v", r)
	}
	var entries []map[string]any
	h.ok(t, &entries, "agents", "list", "--json")
	if len(entries) < 24 {
		t.Errorf("built-in catalog has %d agents, want at least 24", len(entries))
	}

	var shown struct {
		Name   string `json:"name"`
		Source string `json:"source"`
		Body   string `json:"body"`
	}
	h.ok(t, &shown, "agents", "show", "TEAM.MINE", "--agents", extra)
	if shown.Name != "@team.mine" || shown.Source != "dir" || !strings.Contains(shown.Body, "You own billing.") {
		t.Errorf("agents show: %+v", shown)
	}
	if r := h.run(t, "agents", "show", "ops.contaners"); r.code != 1 || !strings.Contains(r.stderr, "did you mean") {
		t.Errorf("show unknown: %+v", r)
	}

	// The project's .claude/agents, found upward from a nested directory,
	// overrides a built-in agent of the same name.
	writeAgent(t, filepath.Join(h.cwd, ".claude", "agents"), "pg.md", "---\nname: database.postgres\ndescription: Project-specific Postgres rules.\n---\nProject body.\n")
	h.cwd = filepath.Join(h.cwd, "sub", "dir")
	if err := os.MkdirAll(h.cwd, 0o755); err != nil {
		t.Fatal(err)
	}
	h.ok(t, &shown, "agents", "show", "@database.postgres")
	if shown.Source != "project" || !strings.Contains(shown.Body, "Project body.") {
		t.Errorf("project override: %+v", shown)
	}
}

func TestAgentsCheck(t *testing.T) {
	h := newHarness(t)
	good := filepath.Join(h.cwd, "good")
	writeAgent(t, good, "a.md", "---\nname: a.one\ndescription: First agent.\n---\nBody.\n")
	writeAgent(t, good, "notes.txt", "not an agent file\n")
	if r := h.run(t, "agents", "check", good); r.code != 0 || r.stdout != "" || r.stderr != "ok: 1 agent file(s) in 1 director(ies)\n" {
		t.Errorf("clean dir: %+v", r)
	}

	bad := filepath.Join(h.cwd, "bad")
	writeAgent(t, bad, "nofront.md", "just text\n")
	writeAgent(t, bad, "noname.md", "---\ndescription: x\n---\nbody\n")
	writeAgent(t, bad, "dup1.md", "---\nname: same\ndescription: one\n---\n")
	writeAgent(t, bad, "dup2.md", "---\nname: same\ndescription: two\n---\n")
	writeAgent(t, bad, "readme.txt", "not an agent file\n")
	r := h.run(t, "agents", "check", good, bad)
	if r.code != 1 {
		t.Fatalf("bad dir: want exit 1, got %+v", r)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 3 {
		t.Errorf("want 3 problem lines, got %d:\n%s", len(lines), r.stdout)
	}
	for _, want := range []string{"nofront.md", "noname.md", "dup2.md"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("problems do not name %s:\n%s", want, r.stdout)
		}
	}
	// The summary counts every *.md file checked, the two that failed and
	// the one skipped for its name too (it counted only the agents
	// loaded), and no other file.
	if want := "mcp-agents: 2 problem(s); 5 agent file(s) checked in 2 director(ies); 1 warning(s): names claimed twice, the first by path serves\n"; r.stderr != want {
		t.Errorf("bad dir: summary\n%q, want\n%q", r.stderr, want)
	}
	// A directory that cannot be read was checked too: it is one of the
	// directories counted.
	r = h.run(t, "agents", "check", good, filepath.Join(h.cwd, "missing"))
	if want := "mcp-agents: 1 problem(s); 1 agent file(s) checked in 2 director(ies)\n"; r.code != 1 || r.stderr != want {
		t.Errorf("missing dir: %+v, want exit 1 and %q", r, want)
	}
	// So is one asked for through the environment, without arguments.
	h.env["MCP_AGENTS_DIRS"] = good + string(filepath.ListSeparator) + filepath.Join(h.cwd, "missing")
	r = h.run(t, "agents", "check")
	if want := "mcp-agents: 1 problem(s); 1 agent file(s) checked in 2 director(ies)\n"; r.code != 1 || r.stderr != want {
		t.Errorf("missing dir from MCP_AGENTS_DIRS: %+v, want exit 1 and %q", r, want)
	}
	delete(h.env, "MCP_AGENTS_DIRS")

	// Two files with one name in a directory are the precedence rule at
	// work (the first by path serves): a warning, not a failure; both
	// files were checked.
	dups := filepath.Join(h.cwd, "dups")
	writeAgent(t, dups, "a-same.md", "---\nname: same\ndescription: one\n---\n")
	writeAgent(t, dups, "b-same.md", "---\nname: same\ndescription: two\n---\n")
	r = h.run(t, "agents", "check", dups)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "warning: ") || !strings.Contains(r.stdout, "b-same.md") ||
		r.stderr != "ok: 2 agent file(s) in 1 director(ies); 1 warning(s): names claimed twice, the first by path serves\n" {
		t.Errorf("duplicate names only: want exit 0 with a warning, got %+v", r)
	}

	// So is an alias two files claim: the first by path keeps it, though
	// the other's name sorts first, and the warning is on the other.
	shared := filepath.Join(h.cwd, "shared")
	writeAgent(t, shared, "a.md", "---\nname: zz.first\ndescription: one\naliases: [shared]\n---\n")
	writeAgent(t, shared, "b.md", "---\nname: aa.second\ndescription: two\naliases: [shared]\n---\n")
	r = h.run(t, "agents", "check", shared)
	if want := "warning: " + filepath.Join(shared, "b.md") + `: alias "shared" ignored: @zz.first (` + filepath.Join(shared, "a.md") + ") already uses it\n"; r.code != 0 || r.stdout != want {
		t.Errorf("an alias claimed twice: got %+v, want exit 0 and %q", r, want)
	}
	r = h.run(t, "--no-builtin", "--agents", shared, "agents", "show", "shared")
	if r.code != 0 || !strings.Contains(r.stdout, `"name": "@zz.first"`) {
		t.Errorf("agents show shared: got %+v, want @zz.first", r)
	}
	// The other lists the alias no more: it does not name it.
	r = h.run(t, "--no-builtin", "--agents", shared, "agents", "show", "aa.second")
	if r.code != 0 || !strings.Contains(r.stdout, `"aliases": []`) {
		t.Errorf("agents show aa.second: got %+v, want no aliases", r)
	}
}

type flagJSON struct {
	ID          int64    `json:"id"`
	Status      string   `json:"status"`
	Locked      bool     `json:"locked"`
	LockedBy    *string  `json:"locked_by"`
	TargetAgent *string  `json:"target_agent"`
	Related     []string `json:"related_files"`
	Notes       *string  `json:"notes"`
}

// --related_files may be repeated: each value adds to the list, and each
// may itself be comma-separated. A repeated option kept only its last
// value (["b"] for --related_files a --related_files b).
func TestRelatedFilesRepeat(t *testing.T) {
	h := newHarness(t)
	h.env["MCP_AGENTS_DB"] = h.db
	base := []string{"create-flag", "--flag_type", "change", "--source_agent", "@backend.api",
		"--change_description", strings.Repeat("c", 60), "--action_required", strings.Repeat("a", 120)}
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"--related_files", "a", "--related_files", "b"}, []string{"a", "b"}},
		{[]string{"--related_files", "a.go,b.go"}, []string{"a.go", "b.go"}},
		{[]string{"--related_files", "a.go, b.go", "--related-files", "c.go", "--related_files=d.go,"}, []string{"a.go", "b.go", "c.go", "d.go"}},
		{[]string{"--related_files", ""}, []string{}},
	} {
		var created struct{ Flag flagJSON }
		h.ok(t, &created, append(base, c.args...)...)
		if !slices.Equal(created.Flag.Related, c.want) {
			t.Errorf("%q: related_files %q, want %q", c.args, created.Flag.Related, c.want)
		}
	}
}

func TestFlagVerbs(t *testing.T) {
	h := newHarness(t)
	h.env["MCP_AGENTS_DB"] = h.db
	var created struct{ Flag flagJSON }
	h.ok(t, &created, "create-flag",
		"--flag_type", "breaking_change", "--source_agent", "@backend.api", "--target_agent", "@Database.Postgres",
		"--change_description", "The orders table primary key changed from integer to UUID across all services.",
		"--action_required", "Update every foreign key referencing orders.id to UUID, rebuild the affected indexes, and re-run the migration tests on staging.",
		"--impact_level", "high", "--related_files", "db/orders.sql,api/orders.go", "--context", `{"ticket":"DB-7"}`)
	id := created.Flag.ID
	if id < 1 || *created.Flag.TargetAgent != "@database.postgres" || len(created.Flag.Related) != 2 {
		t.Fatalf("create-flag: %+v", created.Flag)
	}
	if _, err := os.Stat(h.db); err != nil {
		t.Fatalf("MCP_AGENTS_DB not used: %v", err)
	}
	sid := strings.TrimSpace(string(must(json.Marshal(id))))

	var inbox struct {
		Agent string
		Flags []flagJSON
	}
	h.ok(t, &inbox, "get-agent-flags", "database.postgres")
	if inbox.Agent != "@database.postgres" || len(inbox.Flags) != 1 {
		t.Fatalf("get-agent-flags: %+v", inbox)
	}

	var locked struct{ Flag flagJSON }
	h.ok(t, &locked, "lock-flag", sid, "@database.postgres", "--lease", "120")
	if !locked.Flag.Locked {
		t.Fatalf("lock-flag: %+v", locked.Flag)
	}
	if r := h.run(t, "lock-flag", sid, "@ops.containers"); r.code != 1 || !strings.Contains(r.stderr, "@database.postgres") {
		t.Errorf("contended lock: %+v", r)
	}
	h.ok(t, &locked, "unlock-flag", sid, "@database.postgres")
	if locked.Flag.Locked {
		t.Errorf("unlock-flag left it locked")
	}
	var done struct{ Flag flagJSON }
	h.ok(t, &done, "complete-flag", sid, "@database.postgres", "--notes", "keys migrated")
	if done.Flag.Status != "completed" || done.Flag.Notes == nil || *done.Flag.Notes != "keys migrated" {
		t.Errorf("complete-flag: %+v", done.Flag)
	}

	var list struct {
		Flags []flagJSON
		Total int
	}
	h.ok(t, &list, "flags", "list", "--status", "completed", "--target_agent", "@database.postgres")
	if list.Total != 1 {
		t.Errorf("flags list: %+v", list)
	}
	var detail struct {
		Flag   flagJSON
		Events []map[string]any
		Chain  []flagJSON
	}
	h.ok(t, &detail, "flags", "show", sid)
	if detail.Flag.ID != id || len(detail.Events) != 4 || len(detail.Chain) != 1 {
		t.Errorf("flags show: %+v", detail)
	}

	r := h.run(t, "create-flag", "--flag_type", "security", "--source_agent", "@a.b",
		"--change_description", strings.Repeat("c", 60), "--action_required", strings.Repeat("a", 120), "--impact_level", "high", "--target_agent", "@database.postgres")
	if r.code != 1 || !strings.Contains(r.stderr, "critical") || r.stdout != "" {
		t.Errorf("rule violation: %+v", r)
	}
	h.ok(t, &list, "flags", "list", "--status", "all")
	if list.Total != 1 {
		t.Errorf("a rejected create stored something: total %d", list.Total)
	}
}

func TestDatabaseFlagWins(t *testing.T) {
	h := newHarness(t)
	h.env["MCP_AGENTS_DB"] = filepath.Join(h.cwd, "env.db")
	explicit := filepath.Join(h.cwd, "nested", "explicit.db")
	h.ok(t, nil, "--db", explicit, "flags", "list")
	if _, err := os.Stat(explicit); err != nil {
		t.Errorf("--db not used (parent dir should be created): %v", err)
	}
	if _, err := os.Stat(h.env["MCP_AGENTS_DB"]); err == nil {
		t.Errorf("MCP_AGENTS_DB used despite --db")
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// Every skipped file and every override is one warning line on stderr that
// names the file and the reason; --log-level error silences them.
func TestWarningsOnStderr(t *testing.T) {
	h := newHarness(t)
	dir := filepath.Join(h.cwd, "extra")
	writeAgent(t, dir, "broken.md", "no frontmatter here\n")
	writeAgent(t, dir, "pg.md", "---\nname: database.postgres\ndescription: Overrides the built-in one.\n---\nBody.\n")
	writeAgent(t, dir, "ok.md", "---\nname: team.ok\ndescription: Fine.\n---\nBody.\n")

	r := h.run(t, "agents", "list", "--agents", dir)
	if r.code != 0 {
		t.Fatalf("agents list: %+v", r)
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 warning lines, got %d:\n%s", len(lines), r.stderr)
	}
	for i, want := range []string{"broken.md", "pg.md"} {
		if !strings.Contains(lines[i], "level=WARN") || !strings.Contains(lines[i], want) || !strings.Contains(lines[i], "reason=") {
			t.Errorf("warning %d = %q, want a WARN line naming %s with a reason", i, lines[i], want)
		}
	}
	if r := h.run(t, "agents", "list", "--agents", dir, "--log-level", "error"); r.stderr != "" {
		t.Errorf("--log-level error still printed:\n%s", r.stderr)
	}
}

// A failure to write the output is an error with exit 1 (a reader that went
// away is recognised by main: TestClosedOutputPipe).
func TestFailedOutputIsAnError(t *testing.T) {
	cases := []struct {
		name     string
		err      error
		wantCode int
	}{
		{"disk full", &os.PathError{Op: "write", Path: "/dev/stdout", Err: syscall.ENOSPC}, 1},
	}
	h := newHarness(t)
	for _, c := range cases {
		for _, args := range [][]string{{"agents", "list"}, {"agents", "list", "--json"}, {"version"}, {"--help"}, {"search-agents", "docker"}} {
			var stderr bytes.Buffer
			err := cli.Run(context.Background(), args, strings.NewReader(""), failingWriter{c.err}, &stderr, cli.Options{
				Getenv:  func(string) string { return "" },
				Getwd:   func() (string, error) { return h.cwd, nil },
				HomeDir: func() (string, error) { return h.home, nil },
			})
			code := cli.ExitCode(err, &stderr)
			if code != c.wantCode || (c.wantCode == 0) != (stderr.Len() == 0) {
				t.Errorf("%s, %v: exit %d, stderr %q; want exit %d", c.name, args, code, stderr.String(), c.wantCode)
			}
		}
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

// Agent files are text from anywhere: the table shows their descriptions
// without the escape sequences and control characters in them.
func TestAgentsTableStripsTerminalControls(t *testing.T) {
	h := newHarness(t)
	dir := filepath.Join(h.cwd, "hostile")
	writeAgent(t, dir, "a.md", "---\nname: team.hostile\ndescription: \"Fine \\e[2J\\e]0;owned\\a\\e[31mred\\u202e\\u200b \\x9b1m agent\"\n---\nBody.\n")
	r := h.run(t, "--no-builtin", "--agents", dir, "agents", "list")
	if r.code != 0 {
		t.Fatalf("agents list: %+v", r)
	}
	if !strings.Contains(r.stdout, "@team.hostile") || !strings.Contains(r.stdout, "Fine red  agent") {
		t.Errorf("table lost the row's text:\n%q", r.stdout)
	}
	for _, bad := range []string{"\x1b", "\a", "\u202e", "\u200b", "\u009b", "owned"} {
		if strings.Contains(r.stdout, bad) {
			t.Errorf("table keeps %q:\n%q", bad, r.stdout)
		}
	}
	// JSON keeps the bytes: it escapes control characters itself.
	var entries []struct{ Description string }
	h.ok(t, &entries, "--no-builtin", "--agents", dir, "agents", "list", "--json")
	if len(entries) != 1 || !strings.Contains(entries[0].Description, "\x1b[2J") {
		t.Errorf("agents list --json altered the description: %+v", entries)
	}
}

// Flag text is other agents' text: the verbs print it as JSON in which no
// character a terminal acts on appears raw, and which still decodes to the
// bytes as stored.
func TestFlagJSONIsTerminalSafe(t *testing.T) {
	h := newHarness(t)
	h.env["MCP_AGENTS_DB"] = h.db
	hostile := "ANSI \x1b[2J\x1b]0;owned\x07 C1 \u009b31m bidi \u202egnp.exe zero\u200bwidth; long enough to pass the rules."
	var created struct {
		Flag struct {
			ID                int64  `json:"id"`
			ChangeDescription string `json:"change_description"`
		} `json:"flag"`
	}
	h.ok(t, &created, "create-flag", "--flag_type", "change", "--source_agent", "@backend.api",
		"--change_description", hostile, "--action_required", strings.Repeat("Read the flag and do what it says. ", 4))
	for _, args := range [][]string{{"flags", "show", fmt.Sprint(created.Flag.ID)}, {"flags", "list"}, {"get-agent-flags", "@database.postgres"}} {
		r := h.run(t, args...)
		if r.code != 0 {
			t.Fatalf("%v: %+v", args, r)
		}
		for _, bad := range []string{"\x1b", "\a", "\u009b", "\u202e", "\u200b"} {
			if strings.Contains(r.stdout, bad) {
				t.Errorf("%v prints %q raw", args, bad)
			}
		}
		if !strings.Contains(r.stdout, `\u202e`) || !strings.Contains(r.stdout, `\u001b[2J`) {
			t.Errorf("%v: the text is not escaped:\n%s", args, r.stdout)
		}
	}
	var shown struct {
		Flag struct {
			ChangeDescription string `json:"change_description"`
		} `json:"flag"`
	}
	h.ok(t, &shown, "flags", "show", fmt.Sprint(created.Flag.ID))
	if shown.Flag.ChangeDescription != hostile {
		t.Errorf("flags show decodes to %q, want the stored bytes %q", shown.Flag.ChangeDescription, hostile)
	}
}

// An empty filter is refused rather than read as no filter, which would
// list every flag: by the tool (exit 1) for a handle, as a usage error for
// an option with choices ("" is none of them).
func TestEmptyFiltersRefused(t *testing.T) {
	h := newHarness(t)
	h.env["MCP_AGENTS_DB"] = h.db
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"flags", "list", "--target-agent="}, 1, "target_agent must not be empty"},
		{[]string{"flags", "list", "--source_agent", " "}, 1, "source_agent must not be empty"},
		{[]string{"flags", "list", "--flag-type="}, 2, `invalid value "" for --flag-type: must be one of`},
		{[]string{"flags", "list", "--impact-level="}, 2, `invalid value "" for --impact-level: must be one of`},
		{[]string{"flags", "list", "--status="}, 2, `invalid value "" for --status: must be one of`},
		{[]string{"get-agent-flags", "@a.b", "--status="}, 2, `invalid value "" for --status: must be one of`},
	} {
		r := h.run(t, c.args...)
		if r.code != c.code || r.stdout != "" || !strings.Contains(r.stderr, c.msg) {
			t.Errorf("%v: want exit %d with %q on stderr, got %+v", c.args, c.code, c.msg, r)
		}
	}
}

// An option with choices refuses any other value as it is parsed: a usage
// error (exit 2) naming the option as typed, on every command that takes
// it, help and version included. --log-level was checked only when a
// command logged ("version --log-level bogus" printed the version, exit
// 0; "-log-level bogus flags list" said --log-level), and a bad --status,
// --flag_type or --impact_level was the tool's error (exit 1, "status must
// be one of").
func TestChoicesRefusedAsParsed(t *testing.T) {
	h := newHarness(t)
	h.env["MCP_AGENTS_DB"] = h.db
	const levels = "debug, info, warn, error"
	types := "breaking_change, new_feature, refactor, deprecation, enhancement, change, information_request, security, data_loss"
	impacts := "critical, high, medium, low"
	statuses := "pending, completed, all"
	type option struct{ names, choices string } // names: the spellings, space-separated
	commands := []struct {
		args    []string // the command, with what it needs but the option
		options []option
	}{
		{nil, []option{{"log-level", levels}}},
		{[]string{"serve"}, []option{{"log-level", levels}}},
		{[]string{"version"}, []option{{"log-level", levels}}},
		{[]string{"help"}, []option{{"log-level", levels}}},
		{[]string{"help", "flags"}, []option{{"log-level", levels}}},
		{[]string{"agents", "list"}, []option{{"log-level", levels}}},
		{[]string{"tokens", "list"}, []option{{"log-level", levels}}},
		{[]string{"flags", "list"}, []option{{"log-level", levels}, {"status", statuses}, {"flag_type flag-type", types}, {"impact_level impact-level", impacts}}},
		{[]string{"get-agent-flags", "@a.b"}, []option{{"log-level", levels}, {"status", statuses}}},
		{[]string{"create-flag", "--source_agent", "@a.b"}, []option{{"flag_type flag-type", types}, {"impact_level impact-level", impacts}}},
		{[]string{"tokens", "create", "--agent", "@a.b"}, []option{{"role", "agent, observer, admin"}, {"log-level", levels}}},
	}
	for _, c := range commands {
		for _, o := range c.options {
			for _, name := range strings.Fields(o.names) {
				for _, typed := range []string{"-" + name, "--" + name} {
					want := fmt.Sprintf("mcp-agents: invalid value %%q for %s: must be one of %s\n", typed, o.choices)
					for _, value := range []string{"bogus", ""} {
						lines := [][]string{
							append(slices.Clone(c.args), typed, value),
							append(slices.Clone(c.args), typed+"="+value),
						}
						if name == "log-level" { // a global option: before the command too
							lines = append(lines, append([]string{typed, value}, c.args...))
						}
						for _, args := range lines {
							r := h.run(t, args...)
							if w := fmt.Sprintf(want, value); r.code != 2 || r.stdout != "" || !strings.HasPrefix(r.stderr, w) {
								t.Errorf("%q: %+v; want exit 2 and %q", args, r, w)
							}
						}
					}
				}
			}
		}
	}
	// The values they take still work, --log-level's as slog reads them;
	// --version still wins over anything else on the line.
	for _, args := range [][]string{
		{"--log-level", "DEBUG", "version"}, {"version", "-log-level=warn+1"}, {"help", "--log-level", "error"},
		{"flags", "list", "-status", "all", "-flag-type", "change", "--impact_level", "low"},
		{"get-agent-flags", "@a.b", "--status=completed"},
		{"--log-level", "bogus", "--version"}, {"version", "--log-level", "bogus", "--version"},
	} {
		if r := h.run(t, args...); r.code != 0 || r.stdout == "" {
			t.Errorf("%q: %+v; want exit 0 and output", args, r)
		}
	}
}

// "mcp-agents" with no command is the stdio server, and takes serve's own
// options as "mcp-agents serve" does (issue 2: "mcp-agents or mcp-agents
// serve"); they were refused as unknown options.
func TestBareCommandTakesServeOptions(t *testing.T) {
	h := newHarness(t)
	docs := filepath.Join(h.cwd, "docs")
	if err := os.MkdirAll(docs, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"--db", h.db, "--notify", "@ops.containers"},
		{"--notify=@ops.containers,@backend.api", "--db", h.db},
		{"--db", h.db, "--context", docs},
	} {
		if r := h.run(t, args...); r.code != 0 || strings.Contains(r.stderr, "unknown option") {
			t.Errorf("%v: %+v, want the server (stdin at EOF: exit 0)", args, r)
		}
	}
	if r := h.run(t, "--bogus"); r.code != 2 || !strings.Contains(r.stderr, "unknown option --bogus") {
		t.Errorf("an unknown option is still refused: %+v", r)
	}
}

// Serve's options before the word "serve" are serve's, as after it ("mcp-
// agents --notify @a.b serve" was "serve takes 0 argument(s), got 1");
// before another command they are a usage error that says whose they are
// (they were taken for the server's, and the command for its arguments).
func TestServeOptionsBeforeTheCommand(t *testing.T) {
	h := newHarness(t)
	docs := filepath.Join(h.cwd, "docs")
	if err := os.MkdirAll(docs, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"--notify", "@ops.containers", "--db", h.db, "serve"},
		{"-notify=@ops.containers", "serve", "--db", h.db},
		{"--db", h.db, "--context", docs, "serve", "--notify", "@ops.containers"},
		{"--context", docs, "--db", h.db, "--", "serve"},
	} {
		if r := h.run(t, args...); r.code != 0 || r.stderr != "" {
			t.Errorf("%q: %+v, want the server (stdin at EOF: exit 0), silent", args, r)
		}
	}
	// Serve read them: its own checks of them apply.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--notify", ",", "serve"}, `--notify: "," names no agent`},
		{[]string{"--notify", "@a.b", "--http", "127.0.0.1:1", "serve"}, "--notify: only without --http"},
		{[]string{"--notify", "@a.b", "serve", "extra"}, "serve takes 0 argument(s), got 1"},
	} {
		if r := h.run(t, c.args...); r.code != 2 || !strings.Contains(r.stderr, c.want) || !strings.Contains(r.stderr, "Run 'mcp-agents serve --help'") {
			t.Errorf("%q: %+v, want exit 2 and %q", c.args, r, c.want)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--notify", "@a.b", "flags", "list"}, "--notify is an option of serve, not of flags"},
		{[]string{"--db", h.db, "-notify=@a.b", "flags", "list"}, "-notify is an option of serve, not of flags"},
		{[]string{"--context", docs, "agents", "list"}, "--context is an option of serve, not of agents"},
		{[]string{"--http", "127.0.0.1:1", "--db", h.db, "tokens", "list"}, "--http is an option of serve, not of tokens"},
		{[]string{"--notify", "@a.b", "help"}, "--notify is an option of serve, not of help"},
	} {
		r := h.run(t, c.args...)
		if r.code != 2 || r.stdout != "" || !strings.HasPrefix(r.stderr, "mcp-agents: "+c.want) || !strings.Contains(r.stderr, "Run 'mcp-agents serve --help'") {
			t.Errorf("%q: %+v, want exit 2 and %q", c.args, r, c.want)
		}
	}
	if r := h.run(t, "--notify", "@a.b", "bogus"); r.code != 2 || !strings.Contains(r.stderr, `unknown command "bogus"`) {
		t.Errorf("an unknown command after serve's options: %+v", r)
	}

	// A repeatable global option before serve's is taken once: the
	// directory's agent was loaded twice, "overriding" itself.
	agents := filepath.Join(h.cwd, "agents")
	writeAgent(t, agents, "a.md", "---\nname: a.one\ndescription: First agent.\n---\nBody.\n")
	for _, args := range [][]string{
		{"--agents", agents, "--db", h.db, "--notify", "@a.one"},
		{"--agents", agents, "--db", h.db, "--notify", "@a.one", "serve"},
	} {
		if r := h.run(t, args...); r.code != 0 || r.stderr != "" {
			t.Errorf("%q: %+v, want exit 0 and no warning", args, r)
		}
	}
}

// The environment (its variables, the working and home directories) is
// read once per run, so everything a run does works from the same values:
// a server's reloads read the working directory again, and once it was
// removed each of them failed.
func TestEnvironmentIsReadOnce(t *testing.T) {
	h := newHarness(t)
	docs := filepath.Join(h.cwd, "docs")
	writeAgent(t, docs, "vision.md", "# Vision\n")
	for _, args := range [][]string{
		{"serve", "--context", docs},
		{"--notify", "@a.b"},
		{"agents", "list"},
		{"agents", "check"},
		{"flags", "list"},
	} {
		var mu sync.Mutex
		reads := map[string]int{}
		count := func(what string) {
			mu.Lock()
			defer mu.Unlock()
			reads[what]++
		}
		var stdout, stderr bytes.Buffer
		err := cli.Run(context.Background(), args, strings.NewReader(""), &stdout, &stderr, cli.Options{
			Getenv: func(k string) string {
				count(k)
				if k == "MCP_AGENTS_DB" {
					return h.db
				}
				return ""
			},
			Getwd:   func() (string, error) { count("getwd"); return h.cwd, nil },
			HomeDir: func() (string, error) { count("home"); return h.home, nil },
		})
		if code := cli.ExitCode(err, &stderr); code != 0 {
			t.Fatalf("%q: exit %d\n%s", args, code, stderr.String())
		}
		for what, n := range reads {
			if n > 1 && (strings.HasPrefix(what, "MCP_AGENTS_") || what == "getwd" || what == "home") {
				t.Errorf("%q: %s read %d times", args, what, n)
			}
		}
	}
}

// MCP_AGENTS_DB set to nothing is unset (the lookup goes on); set to blanks
// it is refused, naming it, and no database is made anywhere.
func TestBlankDBVariable(t *testing.T) {
	h := newHarness(t)
	h.env["XDG_DATA_HOME"] = filepath.Join(h.home, "data")
	def := filepath.Join(h.home, "data", "mcp-agents", "agents.db")
	h.env["MCP_AGENTS_DB"] = "  "
	r := h.run(t, "create-flag", "--flag_type", "change", "--source_agent", "@a.b",
		"--change_description", strings.Repeat("c", 60), "--action_required", strings.Repeat("a", 120))
	if r.code != 1 || !strings.Contains(r.stderr, "MCP_AGENTS_DB is blank") {
		t.Fatalf("blank MCP_AGENTS_DB: %+v; want exit 1 naming it", r)
	}
	if _, err := os.Stat(def); err == nil {
		t.Fatalf("a refused run made %s", def)
	}
	h.env["MCP_AGENTS_DB"] = ""
	if r := h.run(t, "flags", "list"); r.code != 0 {
		t.Fatalf("empty MCP_AGENTS_DB is unset, the lookup goes on: %+v", r)
	}
	if _, err := os.Stat(def); err != nil {
		t.Fatalf("empty MCP_AGENTS_DB: the default database was not used: %v", err)
	}
}

// --context and --related_files that are not UTF-8 are refused as the
// texts are (exit 1, naming the field); they reach the tool as JSON, which
// turned the bytes into U+FFFD and stored that.
func TestCreateFlagOptionsNotUTF8(t *testing.T) {
	h := newHarness(t)
	h.env["MCP_AGENTS_DB"] = h.db
	base := []string{"create-flag", "--flag_type", "change", "--source_agent", "@a.b",
		"--change_description", strings.Repeat("c", 60), "--action_required", strings.Repeat("a", 120)}
	for _, c := range []struct {
		opt  []string
		want string
	}{
		{[]string{"--context", "{\"a\":\"\xff\"}"}, "context must be valid UTF-8 text without NUL characters"},
		{[]string{"--related_files", "a\xff.go"}, "related_files entries must be valid UTF-8 text without NUL characters"},
	} {
		if r := h.run(t, append(slices.Clone(base), c.opt...)...); r.code != 1 || r.stderr != "mcp-agents: "+c.want+"\n" {
			t.Errorf("%q: %+v; want exit 1 and %q", c.opt, r, c.want)
		}
	}
	if r := h.run(t, "flags", "list", "--status", "all"); !strings.Contains(r.stdout, `"total": 0`) {
		t.Errorf("after the refusals: %s", r.stdout)
	}
}

// "--include_locked false" reads as the option and an argument, as package
// flag has it; the usage error says so and how to write it.
func TestBoolOptionWithASeparateValue(t *testing.T) {
	h := newHarness(t)
	h.env["MCP_AGENTS_DB"] = h.db
	r := h.run(t, "get-agent-flags", "@a.b", "--include_locked", "false")
	if want := `get-agent-flags takes 1 argument(s), got 2 ("false" was read as an argument: a yes/no option takes its value after =, as --include_locked=false)`; r.code != 2 || !strings.Contains(r.stderr, want) {
		t.Errorf("%+v; want exit 2 and %q", r, want)
	}
	if r := h.run(t, "flags", "show", "1", "true"); r.code != 2 || strings.Contains(r.stderr, "yes/no") {
		t.Errorf("flags show 1 true (no yes/no option but --version): %+v", r)
	}
}
