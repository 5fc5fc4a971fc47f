package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcp-agents/mcp-agents/internal/auth"
)

func newTestToken(t *testing.T, s *Store, agent string, role auth.Role, ttl time.Duration) (Token, string) {
	t.Helper()
	id, secret, err := auth.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.CreateToken(context.Background(), NewToken{ID: id, Hash: auth.Hash(secret), Agent: agent, Role: role, TTL: ttl})
	if err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	return tok, secret
}

// Flags created under a token before migration 0006 get their creator
// from the "created" event.
func TestProvenanceBackfilled(t *testing.T) {
	path := t.TempDir() + "/agents.db"
	s := openAt(t, path)
	ctx := context.Background()
	tok, _ := newTestToken(t, s, "@backend.api", auth.RoleAdmin, 0)
	f, err := s.CreateFlag(auth.With(ctx, auth.Principal{TokenID: tok.ID, Agent: tok.Agent, Role: auth.RoleAdmin}), validNew())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.cur.w.Exec(`DROP TRIGGER flag_created_event;
		ALTER TABLE flags DROP COLUMN created_token; ALTER TABLE flags DROP COLUMN created_role; PRAGMA user_version = 5`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openAt(t, path)
	d, err := s.GetFlag(ctx, f.ID)
	if err != nil || d.Flag.CreatedBy == nil || *d.Flag.CreatedBy != (Creator{TokenID: tok.ID, Role: "admin"}) {
		t.Fatalf("after migrating: %+v, %v", d.Flag.CreatedBy, err)
	}
}

func TestReady(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agents.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Ready(context.Background()); err != nil {
		t.Fatalf("fresh store not ready: %v", err)
	}
	// Another process holds the write lock: not ready within a second.
	release := holdWriteLock(t, path)
	start := time.Now()
	if err := s.Ready(context.Background()); err == nil || !strings.Contains(err.Error(), "write lock") {
		t.Fatalf("Ready with the lock held elsewhere: %v", err)
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Fatalf("Ready took %s with the lock held", el)
	}
	release()
	if err := s.Ready(context.Background()); err != nil {
		t.Fatalf("after the lock went: %v", err)
	}
	// The file is removed: the path no longer names it.
	removeDB(t, path)
	if err := s.Ready(context.Background()); err == nil || !strings.Contains(err.Error(), "no longer names") {
		t.Fatalf("Ready after removal: %v", err)
	}
}
