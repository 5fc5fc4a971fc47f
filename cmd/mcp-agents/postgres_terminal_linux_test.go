package main

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Started by hand in a terminal on a PostgreSQL database, the server's
// line names the database by its URL without the password.
func TestTerminalLineOnPostgres(t *testing.T) {
	c := startCluster(t)
	const password = "pw-never-printed"
	s := newSandbox(t)
	master, slave := openPTY(t)
	cmd := exec.Command(binary, "serve", "--db", c.url(password))
	cmd.Env, cmd.Dir, cmd.Stdin = s.env(), s.cwd, slave
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	master.Write([]byte{4}) // Ctrl-D: end of input
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("server exited with %v; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("server did not exit at end of input; stderr:\n%s", stderr.String())
	}
	got := stderr.String()
	if !strings.Contains(got, "Waiting for an MCP client") || !strings.Contains(got, "database postgres://postgres:xxxxx@127.0.0.1:"+c.port+"/postgres") {
		t.Errorf("in a terminal, stderr = %q; want the line naming the database without its password", got)
	}
	if strings.Contains(got, password) {
		t.Errorf("the terminal line shows the password: %q", got)
	}
}
