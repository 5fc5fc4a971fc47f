package store

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func openFeed(tb testing.TB, s *Store) *ChangeFeed {
	tb.Helper()
	f, err := s.ChangeFeed()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	return f
}

func TestChangeFeedDataVersionSeesEveryCommit(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	// A second handle on the same file stands for another process.
	other, err := Open(ctx, s.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	f := openFeed(t, s)

	v0, err := f.DataVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := f.DataVersion(ctx); v != v0 {
		t.Fatalf("data_version moved without a commit: %d -> %d", v0, v)
	}
	mustCreate(t, other, nil)
	v1, err := f.DataVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v1 == v0 {
		t.Fatal("data_version did not move after another handle committed")
	}
	mustCreate(t, s, nil)
	if v2, _ := f.DataVersion(ctx); v2 == v1 {
		t.Fatal("data_version did not move after the feed's own store committed")
	}
	if _, err := s.AgentFlags(ctx, AgentFlagsQuery{Agent: "@ops.containers"}); err != nil {
		t.Fatal(err)
	}
	v3, _ := f.DataVersion(ctx)
	if v4, _ := f.DataVersion(ctx); v4 != v3 {
		t.Fatal("data_version moved after a read")
	}
}

func TestChangeFeedChangesCarryTheRecipient(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	f := openFeed(t, s)

	cursor, err := f.LastEventID(ctx)
	if err != nil || cursor != 0 {
		t.Fatalf("LastEventID on an empty database = %d, %v; want 0", cursor, err)
	}
	targeted := mustCreate(t, s, nil)
	broadcast := mustCreate(t, s, func(n *NewFlag) { n.TargetAgent = "" })
	if _, err := s.LockFlag(ctx, targeted.ID, "@ops.containers", time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CompleteFlag(ctx, broadcast.ID, "@qa.tester", ""); err != nil {
		t.Fatal(err)
	}
	got, err := f.ChangesAfter(ctx, cursor)
	if err != nil {
		t.Fatal(err)
	}
	target := "@ops.containers"
	want := []FlagChange{
		{EventID: 1, Pos: 1, FlagID: targeted.ID, Kind: EventCreated, Agent: "@backend.api", Target: &target},
		{EventID: 2, Pos: 2, FlagID: broadcast.ID, Kind: EventCreated, Agent: "@backend.api"},
		{EventID: 3, Pos: 3, FlagID: targeted.ID, Kind: EventLocked, Agent: "@ops.containers", Target: &target},
		{EventID: 4, Pos: 4, FlagID: broadcast.ID, Kind: EventCompleted, Agent: "@qa.tester"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("ChangesAfter(0) (-want +got):\n%s", d)
	}
	if got, _ := f.ChangesAfter(ctx, 3); len(got) != 1 || got[0].EventID != 4 {
		t.Fatalf("ChangesAfter(3) = %+v, want only event 4", got)
	}
	if last, _ := f.LastEventID(ctx); last != 4 {
		t.Fatalf("LastEventID = %d, want 4", last)
	}
}

func TestChangeFeedBatchesABacklog(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	f := openFeed(t, s)
	for range ChangeBatch + 5 {
		mustCreate(t, s, nil)
	}
	first, err := f.ChangesAfter(ctx, 0)
	if err != nil || len(first) != ChangeBatch {
		t.Fatalf("first batch: %d changes, %v; want %d", len(first), err, ChangeBatch)
	}
	rest, err := f.ChangesAfter(ctx, first[len(first)-1].EventID)
	if err != nil || len(rest) != 5 {
		t.Fatalf("second batch: %d changes, %v; want 5", len(rest), err)
	}
}

func TestChangeFeedLeaseExpiry(t *testing.T) {
	ctx := context.Background()
	s, clock := openClock(t)
	f := openFeed(t, s)

	if _, ok, err := f.NextLeaseExpiry(ctx); ok || err != nil {
		t.Fatalf("NextLeaseExpiry with no lease = %v, %v; want none", ok, err)
	}
	a := mustCreate(t, s, nil)
	b := mustCreate(t, s, func(n *NewFlag) { n.TargetAgent = "" })
	start := clock.Now()
	if _, err := s.LockFlag(ctx, a.ID, "@ops.containers", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LockFlag(ctx, b.ID, "@qa.tester", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	next, ok, err := f.NextLeaseExpiry(ctx)
	if err != nil || !ok || !next.Equal(start.Add(10*time.Second)) {
		t.Fatalf("NextLeaseExpiry = %v, %v, %v; want %v", next, ok, err, start.Add(10*time.Second))
	}

	clock.Advance(10 * time.Second)
	got, err := f.LeasesExpired(ctx, start, clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	want := []FlagChange{{FlagID: b.ID, Kind: KindExpired, Agent: "@qa.tester"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("LeasesExpired (-want +got):\n%s", d)
	}
	next, ok, _ = f.NextLeaseExpiry(ctx)
	if !ok || !next.Equal(start.Add(30*time.Second)) {
		t.Fatalf("after the first expiry NextLeaseExpiry = %v, %v; want %v", next, ok, start.Add(30*time.Second))
	}
	// The window is half-open: an expiry already reported is not again.
	if got, _ := f.LeasesExpired(ctx, clock.Now(), clock.Now().Add(time.Second)); len(got) != 0 {
		t.Fatalf("LeasesExpired after the reported window = %+v, want none", got)
	}
	if _, err := s.CompleteFlag(ctx, a.ID, "@ops.containers", ""); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := f.NextLeaseExpiry(ctx); ok {
		t.Fatal("a completed flag's lease is still reported as due to expire")
	}
}

// A database deleted (or replaced) under a running server: the store
// redoes its writes on the new file, and the feed must follow it there,
// saying once that it moved, or pushes and waits would go quiet for good.
func TestChangeFeedFollowsAReplacedFile(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	f := openFeed(t, s)
	mustCreate(t, s, nil)
	mustCreate(t, s, nil)
	if id, err := f.LastEventID(ctx); err != nil || id != 2 {
		t.Fatalf("LastEventID on the first file = %d, %v; want 2", id, err)
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(s.Path() + suffix); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	mustCreate(t, s, nil) // redone on a new file at the path
	if _, err := f.DataVersion(ctx); !errors.Is(err, ErrFeedReplaced) {
		t.Fatalf("DataVersion after the file was replaced: %v, want ErrFeedReplaced", err)
	}
	if id, err := f.LastEventID(ctx); err != nil || id != 1 {
		t.Fatalf("LastEventID on the new file = %d, %v; want 1", id, err)
	}
	chs, err := f.ChangesAfter(ctx, 0)
	if err != nil || len(chs) != 1 {
		t.Fatalf("ChangesAfter(0) on the new file = %+v, %v; want its one event", chs, err)
	}
}
