package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"
)

// blob returns n reproducible pseudo-random bytes, so a truncated or mixed-up
// blob cannot compare equal by accident.
func blob(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func mustPut(tb testing.TB, s *Store, key string, data []byte) {
	tb.Helper()
	if err := s.PutCached(context.Background(), key, data); err != nil {
		tb.Fatalf("PutCached(%q): %v", key, err)
	}
}

func TestCache(t *testing.T) {
	type put struct {
		key  string
		data []byte
	}
	keys := func(from, to int) []put {
		var ps []put
		for i := from; i < to; i++ {
			ps = append(ps, put{"k" + itoa(i), []byte("v" + itoa(i))})
		}
		return ps
	}
	big := blob(1, 3<<20)
	tests := []struct {
		name string
		puts []put
		want map[string][]byte // nil value: a miss
		rows int
	}{
		{"miss on an empty cache", nil, map[string][]byte{"a": nil}, 0},
		{"put then get", []put{{"a", []byte("x")}}, map[string][]byte{"a": []byte("x"), "b": nil, "A": nil}, 1},
		{"replace", []put{{"a", []byte("x")}, {"a", []byte("yy")}}, map[string][]byte{"a": []byte("yy")}, 1},
		{"empty blob is a hit", []put{{"a", []byte{}}}, map[string][]byte{"a": {}}, 1},
		{"nil blob is stored empty", []put{{"a", nil}}, map[string][]byte{"a": {}}, 1},
		{"binary 3 MB blob", []put{{"fp:3f9a", big}}, map[string][]byte{"fp:3f9a": big}, 1},
		{"eight keys all kept", keys(0, 8), map[string][]byte{"k0": []byte("v0"), "k7": []byte("v7")}, 8},
		{"eviction keeps the newest 8", keys(0, 11), map[string][]byte{
			"k0": nil, "k1": nil, "k2": nil, "k3": []byte("v3"), "k10": []byte("v10"),
		}, 8},
		{"rewriting a key makes it newest", append(append(keys(0, 8), put{"k0", []byte("again")}), keys(8, 9)...),
			map[string][]byte{"k0": []byte("again"), "k1": nil, "k2": []byte("v2"), "k8": []byte("v8")}, 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t)
			for _, p := range tc.puts {
				mustPut(t, s, p.key, p.data)
			}
			for k, want := range tc.want {
				got, err := s.Cached(context.Background(), k)
				if err != nil {
					t.Fatalf("Cached(%q): %v", k, err)
				}
				if (got == nil) != (want == nil) || !bytes.Equal(got, want) {
					t.Errorf("Cached(%q) = %d bytes (nil %t), want %d bytes (nil %t)", k, len(got), got == nil, len(want), want == nil)
				}
			}
			if n := countRows(t, s, "cache"); n != tc.rows {
				t.Errorf("%d cache rows, want %d", n, tc.rows)
			}
		})
	}
}

// Cached hands out the driver's slice (ownedBlob), which is only right while
// the driver allocates a new one for every read.
func TestCachedReturnsACopy(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	want := blob(6, 64<<10)
	mustPut(t, s, "a", want)
	mustPut(t, s, "b", blob(7, 64<<10))
	first, _ := s.Cached(ctx, "a")
	first[0]++
	again, _ := s.Cached(ctx, "a")
	if !bytes.Equal(again, want) {
		t.Errorf("second read differs after modifying the first")
	}
	if other, _ := s.Cached(ctx, "b"); &other[0] == &again[0] || &again[0] == &first[0] {
		t.Errorf("reads share a buffer")
	}
	first[0]--
	if !bytes.Equal(first, want) {
		t.Errorf("a later read changed the slice an earlier one returned")
	}
}

func TestCacheKeyRequired(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	_, err := s.Cached(ctx, "")
	if se := wantCode(t, err, CodeInvalid, "key is required"); se.Field != "key" {
		t.Errorf("Cached: field %q", se.Field)
	}
	if se := wantCode(t, s.PutCached(ctx, "", []byte("x")), CodeInvalid, "key is required"); se.Field != "key" {
		t.Errorf("PutCached: field %q", se.Field)
	}
	if n := countRows(t, s, "cache"); n != 0 {
		t.Errorf("%d rows stored by a rejected put", n)
	}
}

func TestCacheSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agents.db")
	data := blob(2, 1<<20)
	s := openAt(t, path)
	mustPut(t, s, "catalog", data)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, path)
	got, err := s.Cached(context.Background(), "catalog")
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("after reopen: %d bytes, %v", len(got), err)
	}
}

func TestCacheCancelledContext(t *testing.T) {
	for _, warm := range []bool{false, true} {
		name := "cold"
		if warm {
			name = "warm" // statements already prepared
		}
		t.Run(name, func(t *testing.T) {
			s := openTest(t)
			if warm {
				mustPut(t, s, "a", []byte("x"))
				if _, err := s.Cached(context.Background(), "a"); err != nil {
					t.Fatal(err)
				}
			}
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if got, err := s.Cached(ctx, "a"); !errors.Is(err, context.Canceled) {
				t.Errorf("Cached = %q, %v; want context.Canceled", got, err)
			}
			if err := s.PutCached(ctx, "b", []byte("y")); !errors.Is(err, context.Canceled) {
				t.Errorf("PutCached: %v; want context.Canceled", err)
			}
			if got, _ := s.Cached(context.Background(), "b"); got != nil {
				t.Errorf("cancelled put stored %q", got)
			}
		})
	}
}

// A start-up path bounded by a deadline must not sit out the 5 s busy
// timeout behind another process's write lock.
func TestPutCachedDeadlineWhileLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agents.db")
	s := openAt(t, path)
	mustPut(t, s, "warm", []byte("x")) // prepare the statements beforehand
	other, err := sql.Open("sqlite", dsn(path, "immediate", false, time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := other.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = s.PutCached(ctx, "k", []byte("y"))
	if err == nil {
		t.Fatal("PutCached succeeded under a foreign write lock")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("PutCached returned after %v (%v), want about the 100ms deadline", d, err)
	}
	// The read pool is not blocked by the writer.
	if got, err := s.Cached(context.Background(), "warm"); err != nil || string(got) != "x" {
		t.Errorf("Cached during a foreign write lock = %q, %v", got, err)
	}
}
