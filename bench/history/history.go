// Package history fills an mcp-agents flags database with a year of
// synthetic history (by default a million flags, 13,000 of them pending,
// across 200 agents), inserting straight into SQLite. The database must
// already carry the schema (open it once with the store first), so the
// rows are checked by the same constraints the server's writes are.
package history

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" driver
)

// Config sizes the history.
type Config struct {
	Flags     int     // total flags
	Pending   int     // of which still pending
	Agents    int     // distinct agents (sources and targets)
	Broadcast float64 // share of flags with no target
	Seed      uint64
}

// Default is the "year of history".
var Default = Config{Flags: 1_000_000, Pending: 13_000, Agents: 200, Broadcast: 0.1, Seed: 1}

// Agent is the handle of agent i.
func Agent(i int) string { return fmt.Sprintf("@team.agent%03d", i) }

// Summary says what Build wrote, for choosing queries.
type Summary struct {
	Flags, Pending, Broadcasts int
	ByType                     map[string]int
	ByImpact                   map[string]int
	ByTarget                   map[string]int
	BySource                   map[string]int
	ChainRoots                 map[int64]int // chain_origin_id -> children
}

var types = []struct {
	name   string
	weight float64
}{
	{"change", 0.30}, {"enhancement", 0.20}, {"new_feature", 0.15}, {"refactor", 0.10},
	{"information_request", 0.09}, {"deprecation", 0.06}, {"breaking_change", 0.06},
	{"security", 0.03}, {"data_loss", 0.01},
}

// Row is one generated flag and its events: created, and completed unless
// the flag is pending. Nil fields are NULL. Times are the contract's text.
type Row struct {
	ID                                     int64
	FlagType, Source, Desc, Action, Impact string
	Target                                 any // string, or nil for a broadcast
	Related                                string
	Chain                                  any // int64 or nil
	Status, CreatedAt                      string
	CompletedAt, CompletedBy, Notes        any // strings, or nil when pending
}

// Generate calls emit with cfg.Flags flags in id order, spread over the
// year before 2026-01-01, and returns what it generated. The rows depend
// only on cfg, so every engine gets the same history.
func Generate(cfg Config, emit func(Row) error) (Summary, error) {
	sum := Summary{ByType: map[string]int{}, ByImpact: map[string]int{}, ByTarget: map[string]int{},
		BySource: map[string]int{}, ChainRoots: map[int64]int{}}
	rng := rand.New(rand.NewPCG(cfg.Seed, 2))
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	step := 365 * 24 * time.Hour / time.Duration(cfg.Flags)
	// Pending flags are the newest ones mostly, as in a live system, with
	// some old ones nobody picked up.
	pending := make(map[int]bool, cfg.Pending)
	for len(pending) < cfg.Pending {
		i := cfg.Flags - 1 - int(rng.ExpFloat64()*float64(cfg.Flags)/8)
		if i < 0 {
			i = rng.IntN(cfg.Flags)
		}
		pending[i] = true
	}
	for i := 0; i < cfg.Flags; i++ {
		id := int64(i + 1)
		ft := pickType(rng)
		source := Agent(rng.IntN(cfg.Agents))
		var target any
		targeted := rng.Float64() >= cfg.Broadcast || ft == "security" || ft == "data_loss"
		impact := pickImpact(rng, ft)
		if impact == "high" || impact == "critical" {
			targeted = true
		}
		if targeted {
			t := Agent(rng.IntN(cfg.Agents))
			target = t
			sum.ByTarget[t]++
		} else {
			sum.Broadcasts++
		}
		var chain any
		if i > 100 && i%50 == 0 {
			root := int64(1 + rng.IntN(i))
			chain = root
			sum.ChainRoots[root]++
		}
		created := start.Add(time.Duration(i) * step)
		r := Row{ID: id, FlagType: ft, Source: source, Target: target, Impact: impact, Chain: chain,
			Related: fmt.Sprintf(`["src/mod%d/api.go"]`, i%977), Status: "completed",
			CreatedAt: created.Format("2006-01-02T15:04:05.000Z")}
		if pending[i] {
			r.Status = "pending"
			sum.Pending++
		} else {
			r.CompletedAt = created.Add(time.Hour).Format("2006-01-02T15:04:05.000Z")
			r.CompletedBy = source
			if target != nil {
				r.CompletedBy = target
			}
			r.Notes = "done"
		}
		r.Desc = fmt.Sprintf("Flag %d: the %s in module %d changed its public interface and callers must adapt.", id, ft, i%977)
		r.Action = fmt.Sprintf("Update every caller of module %d to the new interface, run its tests, and report anything the change breaks in your area (flag %d).", i%977, id)
		if err := emit(r); err != nil {
			return sum, fmt.Errorf("flag %d: %w", id, err)
		}
		sum.Flags++
		sum.ByType[ft]++
		sum.ByImpact[impact]++
		sum.BySource[source]++
	}
	return sum, nil
}

// Build inserts cfg.Flags flags and their events into the SQLite database
// at path (see Generate).
func Build(ctx context.Context, path string, cfg Config) (Summary, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=synchronous(OFF)&_pragma=foreign_keys(0)")
	if err != nil {
		return Summary{}, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, "PRAGMA cache_size = -262144"); err != nil {
		return Summary{}, err
	}
	var have int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM flags").Scan(&have); err != nil {
		return Summary{}, fmt.Errorf("history: %s has no flags table (open it with the store first): %w", path, err)
	}
	if have != 0 {
		return Summary{}, fmt.Errorf("history: %s already holds %d flags", path, have)
	}

	const batch = 50_000
	var tx *sql.Tx
	var insFlag, insEvent *sql.Stmt
	sum, err := Generate(cfg, func(r Row) error {
		if (r.ID-1)%batch == 0 {
			if tx != nil {
				if err := tx.Commit(); err != nil {
					return err
				}
			}
			if tx, err = db.BeginTx(ctx, nil); err != nil {
				return err
			}
			if insFlag, err = tx.PrepareContext(ctx, `INSERT INTO flags (id, flag_type, source_agent, target_agent,
				change_description, action_required, impact_level, related_files, chain_origin_id, status,
				created_at, completed_at, completed_by, notes)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`); err != nil {
				return err
			}
			if insEvent, err = tx.PrepareContext(ctx, `INSERT INTO flag_events (flag_id, kind, agent, at) VALUES (?, ?, ?, ?)`); err != nil {
				return err
			}
		}
		if _, err := insFlag.ExecContext(ctx, r.ID, r.FlagType, r.Source, r.Target, r.Desc, r.Action, r.Impact,
			r.Related, r.Chain, r.Status, r.CreatedAt, r.CompletedAt, r.CompletedBy, r.Notes); err != nil {
			return err
		}
		// The "created" event is the database's (a trigger on flags).
		if r.CompletedBy != nil {
			if _, err := insEvent.ExecContext(ctx, r.ID, "completed", r.CompletedBy, r.CompletedAt); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return sum, err
	}
	if tx != nil {
		if err := tx.Commit(); err != nil {
			return sum, err
		}
	}
	// A year-old database has seen many servers close, each running
	// PRAGMA optimize: give the planner the statistics it would have.
	if _, err := db.ExecContext(ctx, "ANALYZE"); err != nil {
		return sum, err
	}
	_, err = db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	return sum, err
}

func pickType(rng *rand.Rand) string {
	x := rng.Float64()
	for _, t := range types {
		if x < t.weight {
			return t.name
		}
		x -= t.weight
	}
	return "change"
}

// pickImpact follows the table's impact rules.
func pickImpact(rng *rand.Rand, ft string) string {
	x := rng.Float64()
	switch ft {
	case "security", "data_loss":
		return "critical"
	case "breaking_change":
		switch {
		case x < 0.3:
			return "critical"
		case x < 0.7:
			return "high"
		}
		return "medium"
	}
	switch {
	case x < 0.1:
		return "high"
	case x < 0.75:
		return "medium"
	}
	return "low"
}
