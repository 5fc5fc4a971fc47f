//go:build unix

package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// unprivileged makes s's server run as a user file modes bind: the tests
// may run as root, who reads a file chmodded 000. Root's server then runs
// as nobody (65534), owning the sandbox, which it must reach and write.
func (s *sandbox) unprivileged(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		return
	}
	const nobody = 65534
	root := filepath.Dir(s.home)
	err := filepath.WalkDir(root, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, nobody, nobody)
	})
	if err != nil {
		t.Fatal(err)
	}
	// The directories on the way to the sandbox and to the binary are
	// made traversable where they are the tests' own (t.TempDir's parent,
	// TestMain's build directory, both 0700); any other that is not is
	// left alone, and the test skipped.
	tmp, err := filepath.EvalSymlinks(os.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, start := range []string{filepath.Dir(root), filepath.Dir(binary)} {
		start, err := filepath.EvalSymlinks(start)
		if err != nil {
			t.Fatal(err)
		}
		for p := start; p != filepath.Dir(p); p = filepath.Dir(p) {
			st, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm()&0o001 != 0 {
				continue
			}
			if !strings.HasPrefix(p, tmp+string(filepath.Separator)) {
				t.Skipf("running as root, and %s (%v) keeps an unprivileged server from its files", p, st.Mode())
			}
			if err := os.Chmod(p, st.Mode().Perm()|0o011); err != nil {
				t.Fatal(err)
			}
		}
	}
	s.attr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
}

// The auditor's reproduction: an agent file or directory that exists but
// cannot be read is rejected as a broken edit is, keeping its agents' last
// good versions, and making it readable again reloads it. The reload that
// "chmod 000" caused (here, or the next one another file caused) dropped
// the agents ("agents reloaded … removed=t.one", get_agent: no agent named
// "@t.one"), and "chmod 644" reloaded nothing: they stayed out until some
// other file changed. A directory that is removed still takes its agents
// with it, and a touch still sends nothing.
func TestLiveReloadKeepsUnreadableAgents(t *testing.T) {
	s := newSandbox(t)
	dir := filepath.Join(s.cwd, "ag4", "a")
	one, sub := filepath.Join(dir, "one.md"), filepath.Join(dir, "sub")
	writeAgentFile(t, one, "t.one", "One.")
	writeAgentFile(t, filepath.Join(dir, "two.md"), "t.two", "Two.")
	writeAgentFile(t, filepath.Join(sub, "four.md"), "t.four", "Four.")
	s.unprivileged(t)
	t.Cleanup(func() { os.Chmod(dir, 0o755); os.Chmod(sub, 0o755); os.Chmod(one, 0o644) }) // for TempDir's removal
	ls := s.startLive(t, "--no-builtin", "--agents", dir)
	ls.quiet(t, "start-up rescan", 700*time.Millisecond, promptsChanged, resourcesChanged)

	describe := func(name string) string {
		t.Helper()
		var a struct {
			Description string `json:"description"`
		}
		callTool(t, ls.c, "get_agent", map[string]any{"name": name}, &a)
		return a.Description
	}
	served := func(what string, want map[string]string) {
		t.Helper()
		if got := ls.prompts(t); !maps(got, want) {
			t.Fatalf("%s: prompts %v, want %v\nstderr:\n%s", what, got, want, ls.stderr.String())
		}
		for name, desc := range want {
			if got := describe(name); got != desc {
				t.Fatalf("%s: get_agent(%s) is %q, want %q", what, name, got, desc)
			}
		}
	}
	chmod := func(p string, mode os.FileMode) {
		t.Helper()
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}

	// Edited and made unreadable at once (one reload sees both): the
	// version served is the last one read, and reading the edit needs
	// the permission back.
	writeAgentFile(t, one, "t.one", "One, edited while unreadable.")
	chmod(one, 0)
	ls.quiet(t, "one.md made unreadable", time.Second, promptsChanged, resourcesChanged)
	served("one.md unreadable", map[string]string{"t.one": "One.", "t.two": "Two.", "t.four": "Four."})
	stderr := ls.stderr.String()
	if n := strings.Count(stderr, "keeping its last good version"); n != 1 || !strings.Contains(stderr, "one.md") {
		t.Fatalf("%d warnings that one.md's last good version is kept, want 1:\n%s", n, stderr)
	}

	// Another file's change reloads too (the audit's trigger).
	writeAgentFile(t, filepath.Join(dir, "three.md"), "t.three", "Three.")
	ls.expect(t, "three.md added", promptsChanged, resourcesChanged)
	served("three.md added", map[string]string{"t.one": "One.", "t.two": "Two.", "t.three": "Three.", "t.four": "Four."})

	chmod(one, 0o644)
	ls.expect(t, "one.md readable again", promptsChanged, resourcesChanged)
	served("one.md readable again", map[string]string{"t.one": "One, edited while unreadable.", "t.two": "Two.", "t.three": "Three.", "t.four": "Four."})
	ls.quiet(t, "one.md readable again (settling)", 400*time.Millisecond, promptsChanged)

	// A touch changes no agent: nothing is sent.
	now := time.Now()
	if err := os.Chtimes(one, now, now); err != nil {
		t.Fatal(err)
	}
	ls.quiet(t, "one.md touched", time.Second, promptsChanged, resourcesChanged)

	// A directory likewise, the files below it included.
	writeAgentFile(t, filepath.Join(sub, "four.md"), "t.four", "Four, edited while unreadable.")
	chmod(sub, 0)
	ls.quiet(t, "sub made unreadable", time.Second, promptsChanged, resourcesChanged)
	if stderr := ls.stderr.String(); !strings.Contains(stderr, "agent directory cannot be read; keeping its agents' last good versions") {
		t.Fatalf("no warning that sub's agents are kept:\n%s", stderr)
	}
	served("sub unreadable", map[string]string{"t.one": "One, edited while unreadable.", "t.two": "Two.", "t.three": "Three.", "t.four": "Four."})
	chmod(sub, 0o755)
	ls.expect(t, "sub readable again", promptsChanged, resourcesChanged)
	served("sub readable again", map[string]string{"t.one": "One, edited while unreadable.", "t.two": "Two.", "t.three": "Three.", "t.four": "Four, edited while unreadable."})
	ls.quiet(t, "sub readable again (settling)", 400*time.Millisecond, promptsChanged)

	// The --agents directory itself likewise (the audit's second
	// reproduction): its own entry cannot be stat'ed then ("stat .:
	// permission denied"), and the reload warned that its agents were
	// kept but dropped them all.
	two := filepath.Join(dir, "two.md")
	writeAgentFile(t, two, "t.two", "Two, edited while unreadable.")
	chmod(dir, 0)
	ls.quiet(t, "the agents directory made unreadable", time.Second, promptsChanged, resourcesChanged)
	if stderr := ls.stderr.String(); !strings.Contains(stderr, "dir="+dir+" ") {
		t.Fatalf("no warning that %s's agents are kept:\n%s", dir, stderr)
	}
	served("the agents directory unreadable", map[string]string{"t.one": "One, edited while unreadable.", "t.two": "Two.", "t.three": "Three.", "t.four": "Four, edited while unreadable."})
	chmod(dir, 0o755)
	ls.expect(t, "the agents directory readable again", promptsChanged, resourcesChanged)
	served("the agents directory readable again", map[string]string{"t.one": "One, edited while unreadable.", "t.two": "Two, edited while unreadable.", "t.three": "Three.", "t.four": "Four, edited while unreadable."})
	ls.quiet(t, "the agents directory readable again (settling)", 400*time.Millisecond, promptsChanged)

	// Removed, a directory takes its agents with it.
	if err := os.RemoveAll(sub); err != nil {
		t.Fatal(err)
	}
	ls.expect(t, "sub removed", promptsChanged, resourcesChanged)
	served("sub removed", map[string]string{"t.one": "One, edited while unreadable.", "t.two": "Two, edited while unreadable.", "t.three": "Three."})
}
