// Command scale measures the flag calls of issue 8 item 9 on a year of
// history (a million flags, 13,000 pending across 200 agents) through a
// real MCP client: the built mcp-agents binary is started over stdio and
// driven with mcp-go's client. Each call gets 3 untimed warm-up calls and
// then -calls timed ones with the tools' default limits; p50/p99/max are
// reported against the targets.
//
//	go run ./bench/scale                 # builds the database and the binary
//	go run ./bench/scale -db /tmp/h.db   # reuses (or builds) that database
//	go run ./bench/scale -db /tmp/h.db -pg postgres://postgres@127.0.0.1:5432/scale
//	                                     # the same calls on PostgreSQL: the history is
//	                                     # copied there with `mcp-agents migrate` when the
//	                                     # database has no flags yet, reused otherwise
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/mcp-agents/mcp-agents/bench/history"
	"github.com/mcp-agents/mcp-agents/internal/store"
	"github.com/mcp-agents/mcp-agents/internal/store/postgres"
)

func main() {
	var (
		db      = flag.String("db", "", "database to measure; built when missing (default: a temporary file)")
		bin     = flag.String("bin", "", "mcp-agents binary (default: build ./cmd/mcp-agents)")
		flags   = flag.Int("flags", history.Default.Flags, "flags in a built database")
		pending = flag.Int("pending", history.Default.Pending, "pending flags in a built database")
		calls   = flag.Int("calls", 200, "timed calls per case")
		warmup  = flag.Int("warmup", 3, "untimed calls per case")
		strict  = flag.Bool("strict", false, "exit 1 when a target is missed")
		pg      = flag.String("pg", "", "serve this PostgreSQL database `URL` instead, filled from -db by `mcp-agents migrate` when it has no flags")
	)
	flag.Parse()
	if err := run(*db, *bin, history.Config{Flags: *flags, Pending: *pending, Agents: history.Default.Agents,
		Broadcast: history.Default.Broadcast, Seed: history.Default.Seed}, *pg, *warmup, *calls, *strict); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

func run(db, bin string, cfg history.Config, pg string, warmup, calls int, strict bool) error {
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "mcp-agents-scale-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if db == "" {
		db = filepath.Join(tmp, "agents.db")
	}
	if err := ensureDB(ctx, db, cfg); err != nil {
		return err
	}
	if bin == "" {
		bin = filepath.Join(tmp, "mcp-agents")
		if out, err := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/mcp-agents").CombinedOutput(); err != nil {
			return fmt.Errorf("build: %v\n%s", err, out)
		}
	}
	env := append(os.Environ(), "HOME="+tmp, "XDG_DATA_HOME="+tmp, "XDG_CACHE_HOME="+tmp)
	served := db
	if pg != "" {
		if err := fillPostgres(env, bin, db, pg); err != nil {
			return err
		}
		served = pg
	}
	server := exec.Command(bin, "serve", "--db", served)
	server.Env = env
	server.Dir = tmp
	c, err := startClient(server)
	if err != nil {
		return err
	}
	defer c.Close()

	st, err := store.Open(ctx, db)
	if err != nil {
		return err
	}
	sum, err := summarize(ctx, st)
	st.Close()
	if err != nil {
		return err
	}
	fmt.Printf("database %s: %d flags, %d pending, %d agents\n", db, sum.flags, sum.pending, cfg.Agents)
	if pg != "" {
		fmt.Printf("served from PostgreSQL: %s\n", postgres.Redact(pg))
	}
	fmt.Printf("%d warm-up + %d timed calls per case, default limits; load average %s\n", warmup, calls, loadavg())
	fmt.Printf("time: request written -> response line read; cpu ms/call: CPU time (user+sys) of the server process, and of this client, per call; srv flt: the server's minor page faults per call; disk KB: what the server read from storage (not the OS page cache) per call\n\n")
	fmt.Printf("%-44s %8s %8s %8s %8s %7s %8s %8s %8s %8s  %s\n", "call", "matches", "p50 ms", "p99 ms", "max ms", "target", "srv cpu", "cli cpu", "srv flt", "disk KB", "")
	missed := 0
	for _, cs := range cases(sum, cfg.Agents) {
		var d []time.Duration
		var total int
		srv0, cli0, flt0, disk0 := cpuTime(server.Process.Pid), cpuTime(os.Getpid()), minorFaults(server.Process.Pid), diskReads(server.Process.Pid)
		for i := range warmup + calls {
			res, el, err := c.callTool(cs.tool, cs.args(i))
			if err != nil {
				return fmt.Errorf("%s: %w", cs.name, err)
			}
			if i >= warmup {
				d = append(d, el)
			}
			total = res.matches()
		}
		srvCPU := float64(cpuTime(server.Process.Pid)-srv0) / float64(warmup+calls)
		cliCPU := float64(cpuTime(os.Getpid())-cli0) / float64(warmup+calls)
		srvFlt := float64(minorFaults(server.Process.Pid)-flt0) / float64(warmup+calls)
		srvDisk := float64(diskReads(server.Process.Pid)-disk0) / 1024 / float64(warmup+calls)
		slices.Sort(d)
		p50, p99, mx := ms(d[len(d)/2]), ms(d[(len(d)*99+99)/100-1]), ms(d[len(d)-1])
		verdict := "ok"
		if p99 > cs.target {
			verdict = "MISSED"
			missed++
		}
		matches := "-"
		if total >= 0 {
			matches = fmt.Sprint(total)
		}
		fmt.Printf("%-44s %8s %8.2f %8.2f %8.2f %5.0fms %8.2f %8.2f %8.1f %8.1f  %s\n", cs.name, matches, p50, p99, mx, cs.target, srvCPU, cliCPU, srvFlt, srvDisk, verdict)
	}
	fmt.Printf("\nload average after: %s\n", loadavg())
	if missed > 0 && strict {
		return fmt.Errorf("%d targets missed", missed)
	}
	return nil
}

// cpuTime returns the user+sys CPU time of process pid in milliseconds
// (Linux; 0 elsewhere), from /proc/PID/stat in clock ticks of 10 ms.
func cpuTime(pid int) int64 {
	f := procStat(pid)
	if len(f) < 13 {
		return 0
	}
	var ut, st int64
	fmt.Sscan(f[11], &ut)
	fmt.Sscan(f[12], &st)
	return (ut + st) * 10
}

// minorFaults returns how many minor page faults process pid has taken
// (Linux; 0 elsewhere): a fresh server's first calls fault in the pages
// its heap grows into, which is CPU time the call pays.
func minorFaults(pid int) int64 {
	f := procStat(pid)
	if len(f) < 13 {
		return 0
	}
	var n int64
	fmt.Sscan(f[7], &n)
	return n
}

// diskReads returns how many bytes process pid has had read from storage
// (Linux; 0 elsewhere): reads the OS page cache answered are not counted,
// so a database not yet in the cache shows here.
func diskReads(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "read_bytes:"); ok {
			var n int64
			fmt.Sscan(v, &n)
			return n
		}
	}
	return 0
}

// procStat returns the fields of /proc/PID/stat after the command name
// (field 3 onwards), or nil.
func procStat(pid int) []string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	// The command name (field 2) may hold spaces; fields after it are fixed.
	return strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:3], " ")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// fillPostgres copies the SQLite history at db into the PostgreSQL
// database pg with `mcp-agents migrate`, unless pg holds flags already.
func fillPostgres(env []string, bin, db, pg string) error {
	cmd := exec.Command(bin, "flags", "list", "--db", pg, "--status", "all", "--limit", "1")
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("%s: %w", postgres.Redact(pg), err)
	}
	var list struct{ Total int }
	if err := json.Unmarshal(out, &list); err != nil {
		return err
	}
	if list.Total > 0 {
		return nil
	}
	fmt.Fprintf(os.Stderr, "copying %s into %s with mcp-agents migrate ...\n", db, postgres.Redact(pg))
	t0 := time.Now()
	cmd = exec.Command(bin, "migrate", "--db", db, "--to", pg)
	cmd.Env, cmd.Stderr = env, os.Stderr
	if out, err = cmd.Output(); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	fmt.Fprintf(os.Stderr, "copied in %s: %s", time.Since(t0).Round(time.Second), out)
	return nil
}

// ensureDB builds the history at path unless a database is there.
func ensureDB(ctx context.Context, path string, cfg history.Config) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	st, err := store.Open(ctx, path)
	if err != nil {
		return err
	}
	if err := st.Close(); err != nil {
		return err
	}
	t0 := time.Now()
	fmt.Fprintf(os.Stderr, "building %d flags in %s ...\n", cfg.Flags, path)
	if _, err := history.Build(ctx, path, cfg); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "built in %s\n", time.Since(t0).Round(time.Second))
	return nil
}

type summary struct {
	flags, pending int
	typ, impact    string // values matching at most 100,000 flags
	root           int64  // a chain root with children
}

// summarize reads what the cases need from the database itself, so a
// database built elsewhere works too.
func summarize(ctx context.Context, st *store.Store) (summary, error) {
	var s summary
	var err error
	if _, s.flags, err = st.ListFlags(ctx, store.ListQuery{Limit: 1}); err != nil {
		return s, err
	}
	if _, s.pending, err = st.ListFlags(ctx, store.ListQuery{Status: "pending", Limit: 1}); err != nil {
		return s, err
	}
	best := 0
	for _, t := range store.FlagTypes {
		_, n, err := st.ListFlags(ctx, store.ListQuery{FlagType: t, Limit: 1})
		if err != nil {
			return s, err
		}
		if n <= 100_000 && n > best {
			s.typ, best = t, n
		}
	}
	best = 0
	for _, l := range store.ImpactLevels {
		_, n, err := st.ListFlags(ctx, store.ListQuery{ImpactLevel: l, Limit: 1})
		if err != nil {
			return s, err
		}
		if n <= 100_000 && n > best {
			s.impact, best = l, n
		}
	}
	fs, _, err := st.ListFlags(ctx, store.ListQuery{Status: "completed", Limit: 1000})
	for _, f := range fs {
		if f.ChainOriginID != nil {
			s.root = *f.ChainOriginID
		}
	}
	if s.root == 0 {
		s.root = 1
	}
	return s, err
}

type benchCase struct {
	name   string
	tool   string
	args   func(i int) map[string]any
	target float64 // p99, ms
}

func cases(s summary, agents int) []benchCase {
	agent := func(i int) string { return history.Agent(i * 7 % agents) }
	list := func(name string, arg func(i int) map[string]any) benchCase {
		return benchCase{name: "list_flags " + name, tool: "list_flags", args: arg, target: 25}
	}
	fixed := func(k string, v any) func(int) map[string]any {
		return func(int) map[string]any { return map[string]any{k: v, "status": "all"} }
	}
	return []benchCase{
		{"get_agent_flags (pending)", "get_agent_flags", func(i int) map[string]any {
			return map[string]any{"agent": agent(i)}
		}, 5},
		{"get_agent_flags status all", "get_agent_flags", func(i int) map[string]any {
			return map[string]any{"agent": agent(i), "status": "all"}
		}, 25},
		list("status pending", func(int) map[string]any { return map[string]any{"status": "pending"} }),
		list("target_agent", func(i int) map[string]any { return map[string]any{"target_agent": agent(i), "status": "all"} }),
		list("source_agent", func(i int) map[string]any { return map[string]any{"source_agent": agent(i), "status": "all"} }),
		list("flag_type "+s.typ, fixed("flag_type", s.typ)),
		list("impact_level "+s.impact, fixed("impact_level", s.impact)),
		list("chain_origin_id", fixed("chain_origin_id", s.root)),
		{"get_flag", "get_flag", func(i int) map[string]any {
			return map[string]any{"flag_id": 1 + (int64(i)*7919)%int64(s.flags)}
		}, 25},
	}
}
