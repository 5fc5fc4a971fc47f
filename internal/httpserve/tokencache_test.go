package httpserve

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/mcp-agents/mcp-agents/internal/auth"
	"github.com/mcp-agents/mcp-agents/internal/store"
)

// countingTokens knows one token, counts lookups, and can revoke it.
type countingTokens struct {
	lookups int
	revoked bool
	down    bool // the database cannot be reached
	expires time.Time
}

func (c *countingTokens) Authenticate(_ context.Context, tok string) (auth.Principal, error) {
	c.lookups++
	if c.down {
		return auth.Principal{}, store.NewUnavailable("the database is unreachable; nothing was read", errors.New("connection refused"))
	}
	if tok != "mcpa_good" || c.revoked {
		return auth.Principal{}, errors.Join(auth.ErrBadToken, errors.New("unknown or revoked"))
	}
	return auth.Principal{TokenID: "tok_1", Agent: "@a.b", Role: auth.RoleAgent, Expires: c.expires}, nil
}

func (c *countingTokens) TouchToken(context.Context, string) error { return nil }

func TestTokenCache(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		expires time.Duration // from t0; 0: never
		steps   []cacheStep
	}{
		{"a verified token is not looked up again within the TTL", 0, []cacheStep{
			{at: 0, token: "mcpa_good", ok: true, lookups: 1},
			{at: time.Second, token: "mcpa_good", ok: true, lookups: 1},
			{at: TokenCacheTTL - time.Millisecond, token: "mcpa_good", ok: true, lookups: 1},
			{at: TokenCacheTTL, token: "mcpa_good", ok: true, lookups: 2},
		}},
		{"a revocation takes effect once the entry is stale", 0, []cacheStep{
			{at: 0, token: "mcpa_good", ok: true, lookups: 1},
			{at: time.Second, revoke: true, token: "mcpa_good", ok: true, lookups: 1},
			{at: TokenCacheTTL + time.Second, token: "mcpa_good", ok: false, lookups: 2},
			{at: TokenCacheTTL + 2*time.Second, token: "mcpa_good", ok: false, lookups: 3},
		}},
		{"a token's expiry is honoured to the instant", 2 * time.Second, []cacheStep{
			{at: 0, token: "mcpa_good", ok: true, lookups: 1},
			{at: 2*time.Second - time.Millisecond, token: "mcpa_good", ok: true, lookups: 1},
			{at: 2 * time.Second, revoke: true, token: "mcpa_good", ok: false, lookups: 2},
		}},
		{"while the database is unreachable a verified token keeps working", 0, []cacheStep{
			{at: 0, token: "mcpa_good", ok: true, lookups: 1},
			{at: TokenCacheTTL + time.Second, down: true, token: "mcpa_good", ok: true, lookups: 2},
			{at: time.Hour, token: "mcpa_good", ok: true, lookups: 3},
			{at: time.Hour, token: "mcpa_bad", unavailable: true, lookups: 4},
		}},
		{"and back, the database decides again", 0, []cacheStep{
			{at: 0, token: "mcpa_good", ok: true, lookups: 1},
			{at: TokenCacheTTL, down: true, token: "mcpa_good", ok: true, lookups: 2},
			{at: 2 * TokenCacheTTL, up: true, revoke: true, token: "mcpa_good", ok: false, lookups: 3},
			{at: 3 * TokenCacheTTL, down: true, token: "mcpa_good", unavailable: true, lookups: 4},
		}},
		{"but not past its own expiry", 2 * time.Second, []cacheStep{
			{at: 0, token: "mcpa_good", ok: true, lookups: 1},
			{at: time.Second, down: true, token: "mcpa_good", ok: true, lookups: 1},
			{at: 2 * time.Second, token: "mcpa_good", unavailable: true, lookups: 2},
		}},
		{"refused tokens are not remembered", 0, []cacheStep{
			{at: 0, token: "mcpa_bad", ok: false, lookups: 1},
			{at: 0, token: "mcpa_bad", ok: false, lookups: 2},
			{at: 0, token: "mcpa_good", ok: true, lookups: 3},
			{at: 0, token: "mcpa_bad", ok: false, lookups: 4},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &countingTokens{}
			if tt.expires > 0 {
				store.expires = t0.Add(tt.expires)
			}
			c := newTokenCache(store, TokenCacheTTL)
			for i, st := range tt.steps {
				c.now = func() time.Time { return t0.Add(st.at) }
				if st.revoke {
					store.revoked = true
				}
				if st.down {
					store.down = true
				}
				if st.up {
					store.down = false
				}
				p, err := c.Authenticate(context.Background(), st.token)
				if st.ok && (err != nil || p.TokenID != "tok_1") {
					t.Fatalf("step %d: got %+v, %v; want tok_1", i, p, err)
				}
				if st.unavailable && (err == nil || errors.Is(err, auth.ErrBadToken)) {
					t.Fatalf("step %d: got %+v, %v; want the database's unavailability", i, p, err)
				}
				if !st.ok && !st.unavailable && !errors.Is(err, auth.ErrBadToken) {
					t.Fatalf("step %d: got %+v, %v; want ErrBadToken", i, p, err)
				}
				if store.lookups != st.lookups {
					t.Fatalf("step %d: %d store lookups, want %d", i, store.lookups, st.lookups)
				}
			}
		})
	}
}

type cacheStep struct {
	at       time.Duration
	revoke   bool
	down, up bool // the database becomes unreachable, or reachable again
	token    string
	ok       bool
	// unavailable: the call fails with the database's unavailability
	// rather than a refused token.
	unavailable bool
	lookups     int
}

// The /mcp endpoint authenticates through the cache: requests with one
// token read the store once; a bad token is refused each time.
func TestMCPEndpointCachesVerifiedTokens(t *testing.T) {
	store := &countingTokens{}
	s, err := New(Config{Addr: "127.0.0.1:1"}, mcpserver.NewMCPServer("t", "1"), store, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	post := func(tok string) int {
		req, _ := http.NewRequest("POST", srv.URL+Path, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for range 3 {
		if code := post("mcpa_good"); code == http.StatusUnauthorized {
			t.Fatal("good token refused")
		}
	}
	if store.lookups != 1 {
		t.Fatalf("%d store lookups for 3 requests with one token, want 1", store.lookups)
	}
	for range 2 {
		if code := post("mcpa_bad"); code != http.StatusUnauthorized {
			t.Fatalf("bad token: %d, want 401", code)
		}
	}
	if store.lookups != 3 {
		t.Fatalf("%d store lookups after 2 bad tokens, want 3", store.lookups)
	}
}
