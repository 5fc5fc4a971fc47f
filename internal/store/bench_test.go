package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func BenchmarkCreateFlag(b *testing.B) {
	s := openTest(b)
	ctx := context.Background()
	in := validNew()
	in.RelatedFiles = []string{"api/users.py", "models/user.py"}
	in.Context = []byte(`{"migration":"0042_preferences"}`)
	for b.Loop() {
		if _, err := s.CreateFlag(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLockFlag measures lock + renew on one flag: the conditional
// UPDATE, the event row and the read-back.
func BenchmarkLockFlag(b *testing.B) {
	s := openTest(b)
	ctx := context.Background()
	f := mustCreate(b, s, nil)
	for b.Loop() {
		if _, err := s.LockFlag(ctx, f.ID, "@bench", time.Minute); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLockFlagParallel(b *testing.B) {
	s := openTest(b)
	ctx := context.Background()
	f := mustCreate(b, s, nil)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.LockFlag(ctx, f.ID, "@bench", time.Minute); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkAgentFlags(b *testing.B) {
	s := openTest(b)
	ctx := context.Background()
	for range 200 {
		mustCreate(b, s, nil)
	}
	for b.Loop() {
		if _, err := s.AgentFlags(ctx, AgentFlagsQuery{Agent: "@ops.containers", Limit: 20}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenExisting measures what a server pays at start-up on a
// database that is already migrated. "open" is Open alone (Close is not
// timed: shutdown is not on anyone's critical path); "first_lock" adds the
// first write and "first_cached" the first cache read of a 3 MB blob, which
// pay for anything Open deferred (the read pool's first connection, loading
// the schema, preparing the statement).
func BenchmarkOpenExisting(b *testing.B) {
	ctx := context.Background()
	path := b.TempDir() + "/agents.db"
	s, err := Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	f := mustCreate(b, s, nil)
	mustPut(b, s, "catalog", blob(3, 3<<20))
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	firsts := []struct {
		name string
		call func(*Store) error
	}{
		{"open", func(*Store) error { return nil }},
		{"first_lock", func(s *Store) error { _, err := s.LockFlag(ctx, f.ID, "@bench", time.Minute); return err }},
		{"first_cached", func(s *Store) error {
			data, err := s.Cached(ctx, "catalog")
			if err == nil && len(data) != 3<<20 {
				err = fmt.Errorf("read %d bytes", len(data))
			}
			return err
		}},
	}
	for _, first := range firsts {
		b.Run(first.name, func(b *testing.B) {
			for b.Loop() {
				s, err := Open(ctx, path)
				if err != nil {
					b.Fatal(err)
				}
				if err := first.call(s); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := s.Close(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}

var cacheSizes = []struct {
	name string
	n    int
}{{"200KB", 200 << 10}, {"3MB", 3 << 20}, {"8MB", 8 << 20}}

func BenchmarkCached(b *testing.B) {
	ctx := context.Background()
	for _, size := range cacheSizes {
		b.Run(size.name, func(b *testing.B) {
			s := openTest(b)
			mustPut(b, s, "catalog", blob(4, size.n))
			b.SetBytes(int64(size.n))
			for b.Loop() {
				data, err := s.Cached(ctx, "catalog")
				if err != nil || len(data) != size.n {
					b.Fatalf("%d bytes, %v", len(data), err)
				}
			}
		})
	}
}

// BenchmarkPutCached writes more keys than the cache keeps, so most puts
// also evict a row.
func BenchmarkPutCached(b *testing.B) {
	ctx := context.Background()
	for _, size := range cacheSizes {
		b.Run(size.name, func(b *testing.B) {
			s := openTest(b)
			data := blob(5, size.n)
			b.SetBytes(int64(size.n))
			i := 0
			for b.Loop() {
				if err := s.PutCached(ctx, "fp"+itoa(i%(cacheKeep+3)), data); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
