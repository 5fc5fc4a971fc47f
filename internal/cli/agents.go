package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/mcp-agents/mcp-agents/internal/agent"
	"github.com/mcp-agents/mcp-agents/internal/search"
	"github.com/mcp-agents/mcp-agents/internal/server"
)

func runSearchAgents(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("search-agents", "QUERY [LIMIT]\n\nLIMIT is an integer, 1-50 (default 5): how many agents to return.")
	if err := e.parse(fs, args, 1, 2); err != nil {
		return err
	}
	in := server.SearchAgentsInput{Query: fs.Arg(0)}
	if fs.NArg() == 2 {
		n, err := parseInteger(fs.Arg(1))
		if errors.Is(err, errOutOfRange) || err == nil && int64(int(n)) != n {
			return outOfRange("LIMIT", fs.Arg(1))
		}
		if err != nil {
			return usagef("LIMIT must be an integer, got %q", fs.Arg(1))
		}
		limit := int(n)
		in.Limit = &limit
	}
	svc, done, err := e.service(ctx, false)
	if err != nil {
		return err
	}
	defer done()
	svc.Search = search.NewIndex(svc.Catalog.All())
	out, err := svc.SearchAgents(ctx, in)
	if err != nil {
		return err
	}
	return e.writeJSON(out)
}

func runAgents(ctx context.Context, e *env, args []string) error {
	sub, rest, err := e.subcommand("agents", "list [--json] | show NAME | check [DIR...]", args)
	if err != nil {
		return err
	}
	switch sub {
	case "list":
		return runAgentsList(ctx, e, rest)
	case "show":
		return runAgentsShow(ctx, e, rest)
	case "check":
		return runAgentsCheck(ctx, e, rest)
	case "":
		return usagef("agents needs a subcommand: list, show or check")
	}
	return usagef("unknown agents subcommand %q (want list, show or check)", sub)
}

func runAgentsList(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("agents list", "[--json]")
	asJSON := fs.Bool("json", false, "print JSON (name, description, tags, source) instead of a table")
	if err := e.parse(fs, args, 0, 0); err != nil {
		return err
	}
	svc, done, err := e.service(ctx, false)
	if err != nil {
		return err
	}
	defer done()
	entries := svc.CatalogEntries()
	if *asJSON {
		return e.writeJSON(entries)
	}
	// Agent files are text from anywhere; a description must not drive
	// the terminal it is printed on.
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	for _, a := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", terminalCell(a.Name, 80), terminalCell(a.Source, 40), terminalCell(a.Description, 90))
	}
	return tw.Flush()
}

func runAgentsShow(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("agents show", "NAME")
	if err := e.parse(fs, args, 1, 1); err != nil {
		return err
	}
	svc, done, err := e.service(ctx, false)
	if err != nil {
		return err
	}
	defer done()
	out, err := svc.GetAgent(ctx, server.GetAgentInput{Name: fs.Arg(0)})
	if err != nil {
		return err
	}
	return e.writeJSON(out)
}

// runAgentsCheck lints agent files: each directory on its own, so a name used
// in two directories (an intended override) is not a problem, but two files
// with one name in the same directory, or a file that cannot be loaded, are.
// Without arguments it checks the directories the server would load.
//
// Its summary counts what it checked: every *.md file the server would
// read, loaded or not (one that fails, or is skipped for a name another
// file claims, was checked too), and every directory asked for, readable or
// not.
func runAgentsCheck(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("agents check", "[DIR...]")
	if err := e.parse(fs, args, 0, -1); err != nil {
		return err
	}
	var sources []agent.Source
	problems, dirs := 0, 0
	if fs.NArg() > 0 {
		for _, dir := range fs.Args() {
			dirs++
			info, err := os.Stat(dir)
			if err != nil || !info.IsDir() {
				fmt.Fprintf(e.stdout, "%s: not a readable directory\n", terminalCell(dir, 4096)) // stdout-ok: lint report
				problems++
				continue
			}
			sources = append(sources, agent.Source{Label: "dir", Root: dir, FS: os.DirFS(dir)})
		}
	} else {
		// The user's directories; the built-in set is checked by its own tests.
		found, warnings, err := e.sources()
		if err != nil {
			return err
		}
		for _, src := range found {
			if src.Label != "builtin" {
				sources = append(sources, src)
			}
		}
		dirs = len(sources)
		// Each warning is a directory asked for ($MCP_AGENTS_DIRS,
		// --agents) that is missing or cannot be read.
		for _, w := range warnings {
			fmt.Fprintln(e.stdout, terminalCell(w.String(), 4096)) // stdout-ok: lint report
			problems++
			dirs++
		}
	}
	// Two files claiming one name or alias are the precedence rules at
	// work (the first by path wins), not a broken file: reported as
	// warnings, which alone do not fail the check.
	checked, conflicts := 0, 0
	for _, src := range sources {
		files, err := agent.Files(ctx, src)
		if err != nil {
			return err
		}
		checked += len(files)
		_, warnings, err := agent.Load(ctx, []agent.Source{src})
		if err != nil {
			return err
		}
		for _, w := range warnings {
			if w.Conflict {
				fmt.Fprintln(e.stdout, "warning: "+terminalCell(w.String(), 4096)) // stdout-ok: lint report
				conflicts++
				continue
			}
			fmt.Fprintln(e.stdout, terminalCell(w.String(), 4096)) // stdout-ok: lint report
			problems++
		}
	}
	warned := ""
	if conflicts > 0 {
		warned = fmt.Sprintf("; %d warning(s): names claimed twice, the first by path serves", conflicts)
	}
	if problems > 0 {
		fmt.Fprintf(e.stderr, "mcp-agents: %d problem(s); %d agent file(s) checked in %d director(ies)%s\n", problems, checked, dirs, warned)
		return errReported
	}
	fmt.Fprintf(e.stderr, "ok: %d agent file(s) in %d director(ies)%s\n", checked, dirs, warned)
	return nil
}
