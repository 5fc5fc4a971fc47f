package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestPersistenceAcrossReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "nested", "dir", "agents.db") // parent dirs created
	clk := newFakeClock()
	s, err := Open(ctx, path, WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	if s.Path() != path {
		t.Errorf("Path = %q, want %q", s.Path(), path)
	}
	if len(s.applied) != schemaVersion() {
		t.Errorf("first open applied %v", s.applied)
	}
	f := mustCreate(t, s, func(f *NewFlag) { f.Context = []byte(`{"k":"v"}`); f.RelatedFiles = []string{"a.go"} })
	if _, err := s.LockFlag(ctx, f.ID, "@a", time.Hour); err != nil {
		t.Fatal(err)
	}
	before, _ := s.GetFlag(ctx, f.ID)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(ctx, path, WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if len(s.applied) != 0 {
		t.Errorf("reopen applied migrations again: %v", s.applied)
	}
	after, err := s.GetFlag(ctx, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !after.Flag.Locked || string(after.Flag.Context) != `{"k":"v"}` || len(after.Events) != 2 {
		t.Errorf("after reopen: %+v", after)
	}
	if !jsonEqual(t, before, after) {
		t.Errorf("flag changed across reopen")
	}
	var mode string
	if err := s.cur.r.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q (%v), want wal", mode, err)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agents.db")
	s := openAt(t, path)
	future := schemaVersion() + 3
	if _, err := s.cur.w.Exec("PRAGMA user_version = " + itoa(future)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err := Open(context.Background(), path)
	want := "database schema version " + itoa(future) + " is newer than this mcp-agents supports (" + itoa(schemaVersion()) + "); upgrade mcp-agents"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want it to contain %q", err, want)
	}
}

func TestOpenErrorsNameThePath(t *testing.T) {
	dir := t.TempDir()
	notDB := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notDB, []byte(strings.Repeat("this is not a database\n", 100)), 0o644); err != nil {
		t.Fatal(err)
	}
	fileAsDir := filepath.Join(dir, "file")
	if err := os.WriteFile(fileAsDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, want string
	}{
		{"not a database", notDB, "not an SQLite database"},
		{"parent is a file", filepath.Join(fileAsDir, "agents.db"), "cannot create the directory"},
		{"path is a directory", dir, "is a directory"},
	}
	if runtime.GOOS != "windows" && os.Geteuid() != 0 {
		ro := filepath.Join(dir, "ro")
		if err := os.Mkdir(ro, 0o555); err != nil {
			t.Fatal(err)
		}
		tests = append(tests, struct{ name, path, want string }{"unwritable dir", filepath.Join(ro, "agents.db"), "cannot open database"})
		tests = append(tests, struct{ name, path, want string }{"unwritable parent", filepath.Join(ro, "sub", "agents.db"), "cannot create the directory"})
	}
	if runtime.GOOS == "linux" {
		// Unwritable even for root, who ignores directory permissions.
		tests = append(tests, struct{ name, path, want string }{"unwritable /proc", "/proc/mcp-agents-test.db", "cannot open database"})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(context.Background(), tc.path)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tc.path) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to name %s and say %q", err, tc.path, tc.want)
			}
		})
	}
	if _, err := Open(context.Background(), " "); err == nil {
		t.Error("empty path accepted")
	}
}

func TestBusyBecomesCodeBusy(t *testing.T) {
	s, path := openWithBusyTimeout(t, 100*time.Millisecond)
	f := mustCreate(t, s, nil)
	release := holdWriteLock(t, path)

	calls := map[string]func() error{
		"create":   func() error { _, err := s.CreateFlag(context.Background(), validNew()); return err },
		"lock":     func() error { _, err := s.LockFlag(context.Background(), f.ID, "@a", time.Minute); return err },
		"unlock":   func() error { _, err := s.UnlockFlag(context.Background(), f.ID, "@a", true); return err },
		"complete": func() error { _, err := s.CompleteFlag(context.Background(), f.ID, "@a", ""); return err },
	}
	for name, call := range calls {
		err := call()
		var se *Error
		if !errors.As(err, &se) || se.Code != CodeBusy || !strings.HasPrefix(se.Message, "the database is busy") || !strings.HasSuffix(se.Message, "nothing was stored, retry") {
			t.Errorf("%s while another connection holds the write lock: %v, want CodeBusy", name, err)
		}
	}
	// Readers are not blocked by a writer under WAL.
	if _, err := s.GetFlag(context.Background(), f.ID); err != nil {
		t.Errorf("read during a foreign write lock: %v", err)
	}
	release()
	if _, err := s.CreateFlag(context.Background(), validNew()); err != nil {
		t.Errorf("after the lock is released: %v", err)
	}
}

func openAt(tb testing.TB, path string) *Store {
	tb.Helper()
	s, err := Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// Writes queued behind one that waits on another process's lock each wait
// no longer than the busy timeout from when they were made, not one
// timeout after another.
func TestQueuedWritesWaitOneBusyTimeout(t *testing.T) {
	const busy = 300 * time.Millisecond
	s, path := openWithBusyTimeout(t, busy)
	mustCreate(t, s, nil)
	holdWriteLock(t, path)

	const n = 10
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, n)
	took := make([]time.Duration, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = s.CreateFlag(context.Background(), validNew())
			took[i] = time.Since(start)
		})
	}
	wg.Wait()
	for i := range n {
		var se *Error
		if !errors.As(errs[i], &se) || se.Code != CodeBusy || !strings.HasSuffix(se.Message, "nothing was stored, retry") {
			t.Errorf("write %d: %v, want CodeBusy", i, errs[i])
		}
		// One busy timeout in all, waiting for the connection and then
		// for the lock: never n of them.
		if took[i] > busy+700*time.Millisecond {
			t.Errorf("write %d answered after %v; the busy timeout is %v", i, took[i], busy)
		}
	}
}

// A write that gets the connection late, because the write before it was
// cancelled while waiting on another process's lock, waits for the lock
// only what is left of its own busy timeout, not a whole one from there.
func TestWriteAfterCancelledWaitKeepsItsDeadline(t *testing.T) {
	const busy = time.Second
	s, path := openWithBusyTimeout(t, busy)
	mustCreate(t, s, nil)
	release := holdWriteLock(t, path)

	first, cancel := context.WithCancel(context.Background())
	firstDone := make(chan error, 1)
	go func() { _, err := s.CreateFlag(first, validNew()); firstDone <- err }()
	time.Sleep(100 * time.Millisecond) // the first write has the connection and waits for the lock
	start := time.Now()
	secondDone := make(chan error, 1)
	go func() { _, err := s.CreateFlag(context.Background(), validNew()); secondDone <- err }()
	time.Sleep(700 * time.Millisecond)
	cancel()
	if err := <-firstDone; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled write: %v, want context.Canceled", err)
	}
	err := <-secondDone
	took := time.Since(start)
	var se *Error
	if !errors.As(err, &se) || se.Code != CodeBusy || !strings.HasSuffix(se.Message, "nothing was stored, retry") {
		t.Errorf("second write: %v, want CodeBusy", err)
	}
	// Its deadline is 1 s after it was made; a fresh timeout from the
	// cancel would end at 1.7 s.
	if took > busy+400*time.Millisecond {
		t.Errorf("second write answered after %v; its busy timeout is %v from when it was made", took, busy)
	}
	release()
	if _, n, err := s.ListFlags(context.Background(), ListQuery{Status: "all"}); err != nil || n != 1 {
		t.Errorf("%d flags stored, want 1 (the refused writes store nothing)", n)
	}
}

// openWithBusyTimeout opens a store on a new file with the given busy
// timeout, closed at the end of the test.
func openWithBusyTimeout(t *testing.T, busy time.Duration) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "agents.db")
	s, err := Open(context.Background(), path, withBusyTimeout(busy))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

// holdWriteLock takes the write lock of the database at path on a
// connection of its own, as another process would, until release (or the
// end of the test).
func holdWriteLock(t *testing.T, path string) (release func()) {
	t.Helper()
	other, err := sql.Open("sqlite", dsn(path, "immediate", false, time.Second))
	if err != nil {
		t.Fatal(err)
	}
	tx, err := other.Begin()
	if err != nil {
		other.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Rollback(); other.Close() })
	return func() { tx.Rollback() }
}

// A change's time is read once it holds the write lock, not when the call
// was made: flags created one after another have times in id order, and a
// lease taken after a wait for the lock is still whole. (A create that
// waited behind another process's write was stamped before the flag
// created in the meantime.)
func TestChangeTimesAreReadUnderTheWriteLock(t *testing.T) {
	clock := newFakeClock()
	path := filepath.Join(t.TempDir(), "agents.db")
	s, err := Open(context.Background(), path, WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	pending := mustCreate(t, s, nil)
	for name, call := range map[string]func() (Flag, error){
		"create": func() (Flag, error) { return s.CreateFlag(context.Background(), validNew()) },
		"lock":   func() (Flag, error) { return s.LockFlag(context.Background(), pending.ID, "@a", time.Minute) },
	} {
		t.Run(name, func(t *testing.T) {
			release := holdWriteLock(t, path)
			done := make(chan Flag, 1)
			go func() {
				f, err := call()
				if err != nil {
					t.Errorf("%s: %v", name, err)
				}
				done <- f
			}()
			time.Sleep(200 * time.Millisecond) // the call is waiting for the lock
			clock.Advance(time.Hour)
			want := formatTime(clock.Now())
			release()
			f := <-done
			got := f.CreatedAt
			if name == "lock" {
				if f.LockExpiresAt == nil {
					t.Fatalf("lock answered %+v, no lease", f)
				}
				got, want = *f.LockExpiresAt, formatTime(clock.Now().Add(time.Minute))
			}
			if got != want {
				t.Errorf("%s stamped %s, want %s (the time it got the write lock)", name, got, want)
			}
		})
	}
}
