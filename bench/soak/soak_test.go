package main

import (
	"database/sql"
	"flag"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcp-agents/mcp-agents/internal/store"
)

var soakOps = flag.Int("soak.ops", 1_000, "operations in TestSoak (go run ./bench/soak runs 10,000)")

// TestSoak is the short soak CI runs: 4 server processes on one database,
// a mixed workload, then every invariant (see the package comment).
func TestSoak(t *testing.T) {
	ops := *soakOps
	if testing.Short() {
		ops = 300
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "mcp-agents")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/mcp-agents").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	rep, err := Run(t.Context(), Config{Bin: bin, Dir: dir, Procs: 4, Workers: 3, Ops: ops, Agents: 8, Lease: 1, Seed: 42})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d ops in %s: %v (refused %v), %d flags, %d events", rep.Ops, rep.Elapsed, rep.ByTool, rep.Refused, rep.Flags, rep.Events)
	for m, n := range rep.Messages {
		t.Logf("%5d× %s", n, m)
	}
	for _, v := range rep.Violations {
		t.Error(v)
	}
	if rep.Ops != ops || rep.ByTool["lock_flag"] == 0 || rep.ByTool["complete_flag"] == 0 || rep.Refused["lock_flag"] == 0 {
		t.Errorf("the workload did not exercise the races: %+v", rep)
	}
}

// The checker must see each kind of broken invariant.
func TestCheckFindsViolations(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "agents.db")
	st, err := store.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	desc := "The shared schema gained a column every reader must handle, soak test."
	action := strings.Repeat("Update every reader of the shared schema. ", 4)
	ins := func(id int, status, doneBy, doneAt string) {
		var by, at any
		if doneBy != "" {
			by, at = doneBy, doneAt
		}
		if _, err := db.Exec(`INSERT INTO flags (id, flag_type, source_agent, change_description, action_required,
			status, created_at, completed_by, completed_at) VALUES (?, 'change', '@a', ?, ?, ?, '2026-01-01T00:00:00.000Z', ?, ?)`,
			id, desc, action, status, by, at); err != nil {
			t.Fatal(err)
		}
	}
	ev := func(id int, kind, agent, at string) {
		if _, err := db.Exec(`INSERT INTO flag_events (flag_id, kind, agent, at) VALUES (?, ?, ?, ?)`, id, kind, agent, at); err != nil {
			t.Fatal(err)
		}
	}
	// (The database writes each flag's "created" event itself.)
	// 1: two live leases.
	ins(1, "pending", "", "")
	ev(1, "locked", "@b", "2026-01-01T00:00:01.000Z")
	ev(1, "locked", "@c", "2026-01-01T00:00:01.500Z")
	// 2: completed twice.
	ins(2, "completed", "@b", "2026-01-01T00:00:03.000Z")
	ev(2, "completed", "@b", "2026-01-01T00:00:02.000Z")
	ev(2, "completed", "@b", "2026-01-01T00:00:03.000Z")
	a := &acks{created: map[int64]createdAck{3: {"@a", "", desc}}, unlocks: map[int64]int{}, completes: map[int64][]string{}}
	v, _, _, err := check(t.Context(), path, Config{Lease: 1}, a)
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(v, "\n")
	for _, want := range []string{"two live leases", "event completed after completion", "acknowledged flag 3 is missing", "lease columns"} {
		if !strings.Contains(all, want) {
			t.Errorf("violations do not mention %q:\n%s", want, all)
		}
	}
}
