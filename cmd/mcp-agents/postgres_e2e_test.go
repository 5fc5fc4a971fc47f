package main

import (
	"bytes"
	"errors"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// cli runs the built binary with args (in the sandbox) and returns its
// stdout, stderr and exit code.
func (s sandbox) cli(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env, cmd.Dir = s.env(), s.cwd
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("%v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

type flagOut struct {
	Flag struct {
		ID       int64  `json:"id"`
		Status   string `json:"status"`
		LockedBy string `json:"locked_by"`
		Source   string `json:"source_agent"`
	} `json:"flag"`
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestPostgresUnreachableAtStart: every command on a database it cannot
// reach exits 1 with the reason, and never prints the URL's password.
func TestPostgresUnreachableAtStart(t *testing.T) {
	s := newSandbox(t)
	const password = "pw-never-printed"
	dbURL := "postgres://mcp:" + password + "@" + closedPort(t) + "/flags?sslmode=disable&connect_timeout=3"
	for _, args := range [][]string{
		{"serve", "--db", dbURL},
		{"serve", "--db", dbURL, "--http", "127.0.0.1:0", "--no-auth"},
		{"flags", "list", "--db", dbURL},
		{"tokens", "list", "--db", dbURL},
	} {
		start := time.Now()
		_, stderr, code := s.cli(t, args...)
		if code != 1 {
			t.Errorf("%v: exit %d, want 1\n%s", args[:2], code, stderr)
		}
		if !strings.Contains(stderr, "cannot reach the database") || !strings.Contains(stderr, "postgres://mcp:xxxxx@") {
			t.Errorf("%v: stderr does not give the reason and the database:\n%s", args[:2], stderr)
		}
		if strings.Contains(stderr, password) {
			t.Errorf("%v: stderr shows the password:\n%s", args[:2], stderr)
		}
		if d := time.Since(start); d > 20*time.Second {
			t.Errorf("%v: took %s to give up", args[:2], d)
		}
	}
	// The same through the environment.
	cmd := exec.Command(binary, "flags", "list")
	cmd.Env, cmd.Dir = append(s.env(), "MCP_AGENTS_DB="+dbURL), s.cwd
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), "cannot reach the database") || strings.Contains(string(out), password) {
		t.Errorf("MCP_AGENTS_DB: %v\n%s", err, out)
	}
}

// TestMigrateRefusals: a missing SQLite file, a target that is not a
// PostgreSQL URL, and a missing --to are refused with messages that say so.
func TestMigrateRefusals(t *testing.T) {
	s := newSandbox(t)
	missing := s.db + ".missing"
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"migrate", "--db", s.db}, 2, "--to is required"},
		{[]string{"migrate", "--db", s.db, "--to", "/tmp/other.db"}, 2, "--to must be a PostgreSQL URL"},
		{[]string{"migrate", "--db", "postgres://a@127.0.0.1:1/x", "--to", "postgres://a@127.0.0.1:1/y"}, 2, "the database to copy from (--db, or MCP_AGENTS_DB) must be the SQLite file"},
		{[]string{"migrate", "--db", missing, "--to", "postgres://a:secret-pw@127.0.0.1:1/y"}, 1, "does not exist; nothing was copied"},
	} {
		_, stderr, code := s.cli(t, tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", tt.args, code, stderr, tt.code, tt.want)
		}
		if strings.Contains(stderr, "secret-pw") {
			t.Errorf("%v: stderr shows the password: %s", tt.args, stderr)
		}
	}
}
