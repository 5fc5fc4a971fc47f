// Command soak runs a mixed flag workload through several mcp-agents server
// processes sharing one database, then checks the invariants that must hold
// whatever the interleaving:
//
//   - every flag is pending or completed, and completed at most once (one
//     acknowledged complete_flag, one "completed" event);
//   - the events agree with the state: one "created" event first, the lease
//     columns are what replaying the lock events gives, a completed flag's
//     last event is its completion;
//   - no two live leases on one flag: a lock or takeover never happens while
//     another agent's lease is still running;
//   - nothing acknowledged is missing: every acknowledged create, lock,
//     unlock and complete is in the database as acknowledged.
//
// go run ./bench/soak runs the full soak (4 processes, 10,000 operations);
// go test ./bench/soak runs a short one.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	_ "modernc.org/sqlite" // the "sqlite" driver, to check the database
)

// Config sizes a soak.
type Config struct {
	Bin     string // mcp-agents binary
	Dir     string // scratch directory (database, HOME)
	Procs   int    // server processes
	Workers int    // concurrent callers per process
	Ops     int    // operations in total
	Agents  int
	Lease   int // lease_seconds of every lock
	Seed    uint64
}

// Report is what a soak did and found.
type Report struct {
	Ops        int            `json:"ops"`
	ByTool     map[string]int `json:"by_tool"`
	Refused    map[string]int `json:"refused"`  // isError results by tool (conflicts are expected)
	Messages   map[string]int `json:"messages"` // distinct refusal texts, digits folded
	Flags      int            `json:"flags"`
	Events     int            `json:"events"`
	Elapsed    time.Duration  `json:"elapsed"`
	Violations []string       `json:"violations"`
}

func main() {
	cfg := Config{Procs: 4, Workers: 3, Ops: 10_000, Agents: 8, Lease: 1, Seed: uint64(time.Now().UnixNano())}
	flag.StringVar(&cfg.Bin, "bin", "", "mcp-agents binary (default: build ./cmd/mcp-agents)")
	flag.IntVar(&cfg.Procs, "procs", cfg.Procs, "server processes")
	flag.IntVar(&cfg.Workers, "workers", cfg.Workers, "concurrent callers per process")
	flag.IntVar(&cfg.Ops, "ops", cfg.Ops, "operations in total")
	flag.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "random seed")
	flag.Parse()
	dir, err := os.MkdirTemp("", "mcp-agents-soak-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer os.RemoveAll(dir)
	cfg.Dir = dir
	if cfg.Bin == "" {
		cfg.Bin = filepath.Join(dir, "mcp-agents")
		if out, err := exec.Command("go", "build", "-o", cfg.Bin, "./cmd/mcp-agents").CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
			os.Exit(1)
		}
	}
	rep, err := Run(context.Background(), cfg)
	if rep != nil {
		b, _ := json.MarshalIndent(rep, "", "  ")
		fmt.Println(string(b))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
	if len(rep.Violations) > 0 {
		os.Exit(1)
	}
}

// acks is what the servers acknowledged.
type acks struct {
	mu        sync.Mutex
	created   map[int64]createdAck
	locks     []lockAck
	unlocks   map[int64]int // flag -> acknowledged unlocks
	completes map[int64][]string
	ids       []int64 // created ids, for picking targets
}

type createdAck struct{ source, target, desc string }

type lockAck struct {
	id              int64
	agent, at, exps string
}

type flagJSON struct {
	ID            int64   `json:"id"`
	SourceAgent   string  `json:"source_agent"`
	TargetAgent   *string `json:"target_agent"`
	Change        string  `json:"change_description"`
	Status        string  `json:"status"`
	LockedBy      *string `json:"locked_by"`
	LockedAt      *string `json:"locked_at"`
	LockExpiresAt *string `json:"lock_expires_at"`
	CompletedBy   *string `json:"completed_by"`
}

// Run runs one soak and checks the invariants.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	db := filepath.Join(cfg.Dir, "agents.db")
	clients := make([]*client.Client, cfg.Procs)
	for i := range clients {
		c, err := start(ctx, cfg, db)
		if err != nil {
			return nil, fmt.Errorf("server %d: %w", i, err)
		}
		defer c.Close()
		clients[i] = c
	}
	a := &acks{created: map[int64]createdAck{}, unlocks: map[int64]int{}, completes: map[int64][]string{}}
	rep := &Report{ByTool: map[string]int{}, Refused: map[string]int{}, Messages: map[string]int{}}
	var repMu sync.Mutex
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, cfg.Procs*cfg.Workers)
	t0 := time.Now()
	for p, c := range clients {
		for w := range cfg.Workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(cfg.Seed, uint64(p*100+w)))
				for next.Add(1) <= int64(cfg.Ops) {
					tool, refused, err := step(ctx, c, rng, cfg, a)
					if err != nil {
						errs <- fmt.Errorf("server %d: %s: %w", p, tool, err)
						return
					}
					repMu.Lock()
					rep.ByTool[tool]++
					if refused != "" {
						rep.Refused[tool]++
						rep.Messages[fold(refused)]++
					}
					repMu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	rep.Elapsed = time.Since(t0)
	close(errs)
	for err := range errs {
		return rep, err
	}
	for _, n := range rep.ByTool {
		rep.Ops += n
	}
	for _, c := range clients {
		c.Close()
	}
	var err error
	rep.Violations, rep.Flags, rep.Events, err = check(ctx, db, cfg, a)
	return rep, err
}

func start(ctx context.Context, cfg Config, db string) (*client.Client, error) {
	c, err := client.NewStdioMCPClientWithOptions(cfg.Bin, nil, []string{"serve", "--db", db},
		transport.WithCommandFunc(func(ctx context.Context, command string, _ []string, args []string) (*exec.Cmd, error) {
			cmd := exec.CommandContext(ctx, command, args...)
			cmd.Env = append(os.Environ(), "HOME="+cfg.Dir, "XDG_DATA_HOME="+cfg.Dir, "XDG_CACHE_HOME="+filepath.Join(cfg.Dir, "cache"))
			cmd.Dir = cfg.Dir
			return cmd, nil
		}))
	if err != nil {
		return nil, err
	}
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	req.Params.ClientInfo = mcp.Implementation{Name: "soak", Version: "1"}
	ictx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := c.Initialize(ictx, req); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// fold replaces digits and agent names so messages about different flags
// count as one.
func fold(s string) string {
	for _, a := range agents {
		s = strings.ReplaceAll(s, a, "@agent")
	}
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return '#'
		}
		return r
	}, s)
}

// agents are built-in agents: create_flag's target must name one in the
// catalog.
var agents = []string{"@backend.api", "@backend.go", "@database.postgres", "@ops.cicd",
	"@frontend.react", "@cloud.aws", "@docs.technical", "@infra.terraform"}

func agent(rng *rand.Rand, cfg Config) string { return agents[rng.IntN(min(cfg.Agents, len(agents)))] }

// step runs one random operation. refused is the text of an isError result.
func step(ctx context.Context, c *client.Client, rng *rand.Rand, cfg Config, a *acks) (tool, refused string, err error) {
	a.mu.Lock()
	var id int64
	if n := len(a.ids); n > 0 {
		// Mostly recent flags, so locks and completes contend.
		id = a.ids[n-1-min(n-1, int(rng.ExpFloat64()*8))]
	}
	a.mu.Unlock()
	x := rng.IntN(100)
	if id == 0 || x < 25 {
		src, tgt := agent(rng, cfg), agent(rng, cfg)
		desc := fmt.Sprintf("Soak change %d from %s: the shared schema gained a column every reader must handle.", rng.Int64(), src)
		args := map[string]any{"flag_type": "change", "source_agent": src, "change_description": desc,
			"action_required": "Update every reader of the shared schema to handle the new column, run the integration tests, and report anything that breaks."}
		if rng.IntN(5) > 0 {
			args["target_agent"] = tgt
		} else {
			tgt = ""
		}
		var out struct{ Flag flagJSON }
		refused, err = call(ctx, c, "create_flag", args, &out)
		if err == nil && refused == "" {
			a.mu.Lock()
			a.created[out.Flag.ID] = createdAck{src, tgt, desc}
			a.ids = append(a.ids, out.Flag.ID)
			a.mu.Unlock()
		}
		return "create_flag", refused, err
	}
	who := agent(rng, cfg)
	switch {
	case x < 50:
		var out struct{ Flag flagJSON }
		refused, err = call(ctx, c, "lock_flag", map[string]any{"flag_id": id, "agent": who, "lease_seconds": cfg.Lease}, &out)
		if err == nil && refused == "" {
			f := out.Flag
			if f.LockedBy == nil || *f.LockedBy != who || f.LockedAt == nil || f.LockExpiresAt == nil {
				return "lock_flag", "", fmt.Errorf("lock of %d by %s acknowledged with lease %v", id, who, f.LockedBy)
			}
			a.mu.Lock()
			a.locks = append(a.locks, lockAck{id, who, *f.LockedAt, *f.LockExpiresAt})
			a.mu.Unlock()
		}
		return "lock_flag", refused, err
	case x < 62:
		refused, err = call(ctx, c, "unlock_flag", map[string]any{"flag_id": id, "agent": who, "force": rng.IntN(4) == 0}, &struct{}{})
		if err == nil && refused == "" {
			a.mu.Lock()
			a.unlocks[id]++
			a.mu.Unlock()
		}
		return "unlock_flag", refused, err
	case x < 80:
		var out struct{ Flag flagJSON }
		refused, err = call(ctx, c, "complete_flag", map[string]any{"flag_id": id, "agent": who, "notes": "soak"}, &out)
		if err == nil && refused == "" {
			a.mu.Lock()
			a.completes[id] = append(a.completes[id], who)
			a.mu.Unlock()
		}
		return "complete_flag", refused, err
	case x < 88:
		refused, err = call(ctx, c, "get_agent_flags", map[string]any{"agent": who, "status": "all"}, &struct{}{})
		return "get_agent_flags", refused, err
	case x < 94:
		refused, err = call(ctx, c, "list_flags", map[string]any{"target_agent": who}, &struct{}{})
		return "list_flags", refused, err
	default:
		refused, err = call(ctx, c, "get_flag", map[string]any{"flag_id": id}, &struct{}{})
		return "get_flag", refused, err
	}
}

// call runs a tool; an isError result comes back as refused, a transport
// failure or an internal error as err.
func call(ctx context.Context, c *client.Client, tool string, args map[string]any, out any) (string, error) {
	req := mcp.CallToolRequest{}
	req.Params.Name = tool
	req.Params.Arguments = args
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	res, err := c.CallTool(ctx, req)
	if err != nil {
		return "", err
	}
	var text strings.Builder
	for _, ct := range res.Content {
		if tc, ok := ct.(mcp.TextContent); ok {
			text.WriteString(tc.Text)
		}
	}
	if res.IsError {
		t := text.String()
		// Conflicts (locked, completed, not locked) are the expected
		// losers of races; anything else is a failure of the soak.
		if strings.Contains(t, "internal error") || strings.Contains(t, "busy") {
			return "", errors.New(t)
		}
		return t, nil
	}
	return "", json.Unmarshal([]byte(text.String()), out)
}

type event struct {
	id              int64
	kind, agent, at string
	prev            sql.NullString
}

// check reads the database after the servers exited and returns every
// invariant broken.
func check(ctx context.Context, path string, cfg Config, a *acks) (v []string, flags, events int, err error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return nil, 0, 0, err
	}
	defer db.Close()
	bad := func(format string, args ...any) { v = append(v, fmt.Sprintf(format, args...)) }

	var ic string
	if err := db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&ic); err != nil || ic != "ok" {
		bad("integrity_check: %s %v", ic, err)
	}
	evs := map[int64][]event{}
	rows, err := db.QueryContext(ctx, "SELECT id, flag_id, kind, agent, previous_holder, at FROM flag_events ORDER BY id")
	if err != nil {
		return v, 0, 0, err
	}
	for rows.Next() {
		var e event
		var fid int64
		if err := rows.Scan(&e.id, &fid, &e.kind, &e.agent, &e.prev, &e.at); err != nil {
			rows.Close()
			return v, 0, 0, err
		}
		evs[fid] = append(evs[fid], e)
		events++
	}
	rows.Close()

	type row struct {
		source, desc, status                            string
		target, lockedBy, lockedAt, exp, doneBy, doneAt sql.NullString
	}
	stored := map[int64]row{}
	rows, err = db.QueryContext(ctx, `SELECT id, source_agent, target_agent, change_description, status,
		locked_by, locked_at, lock_expires_at, completed_by, completed_at FROM flags`)
	if err != nil {
		return v, 0, events, err
	}
	for rows.Next() {
		var id int64
		var r row
		if err := rows.Scan(&id, &r.source, &r.target, &r.desc, &r.status, &r.lockedBy, &r.lockedAt, &r.exp, &r.doneBy, &r.doneAt); err != nil {
			rows.Close()
			return v, 0, events, err
		}
		stored[id] = r
		flags++
	}
	rows.Close()

	lease := time.Duration(cfg.Lease) * time.Second
	plus := func(at string) string {
		t, err := time.Parse("2006-01-02T15:04:05.000Z", at)
		if err != nil {
			bad("unparsable time %q", at)
		}
		return t.Add(lease).UTC().Format("2006-01-02T15:04:05.000Z")
	}
	type lockKey struct {
		id        int64
		agent, at string
	}
	lockEvents := map[lockKey]bool{}
	ids := make([]int64, 0, len(stored))
	for id := range stored {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		r := stored[id]
		es := evs[id]
		if r.status != "pending" && r.status != "completed" {
			bad("flag %d: status %q", id, r.status)
		}
		if len(es) == 0 || es[0].kind != "created" {
			bad("flag %d: first event is not \"created\"", id)
			continue
		}
		// Replay the lease.
		holder, exp := "", ""
		completed := 0
		unlocks := 0
		for _, e := range es[1:] {
			if completed > 0 {
				bad("flag %d: event %s after completion", id, e.kind)
			}
			live := holder != "" && exp > e.at
			switch e.kind {
			case "created":
				bad("flag %d: second created event", id)
			case "locked", "takeover":
				if live && holder != e.agent {
					bad("flag %d: %s by %s at %s while %s's lease runs to %s (two live leases)", id, e.kind, e.agent, e.at, holder, exp)
				}
				if e.kind == "takeover" && (holder == "" || live || e.prev.String != holder) {
					bad("flag %d: takeover at %s from %q, but the holder was %q until %s", id, e.at, e.prev.String, holder, exp)
				}
				holder, exp = e.agent, plus(e.at)
				lockEvents[lockKey{id, e.agent, e.at}] = true
			case "renewed":
				if !live || holder != e.agent {
					bad("flag %d: renewed by %s at %s, holder %q until %s", id, e.agent, e.at, holder, exp)
				}
				holder, exp = e.agent, plus(e.at)
				lockEvents[lockKey{id, e.agent, e.at}] = true
			case "unlocked", "force_unlocked":
				if !live {
					bad("flag %d: %s at %s with no live lease", id, e.kind, e.at)
				}
				if (e.kind == "unlocked") != (holder == e.agent) {
					bad("flag %d: %s by %s, holder %s", id, e.kind, e.agent, holder)
				}
				holder, exp = "", ""
				unlocks++
			case "completed":
				if live && holder != e.agent {
					bad("flag %d: completed by %s while %s's lease runs", id, e.agent, holder)
				}
				if r.doneBy.String != e.agent || r.doneAt.String != e.at {
					bad("flag %d: completed event (%s at %s) but row says %s at %s", id, e.agent, e.at, r.doneBy.String, r.doneAt.String)
				}
				holder, exp = "", ""
				completed++
			default:
				bad("flag %d: unknown event %q", id, e.kind)
			}
		}
		switch {
		case r.status == "completed" && completed != 1:
			bad("flag %d: completed with %d completion events", id, completed)
		case r.status == "pending" && completed != 0:
			bad("flag %d: pending with a completion event", id)
		}
		if r.status == "pending" && (r.lockedBy.String != holder || r.exp.String != exp) {
			bad("flag %d: lease columns %q until %q, events give %q until %q", id, r.lockedBy.String, r.exp.String, holder, exp)
		}
		if acked := a.completes[id]; len(acked) > 1 || (len(acked) == 1 && (r.status != "completed" || r.doneBy.String != acked[0])) {
			bad("flag %d: completes acknowledged %v, stored %s by %s", id, acked, r.status, r.doneBy.String)
		}
		if a.unlocks[id] > unlocks {
			bad("flag %d: %d unlocks acknowledged, %d stored", id, a.unlocks[id], unlocks)
		}
	}
	for id, c := range a.created {
		r, ok := stored[id]
		if !ok {
			bad("acknowledged flag %d is missing", id)
			continue
		}
		if r.source != c.source || r.desc != c.desc || r.target.String != c.target {
			bad("flag %d: stored %s -> %s, acknowledged %s -> %s", id, r.source, r.target.String, c.source, c.target)
		}
	}
	for _, l := range a.locks {
		if !lockEvents[lockKey{l.id, l.agent, l.at}] {
			bad("acknowledged lock of %d by %s at %s has no event", l.id, l.agent, l.at)
		}
		if l.exps != plus(l.at) {
			bad("lock of %d by %s: expiry %s, want %s", l.id, l.agent, l.exps, plus(l.at))
		}
	}
	for id := range a.completes {
		if _, ok := stored[id]; !ok {
			bad("completed flag %d is missing", id)
		}
	}
	if len(v) > 50 {
		v = append(v[:50], fmt.Sprintf("... and %d more", len(v)-50))
	}
	return v, flags, events, nil
}
