package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func removeDB(tb testing.TB, path string) {
	tb.Helper()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(path + suffix); err != nil && !os.IsNotExist(err) {
			tb.Fatal(err)
		}
	}
}

// listAll reads every flag id of the database at path with a Store of its
// own, as another process would.
func listAll(tb testing.TB, path string) []int64 {
	tb.Helper()
	s, err := Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	defer s.Close()
	fs, _, err := s.ListFlags(context.Background(), ListQuery{})
	if err != nil {
		tb.Fatal(err)
	}
	var ids []int64
	for _, f := range fs {
		ids = append(ids, f.ID)
	}
	return ids
}

// The reproduction of issue 8 item 2: every write acknowledged after the
// file was removed lands in the file now at the path.
func TestRemovedDatabaseKeepsLaterWrites(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "agents.db")
	first := openAt(t, path)
	mustCreate(t, first, nil)
	removeDB(t, path)

	a := mustCreate(t, first, func(n *NewFlag) { n.SourceAgent = "@after.rm" })
	second := openAt(t, path)
	b := mustCreate(t, first, func(n *NewFlag) { n.SourceAgent = "@after.second" })
	c := mustCreate(t, second, nil)

	got := listAll(t, path)
	want := []int64{a.ID, b.ID, c.ID}
	if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("flags at %s: %v, want %v (ids %d, %d, %d acknowledged)", path, got, want, a.ID, b.ID, c.ID)
	}
	if a.ID != 1 {
		t.Errorf("first write after rm got id %d, want 1 (a fresh database)", a.ID)
	}
	// Reads follow the file too.
	fs, n, err := first.ListFlags(ctx, ListQuery{})
	if err != nil || n != 3 || len(fs) != 3 {
		t.Errorf("first store lists %d flags (%v), want 3", n, err)
	}
}

func TestReplacedDatabaseIsFollowed(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "agents.db")
	s := openAt(t, path)
	old := mustCreate(t, s, nil)
	if _, err := s.LockFlag(ctx, old.ID, "@a", 0+1e9); err != nil {
		t.Fatal(err)
	}

	other := filepath.Join(dir, "other.db")
	o, err := Open(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		mustCreate(t, o, func(n *NewFlag) { n.SourceAgent = "@other" })
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(other, path); err != nil { // mv other.db agents.db
		t.Fatal(err)
	}

	// A read sees the new file.
	fs, n, err := s.ListFlags(ctx, ListQuery{})
	if err != nil || n != 2 || fs[0].SourceAgent != "@other" {
		t.Fatalf("after mv, list = %d flags (%v), want the 2 of the new file", n, err)
	}
	// A write lands in it.
	f := mustCreate(t, s, nil)
	if f.ID != 3 {
		t.Errorf("write after mv got id %d, want 3", f.ID)
	}
	if got := listAll(t, path); len(got) != 3 {
		t.Errorf("flags at %s: %v, want 3", path, got)
	}
}

// The mismatch found after the commit: the write went to the unlinked file,
// so it is redone on the new one.
func TestWriteRedoneWhenFileChangesDuringCommit(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "agents.db")
	s := openAt(t, path)
	mustCreate(t, s, nil)
	removed := false
	in := validNew()
	// The first attempt removes the file inside its transaction, after the
	// check before it; the second must not.
	err := s.writeTx(ctx, "test", []string{sqlInsertEvent}, func(w *txn) error {
		if !removed {
			removeDB(t, path)
			removed = true
		}
		_, err := w.exec(sqlInsertFlag, in.FlagType, in.SourceAgent, in.TargetAgent, in.ChangeDescription,
			in.ActionRequired, "medium", "[]", nil, nil, nil, nil, "2026-01-01T00:00:00.000Z", nil, nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := listAll(t, path); len(got) != 1 {
		t.Errorf("flags at %s after the redo: %v, want 1", path, got)
	}
}

// Another server may remove the file and write a new one, with a WAL of
// its own, right after a write here made sure its file was still at the
// path. The WAL recorded as this write's must still be the old file's:
// the next write's reopen removes the recorded WAL when it is still at the
// path, and must not take the other server's acknowledged writes with it.
func TestNewFilesWALIsNotTakenForTheOldOnes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agents.db")
	s := openAt(t, path)
	mustCreate(t, s, nil)
	var other *Store
	var theirs Flag
	checkedFile = func() {
		checkedFile = func() {}
		removeDB(t, path)
		other = openAt(t, path)
		theirs = mustCreate(t, other, func(n *NewFlag) { n.SourceAgent = "@other.server" })
	}
	t.Cleanup(func() { checkedFile = func() {} })
	mustCreate(t, s, nil) // acknowledged on the old file, then it goes
	ours := mustCreate(t, s, func(n *NewFlag) { n.SourceAgent = "@after.reopen" })
	got := listAll(t, path)
	if len(got) != 2 || got[0] != theirs.ID || got[1] != ours.ID {
		t.Fatalf("flags at %s: %v, want [%d %d] (the other server's write, then ours)", path, got, theirs.ID, ours.ID)
	}
}

func TestReplacedByUnwritableFails(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "agents.db")
	s := openAt(t, path)
	mustCreate(t, s, nil)
	removeDB(t, path)
	if err := os.WriteFile(path, []byte(strings.Repeat("not a database\n", 200)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := s.CreateFlag(ctx, validNew())
	se := wantCode(t, err, CodeUnavailable, "replaced or removed")
	if !strings.Contains(se.Message, "nothing was stored") {
		t.Errorf("message %q does not say nothing was stored", se.Message)
	}
	// A read meets the same file, and has nothing to say it did not store.
	_, _, err = s.ListFlags(ctx, ListQuery{})
	se = wantCode(t, err, CodeUnavailable, "replaced or removed")
	if strings.Contains(se.Message, "stored") {
		t.Errorf("a read's message %q speaks of storing", se.Message)
	}
	// Once a database is back, the store serves again.
	removeDB(t, path)
	if _, err := s.CreateFlag(ctx, validNew()); err != nil {
		t.Errorf("after the bad file went away: %v", err)
	}
}

// mv agents.db backup.db leaves the -wal at the path with the writes not
// yet copied into the file; the reopen that follows the move must copy
// them into the moved file before it removes that WAL, as the README says
// ("writes acknowledged before the change stay in the old file").
func TestMovedAwayDatabaseKeepsEarlierWrites(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "agents.db")
	backup := filepath.Join(dir, "backup.db")
	s := openAt(t, path)
	a := mustCreate(t, s, nil)
	b := mustCreate(t, s, nil)
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Fatalf("no WAL beside the database before the move: %v", err)
	}
	if err := os.Rename(path, backup); err != nil {
		t.Fatal(err)
	}
	c := mustCreate(t, s, func(n *NewFlag) { n.SourceAgent = "@after.mv" })
	if got := listAll(t, path); len(got) != 1 || got[0] != c.ID {
		t.Errorf("flags at %s: %v, want [%d] (the write after the move)", path, got, c.ID)
	}
	if got := listAll(t, backup); len(got) != 2 || got[0] != a.ID || got[1] != b.ID {
		t.Errorf("flags in the moved file: %v, want [%d %d] (acknowledged before the move)", got, a.ID, b.ID)
	}
}

// The database's directory moved away (mv .mcp-agents old) takes the file
// with it; the next write makes the directory again, as at start, instead
// of failing until someone does.
func TestDirectoryMovedAwayIsMadeAgain(t *testing.T) {
	dir := filepath.Join(t.TempDir(), ".mcp-agents")
	path := filepath.Join(dir, "agents.db")
	s := openAt(t, path)
	mustCreate(t, s, nil)
	if err := os.Rename(dir, dir+".old"); err != nil {
		t.Fatal(err)
	}
	c := mustCreate(t, s, func(n *NewFlag) { n.SourceAgent = "@after.mv" })
	if got := listAll(t, path); len(got) != 1 || got[0] != c.ID {
		t.Errorf("flags at %s: %v, want [%d]", path, got, c.ID)
	}
}

// A write committed to the file that then left the path, and that cannot
// be redone on whatever is there now, was stored: its error must say
// where, not that nothing was stored.
func TestRedoThatFailsSaysTheWriteIsInTheOldFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "agents.db")
	backup := filepath.Join(dir, "backup.db")
	s := openAt(t, path)
	mustCreate(t, s, nil)
	in := validNew()
	moved := false
	err := s.writeTx(ctx, "test", []string{sqlInsertFlag}, func(w *txn) error {
		if !moved {
			moved = true
			if err := os.Rename(path, backup); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(path, 0o755); err != nil { // nothing can open it
				t.Fatal(err)
			}
		}
		_, err := w.exec(sqlInsertFlag, in.FlagType, in.SourceAgent, in.TargetAgent, in.ChangeDescription,
			in.ActionRequired, "medium", "[]", nil, nil, nil, nil, "2026-01-01T00:00:00.000Z", nil, nil)
		return err
	})
	var se *Error
	if !errors.As(err, &se) || strings.Contains(se.Message, "nothing was stored") || !strings.Contains(se.Message, "stored in the file that was at the path") {
		t.Fatalf("error %v; want one saying the write is in the file that was at the path", err)
	}
	if got := listAll(t, backup); len(got) != 2 {
		t.Errorf("flags in the moved file: %v, want 2 (the write is there)", got)
	}
}
