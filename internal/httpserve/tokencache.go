package httpserve

import (
	"context"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"sync"
	"time"

	"github.com/mcp-agents/mcp-agents/internal/auth"
	"github.com/mcp-agents/mcp-agents/internal/store"
)

// TokenCacheTTL is how long a verified token is taken on trust without
// reading the database again: a revocation (`tokens revoke`, another
// process) or an expiry written elsewhere takes effect within it. A
// token's own expiry is honoured to the instant.
const TokenCacheTTL = 5 * time.Second

// tokenCache remembers verified tokens briefly, so a request costs a
// SHA-256 and a map read instead of a database read. It finds an entry by
// a prefix of the hash and then compares the whole hash in constant time. Refused tokens are not remembered: each goes to
// the store, so a token created a moment ago works at once.
type tokenCache struct {
	Tokens
	ttl time.Duration
	now func() time.Time

	mu        sync.RWMutex
	m         map[uint64]cachedToken
	lastSweep time.Time
}

type cachedToken struct {
	hash  []byte
	p     auth.Principal
	until time.Time
}

func newTokenCache(t Tokens, ttl time.Duration) *tokenCache {
	return &tokenCache{Tokens: t, ttl: ttl, now: time.Now, m: map[uint64]cachedToken{}}
}

// Authenticate answers from the cache while the entry is fresh, and asks
// the store otherwise (keeping a stale entry while the store is
// unavailable).
func (c *tokenCache) Authenticate(ctx context.Context, token string) (auth.Principal, error) {
	h := auth.Hash(token)
	key := binary.BigEndian.Uint64(h)
	now := c.now()
	c.mu.RLock()
	e, ok := c.m[key]
	c.mu.RUnlock()
	if ok && now.Before(e.until) && subtle.ConstantTimeCompare(e.hash, h) == 1 {
		return e.p, nil
	}
	p, err := c.Tokens.Authenticate(ctx, token)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		known := ok && subtle.ConstantTimeCompare(e.hash, h) == 1
		// A database that cannot be reached records no revocation either:
		// a token it verified before keeps working (to its own expiry)
		// until it answers again, so calls reach the tools and are told
		// of the outage ("nothing was stored") instead of being turned
		// away at the door.
		if known && unavailable(err) && (e.p.Expires.IsZero() || now.Before(e.p.Expires)) {
			return e.p, nil
		}
		if known {
			delete(c.m, key)
		}
		return p, err
	}
	until := now.Add(c.ttl)
	if !p.Expires.IsZero() && p.Expires.Before(until) {
		until = p.Expires
	}
	c.m[key] = cachedToken{hash: h, p: p, until: until}
	if now.Sub(c.lastSweep) > time.Minute {
		c.lastSweep = now
		for k, e := range c.m {
			if !now.Before(e.until) {
				delete(c.m, k)
			}
		}
	}
	return p, nil
}

// unavailable reports whether err says the database cannot answer now
// (unreachable, read-only, full), as opposed to refusing the token.
func unavailable(err error) bool {
	var se *store.Error
	return errors.As(err, &se) && se.Code == store.CodeUnavailable
}
