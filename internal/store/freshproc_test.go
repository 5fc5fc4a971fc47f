package store

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// timeOpen is the "timeopen" child: the first Open of a fresh process, as
// the server does at start-up, and the first write after it, which pays
// for whatever Open deferred. It reports nanoseconds.
func timeOpen(ctx context.Context, db string) error {
	t0 := time.Now()
	s, err := Open(ctx, db)
	if err != nil {
		return err
	}
	defer s.Close()
	open := time.Since(t0)
	if _, err := s.LockFlag(ctx, 1, "@bench", time.Minute); err != nil {
		return err
	}
	fmt.Printf("RESULT timing %d %d\n", open.Nanoseconds(), time.Since(t0).Nanoseconds())
	return nil
}

// BenchmarkOpenFreshProcess runs Open once per child process on a current
// database. ns/op is dominated by spawning the child; the metrics are the
// child's own figures: open-µs (Open alone) and first-lock-µs (Open plus
// the first LockFlag).
func BenchmarkOpenFreshProcess(b *testing.B) {
	if testing.Short() {
		b.Skip("multi-process")
	}
	db := filepath.Join(b.TempDir(), "agents.db")
	s, err := Open(context.Background(), db)
	if err != nil {
		b.Fatal(err)
	}
	mustCreate(b, s, nil)
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	var open, first time.Duration
	for b.Loop() {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.timeout=60s")
		cmd.Env = append(os.Environ(), envHelper+"=timeopen", envDB+"="+db)
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("child: %v\n%s", err, out)
		}
		var o, f int64
		for l := range strings.Lines(string(out)) {
			if rest, ok := strings.CutPrefix(strings.TrimSpace(l), "RESULT timing "); ok {
				fs := strings.Fields(rest)
				o, _ = strconv.ParseInt(fs[0], 10, 64)
				f, _ = strconv.ParseInt(fs[1], 10, 64)
			}
		}
		if o == 0 {
			b.Fatalf("child printed no timing:\n%s", out)
		}
		open += time.Duration(o)
		first += time.Duration(f)
	}
	b.ReportMetric(float64(open.Microseconds())/float64(b.N), "open-µs")
	b.ReportMetric(float64(first.Microseconds())/float64(b.N), "first-lock-µs")
}
