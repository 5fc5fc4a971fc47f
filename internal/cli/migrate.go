package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mcp-agents/mcp-agents/internal/dbcopy"
	"github.com/mcp-agents/mcp-agents/internal/store"
	"github.com/mcp-agents/mcp-agents/internal/store/postgres"
)

// runMigrate copies a SQLite database into an empty PostgreSQL one.
func runMigrate(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("migrate", "--db FILE --to postgres://USER@HOST:PORT/DB\n\n"+
		"Copies every flag, event and token from the SQLite database (--db, or the one the other commands use)\n"+
		"into an EMPTY PostgreSQL database, in one transaction, keeping their ids; checks the counts and prints\n"+
		"what it copied. The SQLite file is brought to the current schema first and otherwise left as it is.")
	to := fs.String("to", "", "the PostgreSQL database `URL` (postgres:// or postgresql://) to copy into; it must be empty")
	if err := e.parse(fs, args, 0, 0); err != nil {
		return err
	}
	if strings.TrimSpace(*to) == "" {
		return usagef("migrate: --to is required: the PostgreSQL database to copy into, such as postgres://mcp@db.example.com:5432/mcp_agents")
	}
	if !isPostgresURL(*to) {
		return usagef("migrate: %s must be a PostgreSQL URL (postgres://… or postgresql://…), got %q", e.option("to"), redactURL(*to))
	}
	*to = postgresURL(*to)
	from, pg, err := e.dbTarget()
	if err != nil {
		return err
	}
	if pg {
		return usagef("migrate: the database to copy from (--db, or MCP_AGENTS_DB) must be the SQLite file, not a PostgreSQL database (%s)", redactURL(from))
	}
	if _, err := os.Stat(from); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("migrate: the SQLite database %s does not exist; nothing was copied (give --db FILE)", from)
		}
		return fmt.Errorf("migrate: the SQLite database %s: %w", from, err)
	}
	// Opening with the store brings an older file to the current schema
	// (so its columns are the contract's) and refuses a corrupt or newer
	// one with its usual message.
	src, err := store.Open(ctx, from)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := src.Close(); err != nil {
		return fmt.Errorf("migrate: closing %s: %w", from, err)
	}
	secrets := secretsOf(*to)
	// Opening with the engine creates the schema in a new database.
	dst, err := postgres.Open(ctx, *to)
	if err != nil {
		return redactErr(fmt.Errorf("migrate: %w", err), secrets)
	}
	dst.Close()
	cfg, err := postgres.PoolConfig(*to)
	if err != nil {
		return redactErr(fmt.Errorf("migrate: %w", err), secrets)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return redactErr(fmt.Errorf("migrate: database %s: %w", redactURL(*to), err), secrets)
	}
	defer pool.Close()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return redactErr(fmt.Errorf("migrate: database %s: %w", redactURL(*to), err), secrets)
	}
	defer conn.Release()
	res, err := dbcopy.Copy(ctx, from, conn.Conn())
	if err != nil {
		return redactErr(fmt.Errorf("migrate: %w; nothing was copied", err), secrets)
	}
	res.To = redactURL(*to)
	return e.writeJSON(res)
}
