package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mcp-agents/mcp-agents/internal/auth"
	"github.com/mcp-agents/mcp-agents/internal/store"
)

func newTestToken(t *testing.T, s store.Engine, agent string, role auth.Role, ttl time.Duration) (store.Token, string) {
	t.Helper()
	id, secret, err := auth.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.CreateToken(context.Background(), store.NewToken{ID: id, Hash: auth.Hash(secret), Agent: agent, Role: role, TTL: ttl})
	if err != nil {
		t.Fatalf("CreateToken: %v", err)
	}
	return tok, secret
}

func testTokenLifecycle(t *testing.T, open Opener) {
	s, clock := openClock(t, open)
	ctx := context.Background()
	tok, secret := newTestToken(t, s, "backend.api", auth.RoleAgent, 24*time.Hour)
	if tok.Agent != "@backend.api" || tok.ExpiresAt == nil || tok.CanBroadcast {
		t.Fatalf("created %+v", tok)
	}
	p, err := s.Authenticate(ctx, secret)
	if err != nil || p.TokenID != tok.ID || p.Agent != "@backend.api" || p.Role != auth.RoleAgent {
		t.Fatalf("Authenticate = %+v, %v", p, err)
	}
	// The HTTP side caches a verified token no longer than its expiry.
	if want, _ := time.Parse(store.TimeLayout, *tok.ExpiresAt); !p.Expires.Equal(want) {
		t.Fatalf("Authenticate: Expires = %v, want %v", p.Expires, want)
	}
	if _, err := s.Authenticate(ctx, secret+"x"); !errors.Is(err, auth.ErrBadToken) {
		t.Fatalf("wrong secret: %v, want auth.ErrBadToken", err)
	}
	clock.Advance(25 * time.Hour)
	if _, err := s.Authenticate(ctx, secret); !errors.Is(err, auth.ErrBadToken) || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expired token: %v", err)
	}

	admin, asecret := newTestToken(t, s, "@lead.dev", auth.RoleAdmin, 0)
	if !admin.CanBroadcast || admin.ExpiresAt != nil {
		t.Fatalf("admin token %+v: want broadcast, no expiry", admin)
	}
	if p, err := s.Authenticate(ctx, asecret); err != nil || !p.Expires.IsZero() {
		t.Fatalf("Authenticate(no expiry) = %+v, %v; want a zero Expires", p, err)
	}
	if _, err := s.RevokeToken(ctx, admin.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, asecret); !errors.Is(err, auth.ErrBadToken) || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("revoked token: %v", err)
	}
	if _, err := s.RevokeToken(ctx, admin.ID); err == nil || !strings.Contains(err.Error(), "already revoked") {
		t.Fatalf("second revoke: %v", err)
	}
	if _, err := s.RevokeToken(ctx, "tok_nope"); err == nil || !strings.Contains(err.Error(), "tok_nope") {
		t.Fatalf("revoke unknown: %v", err)
	}
	// A secret given for an id is refused without being repeated.
	for _, given := range []string{secret, "Bearer " + secret, " " + secret, secret + ",", secret[len(auth.TokenPrefix):], "MCPA_" + secret[len(auth.TokenPrefix):]} {
		if _, err := s.RevokeToken(ctx, given); !isCode(err, store.CodeInvalid) || strings.Contains(err.Error(), secret[len(auth.TokenPrefix):]) || !strings.Contains(err.Error(), "secret") {
			t.Fatalf("revoke by %q: %v, want invalid without the secret in it", given, err)
		}
	}
	for _, id := range []string{"tok_\x00", "tok_\xff"} {
		if _, err := s.RevokeToken(ctx, id); !isCode(err, store.CodeNotFound) {
			t.Fatalf("revoke %q: %v, want not found", id, err)
		}
	}
	list, err := s.Tokens(ctx)
	if err != nil || len(list) != 2 || list[0].ID != tok.ID || list[1].RevokedAt == nil {
		t.Fatalf("Tokens = %+v, %v", list, err)
	}
}

func testCreateTokenRejects(t *testing.T, open Opener) {
	s := openTest(t, open)
	h := auth.Hash("x")
	for name, in := range map[string]store.NewToken{
		"agent":         {ID: "a", Hash: h, Agent: "not a handle", Role: auth.RoleAgent},
		"role":          {ID: "b", Hash: h, Agent: "@a", Role: "root"},
		"note":          {ID: "c", Hash: h, Agent: "@a", Role: auth.RoleAgent, Note: strings.Repeat("n", 1001)},
		"note ":         {ID: "d", Hash: h, Agent: "@a", Role: auth.RoleAgent, Note: "a\x00b"},
		"note  ":        {ID: "e", Hash: h, Agent: "@a", Role: auth.RoleAgent, Note: "\xff"},
		"can_broadcast": {ID: "f", Hash: h, Agent: "@a", Role: auth.RoleObserver, CanBroadcast: true},
	} {
		if _, err := s.CreateToken(context.Background(), in); err == nil || !strings.Contains(err.Error(), strings.TrimSpace(name)) {
			t.Errorf("%s: %v, want an error naming %s", name, err, name)
		}
	}
	if list, _ := s.Tokens(context.Background()); len(list) != 0 {
		t.Fatalf("rejected tokens stored: %+v", list)
	}
}

func testTouchTokenAtMostOncePerMinute(t *testing.T, open Opener) {
	s, clock := openClock(t, open)
	ctx := context.Background()
	tok, _ := newTestToken(t, s, "@a", auth.RoleObserver, 0)
	used := func() string {
		list, err := s.Tokens(ctx)
		if err != nil || list[0].LastUsedAt == nil {
			t.Fatalf("last_used_at not set: %+v %v", list, err)
		}
		return *list[0].LastUsedAt
	}
	if err := s.TouchToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	first := used()
	clock.Advance(30 * time.Second)
	_ = s.TouchToken(ctx, tok.ID)
	if got := used(); got != first {
		t.Fatalf("touched again after 30 s: %s -> %s", first, got)
	}
	clock.Advance(31 * time.Second)
	_ = s.TouchToken(ctx, tok.ID)
	if got := used(); got == first {
		t.Fatal("not touched after a minute")
	}
}

func testEventsRecordTheToken(t *testing.T, open Opener) {
	s := openTest(t, open)
	ctx := context.Background()
	tok, _ := newTestToken(t, s, "@backend.api", auth.RoleAgent, 0)
	f, err := s.CreateFlag(auth.With(ctx, auth.Principal{TokenID: tok.ID, Agent: tok.Agent, Role: auth.RoleAgent}), validNew())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.LockFlag(ctx, f.ID, "@x", time.Minute); err != nil {
		t.Fatal(err)
	}
	d, err := s.GetFlag(ctx, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Events) != 2 || d.Events[0].TokenID == nil || *d.Events[0].TokenID != tok.ID || d.Events[1].TokenID != nil {
		t.Fatalf("events %+v: want the token on the first only", d.Events)
	}
	want := &store.Creator{TokenID: tok.ID, Role: "agent"}
	if f.CreatedBy == nil || *f.CreatedBy != *want || d.Flag.CreatedBy == nil || *d.Flag.CreatedBy != *want {
		t.Fatalf("created by %+v (returned) and %+v (read), want %+v", f.CreatedBy, d.Flag.CreatedBy, want)
	}
	inbox, err := s.AgentFlags(ctx, store.AgentFlagsQuery{Agent: "@ops.containers", Status: "pending", IncludeLocked: true})
	if err != nil || len(inbox) != 1 || inbox[0].CreatedBy == nil || *inbox[0].CreatedBy != *want {
		t.Fatalf("inbox %+v, %v: want the creator", inbox, err)
	}
	plain, err := s.CreateFlag(ctx, validNew())
	if err != nil || plain.CreatedBy != nil {
		t.Fatalf("a flag created without a token: %+v, %v", plain.CreatedBy, err)
	}
}

// Flags created under a token before migration 0006 get their creator
// from the "created" event.
