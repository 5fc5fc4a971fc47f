package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/mcp-agents/mcp-agents/internal/store"
)

func testCountAgentFlags(t *testing.T, open Opener) {
	s, clock := openClock(t, open)
	ctx := context.Background()
	mine := mustCreate(t, s, func(f *store.NewFlag) { f.TargetAgent = "@ops.containers" })
	held := mustCreate(t, s, func(f *store.NewFlag) { f.TargetAgent = "@ops.containers" })
	mustCreate(t, s, func(f *store.NewFlag) { f.TargetAgent = "" })
	mustCreate(t, s, func(f *store.NewFlag) { f.TargetAgent = "@someone.else" })
	done := mustCreate(t, s, func(f *store.NewFlag) { f.TargetAgent = "@ops.containers" })
	if _, err := s.CompleteFlag(ctx, done.ID, "@ops.containers", "done"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LockFlag(ctx, mine.ID, "@other.agent", time.Minute); err != nil {
		t.Fatal(err)
	}
	// The agent's own lease does not hide a flag from it.
	if _, err := s.LockFlag(ctx, held.ID, "@ops.containers", time.Minute); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		q    store.AgentFlagsQuery
		want int
	}{
		{store.AgentFlagsQuery{Agent: "@ops.containers", IncludeLocked: true, Limit: 1}, 3},
		{store.AgentFlagsQuery{Agent: "ops.containers", IncludeLocked: false}, 2},
		{store.AgentFlagsQuery{Agent: "@ops.containers", Status: "all", IncludeLocked: true}, 4},
		{store.AgentFlagsQuery{Agent: "@ops.containers", Status: "completed", IncludeLocked: true}, 1},
		{store.AgentFlagsQuery{Agent: "@nobody.here", IncludeLocked: true}, 1},
	} {
		n, err := s.CountAgentFlags(ctx, tc.q)
		if err != nil || n != tc.want {
			t.Errorf("CountAgentFlags(%+v) = %d, %v; want %d", tc.q, n, err, tc.want)
		}
		got, err := s.AgentFlags(ctx, store.AgentFlagsQuery{Agent: tc.q.Agent, Status: tc.q.Status, IncludeLocked: tc.q.IncludeLocked})
		if err != nil || len(got) != tc.want {
			t.Errorf("AgentFlags disagrees: %d flags, %v", len(got), err)
		}
	}
	clock.Advance(2 * time.Minute) // the lease expires: the flag counts again
	if n, _ := s.CountAgentFlags(ctx, store.AgentFlagsQuery{Agent: "@ops.containers"}); n != 3 {
		t.Errorf("after the lease expired: %d, want 3", n)
	}
	if _, err := s.CountAgentFlags(ctx, store.AgentFlagsQuery{Agent: "bad/handle"}); err == nil {
		t.Error("bad handle: want an error")
	}
}
