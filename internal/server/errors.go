package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-agents/mcp-agents/internal/store"
)

// Code classifies a domain error so the MCP layer and the CLI can report it
// without knowing where it came from.
type Code string

const (
	CodeInvalid  Code = "invalid"
	CodeNotFound Code = "not_found"
	CodeConflict Code = "conflict"
	CodeBusy     Code = "busy"
	// CodeForbidden: the caller's token does not allow the call.
	CodeForbidden Code = "forbidden"
)

// Error is a domain error: its message is safe to show a model or a user and
// names the field and the rule that was broken.
type Error struct {
	Code    Code
	Field   string
	Message string
}

func (e *Error) Error() string { return e.Message }

func invalidf(field, format string, args ...any) error {
	return &Error{Code: CodeInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

func notFoundf(field, format string, args ...any) error {
	return &Error{Code: CodeNotFound, Field: field, Message: fmt.Sprintf(format, args...)}
}

// AsDomain reports whether err is a domain error (ours or the store's) and
// returns it in our shape; anything else is an internal error.
func AsDomain(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	var se *store.Error
	if errors.As(err, &se) {
		return &Error{Code: Code(se.Code), Field: se.Field, Message: se.Message}, true
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &Error{Code: CodeBusy, Message: "request cancelled or timed out before it finished; retry"}, true
	}
	return nil, false
}

// logFault logs the cause of a database fault (disk full, read-only,
// corrupt, unreachable, ...): the client is told which in plain words, the
// operator needs the driver's error and which database it is, since the
// driver's error often names no file ("database disk image is malformed").
// The stores leave the logging to their callers, so it goes to the
// server's logger at its level.
func (svc *Service) logFault(ctx context.Context, what string, err error) {
	var se *store.Error
	if !errors.As(err, &se) || se.Code != store.CodeUnavailable {
		return
	}
	attrs := []any{"call", what, "err", se.Message, "cause", errors.Unwrap(se)}
	if db, ok := svc.Flags.(interface{ Path() string }); ok {
		attrs = append(attrs, "db", db.Path()) // a PostgreSQL URL comes without its password
	}
	svc.Log.ErrorContext(ctx, "database fault", attrs...)
}

// toolError turns a handler error into an isError tool result. Internal
// errors are logged in full but reported to the model only as internal, since
// their text (paths, SQL) is neither safe nor useful to it.
func (svc *Service) toolError(ctx context.Context, tool string, err error) *mcp.CallToolResult {
	if d, ok := AsDomain(err); ok {
		svc.logFault(ctx, tool, err)
		return mcp.NewToolResultError(d.Message)
	}
	svc.Log.ErrorContext(ctx, "tool failed", "tool", tool, "err", err)
	return mcp.NewToolResultError("internal error in " + tool + "; the server log has details")
}
