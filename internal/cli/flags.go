package cli

import (
	"context"
	"encoding/json"
	"flag"
	"strconv"
	"strings"

	"github.com/mcp-agents/mcp-agents/internal/server"
)

// stringFlag registers a flag under its contract name (flag_type) and the
// dashed spelling people type by habit (flag-type).
func stringFlag(fs *flag.FlagSet, p *string, name, usage string) {
	fs.StringVar(p, name, "", usage)
	if dashed := strings.ReplaceAll(name, "_", "-"); dashed != name {
		fs.StringVar(p, dashed, "", "same as --"+name)
	}
}

// setFlags reports which flags were given, to tell "absent" from "empty".
func setFlags(fs *flag.FlagSet) map[string]bool {
	seen := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { seen[strings.ReplaceAll(f.Name, "-", "_")] = true })
	return seen
}

func parseID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 1 {
		return 0, usagef("ID must be a positive integer, got %q", s)
	}
	return id, nil
}

func optionalInt64(seen map[string]bool, name, value string) (*int64, error) {
	if !seen[name] {
		return nil, nil
	}
	n, err := strconv.ParseInt(value, 10, 64)
	if err != nil {
		return nil, usagef("--%s must be an integer, got %q", name, value)
	}
	return &n, nil
}

func optionalInt(seen map[string]bool, name, value string) (*int, error) {
	n, err := optionalInt64(seen, name, value)
	if n == nil || err != nil {
		return nil, err
	}
	v := int(*n)
	return &v, nil
}

// withService runs fn against a service with the database open.
func withService(ctx context.Context, e *env, fn func(*server.Service) (any, error)) error {
	svc, done, err := e.service(ctx, true)
	if err != nil {
		return err
	}
	defer done()
	out, err := fn(svc)
	if err != nil {
		return err
	}
	return e.writeJSON(out)
}

func runCreateFlag(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("create-flag", "--flag_type T --source_agent A [--target_agent B] --change_description TEXT --action_required TEXT [options]")
	var v struct {
		flagType, source, target, change, action, impact, files, chain, location, example, context string
	}
	stringFlag(fs, &v.flagType, "flag_type", "breaking_change, new_feature, refactor, deprecation, enhancement, change, information_request, security or data_loss (required)")
	stringFlag(fs, &v.source, "source_agent", "your own handle (required)")
	stringFlag(fs, &v.target, "target_agent", "handle of the agent who must act (omit: everyone)")
	stringFlag(fs, &v.change, "change_description", "what changed, at least 50 characters (required)")
	stringFlag(fs, &v.action, "action_required", "steps to take, at least 100 characters (required)")
	stringFlag(fs, &v.impact, "impact_level", "critical, high, medium or low (default medium)")
	stringFlag(fs, &v.files, "related_files", "comma-separated file paths")
	stringFlag(fs, &v.chain, "chain_origin_id", "id of the flag this one follows up")
	stringFlag(fs, &v.location, "code_location", "file:line")
	stringFlag(fs, &v.example, "example_usage", "code example")
	stringFlag(fs, &v.context, "context", "JSON object with extra data")
	if err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	seen := setFlags(fs)
	in := server.CreateFlagInput{
		FlagType: v.flagType, SourceAgent: v.source, ChangeDescription: v.change, ActionRequired: v.action,
		ImpactLevel: v.impact, CodeLocation: v.location, ExampleUsage: v.example,
	}
	if seen["target_agent"] {
		in.TargetAgent = &v.target
	}
	if seen["related_files"] {
		raw, _ := json.Marshal(v.files)
		in.RelatedFiles = raw
	}
	if seen["context"] {
		// Passed as a JSON string so the store applies its one rule for
		// "an object, or a string holding one".
		raw, _ := json.Marshal(v.context)
		in.Context = raw
	}
	var err error
	if in.ChainOriginID, err = optionalInt64(seen, "chain_origin_id", v.chain); err != nil {
		return err
	}
	return withService(ctx, e, func(svc *server.Service) (any, error) { return svc.CreateFlag(ctx, in) })
}

func runGetAgentFlags(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("get-agent-flags", "AGENT [--status pending|completed|all] [--include_locked=false] [--limit N]")
	var status, limit string
	stringFlag(fs, &status, "status", "pending (default), completed or all")
	includeLocked := fs.Bool("include_locked", true, "include flags locked by another agent")
	stringFlag(fs, &limit, "limit", "at most N flags (1-500, default 50)")
	if err := parse(fs, args, 1, 1); err != nil {
		return err
	}
	seen := setFlags(fs)
	in := server.GetAgentFlagsInput{Agent: fs.Arg(0), Status: status, IncludeLocked: includeLocked}
	var err error
	if in.Limit, err = optionalInt(seen, "limit", limit); err != nil {
		return err
	}
	return withService(ctx, e, func(svc *server.Service) (any, error) { return svc.GetAgentFlags(ctx, in) })
}

func runLockFlag(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("lock-flag", "ID AGENT [--lease SECONDS]")
	var lease string
	stringFlag(fs, &lease, "lease", "lease length in seconds (1-86400, default 1800)")
	if err := parse(fs, args, 2, 2); err != nil {
		return err
	}
	id, err := parseID(fs.Arg(0))
	if err != nil {
		return err
	}
	in := server.LockFlagInput{FlagID: id, Agent: fs.Arg(1)}
	if in.LeaseSeconds, err = optionalInt(setFlags(fs), "lease", lease); err != nil {
		return err
	}
	return withService(ctx, e, func(svc *server.Service) (any, error) { return svc.LockFlag(ctx, in) })
}

func runUnlockFlag(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("unlock-flag", "ID AGENT [--force]")
	force := fs.Bool("force", false, "release another agent's lock")
	if err := parse(fs, args, 2, 2); err != nil {
		return err
	}
	id, err := parseID(fs.Arg(0))
	if err != nil {
		return err
	}
	in := server.UnlockFlagInput{FlagID: id, Agent: fs.Arg(1), Force: *force}
	return withService(ctx, e, func(svc *server.Service) (any, error) { return svc.UnlockFlag(ctx, in) })
}

func runCompleteFlag(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("complete-flag", "ID AGENT [--notes TEXT]")
	var notes string
	stringFlag(fs, &notes, "notes", "what was done, or why it does not apply")
	if err := parse(fs, args, 2, 2); err != nil {
		return err
	}
	id, err := parseID(fs.Arg(0))
	if err != nil {
		return err
	}
	in := server.CompleteFlagInput{FlagID: id, Agent: fs.Arg(1), Notes: notes}
	return withService(ctx, e, func(svc *server.Service) (any, error) { return svc.CompleteFlag(ctx, in) })
}

func runFlags(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("flags needs a subcommand: list or show ID")
	}
	switch args[0] {
	case "list":
		return runFlagsList(ctx, e, args[1:])
	case "show":
		fs := e.flagSet("flags show", "ID")
		if err := parse(fs, args[1:], 1, 1); err != nil {
			return err
		}
		id, err := parseID(fs.Arg(0))
		if err != nil {
			return err
		}
		return withService(ctx, e, func(svc *server.Service) (any, error) {
			return svc.GetFlag(ctx, server.GetFlagInput{FlagID: id})
		})
	case "-h", "--help", "-help":
		fs := e.flagSet("flags", "list [filters] | show ID")
		fs.Usage()
		return nil
	}
	return usagef("unknown flags subcommand %q (want list or show)", args[0])
}

func runFlagsList(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("flags list", "[--status S] [--source_agent A] [--target_agent B] [--flag_type T] [--impact_level L] [--chain_origin_id N] [--limit N]")
	var in server.ListFlagsInput
	var chain, limit string
	stringFlag(fs, &in.Status, "status", "pending (default), completed or all")
	stringFlag(fs, &in.SourceAgent, "source_agent", "only flags from this handle")
	stringFlag(fs, &in.TargetAgent, "target_agent", "only flags for this handle")
	stringFlag(fs, &in.FlagType, "flag_type", "only this kind")
	stringFlag(fs, &in.ImpactLevel, "impact_level", "only this urgency")
	stringFlag(fs, &chain, "chain_origin_id", "only follow-ups of this flag")
	stringFlag(fs, &limit, "limit", "at most N flags (1-1000, default 100)")
	if err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	seen := setFlags(fs)
	var err error
	if in.ChainOriginID, err = optionalInt64(seen, "chain_origin_id", chain); err != nil {
		return err
	}
	if in.Limit, err = optionalInt(seen, "limit", limit); err != nil {
		return err
	}
	return withService(ctx, e, func(svc *server.Service) (any, error) { return svc.ListFlags(ctx, in) })
}
