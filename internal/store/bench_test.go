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
