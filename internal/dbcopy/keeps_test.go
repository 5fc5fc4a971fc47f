package dbcopy_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mcp-agents/mcp-agents/internal/dbcopy"
	"github.com/mcp-agents/mcp-agents/internal/store"
	"github.com/mcp-agents/mcp-agents/internal/store/pgtest"
)

// TestCopyKeepsEverything copies a history and reads every flag, its
// events and chain, every list and every token back from both engines:
// they must be equal, field for field.
func TestCopyKeepsEverything(t *testing.T) {
	ctx := context.Background()
	src, path := history(t)
	pg, conn := target(t, pgtest.URL(t))
	res, err := dbcopy.Copy(ctx, path, conn)
	if err != nil {
		t.Fatal(err)
	}
	if res.Flags != 12 || res.Tokens != 3 || res.Events != 12+3+1+1+1+1 {
		t.Fatalf("copied %+v", res)
	}
	for id := int64(1); id <= 12; id++ {
		want, err := src.GetFlag(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		got, err := pg.GetFlag(ctx, id)
		if err != nil {
			t.Fatalf("flag %d on PostgreSQL: %v", id, err)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("flag %d differs (-SQLite +PostgreSQL):\n%s", id, d)
		}
	}
	wantList, wantTotal, err := src.ListFlags(ctx, store.ListQuery{Status: "all", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	gotList, gotTotal, err := pg.ListFlags(ctx, store.ListQuery{Status: "all", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(wantList, gotList); d != "" || gotTotal != wantTotal {
		t.Errorf("list_flags differs (total %d vs %d):\n%s", wantTotal, gotTotal, d)
	}
	wantTok, _ := src.Tokens(ctx)
	gotTok, err := pg.Tokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(wantTok, gotTok); d != "" {
		t.Errorf("tokens differ (-SQLite +PostgreSQL):\n%s", d)
	}
	// The sequences are past the copied ids.
	f, err := pg.CreateFlag(ctx, store.NewFlag{FlagType: "change", SourceAgent: "@a.b", ChangeDescription: desc, ActionRequired: action})
	if err != nil {
		t.Fatal(err)
	}
	if f.ID != 13 {
		t.Errorf("the next flag on PostgreSQL got id %d, want 13", f.ID)
	}
	d, err := pg.GetFlag(ctx, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Events) != 1 || d.Events[0].ID != res.Events+1 {
		t.Errorf("the next event got id %d, want %d", d.Events[0].ID, res.Events+1)
	}
}
