package store

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mcp-agents/mcp-agents/internal/auth"
)

// Engine is the store contract: every call the tools, the CLI, the HTTP
// server and the board make on a flags database. *Store (SQLite) and
// *postgres.Store implement it with the same behaviour (rules, errors and
// their messages, ordering, leases, chains, events, tokens, pagination),
// which the shared suite in internal/store/storetest holds both to.
type Engine interface {
	CreateFlag(ctx context.Context, in NewFlag) (Flag, error)
	AgentFlags(ctx context.Context, q AgentFlagsQuery) ([]Flag, error)
	CountAgentFlags(ctx context.Context, q AgentFlagsQuery) (int, error)
	LockFlag(ctx context.Context, id int64, agent string, lease time.Duration) (Flag, error)
	UnlockFlag(ctx context.Context, id int64, agent string, force bool) (Flag, error)
	CompleteFlag(ctx context.Context, id int64, agent, notes string) (Flag, error)
	ListFlags(ctx context.Context, q ListQuery) ([]Flag, int, error)
	GetFlag(ctx context.Context, id int64) (FlagDetail, error)
	Board(ctx context.Context, q BoardQuery) (BoardSummary, error)

	CreateToken(ctx context.Context, in NewToken) (Token, error)
	Tokens(ctx context.Context) ([]Token, error)
	RevokeToken(ctx context.Context, id string) (Token, error)
	Authenticate(ctx context.Context, token string) (auth.Principal, error)
	TouchToken(ctx context.Context, id string) error

	// Ready reports whether the database can take writes now.
	Ready(ctx context.Context) error
	// Path names the database for messages: a file path, or a URL without
	// its password.
	Path() string
	Close() error
}

var _ Engine = (*Store)(nil)

// The rest of this file exports the engine-neutral rules, so that other
// engines (internal/store/postgres) validate and explain exactly as this one
// does instead of keeping a copy.

// ValidFlag is a NewFlag after validation and normalisation.
type ValidFlag struct {
	FlagType, Source, Target, Change, Action, Impact string // Target "" = everyone
	Related                                          string // JSON array
	Files                                            []string
	Chain                                            int64  // 0 = none
	CodeLocation, Example, Context                   string // "" = NULL
}

// ValidateNewFlag applies CreateFlag's rules to in.
func ValidateNewFlag(in NewFlag) (ValidFlag, error) {
	v, err := validateNewFlag(in)
	return ValidFlag{
		FlagType: v.flagType, Source: v.source, Target: v.target, Change: v.change, Action: v.action,
		Impact: v.impact, Related: v.related, Files: v.files, Chain: v.chain,
		CodeLocation: v.codeLocation, Example: v.example, Context: v.context,
	}, err
}

// CanonicalHandle normalises an agent handle, or explains (naming field)
// why it is not one.
func CanonicalHandle(field, s string) (string, error) { return canonicalHandle(field, s) }

// CheckID refuses a flag id that cannot name a flag.
func CheckID(id int64) error { return checkID(id) }

// CheckLease refuses a lease that is not positive.
func CheckLease(lease time.Duration) error {
	if lease <= 0 {
		return invalid("lease", "lease must be positive (got %s)", lease)
	}
	return nil
}

// CheckNotes trims completion notes ("" = none) and checks their length.
func CheckNotes(notes string) (string, error) { return optText("notes", notes) }

// StatusFilter checks a status filter, def standing for "".
func StatusFilter(v, def string) (string, error) { return statusFilter(v, def) }

// CheckLimit refuses a negative limit.
func CheckLimit(n int) error { return checkLimit(n) }

// CheckBoardQuery validates and canonicalises a board query, filling in
// the default row count.
func CheckBoardQuery(q BoardQuery) (BoardQuery, error) { return checkBoardQuery(q) }

// SortInboxes orders the board's inbox counts, most urgent work first.
func SortInboxes(in []InboxCount) { sortInboxes(in) }

// TimeLayout is how every time in the contract is written: RFC 3339 in
// UTC with fixed-width milliseconds.
const TimeLayout = timeLayout

// FormatTime writes t in TimeLayout.
func FormatTime(t time.Time) string { return formatTime(t) }

// TouchEvery is how often a token's last-used time is written at most.
const TouchEvery = touchEvery

// TokenNoteMax is the longest token note, in characters.
const TokenNoteMax = tokenNoteMaxRune

// NewConflict builds a CodeConflict error.
func NewConflict(format string, args ...any) *Error { return conflict(format, args...) }

// NewBusy builds a CodeBusy error with the driver's error kept for logs.
func NewBusy(msg string, err error) *Error {
	return &Error{Code: CodeBusy, Message: msg, err: err}
}

// NewUnavailable builds a CodeUnavailable error with the driver's error
// kept for logs.
func NewUnavailable(msg string, err error) *Error {
	return &Error{Code: CodeUnavailable, Message: msg, err: err}
}

// CheckSchemaVersion refuses a schema version an engine cannot start from:
// newer than know, or negative.
func CheckSchemaVersion(have, know int) error { return checkSchemaVersion(have, know) }

// CompletedError refuses a change to a completed flag.
func CompletedError(id int64, by, at string) error {
	return lockState{doneBy: by, doneAt: at}.completedErr(id)
}

// LockedError refuses a change to a flag another agent holds; what says
// what the caller can do.
func LockedError(id int64, holder, until, what string) error {
	return lockState{holder: holder, expires: until}.lockedErr(id, what)
}

// NotLockedError refuses to unlock a flag no lease holds.
func NotLockedError(id int64) error { return conflict("flag %d is not locked", id) }

// CompletedNotLockedError refuses to unlock a completed flag, saying why
// it holds no lease as lock_flag and complete_flag say it.
func CompletedNotLockedError(id int64, by, at string) error {
	return conflict("flag %d is not locked: it is completed (by %s at %s)", id, by, at)
}

// Refusal texts of the claims (the what of LockedError).
const (
	WaitForLease   = "wait for the lease to expire or ask the holder to unlock it"
	OnlyHolderFree = "only the holder can unlock it (or unlock with force)"
	OnlyHolderDone = "only the holder can complete it until the lease expires"
)

// CheckNewToken applies CreateToken's rules to in and returns the agent
// canonicalised and whether the token may broadcast.
func CheckNewToken(in NewToken) (agent string, canBroadcast bool, err error) {
	agent, err = canonicalHandle("agent", in.Agent)
	if err != nil {
		return "", false, err
	}
	if _, err := auth.ParseRole(string(in.Role)); err != nil {
		return "", false, invalid("role", "%v", err)
	}
	if in.Role == auth.RoleObserver && in.CanBroadcast {
		return "", false, invalid("can_broadcast", "can_broadcast must be false for an observer, which writes nothing")
	}
	if len(in.Hash) != 32 || in.ID == "" {
		return "", false, invalid("token", "a token needs an id and a 32-byte SHA-256")
	}
	if in.TTL < 0 {
		return "", false, invalid("expires", "expires must be positive (got %s)", in.TTL)
	}
	if !utf8.ValidString(in.Note) || strings.IndexByte(in.Note, 0) >= 0 {
		return "", false, invalid("note", "note must be valid UTF-8 text without NUL characters")
	}
	if n := len([]rune(in.Note)); n > tokenNoteMaxRune {
		return "", false, invalid("note", "note must be at most %d characters", tokenNoteMaxRune)
	}
	return agent, in.CanBroadcast || in.Role == auth.RoleAdmin, nil
}

// UnknownTokenError and friends explain a refused bearer token.
func UnknownTokenError() error { return badToken("unknown token") }

// RevokedTokenError refuses a revoked token.
func RevokedTokenError(id string) error { return badToken("token " + id + " was revoked") }

// ExpiredTokenError refuses an expired token.
func ExpiredTokenError(id string) error { return badToken("token " + id + " expired") }

// NoSuchTokenError answers a revoke of an unknown id.
func NoSuchTokenError(id string) error {
	if strings.Contains(id, auth.TokenPrefix) { // also "Bearer mcpa_…" and " mcpa_…" pasted whole
		// A secret is shown once; an error message ends up in scrollback
		// and CI logs, so it is not repeated here.
		return invalid("id", "that is a token's secret (%s…), not its id: give the tok_… id `mcp-agents tokens list` shows", auth.TokenPrefix)
	}
	if !strings.HasPrefix(id, "tok_") {
		// Not an id's shape: perhaps a secret without its prefix, which
		// is not repeated either.
		return invalid("id", "a token id starts with tok_ (see `mcp-agents tokens list`); what was given does not, and is not repeated here in case it is a secret")
	}
	return notFound("id", "token id %q does not name a token (see `mcp-agents tokens list`)", id)
}

// TokenRevokedConflict answers a second revoke.
func TokenRevokedConflict(id, at string) error {
	return conflict("token %s was already revoked at %s", id, at)
}

// ChainNotFoundError refuses a chain_origin_id that names no flag.
func ChainNotFoundError(id int64) error {
	return notFound("chain_origin_id", "chain_origin_id %d does not name an existing flag", id)
}

// FlagNotFoundError answers an id that names no flag.
func FlagNotFoundError(id int64) error {
	return notFound("flag_id", "flag_id %d does not name an existing flag", id)
}

func badToken(reason string) error { return errors.Join(auth.ErrBadToken, errors.New(reason)) }
