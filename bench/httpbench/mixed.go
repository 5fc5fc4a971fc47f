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

// mixed runs the mixed load (80% search_agents and get_agent_flags, 20%
// create_flag, lock_flag and complete_flag) from n clients spread over
// the servers ts (client i talks to ts[i % len(ts)]; they share one
// database), prints its figures, then checks the invariants: every flag
// whose creation was acknowledged is stored, and no flag was granted to
// two agents.
func mixed(name string, ts []target, n int, d time.Duration) {
	var created, locks atomic.Int64
	var mu sync.Mutex
	holders := map[int64]map[string]bool{}
	p := loadSpread(ts, n, d, func(c *rpc, i, k int, r *rand.Rand) error {
		me := "@bench.c" + strconv.Itoa(i)
		switch p := r.IntN(100); {
		case p < 40:
			return c.call("search_agents", map[string]any{"query": queries[r.IntN(len(queries))]}, nil)
		case p < 80:
			return c.call("get_agent_flags", map[string]any{"agent": "@bench.c" + strconv.Itoa(r.IntN(n))}, nil)
		case p < 87:
			err := c.call("create_flag", map[string]any{"flag_type": "change", "source_agent": me,
				"target_agent": "@database.postgres", "change_description": strings.Repeat("The orders schema changed. ", 3),
				"action_required": strings.Repeat("Update the orders queries and their indexes accordingly. ", 3)}, nil)
			if err == nil {
				created.Add(1)
			}
			return err
		case p < 94:
			id := int64(1 + r.IntN(int(max(created.Load(), 1))))
			var out struct {
				Flag struct {
					LockedBy string `json:"locked_by"`
				}
			}
			if err := c.call("lock_flag", map[string]any{"flag_id": id, "agent": me, "lease_seconds": 3600}, &out); err != nil {
				return nil // lost the race, or completed: an answer, not a failure
			}
			locks.Add(1)
			mu.Lock()
			if holders[id] == nil {
				holders[id] = map[string]bool{}
			}
			holders[id][out.Flag.LockedBy] = true
			mu.Unlock()
			return nil
		default:
			id := int64(1 + r.IntN(int(max(created.Load(), 1))))
			_ = c.call("complete_flag", map[string]any{"flag_id": id, "agent": me}, nil)
			return nil
		}
	})
	p.report(name, d)
	// Ask every server: each must see every flag (they share a database).
	stored := -1
	for _, t := range ts {
		c, err := dial(t.url, t.token)
		check(err)
		var list struct{ Total int }
		check(c.call("list_flags", map[string]any{"status": "all", "limit": 1}, &list))
		if stored >= 0 && list.Total != stored {
			fmt.Printf("%-34s   SERVERS DISAGREE: %d and %d flags\n", "", stored, list.Total)
		}
		stored = list.Total
	}
	twice := 0
	for _, h := range holders {
		if len(h) > 1 {
			twice++
		}
	}
	verdict := "ok"
	if created.Load() != int64(stored) || twice > 0 {
		verdict = "VIOLATED"
	}
	fmt.Printf("%-34s   %s: %d flags created, %d stored (lost: %d); %d locks granted, flags locked by two agents: %d\n",
		"", verdict, created.Load(), stored, created.Load()-int64(stored), locks.Load(), twice)
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
