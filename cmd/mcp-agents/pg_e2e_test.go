package main

import (
	"cmp"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// cluster is a throwaway PostgreSQL server of the test's own, which it may
// stop and start (initdb and pg_ctl, as the postgres user when the tests
// run as root).
type cluster struct {
	dir, port string
	bin       string // the directory of initdb and pg_ctl
	asUser    string // "" = the current user
}

// startCluster starts a cluster of the test's own, or skips where
// PostgreSQL's server programs are not installed.
func startCluster(t *testing.T) *cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a PostgreSQL cluster")
	}
	c := &cluster{bin: pgBin()}
	if c.bin == "" {
		t.Skip("no pg_ctl on PATH or in /usr/lib/postgresql/*/bin: no PostgreSQL server programs to start a cluster with")
	}
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

// pgBin finds PostgreSQL's server programs: on PATH, or Debian's newest
// versioned directory.
func pgBin() string {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		return filepath.Dir(p)
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(dirs) == 0 {
		return ""
	}
	slices.SortFunc(dirs, func(a, b string) int { return cmp.Compare(pgVersion(a), pgVersion(b)) })
	return filepath.Dir(dirs[len(dirs)-1])
}

// pgVersion is the major version in a /usr/lib/postgresql/N/bin path.
func pgVersion(path string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(path))))
	return n
}

func (c *cluster) run(prog string, args ...string) ([]byte, error) {
	path := filepath.Join(c.bin, prog)
	if c.asUser == "" {
		return exec.Command(path, args...).CombinedOutput()
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
