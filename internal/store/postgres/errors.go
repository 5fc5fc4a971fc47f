package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/mcp-agents/mcp-agents/internal/store"
)

// Messages for a database that cannot be reached: the caller learns that
// the call had no effect (a write's transaction never committed) and may
// retry once the database is back; the pool reconnects by itself.
const (
	unreachableWrite = "the database is unreachable; nothing was stored"
	unreachableRead  = "the database is unreachable; nothing was read"
	// A write whose statement (or COMMIT) had reached the server when the
	// connection broke may have committed without the answer coming back:
	// saying "nothing was stored" then could make a client store it twice.
	lostDuringWrite = "the database is unreachable; the connection broke after the change was sent, so it may " +
		"have been stored: check (get_flag, list_flags) before retrying"
)

// lockTimeout is lock_timeout on every connection unless the URL sets it:
// how long a statement waits for another transaction's lock.
var lockTimeout = store.BusyTimeout

// opTimeout bounds one attempt at a call's database work (Store.do).
// Every statement of this store takes milliseconds, even at a million
// flags.
var opTimeout = 10 * time.Second

// noAnswer is an attempt that ran out of opTimeout: the database did not
// answer. It is not the caller's deadline (context.DeadlineExceeded is
// not in its chain), and it is safe to retry only when nothing had been
// sent.
type noAnswer struct{ cause error }

func (e noAnswer) Error() string {
	return fmt.Sprintf("the database did not answer within %v: %v", opTimeout, e.cause)
}

func (e noAnswer) SafeToRetry() bool { return pgconn.SafeToRetry(e.cause) }

// sentBeforeLoss reports whether a write that failed with the unreachable
// error err may have reached the server: the connection broke after it
// was sent (pgx's SafeToRetry is false), rather than being refused, never
// acquired, or the backend ending it with an error that aborts the
// transaction (class 08, 57P0x).
func sentBeforeLoss(err error) bool {
	var ce *pgconn.ConnectError
	var pe *pgconn.PgError
	if errors.As(err, &ce) || errors.As(err, &pe) || pgconn.SafeToRetry(err) {
		return false
	}
	return true
}

// unreachable reports whether err means the connection to the database was
// refused, lost or timed out, rather than the statement failing.
func unreachable(err error) bool {
	var ne net.Error
	var ce *pgconn.ConnectError
	var pe *pgconn.PgError
	var na noAnswer
	switch {
	case errors.As(err, &na), errors.As(err, &ce), errors.As(err, &ne), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, net.ErrClosed), pgconn.Timeout(err):
		return true
	case errors.As(err, &pe):
		// Class 08: connection exception; 57P01-57P03: the server is
		// shutting down, crashed, or not yet accepting connections.
		return pe.Code[:2] == "08" || pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03"
	}
	var pgErr interface{ SafeToRetry() bool }
	return errors.As(err, &pgErr) && pgErr.SafeToRetry()
}

// mapErr turns driver errors into what the contract promises: *store.Error
// values pass through, a lost database becomes CodeUnavailable saying so,
// context errors stay recognisable, anything else is wrapped with op.
func mapErr(op string, write bool, err error) error {
	if err == nil {
		return nil
	}
	var se *store.Error
	if errors.As(err, &se) {
		return se
	}
	var ce *pgconn.ConnectError
	if !errors.As(err, &ce) && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return err // the caller's deadline or cancellation, as on SQLite
	}
	if unreachable(err) {
		// The caller logs the cause (err, with op) with its own logger.
		err = fmt.Errorf("%s: %w", op, err)
		msg := unreachableRead
		switch {
		case write && sentBeforeLoss(err):
			msg = lostDuringWrite
		case write:
			msg = unreachableWrite
		}
		return store.NewUnavailable(msg, err)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "55P03": // lock_not_available: another transaction held the rows past lock_timeout
			msg := "the database is busy: another transaction held the rows past the lock timeout; retry"
			if write {
				msg = "the database is busy: another transaction held the rows past the lock timeout; nothing was stored, retry"
			}
			return store.NewBusy(msg, fmt.Errorf("%s: %w", op, err))
		case "25006": // read_only_sql_transaction: a standby, or default_transaction_read_only
			return store.NewUnavailable("the database is read-only (a standby, or default_transaction_read_only); nothing was stored", err)
		case "53100": // disk_full
			return store.NewUnavailable("the database disk is full; nothing was stored", err)
		case "53300", "53400": // too_many_connections, configuration_limit_exceeded
			return store.NewUnavailable("the database refused another connection (too many); nothing was stored", err)
		}
	}
	return fmt.Errorf("store: %s: %w", op, err)
}

// openReason explains a failed Open.
func openReason(err error) error {
	var se *store.Error
	if errors.As(err, &se) || !unreachable(err) {
		return err
	}
	return fmt.Errorf("cannot reach the database: %w", err)
}
