package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// Users who ran the first release have a database at version 1 holding
// flags; opening it must apply only the migrations after 1 and keep the
// flags and their chains.
func TestMigrateFromVersion1(t *testing.T) {
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "agents.db")
	db, err := sql.Open("sqlite", dsn(path, "immediate", false, time.Second))
	if err != nil {
		t.Fatal(err)
	}
	at := formatTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	for _, q := range []string{"PRAGMA journal_mode=WAL", ms[0].SQL, "PRAGMA user_version = 1"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%.40s: %v", q, err)
		}
	}
	// The columns of version 1 (later versions add some).
	const sqlInsertFlagV1 = `INSERT INTO flags (flag_type, source_agent, target_agent,
			change_description, action_required, impact_level, related_files, chain_origin_id,
			code_location, example_usage, context, status, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)`
	if _, err := db.Exec(sqlInsertFlagV1, "change", "@backend.api", "@ops.containers", desc, action,
		"medium", "[]", nil, nil, nil, nil, at); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(sqlInsertFlagV1, "change", "@ops.containers", "@backend.api", desc, action,
		"medium", "[]", 1, nil, nil, nil, at); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s := openAt(t, path)
	want := make([]int, 0, len(ms)-1)
	for _, m := range ms[1:] {
		want = append(want, m.Version)
	}
	if !slices.Equal(s.applied, want) {
		t.Errorf("applied %v, want %v", s.applied, want)
	}
	ctx := context.Background()
	d, err := s.GetFlag(ctx, 1)
	if err != nil || d.Flag.ChangeDescription != desc {
		t.Fatalf("flag from version 1: %+v, %v", d.Flag, err)
	}
	if len(d.Chain) != 2 {
		t.Errorf("chain of flag 1 after migrating has %d flags, want 2", len(d.Chain))
	}
	if _, total, err := s.ListFlags(ctx, ListQuery{ChainOriginID: 1}); err != nil || total != 1 {
		t.Errorf("flags chained to 1 after migrating: %d, %v; want 1", total, err)
	}
	var v int
	if err := s.cur.r.QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != schemaVersion() {
		t.Errorf("user_version = %d (%v), want %d", v, err, schemaVersion())
	}
}

// The embedded migrations are numbered 1, 2, 3, ... with no gap and no
// number used twice: two developers adding "0004" at once must fail here,
// not as missing tables at run time.
func TestEmbeddedMigrations(t *testing.T) {
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range ms {
		if m.Version != i+1 {
			t.Errorf("migration %s has version %d, want %d", m.Name, m.Version, i+1)
		}
	}
	if got := schemaVersion(); got != len(ms) {
		t.Errorf("schemaVersion() = %d, want %d", got, len(ms))
	}
}
