package store

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// populated returns the path of a closed (checkpointed) database holding n
// flags.
func populated(tb testing.TB, n int) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "agents.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	for range n {
		mustCreate(tb, s, nil)
	}
	if err := s.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

// pagesOf returns the pages of table's b-tree (dbstat), root first.
func pagesOf(tb testing.TB, path, table, pageType string) []int64 {
	tb.Helper()
	db := rawDB(tb, path)
	defer db.Close()
	q := "SELECT pageno FROM dbstat WHERE name = ?"
	args := []any{table}
	if pageType != "" {
		q += " AND pagetype = ?"
		args = append(args, pageType)
	}
	rows, err := db.Query(q+" ORDER BY pageno", args...)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var pages []int64
	for rows.Next() {
		var p int64
		if err := rows.Scan(&p); err != nil {
			tb.Fatal(err)
		}
		pages = append(pages, p)
	}
	return pages
}

func rootPage(tb testing.TB, path, table string) int64 {
	tb.Helper()
	db := rawDB(tb, path)
	defer db.Close()
	var p int64
	if err := db.QueryRow("SELECT rootpage FROM sqlite_schema WHERE name = ?", table).Scan(&p); err != nil {
		tb.Fatal(err)
	}
	return p
}

// smash overwrites database page n (1-based, 4 KiB pages) with garbage.
func smash(tb testing.TB, path string, n int64) {
	tb.Helper()
	patchFile(tb, path, (n-1)*4096, bytes.Repeat([]byte{0xa5}, 4096))
}

// The start-up probe refuses a file damaged past its header, naming the
// file and the fault.
func TestOpenRefusesCorruptFile(t *testing.T) {
	for _, table := range []string{"flags", "flag_events"} {
		t.Run(table, func(t *testing.T) {
			path := populated(t, 300)
			smash(t, path, rootPage(t, path, table))
			s, err := Open(context.Background(), path)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded on a corrupt file")
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "corrupt") {
				t.Errorf("err = %v, want the path and \"corrupt\"", err)
			}
		})
	}
	t.Run("last leaf", func(t *testing.T) {
		path := populated(t, 300)
		leaves := pagesOf(t, path, "flags", "leaf")
		smash(t, path, leaves[len(leaves)-1])
		if s, err := Open(context.Background(), path); err == nil {
			s.Close()
			t.Fatal("Open succeeded with the last flags page corrupt")
		}
	})
}

// Corruption the probe does not reach (a leaf in the middle) is reported
// by the call that meets it, as corruption, not as an internal error.
func TestCorruptPageWhileServing(t *testing.T) {
	path := populated(t, 300)
	leaves := pagesOf(t, path, "flags", "leaf")
	if len(leaves) < 5 {
		t.Fatalf("only %d leaves", len(leaves))
	}
	smash(t, path, leaves[len(leaves)/2])
	s := openAt(t, path)
	_, _, err := s.ListFlags(context.Background(), ListQuery{})
	wantCode(t, err, CodeUnavailable, "the database file is corrupt")
	// A read has nothing to say it did not store.
	if strings.Contains(err.Error(), "stored") {
		t.Errorf("a read's message %q speaks of storing", err)
	}
}

func TestDiskFull(t *testing.T) {
	// max_page_count is a per-connection cap on the file's size, which
	// SQLite reports as SQLITE_FULL exactly as it does a full disk.
	s := openTest(t, func(s *Store) { s.pragmas = append(s.pragmas, "max_page_count(48)") })
	ctx := context.Background()
	acked := 0
	var err error
	for range 10_000 {
		in := validNew()
		in.ActionRequired = strings.Repeat("Rebuild the image and redeploy. ", 300)
		if _, err = s.CreateFlag(ctx, in); err != nil {
			break
		}
		acked++
	}
	wantCode(t, err, CodeUnavailable)
	if got := err.Error(); got != "the database disk is full; nothing was stored" {
		t.Errorf("message = %q", got)
	}
	if n := countRows(t, s, "flags"); n != acked {
		t.Errorf("%d flags stored, %d acknowledged", n, acked)
	}
	// Reads still work.
	if _, n, err := s.ListFlags(ctx, ListQuery{}); err != nil || n != acked {
		t.Errorf("list after full: %d, %v", n, err)
	}
}

func TestReadOnlyWhileServing(t *testing.T) {
	s := openTest(t)
	f := mustCreate(t, s, nil)
	// The write connection turns read-only, as it would on a filesystem
	// remounted read-only.
	if _, err := s.cur.w.Exec("PRAGMA query_only = 1"); err != nil {
		t.Fatal(err)
	}
	_, err := s.LockFlag(context.Background(), f.ID, "@a", 1e9)
	wantCode(t, err, CodeUnavailable, "the database is read-only", "nothing was stored")
}

// readOnlyFile makes path unwritable even for root (chattr +i), or skips.
func readOnlyFile(tb testing.TB, path string) {
	tb.Helper()
	if os.Geteuid() != 0 {
		chmod(tb, path, 0o444)
		return
	}
	if out, err := exec.Command("chattr", "+i", path).CombinedOutput(); err != nil {
		tb.Skipf("cannot make a file read-only as root: chattr: %v %s", err, out)
	}
	tb.Cleanup(func() { exec.Command("chattr", "-i", path).Run() })
}

func TestOpenRefusesReadOnlyFile(t *testing.T) {
	path := populated(t, 3)
	readOnlyFile(t, path)
	s, err := Open(context.Background(), path)
	if err == nil {
		_, cerr := s.CreateFlag(context.Background(), validNew())
		s.Close()
		t.Fatalf("Open succeeded on a read-only file; create: %v", cerr)
	}
	if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("err = %v, want the path and \"read-only\"", err)
	}
	// The refusal leaves no -wal or -shm behind: SQLite made them with
	// the file's permissions, read-only, and they kept the database
	// refused once the file was writable again.
	for _, suffix := range []string{"-wal", "-shm"} {
		if _, err := os.Lstat(path + suffix); err == nil {
			t.Errorf("the refused Open left %s behind", path+suffix)
		}
	}
}

// crashedCopy is a database with the -wal and -shm files a process that
// died while writing leaves behind: a copy, in a directory of its own, of a
// store's files taken while it is open.
func crashedCopy(tb testing.TB) string {
	tb.Helper()
	src := filepath.Join(tb.TempDir(), "agents.db")
	s, err := Open(context.Background(), src)
	if err != nil {
		tb.Fatal(err)
	}
	defer s.Close()
	for range 3 {
		mustCreate(tb, s, nil)
	}
	dst := filepath.Join(tb.TempDir(), "ro.db")
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(src + suffix)
		if err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(dst+suffix, b, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return dst
}

// A -wal or -shm file left behind that cannot be written is refused at
// Open, naming it: SQLite opened it read-only without complaint, the
// server started, and every write then failed as read-only.
func TestOpenRefusesReadOnlyWALOrSHM(t *testing.T) {
	for _, suffix := range []string{"-wal", "-shm"} {
		t.Run(suffix, func(t *testing.T) {
			path := crashedCopy(t)
			readOnlyFile(t, path+suffix)
			s, err := Open(context.Background(), path)
			if err == nil {
				_, cerr := s.CreateFlag(context.Background(), validNew())
				s.Close()
				t.Fatalf("Open succeeded with a read-only %s; create: %v", suffix, cerr)
			}
			if !strings.Contains(err.Error(), path+suffix+" cannot be written") || !strings.Contains(err.Error(), "read-only") {
				t.Errorf("err = %v, want it to name %s and say it cannot be written", err, path+suffix)
			}
		})
	}
	// Writable ones are the usual leftovers of a crash: the store opens,
	// with the flags the -wal held, and writes.
	path := crashedCopy(t)
	s := openAt(t, path)
	if _, n, err := s.ListFlags(context.Background(), ListQuery{}); err != nil || n != 3 {
		t.Fatalf("after a crash: %d flags, %v; want 3", n, err)
	}
	mustCreate(t, s, nil)
}

// A database on a full disk, opened with no -shm file beside it, is
// refused saying the disk may be full: SQLite cannot grow the -shm file
// (SQLITE_IOERR_SHMSIZE), which read "I/O error" and hid the cause. Needs
// a small tmpfs to fill, so root and mount(8); skipped without them.
func TestOpenOnAFullDisk(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs to fill: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	path := filepath.Join(dir, "agents.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, nil)
	s.Close()
	fill, err := os.Create(filepath.Join(dir, "fill"))
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := fill.Write(make([]byte, 4096)); err != nil {
			break
		}
	}
	fill.Close()
	s, err = Open(context.Background(), path)
	if err == nil {
		s.Close()
		t.Skip("Open succeeded on the full disk: SQLite found room for its -shm")
	}
	if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("err = %v, want the path and that the disk may be full", err)
	}
}
