package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/mcp-agents/mcp-agents/internal/auth"
)

// Token is a stored bearer token: everything but the secret, of which only
// the SHA-256 is kept.
type Token struct {
	ID           string  `json:"id"`
	Agent        string  `json:"agent"`
	Role         string  `json:"role"`
	CanBroadcast bool    `json:"can_broadcast"`
	Note         *string `json:"note"`
	CreatedAt    string  `json:"created_at"`
	ExpiresAt    *string `json:"expires_at"`
	LastUsedAt   *string `json:"last_used_at"`
	RevokedAt    *string `json:"revoked_at"`
}

// NewToken is a token to store: its id, the SHA-256 of its secret and what
// it may do. TTL 0: it does not expire.
type NewToken struct {
	ID           string
	Hash         []byte
	Agent        string
	Role         auth.Role
	CanBroadcast bool
	TTL          time.Duration
	Note         string
}

// touchEvery is how often a token's last-used time is written at most: a
// client making fifty calls a second must not make fifty writes.
const touchEvery = time.Minute

const (
	tokenCols        = `id, agent, role, can_broadcast, note, created_at, expires_at, last_used_at, revoked_at`
	sqlInsertToken   = `INSERT INTO tokens (id, hash, agent, role, can_broadcast, note, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	sqlTokenByHash   = `SELECT ` + tokenCols + ` FROM tokens WHERE hash = ?`
	sqlTokenByID     = `SELECT ` + tokenCols + ` FROM tokens WHERE id = ?`
	sqlListTokens    = `SELECT ` + tokenCols + ` FROM tokens ORDER BY created_at, id`
	sqlRevokeToken   = `UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`
	sqlTouchToken    = `UPDATE tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)`
	tokenNoteMaxRune = 1000
)

// CreateToken stores a token. The agent is required for every role (for
// an admin it is the default actor).
func (s *Store) CreateToken(ctx context.Context, in NewToken) (Token, error) {
	agent, _, err := CheckNewToken(in)
	if err != nil {
		return Token{}, err
	}
	t := s.now()
	tok := Token{ID: in.ID, Agent: agent, Role: string(in.Role), CanBroadcast: in.CanBroadcast || in.Role == auth.RoleAdmin,
		CreatedAt: formatTime(t)}
	if in.Note != "" {
		tok.Note = &in.Note
	}
	if in.TTL > 0 {
		e := formatTime(t.Add(in.TTL))
		tok.ExpiresAt = &e
	}
	err = s.writeTx(ctx, "create token", []string{sqlInsertToken}, func(w *txn) error {
		_, err := w.exec(sqlInsertToken, tok.ID, in.Hash, tok.Agent, tok.Role, tok.CanBroadcast,
			nullPtr(tok.Note), tok.CreatedAt, nullPtr(tok.ExpiresAt))
		return err
	})
	if err != nil {
		return Token{}, err
	}
	return tok, nil
}

// Tokens lists every token, revoked and expired ones included, oldest first.
func (s *Store) Tokens(ctx context.Context) ([]Token, error) {
	out := []Token{}
	err := s.readTx(ctx, "list tokens", []string{sqlListTokens}, func(tx *txn) error {
		rows, err := tx.query(sqlListTokens)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			tok, err := scanToken(rows)
			if err != nil {
				return err
			}
			out = append(out, tok)
		}
		return rows.Err()
	})
	return out, err
}

// RevokeToken ends a token: at once here, and within httpserve's
// TokenCacheTTL in a running server. The row stays: events name it.
func (s *Store) RevokeToken(ctx context.Context, id string) (Token, error) {
	var tok Token
	now := formatTime(s.now())
	err := s.writeTx(ctx, "revoke token", []string{sqlTokenByID, sqlRevokeToken}, func(w *txn) error {
		var err error
		tok, err = scanToken(w.queryRow(sqlTokenByID, id))
		if errors.Is(err, sql.ErrNoRows) {
			return NoSuchTokenError(id)
		}
		if err != nil {
			return err
		}
		if tok.RevokedAt != nil {
			return TokenRevokedConflict(id, *tok.RevokedAt)
		}
		if _, err := w.exec(sqlRevokeToken, now, id); err != nil {
			return err
		}
		tok.RevokedAt = &now
		return nil
	})
	return tok, err
}

// Authenticate returns the principal a bearer token stands for. It looks
// the token up by its SHA-256 (an exact BLOB match: the hash of a secret,
// so the lookup's timing reveals nothing of the secret); an unknown,
// revoked or expired token is auth.ErrBadToken (wrapped with the reason).
func (s *Store) Authenticate(ctx context.Context, token string) (auth.Principal, error) {
	var tok Token
	err := s.readTx(ctx, "authenticate", []string{sqlTokenByHash}, func(tx *txn) error {
		var err error
		tok, err = scanToken(tx.queryRow(sqlTokenByHash, auth.Hash(token)))
		return err
	})
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return auth.Principal{}, errors.Join(auth.ErrBadToken, errors.New("unknown token"))
	case err != nil:
		return auth.Principal{}, err
	case tok.RevokedAt != nil:
		return auth.Principal{}, errors.Join(auth.ErrBadToken, errors.New("token "+tok.ID+" was revoked"))
	case tok.ExpiresAt != nil && *tok.ExpiresAt <= formatTime(s.now()):
		return auth.Principal{}, errors.Join(auth.ErrBadToken, errors.New("token "+tok.ID+" expired"))
	}
	p := auth.Principal{TokenID: tok.ID, Agent: tok.Agent, Role: auth.Role(tok.Role), CanBroadcast: tok.CanBroadcast}
	if tok.ExpiresAt != nil {
		exp, err := time.Parse(timeLayout, *tok.ExpiresAt)
		if err != nil {
			return auth.Principal{}, fmt.Errorf("token %s: bad expiry %q: %w", tok.ID, *tok.ExpiresAt, err)
		}
		p.Expires = exp
	}
	return p, nil
}

// TouchToken records that token id was used now, unless that was already
// recorded less than a minute ago (by any process).
func (s *Store) TouchToken(ctx context.Context, id string) error {
	t := s.now()
	return s.writeTx(ctx, "touch token", []string{sqlTouchToken}, func(w *txn) error {
		_, err := w.exec(sqlTouchToken, formatTime(t), id, formatTime(t.Add(-touchEvery)))
		return err
	})
}

func scanToken(sc rowScanner) (Token, error) {
	var tok Token
	var note, exp, used, revoked sql.NullString
	if err := sc.Scan(&tok.ID, &tok.Agent, &tok.Role, &tok.CanBroadcast, &note, &tok.CreatedAt, &exp, &used, &revoked); err != nil {
		return Token{}, err
	}
	tok.Note, tok.ExpiresAt, tok.LastUsedAt, tok.RevokedAt = strPtr(note), strPtr(exp), strPtr(used), strPtr(revoked)
	return tok, nil
}

func nullPtr(s *string) sql.NullString {
	if s == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: *s, Valid: true}
}
