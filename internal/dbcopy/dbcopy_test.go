package dbcopy_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/mcp-agents/mcp-agents/internal/auth"
	"github.com/mcp-agents/mcp-agents/internal/dbcopy"
	"github.com/mcp-agents/mcp-agents/internal/store"
	"github.com/mcp-agents/mcp-agents/internal/store/postgres"
)

// emptyDatabase returns the URL of a new database on the server
// MCP_AGENTS_TEST_PG names (dropped afterwards), or skips.
func emptyDatabase(t *testing.T) string {
	t.Helper()
	admin := os.Getenv("MCP_AGENTS_TEST_PG")
	if admin == "" {
		t.Skip("MCP_AGENTS_TEST_PG is not set: no PostgreSQL server to copy into (.ci/run starts one)")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("MCP_AGENTS_TEST_PG: %v", err)
	}
	defer conn.Close(ctx)
	var b [6]byte
	rand.Read(b[:])
	name := "dbcopy_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if conn, err := pgx.Connect(ctx, admin); err == nil {
			conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			conn.Close(ctx)
		}
	})
	u, _ := url.Parse(admin)
	u.Path = "/" + name
	return u.String()
}

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
		func() error { time.Sleep(5 * time.Millisecond); _, err := st.LockFlag(asToken, 2, "@ops.containers", time.Hour); return err },
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

// TestCopyKeepsEverything copies a history and reads every flag, its
// events and chain, every list and every token back from both engines:
// they must be equal, field for field.
func TestCopyKeepsEverything(t *testing.T) {
	ctx := context.Background()
	src, path := history(t)
	pg, conn := target(t, emptyDatabase(t))
	res, err := dbcopy.Copy(ctx, path, conn)
	if err != nil {
		t.Fatal(err)
	}
	if res.Flags != 12 || res.Tokens != 3 || res.Events != 12+3+1+1+1+1 {
		t.Fatalf("copied %+v", res)
	}
	for id := int64(1); id <= 12; id++ {
		want, err := src.GetFlag(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		got, err := pg.GetFlag(ctx, id)
		if err != nil {
			t.Fatalf("flag %d on PostgreSQL: %v", id, err)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("flag %d differs (-SQLite +PostgreSQL):\n%s", id, d)
		}
	}
	wantList, wantTotal, err := src.ListFlags(ctx, store.ListQuery{Status: "all", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	gotList, gotTotal, err := pg.ListFlags(ctx, store.ListQuery{Status: "all", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(wantList, gotList); d != "" || gotTotal != wantTotal {
		t.Errorf("list_flags differs (total %d vs %d):\n%s", wantTotal, gotTotal, d)
	}
	wantTok, _ := src.Tokens(ctx)
	gotTok, err := pg.Tokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(wantTok, gotTok); d != "" {
		t.Errorf("tokens differ (-SQLite +PostgreSQL):\n%s", d)
	}
	// The sequences are past the copied ids.
	f, err := pg.CreateFlag(ctx, store.NewFlag{FlagType: "change", SourceAgent: "@a.b", ChangeDescription: desc, ActionRequired: action})
	if err != nil {
		t.Fatal(err)
	}
	if f.ID != 13 {
		t.Errorf("the next flag on PostgreSQL got id %d, want 13", f.ID)
	}
	d, err := pg.GetFlag(ctx, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Events) != 1 || d.Events[0].ID != res.Events+1 {
		t.Errorf("the next event got id %d, want %d", d.Events[0].ID, res.Events+1)
	}
}

// TestCopyRefusesANonEmptyTarget: any flag, event or token already in
// the target stops the copy before it writes anything.
func TestCopyRefusesANonEmptyTarget(t *testing.T) {
	ctx := context.Background()
	_, path := history(t)
	pg, conn := target(t, emptyDatabase(t))
	if _, err := pg.CreateFlag(ctx, store.NewFlag{FlagType: "change", SourceAgent: "@a.b", ChangeDescription: desc, ActionRequired: action}); err != nil {
		t.Fatal(err)
	}
	_, err := dbcopy.Copy(ctx, path, conn)
	var ne *dbcopy.NotEmptyError
	if !errors.As(err, &ne) || ne.Table != "flags" || ne.Rows != 1 || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("copy into a database with a flag: %v", err)
	}
	_, total, err := pg.ListFlags(ctx, store.ListQuery{Status: "all"})
	if err != nil || total != 1 {
		t.Fatalf("after the refusal PostgreSQL has %d flags (%v), want the 1 it had", total, err)
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
	pg, conn := target(t, emptyDatabase(t))
	_, err = dbcopy.Copy(ctx, path, conn)
	if err == nil || !strings.Contains(err.Error(), "flags row 12, column created_at") {
		t.Fatalf("copy with a bad row: %v", err)
	}
	toks, err := pg.Tokens(ctx)
	if err != nil || len(toks) != 0 {
		t.Fatalf("after the failed copy PostgreSQL has %d tokens (%v), want none", len(toks), err)
	}
	if _, total, err := pg.ListFlags(ctx, store.ListQuery{Status: "all"}); err != nil || total != 0 {
		t.Fatalf("after the failed copy PostgreSQL has %d flags (%v), want none", total, err)
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
