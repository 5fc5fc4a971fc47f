package store

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// An idle store that follows its file takes the old file's WAL off the
// path as soon as a new file is moved over it, without a call: the old
// flags are then in the old file, and a store opened afterwards (another
// process) reads the new file alone.
func TestFollowTakesTheOldWALOffThePath(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "agents.db")
	s := openAt(t, path)
	defer s.Follow(slog.Default())()
	before := mustCreate(t, s, nil)
	backup := filepath.Join(dir, "backup.db")
	if err := os.Link(path, backup); err != nil {
		t.Fatal(err)
	}
	newFileOver(t, path)
	// The old WAL's inode number may go to the new WAL: the store's own
	// file says when it followed.
	waitFollowed(t, s)
	if got := listAll(t, path); len(got) != 1 {
		t.Errorf("flags at the path: %v, want the new file's one", got)
	}
	if got := listAll(t, backup); len(got) != 1 || got[0] != before.ID {
		t.Errorf("flags in the old file: %v, want [%d]", got, before.ID)
	}
	listsNewFile(t, s)
}

// The old WAL leaves the path as soon as the file moves, even while a call
// of the store is in flight (a long one delays the checkpoint and the
// reopen): until it does, a process opening the path reads the new file
// through it, and what it writes there is lost.
func TestFollowUnpairsAtOnceDuringACall(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "agents.db")
	s := openAt(t, path)
	defer s.Follow(slog.Default())()
	before := mustCreate(t, s, nil)
	backup := filepath.Join(dir, "backup.db")
	if err := os.Link(path, backup); err != nil {
		t.Fatal(err)
	}

	if _, err := s.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	newFileOver(t, path)
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := os.Stat(path + "-wal")
		if os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			s.release()
			t.Fatalf("the old WAL is still at the path 5 s after the move, with a call in flight (%v)", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.release()

	waitFollowed(t, s)
	if got := listAll(t, backup); len(got) != 1 || got[0] != before.ID {
		t.Errorf("flags in the old file: %v, want [%d]", got, before.ID)
	}
	listsNewFile(t, s)
}

// newFileOver moves a new database file, with one flag from @new.file,
// over path, as `mv new.db agents.db`.
func newFileOver(t *testing.T, path string) {
	t.Helper()
	other := filepath.Join(filepath.Dir(path), "other.db")
	o := openAt(t, other)
	mustCreate(t, o, func(n *NewFlag) { n.SourceAgent = "@new.file" })
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(other, path); err != nil {
		t.Fatal(err)
	}
}

// waitFollowed waits until s is on the file at its path.
func waitFollowed(t *testing.T, s *Store) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !s.atPath(s.current().file) {
		if time.Now().After(deadline) {
			t.Fatal("the store has not followed its file 10 s after it moved")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// listsNewFile checks that s reads the file newFileOver moved in.
func listsNewFile(t *testing.T, s *Store) {
	t.Helper()
	if fs, _, err := s.ListFlags(context.Background(), ListQuery{}); err != nil || len(fs) != 1 || fs[0].SourceAgent != "@new.file" {
		t.Errorf("the store lists %v (%v), want the new file's flag", fs, err)
	}
}

func (s *Store) current() *pools {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.cur
}

// A database opened through a symbolic link is its target: SQLite keeps the
// -wal and -shm beside the target, so a new file moved over the target is
// followed, and the old WAL taken off, there. Compared through the link, the
// old WAL stayed beside the target and was replayed into the new file.
func TestFollowThroughALink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	if err := os.Mkdir(real, 0o755); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(real, "agents.db")
	openAt(t, target).Close()
	link := filepath.Join(dir, "agents.db")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	s := openAt(t, link)
	defer s.Follow(slog.Default())()
	before := mustCreate(t, s, nil)
	backup := filepath.Join(real, "backup.db")
	if err := os.Link(target, backup); err != nil {
		t.Fatal(err)
	}
	newFileOver(t, target)
	waitFollowed(t, s)
	listsNewFile(t, s)
	if got := listAll(t, backup); len(got) != 1 || got[0] != before.ID {
		t.Errorf("flags in the old file: %v, want [%d]", got, before.ID)
	}
}

// A link whose target does not exist yet at start is resolved too: the
// store creates the target, and a link re-pointed later is not followed.
func TestDanglingLinkIsResolvedAtOpen(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "first.db")
	link := filepath.Join(dir, "agents.db")
	if err := os.Symlink("first.db", link); err != nil {
		t.Fatal(err)
	}
	s := openAt(t, link)
	mustCreate(t, s, nil)
	if err := os.Remove(link); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("second.db", link); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, nil)
	if got := listAll(t, target); len(got) != 2 {
		t.Errorf("flags in the link's first target: %v, want both", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "second.db")); err == nil {
		t.Error("the re-pointed link was followed: second.db was created")
	}
}

// Every write of every process goes to the -wal beside the file, and other
// files may come and go in its directory: none of that wakes a following
// store, which watches the file itself. Moving the file still does.
func TestFollowWakesOnlyForTheFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "agents.db")
	s := openAt(t, path)
	defer s.Follow(slog.Default())()
	o := openAt(t, path) // as another process
	for range 150 {      // past an automatic checkpoint, which writes the file
		mustCreate(t, o, nil)
	}
	for i := range 100 {
		name := filepath.Join(dir, fmt.Sprintf("neighbour-%d", i))
		if err := os.WriteFile(name, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(name); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(300 * time.Millisecond)
	if n := s.wakes.Load(); n != 0 {
		t.Errorf("writes and neighbours woke the follower %d times, want 0", n)
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}

	if err := os.Rename(path, filepath.Join(dir, "backup.db")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	closed := func() bool {
		s.mu.RLock()
		defer s.mu.RUnlock()
		return s.cur.closed
	}
	for !closed() {
		if time.Now().After(deadline) {
			t.Fatal("the store has not followed its file moved away 10 s after")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
