package store

import (
	"context"
	"slices"
	"testing"
	"time"
)

// The totals list_flags reads from flag_counts must equal counting, after
// every kind of change, including rows other tools write, change and
// delete with SQL.
func TestListTotalsMatchCounting(t *testing.T) {
	s, clk := openClock(t)
	ctx := context.Background()
	var ids []int64
	for i := range 30 {
		f := mustCreate(t, s, func(n *NewFlag) {
			n.SourceAgent = []string{"@a.one", "@a.two", "@a.three"}[i%3]
			if i%4 == 0 {
				n.TargetAgent = ""
			}
			n.FlagType = []string{"change", "refactor", "enhancement"}[i%3]
			n.ImpactLevel = []string{"low", "medium"}[i%2]
		})
		ids = append(ids, f.ID)
	}
	for _, id := range ids[:10] {
		if _, err := s.CompleteFlag(ctx, id, "@a.one", ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.LockFlag(ctx, ids[12], "@a.two", time.Minute); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Hour)
	// Another tool: a row with the contract's columns alone, an update and
	// a delete.
	if _, err := s.cur.w.Exec(`INSERT INTO flags (flag_type, source_agent, target_agent, change_description, action_required, created_at)
		VALUES ('change', '@other.tool', '@a.one', ?, ?, '2026-01-01T00:00:00.000Z')`, desc, action); err != nil {
		t.Fatal(err)
	}
	if _, err := s.cur.w.Exec(`UPDATE flags SET impact_level = 'low', source_agent = '@a.two' WHERE id = ?`, ids[20]); err != nil {
		t.Fatal(err)
	}
	if _, err := s.cur.w.Exec(`DELETE FROM flag_events WHERE flag_id = ?; DELETE FROM flags WHERE id = ?`, ids[21], ids[21]); err != nil {
		t.Fatal(err)
	}

	queries := []ListQuery{{}, {Status: "pending"}, {Status: "completed"}, {Status: "all"},
		{SourceAgent: "@a.one"}, {SourceAgent: "@a.two"}, {SourceAgent: "@other.tool"}, {SourceAgent: "@nobody"},
		{TargetAgent: "@ops.containers"}, {TargetAgent: "@a.one"}, {FlagType: "change"}, {FlagType: "refactor"},
		{FlagType: "security"}, {ImpactLevel: "low"}, {ImpactLevel: "medium"}, {Status: "pending", FlagType: "change"}}
	for _, q := range queries {
		q.Limit = 1
		_, got, err := s.ListFlags(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		q.Limit = 0
		fs, _, err := s.ListFlags(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if got != len(fs) {
			t.Errorf("%+v: total %d, %d flags match", q, got, len(fs))
		}
	}
}

// A database with history gets its counters from migration 0004.
func TestFlagCountsBackfilled(t *testing.T) {
	path := t.TempDir() + "/agents.db"
	s := openAt(t, path)
	for i := range 7 {
		f := mustCreate(t, s, nil)
		if i%2 == 0 {
			if _, err := s.CompleteFlag(context.Background(), f.ID, "@a", ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := s.cur.w.Exec(`DROP TRIGGER flag_created_event; DROP TRIGGER flag_counts_insert; DROP TRIGGER flag_counts_update;
		DROP TRIGGER flag_counts_delete; DROP TABLE flag_counts;
		DROP TABLE tokens; ALTER TABLE flag_events DROP COLUMN token_id;
		ALTER TABLE flags DROP COLUMN created_token; ALTER TABLE flags DROP COLUMN created_role; PRAGMA user_version = 3`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openAt(t, path)
	for q, want := range map[ListQuery]int{{}: 7, {Status: "completed"}: 4, {SourceAgent: "@backend.api"}: 7, {TargetAgent: "@ops.containers"}: 7} {
		if _, n, err := s.ListFlags(context.Background(), q); err != nil || n != want {
			t.Errorf("%+v: total %d (%v), want %d", q, n, err, want)
		}
	}
}

// A page of list_flags is the first matching flags by id whatever their
// status, and the total counts every match, for one filter and several.
func TestListFlagsMergesStatuses(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	for i := range 24 {
		f := mustCreate(t, s, func(n *NewFlag) {
			n.SourceAgent = []string{"@a.one", "@a.two"}[i%2]
			n.FlagType = []string{"change", "refactor", "enhancement"}[i%3]
		})
		if i%3 != 1 {
			if _, err := s.CompleteFlag(ctx, f.ID, "@a.one", ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tc := range []struct {
		q    ListQuery
		cond string
	}{
		{ListQuery{SourceAgent: "@a.one"}, "source_agent = '@a.one'"},
		{ListQuery{TargetAgent: "@ops.containers"}, "target_agent = '@ops.containers'"},
		{ListQuery{FlagType: "refactor"}, "flag_type = 'refactor'"},
		{ListQuery{ImpactLevel: "medium"}, "impact_level = 'medium'"},
		{ListQuery{SourceAgent: "@a.two", FlagType: "change"}, "source_agent = '@a.two' AND flag_type = 'change'"},
		{ListQuery{Status: "pending"}, "status = 'pending'"},
		{ListQuery{Status: "completed", SourceAgent: "@a.two"}, "status = 'completed' AND source_agent = '@a.two'"},
	} {
		var want []int64
		rows, err := s.cur.r.QueryContext(ctx, "SELECT id FROM flags NOT INDEXED WHERE "+tc.cond+" ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			want = append(want, id)
		}
		rows.Close()
		if len(want) < 4 {
			t.Fatalf("%s: only %d flags match; the test needs more", tc.cond, len(want))
		}
		tc.q.Limit = 3
		fs, total, err := s.ListFlags(ctx, tc.q)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, f := range fs {
			got = append(got, f.ID)
		}
		if !slices.Equal(got, want[:3]) || total != len(want) {
			t.Errorf("%s: ids %v total %d, want %v total %d", tc.cond, got, total, want[:3], len(want))
		}
	}
}
