package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mcp-agents/mcp-agents/internal/store"
)

func ids(fs []store.Flag) string {
	s := ""
	for i, f := range fs {
		if i > 0 {
			s += ","
		}
		s += fmt.Sprint(f.ID)
	}
	return s
}

func testAgentFlagsOrderingAndBroadcasts(t *testing.T, open Opener) {
	ctx := context.Background()
	s, clk := openClock(t, open)
	create := func(impact, target string) int64 {
		clk.Advance(time.Second)
		return mustCreate(t, s, func(f *store.NewFlag) {
			f.ImpactLevel, f.TargetAgent = impact, target
			if impact == "critical" {
				f.FlagType = "breaking_change"
			}
		}).ID
	}
	create("low", "@ops.containers")      // 1
	create("medium", "")                  // 2 broadcast
	create("critical", "@ops.containers") // 3
	create("high", "@other")              // 4 not ours
	create("medium", "@ops.containers")   // 5
	create("high", "@ops.containers")     // 6
	create("low", "")                     // 7 broadcast
	create("critical", "@ops.containers") // 8

	got, err := s.AgentFlags(ctx, store.AgentFlagsQuery{Agent: "Ops.Containers"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "3,8,6,2,5,1,7"; ids(got) != want {
		t.Errorf("inbox = %s, want %s", ids(got), want)
	}
	got, _ = s.AgentFlags(ctx, store.AgentFlagsQuery{Agent: "@other"})
	if want := "4,2,7"; ids(got) != want {
		t.Errorf("@other inbox = %s, want %s", ids(got), want)
	}
	got, _ = s.AgentFlags(ctx, store.AgentFlagsQuery{Agent: "@nobody"})
	if want := "2,7"; ids(got) != want {
		t.Errorf("@nobody inbox = %s, want %s (broadcasts reach everyone)", ids(got), want)
	}
	got, _ = s.AgentFlags(ctx, store.AgentFlagsQuery{Agent: "@ops.containers", Limit: 2})
	if want := "3,8"; ids(got) != want {
		t.Errorf("limited = %s, want %s", ids(got), want)
	}
}

func testAgentFlagsCreatedAtTieBreaksByID(t *testing.T, open Opener) {
	s, _ := openClock(t, open) // clock never moves: every created_at is equal
	for range 3 {
		mustCreate(t, s, nil)
	}
	got, err := s.AgentFlags(context.Background(), store.AgentFlagsQuery{Agent: "@ops.containers"})
	if err != nil {
		t.Fatal(err)
	}
	if ids(got) != "1,2,3" {
		t.Errorf("inbox = %s", ids(got))
	}
}

func testAgentFlagsStatusAndLocks(t *testing.T, open Opener) {
	ctx := context.Background()
	s, clk := openClock(t, open)
	a := mustCreate(t, s, nil)
	b := mustCreate(t, s, nil)
	c := mustCreate(t, s, nil)
	own := mustCreate(t, s, nil)
	if _, err := s.CompleteFlag(ctx, a.ID, "@ops.containers", "done"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LockFlag(ctx, b.ID, "@someone", time.Minute); err != nil {
		t.Fatal(err)
	}
	// include_locked false hides another agent's leases, not the agent's own.
	if _, err := s.LockFlag(ctx, own.ID, "@ops.containers", time.Minute); err != nil {
		t.Fatal(err)
	}
	q := func(status string, locked bool) string {
		t.Helper()
		got, err := s.AgentFlags(ctx, store.AgentFlagsQuery{Agent: "@ops.containers", Status: status, IncludeLocked: locked})
		if err != nil {
			t.Fatal(err)
		}
		return ids(got)
	}
	for _, tc := range []struct {
		status string
		locked bool
		want   string
	}{
		{"", false, fmt.Sprint(c.ID, ",", own.ID)},
		{"pending", true, fmt.Sprint(b.ID, ",", c.ID, ",", own.ID)},
		{"completed", false, fmt.Sprint(a.ID)},
		{"all", true, "1,2,3,4"},
		{"all", false, "1,3,4"},
	} {
		if got := q(tc.status, tc.locked); got != tc.want {
			t.Errorf("status=%q include_locked=%v: %s, want %s", tc.status, tc.locked, got, tc.want)
		}
	}

	// Once the lease expires, the flag is back in the inbox and shown unlocked.
	clk.Advance(time.Minute)
	if got := q("", false); got != "2,3,4" {
		t.Errorf("after expiry: %s, want 2,3,4", got)
	}
	got, _ := s.AgentFlags(ctx, store.AgentFlagsQuery{Agent: "@ops.containers", IncludeLocked: true})
	assertUnlocked(t, "AgentFlags", got[0])
	list, _, err := s.ListFlags(ctx, store.ListQuery{})
	if err != nil {
		t.Fatal(err)
	}
	assertUnlocked(t, "ListFlags", list[1])
	d, err := s.GetFlag(ctx, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	assertUnlocked(t, "GetFlag", d.Flag)
	assertUnlocked(t, "GetFlag chain", d.Chain[0])

	_, err = s.AgentFlags(ctx, store.AgentFlagsQuery{Agent: "@x", Status: "open"})
	if se := wantCode(t, err, store.CodeInvalid, "status"); se.Field != "status" {
		t.Errorf("Field = %q", se.Field)
	}
	_, err = s.AgentFlags(ctx, store.AgentFlagsQuery{Agent: ""})
	wantCode(t, err, store.CodeInvalid, "agent")
	_, err = s.AgentFlags(ctx, store.AgentFlagsQuery{Agent: "@x", Limit: -1})
	wantCode(t, err, store.CodeInvalid, "limit")
}

func assertUnlocked(t *testing.T, where string, f store.Flag) {
	t.Helper()
	if f.Locked || f.LockedBy != nil || f.LockedAt != nil || f.LockExpiresAt != nil {
		t.Errorf("%s: expired lease shown as locked: %+v", where, f)
	}
}

func testListFlags(t *testing.T, open Opener) {
	ctx := context.Background()
	s, _ := openClock(t, open)
	mustCreate(t, s, nil)                                                                                // 1
	mustCreate(t, s, func(f *store.NewFlag) { f.SourceAgent = "@x"; f.FlagType = "refactor" })           // 2
	mustCreate(t, s, func(f *store.NewFlag) { f.TargetAgent = ""; f.ImpactLevel = "low" })               // 3
	mustCreate(t, s, func(f *store.NewFlag) { f.ChainOriginID = 1; f.TargetAgent = "@y" })               // 4
	mustCreate(t, s, func(f *store.NewFlag) { f.ChainOriginID = 1; f.FlagType = "refactor" })            // 5
	mustCreate(t, s, func(f *store.NewFlag) { f.ChainOriginID = 4; f.FlagType = "information_request" }) // 6
	if _, err := s.CompleteFlag(ctx, 2, "@a", ""); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		q     store.ListQuery
		want  string
		total int
	}{
		{store.ListQuery{}, "1,2,3,4,5,6", 6},
		{store.ListQuery{Status: "all"}, "1,2,3,4,5,6", 6},
		{store.ListQuery{Status: "pending"}, "1,3,4,5,6", 5},
		{store.ListQuery{Status: "completed"}, "2", 1},
		{store.ListQuery{SourceAgent: "X"}, "2", 1},
		{store.ListQuery{TargetAgent: "@Y"}, "4", 1},
		{store.ListQuery{FlagType: "refactor"}, "2,5", 2},
		{store.ListQuery{ImpactLevel: "low"}, "3", 1},
		{store.ListQuery{ChainOriginID: 1}, "4,5", 2},
		{store.ListQuery{Limit: 2}, "1,2", 6},
		{store.ListQuery{Status: "pending", FlagType: "refactor", Limit: 1}, "5", 1},
	}
	for _, tc := range tests {
		got, total, err := s.ListFlags(ctx, tc.q)
		if err != nil {
			t.Fatalf("%+v: %v", tc.q, err)
		}
		if ids(got) != tc.want || total != tc.total {
			t.Errorf("%+v: %s (total %d), want %s (total %d)", tc.q, ids(got), total, tc.want, tc.total)
		}
	}
	for field, q := range map[string]store.ListQuery{
		"status":          {Status: "done"},
		"source_agent":    {SourceAgent: "bad handle"},
		"target_agent":    {TargetAgent: "@"},
		"flag_type":       {FlagType: "nope"},
		"impact_level":    {ImpactLevel: "nope"},
		"chain_origin_id": {ChainOriginID: -2},
		"limit":           {Limit: -1},
	} {
		_, _, err := s.ListFlags(ctx, q)
		if se := wantCode(t, err, store.CodeInvalid, field); se.Field != field {
			t.Errorf("%s: Field = %q", field, se.Field)
		}
	}
	got, total, err := s.ListFlags(ctx, store.ListQuery{SourceAgent: "@nobody"})
	if err != nil || got == nil || len(got) != 0 || total != 0 {
		t.Errorf("no match: %v %d %v, want empty non-nil", got, total, err)
	}
}

func testGetFlagChainTree(t *testing.T, open Opener) {
	ctx := context.Background()
	s, _ := openClock(t, open)
	chain := func(origin int64) int64 {
		return mustCreate(t, s, func(f *store.NewFlag) { f.ChainOriginID = origin }).ID
	}
	root := chain(0)  // 1
	other := chain(0) // 2, unrelated
	a := chain(root)  // 3
	b := chain(root)  // 4
	a1 := chain(a)    // 5
	chain(other)      // 6, unrelated
	a1x := chain(a1)  // 7
	_ = b
	for _, id := range []int64{root, a, b, a1, a1x} {
		d, err := s.GetFlag(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(d.Chain); got != "1,3,4,5,7" {
			t.Errorf("chain of %d = %s, want 1,3,4,5,7", id, got)
		}
		if d.Flag.ID != id {
			t.Errorf("flag = %d, want %d", d.Flag.ID, id)
		}
	}
	d, _ := s.GetFlag(ctx, other)
	if got := ids(d.Chain); got != "2,6" {
		t.Errorf("chain of %d = %s", other, got)
	}
	lone := chain(0)
	d, _ = s.GetFlag(ctx, lone)
	if got := ids(d.Chain); got != fmt.Sprint(lone) {
		t.Errorf("lone chain = %s", got)
	}
	if len(d.Events) != 1 || d.Events[0].Kind != store.EventCreated || d.Events[0].Agent != "@backend.api" {
		t.Errorf("events = %+v", d.Events)
	}
	_, err := s.GetFlag(ctx, 1000)
	wantCode(t, err, store.CodeNotFound, "1000")
}
