package store

import (
	"context"
	"testing"
	"time"
)

func cacheLen(c *stmtCache) int {
	n := 0
	c.m.Range(func(any, any) bool { n++; return true })
	return n
}

// Statements are cached by SQL text, so values must travel as parameters:
// calls that differ only in values reuse the cached statements instead of
// growing the cache.
func TestStatementCacheReusedAcrossValues(t *testing.T) {
	ctx := context.Background()
	s, clk := openClock(t)
	round := func(i int) {
		t.Helper()
		a, b := "@agent"+itoa(i), "@other"+itoa(i)
		root := mustCreate(t, s, nil)
		child := mustCreate(t, s, func(f *NewFlag) { f.ChainOriginID = root.ID; f.TargetAgent = a })
		if _, err := s.LockFlag(ctx, child.ID, a, time.Duration(i+1)*time.Minute); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UnlockFlag(ctx, child.ID, b, true); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CompleteFlag(ctx, child.ID, b, "notes "+itoa(i)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetFlag(ctx, child.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AgentFlags(ctx, AgentFlagsQuery{Agent: a, Status: "all", Limit: i + 1}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.ListFlags(ctx, ListQuery{SourceAgent: "@backend.api", ChainOriginID: root.ID, Limit: i + 2}); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Hour)
	}
	round(0)
	w, r := cacheLen(&s.cur.wstmts), cacheLen(&s.cur.rstmts)
	if w == 0 || r == 0 {
		t.Fatalf("nothing cached: %d write, %d read statements", w, r)
	}
	for i := 1; i < 5; i++ {
		round(i)
	}
	if w2, r2 := cacheLen(&s.cur.wstmts), cacheLen(&s.cur.rstmts); w2 != w || r2 != r {
		t.Errorf("cache grew with new values: write %d -> %d, read %d -> %d", w, w2, r, r2)
	}
	p := s.cur
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if n := cacheLen(&p.wstmts) + cacheLen(&p.rstmts); n != 0 {
		t.Errorf("Close left %d statements cached", n)
	}
}
