package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"

	"github.com/mcp-agents/mcp-agents/internal/live"
	"github.com/mcp-agents/mcp-agents/internal/store"
	"github.com/mcp-agents/mcp-agents/internal/store/postgres"
)

// flagDB is what the servers and the verbs use of a flags database: the
// store contract, which *store.Store (SQLite, the default) and
// *postgres.Store implement alike, so every command works on either.
type flagDB = store.Engine

var (
	_ flagDB = (*store.Store)(nil)
	_ flagDB = (*postgres.Store)(nil)
)

// feedSource is one engine's change feed: what a live.Detector reads to
// wake waiting calls and push inbox updates: *store.ChangeFeed or *postgres.Feed.
type feedSource interface {
	live.Source
	io.Closer
}

// errNoFeed says the engine cannot report other processes' changes (yet):
// the server still serves, but waits return at once and nothing is pushed.
var errNoFeed = errors.New("this database engine has no change feed: waits return at once and nothing is pushed")

// changeFeed opens db's change feed. This is the one place an engine's
// feed is chosen: an engine with one is added to the switch. log hears
// about the feed's own trouble (PostgreSQL's LISTEN connection).
func changeFeed(db flagDB, log *slog.Logger) (feedSource, error) {
	switch s := db.(type) {
	case *store.Store:
		f, err := s.ChangeFeed()
		if err != nil {
			return nil, err
		}
		return f, nil
	case *postgres.Store:
		f, err := s.ChangeFeed(log)
		if err != nil {
			return nil, err
		}
		return f, nil
	}
	return nil, errNoFeed
}

// isPostgresURL reports whether a --db value names a PostgreSQL database
// rather than a SQLite file.
func isPostgresURL(s string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// postgresURL is a URL isPostgresURL accepts, trimmed and with its scheme
// lowercased: the scheme is case-insensitive (RFC 3986), but pgx reads
// "Postgres://" as a key=value string and connects to its defaults instead.
func postgresURL(s string) string {
	scheme, rest, _ := strings.Cut(strings.TrimSpace(s), "://")
	return strings.ToLower(scheme) + "://" + rest
}

// secretsOf lists the password in a PostgreSQL URL in every spelling an
// error message may quote it (as given, and decoded).
func secretsOf(raw string) []string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		// Nothing is known about where the password is: hide the whole
		// value.
		return []string{strings.TrimSpace(raw)}
	}
	var out []string
	if p, ok := u.User.Password(); ok && p != "" {
		out = append(out, p, strings.TrimPrefix(url.UserPassword("", p).String(), ":"))
	}
	if p := u.Query().Get("password"); p != "" {
		out = append(out, p, url.QueryEscape(p))
	}
	return out
}

// redactedError hides secrets in an error's message while keeping the
// error's chain (errors.Is and As still see the cause).
type redactedError struct {
	msg string
	err error
}

func (r *redactedError) Error() string { return r.msg }
func (r *redactedError) Unwrap() error { return r.err }

func redactErr(err error, secrets []string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	changed := false
	for _, s := range secrets {
		if s != "" && strings.Contains(msg, s) {
			msg = strings.ReplaceAll(msg, s, "xxxxx")
			changed = true
		}
	}
	if !changed {
		return err
	}
	return &redactedError{msg: msg, err: err}
}

// dbTarget resolves which database the command uses: a PostgreSQL URL from
// --db or MCP_AGENTS_DB as given, anything else as a SQLite path (made
// absolute; see store.ResolvePath).
func (e *env) dbTarget() (target string, postgres bool, err error) {
	v := strings.TrimSpace(e.cfg.db)
	if v == "" {
		// Set to nothing at all is unset, as a client's configuration
		// often leaves it; set to blanks is a mistake to say.
		if e.set.envDB != "" && strings.TrimSpace(e.set.envDB) == "" {
			return "", false, fmt.Errorf("%s is blank: set it to a SQLite file path or a postgres:// URL, or unset it", store.EnvDB)
		}
		v = strings.TrimSpace(e.set.envDB)
	}
	if isPostgresURL(v) {
		return postgresURL(v), true, nil
	}
	path, err := e.dbPath()
	return path, false, err
}

// openDB opens the database the command uses; one that cannot be opened
// (or reached) stops the program before it serves anything.
func (e *env) openDB(ctx context.Context) (flagDB, error) {
	target, pg, err := e.dbTarget()
	if err != nil {
		return nil, err
	}
	if pg {
		db, err := postgres.Open(ctx, target)
		if err != nil {
			// The engine's messages name the database without its
			// password; the driver's might not.
			return nil, redactErr(err, secretsOf(target))
		}
		return db, nil
	}
	// Open's errors name the path already.
	st, err := store.Open(ctx, target)
	if err != nil {
		return nil, err
	}
	return st, nil
}

// followDB has a SQLite store follow its file the moment it is moved or
// replaced (see store.Follow), for the commands that run until stopped;
// the returned function stops it, and must run before the store closes.
func followDB(db flagDB, log *slog.Logger) (stop func()) {
	if st, ok := db.(*store.Store); ok {
		return st.Follow(log)
	}
	return func() {}
}

// redactURL returns a PostgreSQL URL fit to print: without its password.
func redactURL(raw string) string { return postgres.Redact(strings.TrimSpace(raw)) }
