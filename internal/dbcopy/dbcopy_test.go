package dbcopy_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mcp-agents/mcp-agents/internal/auth"
	"github.com/mcp-agents/mcp-agents/internal/dbcopy"
	"github.com/mcp-agents/mcp-agents/internal/store"
	"github.com/mcp-agents/mcp-agents/internal/store/pgtest"
	"github.com/mcp-agents/mcp-agents/internal/store/postgres"
)

// target opens the PostgreSQL database (creating the schema) and a
// connection to copy through.
func target(t *testing.T, dbURL string) (*postgres.Store, *pgx.Conn) {
	t.Helper()
	ctx := context.Background()
	pg, err := postgres.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Close() })
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(ctx) })
	return pg, conn
}

const (
	desc   = "The users table gained a preferences JSON column used for personalisation."
	action = "Update the ORM model for users, add the preferences field to the API serializer, and run the migration in staging before release."
)

// history fills a SQLite database with every kind of row: flags with and
// without targets, chains, JSON context, leases, takeovers, completions,
// events made under tokens, and tokens expired, revoked and live.
func history(t *testing.T) (*store.Store, string) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "agents.db")
	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var tokens []store.Token
	for i, role := range []auth.Role{auth.RoleAgent, auth.RoleAdmin, auth.RoleObserver} {
		id, secret, err := auth.NewToken()
		if err != nil {
			t.Fatal(err)
		}
		tok, err := st.CreateToken(ctx, store.NewToken{ID: id, Hash: auth.Hash(secret), Agent: "@backend.api", Role: role,
			CanBroadcast: i == 0, TTL: time.Duration(i) * time.Hour, Note: "note " + string(role)})
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, tok)
	}
	if _, err := st.RevokeToken(ctx, tokens[2].ID); err != nil {
		t.Fatal(err)
	}
	asToken := auth.With(ctx, auth.Principal{TokenID: tokens[0].ID, Agent: "@backend.api", Role: auth.RoleAgent, CanBroadcast: true})
	for i := range 12 {
		in := store.NewFlag{FlagType: "change", SourceAgent: "@backend.api", TargetAgent: "@frontend.react",
			ChangeDescription: desc, ActionRequired: action, RelatedFiles: []string{"a.go", "b/ü.go"},
			Context: json.RawMessage(`{"z": 1, "a": {"nested": [1, 2.5, "x"]}, "k": null}`)}
		c := ctx
		switch i % 4 {
		case 1:
			in.TargetAgent, in.ImpactLevel = "", "low"
			c = asToken
		case 2:
			in.FlagType, in.ImpactLevel, in.ChainOriginID = "security", "critical", 1
			in.CodeLocation, in.ExampleUsage, in.Context = "auth/login.go:42", "login(user)", nil
		case 3:
			in.RelatedFiles = nil
		}
		if _, err := st.CreateFlag(c, in); err != nil {
			t.Fatal(err)
		}
	}
	for _, step := range []func() error{
		func() error { _, err := st.LockFlag(ctx, 1, "@frontend.react", time.Hour); return err },
		func() error { _, err := st.LockFlag(ctx, 2, "@frontend.react", time.Millisecond); return err },
		func() error {
			time.Sleep(5 * time.Millisecond)
			_, err := st.LockFlag(asToken, 2, "@ops.containers", time.Hour)
			return err
		},
		func() error { _, err := st.CompleteFlag(ctx, 3, "@frontend.react", "done, see PR 12"); return err },
		func() error { _, err := st.LockFlag(ctx, 4, "@frontend.react", time.Hour); return err },
		func() error { _, err := st.UnlockFlag(ctx, 4, "@ops.containers", true); return err },
		func() error { _, err := st.CompleteFlag(ctx, 5, "@frontend.react", ""); return err },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	return st, path
}

// count reads how many rows a PostgreSQL table has.
func count(t *testing.T, conn *pgx.Conn, table string) int64 {
	t.Helper()
	var n int64
	if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCopyRefusesANonEmptyTarget: any flag, event or token already in
// the target stops the copy before it writes anything.
func TestCopyRefusesANonEmptyTarget(t *testing.T) {
	ctx := context.Background()
	_, path := history(t)
	_, conn := target(t, pgtest.URL(t))
	if _, err := conn.Exec(ctx, `INSERT INTO tokens (id, hash, agent, role) VALUES ('tok_there', decode(repeat('ab', 32), 'hex'), '@a.b', 'agent')`); err != nil {
		t.Fatal(err)
	}
	_, err := dbcopy.Copy(ctx, path, conn)
	var ne *dbcopy.NotEmptyError
	if !errors.As(err, &ne) || ne.Table != "tokens" || ne.Rows != 1 || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("copy into a database with a token: %v", err)
	}
	for table, want := range map[string]int64{"tokens": 1, "flags": 0, "flag_events": 0} {
		if n := count(t, conn, table); n != want {
			t.Errorf("after the refusal PostgreSQL has %d rows in %s, want %d", n, table, want)
		}
	}
}

// TestCopyIsOneTransaction: a row that cannot be copied (a time that is
// not one, written into the SQLite file by another tool) fails the whole
// copy, and the target stays empty although rows before it were sent.
func TestCopyIsOneTransaction(t *testing.T) {
	ctx := context.Background()
	src, path := history(t)
	src.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("UPDATE flags SET created_at = 'yesterday' WHERE id = 12"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, conn := target(t, pgtest.URL(t))
	_, err = dbcopy.Copy(ctx, path, conn)
	if err == nil || !strings.Contains(err.Error(), "flags row 12, column created_at") {
		t.Fatalf("copy with a bad row: %v", err)
	}
	for _, table := range dbcopy.Tables {
		if n := count(t, conn, table); n != 0 {
			t.Errorf("after the failed copy PostgreSQL has %d rows in %s, want none", n, table)
		}
	}
}

// TestCopyRefusesAMissingFile: no file, no copy (and no file created).
func TestCopyRefusesAMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.db")
	_, err := dbcopy.Copy(context.Background(), path, nil)
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("copy from a missing file: %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the copy created %s", path)
	}
}

// TestCopyVerifiesTheCounts: a target that silently drops rows (here a
// trigger that skips every other event) fails the count check, and the
// copy commits nothing.
func TestCopyVerifiesTheCounts(t *testing.T) {
	ctx := context.Background()
	src, path := history(t)
	src.Close()
	_, conn := target(t, pgtest.URL(t))
	if _, err := conn.Exec(ctx, `CREATE FUNCTION drop_even() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN IF NEW.id % 2 = 0 THEN RETURN NULL; END IF; RETURN NEW; END $$;
		CREATE TRIGGER drop_even BEFORE INSERT ON flag_events FOR EACH ROW EXECUTE FUNCTION drop_even()`); err != nil {
		t.Fatal(err)
	}
	_, err := dbcopy.Copy(ctx, path, conn)
	if err == nil || !strings.Contains(err.Error(), "flag_events: the SQLite file has") ||
		!strings.Contains(err.Error(), "nothing was committed") {
		t.Fatalf("copy into a target that loses rows: err = %v, want the count mismatch", err)
	}
	for _, table := range dbcopy.Tables {
		if n := count(t, conn, table); n != 0 {
			t.Errorf("after the refused copy PostgreSQL has %d rows in %s, want none", n, table)
		}
	}
}

// TestCopyWhileTheTargetIsInUse: a second migrate into the same database
// (or a server writing to it) holds the tables; the copy waits out the
// lock timeout and says what holds them, not the driver's "canceling
// statement due to lock timeout" alone. Nothing is copied.
func TestCopyWhileTheTargetIsInUse(t *testing.T) {
	ctx := context.Background()
	_, path := history(t)
	url := pgtest.URL(t)
	_, conn := target(t, url)
	other, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close(ctx) })
	holder, err := other.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := holder.Exec(ctx, "LOCK TABLE flags IN EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "SET lock_timeout = '200ms'"); err != nil {
		t.Fatal(err)
	}
	_, err = dbcopy.Copy(ctx, path, conn)
	if err == nil || !strings.Contains(err.Error(), "in use by another connection (another migrate, or a server on this database)") {
		t.Fatalf("copy into a database whose tables another connection holds: %v", err)
	}
	if err := holder.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	for _, table := range dbcopy.Tables {
		if n := count(t, conn, table); n != 0 {
			t.Errorf("after the refused copy PostgreSQL has %d rows in %s, want none", n, table)
		}
	}
}
