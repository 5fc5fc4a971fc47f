package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestWriteCancelledMidTransaction: the statements inside a write
// transaction do not watch the call's context (writeOnce), so a call
// cancelled after BEGIN must still store nothing and say it was
// cancelled, whether the rollback comes before the next statement, before
// COMMIT, or not at all until COMMIT sees the ended context.
func TestWriteCancelledMidTransaction(t *testing.T) {
	for _, tc := range []struct {
		name  string
		pause time.Duration // after cancel, before the statement: lets database/sql roll back first
	}{
		{"statement races the rollback", 0},
		{"rolled back before the statement", 50 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t)
			f := mustCreate(t, s, nil)
			ctx, cancel := context.WithCancel(context.Background())
			err := s.writeTx(ctx, "test", []string{sqlInsertEvent}, func(w *txn) error {
				cancel()
				time.Sleep(tc.pause)
				_, err := w.exec(sqlInsertEvent, f.ID, EventLocked, "@a.b", nil, formatTime(time.Now()), nil)
				return err
			})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("writeTx with its context cancelled inside = %v, want context.Canceled", err)
			}
			d, err := s.GetFlag(context.Background(), f.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Events) != 1 {
				t.Fatalf("events after a cancelled write = %+v, want only the created event", d.Events)
			}
			// The write connection is usable again.
			if _, err := s.LockFlag(context.Background(), f.ID, "@a.b", time.Minute); err != nil {
				t.Fatalf("LockFlag after a cancelled write: %v", err)
			}
		})
	}
}
