package store

import (
	"context"
	"testing"
)

// The schema enforces the rules too, so a writer that bypasses validation
// (an older binary, a hand-edited database) cannot store a bad flag.
func TestSchemaConstraints(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	base := `INSERT INTO flags (flag_type, source_agent, target_agent, change_description, action_required,
		impact_level, related_files, chain_origin_id, context, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'now')`
	ok := []any{"change", "@a", "@b", desc, action, "medium", "[]", nil, nil}
	if _, err := s.cur.w.ExecContext(ctx, base, ok...); err != nil {
		t.Fatalf("valid row refused: %v", err)
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
			if _, err := s.cur.w.ExecContext(ctx, base, args...); err == nil {
				t.Errorf("row accepted")
			}
		})
	}
}
