package live

import (
	"bytes"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
)

// watchRoots starts a watcher with a short debounce; each callback is one
// value on the returned channel.
func watchRoots(t *testing.T, roots []string, opts DirOptions) (*DirWatcher, <-chan struct{}) {
	t.Helper()
	if opts.Debounce == 0 {
		opts.Debounce = 50 * time.Millisecond
	}
	ch := make(chan struct{}, 100)
	d := WatchDirs(roots, func() { ch <- struct{}{} }, opts)
	t.Cleanup(func() { d.Close() })
	return d, ch
}

func waitCall(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(20 * time.Second):
		// Long: the wait costs only when the test fails, and a loaded
		// CI machine running -race once starved the watcher past 5 s.
		t.Fatalf("%s: no callback within 20s", what)
	}
}

func noCall(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
		t.Fatalf("%s: unexpected callback", what)
	case <-time.After(300 * time.Millisecond):
	}
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestDirWatcherSeesAgentFileChanges(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "a.md"), "one")
	_, ch := watchRoots(t, []string{root}, DirOptions{})

	steps := []struct {
		name string
		do   func()
	}{
		{"create", func() { write(t, filepath.Join(root, "b.md"), "two") }},
		{"edit", func() { write(t, filepath.Join(root, "a.md"), "one, edited") }},
		{"rename", func() { must(t, os.Rename(filepath.Join(root, "b.md"), filepath.Join(root, "c.md"))) }},
		{"remove", func() { must(t, os.Remove(filepath.Join(root, "c.md"))) }},
		{"temp file renamed over the original", func() {
			write(t, filepath.Join(root, ".a.md.tmp"), "one, saved atomically")
			must(t, os.Rename(filepath.Join(root, ".a.md.tmp"), filepath.Join(root, "a.md")))
		}},
	}
	for _, s := range steps {
		s.do()
		waitCall(t, ch, s.name)
		noCall(t, ch, s.name+" (a second callback)")
	}
	write(t, filepath.Join(root, "notes.txt"), "not an agent")
	noCall(t, ch, "a file that is not *.md")
}

// A permission change is a change: "chmod 000" makes a file or directory
// unreadable (its agents keep their last good versions), "chmod 644"
// readable again, and neither writes, creates or removes anything. Each
// was dropped as a mere Chmod event, so an agent file made readable again
// stayed out of the catalog until some other file changed.
func TestDirWatcherSeesPermissionChanges(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "a.md"), "one")
	write(t, filepath.Join(root, "sub", "deep", "b.md"), "two")
	_, ch := watchRoots(t, []string{root}, DirOptions{})
	t.Cleanup(func() { os.Chmod(filepath.Join(root, "sub"), 0o755) }) // for TempDir's removal

	steps := []struct {
		name string
		path string
		mode os.FileMode
	}{
		{"file made unreadable", "a.md", 0},
		{"file made readable", "a.md", 0o644},
		{"root made unreadable", ".", 0},
		{"root made readable", ".", 0o755},
		{"directory made unreadable", "sub", 0},
		{"directory made readable", "sub", 0o755},
	}
	for _, s := range steps {
		must(t, os.Chmod(filepath.Join(root, s.path), s.mode))
		waitCall(t, ch, s.name)
		noCall(t, ch, s.name+" (a second callback)")
	}
	// The directory's subdirectories are watched again.
	write(t, filepath.Join(root, "sub", "deep", "c.md"), "three")
	waitCall(t, ch, "file added below the directory made readable again")
	// Still nothing for what is no agent file.
	write(t, filepath.Join(root, "notes.txt"), "not an agent")
	must(t, os.Chmod(filepath.Join(root, "notes.txt"), 0))
	noCall(t, ch, "a file that is not *.md made unreadable")
	// Nor for reading an agent file (the reload's own reads), which would
	// make reloads wake themselves.
	_, err := os.ReadFile(filepath.Join(root, "a.md"))
	must(t, err)
	noCall(t, ch, "a.md read")
}

func TestDirWatcherDebouncesABurst(t *testing.T) {
	root := t.TempDir()
	_, ch := watchRoots(t, []string{root}, DirOptions{Debounce: 150 * time.Millisecond})
	// vim's save: rename the original away, create, write, remove backup.
	write(t, filepath.Join(root, "a.md"), "v1")
	waitCall(t, ch, "first write")
	must(t, os.Rename(filepath.Join(root, "a.md"), filepath.Join(root, "a.md~")))
	f, err := os.Create(filepath.Join(root, "a.md"))
	must(t, err)
	_, _ = f.WriteString("v2 first half ")
	time.Sleep(20 * time.Millisecond)
	_, _ = f.WriteString("second half")
	must(t, f.Close())
	must(t, os.Remove(filepath.Join(root, "a.md~")))
	waitCall(t, ch, "vim save")
	noCall(t, ch, "vim save (a second callback)")
}

func TestDirWatcherWatchesNewSubdirectories(t *testing.T) {
	root := t.TempDir()
	_, ch := watchRoots(t, []string{root}, DirOptions{})
	// Created in one go: the files exist before the watcher can watch the
	// new directories, so it must scan them.
	write(t, filepath.Join(root, "team", "backend", "api.md"), "x")
	waitCall(t, ch, "nested directories with a file")
	write(t, filepath.Join(root, "team", "backend", "api.md"), "edited")
	waitCall(t, ch, "edit in a directory created while watching")

	must(t, os.RemoveAll(filepath.Join(root, "team")))
	waitCall(t, ch, "subtree removed")

	write(t, filepath.Join(root, ".git", "x.md"), "hidden")
	noCall(t, ch, "a hidden directory")
}

func TestDirWatcherAwaitsAMissingRoot(t *testing.T) {
	home := t.TempDir()
	root := filepath.Join(home, ".claude", "agents")
	d, ch := watchRoots(t, []string{root}, DirOptions{})

	write(t, filepath.Join(home, "unrelated.md"), "x")
	must(t, os.Mkdir(filepath.Join(home, "other"), 0o755))
	noCall(t, ch, "names not on the way to the root")

	must(t, os.Mkdir(filepath.Join(home, ".claude"), 0o755))
	waitCall(t, ch, ".claude created")
	write(t, filepath.Join(home, ".claude", "settings.json"), "{}")
	noCall(t, ch, "a file beside the awaited directory")
	write(t, filepath.Join(root, "x.md"), "x")
	waitCall(t, ch, "agents directory created")
	write(t, filepath.Join(root, "x.md"), "edited")
	waitCall(t, ch, "edit in the root once it exists")

	must(t, os.RemoveAll(root))
	waitCall(t, ch, "root removed")
	write(t, filepath.Join(root, "y.md"), "back")
	waitCall(t, ch, "root created again")
	if d.Polling() {
		t.Fatal("fell back to polling")
	}
}

// The root's parent appears between the watcher finding the nearest
// existing ancestor and watching it, so no event tells of it: the watcher
// must look again once its watch is set, or an agent written into the
// root is missed.
func TestDirWatcherSeesARootMadeWhileItSetsItsWatch(t *testing.T) {
	home := t.TempDir()
	root := filepath.Join(home, ".claude", "agents")
	var once sync.Once
	_, ch := watchRoots(t, []string{root}, DirOptions{
		add: func(w *fsnotify.Watcher, dir string) error {
			if dir == home {
				once.Do(func() { must(t, os.MkdirAll(root, 0o755)) })
			}
			return w.Add(dir)
		},
	})
	write(t, filepath.Join(root, "x.md"), "x")
	waitCall(t, ch, "an agent written into the root made while the watch was set")
}

func TestDirWatcherIgnoresOwnWrites(t *testing.T) {
	root := t.TempDir()
	cache := filepath.Join(root, "cache")
	_, ch := watchRoots(t, []string{root}, DirOptions{Ignore: func(p string) bool {
		return p == cache || strings.HasPrefix(p, cache+string(filepath.Separator))
	}})
	write(t, filepath.Join(cache, "entry.md"), "x")
	noCall(t, ch, "the server's own cache")
}

func TestDirWatcherRescansAfterOverflow(t *testing.T) {
	root := t.TempDir()
	d, ch := watchRoots(t, []string{root}, DirOptions{})
	d.w.Errors <- fsnotify.ErrEventOverflow
	waitCall(t, ch, "overflow")
}

func TestDirWatcherFallsBackToPolling(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "a.md"), "one")
	var logs syncBuffer
	d, ch := watchRoots(t, []string{root}, DirOptions{
		PollPeriod: 50 * time.Millisecond,
		Log:        slog.New(slog.NewTextHandler(&logs, nil)),
		add:        func(*fsnotify.Watcher, string) error { return syscall.ENOSPC },
	})
	if !d.Polling() {
		t.Fatal("not polling although no watch could be set")
	}
	noCall(t, ch, "nothing changed")
	write(t, filepath.Join(root, "sub", "b.md"), "two")
	waitCall(t, ch, "a new file, polling")
	must(t, os.Chtimes(filepath.Join(root, "a.md"), time.Now(), time.Now().Add(time.Hour)))
	waitCall(t, ch, "an edit, polling")
	if n := strings.Count(logs.String(), "rescanning them every 50ms"); n != 1 {
		t.Fatalf("the fallback was announced %d times, want once:\n%s", n, logs.String())
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A watch follows the directory it was set on, not its path: a directory
// swapped in at a watched path, or a linked root re-pointed, is watched
// anew, and the one moved away no longer reports as if it were there.
func TestDirWatcherFollowsSwappedDirectories(t *testing.T) {
	t.Run("root renamed over", func(t *testing.T) {
		base := t.TempDir()
		root := filepath.Join(base, "agents")
		write(t, filepath.Join(root, "a.md"), "one")
		write(t, filepath.Join(base, "agents.new", "b.md"), "two")
		_, ch := watchRoots(t, []string{root}, DirOptions{})
		must(t, os.Rename(root, filepath.Join(base, "agents.old")))
		must(t, os.Rename(filepath.Join(base, "agents.new"), root))
		waitCall(t, ch, "the swap")
		settle(ch, 300*time.Millisecond)
		write(t, filepath.Join(root, "c.md"), "three")
		waitCall(t, ch, "a file in the directory swapped in")
		settle(ch, 300*time.Millisecond)
		write(t, filepath.Join(base, "agents.old", "d.md"), "four")
		noCall(t, ch, "a file in the directory moved away")
	})
	t.Run("subdirectories swapped", func(t *testing.T) {
		root := t.TempDir()
		write(t, filepath.Join(root, "team", "a.md"), "one")
		write(t, filepath.Join(root, "staging", "b.md"), "two")
		_, ch := watchRoots(t, []string{root}, DirOptions{})
		must(t, os.Rename(filepath.Join(root, "team"), filepath.Join(root, "team.old")))
		must(t, os.Rename(filepath.Join(root, "staging"), filepath.Join(root, "team")))
		waitCall(t, ch, "the swap")
		settle(ch, 300*time.Millisecond)
		write(t, filepath.Join(root, "team", "c.md"), "three")
		waitCall(t, ch, "a file in team, once staging")
		settle(ch, 300*time.Millisecond)
		write(t, filepath.Join(root, "team.old", "d.md"), "four")
		waitCall(t, ch, "a file in team.old, still under the root")
	})
	t.Run("linked root re-pointed", func(t *testing.T) {
		base := t.TempDir()
		first, second, link := filepath.Join(base, "first"), filepath.Join(base, "second"), filepath.Join(base, "agents")
		write(t, filepath.Join(first, "a.md"), "one")
		write(t, filepath.Join(second, "b.md"), "two")
		must(t, os.Symlink(first, link))
		_, ch := watchRoots(t, []string{link}, DirOptions{})
		// As ln -sfn does it: a new link renamed over the old one.
		must(t, os.Symlink(second, link+".tmp"))
		must(t, os.Rename(link+".tmp", link))
		waitCall(t, ch, "the link re-pointed")
		settle(ch, 300*time.Millisecond)
		write(t, filepath.Join(second, "c.md"), "three")
		waitCall(t, ch, "a file in the directory the link points at now")
		settle(ch, 300*time.Millisecond)
		write(t, filepath.Join(first, "d.md"), "four")
		noCall(t, ch, "a file in the directory it pointed at")
	})
}

// A shallow root is watched at its top level only: one watch, on itself,
// whatever lies below; a *.md file added, edited or removed at the top
// calls back, a subdirectory and anything in it do not. The same holds
// when polling. Given as a root too, it is watched whole.
func TestDirWatcherShallowRoots(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "a.md"), "one")
	write(t, filepath.Join(root, "sub", "deeper", "b.md"), "nested")
	d, ch := watchRoots(t, nil, DirOptions{Shallow: []string{root}})
	if len(d.watched) != 1 || d.watched[root] == nil {
		t.Fatalf("watches on %v, want only %s", slices.Sorted(maps.Keys(d.watched)), root)
	}
	write(t, filepath.Join(root, "sub", "deeper", "b.md"), "nested, edited")
	write(t, filepath.Join(root, "sub", "c.md"), "nested, new")
	must(t, os.Mkdir(filepath.Join(root, "new"), 0o755))
	write(t, filepath.Join(root, "new", "d.md"), "in a new subdirectory")
	must(t, os.RemoveAll(filepath.Join(root, "sub")))
	noCall(t, ch, "changes below the top")
	write(t, filepath.Join(root, "e.md"), "added at the top")
	waitCall(t, ch, "a file added at the top")
	write(t, filepath.Join(root, "a.md"), "one, edited")
	waitCall(t, ch, "a file edited at the top")
	must(t, os.Remove(filepath.Join(root, "e.md")))
	waitCall(t, ch, "a file removed at the top")

	whole, _ := watchRoots(t, []string{root}, DirOptions{Shallow: []string{root}})
	if whole.watched[filepath.Join(root, "new")] == nil {
		t.Errorf("a root also given as shallow: watches on %v, want its subdirectory too", slices.Sorted(maps.Keys(whole.watched)))
	}

	polled := t.TempDir()
	write(t, filepath.Join(polled, "sub", "b.md"), "nested")
	p, pch := watchRoots(t, nil, DirOptions{
		Shallow:    []string{polled},
		PollPeriod: 50 * time.Millisecond,
		add:        func(*fsnotify.Watcher, string) error { return syscall.ENOSPC },
	})
	if !p.Polling() {
		t.Fatal("not polling although no watch could be set")
	}
	write(t, filepath.Join(polled, "sub", "b.md"), "nested, edited at more length")
	write(t, filepath.Join(polled, "sub", "c.md"), "nested, new")
	noCall(t, pch, "changes below the top, polling")
	write(t, filepath.Join(polled, "a.md"), "added at the top")
	waitCall(t, pch, "a file added at the top, polling")
}

// A markdown file is *.md in any case: project context documents are read
// so (ARCH.MD is served as project://context/arch), and an edit of one
// must reload them, with inotify and when polling.
func TestDirWatcherSeesUpperCaseMarkdown(t *testing.T) {
	for _, polling := range []bool{false, true} {
		name, opts := "inotify", DirOptions{}
		if polling {
			name = "polling"
			opts = DirOptions{PollPeriod: 50 * time.Millisecond, add: func(*fsnotify.Watcher, string) error { return syscall.ENOSPC }}
		}
		t.Run(name, func(t *testing.T) {
			// A shallow root, as the project documents' directories are.
			root := t.TempDir()
			opts.Shallow = []string{root}
			_, ch := watchRoots(t, nil, opts)
			noCall(t, ch, "nothing changed")
			write(t, filepath.Join(root, "ARCH.MD"), "# Arch")
			waitCall(t, ch, "ARCH.MD written")
			settle(ch, 3*opts.PollPeriod+50*time.Millisecond)
			write(t, filepath.Join(root, "ARCH.MD"), "# Architecture") // in place: the directory is unchanged
			waitCall(t, ch, "ARCH.MD edited")
			settle(ch, 3*opts.PollPeriod+50*time.Millisecond)
			must(t, os.Rename(filepath.Join(root, "ARCH.MD"), filepath.Join(root, "Notes.Md")))
			waitCall(t, ch, "renamed to Notes.Md")
			settle(ch, 3*opts.PollPeriod+50*time.Millisecond)
			if !polling { // a poll sees the directory's time change
				write(t, filepath.Join(root, "notes.txt"), "not markdown")
				noCall(t, ch, "a file that is not markdown")
			}
			// A link named *.MD to a file elsewhere: editing that file
			// changes nothing in root, its own directory tells.
			elsewhere := filepath.Join(t.TempDir(), "arch.txt")
			write(t, elsewhere, "# Arch")
			must(t, os.Symlink(elsewhere, filepath.Join(root, "LINKED.MD")))
			waitCall(t, ch, "LINKED.MD made")
			settle(ch, 3*opts.PollPeriod+50*time.Millisecond)
			write(t, elsewhere, "# Architecture, linked")
			waitCall(t, ch, "LINKED.MD's target edited")
		})
	}
}
