package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgDatabase returns the URL of a new, empty database on the PostgreSQL
// server MCP_AGENTS_TEST_PG names, dropped when the test ends; without
// that variable the test is skipped.
func pgDatabase(t *testing.T) string {
	t.Helper()
	admin := os.Getenv("MCP_AGENTS_TEST_PG")
	if admin == "" {
		t.Skip("MCP_AGENTS_TEST_PG is not set: no PostgreSQL server to test against (.ci/run starts one)")
	}
	return newDatabase(t, admin)
}

// newDatabase creates a database on the server admin (a URL) points at and
// returns its URL.
func newDatabase(t *testing.T, admin string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("MCP_AGENTS_TEST_PG: %v", err)
	}
	defer conn.Close(context.Background())
	var b [6]byte
	rand.Read(b[:])
	name := "e2e_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if conn, err := pgx.Connect(ctx, admin); err == nil {
			conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			conn.Close(ctx)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// cluster is a throwaway PostgreSQL server of the test's own, which it may
// stop and start (initdb and pg_ctl, as the postgres user when the tests
// run as root).
type cluster struct {
	dir, port string
	asUser    string // "" = the current user
}

// startCluster starts a cluster of the test's own, or skips where
// PostgreSQL's server programs are not installed.
func startCluster(t *testing.T) *cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a PostgreSQL cluster")
	}
	if _, err := exec.LookPath("pg_ctl"); err != nil {
		t.Skip("pg_ctl is not on PATH: no PostgreSQL server programs to start a cluster with")
	}
	c := &cluster{}
	if u, err := user.Current(); err == nil && u.Uid == "0" {
		c.asUser = "postgres" // initdb refuses to run as root
	}
	dir, err := os.MkdirTemp("", "mcp-agents-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c.dir = dir
	t.Cleanup(func() { os.RemoveAll(dir) })
	if c.asUser != "" {
		if out, err := exec.Command("chown", c.asUser, dir).CombinedOutput(); err != nil {
			t.Skipf("cannot hand %s to the %s user: %v %s", dir, c.asUser, err, out)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, c.port, _ = net.SplitHostPort(ln.Addr().String())
	ln.Close()
	if out, err := c.run("initdb", "-D", filepath.Join(dir, "data"), "-A", "trust", "-U", "postgres"); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	c.start(t)
	t.Cleanup(func() { c.run("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "stop") })
	return c
}

func (c *cluster) run(prog string, args ...string) ([]byte, error) {
	if c.asUser == "" {
		return exec.Command(prog, args...).CombinedOutput()
	}
	path, err := exec.LookPath(prog)
	if err != nil {
		return nil, err
	}
	quoted := []string{path}
	for _, a := range args {
		quoted = append(quoted, "'"+strings.ReplaceAll(a, "'", `'\''`)+"'")
	}
	return exec.Command("su", c.asUser, "-c", strings.Join(quoted, " ")).CombinedOutput()
}

func (c *cluster) start(t *testing.T) {
	t.Helper()
	out, err := c.run("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-l", filepath.Join(c.dir, "log"), "-w",
		"-o", fmt.Sprintf("-p %s -k %s -c listen_addresses=127.0.0.1", c.port, c.dir), "start")
	if err != nil {
		t.Fatalf("pg_ctl start: %v\n%s", err, out)
	}
}

func (c *cluster) stop(t *testing.T) {
	t.Helper()
	if out, err := c.run("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "fast", "-w", "stop"); err != nil {
		t.Fatalf("pg_ctl stop: %v\n%s", err, out)
	}
}

// url is the cluster's postgres database, with a password that the trust
// authentication ignores (so tests can check it is never printed).
func (c *cluster) url(password string) string {
	u := url.URL{Scheme: "postgres", User: url.UserPassword("postgres", password), Host: "127.0.0.1:" + c.port, Path: "/postgres", RawQuery: "sslmode=disable"}
	return u.String()
}
