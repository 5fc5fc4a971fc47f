package storetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcp-agents/mcp-agents/internal/store"
)

func testLockRenewTakeover(t *testing.T, open Opener) {
	ctx := context.Background()
	s, clk := openClock(t, open)
	f := mustCreate(t, s, nil)

	got, err := s.LockFlag(ctx, f.ID, "@Ops.Containers", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Locked || *got.LockedBy != "@ops.containers" || *got.LockExpiresAt != "2026-01-02T03:05:05.000Z" {
		t.Fatalf("after lock: %+v", got)
	}

	_, err = s.LockFlag(ctx, f.ID, "@other", time.Minute)
	wantCode(t, err, store.CodeConflict, "@ops.containers", "2026-01-02T03:05:05.000Z")

	clk.Advance(30 * time.Second)
	got, err = s.LockFlag(ctx, f.ID, "ops.containers", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if *got.LockExpiresAt != "2026-01-02T03:05:35.000Z" {
		t.Fatalf("renew expiry = %s", *got.LockExpiresAt)
	}

	clk.Advance(time.Minute) // expires exactly now: expired
	got, err = s.LockFlag(ctx, f.ID, "@other", 10*time.Second)
	if err != nil {
		t.Fatalf("takeover: %v", err)
	}
	if *got.LockedBy != "@other" {
		t.Fatalf("holder after takeover = %s", *got.LockedBy)
	}

	d, err := s.GetFlag(ctx, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range d.Events {
		kinds = append(kinds, e.Kind)
	}
	want := []string{"created", "locked", "renewed", "takeover"}
	if len(kinds) != len(want) {
		t.Fatalf("events = %v, want %v", kinds, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("events = %v, want %v", kinds, want)
		}
	}
	last := d.Events[3]
	if last.PreviousHolder == nil || *last.PreviousHolder != "@ops.containers" || last.Agent != "@other" {
		t.Fatalf("takeover event = %+v", last)
	}
}

func testLockErrors(t *testing.T, open Opener) {
	ctx := context.Background()
	s, _ := openClock(t, open)
	f := mustCreate(t, s, nil)

	_, err := s.LockFlag(ctx, 999, "@a", time.Minute)
	wantCode(t, err, store.CodeNotFound, "999")
	_, err = s.LockFlag(ctx, 0, "@a", time.Minute)
	wantCode(t, err, store.CodeInvalid, "id")
	_, err = s.LockFlag(ctx, f.ID, "@a", 0)
	if se := wantCode(t, err, store.CodeInvalid, "lease"); se.Field != "lease" {
		t.Errorf("Field = %q", se.Field)
	}
	_, err = s.LockFlag(ctx, f.ID, "not a handle", time.Minute)
	if se := wantCode(t, err, store.CodeInvalid, "agent"); se.Field != "agent" {
		t.Errorf("Field = %q", se.Field)
	}
	if _, err := s.CompleteFlag(ctx, f.ID, "@a", ""); err != nil {
		t.Fatal(err)
	}
	_, err = s.LockFlag(ctx, f.ID, "@a", time.Minute)
	wantCode(t, err, store.CodeConflict, "is completed")
	if n := countEvents(t, s); n != 2 {
		t.Errorf("events = %d, want 2 (created, completed): refused calls must not record events", n)
	}
}

func testExpiredLeaseSameAgentIsFreshLock(t *testing.T, open Opener) {
	ctx := context.Background()
	s, clk := openClock(t, open)
	f := mustCreate(t, s, nil)
	if _, err := s.LockFlag(ctx, f.ID, "@a", time.Second); err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * time.Second)
	if _, err := s.LockFlag(ctx, f.ID, "@a", time.Second); err != nil {
		t.Fatal(err)
	}
	d, _ := s.GetFlag(ctx, f.ID)
	if k := d.Events[len(d.Events)-1]; k.Kind != store.EventLocked || k.PreviousHolder != nil {
		t.Errorf("relock after expiry event = %+v, want plain locked", k)
	}
}

func testUnlock(t *testing.T, open Opener) {
	ctx := context.Background()
	s, clk := openClock(t, open)
	f := mustCreate(t, s, nil)

	_, err := s.UnlockFlag(ctx, f.ID, "@a", false)
	wantCode(t, err, store.CodeConflict, "flag 1 is not locked")
	_, err = s.UnlockFlag(ctx, f.ID, "@a", true)
	wantCode(t, err, store.CodeConflict, "is not locked")

	if _, err := s.LockFlag(ctx, f.ID, "@a", time.Minute); err != nil {
		t.Fatal(err)
	}
	_, err = s.UnlockFlag(ctx, f.ID, "@b", false)
	wantCode(t, err, store.CodeConflict, "@a", "2026-01-02T03:05:05.000Z")

	got, err := s.UnlockFlag(ctx, f.ID, "@A", false)
	if err != nil {
		t.Fatal(err)
	}
	if got.Locked || got.LockedBy != nil || got.LockExpiresAt != nil || got.LockedAt != nil {
		t.Fatalf("after unlock: %+v", got)
	}

	if _, err := s.LockFlag(ctx, f.ID, "@a", time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UnlockFlag(ctx, f.ID, "@b", true); err != nil {
		t.Fatalf("force unlock: %v", err)
	}

	if _, err := s.LockFlag(ctx, f.ID, "@a", time.Minute); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	_, err = s.UnlockFlag(ctx, f.ID, "@a", false)
	wantCode(t, err, store.CodeConflict, "is not locked")

	_, err = s.UnlockFlag(ctx, 42, "@a", false)
	wantCode(t, err, store.CodeNotFound)

	d, err := s.GetFlag(ctx, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	type ev struct{ kind, agent, prev string }
	want := []ev{
		{"created", "@backend.api", ""},
		{"locked", "@a", ""},
		{"unlocked", "@a", ""},
		{"locked", "@a", ""},
		{"force_unlocked", "@b", "@a"},
		{"locked", "@a", ""},
	}
	if len(d.Events) != len(want) {
		t.Fatalf("events = %+v", d.Events)
	}
	for i, e := range d.Events {
		prev := ""
		if e.PreviousHolder != nil {
			prev = *e.PreviousHolder
		}
		if (ev{e.Kind, e.Agent, prev}) != want[i] {
			t.Errorf("event %d = %+v, want %+v", i, e, want[i])
		}
		if e.FlagID != f.ID || e.At == "" {
			t.Errorf("event %d = %+v", i, e)
		}
	}
}

func testComplete(t *testing.T, open Opener) {
	ctx := context.Background()
	s, clk := openClock(t, open)
	f := mustCreate(t, s, nil)

	if _, err := s.LockFlag(ctx, f.ID, "@a", time.Minute); err != nil {
		t.Fatal(err)
	}
	_, err := s.CompleteFlag(ctx, f.ID, "@b", "done")
	wantCode(t, err, store.CodeConflict, "@a", "2026-01-02T03:05:05.000Z")

	_, err = s.CompleteFlag(ctx, f.ID, "@a", strings.Repeat("n", store.MaxText+1))
	if se := wantCode(t, err, store.CodeInvalid, "notes"); se.Field != "notes" {
		t.Errorf("Field = %q", se.Field)
	}

	clk.Advance(10 * time.Second)
	got, err := s.CompleteFlag(ctx, f.ID, "@a", "  Not applicable to my module  ")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != "completed" || got.Locked || got.LockedBy != nil ||
		*got.CompletedBy != "@a" || *got.CompletedAt != "2026-01-02T03:04:15.000Z" ||
		*got.Notes != "  Not applicable to my module  " {
		t.Fatalf("completed flag: %+v", got)
	}
	_, err = s.CompleteFlag(ctx, f.ID, "@a", "")
	wantCode(t, err, store.CodeConflict, "flag 1 is completed")
	_, err = s.CompleteFlag(ctx, 7, "@a", "")
	wantCode(t, err, store.CodeNotFound)

	// Another agent may complete once the holder's lease has expired, and
	// anyone may complete an unlocked flag; empty notes stay null.
	g := mustCreate(t, s, nil)
	if _, err := s.LockFlag(ctx, g.ID, "@a", time.Second); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	got, err = s.CompleteFlag(ctx, g.ID, "@b", "")
	if err != nil {
		t.Fatalf("complete after expiry: %v", err)
	}
	if got.Notes != nil {
		t.Errorf("notes = %q, want nil", *got.Notes)
	}
	h := mustCreate(t, s, nil)
	if _, err := s.CompleteFlag(ctx, h.ID, "@c", ""); err != nil {
		t.Fatal(err)
	}
	d, _ := s.GetFlag(ctx, f.ID)
	if e := d.Events[len(d.Events)-1]; e.Kind != store.EventCompleted || e.Agent != "@a" || e.At != "2026-01-02T03:04:15.000Z" {
		t.Errorf("completed event = %+v", e)
	}
}

// Goroutines of one process share the store; exactly one of them wins a
// race to lock a flag, and concurrent reads never fail.
func testConcurrentLockOneWinner(t *testing.T, open Opener) {
	ctx := context.Background()
	s := openTest(t, open)
	const flags, racers = 10, 8
	for range flags {
		mustCreate(t, s, nil)
	}
	wins := make([][]string, flags+1)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := range racers {
		agent := fmt.Sprintf("@racer-%d", g)
		wg.Go(func() {
			for id := int64(1); id <= flags; id++ {
				_, err := s.LockFlag(ctx, id, agent, time.Hour)
				if err != nil && !isCode(err, store.CodeConflict) {
					t.Errorf("lock %d: %v", id, err)
				}
				if err == nil {
					mu.Lock()
					wins[id] = append(wins[id], agent)
					mu.Unlock()
				}
				if _, err := s.AgentFlags(ctx, store.AgentFlagsQuery{Agent: agent, IncludeLocked: true}); err != nil {
					t.Errorf("read: %v", err)
				}
			}
		})
	}
	wg.Wait()
	for id := int64(1); id <= flags; id++ {
		if len(wins[id]) != 1 {
			t.Errorf("flag %d won by %v, want exactly one", id, wins[id])
		}
	}
}
