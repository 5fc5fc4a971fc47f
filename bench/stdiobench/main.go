// Command stdiobench measures mcp-agents over its real transport (a child
// process speaking newline-delimited JSON-RPC on stdin/stdout) against a
// no-op mcp-go server driven by the same client code: start-up time, per-call
// latency, resident memory, and a six-process lock race on one SQLite file.
//
// Run it from the repository root (bench/run.sh does).
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

type options struct {
	bin, noop, corpus string
	rounds, calls     int
	raceProcs         int
	raceFlags         int
	logLevel          string
	source, target    string
	only              string
	jsonOut           bool
	strict            bool
}

type report struct {
	Env     envInfo      `json:"env"`
	Startup []startupRow `json:"startup,omitempty"`
	Latency []latencyRow `json:"latency,omitempty"`
	Memory  []memoryRow  `json:"memory,omitempty"`
	Race    *raceReport  `json:"race,omitempty"`
	Errors  []string     `json:"errors,omitempty"`
}

type envInfo struct {
	GoVersion string `json:"go_version"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	CPUs      int    `json:"cpus"`
	Bin       string `json:"bin"`
	Noop      string `json:"noop"`
	Corpus    string `json:"corpus"`
	Rounds    int    `json:"rounds"`
	Calls     int    `json:"calls"`
	// Load averages (1/5/15 min) bracket the run: on a busy machine the
	// absolute figures drift, and only the interleaved ratios stay meaningful.
	LoadBefore string `json:"loadavg_before"`
	LoadAfter  string `json:"loadavg_after"`
}

func main() {
	var o options
	flag.StringVar(&o.bin, "bin", "", "mcp-agents binary (default: build ./cmd/mcp-agents into a temp dir)")
	flag.StringVar(&o.noop, "noop", "", "no-op baseline server binary (default: build ./bench/noop)")
	flag.StringVar(&o.corpus, "corpus", "", "corpus dir with acolytes/, voltagent/, wshobson/ (default: ../shared/corpus from the repo root)")
	flag.IntVar(&o.rounds, "rounds", 30, "start-up rounds (each runs every configuration once)")
	flag.IntVar(&o.calls, "calls", 1000, "timed calls per kind in the latency part")
	flag.IntVar(&o.raceProcs, "race-procs", 6, "server processes in the lock race")
	flag.IntVar(&o.raceFlags, "race-flags", 50, "flags each race process creates")
	flag.StringVar(&o.logLevel, "log-level", "", "--log-level passed to mcp-agents (default: none, the server's own default, as a host would run it)")
	flag.StringVar(&o.source, "source", "@ops.containers", "source_agent for create_flag and agent for lock_flag in the latency part")
	flag.StringVar(&o.target, "target", "@ops.containers", "target_agent for create_flag in the latency part (empty: omit)")
	flag.StringVar(&o.only, "only", "startup,latency,memory,race", "comma-separated parts to run")
	flag.BoolVar(&o.jsonOut, "json", false, "print the report as JSON instead of a table")
	flag.BoolVar(&o.strict, "strict", false, "exit 1 when any target is missed, not only on errors")
	flag.Parse()

	rep, err := run(o)
	if rep != nil {
		if o.jsonOut {
			enc := json.NewEncoder(os.Stdout)
			enc.SetIndent("", "  ")
			_ = enc.Encode(rep)
		} else {
			printTable(os.Stdout, rep)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "stdiobench:", err)
		os.Exit(1)
	}
	if o.strict && rep.missedTargets() > 0 {
		fmt.Fprintf(os.Stderr, "stdiobench: %d target(s) missed\n", rep.missedTargets())
		os.Exit(1)
	}
}

// missedTargets counts FAIL verdicts; the race has no target, only checks,
// and those already make run return an error.
func (r *report) missedTargets() int {
	n := 0
	count := func(p *bool) {
		if p != nil && !*p {
			n++
		}
	}
	for _, s := range r.Startup {
		count(s.Pass)
	}
	for _, l := range r.Latency {
		count(l.Pass)
	}
	for _, m := range r.Memory {
		count(m.Pass)
	}
	return n
}

func run(o options) (*report, error) {
	tmp, err := os.MkdirTemp("", "stdiobench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	parts := map[string]bool{}
	for p := range strings.SplitSeq(o.only, ",") {
		parts[strings.TrimSpace(p)] = true
	}
	root, rootErr := repoRoot()
	if o.bin == "" || o.noop == "" || o.corpus == "" {
		if rootErr != nil {
			return nil, fmt.Errorf("need the repository root to supply defaults: %w", rootErr)
		}
	}
	if o.noop == "" {
		if o.noop, err = goBuild(root, "./bench/noop", filepath.Join(tmp, "noop")); err != nil {
			return nil, err
		}
	}
	if o.bin == "" {
		if o.bin, err = goBuild(root, "./cmd/mcp-agents", filepath.Join(tmp, "mcp-agents")); err != nil {
			return nil, err
		}
	}
	if o.corpus == "" {
		o.corpus = filepath.Join(root, "..", "shared", "corpus")
	}
	var agentArgs []string
	for _, sub := range []string{"acolytes", "voltagent", "wshobson"} {
		d := filepath.Join(o.corpus, sub)
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("corpus: %s is not a directory", d)
		}
		agentArgs = append(agentArgs, "--agents", d)
	}

	rep := &report{Env: envInfo{
		GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU(),
		Bin: o.bin, Noop: o.noop, Corpus: o.corpus, Rounds: o.rounds, Calls: o.calls,
		LoadBefore: loadAvg(),
	}}
	defer func() { rep.Env.LoadAfter = loadAvg() }()
	common := func(db string) []string {
		if o.logLevel == "" {
			return []string{"--db", db}
		}
		return []string{"--db", db, "--log-level", o.logLevel}
	}
	search := map[string]any{"query": "kubernetes deployment", "limit": 5}
	noop := serverConfig{Name: "noop", Bin: o.noop, Tool: "noop", ToolArgs: map[string]any{}}
	builtin := func(db string) serverConfig {
		return serverConfig{Name: "mcp-agents built-in", Bin: o.bin, Args: append([]string{"serve"}, common(db)...),
			Tool: "search_agents", ToolArgs: search}
	}
	corpus := func(db string) serverConfig {
		args := append(append([]string{"serve"}, agentArgs...), common(db)...)
		return serverConfig{Name: "mcp-agents corpus", Bin: o.bin, Args: args, Tool: "search_agents", ToolArgs: search}
	}
	db := func(name string) string { return filepath.Join(tmp, name) }

	var errs []error
	fail := func(part string, err error) {
		errs = append(errs, fmt.Errorf("%s: %w", part, err))
		rep.Errors = append(rep.Errors, fmt.Sprintf("%s: %v", part, err))
	}
	if parts["startup"] {
		// The warm-up run inside runStartup creates each database, so every
		// timed run opens one that already exists.
		rows, err := runStartup([]serverConfig{noop, builtin(db("startup-builtin.db")), corpus(db("startup-corpus.db"))},
			[]float64{0, 1.75, 2.5}, o.rounds) // issue "Lean core"
		rep.Startup = rows
		if err != nil {
			fail("startup", err)
		}
	}
	if parts["latency"] {
		rows, err := runLatency(latencySetup{
			Noop: noop, Builtin: builtin(db("latency-builtin.db")), Corpus: corpus(db("latency-corpus.db")),
			Source: o.source, Target: o.target,
		}, o.calls)
		rep.Latency = rows
		if err != nil {
			fail("latency", err)
		}
	}
	if parts["memory"] {
		rows, err := runMemory([]serverConfig{noop, builtin(db("memory-builtin.db")), corpus(db("memory-corpus.db"))},
			[]float64{0, 0, 40})
		rep.Memory = rows
		if err != nil {
			fail("memory", err)
		}
	}
	if parts["race"] {
		agents := make([]string, o.raceProcs)
		for i := range agents {
			agents[i] = fmt.Sprintf("@bench.racer%d", i+1)
		}
		r, err := runRace(builtin(db("race.db")), agents, o.raceFlags)
		rep.Race = r
		if err != nil {
			fail("race", err)
		} else if !r.Pass {
			errs = append(errs, errors.New("race: checks failed (see table)"))
		}
	}
	return rep, errors.Join(errs...)
}

// repoRoot walks up from the working directory to the directory whose go.mod
// declares this module.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(b), "module github.com/mcp-agents/mcp-agents") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod for github.com/mcp-agents/mcp-agents above the working directory")
		}
		dir = parent
	}
}

func goBuild(root, pkg, out string) (string, error) {
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", out, pkg)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return out, nil
}

// loadAvg is the first three fields of /proc/loadavg, or "?" off Linux.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "?"
}
