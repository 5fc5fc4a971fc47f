package store

import (
	"context"
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
	other := filepath.Join(dir, "other.db")
	o := openAt(t, other)
	mustCreate(t, o, func(n *NewFlag) { n.SourceAgent = "@new.file" })
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(other, path); err != nil {
		t.Fatal(err)
	}

	// The old WAL's inode number may go to the new WAL: the store's own
	// file says when it followed.
	deadline := time.Now().Add(10 * time.Second)
	for !s.atPath(s.current().file) {
		if time.Now().After(deadline) {
			t.Fatal("the store has not followed the move 10 s after it")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := listAll(t, path); len(got) != 1 {
		t.Errorf("flags at the path: %v, want the new file's one", got)
	}
	if got := listAll(t, backup); len(got) != 1 || got[0] != before.ID {
		t.Errorf("flags in the old file: %v, want [%d]", got, before.ID)
	}
	ctx := context.Background()
	if fs, _, err := s.ListFlags(ctx, ListQuery{}); err != nil || len(fs) != 1 || fs[0].SourceAgent != "@new.file" {
		t.Errorf("the store lists %v (%v), want the new file's flag", fs, err)
	}
}

func (s *Store) current() *pools {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.cur
}
