package store

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// payload is what writer w puts in round r: its prefix says who wrote it, the
// padding makes a torn or mixed write visible.
func payload(w, r, size int) []byte {
	p := fmt.Appendf(nil, "w%d r%d ", w, r)
	return append(p, bytes.Repeat([]byte{byte('a' + w%26)}, size)...)
}

func parsePayload(tb testing.TB, b []byte) (w, r int) {
	tb.Helper()
	head, pad, _ := bytes.Cut(b, []byte(" r"))
	rs, pad, _ := bytes.Cut(pad, []byte(" "))
	w, err1 := strconv.Atoi(strings.TrimPrefix(string(head), "w"))
	r, err2 := strconv.Atoi(string(rs))
	if err1 != nil || err2 != nil || len(pad) == 0 || !bytes.Equal(pad, bytes.Repeat(pad[:1], len(pad))) {
		tb.Fatalf("stored value %.40q is not one intact payload", b)
	}
	return w, r
}

// checkCacheRaces verifies what writers running putRounds must have left:
//   - "shared" holds the last round of some writer (any earlier round of that
//     writer was overwritten by its own later one, so finding it means a
//     write was lost or reordered);
//   - exactly cacheKeep rows remain, and the kept keys of each writer are its
//     latest ones (a writer's puts commit in order).
func checkCacheRaces(t *testing.T, s *Store, writers, rounds int) {
	t.Helper()
	ctx := context.Background()
	got, err := s.Cached(ctx, "shared")
	if err != nil || got == nil {
		t.Fatalf("shared: %v (nil %t)", err, got == nil)
	}
	if w, r := parsePayload(t, got); r != rounds-1 {
		t.Errorf("shared holds writer %d round %d, not the last round %d of any writer", w, r, rounds-1)
	}
	if n := countRows(t, s, "cache"); n != cacheKeep {
		t.Errorf("%d rows remain, want %d", n, cacheKeep)
	}
	for w := range writers {
		kept := false
		for r := range rounds {
			got, err := s.Cached(ctx, fmt.Sprintf("w%d-%d", w, r))
			if err != nil {
				t.Fatal(err)
			}
			if got == nil {
				if kept {
					t.Errorf("writer %d: key of round %d evicted but an earlier one kept", w, r)
				}
				continue
			}
			kept = true
			if gw, gr := parsePayload(t, got); gw != w || gr != r {
				t.Errorf("key w%d-%d holds writer %d round %d", w, r, gw, gr)
			}
		}
	}
}

// putRounds is one writer's work: each round puts a key of its own, then
// "shared". Every writer ends with "shared", so the last put of all is of
// "shared" and it is never evicted, however many writers there are.
func putRounds(ctx context.Context, s *Store, w, rounds, size int) error {
	for r := range rounds {
		if err := s.PutCached(ctx, fmt.Sprintf("w%d-%d", w, r), payload(w, r, size)); err != nil {
			return fmt.Errorf("writer %d round %d own key: %w", w, r, err)
		}
		if err := s.PutCached(ctx, "shared", payload(w, r, size)); err != nil {
			return fmt.Errorf("writer %d round %d shared: %w", w, r, err)
		}
	}
	return nil
}

func TestPutCachedConcurrent(t *testing.T) {
	tests := []struct {
		name              string
		stores, perStore  int // stores on one file stand in for processes
		rounds, blobBytes int
	}{
		{"goroutines on one store", 1, 8, 6, 4 << 10},
		{"several stores", 4, 3, 6, 4 << 10},
		{"several stores, 1 MB blobs", 3, 2, 3, 1 << 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "agents.db")
			stores := make([]*Store, tc.stores)
			for i := range stores {
				stores[i] = openAt(t, path)
			}
			var wg sync.WaitGroup
			errs := make(chan error, tc.stores*tc.perStore)
			for i, s := range stores {
				for g := range tc.perStore {
					w := i*tc.perStore + g
					wg.Go(func() {
						if err := putRounds(context.Background(), s, w, tc.rounds, tc.blobBytes); err != nil {
							errs <- err
						}
					})
				}
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			checkCacheRaces(t, stores[0], tc.stores*tc.perStore, tc.rounds)
		})
	}
}

func TestProcessesPutCached(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process")
	}
	const procs, rounds = 4, 5
	db := filepath.Join(t.TempDir(), "agents.db")
	for i, r := range runHelpers(t, "cache", db, procs, envFlags+"="+strconv.Itoa(rounds)) {
		for _, l := range r {
			if strings.HasPrefix(l, "error") {
				t.Errorf("child %d: %s", i, l)
			}
		}
	}
	checkCacheRaces(t, openAt(t, db), procs, rounds)
}
