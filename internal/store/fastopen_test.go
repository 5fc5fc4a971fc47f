package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
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

func skipUnlessFastOpen(tb testing.TB) {
	tb.Helper()
	if !fastOpenSupported {
		tb.Skip("the fast path needs a descriptor-free permission check")
	}
}

func TestOpenExistingSkipsConnecting(t *testing.T) {
	skipUnlessFastOpen(t)
	ctx := context.Background()
	path, id := currentDB(t)
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !s.fast {
		t.Fatal("Open of a current WAL database bootstrapped")
	}
	if w, r := s.w.Stats().OpenConnections, s.r.Stats().OpenConnections; w != 0 || r != 0 {
		t.Fatalf("Open opened connections: write %d, read %d", w, r)
	}
	if len(s.applied) != 0 {
		t.Errorf("applied %v", s.applied)
	}
	if _, err := s.LockFlag(ctx, id, "@a", time.Hour); err != nil {
		t.Fatal(err)
	}
	f := mustCreate(t, s, nil)
	d, err := s.GetFlag(ctx, id)
	if err != nil || !d.Flag.Locked || len(d.Events) != 2 {
		t.Fatalf("after the lazy connect: %+v, %v", d, err)
	}
	if _, n, err := s.ListFlags(ctx, ListQuery{}); err != nil || n != 2 || f.ID != id+1 {
		t.Errorf("list: %d flags (%v), new id %d", n, err, f.ID)
	}
	var mode string
	if err := s.r.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q (%v)", mode, err)
	}
}

// While this process has a Store, another Open must not touch the files
// itself: closing its descriptors would drop the first Store's POSIX locks.
func TestSecondStoreInProcessBootstraps(t *testing.T) {
	skipUnlessFastOpen(t)
	path, _ := currentDB(t)
	first := openAt(t, path)
	second := openAt(t, path)
	if second.fast {
		t.Error("second Store of the process took the fast path")
	}
	for _, s := range []*Store{first, second} {
		if _, err := s.CreateFlag(context.Background(), validNew()); err != nil {
			t.Fatal(err)
		}
	}
	first.Close()
	second.Close()
	if s := openAt(t, path); !s.fast {
		t.Error("fast path not taken once the other Stores closed")
	}
}

// TestOpenSlowPathCases: files whose header does not promise a current WAL
// database take the full bootstrap and behave as before.
func TestOpenSlowPathCases(t *testing.T) {
	skipUnlessFastOpen(t)
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
			if s.fast {
				t.Fatal("took the fast path")
			}
			if _, err := s.CreateFlag(ctx, validNew()); err != nil {
				t.Fatal(err)
			}
			h := readHeader(t, path)
			if !h.wal || h.userVersion != uint32(want) && !walHasCurrent(t, path) {
				t.Errorf("after Open: header %+v", h)
			}
		})
	}
}

// TestFastPathRefusesUnwritable: the bootstrap reports these, so the fast
// path must not hide them.
func TestFastPathRefusesUnwritable(t *testing.T) {
	skipUnlessFastOpen(t)
	if runtime.GOOS == "windows" || os.Geteuid() == 0 {
		t.Skip("permissions are not enforced")
	}
	t.Run("read-only file", func(t *testing.T) {
		path, _ := currentDB(t)
		chmod(t, path, 0o444)
		fi, _ := os.Stat(path)
		if canSkipBootstrap(path, fi, schemaVersion()) {
			t.Error("fast path on a read-only file")
		}
		if s, err := Open(context.Background(), path); err == nil {
			if s.fast {
				t.Error("Open took the fast path")
			}
			s.Close()
		} else {
			t.Logf("Open: %v", err)
		}
	})
	t.Run("read-only directory", func(t *testing.T) {
		path, _ := currentDB(t)
		chmod(t, filepath.Dir(path), 0o555)
		fi, _ := os.Stat(path)
		if canSkipBootstrap(path, fi, schemaVersion()) {
			t.Error("fast path where -wal and -shm cannot be created")
		}
		if s, err := Open(context.Background(), path); err == nil {
			if s.fast {
				t.Error("Open took the fast path")
			}
			s.Close()
		} else {
			t.Logf("Open: %v", err)
		}
	})
	t.Run("read-only shm", func(t *testing.T) {
		path, _ := currentDB(t)
		writeFile(t, path+"-shm", nil)
		chmod(t, path+"-shm", 0o444)
		fi, _ := os.Stat(path)
		if canSkipBootstrap(path, fi, schemaVersion()) {
			t.Error("fast path with a read-only -shm")
		}
		if s, err := Open(context.Background(), path); err == nil {
			if s.fast {
				t.Error("Open took the fast path")
			}
			s.Close()
		} else {
			t.Logf("Open: %v", err)
		}
	})
}

// TestFastPathReadsTheWAL: until a checkpoint, the newest page 1 (and so
// user_version) lives in the WAL, and the header in the database file is
// stale. The fast-path decision must match what SQLite itself reads.
func TestFastPathReadsTheWAL(t *testing.T) {
	skipUnlessFastOpen(t)
	want := schemaVersion()
	tests := []struct {
		name string
		// make builds a database and its WAL at path, with SQLite's
		// connection still open so the WAL stays.
		make     func(t *testing.T, path string) (keep *sql.DB)
		corrupt  bool // flip a byte in the last WAL frame
		wantFast bool
	}{
		{"migration only in the WAL", func(t *testing.T, path string) *sql.DB {
			ms, _ := migrations()
			db := rawDB(t, path, "PRAGMA journal_mode=WAL", "PRAGMA wal_autocheckpoint=0")
			execAll(t, db, ms[0].sql, "PRAGMA user_version = "+itoa(want))
			return db
		}, false, true},
		{"newer version only in the WAL", func(t *testing.T, path string) *sql.DB {
			p, _ := currentDB(t)
			copyFile(t, p, path)
			db := rawDB(t, path, "PRAGMA wal_autocheckpoint=0")
			execAll(t, db, "PRAGMA user_version = "+itoa(want+1))
			return db
		}, false, false},
		{"older version only in the WAL", func(t *testing.T, path string) *sql.DB {
			p, _ := currentDB(t)
			copyFile(t, p, path)
			db := rawDB(t, path, "PRAGMA wal_autocheckpoint=0")
			execAll(t, db, "PRAGMA user_version = "+itoa(want-1))
			return db
		}, false, false},
		{"newer version in a torn last frame", func(t *testing.T, path string) *sql.DB {
			p, _ := currentDB(t)
			copyFile(t, p, path)
			db := rawDB(t, path, "PRAGMA wal_autocheckpoint=0")
			execAll(t, db, "INSERT INTO flag_events (flag_id, kind, agent, at) VALUES (1, 'created', '@a', 'x')",
				"PRAGMA user_version = "+itoa(want+1))
			return db
		}, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := filepath.Join(t.TempDir(), "src.db")
			db := tc.make(t, src)
			// Copy the files while SQLite still has them open, as another
			// process would see them, then let the copy alone be judged.
			path := filepath.Join(t.TempDir(), "agents.db")
			copyFile(t, src, path)
			copyFile(t, src+"-wal", path+"-wal")
			db.Close()
			if tc.corrupt {
				wal, err := os.ReadFile(path + "-wal")
				if err != nil {
					t.Fatal(err)
				}
				patchFile(t, path+"-wal", int64(len(wal)-1), []byte{wal[len(wal)-1] ^ 0xff})
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			got := canSkipBootstrap(path, fi, want)
			if got != tc.wantFast {
				t.Errorf("canSkipBootstrap = %v, want %v", got, tc.wantFast)
			}
			// What SQLite reads from the same files.
			check := rawDB(t, path)
			defer check.Close()
			var v int
			if err := check.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
				t.Fatal(err)
			}
			if got != (v == want) {
				t.Errorf("SQLite reads user_version %d (current %d) but fast path = %v", v, want, got)
			}
		})
	}
}

func TestParseDBHeader(t *testing.T) {
	path, _ := currentDB(t)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	good = good[:dbHeaderLen]
	h, ok := parseDBHeader(good)
	if !ok || !h.wal || h.userVersion != uint32(schemaVersion()) || h.pageSize < 512 {
		t.Fatalf("parseDBHeader(real header) = %+v, %v", h, ok)
	}
	tests := []struct {
		name   string
		mutate func(b []byte) []byte
		ok     bool
	}{
		{"short", func(b []byte) []byte { return b[:99] }, false},
		{"magic", func(b []byte) []byte { b[15] = 'x'; return b }, false},
		{"page size not a power of two", func(b []byte) []byte { binary.BigEndian.PutUint16(b[16:], 1000); return b }, false},
		{"page size 256", func(b []byte) []byte { binary.BigEndian.PutUint16(b[16:], 256); return b }, false},
		{"payload fraction", func(b []byte) []byte { b[21] = 65; return b }, false},
		{"page size 65536", func(b []byte) []byte { binary.BigEndian.PutUint16(b[16:], 1); return b }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, ok := parseDBHeader(tc.mutate(append([]byte(nil), good...))); ok != tc.ok {
				t.Errorf("ok = %v, want %v", ok, tc.ok)
			}
		})
	}
	b := append([]byte(nil), good...)
	b[18], b[19] = 1, 1
	if h, ok := parseDBHeader(b); !ok || h.wal {
		t.Errorf("rollback-journal header read as %+v, %v", h, ok)
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

func readHeader(tb testing.TB, path string) dbHeader {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	h, ok := parseDBHeader(b)
	if !ok {
		tb.Fatalf("%s: no valid header", path)
	}
	return h
}

func walHasCurrent(tb testing.TB, path string) bool {
	tb.Helper()
	img, _, ok := newestWALPage1(path + "-wal")
	if !ok || img == nil {
		return false
	}
	h, ok := parseDBHeader(img)
	return ok && h.userVersion == uint32(schemaVersion())
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

// BenchmarkFastPathDecision measures the fast path's own file reading: no
// WAL (every server closed), a short WAL, which is read in full, and a WAL
// past walScanLimit, where it gives up and Open bootstraps.
func BenchmarkFastPathDecision(b *testing.B) {
	skipUnlessFastOpen(b)
	want := schemaVersion()
	noWAL, _ := currentDB(b)
	for _, tc := range []struct {
		name string
		path string
		fast bool
	}{
		{"no_wal", noWAL, true},
		{"wal_20_rows", walCopy(b, 20), true},
		{"wal_300_rows", walCopy(b, 300), false},
	} {
		b.Run(tc.name, func(b *testing.B) {
			fi, err := os.Stat(tc.path)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if canSkipBootstrap(tc.path, fi, want) != tc.fast {
					b.Fatalf("fast path = %v, want %v", !tc.fast, tc.fast)
				}
			}
			if wi, err := os.Stat(tc.path + "-wal"); err == nil {
				b.ReportMetric(float64(wi.Size())/(1<<20), "wal-MiB")
			}
		})
	}
}

// walCopy returns a current database whose WAL holds rows more rows of
// about 3 KB each, copied while SQLite had it open so the WAL is kept.
func walCopy(tb testing.TB, rows int) string {
	tb.Helper()
	src, _ := currentDB(tb)
	db := rawDB(tb, src, "PRAGMA wal_autocheckpoint=0")
	for range rows {
		execAll(tb, db, "INSERT INTO flag_events (flag_id, kind, agent, at) VALUES (1, 'created', '@a', '"+strings.Repeat("x", 3000)+"')")
	}
	path := filepath.Join(tb.TempDir(), "agents.db")
	copyFile(tb, src, path)
	copyFile(tb, src+"-wal", path+"-wal")
	db.Close()
	return path
}

// Past walScanLimit the fast path stops reading, though the database is
// current, and Open bootstraps.
func TestFastPathGivesUpOnLongWAL(t *testing.T) {
	skipUnlessFastOpen(t)
	for _, tc := range []struct {
		rows int
		fast bool
	}{{5, true}, {400, false}} {
		path := walCopy(t, tc.rows)
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := canSkipBootstrap(path, fi, schemaVersion()); got != tc.fast {
			t.Errorf("%d rows in the WAL: fast path = %v, want %v", tc.rows, got, tc.fast)
		}
		s := openAt(t, path)
		if s.fast != tc.fast || countRows(t, s, "flag_events") != 1+tc.rows {
			t.Errorf("%d rows in the WAL: Open fast = %v, %d events", tc.rows, s.fast, countRows(t, s, "flag_events"))
		}
		s.Close()
	}
}
