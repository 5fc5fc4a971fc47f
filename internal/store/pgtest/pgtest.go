// Package pgtest gives tests a fresh PostgreSQL database of their own on
// the server MCP_AGENTS_TEST_PG names (see .ci/pg.sh), or skips them.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Env names the PostgreSQL server tests may create databases on, as a URL
// (postgres://user@host:port/db?sslmode=disable).
const Env = "MCP_AGENTS_TEST_PG"

// URL creates an empty database with a random name on the server Env
// names and returns its URL; the database is dropped (connections and
// all) when the test ends. Without Env it skips the test, saying so.
func URL(tb testing.TB) string {
	tb.Helper()
	admin := os.Getenv(Env)
	if admin == "" {
		tb.Skipf("%s is not set: no PostgreSQL server to test against (.ci/pg.sh start DIR starts one)", Env)
	}
	u, err := url.Parse(admin)
	if err != nil {
		tb.Fatalf("%s: %v", Env, err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "mcpa_test_" + hex.EncodeToString(b)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		tb.Fatalf("%s: connect: %v", Env, err)
	}
	defer conn.Close(ctx)
	// template0 with no locale dependency: fast, and the same on every
	// machine.
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE template0 ENCODING 'UTF8'"); err != nil {
		tb.Fatalf("%s: create database: %v", Env, err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			tb.Errorf("%s: connect to drop %s: %v", Env, name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("%s: drop database %s: %v", Env, name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}
