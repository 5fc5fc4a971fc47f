package live

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Agent directories and files reached through symbolic links (a dotfiles
// checkout linked in as ~/.claude/agents, or single files linked into it)
// are watched where the files are, with inotify and when polling.
func TestDirWatcherFollowsLinks(t *testing.T) {
	for _, polling := range []bool{false, true} {
		name := "inotify"
		opts := DirOptions{}
		if polling {
			name = "polling"
			opts = DirOptions{PollPeriod: 50 * time.Millisecond, add: func(*fsnotify.Watcher, string) error { return syscall.ENOSPC }}
		}
		t.Run(name+"/linked root", func(t *testing.T) {
			base := t.TempDir()
			real, link := filepath.Join(base, "dotfiles"), filepath.Join(base, "agents")
			write(t, filepath.Join(real, "a.md"), "one")
			must(t, os.Symlink(real, link))
			_, ch := watchRoots(t, []string{link}, opts)
			noCall(t, ch, "nothing changed")
			write(t, filepath.Join(real, "a.md"), "one, edited")
			waitCall(t, ch, "edit")
			write(t, filepath.Join(real, "sub", "b.md"), "two")
			waitCall(t, ch, "new file in a new subdirectory")
			must(t, os.Remove(filepath.Join(real, "a.md")))
			waitCall(t, ch, "remove")
		})
		t.Run(name+"/linked file", func(t *testing.T) {
			base := t.TempDir()
			root, ext := filepath.Join(base, "agents"), filepath.Join(base, "ext")
			write(t, filepath.Join(ext, "a.md"), "one")
			write(t, filepath.Join(root, "plain.md"), "plain")
			must(t, os.Symlink(filepath.Join("..", "ext", "a.md"), filepath.Join(root, "a.md")))
			_, ch := watchRoots(t, []string{root}, opts)
			noCall(t, ch, "nothing changed")
			write(t, filepath.Join(ext, "a.md"), "one, edited")
			waitCall(t, ch, "the target edited")
			// A poll between WriteFile's truncation and its write sees two
			// edits: let the second callback, if any, come and go.
			settle(ch, 3*opts.PollPeriod+50*time.Millisecond)
			write(t, filepath.Join(ext, "other.md"), "not linked")
			noCall(t, ch, "a file no link points at")
			must(t, os.Remove(filepath.Join(ext, "a.md")))
			waitCall(t, ch, "the target removed")
			write(t, filepath.Join(ext, "a.md"), "one, back")
			waitCall(t, ch, "the target back")
			must(t, os.Symlink(filepath.Join(ext, "other.md"), filepath.Join(root, "b.md")))
			waitCall(t, ch, "a new link")
			write(t, filepath.Join(ext, "other.md"), "now linked")
			waitCall(t, ch, "the new link's target edited")
		})
	}
}

// settle drains callbacks arriving within d.
func settle(ch <-chan struct{}, d time.Duration) {
	timeout := time.After(d)
	for {
		select {
		case <-ch:
		case <-timeout:
			return
		}
	}
}
