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
}

// Event is one state change of a flag.
type Event struct {
	ID             int64   `json:"id"`
	FlagID         int64   `json:"flag_id"`
	Kind           string  `json:"kind"` // created, locked, renewed, takeover, unlocked, force_unlocked, completed
	Agent          string  `json:"agent"`
	PreviousHolder *string `json:"previous_holder,omitempty"`
	At             string  `json:"at"`
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
	status, locked_by, locked_at, lock_expires_at, created_at, completed_at, completed_by`

type rowScanner interface{ Scan(dest ...any) error }

// scanFlag reads one row of flagCols. now decides whether a lease still
// holds: an expired one is reported as no lock at all.
func scanFlag(sc rowScanner, now string) (Flag, error) {
	var (
		f                                     Flag
		target, codeLoc, example, ctxt, notes sql.NullString
		lockedBy, lockedAt, lockExp           sql.NullString
		completedAt, completedBy              sql.NullString
		related                               string
		chain                                 sql.NullInt64
	)
	err := sc.Scan(&f.ID, &f.FlagType, &f.SourceAgent, &target, &f.ChangeDescription, &f.ActionRequired,
		&f.ImpactLevel, &related, &chain, &codeLoc, &example, &ctxt, &notes,
		&f.Status, &lockedBy, &lockedAt, &lockExp, &f.CreatedAt, &completedAt, &completedBy)
	if err != nil {
		return Flag{}, err
	}
	f.TargetAgent = strPtr(target)
	f.CodeLocation = strPtr(codeLoc)
	f.ExampleUsage = strPtr(example)
	f.Notes = strPtr(notes)
	f.CompletedAt = strPtr(completedAt)
	f.CompletedBy = strPtr(completedBy)
	if chain.Valid {
		v := chain.Int64
		f.ChainOriginID = &v
	}
	if ctxt.Valid {
		f.Context = json.RawMessage(ctxt.String)
	}
	f.RelatedFiles = []string{}
	if err := json.Unmarshal([]byte(related), &f.RelatedFiles); err != nil || f.RelatedFiles == nil {
		f.RelatedFiles = []string{}
	}
	if lockedBy.Valid && lockExp.Valid && lockExp.String > now {
		f.Locked = true
		f.LockedBy = strPtr(lockedBy)
		f.LockedAt = strPtr(lockedAt)
		f.LockExpiresAt = strPtr(lockExp)
	}
	return f, nil
}

func strPtr(ns sql.NullString) *string {
	if !ns.Valid {
		return nil
	}
	s := ns.String
	return &s
}

func nullStr(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }
