package main

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// mixedLoad is the mixed load (80% search_agents and get_agent_flags, 20%
// create_flag, lock_flag and complete_flag) on one configuration: n
// clients spread over the servers ts (client i talks to ts[i % len(ts)];
// they share one database). It runs in rounds and keeps what the
// invariants need across them: how many creates were acknowledged, and
// which agents each flag was granted to.
type mixedLoad struct {
	name    string
	ts      []target
	n       int
	created atomic.Int64
	locks   atomic.Int64
	mu      sync.Mutex
	holders map[int64]map[string]bool
	p       phase
}

func newMixed(name string, ts []target, n int) *mixedLoad {
	return &mixedLoad{name: name, ts: ts, n: n, holders: map[int64]map[string]bool{}}
}

// run adds a round of d.
func (m *mixedLoad) run(d time.Duration) { m.p.add(loadSpread(m.ts, m.n, d, m.call)) }

func (m *mixedLoad) call(c *rpc, i, k int, r *rand.Rand) error {
	me := "@bench.c" + strconv.Itoa(i)
	switch p := r.IntN(100); {
	case p < 40:
		return c.call("search_agents", map[string]any{"query": queries[r.IntN(len(queries))]}, nil)
	case p < 80:
		return c.call("get_agent_flags", map[string]any{"agent": "@bench.c" + strconv.Itoa(r.IntN(m.n))}, nil)
	case p < 87:
		err := c.call("create_flag", map[string]any{"flag_type": "change", "source_agent": me,
			"target_agent": "@database.postgres", "change_description": strings.Repeat("The orders schema changed. ", 3),
			"action_required": strings.Repeat("Update the orders queries and their indexes accordingly. ", 3)}, nil)
		if err == nil {
			m.created.Add(1)
		}
		return err
	case p < 94:
		id := int64(1 + r.IntN(int(max(m.created.Load(), 1))))
		var out struct {
			Flag struct {
				LockedBy string `json:"locked_by"`
			}
		}
		if err := c.call("lock_flag", map[string]any{"flag_id": id, "agent": me, "lease_seconds": 3600}, &out); err != nil {
			return nil // lost the race, or completed: an answer, not a failure
		}
		m.locks.Add(1)
		m.mu.Lock()
		if m.holders[id] == nil {
			m.holders[id] = map[string]bool{}
		}
		m.holders[id][out.Flag.LockedBy] = true
		m.mu.Unlock()
		return nil
	default:
		id := int64(1 + r.IntN(int(max(m.created.Load(), 1))))
		_ = c.call("complete_flag", map[string]any{"flag_id": id, "agent": me}, nil)
		return nil
	}
}

// report prints the figures over d of load in all, then checks the
// invariants, asking every server: every flag whose creation was
// acknowledged is stored (and the servers agree on the count), and no flag
// was granted to two agents.
func (m *mixedLoad) report(d time.Duration) {
	m.p.report(m.name, d)
	stored, disagree := -1, ""
	for _, t := range m.ts {
		c, err := dial(t.url, t.token)
		check(err)
		var list struct{ Total int }
		check(c.call("list_flags", map[string]any{"status": "all", "limit": 1}, &list))
		if stored >= 0 && list.Total != stored {
			disagree = fmt.Sprintf("; SERVERS DISAGREE: %d and %d flags", stored, list.Total)
		}
		stored = list.Total
	}
	twice := 0
	for _, h := range m.holders {
		if len(h) > 1 {
			twice++
		}
	}
	verdict := "ok"
	if m.created.Load() != int64(stored) || twice > 0 || disagree != "" {
		verdict = "VIOLATED"
	}
	fmt.Printf("%-34s   %s: %d flags created, %d stored (lost: %d); %d locks granted, flags locked by two agents: %d%s\n",
		"", verdict, m.created.Load(), stored, m.created.Load()-int64(stored), m.locks.Load(), twice, disagree)
}

// loadSpread is load with the clients spread over several servers.
func loadSpread(ts []target, n int, d time.Duration, fn func(c *rpc, i, k int, r *rand.Rand) error) phase {
	cs := make([]*rpc, n)
	for i := range cs {
		var err error
		t := ts[i%len(ts)]
		cs[i], err = dial(t.url, t.token)
		check(err)
	}
	lat := make([][]time.Duration, n)
	var failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	deadline := time.Now().Add(d)
	for i := range cs {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(i), 1))
			for k := 0; time.Now().Before(deadline); k++ {
				t := time.Now()
				if err := fn(cs[i], i, k, r); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				lat[i] = append(lat[i], time.Since(t))
			}
		})
	}
	wg.Wait()
	p := phase{lat: slices.Concat(lat...), failed: failed.Load()}
	if e, ok := firstErr.Load().(string); ok {
		p.firstErr = e
	}
	return p
}
