package store

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Multi-process tests re-execute the test binary; TestHelperProcess is the
// child's entry point and does nothing in a normal run.
const (
	envHelper = "STORE_TEST_HELPER" // child mode: "open", "race" or "timeopen"
	envDB     = "STORE_TEST_DB"
	envStart  = "STORE_TEST_START" // unix nanoseconds at which to begin
	envIndex  = "STORE_TEST_INDEX"
	envFlags  = "STORE_TEST_FLAGS" // flags each child creates
	envProcs  = "STORE_TEST_PROCS"
)

func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(envHelper)
	if mode == "" {
		return
	}
	if err := helperMain(mode); err != nil {
		fmt.Printf("RESULT error %v\n", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func helperMain(mode string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if mode == "timeopen" {
		return timeOpen(ctx, os.Getenv(envDB))
	}
	start, _ := strconv.ParseInt(os.Getenv(envStart), 10, 64)
	time.Sleep(time.Until(time.Unix(0, start)))

	s, err := Open(ctx, os.Getenv(envDB))
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Printf("RESULT applied %d\n", len(s.applied))
	if mode == "open" {
		return nil
	}

	idx, _ := strconv.Atoi(os.Getenv(envIndex))
	perProc, _ := strconv.Atoi(os.Getenv(envFlags))
	procs, _ := strconv.Atoi(os.Getenv(envProcs))
	for i := range perProc {
		f, err := s.CreateFlag(ctx, NewFlag{
			FlagType:          "change",
			SourceAgent:       fmt.Sprintf("@proc-%d", idx),
			ChangeDescription: fmt.Sprintf("process %d flag %d: %s", idx, i, desc),
			ActionRequired:    action,
		})
		if err != nil {
			return fmt.Errorf("create: %w", err)
		}
		fmt.Printf("RESULT created %d\n", f.ID)
	}
	total := procs * perProc
	for {
		_, n, err := s.ListFlags(ctx, ListQuery{})
		if err != nil {
			return fmt.Errorf("list: %w", err)
		}
		if n == total {
			break
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		time.Sleep(5 * time.Millisecond)
	}

	// Two racers per process, each trying every flag in its own order.
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for g := range 2 {
		wg.Go(func() {
			agent := fmt.Sprintf("@proc-%d-%d", idx, g)
			order := rand.Perm(total)
			for _, k := range order {
				id := int64(k + 1)
				_, err := s.LockFlag(ctx, id, agent, time.Hour)
				mu.Lock()
				switch {
				case err == nil:
					fmt.Printf("RESULT locked %d %s\n", id, agent)
				case isCode(err, CodeConflict):
				default:
					if firstErr == nil {
						firstErr = fmt.Errorf("lock %d as %s: %w", id, agent, err)
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return firstErr
}

func isCode(err error, c Code) bool {
	se, ok := err.(*Error)
	return ok && se.Code == c
}

// runHelpers starts n children in mode at the same moment and returns the
// RESULT lines of each.
func runHelpers(t *testing.T, mode, db string, n int, extra ...string) [][]string {
	t.Helper()
	start := time.Now().Add(300 * time.Millisecond).UnixNano()
	cmds := make([]*exec.Cmd, n)
	outs := make([]*bytes.Buffer, n)
	for i := range n {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.timeout=90s")
		cmd.Env = append(os.Environ(),
			envHelper+"="+mode, envDB+"="+db,
			envStart+"="+strconv.FormatInt(start, 10),
			envIndex+"="+strconv.Itoa(i), envProcs+"="+strconv.Itoa(n))
		cmd.Env = append(cmd.Env, extra...)
		outs[i] = new(bytes.Buffer)
		cmd.Stdout, cmd.Stderr = outs[i], outs[i]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i] = cmd
	}
	results := make([][]string, n)
	for i, cmd := range cmds {
		err := cmd.Wait()
		sc := bufio.NewScanner(bytes.NewReader(outs[i].Bytes()))
		for sc.Scan() {
			if l, ok := strings.CutPrefix(sc.Text(), "RESULT "); ok {
				results[i] = append(results[i], l)
			}
		}
		if err != nil {
			t.Errorf("child %d: %v\n%s", i, err, outs[i])
		}
	}
	return results
}

func TestProcessesOpenNewDatabaseTogether(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process")
	}
	db := filepath.Join(t.TempDir(), "fresh", "agents.db")
	results := runHelpers(t, "open", db, 8)
	applied := 0
	for i, r := range results {
		if len(r) != 1 || !strings.HasPrefix(r[0], "applied ") {
			t.Errorf("child %d results %q", i, r)
			continue
		}
		n, _ := strconv.Atoi(strings.TrimPrefix(r[0], "applied "))
		applied += n
	}
	if applied != schemaVersion() {
		t.Errorf("migrations applied %d times in total, want %d (each exactly once)", applied, schemaVersion())
	}
	s := openAt(t, db)
	var v int
	if err := s.cur.r.QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != schemaVersion() {
		t.Errorf("user_version = %d (%v)", v, err)
	}
	if len(s.applied) != 0 {
		t.Errorf("parent applied %v after the children", s.applied)
	}
}

func TestProcessesCreateAndRaceToLock(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process")
	}
	const procs, perProc = 4, 25
	db := filepath.Join(t.TempDir(), "agents.db")
	results := runHelpers(t, "race", db, procs, envFlags+"="+strconv.Itoa(perProc))

	created := map[int64]bool{}
	winners := map[int64][]string{}
	for _, r := range results {
		for _, l := range r {
			f := strings.Fields(l)
			switch f[0] {
			case "created":
				id, _ := strconv.ParseInt(f[1], 10, 64)
				if created[id] {
					t.Errorf("id %d created twice", id)
				}
				created[id] = true
			case "locked":
				id, _ := strconv.ParseInt(f[1], 10, 64)
				winners[id] = append(winners[id], f[2])
			case "error":
				t.Errorf("child error: %s", l)
			}
		}
	}
	if len(created) != procs*perProc {
		t.Errorf("%d flags reported created, want %d", len(created), procs*perProc)
	}

	s := openAt(t, db)
	ctx := context.Background()
	flags, total, err := s.ListFlags(ctx, ListQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if total != procs*perProc {
		t.Fatalf("%d flags stored, want %d", total, procs*perProc)
	}
	for _, f := range flags {
		w := winners[f.ID]
		if len(w) != 1 {
			t.Errorf("flag %d locked successfully by %v, want exactly one", f.ID, w)
			continue
		}
		if !f.Locked || *f.LockedBy != w[0] {
			t.Errorf("flag %d: stored holder %v, reported winner %s", f.ID, f.LockedBy, w[0])
		}
		d, err := s.GetFlag(ctx, f.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Events) != 2 || d.Events[1].Kind != EventLocked || d.Events[1].Agent != w[0] {
			t.Errorf("flag %d events %+v", f.ID, d.Events)
		}
	}
}
