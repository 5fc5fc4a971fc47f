package postgres

import (
	"context"
	"strings"
	"testing"
)

// The schema enforces the rules too, as SQLite's does, so a writer that
// bypasses validation (another tool, a hand-written INSERT) cannot store
// a bad flag; a row with the contract's columns alone is accepted.
func TestSchemaConstraints(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	f := newFlag()
	base := `INSERT INTO flags (flag_type, source_agent, target_agent, change_description, action_required,
		impact_level, related_files, chain_origin_id, context) VALUES ($1, $2, $3, $4, $5, $6, $7::json, $8, $9::json)`
	ok := []any{"change", "@a", "@b", f.ChangeDescription, f.ActionRequired, "medium", "[]", nil, nil}
	if _, err := s.pool.Exec(ctx, base, ok...); err != nil {
		t.Fatalf("valid row refused: %v", err)
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO flags (flag_type, source_agent, change_description, action_required)
		VALUES ('change', '@a', $1, $2)`, f.ChangeDescription, f.ActionRequired); err != nil {
		t.Fatalf("a row with the contract's columns alone refused: %v", err)
	}
	tests := []struct {
		name string
		i    int
		v    any
	}{
		{"flag_type enum", 0, "bugfix"},
		{"source handle", 1, "ops"},
		{"short description", 3, "short"},
		{"short action", 4, "short"},
		{"impact enum", 5, "urgent"},
		{"related_files array", 6, `{"a":1}`},
		{"chain FK", 7, 12345},
		{"context object", 8, `[1]`},
		{"high needs target", -1, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]any{}, ok...)
			if tc.i >= 0 {
				args[tc.i] = tc.v
			} else {
				args[2], args[5] = nil, "high"
			}
			if _, err := s.pool.Exec(ctx, base, args...); err == nil {
				t.Errorf("row accepted")
			}
		})
	}
	// A lease is all three columns or none; completion releases it.
	for _, q := range []string{
		`UPDATE flags SET locked_by = '@a' WHERE id = 1`,
		`UPDATE flags SET status = 'completed' WHERE id = 1`,
		`UPDATE flags SET status = 'completed', completed_at = now(), completed_by = '@a',
			locked_by = '@a', locked_at = now(), lock_expires_at = now() WHERE id = 1`,
	} {
		if _, err := s.pool.Exec(ctx, q); err == nil {
			t.Errorf("%s: accepted", strings.Join(strings.Fields(q), " "))
		}
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:secret@h:5432/db?sslmode=disable": "postgres://u:xxxxx@h:5432/db?sslmode=disable",
		"postgres://u@h/db?password=secret":             "postgres://u@h/db?password=xxxxx",
		"postgresql://h/db":                             "postgresql://h/db",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}
