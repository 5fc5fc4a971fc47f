package postgres

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mcp-agents/mcp-agents/internal/store"
	"github.com/mcp-agents/mcp-agents/internal/store/pgtest"
)

// A write blocked by another transaction's row lock answers "busy" after
// the lock timeout, as on SQLite, and stores nothing: it waited for the
// whole opTimeout and answered that the database was unreachable and the
// write might have been stored.
func TestLockedRowIsBusy(t *testing.T) {
	defer func(d time.Duration) { lockTimeout = d }(lockTimeout)
	lockTimeout = 300 * time.Millisecond
	url := pgtest.URL(t)
	ctx := context.Background()
	s, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f, err := s.CreateFlag(ctx, newFlag())
	if err != nil {
		t.Fatal(err)
	}
	holder, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(ctx)
	tx, err := holder.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "SELECT id FROM flags WHERE id = $1 FOR UPDATE", f.ID); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = s.LockFlag(ctx, f.ID, "@ops.containers", time.Minute)
	var se *store.Error
	if !errors.As(err, &se) || se.Code != store.CodeBusy || !strings.Contains(se.Message, "busy") || !strings.Contains(se.Message, "nothing was stored") {
		t.Fatalf("lock of a row another transaction holds: %v, want busy, nothing stored", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("answered after %v, want about the lock timeout", d)
	}
	tx.Rollback(ctx)
	got, err := s.GetFlag(ctx, f.ID)
	if err != nil || got.Flag.Locked {
		t.Fatalf("after the refused lock: %+v, %v; want the flag as it was", got.Flag, err)
	}
	// Once the other transaction is gone, the same call succeeds.
	if _, err := s.LockFlag(ctx, f.ID, "@ops.containers", time.Minute); err != nil {
		t.Fatalf("lock after the holder ended: %v", err)
	}
}

// A database already at this version opens without a write, so one set
// read-only serves reads (and refuses writes as read-only); it failed to
// open at all, creating the version table.
func TestReadOnlyDatabaseOpens(t *testing.T) {
	url := pgtest.URL(t)
	ctx := context.Background()
	s, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateFlag(ctx, newFlag()); err != nil {
		t.Fatal(err)
	}
	s.Close()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	name := conn.Config().Database
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{name}.Sanitize()+" SET default_transaction_read_only = on"); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	s, err = Open(ctx, url)
	if err != nil {
		t.Fatalf("Open of a read-only database at this version: %v", err)
	}
	defer s.Close()
	if _, n, err := s.ListFlags(ctx, store.ListQuery{}); err != nil || n != 1 {
		t.Fatalf("list on the read-only database: %d, %v", n, err)
	}
	_, err = s.CreateFlag(ctx, newFlag())
	var se *store.Error
	if !errors.As(err, &se) || !strings.Contains(se.Message, "read-only") {
		t.Fatalf("create on the read-only database: %v, want read-only", err)
	}
}

// A lock_timeout of 0 or of a call's whole time limit or more is refused at
// Open, naming it: a blocked write then ran out of the call's limit first
// and answered that the database was unreachable.
func TestLockTimeoutOutOfRangeIsRefused(t *testing.T) {
	url := pgtest.URL(t)
	for _, v := range []string{"0", "15s", "10000"} {
		s, err := Open(context.Background(), url+"&lock_timeout="+v)
		if err == nil {
			s.Close()
			t.Errorf("lock_timeout=%s: Open succeeded", v)
			continue
		}
		if !strings.Contains(err.Error(), "lock_timeout is") || !strings.Contains(err.Error(), "must be over 0 and under 10s") {
			t.Errorf("lock_timeout=%s: %v, want it named with the rule", v, err)
		}
	}
	s, err := Open(context.Background(), url+"&lock_timeout=2s")
	if err != nil {
		t.Fatalf("lock_timeout=2s: %v", err)
	}
	s.Close()
}
