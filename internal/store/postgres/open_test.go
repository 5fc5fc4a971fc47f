package postgres

import (
	"context"
	"errors"
	"net"
	neturl "net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcp-agents/mcp-agents/internal/store/pgtest"
)

func openTest(tb testing.TB, opts ...Option) *Store {
	tb.Helper()
	s, err := Open(context.Background(), pgtest.URL(tb), opts...)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestEmbeddedMigrations(t *testing.T) {
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if SchemaVersion() != len(ms) {
		t.Fatalf("SchemaVersion %d, %d migrations", SchemaVersion(), len(ms))
	}
}

// Several servers starting at once on a new database: each migration is
// applied by exactly one of them, and every Open succeeds.
func TestConcurrentOpensMigrateOnce(t *testing.T) {
	url := pgtest.URL(t)
	const n = 8
	stores := make([]*Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = Open(context.Background(), url)
		}()
	}
	wg.Wait()
	applied := map[int]int{}
	for i, s := range stores {
		if errs[i] != nil {
			t.Fatalf("Open %d: %v", i, errs[i])
		}
		defer s.Close()
		for _, v := range s.applied {
			applied[v]++
		}
	}
	for v := 1; v <= SchemaVersion(); v++ {
		if applied[v] != 1 {
			t.Errorf("migration %d applied %d times, want once", v, applied[v])
		}
	}
	var rows int
	if err := stores[0].pool.QueryRow(context.Background(), "SELECT count(*) FROM mcp_agents_schema").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != SchemaVersion() {
		t.Errorf("version table has %d rows, want %d", rows, SchemaVersion())
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	url := pgtest.URL(t)
	s, err := Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	next := SchemaVersion() + 1
	if _, err := s.pool.Exec(context.Background(), "INSERT INTO mcp_agents_schema (version, name) VALUES ($1, 'future')", next); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err = Open(context.Background(), url)
	if err == nil || !strings.Contains(err.Error(), "is newer than this mcp-agents supports") {
		t.Fatalf("Open of a newer schema: %v, want a refusal saying it is newer", err)
	}
}

func TestApplicationName(t *testing.T) {
	url := pgtest.URL(t)
	for _, tc := range []struct{ query, want string }{
		{"", "mcp-agents"},
		{"application_name=other", "other"},
	} {
		u := url
		if tc.query != "" {
			u = withParam(t, u, tc.query)
		}
		s, err := Open(context.Background(), u)
		if err != nil {
			t.Fatal(err)
		}
		var name string
		if err := s.pool.QueryRow(context.Background(), "SELECT current_setting('application_name')").Scan(&name); err != nil {
			t.Fatal(err)
		}
		s.Close()
		if name != tc.want {
			t.Errorf("URL %q: application_name %q, want %q", tc.query, name, tc.want)
		}
	}
}

func TestPoolSizeFromURL(t *testing.T) {
	s, err := Open(context.Background(), withParam(t, pgtest.URL(t), "pool_max_conns=3"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := s.pool.Config().MaxConns; got != 3 {
		t.Errorf("MaxConns %d, want 3 (pool_max_conns in the URL)", got)
	}
}

// sslmode comes from the URL: the test cluster has no TLS, so a URL that
// requires it is refused at Open, saying why, and one that prefers it
// falls back to plain TCP.
func TestSSLModeFromURL(t *testing.T) {
	url := pgtest.URL(t)
	if _, err := Open(context.Background(), withParam(t, url, "sslmode=require")); err == nil ||
		!strings.Contains(err.Error(), "TLS") {
		t.Errorf("Open with sslmode=require on a server without TLS: err = %v, want a TLS refusal", err)
	}
	s, err := Open(context.Background(), withParam(t, url, "sslmode=prefer"))
	if err != nil {
		t.Fatalf("Open with sslmode=prefer: %v", err)
	}
	defer s.Close()
	var ssl bool
	if err := s.pool.QueryRow(context.Background(),
		"SELECT coalesce((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false)").Scan(&ssl); err != nil {
		t.Fatal(err)
	}
	if ssl {
		t.Error("the connection uses TLS on a server without it")
	}
}

func TestOpenUnreachable(t *testing.T) {
	// A port nothing listens on (connect is refused at once).
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := Open(ctx, "postgres://postgres:secret@127.0.0.1:1/x?sslmode=disable")
	if err == nil {
		t.Fatal("Open of an unreachable database succeeded")
	}
	msg := err.Error()
	if !strings.Contains(msg, "cannot reach the database") || !strings.Contains(msg, "127.0.0.1:1") {
		t.Errorf("error %q does not say the database at 127.0.0.1:1 cannot be reached", msg)
	}
	if strings.Contains(msg, "secret") {
		t.Errorf("error %q shows the password", msg)
	}
}

func TestOpenBadURL(t *testing.T) {
	if _, err := Open(context.Background(), "postgres://h/db?pool_max_conns=zero"); err == nil {
		t.Fatal("Open accepted pool_max_conns=zero")
	}
}

// withParam adds a key=value query parameter to a URL.
func withParam(t *testing.T, rawURL, kv string) string {
	t.Helper()
	u, err := neturl.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	k, v, _ := strings.Cut(kv, "=")
	q := u.Query()
	q.Set(k, v)
	u.RawQuery = q.Encode()
	return u.String()
}

// A server that accepts the connection and never answers: Open fails
// after connect_timeout saying so, not as a cancelled call.
func TestOpenSilentServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, silent, until the test ends
		}
	}()
	_, err = Open(context.Background(), "postgres://postgres@"+ln.Addr().String()+"/x?sslmode=disable&connect_timeout=1")
	if err == nil {
		t.Fatal("Open of a silent server succeeded")
	}
	if errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "cannot reach the database: no answer within 1s (connect_timeout)") {
		t.Errorf("error %q (deadline exceeded: %v), want it to say the database did not answer within connect_timeout", err, errors.Is(err, context.DeadlineExceeded))
	}
}
