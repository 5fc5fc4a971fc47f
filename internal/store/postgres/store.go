// Package postgres keeps flags in PostgreSQL, for teams that run several
// server replicas on one database. It implements store.Engine with the
// same behaviour as the SQLite store (package store), whose validation,
// domain types and messages it reuses; the suite in internal/store/storetest
// holds both engines to one contract.
//
// Concurrency model: a pgxpool of connections in READ COMMITTED. Every
// claim (lock, unlock, complete, revoke) is one conditional UPDATE …
// WHERE … RETURNING whose result decides who won; the row it reads to
// explain a refusal is locked in the same statement, so no claim reads
// and then writes. A create and its event are one statement too. The reads
// of several statements (GetFlag, Board) run in one REPEATABLE READ, READ
// ONLY transaction, so they see one snapshot, as SQLite's read
// transactions do; they decide nothing. Times, leases included, come from
// the database clock (now()), so replicas with skewed clocks agree.
//
// A connection refused or lost while serving is a store.Error with
// CodeUnavailable ("the database is unreachable; nothing was stored", or
// "...; nothing was read"); the pool drops its connections then and
// reconnects on the next call, so the store recovers by itself.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mcp-agents/mcp-agents/internal/auth"
)

// connectTimeout bounds one connection attempt when the URL sets no
// connect_timeout: a server must not hang at start on an address that
// drops packets.
const connectTimeout = 5 * time.Second

// appName is the application_name the server reports unless the URL names
// one: it is how operators tell its connections apart in pg_stat_activity.
const appName = "mcp-agents"

// Store is a handle on one PostgreSQL flags database. It is safe for
// concurrent use.
type Store struct {
	pool *pgxpool.Pool
	url  string // without the password, for messages
	// now replaces the database clock (tests only; nil = now()): every
	// statement that reads the time takes it as parameter $1.
	now func() time.Time
	// offset moves the database clock instead (tests only; nil = none).
	offset func() time.Duration

	// applied lists the migration versions this Store applied (tests check
	// that concurrent openers apply each exactly once).
	applied []int
}

// Option configures Open.
type Option func(*Store)

// WithClockOffset moves the clock every statement reads by what off
// returns at the time of the call (tests only, like WithClock).
func WithClockOffset(off func() time.Duration) Option {
	return func(s *Store) { s.offset = off }
}

// WithClock replaces the database clock with now, read once per call, so
// tests of leases and expiry need not sleep. Production code never sets
// it: times come from the database server's now(), which replicas share.
func WithClock(now func() time.Time) Option {
	return func(s *Store) { s.now = now }
}

// Open connects to the database at url (postgres:// or postgresql://),
// applies pending migrations and returns the store. Connection settings
// come from the URL (pool_max_conns, sslmode, connect_timeout,
// application_name, ...). A database that cannot be reached fails Open
// with the reason.
func Open(ctx context.Context, rawURL string, opts ...Option) (*Store, error) {
	cfg, err := PoolConfig(rawURL)
	if err != nil {
		return nil, err
	}
	s := &Store{url: Redact(rawURL)}
	for _, o := range opts {
		o(s)
	}
	// Dead connections (a restarted server) are found before use, not by
	// the call that draws them.
	cfg.HealthCheckPeriod = 5 * time.Second
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: database %s: %w", s.url, err)
	}
	s.pool = pool
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		if ctx.Err() == nil && (errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err)) {
			// The connect timeout's deadline, not the caller's: said as
			// what it is, and not wrapped, or it would read as a call
			// cancelled ("request cancelled or timed out").
			return nil, fmt.Errorf("store: database %s: cannot reach the database: no answer within %s (connect_timeout): %v",
				s.url, cfg.ConnConfig.ConnectTimeout, err)
		}
		return nil, fmt.Errorf("store: database %s: %w", s.url, openReason(err))
	}
	if err := s.checkLockTimeout(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: database %s: %w", s.url, err)
	}
	return s, nil
}

// checkLockTimeout refuses a lock_timeout (from the URL, or the database's
// or role's own setting) of 0 or of a call's whole time limit or more: a
// write blocked by another transaction would then run out of opTimeout
// first and be answered "unreachable, may have been stored" instead of
// "busy, nothing was stored".
func (s *Store) checkLockTimeout(ctx context.Context) error {
	var ms int64
	if err := s.pool.QueryRow(ctx, "SELECT setting::bigint FROM pg_settings WHERE name = 'lock_timeout'").Scan(&ms); err != nil {
		return err
	}
	if ms <= 0 || time.Duration(ms)*time.Millisecond >= opTimeout {
		return fmt.Errorf("lock_timeout is %dms: it must be over 0 and under %v, a call's time limit, so that a write blocked by another transaction answers that the database is busy (leave it out of the URL for %v)", ms, opTimeout, lockTimeout)
	}
	return nil
}

// PoolConfig parses rawURL into the settings every connection mcp-agents
// makes to the database uses (the store's pool, its LISTEN connection,
// migrate's copy): the URL's, with application_name and connect_timeout
// defaulted when it does not set them.
func PoolConfig(rawURL string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("store: database URL: %w", err)
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = appName
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = connectTimeout
	}
	// A write blocked by another transaction's lock waits as long as one
	// on SQLite, then answers "busy" (mapErr): without it, it waited until
	// opTimeout and answered that the database was unreachable and the
	// write might have been stored.
	if _, ok := cfg.ConnConfig.RuntimeParams["lock_timeout"]; !ok {
		cfg.ConnConfig.RuntimeParams["lock_timeout"] = strconv.FormatInt(lockTimeout.Milliseconds(), 10)
	}
	// A statement sent on a connection the server already dropped fails
	// in a way pgx cannot tell from one the server received and then lost
	// (a write then answers "may have been stored"). pgxpool pings a
	// connection idle for over a second before use; checking one idle for
	// a few milliseconds too means a call made after the database went
	// away finds out before sending (one round trip, paid only by calls
	// that do not follow another closely).
	cfg.ShouldPing = func(_ context.Context, p pgxpool.ShouldPingParams) bool {
		return p.IdleDuration > pingAfterIdle
	}
	return cfg, nil
}

// pingAfterIdle is how long a pooled connection may sit unused before it
// is checked with a ping on its next use.
const pingAfterIdle = 10 * time.Millisecond

// Redact returns rawURL without its password, for messages and logs.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "postgres://…" // unparseable: show nothing that could be a secret
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// Path names the database for messages: its URL without the password.
func (s *Store) Path() string { return s.url }

// Close releases the pool's connections.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// readyWithin bounds a readiness check.
const readyWithin = time.Second

// Ready reports whether the database takes writes now: a connection
// answers within a second and is not on a read-only standby.
func (s *Store) Ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyWithin)
	defer cancel()
	var ro bool
	err := s.pool.QueryRow(ctx, "SELECT pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on'").Scan(&ro)
	if err != nil {
		return fmt.Errorf("the database %s did not answer within %s: %w", s.url, readyWithin, err)
	}
	if ro {
		return errors.New("the database " + s.url + " is read-only (a standby, or default_transaction_read_only)")
	}
	return nil
}

// clock is the time every statement reads, as SQL: the transaction's
// now() (or a test's clock, bound as parameter $1; NULL in production),
// cut to the contract's millisecond precision so a time returned is
// exactly the time stored.
const clock = `date_trunc('milliseconds', ` + rawClock + `)`

const rawClock = `coalesce($1::timestamptz, now())`

// after is clock plus a duration given in microseconds by placeholder p.
func after(p string) string {
	return `date_trunc('milliseconds', ` + rawClock + ` + ` + p + `::bigint * interval '1 microsecond')`
}

// clockArg is the value for $1 of a statement that reads clock: NULL
// (the database's now()) but in tests.
func (s *Store) clockArg() any {
	switch {
	case s.now != nil:
		return s.now()
	case s.offset != nil:
		return time.Now().Add(s.offset())
	}
	return nil
}

// off is the test clock's lead on the database clock in microseconds (0
// in production), for statements that add it to now() (feed.go).
func (s *Store) off() int64 {
	switch {
	case s.now != nil:
		return s.now().Sub(time.Now()).Microseconds()
	case s.offset != nil:
		return s.offset().Microseconds()
	}
	return 0
}

// principal is auth.From, here so the files that record who acted need
// not import auth.
var principal = auth.From
