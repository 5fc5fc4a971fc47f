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
			if len(sum.Events) == 0 {
				t.Error("no events")
			}
			for _, e := range sum.Events {
				if tt.q.FlagType != "" && e.Flag.FlagType != tt.q.FlagType {
					t.Errorf("event of flag %d (%s) passed the type filter", e.FlagID, e.Flag.FlagType)
				}
				if tt.q.Status != "" && e.Flag.Status != tt.q.Status {
					t.Errorf("%s event of flag %d (%s) passed the status filter", e.Kind, e.FlagID, e.Flag.Status)
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
		{store.BoardQuery{List: "inboxes"}, "list"},
		{store.BoardQuery{Page: 2}, "page"},
		{store.BoardQuery{List: "events", Page: 2}, "page"},
		{store.BoardQuery{List: "pending", Page: -1}, "page"},
		{store.BoardQuery{Skip: 25}, "offset"},
		{store.BoardQuery{List: "events", Skip: 25}, "offset"},
		{store.BoardQuery{List: "pending", Skip: -1}, "offset"},
		{store.BoardQuery{List: "pending", Skip: 25, Page: 2}, "offset"},
		{store.BoardQuery{Before: 5}, "before"},
		{store.BoardQuery{List: "pending", Before: 5}, "before"},
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

// Every list pages on to its end: flag lists by page (each row once, in
// order, with its offset), events by the Before each page hands on.
func testBoardPages(t *testing.T, open Opener) {
	s, c := openClock(t, open)
	ctx := context.Background()
	var medium, locked, completed []int64
	for i := range 7 {
		f := mustCreate(t, s, nil)
		medium = append(medium, f.ID)
		if i < 5 {
			if _, err := s.LockFlag(ctx, f.ID, "@web.ui", time.Duration(10+i)*time.Minute); err != nil {
				t.Fatal(err)
			}
			locked = append(locked, f.ID)
		}
		c.Advance(time.Second)
	}
	for range 5 {
		f := mustCreate(t, s, func(n *store.NewFlag) { n.ImpactLevel = "low" })
		if _, err := s.CompleteFlag(ctx, f.ID, "@web.ui", ""); err != nil {
			t.Fatal(err)
		}
		completed = append([]int64{f.ID}, completed...) // newest first
		c.Advance(time.Second)
	}
	board := func(q store.BoardQuery) store.BoardSummary {
		t.Helper()
		sum, err := s.Board(ctx, q)
		if err != nil {
			t.Fatalf("%+v: %v", q, err)
		}
		return sum
	}
	// A list's pages, 3 rows each, joined; each page's offset checked.
	walk := func(list string, rows func(store.BoardSummary) (total, offset int, ids []int64)) []int64 {
		t.Helper()
		var all []int64
		for page := 1; page <= 4; page++ {
			sum := board(store.BoardQuery{List: list, Page: page, Rows: 3})
			total, offset, ids := rows(sum)
			if offset != (page-1)*3 || len(ids) != min(3, max(total-offset, 0)) {
				t.Errorf("%s page %d: offset %d, %d rows of %d", list, page, offset, len(ids), total)
			}
			if list != "events" && sum.Events != nil && len(sum.Events) > 0 {
				t.Errorf("list %s read events too", list)
			}
			all = append(all, ids...)
		}
		return all
	}
	got := walk("pending", func(sum store.BoardSummary) (int, int, []int64) {
		if len(sum.Pending) != 1 || len(sum.Locked) != 0 || len(sum.Completed) != 0 || len(sum.Inboxes) != 0 {
			t.Errorf("list pending: groups %d, locked %d, completed %d, inboxes %d", len(sum.Pending), len(sum.Locked), len(sum.Completed), len(sum.Inboxes))
		}
		g := sum.Pending[0]
		return g.Total, g.Offset, boardIDs(g.Flags)
	})
	if !slices.Equal(got, medium) {
		t.Errorf("pending pages %v, want %v", got, medium)
	}
	got = walk("locked", func(sum store.BoardSummary) (int, int, []int64) {
		if len(sum.Pending) != 0 {
			t.Errorf("list locked read pending groups")
		}
		return sum.LockedTotal, sum.LockedOffset, boardIDs(sum.Locked)
	})
	if !slices.Equal(got, locked) {
		t.Errorf("locked pages %v, want %v", got, locked)
	}
	got = walk("completed", func(sum store.BoardSummary) (int, int, []int64) {
		if sum.PendingTotal != 7 || sum.LockedTotal != 5 {
			t.Errorf("list completed lost the totals: %d pending, %d locked", sum.PendingTotal, sum.LockedTotal)
		}
		return sum.CompletedTotal, sum.CompletedOffset, boardIDs(sum.Completed)
	})
	if !slices.Equal(got, completed) {
		t.Errorf("completed pages %v, want %v", got, completed)
	}
	// An offset reads on from any row: where a summary's cut list, which
	// no page starts after, leaves off.
	sk := board(store.BoardQuery{List: "pending", Skip: 2, Rows: 3})
	if g := sk.Pending[0]; g.Offset != 2 || !slices.Equal(boardIDs(g.Flags), medium[2:5]) {
		t.Errorf("pending from offset 2: offset %d, %v, want %v", g.Offset, boardIDs(g.Flags), medium[2:5])
	}
	sk = board(store.BoardQuery{List: "locked", Skip: 4, Rows: 3})
	if sk.LockedOffset != 4 || !slices.Equal(boardIDs(sk.Locked), locked[4:]) {
		t.Errorf("locked from offset 4: offset %d, %v, want %v", sk.LockedOffset, boardIDs(sk.Locked), locked[4:])
	}
	sk = board(store.BoardQuery{List: "completed", Skip: 1, Rows: 3})
	if sk.CompletedOffset != 1 || !slices.Equal(boardIDs(sk.Completed), completed[1:4]) {
		t.Errorf("completed from offset 1: offset %d, %v, want %v", sk.CompletedOffset, boardIDs(sk.Completed), completed[1:4])
	}
	// Without a list each list shows its first rows and says how many.
	sum := board(store.BoardQuery{Rows: 3})
	if g := sum.Pending[0]; g.Total != 7 || g.Offset != 0 || len(g.Flags) != 3 || sum.LockedTotal != 5 || len(sum.Locked) != 3 {
		t.Errorf("summary: group %d of %d, locked %d of %d", len(g.Flags), g.Total, len(sum.Locked), sum.LockedTotal)
	}

	// Events: 12 created, 5 locked, 5 completed; newest first, 4 a page.
	for _, q := range []store.BoardQuery{{List: "events", Rows: 4}, {List: "events", Rows: 4, ImpactLevel: "low"}} {
		want := board(store.BoardQuery{List: "events", Rows: 100, ImpactLevel: q.ImpactLevel}).Events
		var got []store.BoardEvent
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatalf("%+v: events never end", q)
			}
			sum := board(q)
			if len(sum.Events) > 4 {
				t.Fatalf("%+v: %d events on a page of 4", q, len(sum.Events))
			}
			got = append(got, sum.Events...)
			if sum.EventsOlder == nil {
				break
			}
			q.Before = *sum.EventsOlder
		}
		var gotIDs, wantIDs []int64
		for _, e := range got {
			gotIDs = append(gotIDs, e.ID)
		}
		for _, e := range want {
			wantIDs = append(wantIDs, e.ID)
		}
		if n := map[string]int{"": 22, "low": 10}[q.ImpactLevel]; len(wantIDs) != n || !slices.Equal(gotIDs, wantIDs) {
			t.Errorf("impact %q: events paged %v, want %d: %v", q.ImpactLevel, gotIDs, n, wantIDs)
		}
	}
}
