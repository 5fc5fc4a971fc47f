package store

import (
	"context"
	"testing"
	"time"
)

func TestLockRenewTakeover(t *testing.T) {
	ctx := context.Background()
	s, clk := openClock(t)
	f := mustCreate(t, s, nil)

	got, err := s.LockFlag(ctx, f.ID, "@Ops.Containers", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Locked || *got.LockedBy != "@ops.containers" || *got.LockExpiresAt != "2026-01-02T03:05:05.000Z" {
		t.Fatalf("after lock: %+v", got)
	}

	_, err = s.LockFlag(ctx, f.ID, "@other", time.Minute)
	wantCode(t, err, CodeConflict, "@ops.containers", "2026-01-02T03:05:05.000Z")

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
