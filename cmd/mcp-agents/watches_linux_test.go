package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// inotifyWatches returns the inode numbers of the directories a process
// has inotify watches on, read from /proc/PID/fdinfo.
func inotifyWatches(t *testing.T, pid int) map[uint64]bool {
	t.Helper()
	dir := filepath.Join("/proc", strconv.Itoa(pid), "fdinfo")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Skipf("cannot read %s: %v", dir, err)
	}
	inodes := map[uint64]bool{}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			continue // closed meanwhile
		}
		for _, line := range strings.Split(string(data), "\n") {
			if !strings.HasPrefix(line, "inotify wd:") {
				continue
			}
			for _, field := range strings.Fields(line) {
				if hex, ok := strings.CutPrefix(field, "ino:"); ok {
					if ino, err := strconv.ParseUint(hex, 16, 64); err == nil {
						inodes[ino] = true
					}
				}
			}
		}
	}
	return inodes
}

func inode(t *testing.T, path string) uint64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Sys().(*syscall.Stat_t).Ino
}

// The project documents are the files at the top of their directories (a
// --context DIR, the project's .claude/project), so only that top is
// watched: watched as agent directories are, whole, a --context at the
// root of a big tree put a watch on every directory in it. A document
// added at the top is still served at once.
func TestContextDirectoriesAreWatchedShallow(t *testing.T) {
	s := newSandbox(t)
	docs := filepath.Join(s.cwd, "docs")
	proj := filepath.Join(s.cwd, ".claude", "project")
	for _, d := range []string{filepath.Join(docs, "sub", "deeper"), filepath.Join(proj, "drafts")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for path, text := range map[string]string{
		filepath.Join(docs, "guide.md"):           "# Guide\n",
		filepath.Join(docs, "sub", "nested.md"):   "# Not a document\n",
		filepath.Join(proj, "vision.md"):          "# Vision\n",
		filepath.Join(proj, "drafts", "draft.md"): "# Not a document either\n",
	} {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	var (
		mu  sync.Mutex
		cmd *exec.Cmd
	)
	ls := &liveServer{notes: make(chan mcp.JSONRPCNotification, 1000), stderr: &lockedWriter{w: &strings.Builder{}}}
	c, err := client.NewStdioMCPClientWithOptions(binary, nil, []string{"serve", "--db", s.db, "--context", docs},
		transport.WithCommandFunc(func(ctx context.Context, command string, _ []string, args []string) (*exec.Cmd, error) {
			mu.Lock()
			defer mu.Unlock()
			cmd = exec.CommandContext(ctx, command, args...)
			cmd.Env, cmd.Dir = s.env(), s.cwd
			return cmd, nil
		}),
		transport.WithCommandStderrWriter(ls.stderr))
	if err != nil {
		t.Fatalf("start server: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	c.OnNotification(func(n mcp.JSONRPCNotification) { ls.notes <- n })
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The server answers once its watches are in place.
	if _, err := initialize(c, "e2e-watches"); err != nil {
		t.Fatalf("initialize: %v", err)
	}
	ls.c = c
	mu.Lock()
	pid := cmd.Process.Pid
	mu.Unlock()

	watched := inotifyWatches(t, pid)
	for _, d := range []string{docs, proj} {
		if !watched[inode(t, d)] {
			t.Errorf("%s is not watched", d)
		}
	}
	for _, d := range []string{filepath.Join(docs, "sub"), filepath.Join(docs, "sub", "deeper"), filepath.Join(proj, "drafts")} {
		if watched[inode(t, d)] {
			t.Errorf("%s, below a documents directory, is watched", d)
		}
	}

	read := func() string {
		t.Helper()
		res, err := ls.c.ReadResource(context.Background(), mcp.ReadResourceRequest{Params: mcp.ReadResourceParams{URI: "project://context"}})
		if err != nil {
			t.Fatal(err)
		}
		return res.Contents[0].(mcp.TextResourceContents).Text
	}
	if got := read(); !strings.Contains(got, `"name":"guide"`) || !strings.Contains(got, `"name":"vision"`) || strings.Contains(got, "nested") {
		t.Fatalf("index: %s", got)
	}
	for _, add := range []struct{ dir, name string }{{docs, "added"}, {proj, "roadmap"}} {
		if err := os.WriteFile(filepath.Join(add.dir, add.name+".md"), []byte("# "+add.name+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		ls.expect(t, "a document added to "+add.dir, resourcesChanged)
		if got := read(); !strings.Contains(got, `"name":"`+add.name+`"`) {
			t.Fatalf("index after adding %s: %s", add.name, got)
		}
	}
}
