package store

import (
	"context"
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

// BenchmarkCompleteFlag measures completing a pending flag: the
// conditional UPDATE, the index entries its status moves and the event.
func BenchmarkCompleteFlag(b *testing.B) {
	s := openTest(b)
	ctx := context.Background()
	var ids []int64
	for range 2000 {
		ids = append(ids, mustCreate(b, s, nil).ID)
	}
	i := 0
	for b.Loop() {
		if i == len(ids) {
			b.StopTimer()
			for range 2000 {
				ids = append(ids, mustCreate(b, s, nil).ID)
			}
			b.StartTimer()
		}
		if _, err := s.CompleteFlag(ctx, ids[i], "@ops.containers", ""); err != nil {
			b.Fatal(err)
		}
		i++
	}
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
// first write, which pays for anything Open deferred.
func BenchmarkOpenExisting(b *testing.B) {
	ctx := context.Background()
	path := b.TempDir() + "/agents.db"
	s, err := Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	f := mustCreate(b, s, nil)
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	for _, first := range []bool{false, true} {
		name := "open"
		if first {
			name = "first_lock"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				s, err := Open(ctx, path)
				if err != nil {
					b.Fatal(err)
				}
				if first {
					if _, err := s.LockFlag(ctx, f.ID, "@bench", time.Minute); err != nil {
						b.Fatal(err)
					}
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
