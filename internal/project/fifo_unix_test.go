//go:build unix

package project

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A named pipe among the documents, or linked in as one, is skipped
// without being opened: opening one blocks until a writer comes.
func TestLoadSkipsNamedPipes(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "plain.md"), "# Plain\n")
	pipe := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(pipe, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.md"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	if err := os.Symlink(pipe, filepath.Join(dir, "linked.md")); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var (
		docs    *Docs
		skipped []Skipped
	)
	go func() {
		defer close(done)
		docs, skipped = Load([]string{dir})
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Load blocked on a named pipe")
	}
	if len(docs.List()) != 1 || len(skipped) != 2 {
		t.Fatalf("docs %v, skipped %v; want plain only, the pipes skipped", docs.List(), skipped)
	}
	for _, sk := range skipped {
		if sk.Reason != "not a regular file: it is a named pipe" {
			t.Errorf("%s skipped as %q, want it said to be a named pipe", sk.Path, sk.Reason)
		}
	}
}
