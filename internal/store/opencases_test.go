package store

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// currentDB creates a migrated database holding one flag, closed (so
// checkpointed: the header on disk is current and there is no WAL).
func currentDB(tb testing.TB) (path string, id int64) {
	tb.Helper()
	path = filepath.Join(tb.TempDir(), "agents.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	id = mustCreate(tb, s, nil).ID
	if err := s.Close(); err != nil {
		tb.Fatal(err)
	}
	return path, id
}

// TestOpenCases: Open makes any unusual file a current WAL database or
// names the path and the fault.
func TestOpenCases(t *testing.T) {
	ctx := context.Background()
	want := schemaVersion()
	tests := []struct {
		name    string
		prepare func(t *testing.T, path string)
		wantErr string // "" means Open must succeed and the store work
	}{
		{"empty file", func(t *testing.T, path string) {
			writeFile(t, path, nil)
		}, ""},
		{"WAL but not migrated yet", func(t *testing.T, path string) {
			rawExec(t, path, "PRAGMA journal_mode=WAL")
		}, ""},
		{"rollback journal at the current version", func(t *testing.T, path string) {
			path2, _ := currentDB(t)
			rawExec(t, path2, "PRAGMA journal_mode=DELETE")
			copyFile(t, path2, path)
		}, ""},
		{"newer schema", func(t *testing.T, path string) {
			path2, _ := currentDB(t)
			rawExec(t, path2, "PRAGMA user_version = "+itoa(want+1))
			copyFile(t, path2, path)
		}, "database schema version " + itoa(want+1) + " is newer than this mcp-agents supports (" + itoa(want) + "); upgrade mcp-agents"},
		// No mcp-agents writes a negative version: it hung the process in
		// a panic (taken as a count of migrations applied).
		{"negative schema version", func(t *testing.T, path string) {
			path2, _ := currentDB(t)
			copyFile(t, path2, path)
			patchFile(t, path, 60, []byte{0xff, 0xff, 0xff, 0xff})
		}, "database schema version -1 is not one mcp-agents writes"},
		// A version reset below the tables' own is said as such.
		{"schema version older than the tables", func(t *testing.T, path string) {
			path2, _ := currentDB(t)
			rawExec(t, path2, "PRAGMA user_version = 1")
			copyFile(t, path2, path)
		}, "is older than its tables"},
		{"corrupted magic", func(t *testing.T, path string) {
			path2, _ := currentDB(t)
			copyFile(t, path2, path)
			patchFile(t, path, 0, []byte("SQLite format 4"))
		}, "not an SQLite database"},
		{"truncated header", func(t *testing.T, path string) {
			path2, _ := currentDB(t)
			b, err := os.ReadFile(path2)
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, path, b[:60])
		}, "database disk image is malformed"}, // SQLite's words, as before
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "agents.db")
			tc.prepare(t, path)
			s, err := Open(ctx, path)
			if tc.wantErr != "" {
				if err == nil {
					s.Close()
					t.Fatal("Open succeeded")
				}
				if !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), path) {
					t.Fatalf("err = %v, want it to name %s and say %q", err, path, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if _, err := s.CreateFlag(ctx, validNew()); err != nil {
				t.Fatal(err)
			}
			var mode string
			var v int
			if err := s.cur.r.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
				t.Errorf("journal_mode = %q (%v)", mode, err)
			}
			if err := s.cur.r.QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != want {
				t.Errorf("user_version = %d (%v), want %d", v, err, want)
			}
		})
	}
}

func rawDB(tb testing.TB, path string, pragmas ...string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite", dsn(path, "immediate", false, time.Second))
	if err != nil {
		tb.Fatal(err)
	}
	db.SetMaxOpenConns(1) // PRAGMAs below hold for the one connection
	execAll(tb, db, pragmas...)
	return db
}

func execAll(tb testing.TB, db *sql.DB, qs ...string) {
	tb.Helper()
	for _, q := range qs {
		if _, err := db.Exec(q); err != nil {
			tb.Fatalf("%.40s: %v", q, err)
		}
	}
}

func rawExec(tb testing.TB, path string, qs ...string) {
	tb.Helper()
	db := rawDB(tb, path, qs...)
	if err := db.Close(); err != nil {
		tb.Fatal(err)
	}
}

func writeFile(tb testing.TB, path string, b []byte) {
	tb.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		tb.Fatal(err)
	}
}

func copyFile(tb testing.TB, from, to string) {
	tb.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		tb.Fatal(err)
	}
	writeFile(tb, to, b)
}

func patchFile(tb testing.TB, path string, off int64, b []byte) {
	tb.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		tb.Fatal(err)
	}
}

func chmod(tb testing.TB, path string, mode os.FileMode) {
	tb.Helper()
	if err := os.Chmod(path, mode); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.Chmod(path, 0o755) })
}
