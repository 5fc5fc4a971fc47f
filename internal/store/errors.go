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
)

// Error is the error returned for anything the caller (or the model behind
// it) can act on. Message names the field and the rule and is safe to show.
type Error struct {
	Code    Code
	Field   string
	Message string
}

func (e *Error) Error() string { return e.Message }

func invalid(field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

func notFound(field, format string, args ...any) *Error {
	return &Error{Code: CodeNotFound, Field: field, Message: fmt.Sprintf(format, args...)}
}

func conflict(format string, args ...any) *Error {
	return &Error{Code: CodeConflict, Message: fmt.Sprintf(format, args...)}
}

var errBusy = &Error{Code: CodeBusy, Message: "database busy, retry"}

// sqliteCode returns the primary SQLite result code of err, or 0.
func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() & 0xff
	}
	return 0
}

func isBusy(err error) bool {
	c := sqliteCode(err)
	return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
}

// mapErr turns driver errors into what the contract promises: *Error values
// pass through, contention becomes CodeBusy (never a raw driver message),
// context errors stay recognisable, anything else is wrapped with op.
func mapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var se *Error
	if errors.As(err, &se) {
		return se
	}
	if isBusy(err) {
		return errBusy
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("store: %s: %w", op, err)
}
