package server

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcp-agents/mcp-agents/internal/agent"
	"github.com/mcp-agents/mcp-agents/internal/auth"
	"github.com/mcp-agents/mcp-agents/internal/store"
)

// CreateFlagInput is the input of create_flag.
type CreateFlagInput struct {
	FlagType          string          `json:"flag_type"`
	SourceAgent       *string         `json:"source_agent"`
	TargetAgent       *string         `json:"target_agent,omitempty"`
	ChangeDescription string          `json:"change_description"`
	ActionRequired    string          `json:"action_required"`
	ImpactLevel       *string         `json:"impact_level,omitempty"`
	RelatedFiles      json.RawMessage `json:"related_files,omitempty"`
	ChainOriginID     *int64          `json:"chain_origin_id,omitempty"`
	CodeLocation      string          `json:"code_location,omitempty"`
	ExampleUsage      string          `json:"example_usage,omitempty"`
	Context           json.RawMessage `json:"context,omitempty"`
}

// FlagOutput is the output of create_flag, lock_flag, unlock_flag and complete_flag.
type FlagOutput struct {
	Flag store.Flag `json:"flag"`
}

// GetAgentFlagsInput is the input of get_agent_flags.
type GetAgentFlagsInput struct {
	Agent         *string `json:"agent"`
	Status        *string `json:"status,omitempty"`
	IncludeLocked *bool   `json:"include_locked,omitempty"`
	Limit         *int    `json:"limit,omitempty"`
	WaitSeconds   *int    `json:"wait_seconds,omitempty"`
}

// AgentFlagsOutput is the output of get_agent_flags.
type AgentFlagsOutput struct {
	Agent string       `json:"agent"`
	Flags []store.Flag `json:"flags"`
}

// LockFlagInput is the input of lock_flag.
type LockFlagInput struct {
	FlagID       *int64  `json:"flag_id"`
	Agent        *string `json:"agent"`
	LeaseSeconds *int    `json:"lease_seconds,omitempty"`
}

// UnlockFlagInput is the input of unlock_flag.
type UnlockFlagInput struct {
	FlagID *int64  `json:"flag_id"`
	Agent  *string `json:"agent"`
	Force  bool    `json:"force,omitempty"`
}

// CompleteFlagInput is the input of complete_flag.
type CompleteFlagInput struct {
	FlagID *int64  `json:"flag_id"`
	Agent  *string `json:"agent"`
	Notes  string  `json:"notes,omitempty"`
}

// ListFlagsInput is the input of list_flags.
//
// The filters are pointers so that an empty value, which would silently
// mean "no filter", can be told from an omitted one and refused.
type ListFlagsInput struct {
	Status        *string `json:"status,omitempty"`
	SourceAgent   *string `json:"source_agent,omitempty"`
	TargetAgent   *string `json:"target_agent,omitempty"`
	FlagType      *string `json:"flag_type,omitempty"`
	ImpactLevel   *string `json:"impact_level,omitempty"`
	ChainOriginID *int64  `json:"chain_origin_id,omitempty"`
	Limit         *int    `json:"limit,omitempty"`
}

// ListFlagsOutput is the output of list_flags.
type ListFlagsOutput struct {
	Flags []store.Flag `json:"flags"`
	Total int          `json:"total"`
}

// GetFlagInput is the input of get_flag.
//
// FlagID, as in the lock, unlock and complete inputs, is a pointer so that
// 0 can be told from an omitted id: each has its own error.
type GetFlagInput struct {
	FlagID *int64 `json:"flag_id"`
}

// The choices of the tools' enumerated arguments; the command line's
// options of the same names take the same.
var (
	FlagTypes    = []string{"breaking_change", "new_feature", "refactor", "deprecation", "enhancement", "change", "information_request", "security", "data_loss"}
	ImpactLevels = []string{"critical", "high", "medium", "low"}
	Statuses     = []string{"pending", "completed", "all"}
)

const (
	inboxLimitDefault = 50
	inboxLimitMax     = 500
	listLimitDefault  = 100
	listLimitMax      = 1000
	leaseDefault      = 1800
	leaseMax          = 86400
)

func registerFlagTools(s *server.MCPServer, svc *Service) {
	// With tokens, the acting agent is the token's: the argument may be
	// omitted, and another agent's handle is refused.
	actorArg := func(name, what string) mcp.ToolOption {
		if svc.TokenIdentity {
			return mcp.WithString(name, mcp.MinLength(1),
				mcp.Description(what+" Optional: defaults to your token's agent, and no other agent is accepted (admin tokens excepted)."))
		}
		return mcp.WithString(name, mcp.Required(), mcp.MinLength(1), mcp.Description(what))
	}
	agentArg := func(what string) mcp.ToolOption {
		return actorArg("agent", what+" Handle such as \"@ops.containers\"; agents outside the catalog (module agents) are fine.")
	}
	inboxArg := agentArg("Whose inbox.")
	if svc.TokenIdentity {
		inboxArg = mcp.WithString("agent", mcp.MinLength(1), mcp.Description("Whose inbox. Handle such as \"@ops.containers\"; defaults to your token's agent."))
	}
	flagID := mcp.WithInteger("flag_id", mcp.Required(), mcp.Min(1), mcp.Description("The flag's id."))

	addTool(s, svc, mcp.NewTool("create_flag",
		mcp.WithDescription("Tell another agent (or everyone) about a change that affects them. "+
			"Find the owner first with search_agents and target the top-ranked specialist. "+
			"Rules: change_description ≥ 50 characters, action_required ≥ 100; security and data_loss need impact critical; "+
			"critical is only for breaking_change, security, data_loss; breaking_change and security may not be low; "+
			"high and critical need a target_agent."),
		mcp.WithString("flag_type", mcp.Required(), mcp.Enum(FlagTypes...), mcp.Description("Kind of change.")),
		actorArg("source_agent", "Your own handle, e.g. \"@backend.api\"."),
		mcp.WithString("target_agent", mcp.MinLength(1), mcp.Description("Handle of the agent in the catalog who must act; omit it to notify everyone (an empty string is refused).")),
		mcp.WithString("change_description", mcp.Required(), mcp.MinLength(50), mcp.MaxLength(16384),
			mcp.Description("What changed, with specifics (at least 50 characters).")),
		mcp.WithString("action_required", mcp.Required(), mcp.MinLength(100), mcp.MaxLength(16384),
			mcp.Description("Exact steps the recipient must take (at least 100 characters).")),
		mcp.WithString("impact_level", mcp.Enum(ImpactLevels...), mcp.DefaultString("medium"), mcp.Description("Urgency; default medium.")),
		mcp.WithAny("related_files", mcp.Description("Files involved: a list of paths or one comma-separated string (at most 100).")),
		mcp.WithInteger("chain_origin_id", mcp.Min(1), mcp.Description("Id of the flag this one follows up (must exist).")),
		mcp.WithString("code_location", mcp.MaxLength(16384), mcp.Description("Where, as file:line.")),
		mcp.WithString("example_usage", mcp.MaxLength(16384), mcp.Description("A code example of the new usage.")),
		mcp.WithAny("context", mcp.Description("Extra structured data: a JSON object (or a string holding one), at most 64 KiB.")),
		outputSchema[FlagOutput](),
		hints("Create flag", false, false, false),
	), svc.CreateFlag)

	addTool(s, svc, mcp.NewTool("get_agent_flags",
		mcp.WithDescription("An agent's inbox: flags addressed to it plus flags for everyone, most urgent first "+
			"(critical → low), then oldest first. Check it before starting new work."),
		inboxArg,
		mcp.WithString("status", mcp.Enum(Statuses...), mcp.DefaultString("pending"), mcp.Description("Which flags; default pending.")),
		mcp.WithBoolean("include_locked", mcp.DefaultBool(true), mcp.Description("Include flags another agent holds a live lease on; default true.")),
		mcp.WithInteger("limit", mcp.Min(1), mcp.Max(inboxLimitMax), mcp.DefaultNumber(inboxLimitDefault), mcp.Description("At most this many (1-500, default 50).")),
		mcp.WithInteger("wait_seconds", mcp.Min(0), mcp.Max(waitMax), mcp.DefaultNumber(0),
			mcp.Description("While the answer is empty, wait up to this many seconds (0-50, default 0) for a flag to arrive, "+
				"be unlocked or have its lease run out, from any process, and return as soon as one does.")),
		outputSchema[AgentFlagsOutput](),
		hints("Get agent flags", true, false, true),
	), svc.GetAgentFlags)

	addTool(s, svc, mcp.NewTool("lock_flag",
		mcp.WithDescription("Take a pending flag to work on it. The lock is a lease (default 30 minutes): calling again renews it, "+
			"and an expired lease may be taken over. Fails, naming the holder, while another agent holds a live lease."),
		flagID, agentArg("Who takes the flag."),
		mcp.WithInteger("lease_seconds", mcp.Min(1), mcp.Max(leaseMax), mcp.DefaultNumber(leaseDefault), mcp.Description("Lease length in seconds (1-86400, default 1800).")),
		outputSchema[FlagOutput](),
		hints("Lock flag", false, false, false),
	), svc.LockFlag)

	addTool(s, svc, mcp.NewTool("unlock_flag",
		mcp.WithDescription("Release a flag you hold without completing it, so another agent can take it. Only the holder may unlock, unless force is true."),
		flagID, agentArg("Who releases the flag."),
		mcp.WithBoolean("force", mcp.DefaultBool(false), mcp.Description("Release another agent's lock.")),
		outputSchema[FlagOutput](),
		hints("Unlock flag", false, false, false),
	), svc.UnlockFlag)

	addTool(s, svc, mcp.NewTool("complete_flag",
		mcp.WithDescription("Mark a pending flag done, with notes on what you did (or why it does not apply). Not allowed while another agent holds a live lease on it."),
		flagID, agentArg("Who completed the flag."),
		mcp.WithString("notes", mcp.MaxLength(16384), mcp.Description("What was done, or why it does not apply.")),
		outputSchema[FlagOutput](),
		hints("Complete flag", false, false, false),
	), svc.CompleteFlag)

	addTool(s, svc, mcp.NewTool("list_flags",
		mcp.WithDescription("List flags across all agents, filtered; total counts every match before the limit."),
		mcp.WithString("status", mcp.Enum(Statuses...), mcp.DefaultString("pending"), mcp.Description("Default pending.")),
		mcp.WithString("source_agent", mcp.MinLength(1), mcp.Description("Only flags from this handle.")),
		mcp.WithString("target_agent", mcp.MinLength(1), mcp.Description("Only flags for this handle.")),
		mcp.WithString("flag_type", mcp.Enum(FlagTypes...), mcp.Description("Only this kind.")),
		mcp.WithString("impact_level", mcp.Enum(ImpactLevels...), mcp.Description("Only this urgency.")),
		mcp.WithInteger("chain_origin_id", mcp.Min(1), mcp.Description("Only direct follow-ups of this flag.")),
		mcp.WithInteger("limit", mcp.Min(1), mcp.Max(listLimitMax), mcp.DefaultNumber(listLimitDefault), mcp.Description("At most this many (1-1000, default 100).")),
		outputSchema[ListFlagsOutput](),
		hints("List flags", true, false, true),
	), svc.ListFlags)

	addTool(s, svc, mcp.NewTool("get_flag",
		mcp.WithDescription("One flag with its history (events) and its whole chain: the root flag and every follow-up, by id."),
		flagID,
		outputSchema[store.FlagDetail](),
		hints("Get flag", true, false, true),
	), svc.GetFlag)
}

// CreateFlag validates the target against the catalog and stores the flag;
// every other rule lives in the store, next to the data it protects.
func (svc *Service) CreateFlag(ctx context.Context, in CreateFlagInput) (FlagOutput, error) {
	// Without a token the store checks source_agent with the other
	// fields, in its order; an alias is stored as the agent it names, as
	// target_agent is, so that the source_agent filter finds the flag.
	source := svc.canonical(strings.TrimSpace(deref(in.SourceAgent)))
	if _, ok := auth.From(ctx); ok {
		var err error
		if source, err = svc.actor(ctx, "create_flag", "source_agent", in.SourceAgent); err != nil {
			return FlagOutput{}, err
		}
	}
	nf := store.NewFlag{
		FlagType:          in.FlagType,
		SourceAgent:       source,
		ChangeDescription: in.ChangeDescription,
		ActionRequired:    in.ActionRequired,
		ImpactLevel:       deref(in.ImpactLevel),
		CodeLocation:      in.CodeLocation,
		ExampleUsage:      in.ExampleUsage,
		Context:           in.Context,
	}
	// Omitted, it is medium; empty, it would silently be medium too.
	if in.ImpactLevel != nil && strings.TrimSpace(*in.ImpactLevel) == "" {
		return FlagOutput{}, invalidf("impact_level", "impact_level must be one of %s; omit it (or send null) for medium", strings.Join(ImpactLevels, ", "))
	}
	if in.TargetAgent != nil {
		// An empty target is more likely a bug in the caller than a wish to
		// notify everyone, which omitting it says unambiguously.
		if strings.TrimSpace(*in.TargetAgent) == "" {
			return FlagOutput{}, invalidf("target_agent", "target_agent must not be empty; omit it (or send null) to notify every agent")
		}
		a, err := svc.lookup("target_agent", *in.TargetAgent)
		if err != nil {
			return FlagOutput{}, err
		}
		nf.TargetAgent = a.Handle()
	} else if err := mayBroadcast(ctx); err != nil {
		return FlagOutput{}, err
	}
	if in.ChainOriginID != nil {
		if err := positiveID("chain_origin_id", *in.ChainOriginID); err != nil {
			return FlagOutput{}, err
		}
		nf.ChainOriginID = *in.ChainOriginID
	}
	files, err := stringList("related_files", in.RelatedFiles)
	if err != nil {
		return FlagOutput{}, err
	}
	nf.RelatedFiles = files
	f, err := svc.Flags.CreateFlag(ctx, nf)
	if err != nil {
		return FlagOutput{}, err
	}
	return FlagOutput{Flag: f}, nil
}

// GetAgentFlags returns an agent's inbox.
func (svc *Service) GetAgentFlags(ctx context.Context, in GetAgentFlagsInput) (AgentFlagsOutput, error) {
	handle, err := svc.reader(ctx, "agent", in.Agent)
	if err != nil {
		return AgentFlagsOutput{}, err
	}
	status, err := statusArg(in.Status)
	if err != nil {
		return AgentFlagsOutput{}, err
	}
	limit, err := intInRange("limit", in.Limit, inboxLimitDefault, 1, inboxLimitMax)
	if err != nil {
		return AgentFlagsOutput{}, err
	}
	wait, err := intInRange("wait_seconds", in.WaitSeconds, 0, 0, waitMax)
	if err != nil {
		return AgentFlagsOutput{}, err
	}
	includeLocked := in.IncludeLocked == nil || *in.IncludeLocked
	q := store.AgentFlagsQuery{Agent: handle, Status: status, IncludeLocked: includeLocked, Limit: limit}
	flags, err := svc.waitForFlags(ctx, handle, time.Duration(wait)*time.Second, func() ([]store.Flag, error) {
		return svc.Flags.AgentFlags(ctx, q)
	})
	if err != nil {
		return AgentFlagsOutput{}, err
	}
	return AgentFlagsOutput{Agent: handle, Flags: nonNilFlags(flags)}, nil
}

// LockFlag takes or renews a lease on a flag.
func (svc *Service) LockFlag(ctx context.Context, in LockFlagInput) (FlagOutput, error) {
	id, handle, err := svc.flagActorArgs(ctx, "lock_flag", in.FlagID, in.Agent)
	if err != nil {
		return FlagOutput{}, err
	}
	lease, err := intInRange("lease_seconds", in.LeaseSeconds, leaseDefault, 1, leaseMax)
	if err != nil {
		return FlagOutput{}, err
	}
	f, err := svc.Flags.LockFlag(ctx, id, handle, time.Duration(lease)*time.Second)
	return FlagOutput{Flag: f}, err
}

// UnlockFlag releases a lease.
func (svc *Service) UnlockFlag(ctx context.Context, in UnlockFlagInput) (FlagOutput, error) {
	id, handle, err := svc.flagActorArgs(ctx, "unlock_flag", in.FlagID, in.Agent)
	if err != nil {
		return FlagOutput{}, err
	}
	if in.Force {
		if err := mayForce(ctx); err != nil {
			return FlagOutput{}, err
		}
	}
	f, err := svc.Flags.UnlockFlag(ctx, id, handle, in.Force)
	return FlagOutput{Flag: f}, err
}

// CompleteFlag marks a flag done.
func (svc *Service) CompleteFlag(ctx context.Context, in CompleteFlagInput) (FlagOutput, error) {
	id, handle, err := svc.flagActorArgs(ctx, "complete_flag", in.FlagID, in.Agent)
	if err != nil {
		return FlagOutput{}, err
	}
	f, err := svc.Flags.CompleteFlag(ctx, id, handle, in.Notes)
	return FlagOutput{Flag: f}, err
}

// ListFlags lists flags across agents.
func (svc *Service) ListFlags(ctx context.Context, in ListFlagsInput) (ListFlagsOutput, error) {
	status, err := statusArg(in.Status)
	if err != nil {
		return ListFlagsOutput{}, err
	}
	limit, err := intInRange("limit", in.Limit, listLimitDefault, 1, listLimitMax)
	if err != nil {
		return ListFlagsOutput{}, err
	}
	q := store.ListQuery{Status: status, Limit: limit}
	if q.SourceAgent, err = svc.optionalHandle("source_agent", in.SourceAgent); err != nil {
		return ListFlagsOutput{}, err
	}
	if q.TargetAgent, err = svc.optionalHandle("target_agent", in.TargetAgent); err != nil {
		return ListFlagsOutput{}, err
	}
	if q.FlagType, err = filterArg("flag_type", in.FlagType); err != nil {
		return ListFlagsOutput{}, err
	}
	if q.ImpactLevel, err = filterArg("impact_level", in.ImpactLevel); err != nil {
		return ListFlagsOutput{}, err
	}
	if in.ChainOriginID != nil {
		if err := positiveID("chain_origin_id", *in.ChainOriginID); err != nil {
			return ListFlagsOutput{}, err
		}
		q.ChainOriginID = *in.ChainOriginID
	}
	if q.FlagType != "" && !slices.Contains(FlagTypes, q.FlagType) {
		return ListFlagsOutput{}, invalidf("flag_type", "flag_type must be one of %s, got %q", strings.Join(FlagTypes, ", "), q.FlagType)
	}
	if q.ImpactLevel != "" && !slices.Contains(ImpactLevels, q.ImpactLevel) {
		return ListFlagsOutput{}, invalidf("impact_level", "impact_level must be one of %s, got %q", strings.Join(ImpactLevels, ", "), q.ImpactLevel)
	}
	flags, total, err := svc.Flags.ListFlags(ctx, q)
	if err != nil {
		return ListFlagsOutput{}, err
	}
	return ListFlagsOutput{Flags: nonNilFlags(flags), Total: total}, nil
}

// GetFlag returns one flag with its events and chain.
func (svc *Service) GetFlag(ctx context.Context, in GetFlagInput) (store.FlagDetail, error) {
	id, err := flagIDArg(in.FlagID)
	if err != nil {
		return store.FlagDetail{}, err
	}
	return svc.Flags.GetFlag(ctx, id)
}

func handleArg(field, value string) (string, error) {
	v, err := requireText(field, value)
	if err != nil {
		return "", err
	}
	h, err := agent.CanonicalHandle(v)
	if err != nil {
		return "", invalidf(field, "%s: %v", field, err)
	}
	return h, nil
}

// filterArg is an optional filter: "" when omitted; given, it must not be
// empty, which would otherwise widen the call to every flag unnoticed.
func filterArg(field string, value *string) (string, error) {
	if value == nil {
		return "", nil
	}
	if strings.TrimSpace(*value) == "" {
		return "", invalidf(field, "%s must not be empty; omit it (or send null) for no filter", field)
	}
	return *value, nil
}

func (svc *Service) optionalHandle(field string, value *string) (string, error) {
	v, err := filterArg(field, value)
	if err != nil || v == "" {
		return "", err
	}
	h, err := handleArg(field, v)
	return svc.canonical(h), err
}

func statusArg(s *string) (string, error) {
	if s == nil {
		return "pending", nil
	}
	if !slices.Contains(Statuses, *s) {
		return "", invalidf("status", "status must be one of pending, completed, all, got %q", *s)
	}
	return *s, nil
}

// flagActorArgs checks the flag id and the acting agent's handle, which the
// lock, unlock and complete tools share.
func (svc *Service) flagActorArgs(ctx context.Context, tool string, id *int64, agent *string) (int64, string, error) {
	n, err := flagIDArg(id)
	if err != nil {
		return 0, "", err
	}
	handle, err := svc.actor(ctx, tool, "agent", agent)
	return n, handle, err
}

// flagIDArg checks a required flag_id: omitted (or null) is "required", as
// any other required argument; a number given is checked as
// chain_origin_id's is, so 0 is not called missing.
func flagIDArg(id *int64) (int64, error) {
	if id == nil {
		return 0, invalidf("flag_id", "flag_id is required and must be a positive integer")
	}
	return *id, positiveID("flag_id", *id)
}

// positiveID refuses a flag id below 1, in the one wording every id
// argument shares (one past int64 is bind's "out of range").
func positiveID(field string, id int64) error {
	if id < 1 {
		return invalidf(field, "%s must be a positive integer, got %d", field, id)
	}
	return nil
}

func nonNilFlags(f []store.Flag) []store.Flag {
	if f == nil {
		return []store.Flag{}
	}
	return f
}
