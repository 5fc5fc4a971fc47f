// Package auth says who is calling: the principal a bearer token stands for,
// carried in the request context from the HTTP transport down to the tools
// and the store, which ask the context and never the transport. Over stdio
// and under --no-auth there is no principal, and identity comes from the
// tools' arguments as before.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Role is what a token may do.
type Role string

// Roles.
const (
	// RoleAgent writes only as its own agent and reads everything.
	RoleAgent Role = "agent"
	// RoleObserver reads everything and writes nothing.
	RoleObserver Role = "observer"
	// RoleAdmin may act as any agent; its token's agent is the default actor.
	RoleAdmin Role = "admin"
)

// Roles lists the valid roles, in the order the help text names them.
var Roles = []Role{RoleAgent, RoleObserver, RoleAdmin}

// ParseRole checks a --role value.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("role must be one of agent, observer, admin, got %q", s)
}

// Principal is the caller a valid token stands for.
type Principal struct {
	TokenID string
	Agent   string // canonical handle
	Role    Role
	// CanBroadcast allows flags without a target (admins always may).
	CanBroadcast bool
	// Expires is when the token stops being valid; zero: never.
	Expires time.Time
}

// MayBroadcast reports whether p may create a flag for every agent.
func (p Principal) MayBroadcast() bool { return p.Role == RoleAdmin || p.CanBroadcast }

type ctxKey struct{}

// With returns ctx carrying p.
func With(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// From returns the principal in ctx; ok is false over stdio and --no-auth.
func From(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(Principal)
	return p, ok
}

// ErrBadToken is the error (wrapped with the reason) for a token that is
// unknown, revoked or expired: the client's fault, answered with 401.
var ErrBadToken = errors.New("invalid token")

// TokenPrefix starts every token, so one pasted where it should not be is
// recognisable (and findable by secret scanners).
const TokenPrefix = "mcpa_"

// NewToken returns a fresh secret (256 random bits after the prefix) and
// the id that names it in lists and events (not secret).
func NewToken() (id, token string, err error) {
	var secret [32]byte
	var idb [6]byte
	if _, err := rand.Read(secret[:]); err != nil {
		return "", "", err
	}
	if _, err := rand.Read(idb[:]); err != nil {
		return "", "", err
	}
	return "tok_" + hex.EncodeToString(idb[:]), TokenPrefix + base64.RawURLEncoding.EncodeToString(secret[:]), nil
}

// Hash is what the database keeps of a token.
func Hash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// maxExpiryDays is the longest lifetime in days a time.Duration holds.
const maxExpiryDays = int(math.MaxInt64 / int64(24*time.Hour))

// ParseExpiry reads --expires: a Go duration ("720h") or a number of days
// ("30d"), positive. "" (the option left out) is 0: the token does not
// expire. "0" is refused with "0d" and "0s": it reads as "expires at once"
// as well as "never".
func ParseExpiry(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	s = strings.TrimSpace(s)
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("expires must be a positive number of days such as 30d, or a duration such as 720h, got %q", s)
		}
		if n > maxExpiryDays {
			// A longer one overflows time.Duration (about 292 years).
			return 0, fmt.Errorf("expires must be at most %dd, got %q", maxExpiryDays, s)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil || d <= 0 {
			return 0, fmt.Errorf("expires must be a positive number of days such as 30d, or a duration such as 720h, got %q", s)
		}
		// Times are stored to the millisecond: 1ms made a token that had
		// expired before it was shown.
		if d < time.Second {
			return 0, fmt.Errorf("expires must be at least 1s, got %q", s)
		}
	}
	return d, nil
}
