package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/mcp-agents/mcp-agents/internal/store"
	"github.com/mcp-agents/mcp-agents/internal/store/pgtest"
)

// Six servers (each its own Store, its own pool, as separate processes
// are) race to lock the same flags: every flag is locked by exactly one of
// them, and every other attempt is a conflict, never a busy or internal
// error.
func TestSixStoresRaceToLock(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	const racers, flags = 6, 60
	stores := make([]*Store, racers)
	for i := range stores {
		s, err := Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores[i] = s
	}
	for range flags {
		if _, err := stores[0].CreateFlag(ctx, newFlag()); err != nil {
			t.Fatal(err)
		}
	}
	winners := make([][]string, flags+1)
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, s := range stores {
		agent := fmt.Sprintf("@racer-%d", i)
		wg.Go(func() {
			<-start
			for id := int64(1); id <= flags; id++ {
				_, err := s.LockFlag(ctx, id, agent, time.Hour)
				var se *store.Error
				switch {
				case err == nil:
					mu.Lock()
					winners[id] = append(winners[id], agent)
					mu.Unlock()
				case errors.As(err, &se) && se.Code == store.CodeConflict:
				default:
					t.Errorf("%s locking %d: %v (want success or a conflict)", agent, id, err)
				}
			}
		})
	}
	close(start)
	wg.Wait()
	for id := int64(1); id <= flags; id++ {
		if len(winners[id]) != 1 {
			t.Errorf("flag %d locked by %v, want exactly one", id, winners[id])
		}
		d, err := stores[1].GetFlag(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Events) != 2 || d.Events[1].Kind != store.EventLocked {
			t.Errorf("flag %d events %+v, want created and one locked", id, d.Events)
		}
		if len(winners[id]) == 1 && (d.Flag.LockedBy == nil || *d.Flag.LockedBy != winners[id][0]) {
			t.Errorf("flag %d held by %v, but %v won", id, d.Flag.LockedBy, winners[id])
		}
	}
}

// Completing races locking: a flag ends either completed (and then
// unlocked) or locked by the winner, and the events say the same.
func TestCompleteRacesLock(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	const flags = 40
	for range flags {
		if _, err := s.CreateFlag(ctx, newFlag()); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for id := int64(1); id <= flags; id++ {
		wg.Go(func() { _, _ = s.LockFlag(ctx, id, "@locker", time.Hour) })
		wg.Go(func() { _, _ = s.CompleteFlag(ctx, id, "@completer", "") })
	}
	wg.Wait()
	for id := int64(1); id <= flags; id++ {
		d, err := s.GetFlag(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, e := range d.Events {
			kinds = append(kinds, e.Kind)
		}
		switch fmt.Sprint(kinds) {
		case "[created completed]":
			if d.Flag.Status != "completed" || d.Flag.Locked || *d.Flag.CompletedBy != "@completer" {
				t.Errorf("flag %d: %+v after %v", id, d.Flag, kinds)
			}
		case "[created locked]":
			if d.Flag.Status != "pending" || !d.Flag.Locked {
				t.Errorf("flag %d: %+v after %v", id, d.Flag, kinds)
			}
		default: // e.g. completed by @completer under @locker's lease
			t.Errorf("flag %d: events %v", id, kinds)
		}
	}
}

func newFlag() store.NewFlag {
	return store.NewFlag{
		FlagType:          "change",
		SourceAgent:       "@backend.api",
		TargetAgent:       "@ops.containers",
		ChangeDescription: "The users table gained a preferences JSON column used for personalisation.",
		ActionRequired:    "Update the ORM model for users, add the preferences field to the API serializer, and run the migration in staging before release.",
	}
}

// When a lease runs out, racers for the flag produce exactly one
// takeover, naming the holder whose lease ran out: the event is decided
// by the row the winning UPDATE locked, not by a read before it.
func TestTakeoverRace(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	const racers = 6
	stores := make([]*Store, racers)
	for i := range stores {
		s, err := Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores[i] = s
	}
	f, err := stores[0].CreateFlag(ctx, newFlag())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stores[0].LockFlag(ctx, f.ID, "@first", time.Millisecond); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond) // the database's clock moves past the lease
	var wg sync.WaitGroup
	var mu sync.Mutex
	var won []string
	for i, s := range stores {
		agent := fmt.Sprintf("@racer-%d", i)
		wg.Go(func() {
			if _, err := s.LockFlag(ctx, f.ID, agent, time.Hour); err == nil {
				mu.Lock()
				won = append(won, agent)
				mu.Unlock()
			} else if se := (*store.Error)(nil); !errors.As(err, &se) || se.Code != store.CodeConflict {
				t.Errorf("%s: %v", agent, err)
			}
		})
	}
	wg.Wait()
	if len(won) != 1 {
		t.Fatalf("winners %v, want one", won)
	}
	d, err := stores[0].GetFlag(ctx, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	last := d.Events[len(d.Events)-1]
	if len(d.Events) != 3 || last.Kind != store.EventTakeover || last.Agent != won[0] ||
		last.PreviousHolder == nil || *last.PreviousHolder != "@first" {
		t.Fatalf("events %+v: want created, locked, one takeover by %s from @first", d.Events, won[0])
	}
}
