package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/mcp-agents/mcp-agents/internal/store"
)

// testClaimMessages holds every refusal of a claim to its whole text, so
// that the engines, which build these messages separately, cannot drift
// apart on what a client (or the model reading it) is told.
func testClaimMessages(t *testing.T, open Opener) {
	ctx := context.Background()
	s := openTest(t, open)
	f := mustCreate(t, s, nil)
	done := mustCreate(t, s, nil)
	if _, err := s.CompleteFlag(ctx, done.ID, "@a", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LockFlag(ctx, f.ID, "@a", time.Minute); err != nil {
		t.Fatal(err)
	}
	held := "flag 1 is locked by @a until 2026-01-02T03:05:05.000Z; "
	for _, tc := range []struct {
		name string
		call func() error
		code store.Code
		want string
	}{
		{"lock held", func() error { _, err := s.LockFlag(ctx, f.ID, "@b", time.Minute); return err },
			store.CodeConflict, held + "wait for the lease to expire or ask the holder to unlock it"},
		{"unlock held", func() error { _, err := s.UnlockFlag(ctx, f.ID, "@b", false); return err },
			store.CodeConflict, held + "only the holder can unlock it (or unlock with force)"},
		{"complete held", func() error { _, err := s.CompleteFlag(ctx, f.ID, "@b", ""); return err },
			store.CodeConflict, held + "only the holder can complete it until the lease expires"},
		{"lock completed", func() error { _, err := s.LockFlag(ctx, done.ID, "@b", time.Minute); return err },
			store.CodeConflict, "flag 2 is completed (by @a at 2026-01-02T03:04:05.000Z)"},
		{"complete completed", func() error { _, err := s.CompleteFlag(ctx, done.ID, "@b", ""); return err },
			store.CodeConflict, "flag 2 is completed (by @a at 2026-01-02T03:04:05.000Z)"},
		{"unlock completed", func() error { _, err := s.UnlockFlag(ctx, done.ID, "@a", true); return err },
			store.CodeConflict, "flag 2 is not locked: it is completed (by @a at 2026-01-02T03:04:05.000Z)"},
		{"security at the default impact", func() error {
			in := validNew()
			in.FlagType = "security"
			_, err := s.CreateFlag(ctx, in)
			return err
		}, store.CodeInvalid, "impact_level must be critical for flag_type security (got none, which means medium)"},
		{"security at high impact", func() error {
			in := validNew()
			in.FlagType, in.ImpactLevel = "security", "high"
			_, err := s.CreateFlag(ctx, in)
			return err
		}, store.CodeInvalid, "impact_level must be critical for flag_type security (got high)"},
		{"missing", func() error { _, err := s.LockFlag(ctx, 9, "@b", time.Minute); return err },
			store.CodeNotFound, "flag_id 9 does not name an existing flag"},
		{"bad id", func() error { _, err := s.CompleteFlag(ctx, 0, "@b", ""); return err },
			store.CodeInvalid, "flag_id must be a positive integer (got 0)"},
		{"bad lease", func() error { _, err := s.LockFlag(ctx, f.ID, "@b", 0); return err },
			store.CodeInvalid, "lease must be positive (got 0s)"},
	} {
		se := wantCode(t, tc.call(), tc.code)
		if se.Message != tc.want {
			t.Errorf("%s: message %q, want %q", tc.name, se.Message, tc.want)
		}
	}
}
