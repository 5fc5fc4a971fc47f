// Command searcheval measures the search ranker on the relevance benchmark
// sets in internal/search/testdata: for every set it prints hit@1, hit@3 and
// MRR, then each miss with the top three results and their reasons, so the
// next person can see what the ranker gets wrong.
//
//	go run ./internal/search/cmd/searcheval                      # every set
//	go run ./internal/search/cmd/searcheval -sets problems_dev   # sets whose file name contains a word
//	go run ./internal/search/cmd/searcheval -explain 'q one;q two'
//	go run ./internal/search/cmd/searcheval -sweep -sets problems_dev,relevance.json
//
// Run it from the repository root; the corpus is ../shared/corpus unless
// -corpus says otherwise.
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mcp-agents/mcp-agents/agents"
	"github.com/mcp-agents/mcp-agents/internal/agent"
	"github.com/mcp-agents/mcp-agents/internal/search"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil { // stdout-ok: a command-line tool prints its report
		fmt.Fprintln(os.Stderr, "searcheval:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("searcheval", flag.ContinueOnError)
	corpus := fs.String("corpus", filepath.Join("..", "shared", "corpus"), "the shared corpus `dir`")
	dir := fs.String("testdata", filepath.Join("internal", "search", "testdata"), "`dir` of relevance*.json sets")
	only := fs.String("sets", "", "comma-separated `words`: evaluate only sets whose file name contains one")
	misses := fs.Bool("misses", true, "list each miss with its top 3")
	explain := fs.String("explain", "", "\";\"-separated `queries` to explain over the built-ins and the whole corpus instead")
	sweep := fs.Bool("sweep", false, "print the sets' figures for one-at-a-time variations of the ranking constants")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *explain != "" {
		cat, err := load(*corpus, true, "acolytes", "voltagent", "wshobson")
		if err != nil {
			return err
		}
		ix := search.NewIndex(cat)
		for _, q := range strings.Split(*explain, ";") {
			res, total := ix.Search(q, 6)
			fmt.Fprintf(out, "%q: %d matches\n", q, total)
			for _, r := range res {
				fmt.Fprintf(out, "  %d %-44s %7.3f %q\n", r.Rank, r.Name, r.Score, r.Reasons)
			}
		}
		return nil
	}
	files, err := filepath.Glob(filepath.Join(*dir, "relevance*.json"))
	if err != nil {
		return err
	}
	type set struct {
		name string
		s    search.EvalSet
		cat  []*agent.Agent
		ns   []string
	}
	var sets []set
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		if *only != "" && !slices.ContainsFunc(strings.Split(*only, ","), func(w string) bool { return strings.Contains(filepath.Base(f), w) }) {
			continue
		}
		s, err := search.LoadEvalSet(f)
		if err != nil {
			return err
		}
		cat, err := load(*corpus, s.Builtin, s.Collections...)
		if err != nil {
			return err
		}
		ns := make([]string, len(cat))
		for i, a := range cat {
			ns[i] = a.Name
		}
		sets = append(sets, set{name, s, cat, ns})
	}
	if len(sets) == 0 {
		return fmt.Errorf("no relevance*.json sets in %s match %q", *dir, *only)
	}
	if *sweep {
		fmt.Fprintf(out, "%-26s", "variant")
		for _, s := range sets {
			fmt.Fprintf(out, " | %-22s", s.name)
		}
		fmt.Fprintln(out)
		for _, v := range search.Variants() {
			fmt.Fprintf(out, "%-26s", v.Name)
			for _, s := range sets {
				r := search.Evaluate(v.NewIndex(s.cat), s.ns, s.s)
				fmt.Fprintf(out, " | %.3f %.3f %.3f    ", r.Hit1, r.Hit3, r.MRR)
			}
			fmt.Fprintln(out)
		}
		return nil
	}
	fmt.Fprintf(out, "%-28s %7s %7s %7s %7s %7s\n", "set", "agents", "queries", "hit@1", "hit@3", "MRR")
	results := make([]search.EvalResult, len(sets))
	for i, s := range sets {
		r := search.Evaluate(search.NewIndex(s.cat), s.ns, s.s)
		results[i] = r
		fmt.Fprintf(out, "%-28s %7d %7d %7.3f %7.3f %7.3f\n", s.name, len(s.cat), r.N, r.Hit1, r.Hit3, r.MRR)
	}
	for i, s := range sets {
		r := results[i]
		for _, p := range r.StalePatterns {
			fmt.Fprintf(out, "%s: accept pattern names no agent: %s\n", s.name, p)
		}
		if !*misses || len(r.Misses) == 0 {
			continue
		}
		fmt.Fprintf(out, "\n%s: %d misses\n", s.name, len(r.Misses))
		ms := slices.Clone(r.Misses)
		slices.SortStableFunc(ms, func(a, b search.EvalMiss) int { return cmp.Compare(rankKey(b.Rank), rankKey(a.Rank)) })
		for _, m := range ms {
			rank := "none in top 10"
			if m.Rank > 0 {
				rank = fmt.Sprintf("rank %d", m.Rank)
			}
			fmt.Fprintf(out, "  [%s] %q: %s\n", m.Kind, m.Query, rank)
			for _, t := range m.Top {
				fmt.Fprintf(out, "      %d %-40s %6.3f %s\n", t.Rank, t.Name, t.Score, strings.Join(t.Reasons, "; "))
			}
			if t := m.Want; t != nil {
				fmt.Fprintf(out, "    want %d %-40s %6.3f %s\n", t.Rank, t.Name, t.Score, strings.Join(t.Reasons, "; "))
			}
		}
	}
	return nil
}

// rankKey orders misses worst first: not found, then by falling rank.
func rankKey(rank int) int {
	if rank == 0 {
		return 1 << 30
	}
	return rank
}

// load reads the catalog a set is asked against: the built-in agents (if
// builtin) under the named corpus collections, as the server layers them.
func load(corpus string, builtin bool, collections ...string) ([]*agent.Agent, error) {
	var srcs []agent.Source
	if builtin {
		srcs = append(srcs, agent.Source{Label: "builtin", Root: "builtin", FS: agents.FS})
	}
	for _, c := range collections {
		d := filepath.Join(corpus, c)
		if _, err := os.Stat(d); err != nil {
			return nil, fmt.Errorf("corpus collection: %w", err)
		}
		srcs = append(srcs, agent.Source{Label: "dir", Root: d, FS: os.DirFS(d)})
	}
	cat, _, err := agent.Load(context.Background(), srcs)
	if err != nil {
		return nil, err
	}
	return cat.All(), nil
}
