package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migration is one embedded schema migration, from a file named
// NNNN_description.sql. Both engines number theirs the same way.
type Migration struct {
	Version int
	Name    string // the file's name
	SQL     string
}

// ReadMigrations returns the migrations in fsys's migrations/ directory
// sorted by version. File names are NNNN_description.sql and versions must
// be 1, 2, 3, ... without gaps.
func ReadMigrations(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, n := range names {
		base := path.Base(n)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("store: migration file %s: name must be NNNN_description.sql", base)
		}
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: base, SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("store: migration %s: expected version %d", m.Name, i+1)
		}
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("store: no embedded migrations")
	}
	return ms, nil
}

// migrations reads the embedded set once: Open asks for the newest version
// twice before it knows whether anything must be applied.
var migrations = sync.OnceValues(func() ([]Migration, error) { return ReadMigrations(migrationFS) })

// schemaVersion is the newest schema this binary knows. The migrations are
// embedded at build time, so a misnumbered set is a bug in this binary: it
// panics rather than report version 0, which would make every table look
// missing at run time (TestEmbeddedMigrations catches it before a release).
func schemaVersion() int {
	ms, err := migrations()
	if err != nil {
		panic(err)
	}
	return ms[len(ms)-1].Version
}

func newerSchemaError(have, know int) error {
	return fmt.Errorf("database schema version %d is newer than this mcp-agents supports (%d); upgrade mcp-agents", have, know)
}

// checkSchemaVersion refuses a schema version this binary cannot start
// from: a newer one, or a negative one, which no mcp-agents writes (the
// file's header was damaged or changed by another program; it was taken as
// a count of migrations applied, and the process hung in a panic).
func checkSchemaVersion(have, know int) error {
	switch {
	case have > know:
		return newerSchemaError(have, know)
	case have < 0:
		return fmt.Errorf("database schema version %d is not one mcp-agents writes: the file's header (PRAGMA user_version) was damaged or changed by another program; restore the file from a backup", have)
	}
	return nil
}

// migrate applies pending migrations inside tx, which holds the write lock
// (BEGIN IMMEDIATE): user_version is read again under it, so of several processes opening at once exactly one
// applies each migration and the rest see it done.
func migrate(ctx context.Context, tx *sql.Tx) ([]int, error) {
	ms, err := migrations()
	if err != nil {
		return nil, err
	}
	know := len(ms)
	var have int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&have); err != nil {
		return nil, err
	}
	if err := checkSchemaVersion(have, know); err != nil {
		return nil, err
	}
	if have == know {
		return nil, nil
	}
	var applied []int
	for _, m := range ms[have:] {
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			if strings.Contains(err.Error(), "already exists") {
				// The tables are newer than the version the header says.
				return nil, fmt.Errorf("migration %s: %w: the file's schema version (PRAGMA user_version %d) is older than its tables, so it was changed by another program; restore the file from a backup", m.Name, err, have)
			}
			return nil, fmt.Errorf("migration %s: %w", m.Name, err)
		}
		applied = append(applied, m.Version)
	}
	// PRAGMA takes no bound parameters; know is an int from this binary.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", know)); err != nil {
		return nil, err
	}
	return applied, nil
}

// probe reads the schema and the first and last row of every table, so a
// file damaged past its header is refused at start-up rather than failing
// calls later. It visits the root-to-leaf paths at both ends of each
// b-tree, so its cost does not grow with the database (a full
// quick_check takes seconds on a large file).
func probe(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
	if err != nil {
		return err
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, t := range tables {
		for _, dir := range []string{"", " DESC"} {
			if err := readAll(ctx, tx, `SELECT * FROM "`+strings.ReplaceAll(t, `"`, `""`)+`" ORDER BY rowid`+dir+` LIMIT 1`); err != nil {
				return fmt.Errorf("table %s: %w", t, err)
			}
		}
	}
	return nil
}

// readAll reads every column of every row query returns, so overflow pages
// are read too.
func readAll(ctx context.Context, tx *sql.Tx, query string) error {
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	for i := range vals {
		vals[i] = new(sql.RawBytes)
	}
	for rows.Next() {
		if err := rows.Scan(vals...); err != nil {
			return err
		}
	}
	return rows.Err()
}
