package cli

import (
	"context"
	"errors"
	"io"
	"log/slog"

	"github.com/mcp-agents/mcp-agents/internal/board"
	"github.com/mcp-agents/mcp-agents/internal/httpserve"
	"github.com/mcp-agents/mcp-agents/internal/live"
	"github.com/mcp-agents/mcp-agents/internal/server"
	"github.com/mcp-agents/mcp-agents/internal/store"
	"github.com/mcp-agents/mcp-agents/internal/store/postgres"
)

// flagDB is what the servers and the verbs need from a flags database.
// *store.Store (SQLite, the default) implements it, and so does the
// PostgreSQL engine: every command works on either.
type flagDB interface {
	server.FlagStore
	board.Store
	httpserve.Tokens
	CreateToken(ctx context.Context, in store.NewToken) (store.Token, error)
	Tokens(ctx context.Context) ([]store.Token, error)
	RevokeToken(ctx context.Context, id string) (store.Token, error)
	// Ready reports whether the database takes writes now (/readyz).
	Ready(ctx context.Context) error
	Close() error
}

var _ flagDB = (*store.Store)(nil)

// database is an open flags database and the name it is shown by.
type database struct {
	flagDB
	// name is the SQLite file's absolute path, or the PostgreSQL URL
	// without its password: it goes into start-up lines and errors.
	name string
}

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

// dbTarget resolves which database the command uses (see store.ResolvePath).
func (e *env) dbTarget() (target string, postgres bool, err error) {
	path, err := e.dbPath()
	return path, false, err
}

// openDB opens the database the command uses; one that cannot be opened
// stops the program before it serves anything.
func (e *env) openDB(ctx context.Context) (*database, error) {
	target, _, err := e.dbTarget()
	if err != nil {
		return nil, err
	}
	// Open's errors name the path already.
	st, err := store.Open(ctx, target)
	if err != nil {
		return nil, err
	}
	return &database{flagDB: st, name: st.Path()}, nil
}
