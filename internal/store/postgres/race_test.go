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
