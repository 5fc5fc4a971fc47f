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

// A linked root whose target directory is deleted or moved away, then made
// again at the same path, is awaited where the link points, as a missing
// root is: the agents written there afterwards reload. The target beside
// the link and in another directory.
func TestDirWatcherAwaitsALinkedRootsTarget(t *testing.T) {
	for _, gone := range []string{"removed", "moved away"} {
		for _, where := range []string{"beside the link", "elsewhere"} {
			t.Run(gone+"/"+where, func(t *testing.T) {
				base := t.TempDir()
				real, link := filepath.Join(base, "dotfiles"), filepath.Join(base, "agents")
				if where == "elsewhere" {
					real = filepath.Join(base, "checkouts", "dotfiles", "agents")
				}
				write(t, filepath.Join(real, "a.md"), "one")
				must(t, os.Symlink(real, link))
				d, ch := watchRoots(t, []string{link}, DirOptions{})
				noCall(t, ch, "nothing changed")
				if gone == "removed" {
					must(t, os.RemoveAll(real))
				} else {
					must(t, os.Rename(real, real+".old"))
				}
				waitCall(t, ch, "target "+gone)
				settle(ch, 300*time.Millisecond)
				must(t, os.Mkdir(real, 0o755))
				waitCall(t, ch, "target made again")
				settle(ch, 300*time.Millisecond)
				write(t, filepath.Join(real, "b.md"), "two")
				waitCall(t, ch, "file added to the new target")
				write(t, filepath.Join(real, "b.md"), "two, edited")
				waitCall(t, ch, "file edited in the new target")
				if d.Polling() {
					t.Fatal("fell back to polling")
				}
			})
		}
	}
}

// A linked agent file whose target's directory is removed or moved away,
// then made again, is awaited where the link points: the file written
// there afterwards, and its edits, reload. So is a link dangling at start
// into a directory made later. The directory's watch went with it and
// nothing watched the place it came back in.
func TestDirWatcherAwaitsALinkedFilesDirectory(t *testing.T) {
	for _, gone := range []string{"removed", "moved away", "never made"} {
		t.Run(gone, func(t *testing.T) {
			base := t.TempDir()
			root, dir := filepath.Join(base, "agents"), filepath.Join(base, "ext", "team")
			write(t, filepath.Join(root, "plain.md"), "plain")
			if gone != "never made" {
				write(t, filepath.Join(dir, "a.md"), "one")
			}
			must(t, os.Symlink(filepath.Join(dir, "a.md"), filepath.Join(root, "a.md")))
			d, ch := watchRoots(t, []string{root}, DirOptions{})
			noCall(t, ch, "nothing changed")
			switch gone {
			case "removed":
				must(t, os.RemoveAll(dir))
			case "moved away":
				must(t, os.Rename(dir, dir+".old"))
			}
			if gone != "never made" {
				waitCall(t, ch, "target's directory "+gone)
				settle(ch, 300*time.Millisecond)
			}
			must(t, os.MkdirAll(dir, 0o755)) // with ext, for the link that never led anywhere
			waitCall(t, ch, "target's directory made")
			settle(ch, 300*time.Millisecond)
			write(t, filepath.Join(dir, "a.md"), "two")
			waitCall(t, ch, "target written")
			settle(ch, 300*time.Millisecond)
			write(t, filepath.Join(dir, "a.md"), "two, edited")
			waitCall(t, ch, "target edited")
			settle(ch, 300*time.Millisecond)
			write(t, filepath.Join(dir, "other.md"), "not linked")
			noCall(t, ch, "a file no link points at")
			if d.Polling() {
				t.Fatal("fell back to polling")
			}
		})
	}
}

func TestPointsAt(t *testing.T) {
	base := t.TempDir()
	j := func(p ...string) string { return filepath.Join(append([]string{base}, p...)...) }
	must(t, os.MkdirAll(j("real"), 0o755))
	must(t, os.Symlink(j("real"), j("to-real")))
	must(t, os.Symlink("gone", j("dangling")))         // relative, to base/gone
	must(t, os.Symlink(j("dangling"), j("chain")))     // to a dangling link
	must(t, os.Symlink(j("elsewhere", "x"), j("far"))) // into a missing directory
	for p, want := range map[string]string{
		j("real"):                 j("real"),
		j("missing", "agents"):    j("missing", "agents"),
		j("to-real"):              j("real"),
		j("to-real", "agents"):    j("to-real", "agents"), // the kernel follows it
		j("dangling"):             j("gone"),
		j("chain"):                j("gone"),
		j("dangling", "sub", "a"): j("gone", "sub", "a"),
		j("far"):                  j("elsewhere", "x"),
	} {
		if got := pointsAt(p); got != want {
			t.Errorf("pointsAt(%s) = %s, want %s", p, got, want)
		}
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

// A linked agent file whose link leads through another link into a
// directory that does not exist yet is awaited where the chain ends: only
// its first step was followed.
func TestLinkTargetFollowsADanglingChain(t *testing.T) {
	dir := t.TempDir()
	end := filepath.Join(dir, "missing", "f.md")
	if err := os.Symlink(end, filepath.Join(dir, "middle.md")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("middle.md", filepath.Join(dir, "f.md")); err != nil {
		t.Fatal(err)
	}
	if got := linkTarget(filepath.Join(dir, "f.md")); got != end {
		t.Errorf("linkTarget = %s, want %s", got, end)
	}
}
