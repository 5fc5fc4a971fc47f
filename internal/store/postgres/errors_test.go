package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/mcp-agents/mcp-agents/internal/store"
)

// safeToRetry is an error pgx marks as failing before anything was sent.
type safeToRetry struct{ error }

func (safeToRetry) SafeToRetry() bool { return true }

// A lost database is reported by what it means for the call: a write the
// server may have received must not claim that nothing was stored.
func TestUnreachableMessages(t *testing.T) {
	_, refused := pgconn.Connect(context.Background(), "postgres://mcp@127.0.0.1:1/none?connect_timeout=2")
	var ce *pgconn.ConnectError
	if !errors.As(refused, &ce) {
		t.Fatalf("connecting to a closed port gave %T %v, want a *pgconn.ConnectError", refused, refused)
	}
	tests := []struct {
		name  string
		write bool
		err   error
		want  string
	}{
		{"refused write", true, refused, unreachableWrite},
		{"refused read", false, refused, unreachableRead},
		{"write not sent", true, safeToRetry{io.EOF}, unreachableWrite},
		{"backend terminated", true, &pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}, unreachableWrite},
		{"write cut off after sending", true, fmt.Errorf("commit: %w", io.ErrUnexpectedEOF), lostDuringWrite},
		{"read cut off", false, io.ErrUnexpectedEOF, unreachableRead},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := mapErr("op", tt.write, tt.err)
			var se *store.Error
			if !errors.As(err, &se) || se.Code != store.CodeUnavailable || se.Message != tt.want {
				t.Fatalf("mapErr(%v) = %v, want CodeUnavailable %q", tt.err, err, tt.want)
			}
		})
	}
}
