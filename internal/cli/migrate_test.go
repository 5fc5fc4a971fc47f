package cli_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/mcp-agents/mcp-agents/internal/store/pgtest"
	"github.com/mcp-agents/mcp-agents/internal/store/postgres"
)

// migrate's copy connection identifies itself as the servers' do
// (application_name=mcp-agents unless the URL names another): the target
// here refuses rows written under any other name. It copies into the
// database the URL names whatever the case of its scheme.
func TestMigrateConnectsAsMcpAgents(t *testing.T) {
	url := pgtest.URL(t)
	h := newHarness(t)
	h.ok(t, nil, "--db", h.db, "create-flag", "--flag_type", "change", "--source_agent", "@backend.api",
		"--change_description", strings.Repeat("c", 60), "--action_required", strings.Repeat("a", 120))

	ctx := context.Background()
	pg, err := postgres.Open(ctx, url) // the schema, so the trigger has a table
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	if err := execPG(ctx, url, `CREATE FUNCTION only_mcp_agents() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF current_setting('application_name') <> 'mcp-agents' THEN
				RAISE EXCEPTION 'written by application_name %', current_setting('application_name');
			END IF;
			RETURN NEW;
		END $$;
		CREATE TRIGGER only_mcp_agents BEFORE INSERT ON flags FOR EACH ROW EXECUTE FUNCTION only_mcp_agents()`); err != nil {
		t.Fatal(err)
	}
	// The scheme in any case: pgx alone reads "Postgres://" as key=value
	// settings and connects to its defaults, another database.
	scheme, rest, _ := strings.Cut(url, "://")
	r := h.run(t, "--db", h.db, "migrate", "--to", strings.ToUpper(scheme)+"://"+rest)
	if r.code != 0 || !strings.Contains(r.stdout, `"flags": 1`) {
		t.Fatalf("migrate: exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
}

// execPG runs sql on the database at url, on a connection of its own.
func execPG(ctx context.Context, url, sql string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}
