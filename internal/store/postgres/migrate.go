package postgres

import (
	"context"
	"embed"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/mcp-agents/mcp-agents/internal/store"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrations returns the embedded migrations sorted by version, numbered
// as the SQLite engine's are.
func migrations() ([]store.Migration, error) { return store.ReadMigrations(migrationFS) }

// SchemaVersion is the newest schema this binary knows.
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil {
		panic(err) // embedded at build time: a misnumbered set is a bug (TestEmbeddedMigrations)
	}
	return ms[len(ms)-1].Version
}

// migrationLock is the key of the advisory lock the migrations run under
// ("mcpagent" in ASCII), so of several servers starting at once exactly
// one applies each migration and the rest wait and see it done.
const migrationLock int64 = 0x6d63706167656e74

// migrate applies the pending migrations in one transaction that holds
// the advisory lock: the version table is created and read under it, so
// concurrent openers apply each migration once, and a failure leaves the
// database as it was. A database migrated by a newer mcp-agents is
// refused.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	know := ms[len(ms)-1].Version
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Another server's migrations may take longer than lock_timeout
		// (an index over a year of flags): wait for them whole.
		if _, err := tx.Exec(ctx, "SET LOCAL lock_timeout = 0"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLock); err != nil {
			return err
		}
		// Created only when missing: a database already at this version
		// is opened without a write, so one set read-only
		// (default_transaction_read_only) still serves reads.
		var exists bool
		if err := tx.QueryRow(ctx, "SELECT to_regclass('mcp_agents_schema') IS NOT NULL").Scan(&exists); err != nil {
			return err
		}
		if !exists {
			if _, err := tx.Exec(ctx, `CREATE TABLE mcp_agents_schema (
			version    integer     PRIMARY KEY,
			name       text        NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
				return err
			}
		}
		var have int
		if err := tx.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM mcp_agents_schema").Scan(&have); err != nil {
			return err
		}
		if err := store.CheckSchemaVersion(have, know); err != nil {
			return err
		}
		for _, m := range ms[have:] {
			// No arguments: the simple protocol, which runs a file of
			// several statements.
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO mcp_agents_schema (version, name) VALUES ($1, $2)", m.Version, m.Name); err != nil {
				return err
			}
			s.applied = append(s.applied, m.Version)
		}
		return nil
	})
}
