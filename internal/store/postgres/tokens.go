package postgres

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/mcp-agents/mcp-agents/internal/auth"
	"github.com/mcp-agents/mcp-agents/internal/store"
)

const tokenCols = `id, agent, role, can_broadcast, note, created_at, expires_at, last_used_at, revoked_at`

func scanToken(row pgx.Row, extra ...any) (store.Token, error) {
	var t store.Token
	var created time.Time
	var exp, used, revoked *time.Time
	if err := row.Scan(append([]any{&t.ID, &t.Agent, &t.Role, &t.CanBroadcast, &t.Note, &created, &exp, &used, &revoked}, extra...)...); err != nil {
		return store.Token{}, err
	}
	t.CreatedAt, t.ExpiresAt, t.LastUsedAt, t.RevokedAt = store.FormatTime(created), timePtr(exp), timePtr(used), timePtr(revoked)
	return t, nil
}

// CreateToken stores a token. The agent is required for every role (for
// an admin it is the default actor). Its times come from the database
// clock.
func (s *Store) CreateToken(ctx context.Context, in store.NewToken) (store.Token, error) {
	agent, canBroadcast, err := store.CheckNewToken(in)
	if err != nil {
		return store.Token{}, err
	}
	a := s.args()
	expires := "NULL"
	if in.TTL > 0 {
		expires = after(a.add(in.TTL.Microseconds()))
	}
	q := `INSERT INTO tokens (id, hash, agent, role, can_broadcast, note, created_at, expires_at)
		VALUES (` + a.add(in.ID) + `, ` + a.add(in.Hash) + `, ` + a.add(agent) + `, ` + a.add(string(in.Role)) + `, ` +
		a.add(canBroadcast) + `, ` + a.add(optional(in.Note)) + `, ` + clock + `, ` + expires + `)
		RETURNING ` + tokenCols
	var tok store.Token
	err = s.do(ctx, "create token", true, func(ctx context.Context) error {
		var err error
		tok, err = scanToken(s.pool.QueryRow(ctx, q, a...))
		return err
	})
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return store.Token{}, store.NewConflict("a token with this id or secret already exists")
	}
	return tok, err
}

// Tokens lists every token, revoked and expired ones included, oldest first.
func (s *Store) Tokens(ctx context.Context) ([]store.Token, error) {
	out := []store.Token{}
	err := s.do(ctx, "list tokens", false, func(ctx context.Context) error {
		rows, err := s.pool.Query(ctx, `SELECT `+tokenCols+` FROM tokens ORDER BY created_at, id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		out = out[:0]
		for rows.Next() {
			t, err := scanToken(rows)
			if err != nil {
				return err
			}
			out = append(out, t)
		}
		return rows.Err()
	})
	return out, err
}

// RevokeToken ends a token. The row stays: events name it. One
// conditional UPDATE decides; the row as it was explains a refusal.
func (s *Store) RevokeToken(ctx context.Context, id string) (store.Token, error) {
	q := `WITH old AS (SELECT * FROM tokens WHERE id = $2 FOR NO KEY UPDATE),
	upd AS (UPDATE tokens t SET revoked_at = ` + clock + ` FROM old
		WHERE t.id = old.id AND t.revoked_at IS NULL RETURNING t.*)
	SELECT ` + tokenCols + `, true FROM upd
	UNION ALL
	SELECT ` + tokenCols + `, false FROM old WHERE NOT EXISTS (SELECT FROM upd)`
	if !textOK(id) {
		return store.Token{}, store.NoSuchTokenError(id) // no text column can hold it
	}
	var tok store.Token
	var won bool
	err := s.do(ctx, "revoke token", true, func(ctx context.Context) error {
		var err error
		tok, err = scanToken(s.pool.QueryRow(ctx, q, s.clockArg(), id), &won)
		if errors.Is(err, pgx.ErrNoRows) {
			return store.NoSuchTokenError(id)
		}
		return err
	})
	switch {
	case err != nil:
		return store.Token{}, err
	case !won:
		return store.Token{}, store.TokenRevokedConflict(id, deref(tok.RevokedAt))
	}
	return tok, nil
}

// Authenticate returns the principal a bearer token stands for, looked up
// by its SHA-256 (the hash of a secret, so the lookup's timing reveals
// nothing of the secret); an unknown, revoked or expired token (by the
// database clock) is auth.ErrBadToken, wrapped with the reason.
func (s *Store) Authenticate(ctx context.Context, token string) (auth.Principal, error) {
	var tok store.Token
	var expired bool
	var exp *time.Time
	err := s.do(ctx, "authenticate", false, func(ctx context.Context) error {
		var err error
		tok, err = scanToken(s.pool.QueryRow(ctx, `SELECT `+tokenCols+`, coalesce(expires_at <= `+clock+`, false), expires_at
			FROM tokens WHERE hash = $2`, s.clockArg(), auth.Hash(token)), &expired, &exp)
		return err
	})
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return auth.Principal{}, store.UnknownTokenError()
	case err != nil:
		return auth.Principal{}, err
	case tok.RevokedAt != nil:
		return auth.Principal{}, store.RevokedTokenError(tok.ID)
	case expired:
		return auth.Principal{}, store.ExpiredTokenError(tok.ID)
	}
	p := auth.Principal{TokenID: tok.ID, Agent: tok.Agent, Role: auth.Role(tok.Role), CanBroadcast: tok.CanBroadcast}
	if exp != nil {
		p.Expires = exp.UTC().Truncate(time.Millisecond)
	}
	return p, nil
}

// TouchToken records that token id was used now, unless that was already
// recorded less than a minute ago (by any replica).
func (s *Store) TouchToken(ctx context.Context, id string) error {
	return s.do(ctx, "touch token", true, func(ctx context.Context) error {
		_, err := s.pool.Exec(ctx, `UPDATE tokens SET last_used_at = `+clock+`
			WHERE id = $2 AND (last_used_at IS NULL OR last_used_at <= `+after("$3")+`)`,
			s.clockArg(), id, -store.TouchEvery.Microseconds())
		return err
	})
}

// textOK reports whether a PostgreSQL text value can hold s: SQLite stores
// any bytes, PostgreSQL refuses NUL and invalid UTF-8, so a lookup by such
// a key finds nothing rather than failing.
func textOK(s string) bool { return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 }
