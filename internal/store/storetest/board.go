package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/mcp-agents/mcp-agents/internal/store"
)

// boardFixture: a critical flag to @web.ui (locked by it), a medium
// broadcast, a low flag to @ops.containers from @web.ui, and a flag to
// @ops.containers completed at once; the clock then moves 1 minute.
func boardFixture(t *testing.T, open Opener) (store.Engine, *Clock, map[string]store.Flag) {
	t.Helper()
	s, c := openClock(t, open)
	ctx := context.Background()
	fs := map[string]store.Flag{}
	fs["critical"] = mustCreate(t, s, func(n *store.NewFlag) {
		n.FlagType, n.ImpactLevel, n.TargetAgent = "breaking_change", "critical", "@web.ui"
		n.ChangeDescription = "First line of the critical change, long enough to pass the rule.\nSecond line."
	})
	c.Advance(time.Second)
	fs["broadcast"] = mustCreate(t, s, func(n *store.NewFlag) { n.TargetAgent = "" })
	c.Advance(time.Second)
	fs["low"] = mustCreate(t, s, func(n *store.NewFlag) { n.ImpactLevel, n.SourceAgent = "low", "@web.ui" })
	c.Advance(time.Second)
	fs["done"] = mustCreate(t, s, func(n *store.NewFlag) { n.ChainOriginID = fs["low"].ID })
	if _, err := s.LockFlag(ctx, fs["critical"].ID, "@web.ui", 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CompleteFlag(ctx, fs["done"].ID, "@ops.containers", "done"); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Minute)
	return s, c, fs
}

func boardIDs(fs []store.BoardFlag) []int64 {
	out := []int64{}
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return out
}

func testBoardSummary(t *testing.T, open Opener) {
	s, _, fs := boardFixture(t, open)
	sum, err := s.Board(context.Background(), store.BoardQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.PendingTotal != 3 || sum.LockedTotal != 1 || sum.Broadcasts != 1 || sum.CompletedTotal != 1 {
		t.Errorf("totals: pending %d locked %d broadcasts %d completed %d, want 3 1 1 1",
			sum.PendingTotal, sum.LockedTotal, sum.Broadcasts, sum.CompletedTotal)
	}
	if sum.BroadcastsUrgent != 0 || sum.BroadcastsLocked != 0 {
		t.Errorf("broadcasts: urgent %d locked %d, want 0 0", sum.BroadcastsUrgent, sum.BroadcastsLocked)
	}
	var impacts []string
	for _, g := range sum.Pending {
		impacts = append(impacts, g.Impact)
		if g.Total != len(g.Flags) {
			t.Errorf("group %s: total %d, %d flags", g.Impact, g.Total, len(g.Flags))
		}
	}
	if !slices.Equal(impacts, []string{"critical", "medium", "low"}) {
		t.Errorf("groups %v, want critical, medium, low", impacts)
	}
	crit := sum.Pending[0].Flags[0]
	if crit.Change != "First line of the critical change, long enough to pass the rule." {
		t.Errorf("change = %q, want its first line", crit.Change)
	}
	if crit.LockedBy == nil || *crit.LockedBy != "@web.ui" || crit.LockExpiresAt == nil {
		t.Errorf("critical flag's lease: %v %v", crit.LockedBy, crit.LockExpiresAt)
	}
	if got := boardIDs(sum.Locked); !slices.Equal(got, []int64{fs["critical"].ID}) {
		t.Errorf("locked = %v", got)
	}
	want := []store.InboxCount{{Agent: "@web.ui", Pending: 1, Urgent: 1, Locked: 1}, {Agent: "@ops.containers", Pending: 1}}
	if !slices.Equal(sum.Inboxes, want) {
		t.Errorf("inboxes = %+v, want %+v", sum.Inboxes, want)
	}
	if got := boardIDs(sum.Completed); !slices.Equal(got, []int64{fs["done"].ID}) {
		t.Errorf("completed = %v", got)
	}
	// 4 created, 1 locked, 1 completed; newest first.
	if len(sum.Events) != 6 || sum.Events[0].Kind != store.EventCompleted || sum.Events[5].Kind != store.EventCreated {
		t.Errorf("events = %+v", sum.Events)
	}
	if sum.Events[0].Flag.ID != fs["done"].ID {
		t.Errorf("newest event's flag = %d", sum.Events[0].Flag.ID)
	}
	if !slices.Equal(sum.Agents, []string{"@backend.api", "@ops.containers", "@web.ui"}) {
		t.Errorf("agents = %v", sum.Agents)
	}

	// A locked broadcast is counted in the broadcasts' row.
	if _, err := s.LockFlag(context.Background(), fs["broadcast"].ID, "@web.ui", 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	if sum, err = s.Board(context.Background(), store.BoardQuery{}); err != nil || sum.BroadcastsLocked != 1 || sum.LockedTotal != 2 {
		t.Errorf("after locking the broadcast: broadcasts locked %d, locked %d (%v), want 1, 2", sum.BroadcastsLocked, sum.LockedTotal, err)
	}

	// Stored as written, a change that starts with blank lines shows its
	// first line with text.
	blank := mustCreate(t, s, func(n *store.NewFlag) {
		n.ChangeDescription = "\n\n  The first line with text comes after two blank ones, as sent.\nSecond line."
	})
	if sum, err = s.Board(context.Background(), store.BoardQuery{}); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, g := range sum.Pending {
		for _, b := range g.Flags {
			if b.ID == blank.ID {
				found = true
				if b.Change != "The first line with text comes after two blank ones, as sent." {
					t.Errorf("change shown as %q", b.Change)
				}
			}
		}
	}
	if !found {
		t.Errorf("flag %d not on the board", blank.ID)
	}
}

func testBoardFilters(t *testing.T, open Opener) {
	s, _, fs := boardFixture(t, open)
	pendingIDs := func(sum store.BoardSummary) []int64 {
		var out []int64
		for _, g := range sum.Pending {
			out = append(out, boardIDs(g.Flags)...)
		}
		slices.Sort(out)
		return out
	}
	tests := []struct {
		name      string
		q         store.BoardQuery
		pending   []int64
		completed []int64
	}{
		{"agent keeps sent, received and broadcasts", store.BoardQuery{Agent: "@WEB.ui"}, []int64{fs["critical"].ID, fs["broadcast"].ID, fs["low"].ID}, []int64{}},
		{"agent target", store.BoardQuery{Agent: "@ops.containers"}, []int64{fs["broadcast"].ID, fs["low"].ID}, []int64{fs["done"].ID}},
		{"type", store.BoardQuery{FlagType: "breaking_change"}, []int64{fs["critical"].ID}, []int64{}},
		{"impact", store.BoardQuery{ImpactLevel: "low"}, []int64{fs["low"].ID}, []int64{}},
		{"status pending", store.BoardQuery{Status: "pending"}, []int64{fs["critical"].ID, fs["broadcast"].ID, fs["low"].ID}, []int64{}},
		{"status completed", store.BoardQuery{Status: "completed"}, nil, []int64{fs["done"].ID}},
		{"two filters", store.BoardQuery{Agent: "@ops.containers", ImpactLevel: "medium"}, []int64{fs["broadcast"].ID}, []int64{fs["done"].ID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sum, err := s.Board(context.Background(), tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := pendingIDs(sum); !slices.Equal(got, tt.pending) {
				t.Errorf("pending = %v, want %v", got, tt.pending)
			}
			if got := boardIDs(sum.Completed); !slices.Equal(got, tt.completed) {
				t.Errorf("completed = %v, want %v", got, tt.completed)
			}
			for _, e := range sum.Events {
				if tt.q.FlagType != "" && e.Flag.FlagType != tt.q.FlagType {
					t.Errorf("event of flag %d (%s) passed the type filter", e.FlagID, e.Flag.FlagType)
				}
			}
		})
	}
}

func testBoardRejectsBadFilters(t *testing.T, open Opener) {
	s := openTest(t, open)
	for _, tt := range []struct {
		q     store.BoardQuery
		field string
	}{
		{store.BoardQuery{Agent: "no such/agent"}, "agent"},
		{store.BoardQuery{FlagType: "rumour"}, "flag_type"},
		{store.BoardQuery{ImpactLevel: "huge"}, "impact_level"},
		{store.BoardQuery{Status: "open"}, "status"},
		{store.BoardQuery{Rows: -1}, "rows"},
	} {
		_, err := s.Board(context.Background(), tt.q)
		if se := wantCode(t, err, store.CodeInvalid); se.Field != tt.field {
			t.Errorf("%+v: field %q, want %q", tt.q, se.Field, tt.field)
		}
	}
}

// Leases run out and completions leave the 24-hour window as the clock
// moves, without any write.
func testBoardTimeWindows(t *testing.T, open Opener) {
	s, c, fs := boardFixture(t, open)
	ctx := context.Background()
	c.Advance(10 * time.Minute)
	sum, err := s.Board(ctx, store.BoardQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.LockedTotal != 0 || len(sum.Locked) != 0 || sum.Inboxes[0].Locked != 0 {
		t.Errorf("an expired lease still shows: %d %v %+v", sum.LockedTotal, boardIDs(sum.Locked), sum.Inboxes)
	}
	c.Advance(23 * time.Hour)
	later := mustCreate(t, s, func(n *store.NewFlag) {})
	if _, err := s.CompleteFlag(ctx, later.ID, "@ops.containers", ""); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Hour)
	sum, err = s.Board(ctx, store.BoardQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if got := boardIDs(sum.Completed); sum.CompletedTotal != 1 || !slices.Equal(got, []int64{later.ID}) {
		t.Errorf("completed in 24 h = %d %v, want only %d (not %d)", sum.CompletedTotal, got, later.ID, fs["done"].ID)
	}
	c.Advance(48 * time.Hour)
	if sum, err = s.Board(ctx, store.BoardQuery{}); err != nil || sum.CompletedTotal != 0 {
		t.Errorf("completed after two days: %d, %v", sum.CompletedTotal, err)
	}
}
