package store

import (
	"database/sql"
	"encoding/json"
	"time"
)

// Flag is one coordination message. JSON field names are a contract with
// the MCP tools and the CLI.
type Flag struct {
	ID                int64           `json:"id"`
	FlagType          string          `json:"flag_type"`
	SourceAgent       string          `json:"source_agent"`
	TargetAgent       *string         `json:"target_agent"` // nil = everyone
	ChangeDescription string          `json:"change_description"`
	ActionRequired    string          `json:"action_required"`
	ImpactLevel       string          `json:"impact_level"`
	RelatedFiles      []string        `json:"related_files"` // never nil
	ChainOriginID     *int64          `json:"chain_origin_id"`
	CodeLocation      *string         `json:"code_location"`
	ExampleUsage      *string         `json:"example_usage"`
	Context           json.RawMessage `json:"context"` // JSON object or nil (null)
	Notes             *string         `json:"notes"`
	Status            string          `json:"status"` // pending | completed
	// An expired lease is reported as unlocked: Locked false and the three
	// lock fields nil.
	Locked        bool    `json:"locked"`
	LockedBy      *string `json:"locked_by"`
	LockedAt      *string `json:"locked_at"`
	LockExpiresAt *string `json:"lock_expires_at"`
	CreatedAt     string  `json:"created_at"`
	CompletedAt   *string `json:"completed_at"`
	CompletedBy   *string `json:"completed_by"`
	// CreatedBy is the token the flag was created under (HTTP); nil over
	// stdio and --no-auth, where the source named itself. Prompts, pushes
	// and the board show it; it is not part of the tools' JSON.
	CreatedBy *Creator `json:"-"`
}

// Creator is the principal a flag was created under.
type Creator struct {
	TokenID string
	Role    string
}

// Principal says who vouches for the flag's source, in the one wording the
// prompts, pushes and the board share. Without a token (stdio, the CLI,
// serve --http --no-auth) nobody does: the sender named itself. On the
// team server the flag was created under a token; its id and role are the
// server's own values.
func (f Flag) Principal() string {
	switch {
	case f.CreatedBy == nil:
		return "none (no token: the source named itself; not verified)"
	case f.CreatedBy.Role == "agent":
		return "token " + f.CreatedBy.TokenID + " (role agent; the server checked the source is this token's agent)"
	default:
		return "token " + f.CreatedBy.TokenID + " (role " + f.CreatedBy.Role + "; such a token may name any source)"
	}
}

// Event is one state change of a flag.
type Event struct {
	ID             int64   `json:"id"`
	FlagID         int64   `json:"flag_id"`
	Kind           string  `json:"kind"` // created, locked, renewed, takeover, unlocked, force_unlocked, completed
	Agent          string  `json:"agent"`
	PreviousHolder *string `json:"previous_holder,omitempty"`
	At             string  `json:"at"`
	// TokenID names the token the change was made under (HTTP); null over
	// stdio and --no-auth, where the agent named itself.
	TokenID *string `json:"token_id"`
}

// FlagDetail is a flag with its history and its whole chain tree.
type FlagDetail struct {
	Flag   Flag    `json:"flag"`
	Events []Event `json:"events"`
	// Chain is the root (following chain_origin_id up) and every
	// descendant, ordered by id; it includes Flag itself.
	Chain []Flag `json:"chain"`
}

// Event kinds.
const (
	EventCreated       = "created"
	EventLocked        = "locked"
	EventRenewed       = "renewed"
	EventTakeover      = "takeover"
	EventUnlocked      = "unlocked"
	EventForceUnlocked = "force_unlocked"
	EventCompleted     = "completed"
)

// timeLayout is RFC 3339 in UTC with fixed-width milliseconds: fixed width
// makes SQL string comparison agree with time order.
const timeLayout = "2006-01-02T15:04:05.000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

const flagCols = `id, flag_type, source_agent, target_agent, change_description, action_required,
	impact_level, related_files, chain_origin_id, code_location, example_usage, context, notes,
	status, locked_by, locked_at, lock_expires_at, created_at, completed_at, completed_by,
	created_token, created_role`

type rowScanner interface{ Scan(dest ...any) error }

// flagRow is one row of flagCols as stored, lease included even when it has
// expired: writes need the raw lease to decide and explain, reads turn it
// into a Flag with toFlag.
type flagRow struct {
	id                                                        int64
	flagType, source, change, action, impact, status, created string
	related                                                   string // JSON array
	target, codeLoc, example, ctxt, notes                     sql.NullString
	lockedBy, lockedAt, lockExp, completedAt, completedBy     sql.NullString
	createdToken, createdRole                                 sql.NullString
	chain                                                     sql.NullInt64
	// files, when set, is related already decoded (a write that just
	// encoded it need not parse it back).
	files []string
}

func (r *flagRow) scan(sc rowScanner) error { return sc.Scan(r.dests()...) }

// dests are the Scan destinations of flagCols in r. A loop over many rows
// builds them once and scans every row into the same r.
func (r *flagRow) dests() []any {
	return []any{&r.id, &r.flagType, &r.source, &r.target, &r.change, &r.action,
		&r.impact, &r.related, &r.chain, &r.codeLoc, &r.example, &r.ctxt, &r.notes,
		&r.status, &r.lockedBy, &r.lockedAt, &r.lockExp, &r.created, &r.completedAt, &r.completedBy,
		&r.createdToken, &r.createdRole}
}

// leaseHeld reports whether the row's lease still holds at now. Times are
// fixed-width, so string order is time order, as in the SQL conditions.
func (r *flagRow) leaseHeld(now string) bool {
	return r.lockedBy.Valid && r.lockExp.Valid && r.lockExp.String > now
}

// setLease and clearLease mirror the lease columns an UPDATE just wrote.
func (r *flagRow) setLease(agent, at, exp string) {
	r.lockedBy, r.lockedAt, r.lockExp = validStr(agent), validStr(at), validStr(exp)
}

func (r *flagRow) clearLease() {
	r.lockedBy, r.lockedAt, r.lockExp = sql.NullString{}, sql.NullString{}, sql.NullString{}
}

// toFlag converts the row as a read at now sees it: an expired lease is
// reported as no lock at all.
func (r *flagRow) toFlag(now string) Flag {
	f := Flag{
		ID:                r.id,
		FlagType:          r.flagType,
		SourceAgent:       r.source,
		ChangeDescription: r.change,
		ActionRequired:    r.action,
		ImpactLevel:       r.impact,
		Status:            r.status,
		CreatedAt:         r.created,
	}
	// One allocation backs every optional string of the flag.
	var strs [9]string // the optional columns but the creator's
	n := 0
	ptr := func(ns sql.NullString) *string {
		if !ns.Valid {
			return nil
		}
		strs[n] = ns.String
		n++
		return &strs[n-1]
	}
	f.TargetAgent = ptr(r.target)
	f.CodeLocation = ptr(r.codeLoc)
	f.ExampleUsage = ptr(r.example)
	f.Notes = ptr(r.notes)
	f.CompletedAt = ptr(r.completedAt)
	f.CompletedBy = ptr(r.completedBy)
	if r.chain.Valid {
		v := r.chain.Int64
		f.ChainOriginID = &v
	}
	if r.ctxt.Valid {
		f.Context = json.RawMessage(r.ctxt.String)
	}
	if r.files != nil {
		f.RelatedFiles = r.files
	} else {
		f.RelatedFiles = decodeFiles(r.related)
	}
	if r.createdToken.Valid {
		f.CreatedBy = &Creator{TokenID: r.createdToken.String, Role: r.createdRole.String}
	}
	if r.leaseHeld(now) {
		f.Locked = true
		f.LockedBy = ptr(r.lockedBy)
		f.LockedAt = ptr(r.lockedAt)
		f.LockExpiresAt = ptr(r.lockExp)
	}
	return f
}

func strPtr(ns sql.NullString) *string {
	if !ns.Valid {
		return nil
	}
	s := ns.String
	return &s
}

func validStr(s string) sql.NullString { return sql.NullString{String: s, Valid: true} }

func nullStr(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }
