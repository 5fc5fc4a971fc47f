// Command pgscale measures the PostgreSQL store with a year of history (by
// default a million flags, 13,000 pending across 200 agents: the history
// bench/scale builds for SQLite, from the same generator), bulk-loaded
// with COPY. It times the store's calls directly (no transport): the
// inbox read (get_agent_flags: pending, most urgent first, broadcasts
// included, default limit 50) against its p99 target of 10 ms, and the
// other history reads for comparison.
//
//	go run ./bench/pgscale -url postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
//
// The database (-db, on the server -url names) is built when missing or
// empty and reused afterwards.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mcp-agents/mcp-agents/bench/history"
	"github.com/mcp-agents/mcp-agents/internal/store"
	"github.com/mcp-agents/mcp-agents/internal/store/postgres"
)

func main() {
	var (
		admin   = flag.String("url", os.Getenv("MCP_AGENTS_TEST_PG"), "PostgreSQL server to build the database on (default $MCP_AGENTS_TEST_PG)")
		dbName  = flag.String("db", "mcpa_scale", "database to measure; built when missing or empty")
		flags   = flag.Int("flags", history.Default.Flags, "flags in a built database")
		pending = flag.Int("pending", history.Default.Pending, "pending flags in a built database")
		calls   = flag.Int("calls", 200, "timed calls per case")
		warmup  = flag.Int("warmup", 3, "untimed calls per case")
		strict  = flag.Bool("strict", false, "exit 1 when the inbox misses its target")
	)
	flag.Parse()
	if *admin == "" {
		fmt.Fprintln(os.Stderr, "pgscale: no PostgreSQL server: pass -url or set MCP_AGENTS_TEST_PG (.ci/pg.sh start DIR starts one)")
		os.Exit(2)
	}
	cfg := history.Default
	cfg.Flags, cfg.Pending = *flags, *pending
	missed, err := run(context.Background(), *admin, *dbName, cfg, *warmup, *calls)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgscale:", err)
		os.Exit(1)
	}
	if missed && *strict {
		os.Exit(1)
	}
}

// inboxTarget is the p99 the inbox read must stay within.
const inboxTarget = 10 * time.Millisecond

func run(ctx context.Context, admin, name string, cfg history.Config, warmup, calls int) (missed bool, err error) {
	dbURL, err := ensureDB(ctx, admin, name)
	if err != nil {
		return false, err
	}
	// One connection, so the one backend serving it can be found and its
	// CPU time read: on a loaded machine the steadier figure.
	u, _ := url.Parse(dbURL)
	q := u.Query()
	q.Set("pool_max_conns", "1")
	u.RawQuery = q.Encode()
	st, err := postgres.Open(ctx, u.String())
	if err != nil {
		return false, err
	}
	defer st.Close()
	_, total, err := st.ListFlags(ctx, store.ListQuery{Limit: 1})
	if err != nil {
		return false, err
	}
	if total == 0 {
		t0 := time.Now()
		if err := load(ctx, dbURL, cfg); err != nil {
			return false, err
		}
		fmt.Printf("loaded %d flags with COPY in %s\n", cfg.Flags, time.Since(t0).Round(time.Millisecond))
	}
	_, total, _ = st.ListFlags(ctx, store.ListQuery{Limit: 1})
	_, pend, _ := st.ListFlags(ctx, store.ListQuery{Status: "pending", Limit: 1})
	fmt.Printf("database %s: %d flags, %d pending, %d agents; %d warm-up and %d timed calls per case\n",
		postgres.Redact(dbURL), total, pend, cfg.Agents, warmup, calls)
	backend, err := backendPID(ctx, dbURL, name)
	if err != nil {
		return false, err
	}
	fmt.Printf("load average %s; db cpu: CPU time (user+sys) of the PostgreSQL backend per call\n", loadavg())
	fmt.Printf("%-34s %8s %9s %9s %9s %8s  %s\n", "call", "matches", "p50 ms", "p99 ms", "max ms", "db cpu", "target")
	agent := func(i int) string { return history.Agent((i * 37) % cfg.Agents) }
	for _, c := range []struct {
		name   string
		target time.Duration
		call   func(i int) (int, error)
	}{
		{"get_agent_flags (pending)", inboxTarget, func(i int) (int, error) {
			fs, err := st.AgentFlags(ctx, store.AgentFlagsQuery{Agent: agent(i), Limit: 50})
			return len(fs), err
		}},
		{"get_agent_flags status all", 0, func(i int) (int, error) {
			fs, err := st.AgentFlags(ctx, store.AgentFlagsQuery{Agent: agent(i), Status: "all", IncludeLocked: true, Limit: 50})
			return len(fs), err
		}},
		{"count_agent_flags (pending)", 0, func(i int) (int, error) {
			return st.CountAgentFlags(ctx, store.AgentFlagsQuery{Agent: agent(i)})
		}},
		{"list_flags status pending", 0, list(ctx, st, func(int) store.ListQuery { return store.ListQuery{Status: "pending"} })},
		{"list_flags target", 0, list(ctx, st, func(i int) store.ListQuery { return store.ListQuery{TargetAgent: agent(i)} })},
		{"list_flags source", 0, list(ctx, st, func(i int) store.ListQuery { return store.ListQuery{SourceAgent: agent(i)} })},
		{"list_flags type", 0, list(ctx, st, func(int) store.ListQuery { return store.ListQuery{FlagType: "breaking_change"} })},
		{"list_flags impact", 0, list(ctx, st, func(int) store.ListQuery { return store.ListQuery{ImpactLevel: "high"} })},
		{"board", 0, func(int) (int, error) {
			b, err := st.Board(ctx, store.BoardQuery{})
			return b.PendingTotal, err
		}},
		{"board, one agent", 0, func(i int) (int, error) {
			b, err := st.Board(ctx, store.BoardQuery{Agent: agent(i)})
			return b.PendingTotal, err
		}},
		{"get_flag", 0, func(i int) (int, error) {
			d, err := st.GetFlag(ctx, int64(1+(i*7919)%total))
			return len(d.Chain), err
		}},
	} {
		var times []time.Duration
		matches := 0
		cpu0 := cpuTime(backend)
		for i := range warmup + calls {
			t0 := time.Now()
			n, err := c.call(i)
			el := time.Since(t0)
			if err != nil {
				return missed, fmt.Errorf("%s: %w", c.name, err)
			}
			if i >= warmup {
				times = append(times, el)
				matches = n
			}
		}
		dbCPU := float64(cpuTime(backend)-cpu0) / float64(warmup+calls)
		slices.Sort(times)
		p99 := pct(times, 0.99)
		verdict := ""
		if c.target > 0 {
			verdict = fmt.Sprintf("p99 <= %s: ", c.target)
			if p99 <= c.target {
				verdict += "ok"
			} else {
				verdict += "FAIL"
				missed = true
			}
		}
		fmt.Printf("%-34s %8d %9.2f %9.2f %9.2f %8.2f  %s\n", c.name, matches, ms(pct(times, 0.5)), ms(p99), ms(times[len(times)-1]), dbCPU, verdict)
	}
	return missed, nil
}

func list(ctx context.Context, st *postgres.Store, q func(int) store.ListQuery) func(int) (int, error) {
	return func(i int) (int, error) {
		qq := q(i)
		qq.Limit = 50
		_, total, err := st.ListFlags(ctx, qq)
		return total, err
	}
}

func pct(sorted []time.Duration, p float64) time.Duration {
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(i, 0)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// ensureDB creates the database name on the server admin names unless it
// exists, and returns its URL.
func ensureDB(ctx context.Context, admin, name string) (string, error) {
	u, err := url.Parse(admin)
	if err != nil {
		return "", err
	}
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", err
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE template0 ENCODING 'UTF8'"); err != nil {
			return "", err
		}
	}
	u.Path = "/" + name
	return u.String(), nil
}

// load copies the generated history into the (migrated, empty) database:
// flags, then their events, with COPY, triggers off (the rows are
// consistent by construction, and a NOTIFY per historical event would
// only fill the queue); then the identity sequences move past the ids
// loaded, and VACUUM ANALYZE gives the planner statistics and the
// visibility map its index-only counts need.
func load(ctx context.Context, dbURL string, cfg history.Config) error {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SET session_replication_role = replica"); err != nil {
		return err
	}
	parse := func(v any) (any, error) {
		s, ok := v.(string)
		if !ok {
			return nil, nil
		}
		return time.Parse(store.TimeLayout, s)
	}
	rows, events := make(chan []any, 1024), make(chan []any, 1024)
	errc := make(chan error, 1)
	go func() {
		defer close(rows)
		_, err := history.Generate(cfg, func(r history.Row) error {
			created, err := parse(r.CreatedAt)
			if err != nil {
				return err
			}
			done, err := parse(r.CompletedAt)
			if err != nil {
				return err
			}
			rows <- []any{r.ID, r.FlagType, r.Source, r.Target, r.Desc, r.Action, r.Impact, r.Related,
				r.Chain, r.Status, created, done, r.CompletedBy, r.Notes}
			return nil
		})
		errc <- err
	}()
	_, err = conn.CopyFrom(ctx, pgx.Identifier{"flags"}, []string{"id", "flag_type", "source_agent", "target_agent",
		"change_description", "action_required", "impact_level", "related_files", "chain_origin_id", "status",
		"created_at", "completed_at", "completed_by", "notes"}, source(rows))
	if err := errors.Join(err, <-errc); err != nil {
		return fmt.Errorf("copy flags: %w", err)
	}
	go func() {
		defer close(events)
		_, err := history.Generate(cfg, func(r history.Row) error {
			created, _ := parse(r.CreatedAt)
			events <- []any{r.ID, "created", r.Source, created}
			if r.CompletedBy != nil {
				done, _ := parse(r.CompletedAt)
				events <- []any{r.ID, "completed", r.CompletedBy, done}
			}
			return nil
		})
		errc <- err
	}()
	_, err = conn.CopyFrom(ctx, pgx.Identifier{"flag_events"}, []string{"flag_id", "kind", "agent", "at"}, source(events))
	if err := errors.Join(err, <-errc); err != nil {
		return fmt.Errorf("copy events: %w", err)
	}
	for _, q := range []string{
		"SELECT setval(pg_get_serial_sequence('flags', 'id'), (SELECT max(id) FROM flags))",
		"SELECT setval(pg_get_serial_sequence('flag_events', 'id'), (SELECT max(id) FROM flag_events))",
		"VACUUM ANALYZE flags",
		"VACUUM ANALYZE flag_events",
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

// source streams rows from a channel into CopyFrom.
func source(ch <-chan []any) pgx.CopyFromSource {
	return pgx.CopyFromFunc(func() ([]any, error) {
		r, ok := <-ch
		if !ok {
			return nil, nil
		}
		return r, nil
	})
}

// backendPID finds the one backend serving the store's connection.
func backendPID(ctx context.Context, dbURL, name string) (int, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	var pids []int
	rows, err := conn.Query(ctx, `SELECT pid FROM pg_stat_activity
		WHERE datname = $1 AND application_name = 'mcp-agents' AND pid <> pg_backend_pid()`, name)
	if err != nil {
		return 0, err
	}
	if pids, err = pgx.CollectRows(rows, pgx.RowTo[int]); err != nil {
		return 0, err
	}
	if len(pids) != 1 {
		return 0, fmt.Errorf("found %d backends of the store on %s, want 1 (is another mcp-agents connected?)", len(pids), name)
	}
	return pids[0], nil
}

// cpuTime is a local process's user+sys CPU time in milliseconds (0 where
// /proc cannot tell: a remote server).
func cpuTime(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+2:]
	}
	f := strings.Fields(s)
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	k, _ := strconv.ParseFloat(f[12], 64)
	return (u + k) * 10 // clock ticks of 10 ms
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}
