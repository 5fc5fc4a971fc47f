// Package dbcopy moves a team from the embedded SQLite database to
// PostgreSQL: it copies every flag, event and token of a SQLite file into
// an empty PostgreSQL database in one transaction, preserving ids, and
// checks the counts before committing (`mcp-agents migrate`).
//
// It reads the SQLite tables by column name and writes the PostgreSQL
// columns of the same names, converting each value to the type the
// PostgreSQL schema declares (times, booleans, JSON, bytes), so it holds
// to the contract's columns rather than to either engine's storage
// details. A SQLite column PostgreSQL lacks is refused, never dropped.
package dbcopy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	_ "modernc.org/sqlite" // the "sqlite" driver
)

// Tables are copied in this order: tokens and flags before the events
// that refer to them, and flags in id order (a chain's origin is always
// an older flag).
var Tables = []string{"tokens", "flags", "flag_events"}

// Result says what was copied.
type Result struct {
	From   string `json:"from"`
	To     string `json:"to"`
	Flags  int64  `json:"flags"`
	Events int64  `json:"events"`
	Tokens int64  `json:"tokens"`
}

// NotEmptyError refuses a target that already holds data.
type NotEmptyError struct {
	Table string
	Rows  int64
}

func (e *NotEmptyError) Error() string {
	return fmt.Sprintf("the PostgreSQL database is not empty: table %s already has %d row(s); migrate copies only into an empty database (use a new one, or empty it yourself)", e.Table, e.Rows)
}

// Copy copies the SQLite file at path (which must exist and have the
// current schema: open it with the store first) into the PostgreSQL
// database conn is connected to (whose schema must exist and be empty).
// Nothing is written to the target unless everything was copied and the
// counts agree.
func Copy(ctx context.Context, path string, conn *pgx.Conn) (Result, error) {
	res := Result{From: path}
	src, err := openSource(path)
	if err != nil {
		return res, err
	}
	defer src.Close()
	// One read transaction: a consistent snapshot of the file even if a
	// server writes to it meanwhile.
	rtx, err := src.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return res, fmt.Errorf("reading %s: %w", path, err)
	}
	defer rtx.Rollback()

	tx, err := conn.Begin(ctx)
	if err != nil {
		return res, fmt.Errorf("PostgreSQL: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	// No other writer may slip rows in between the emptiness check and
	// the commit (a server started on the new database too early).
	if _, err := tx.Exec(ctx, "LOCK TABLE "+strings.Join(Tables, ", ")+" IN EXCLUSIVE MODE"); err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "55P03" { // lock_not_available, after lock_timeout
			return res, fmt.Errorf("PostgreSQL: the target's tables are in use by another connection (another migrate, or a server on this database): let it finish or stop it, then retry: %w", err)
		}
		return res, fmt.Errorf("PostgreSQL: locking the tables: %w", err)
	}
	for _, t := range Tables {
		var n int64
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM "+t).Scan(&n); err != nil {
			return res, fmt.Errorf("PostgreSQL: counting %s: %w", t, err)
		}
		if n > 0 {
			return res, &NotEmptyError{Table: t, Rows: n}
		}
	}
	counts := map[string]int64{}
	for _, t := range Tables {
		n, err := copyTable(ctx, rtx, tx, t)
		if err != nil {
			return res, err
		}
		var want, got int64
		if err := rtx.QueryRowContext(ctx, "SELECT count(*) FROM "+t).Scan(&want); err != nil {
			return res, fmt.Errorf("reading %s: counting %s: %w", path, t, err)
		}
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM "+t).Scan(&got); err != nil {
			return res, fmt.Errorf("PostgreSQL: counting %s: %w", t, err)
		}
		if n != want || got != want {
			return res, fmt.Errorf("%s: the SQLite file has %d row(s), %d were copied and PostgreSQL counts %d; nothing was committed", t, want, n, got)
		}
		counts[t] = n
	}
	if err := setSequences(ctx, tx); err != nil {
		return res, err
	}
	if err := tx.Commit(ctx); err != nil {
		return res, fmt.Errorf("PostgreSQL: commit: %w", err)
	}
	// Rows loaded by COPY have no planner statistics, hint bits or
	// visibility map (so no index-only scans) until autovacuum comes by:
	// the first servers would pay for that. The copy is committed either
	// way; a failure here only leaves the work to autovacuum.
	_, _ = conn.Exec(ctx, "VACUUM (ANALYZE) "+strings.Join(Tables, ", "))
	res.Flags, res.Events, res.Tokens = counts["flags"], counts["flag_events"], counts["tokens"]
	return res, nil
}

// openSource opens the SQLite file read-only: migrate never changes it.
func openSource(path string) (*sql.DB, error) {
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("the SQLite database %s does not exist", path)
		}
		return nil, fmt.Errorf("the SQLite database %s: %w", path, err)
	}
	u := url.URL{Scheme: "file", Path: path, RawQuery: "mode=ro&_pragma=busy_timeout(5000)"}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// column is one column copied: its name and PostgreSQL type.
type column struct {
	name, pgType string
}

// copyTable streams one table with COPY, in id order.
func copyTable(ctx context.Context, src *sql.Tx, dst pgx.Tx, table string) (int64, error) {
	cols, err := columns(ctx, src, dst, table)
	if err != nil {
		return 0, err
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = `"` + c.name + `"`
	}
	rows, err := src.QueryContext(ctx, "SELECT "+strings.Join(names, ", ")+" FROM "+table+" ORDER BY id")
	if err != nil {
		return 0, fmt.Errorf("reading %s: %w", table, err)
	}
	defer rows.Close()
	pgNames := make([]string, len(cols))
	for i, c := range cols {
		pgNames[i] = c.name
	}
	n, err := dst.CopyFrom(ctx, pgx.Identifier{table}, pgNames, &rowSource{rows: rows, cols: cols, table: table})
	if err != nil {
		return n, fmt.Errorf("copying %s: %w", table, err)
	}
	return n, nil
}

// columns lists the SQLite table's columns with their PostgreSQL types,
// refusing any column the PostgreSQL table lacks.
func columns(ctx context.Context, src *sql.Tx, dst pgx.Tx, table string) ([]column, error) {
	pgTypes := map[string]string{}
	rows, err := dst.Query(ctx, `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1`, table)
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL: columns of %s: %w", table, err)
	}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return nil, err
		}
		pgTypes[name] = typ
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("PostgreSQL: columns of %s: %w", table, err)
	}
	if len(pgTypes) == 0 {
		return nil, fmt.Errorf("PostgreSQL: table %s does not exist (the schema was not migrated)", table)
	}
	srows, err := src.QueryContext(ctx, "SELECT name FROM pragma_table_info(?) ORDER BY cid", table)
	if err != nil {
		return nil, fmt.Errorf("reading the columns of %s: %w", table, err)
	}
	defer srows.Close()
	var cols []column
	var missing []string
	for srows.Next() {
		var name string
		if err := srows.Scan(&name); err != nil {
			return nil, err
		}
		typ, ok := pgTypes[name]
		if !ok {
			missing = append(missing, name)
			continue
		}
		cols = append(cols, column{name: name, pgType: typ})
	}
	if err := srows.Err(); err != nil {
		return nil, err
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("the PostgreSQL table %s has no column %s: copying would lose data (is mcp-agents older than the SQLite file?)", table, strings.Join(missing, ", "))
	}
	if !slices.ContainsFunc(cols, func(c column) bool { return c.name == "id" }) {
		return nil, fmt.Errorf("the SQLite table %s has no id column", table)
	}
	return cols, nil
}

// rowSource feeds SQLite rows to COPY, converting each value to its
// PostgreSQL column's type.
type rowSource struct {
	rows  *sql.Rows
	cols  []column
	table string
	vals  []any
	err   error
	n     int64
}

func (r *rowSource) Next() bool {
	if !r.rows.Next() {
		return false
	}
	r.n++
	raw := make([]any, len(r.cols))
	ptrs := make([]any, len(raw))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	if err := r.rows.Scan(ptrs...); err != nil {
		r.err = err
		return false
	}
	r.vals = raw
	for i, c := range r.cols {
		v, err := convert(raw[i], c.pgType)
		if err != nil {
			r.err = fmt.Errorf("%s row %d, column %s: %w", r.table, r.n, c.name, err)
			return false
		}
		r.vals[i] = v
	}
	return true
}

func (r *rowSource) Values() ([]any, error) { return r.vals, nil }

func (r *rowSource) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.rows.Err()
}

// convert turns a value as SQLite returns it into the Go value pgx
// encodes for a column of type pgType (information_schema's data_type).
func convert(v any, pgType string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch pgType {
	case "timestamp with time zone", "timestamp without time zone":
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want a time, got %T", v)
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, fmt.Errorf("want an RFC 3339 time: %w", err)
		}
		return t.UTC(), nil
	case "boolean":
		switch b := v.(type) {
		case int64:
			return b != 0, nil
		case bool:
			return b, nil
		}
		return nil, fmt.Errorf("want 0 or 1, got %T", v)
	case "bytea":
		switch b := v.(type) {
		case []byte:
			return b, nil
		case string:
			return []byte(b), nil
		}
	case "json", "jsonb", "text", "character varying":
		switch s := v.(type) {
		case []byte:
			return string(s), nil
		case string:
			return s, nil
		}
		return nil, fmt.Errorf("want text, got %T", v)
	case "bigint", "integer", "smallint":
		if n, ok := v.(int64); ok {
			return n, nil
		}
		return nil, fmt.Errorf("want an integer, got %T", v)
	}
	return v, nil
}

// setSequences moves every id sequence past the ids copied, so the next
// flag or event created on PostgreSQL gets a new id.
func setSequences(ctx context.Context, tx pgx.Tx) error {
	for _, t := range Tables {
		var seq *string
		if err := tx.QueryRow(ctx, "SELECT pg_get_serial_sequence($1, 'id')", t).Scan(&seq); err != nil {
			return fmt.Errorf("PostgreSQL: the id sequence of %s: %w", t, err)
		}
		if seq == nil {
			continue // ids not generated (tokens: text ids)
		}
		// setval(seq, max, true) makes the next value max+1; an empty
		// table starts at 1 (is_called false).
		if _, err := tx.Exec(ctx, "SELECT setval($1, COALESCE((SELECT max(id) FROM "+t+"), 1), (SELECT count(*) > 0 FROM "+t+"))", *seq); err != nil {
			return fmt.Errorf("PostgreSQL: setting the id sequence of %s: %w", t, err)
		}
	}
	return nil
}
