//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// An agent file replaced by a named pipe while the server runs is skipped
// with a warning, and reloads go on: reading it as an edit blocked the
// reload, and the process at the end of input, for good.
func TestLiveReloadSkipsAFileReplacedByAFIFO(t *testing.T) {
	s := newSandbox(t)
	dir := filepath.Join(s.cwd, "team")
	writeAgentFile(t, filepath.Join(dir, "billing.md"), "team.billing", "Owns invoices.")
	writeAgentFile(t, filepath.Join(dir, "search.md"), "team.search", "Owns search.")
	ls := s.startLive(t, "--no-builtin", "--agents", dir)
	ls.quiet(t, "start-up rescan", 700*time.Millisecond, promptsChanged, resourcesChanged)

	if err := os.Remove(filepath.Join(dir, "billing.md")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "billing.md"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	ls.expect(t, "file replaced by a pipe", promptsChanged, resourcesChanged)
	if got := ls.prompts(t); !maps(got, map[string]string{"team.search": "Owns search."}) {
		t.Fatalf("after the pipe: prompts %v", got)
	}
	writeAgentFile(t, filepath.Join(dir, "ops.md"), "team.ops", "Runs production.")
	ls.expect(t, "file added after the pipe", promptsChanged, resourcesChanged)
	if got := ls.prompts(t); !maps(got, map[string]string{"team.search": "Owns search.", "team.ops": "Runs production."}) {
		t.Fatalf("after adding ops.md: prompts %v", got)
	}
	if !strings.Contains(ls.stderr.String(), "named pipe") {
		t.Errorf("no warning about the pipe:\n%s", ls.stderr.String())
	}
}
