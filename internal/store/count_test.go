package store

import (
	"context"
	"testing"
	"time"
)

func TestCountAgentFlags(t *testing.T) {
	s, clock := openClock(t)
	ctx := context.Background()
	mine := mustCreate(t, s, func(f *NewFlag) { f.TargetAgent = "@ops.containers" })
	mustCreate(t, s, func(f *NewFlag) { f.TargetAgent = "@ops.containers" })
	mustCreate(t, s, func(f *NewFlag) { f.TargetAgent = "" })
	mustCreate(t, s, func(f *NewFlag) { f.TargetAgent = "@someone.else" })
	done := mustCreate(t, s, func(f *NewFlag) { f.TargetAgent = "@ops.containers" })
	if _, err := s.CompleteFlag(ctx, done.ID, "@ops.containers", "done"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LockFlag(ctx, mine.ID, "@other.agent", time.Minute); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		q    AgentFlagsQuery
		want int
	}{
		{AgentFlagsQuery{Agent: "@ops.containers", IncludeLocked: true, Limit: 1}, 3},
		{AgentFlagsQuery{Agent: "ops.containers", IncludeLocked: false}, 2},
		{AgentFlagsQuery{Agent: "@ops.containers", Status: "all", IncludeLocked: true}, 4},
		{AgentFlagsQuery{Agent: "@ops.containers", Status: "completed", IncludeLocked: true}, 1},
		{AgentFlagsQuery{Agent: "@nobody.here", IncludeLocked: true}, 1},
	} {
		n, err := s.CountAgentFlags(ctx, tc.q)
		if err != nil || n != tc.want {
			t.Errorf("CountAgentFlags(%+v) = %d, %v; want %d", tc.q, n, err, tc.want)
		}
		got, err := s.AgentFlags(ctx, AgentFlagsQuery{Agent: tc.q.Agent, Status: tc.q.Status, IncludeLocked: tc.q.IncludeLocked})
		if err != nil || len(got) != tc.want {
			t.Errorf("AgentFlags disagrees: %d flags, %v", len(got), err)
		}
	}
	clock.Advance(2 * time.Minute) // the lease expires: the flag counts again
	if n, _ := s.CountAgentFlags(ctx, AgentFlagsQuery{Agent: "@ops.containers"}); n != 3 {
		t.Errorf("after the lease expired: %d, want 3", n)
	}
	if _, err := s.CountAgentFlags(ctx, AgentFlagsQuery{Agent: "bad/handle"}); err == nil {
		t.Error("bad handle: want an error")
	}
}
