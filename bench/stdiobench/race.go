package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

type raceReport struct {
	Processes          int            `json:"processes"`
	FlagsPerProcess    int            `json:"flags_per_process"`
	CreateSeconds      float64        `json:"create_seconds"`
	CreatesPerSec      float64        `json:"creates_per_sec"`
	CreateP50us        float64        `json:"create_p50_us"`
	CreateP99us        float64        `json:"create_p99_us"`
	CreateErrors       int            `json:"create_errors"`
	LockSeconds        float64        `json:"lock_seconds"`
	LockAttempts       int            `json:"lock_attempts"`
	LockAttemptsPerSec float64        `json:"lock_attempts_per_sec"`
	LockP50us          float64        `json:"lock_p50_us"`
	LockP99us          float64        `json:"lock_p99_us"`
	FlagsCreated       int            `json:"flags_created"`
	LockedExactlyOnce  int            `json:"flags_locked_exactly_once"`
	NeverLocked        int            `json:"flags_never_locked"`
	LockedMoreThanOnce int            `json:"flags_locked_more_than_once"`
	LostRaces          int            `json:"lost_races"`
	WrongHolder        int            `json:"successes_with_wrong_holder"`
	BusyErrors         int            `json:"busy_errors"`
	TransportErrors    int            `json:"transport_errors"`
	ErrorShapes        map[string]int `json:"error_shapes"`
	Pass               bool           `json:"pass"`
}

var digits = regexp.MustCompile(`[0-9]+`)

// errorShape groups error texts that differ only in ids and names.
func errorShape(msg string) string {
	s := digits.ReplaceAllString(msg, "#")
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}

// runRace starts procs servers on one fresh database at once, has each create
// perFlags flags concurrently, then has all of them try to lock every flag,
// each as a different agent. Every process walks the flags in the same order,
// which maximises contention on each row.
func runRace(cfg serverConfig, agents []string, perFlags int) (*raceReport, error) {
	procs := len(agents)
	clients := make([]*client, procs)
	defer func() {
		for _, c := range clients {
			if c != nil {
				_ = c.close()
			}
		}
	}()
	// Starting them together makes them race on creating the schema too.
	errs := make([]error, procs)
	var wg sync.WaitGroup
	for i := range procs {
		wg.Go(func() { clients[i], errs[i] = cfg.start() })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("race process %d: %w", i, err)
		}
	}

	rep := &raceReport{Processes: procs, FlagsPerProcess: perFlags, ErrorShapes: map[string]int{}}
	var mu sync.Mutex
	noteErr := func(msg string, transport bool) {
		mu.Lock()
		defer mu.Unlock()
		rep.ErrorShapes[errorShape(msg)]++
		switch {
		case transport:
			rep.TransportErrors++
		case isBusyError(msg):
			rep.BusyErrors++
		}
	}

	// Phase 1: concurrent creates.
	ids := make([][]any, procs)
	createD := make([][]time.Duration, procs)
	start := time.Now()
	for p := range procs {
		wg.Go(func() {
			for i := range perFlags {
				t0 := time.Now()
				r, err := clients[p].callTool("create_flag", flagArgs(agents[p], "", p*perFlags+i))
				createD[p] = append(createD[p], clients[p].lastAt.Sub(t0))
				if err != nil {
					noteErr(err.Error(), true)
					continue
				}
				if r.IsError {
					noteErr(r.text(), false)
					mu.Lock()
					rep.CreateErrors++
					mu.Unlock()
					continue
				}
				id, err := flagID(r)
				if err != nil {
					noteErr(err.Error(), true)
					continue
				}
				ids[p] = append(ids[p], id)
			}
		})
	}
	wg.Wait()
	createElapsed := time.Since(start)
	all := slices.Concat(ids...)
	rep.FlagsCreated = len(all)
	rep.CreateSeconds = createElapsed.Seconds()
	rep.CreatesPerSec = float64(procs*perFlags) / createElapsed.Seconds()
	cd := slices.Concat(createD...)
	rep.CreateP50us, rep.CreateP99us = usf(percentile(cd, 50)), usf(percentile(cd, 99))

	// Phase 2: everyone locks everything.
	wins := make(map[string]int, len(all))
	lockD := make([][]time.Duration, procs)
	start = time.Now()
	for p := range procs {
		wg.Go(func() {
			for _, id := range all {
				t0 := time.Now()
				r, err := clients[p].callTool("lock_flag", map[string]any{"flag_id": id, "agent": agents[p], "lease_seconds": 3600})
				lockD[p] = append(lockD[p], clients[p].lastAt.Sub(t0))
				switch {
				case err != nil:
					noteErr(err.Error(), true)
				case r.IsError:
					noteErr(r.text(), false)
					mu.Lock()
					rep.LostRaces++
					mu.Unlock()
				case !sameHandle(lockedBy(r), agents[p]):
					// A "success" that hands the flag to someone else
					// would hide a lost race; count it as a wrong answer.
					mu.Lock()
					rep.WrongHolder++
					mu.Unlock()
				default:
					mu.Lock()
					wins[idKey(id)]++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	lockElapsed := time.Since(start)
	rep.LockAttempts = procs * len(all)
	rep.LockSeconds = lockElapsed.Seconds()
	rep.LockAttemptsPerSec = float64(rep.LockAttempts) / lockElapsed.Seconds()
	ld := slices.Concat(lockD...)
	rep.LockP50us, rep.LockP99us = usf(percentile(ld, 50)), usf(percentile(ld, 99))

	for _, id := range all {
		switch n := wins[idKey(id)]; {
		case n == 0:
			rep.NeverLocked++
		case n == 1:
			rep.LockedExactlyOnce++
		default:
			rep.LockedMoreThanOnce++
		}
	}
	// Lost races are the expected outcome for 5 of 6 processes per flag; the
	// lost-race count is checked so a server that silently "succeeds" for
	// everyone cannot pass.
	rep.Pass = rep.FlagsCreated == procs*perFlags &&
		rep.LockedExactlyOnce == rep.FlagsCreated &&
		rep.BusyErrors == 0 && rep.TransportErrors == 0 && rep.WrongHolder == 0 && rep.CreateErrors == 0 &&
		rep.LostRaces == rep.LockAttempts-rep.FlagsCreated
	return rep, nil
}

// sameHandle compares agent handles the way the server normalises them
// (case and the leading @ do not matter); an absent holder is not checked.
func sameHandle(got, want string) bool {
	norm := func(h string) string { return strings.ToLower(strings.TrimPrefix(h, "@")) }
	return got == "" || norm(got) == norm(want)
}

func idKey(id any) string {
	b, _ := json.Marshal(id)
	return string(b)
}

// sortedShapes lists error shapes most frequent first, for the table.
func sortedShapes(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	return keys
}
