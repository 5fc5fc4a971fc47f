package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// pgLoads starts one `serve --http` replica on a new PostgreSQL database,
// and two replicas sharing another (the clients spread over both), each
// database empty like SQLite's, and returns their mixed loads and the
// function that stops the servers and drops the databases. admin is a URL
// of the server that may create databases.
func pgLoads(admin string, env []string, bin string, clients int) ([]*mixedLoad, func()) {
	var loads []*mixedLoad
	var cleanup []func()
	for _, replicas := range []int{1, 2} {
		db, drop := createDatabase(admin, fmt.Sprintf("httpbench_%d_%d", os.Getpid(), replicas))
		cleanup = append(cleanup, drop)
		var t struct{ Token string }
		out, err := command(env, bin, "tokens", "create", "--db", db, "--agent", "@bench.admin", "--role", "admin").Output()
		check(err)
		check(json.Unmarshal(out, &t))
		var ts []target
		for range replicas {
			cmd, u := start(env, bin, "serve", "--db", db, "--http", "127.0.0.1:0", "--log-level", "warn", "--rate-limit", "0")
			ts = append(ts, target{url: u, token: t.Token, cmd: cmd})
			cleanup = append([]func(){func() { stop(cmd) }}, cleanup...) // servers stop before their database goes
		}
		name := "PostgreSQL, 1 replica (token)"
		if replicas > 1 {
			name = fmt.Sprintf("PostgreSQL, %d replicas (token)", replicas)
		}
		loads = append(loads, newMixed(name, ts, clients))
	}
	return loads, func() {
		for _, f := range cleanup {
			f()
		}
	}
}

// createDatabase makes a new database on admin's server and returns its
// URL and the function that drops it.
func createDatabase(admin, name string) (string, func()) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := adminConn(ctx, admin)
	check(err)
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	check(err)
	u, err := url.Parse(admin)
	check(err)
	u.Path = "/" + name
	return u.String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if conn, err := adminConn(ctx, admin); err == nil {
			conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
			conn.Close(ctx)
		}
	}
}

// adminConn opens one connection to admin's server; the URL may carry the
// servers' pool settings (pool_max_conns), which are not for this one.
func adminConn(ctx context.Context, admin string) (*pgx.Conn, error) {
	cfg, err := pgxpool.ParseConfig(admin)
	if err != nil {
		return nil, err
	}
	return pgx.ConnectConfig(ctx, cfg.ConnConfig)
}
