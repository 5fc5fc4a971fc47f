package store

import (
	"context"
	"errors"
	"fmt"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Code classifies an *Error so callers can map it to a protocol status.
type Code string

// Error codes.
const (
	CodeInvalid  Code = "invalid"   // the input breaks a rule; nothing was stored
	CodeNotFound Code = "not_found" // the flag (or referenced flag) does not exist
	CodeConflict Code = "conflict"  // the flag's state forbids the operation (locked, completed, ...)
	CodeBusy     Code = "busy"      // another process held the database past the busy timeout
	// CodeUnavailable: the database file cannot serve the call (disk
	// full, read-only, corrupt, replaced); the message says which.
	CodeUnavailable Code = "unavailable"
)

// Error is the error returned for anything the caller (or the model behind
// it) can act on. Message names the field and the rule and is safe to show.
type Error struct {
	Code    Code
	Field   string
	Message string
	err     error // the driver's error, for logs
}

func (e *Error) Error() string { return e.Message }

// Unwrap returns the underlying driver error, if any.
func (e *Error) Unwrap() error { return e.err }

func invalid(field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

func notFound(field, format string, args ...any) *Error {
	return &Error{Code: CodeNotFound, Field: field, Message: fmt.Sprintf(format, args...)}
}

func conflict(format string, args ...any) *Error {
	return &Error{Code: CodeConflict, Message: fmt.Sprintf(format, args...)}
}

// sqliteCode returns the primary SQLite result code of err, or 0.
func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() & 0xff
	}
	return 0
}

// sqliteExtendedCode is sqliteCode with the extended part kept.
func sqliteExtendedCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

func isBusy(err error) bool {
	c := sqliteCode(err)
	return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
}

// faults are the SQLite errors a caller can be told about in plain words;
// anything else is internal.
var faults = map[int]struct {
	code Code
	what string
}{
	sqlite3.SQLITE_BUSY:     {CodeBusy, "the database is busy: another process held its write lock past the busy timeout"},
	sqlite3.SQLITE_LOCKED:   {CodeBusy, "the database is busy: another process held its write lock past the busy timeout"},
	sqlite3.SQLITE_FULL:     {CodeUnavailable, "the database disk is full"},
	sqlite3.SQLITE_READONLY: {CodeUnavailable, "the database is read-only (the file, its directory or its -wal/-shm files cannot be written)"},
	sqlite3.SQLITE_PERM:     {CodeUnavailable, "the database is read-only (the file, its directory or its -wal/-shm files cannot be written)"},
	sqlite3.SQLITE_CORRUPT:  {CodeUnavailable, "the database file is corrupt (restore it from a backup)"},
	sqlite3.SQLITE_NOTADB:   {CodeUnavailable, "the database file is corrupt (restore it from a backup)"},
	sqlite3.SQLITE_IOERR:    {CodeUnavailable, "the database file could not be read or written (I/O error)"},
	sqlite3.SQLITE_CANTOPEN: {CodeUnavailable, "the database file cannot be opened"},
}

// mapErr turns a write's driver errors into what the contract promises:
// *Error values pass through, the SQLite faults in faults become *Error
// saying which and that nothing was stored (the transaction rolled back),
// context errors stay recognisable, anything else is wrapped with op.
func mapErr(op string, err error) error { return mapFault(op, err, true) }

// mapReadErr is mapErr for a read, which has nothing to say it did not store.
func mapReadErr(op string, err error) error { return mapFault(op, err, false) }

func mapFault(op string, err error, write bool) error {
	if err == nil {
		return nil
	}
	var se *Error
	if errors.As(err, &se) {
		return se
	}
	if r := (*replaced)(nil); errors.As(err, &r) {
		msg := replacedMessage
		switch {
		case r.storedInOld:
			msg += "; it was stored in the file that was at the path when the call was made, not in the one there now"
		case write:
			msg += "; nothing was stored"
		}
		return &Error{Code: CodeUnavailable, Message: msg, err: r.err}
	}
	if f, ok := faults[sqliteCode(err)]; ok {
		msg := f.what
		switch {
		case write && f.code == CodeBusy:
			msg += "; nothing was stored, retry"
		case write:
			msg += "; nothing was stored"
		case f.code == CodeBusy:
			msg += "; retry"
		}
		// The caller logs the cause (err, with op) with its own logger.
		return &Error{Code: f.code, Message: msg, err: fmt.Errorf("%s: %w", op, err)}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("store: %s: %w", op, err)
}
