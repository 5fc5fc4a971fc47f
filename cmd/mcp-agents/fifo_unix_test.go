//go:build unix

package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestAgentsListSkipsFIFO is issue 8's reproduction: a named pipe called
// x.md in an agents directory used to block start-up in open(2) forever.
func TestAgentsListSkipsFIFO(t *testing.T) {
	s := newSandbox(t)
	dir := filepath.Join(s.cwd, "agents")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "x.md")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ok.md"), []byte("---\nname: fifo.neighbour\ndescription: Loads beside a pipe.\n---\nBody.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "--agents", dir, "agents", "list")
	cmd.Env, cmd.Dir = s.env(), s.cwd
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("agents list still running after 20 s: the pipe blocked it\nstderr: %s", stderr.String())
	}
	if err != nil {
		t.Fatalf("agents list: %v\nstderr: %s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "@fifo.neighbour") {
		t.Errorf("the agent beside the pipe is not listed:\n%s", stdout.String())
	}
	if !strings.Contains(stderr.String(), fifo) || !strings.Contains(stderr.String(), "named pipe") {
		t.Errorf("stderr does not warn about %s being a named pipe:\n%s", fifo, stderr.String())
	}
}
