//go:build unix

package agent

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestLoadSkipsFIFO loads a directory holding a named pipe called x.md, and
// a symbolic link to it: opening either would block until a writer came.
// Symbolic links to regular files are followed.
func TestLoadSkipsFIFO(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "x.md"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	writeTree(t, dir, map[string]string{"real/ok.md": "---\nname: ok\ndescription: fine\n---\n"})
	for link, target := range map[string]string{"link.md": "x.md", "ok-link.md": "real/ok.md"} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	c, warns := mustLoad(t, dirSources(dir))
	if a, ok := c.Get("ok"); !ok || a.Path != filepath.Join(dir, "ok-link.md") {
		t.Errorf("ok: %+v, want it read through ok-link.md", a)
	}
	var named []string
	for _, w := range warns {
		if strings.Contains(w.Reason, "it is a named pipe") {
			named = append(named, filepath.Base(w.Path))
		}
	}
	if strings.Join(named, " ") != "link.md x.md" {
		t.Errorf("warnings %v, want one per path to the pipe", warns)
	}
}

// TestLastGoodSkipsAFileReplacedByAFIFO: a live reload looks at the files
// Load warned about; one that became a named pipe is not an edit to keep
// the last good version of, and looking must not block on it.
func TestLastGoodSkipsAFileReplacedByAFIFO(t *testing.T) {
	dir := t.TempDir()
	writeAgent(t, dir, "a.md", "alpha", "Alpha.")
	srcs := dirSources(dir)
	prev, _ := mustLoad(t, srcs)
	if err := os.Remove(filepath.Join(dir, "a.md")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "a.md"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	cat, warns := mustLoad(t, srcs)
	done := make(chan []string, 1)
	go func() {
		_, kept := LastGood(srcs, prev, cat, warns)
		done <- kept
	}()
	select {
	case kept := <-done:
		if len(kept) != 0 {
			t.Errorf("kept %v, want nothing for a pipe", kept)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("LastGood blocked opening the named pipe")
	}
}
