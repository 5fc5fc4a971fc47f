package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mcp-agents/mcp-agents/internal/server"
)

// stringFlag registers a text option under its contract name (flag_type);
// parse adds the dashed spelling (flag-type).
func stringFlag(fs *flag.FlagSet, p *string, name, usage string) {
	fs.StringVar(p, name, "", usage)
}

// setFlags reports which flags were given, to tell "absent" from "empty".
func setFlags(fs *flag.FlagSet) map[string]bool {
	seen := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { seen[strings.ReplaceAll(f.Name, "-", "_")] = true })
	return seen
}

// optionalInt is an integer option that stays nil until given, so the
// tool's own default applies when it is absent.
type optionalInt[T int | int64] struct{ p **T }

func (o optionalInt[T]) Set(s string) error {
	n, err := parseInteger(s)
	if err != nil {
		return err
	}
	if int64(T(n)) != n {
		return errOutOfRange
	}
	v := T(n)
	*o.p = &v
	return nil
}

func (o optionalInt[T]) String() string {
	if o.p == nil || *o.p == nil {
		return ""
	}
	return strconv.FormatInt(int64(**o.p), 10)
}

// optionalString is a text option that stays nil until given, so that an
// empty value (--target_agent=) reaches the tool, which refuses it, instead
// of reading as no filter.
type optionalString struct{ p **string }

func (o optionalString) Set(s string) error {
	*o.p = &s
	return nil
}

func (o optionalString) String() string {
	if o.p == nil || *o.p == nil {
		return ""
	}
	return **o.p
}

// listFlag is a text option that may be repeated: each value adds to the
// list (--related_files a --related_files b,c is a, b and c). Each value is
// taken as the comma-separated form, which the tool splits.
type listFlag struct{ p *[]string }

func (l listFlag) Set(s string) error {
	*l.p = append(*l.p, s)
	return nil
}

func (l listFlag) String() string {
	if l.p == nil {
		return ""
	}
	return strings.Join(*l.p, ",")
}

// optStringFlag registers an optional text option.
func optStringFlag(fs *flag.FlagSet, p **string, name, usage string) {
	fs.Var(optionalString{p}, name, usage)
}

// intFlag registers an optional integer option; usage names its argument
// in backquotes (`N`), and says it is an integer.
func intFlag[T int | int64](fs *flag.FlagSet, p **T, name, usage string) {
	fs.Var(optionalInt[T]{p}, name, usage)
}

// errOutOfRange is what an integer option or argument says of an integer
// past what it can hold (99999999999999999999): it is an integer, so no
// usage error but an error (exit 1), as one the tool refuses is, in the
// tools' words ("lease_seconds is out of range"). It said "must be an
// integer".
var errOutOfRange = errors.New("out of range")

// parseInteger reads a base-10 integer: errOutOfRange for one past int64,
// "must be an integer" for anything else.
func parseInteger(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	switch {
	case errors.Is(err, strconv.ErrRange):
		return 0, errOutOfRange
	case err != nil:
		return 0, errors.New("must be an integer")
	}
	return n, nil
}

// outOfRange is the error for the option or argument name (as typed)
// whose value is an integer past what it holds.
func outOfRange(name, value string) error {
	return fmt.Errorf("%s is out of range, got %s", name, value)
}

func parseID(s string) (int64, error) {
	id, err := parseInteger(s)
	if errors.Is(err, errOutOfRange) && !strings.HasPrefix(s, "-") {
		return 0, outOfRange("ID", s)
	}
	if err != nil || id < 1 {
		return 0, usagef("ID must be a positive integer, got %q", s)
	}
	return id, nil
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
	var in server.CreateFlagInput
	var v struct {
		flagType, source, target, change, action, impact, location, example, context string
		files                                                                        []string
	}
	stringFlag(fs, &v.flagType, "flag_type", "`TYPE`: breaking_change, new_feature, refactor, deprecation, enhancement, change, information_request, security or data_loss (required)")
	stringFlag(fs, &v.source, "source_agent", "your own `HANDLE` (required)")
	stringFlag(fs, &v.target, "target_agent", "`HANDLE` of the agent who must act (omit: everyone)")
	stringFlag(fs, &v.change, "change_description", "`TEXT`: what changed, at least 50 characters (required)")
	stringFlag(fs, &v.action, "action_required", "`TEXT`: steps to take, at least 100 characters (required)")
	stringFlag(fs, &v.impact, "impact_level", "`LEVEL`: critical, high, medium or low (default medium)")
	fs.Var(listFlag{&v.files}, "related_files", "comma-separated file `PATHS` (repeatable: each adds to the list)")
	intFlag(fs, &in.ChainOriginID, "chain_origin_id", "integer `ID` of the flag this one follows up")
	stringFlag(fs, &v.location, "code_location", "`FILE:LINE`")
	stringFlag(fs, &v.example, "example_usage", "code example (`TEXT`)")
	stringFlag(fs, &v.context, "context", "`JSON` object with extra data")
	checked(fs, "flag_type", oneOf(server.FlagTypes...))
	checked(fs, "impact_level", oneOf(server.ImpactLevels...))
	if err := e.parse(fs, args, 0, 0); err != nil {
		return err
	}
	seen := setFlags(fs)
	// A required option left out is a usage error, as in every other
	// command, and so is a value not among an option's choices (checked
	// while parsing); a value the rules refuse is the tool's to explain
	// (exit 1).
	for _, name := range []string{"flag_type", "source_agent", "change_description", "action_required"} {
		if !seen[name] {
			return usagef("create-flag: --%s is required", name)
		}
	}
	in.FlagType, in.SourceAgent, in.ChangeDescription, in.ActionRequired = v.flagType, &v.source, v.change, v.action
	in.CodeLocation, in.ExampleUsage = v.location, v.example
	if seen["impact_level"] {
		in.ImpactLevel = &v.impact
	}
	if seen["target_agent"] {
		in.TargetAgent = &v.target
	}
	// These two reach the tool as JSON, which would turn bytes that are not
	// UTF-8 into U+FFFD; the texts are refused for them, so these are too.
	if seen["related_files"] {
		files := strings.Join(v.files, ",")
		if !utf8.ValidString(files) {
			return notUTF8("related_files", "related_files entries")
		}
		// One comma-separated string, as the tool takes it: a repeated
		// option kept only its last value.
		raw, _ := json.Marshal(files)
		in.RelatedFiles = raw
	}
	if seen["context"] {
		if !utf8.ValidString(v.context) {
			return notUTF8("context", "context")
		}
		// Passed as a JSON string so the store applies its one rule for
		// "an object, or a string holding one".
		raw, _ := json.Marshal(v.context)
		in.Context = raw
	}
	return withService(ctx, e, func(svc *server.Service) (any, error) { return svc.CreateFlag(ctx, in) })
}

func runGetAgentFlags(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("get-agent-flags", "AGENT [--status pending|completed|all] [--include_locked=false] [--limit N]")
	var in server.GetAgentFlagsInput
	optStringFlag(fs, &in.Status, "status", "`STATUS`: pending (default), completed or all")
	includeLocked := fs.Bool("include_locked", true, "include flags locked by another agent")
	intFlag(fs, &in.Limit, "limit", "at most `N` flags (an integer, 1-500; default 50)")
	checked(fs, "status", oneOf(server.Statuses...))
	if err := e.parse(fs, args, 1, 1); err != nil {
		return err
	}
	agent := fs.Arg(0)
	in.Agent, in.IncludeLocked = &agent, includeLocked
	return withService(ctx, e, func(svc *server.Service) (any, error) { return svc.GetAgentFlags(ctx, in) })
}

func runLockFlag(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("lock-flag", "ID AGENT [--lease SECONDS]")
	var in server.LockFlagInput
	intFlag(fs, &in.LeaseSeconds, "lease", "lease length in `SECONDS` (an integer, 1-86400; default 1800)")
	if err := e.parse(fs, args, 2, 2); err != nil {
		return err
	}
	id, err := parseID(fs.Arg(0))
	if err != nil {
		return err
	}
	agent := fs.Arg(1)
	in.FlagID, in.Agent = &id, &agent
	return withService(ctx, e, func(svc *server.Service) (any, error) { return svc.LockFlag(ctx, in) })
}

func runUnlockFlag(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("unlock-flag", "ID AGENT [--force]")
	force := fs.Bool("force", false, "release another agent's lock")
	if err := e.parse(fs, args, 2, 2); err != nil {
		return err
	}
	id, err := parseID(fs.Arg(0))
	if err != nil {
		return err
	}
	agent := fs.Arg(1)
	in := server.UnlockFlagInput{FlagID: &id, Agent: &agent, Force: *force}
	return withService(ctx, e, func(svc *server.Service) (any, error) { return svc.UnlockFlag(ctx, in) })
}

func runCompleteFlag(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("complete-flag", "ID AGENT [--notes TEXT]")
	var notes string
	stringFlag(fs, &notes, "notes", "`TEXT`: what was done, or why it does not apply")
	if err := e.parse(fs, args, 2, 2); err != nil {
		return err
	}
	id, err := parseID(fs.Arg(0))
	if err != nil {
		return err
	}
	agent := fs.Arg(1)
	in := server.CompleteFlagInput{FlagID: &id, Agent: &agent, Notes: notes}
	return withService(ctx, e, func(svc *server.Service) (any, error) { return svc.CompleteFlag(ctx, in) })
}

func runFlags(ctx context.Context, e *env, args []string) error {
	sub, rest, err := e.subcommand("flags", "list [filters] | show ID", args)
	if err != nil {
		return err
	}
	switch sub {
	case "list":
		return runFlagsList(ctx, e, rest)
	case "show":
		fs := e.flagSet("flags show", "ID")
		if err := e.parse(fs, rest, 1, 1); err != nil {
			return err
		}
		id, err := parseID(fs.Arg(0))
		if err != nil {
			return err
		}
		return withService(ctx, e, func(svc *server.Service) (any, error) {
			return svc.GetFlag(ctx, server.GetFlagInput{FlagID: &id})
		})
	case "":
		return usagef("flags needs a subcommand: list or show ID")
	}
	return usagef("unknown flags subcommand %q (want list or show)", sub)
}

func runFlagsList(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("flags list", "[--status S] [--source_agent A] [--target_agent B] [--flag_type T] [--impact_level L] [--chain_origin_id N] [--limit N]")
	var in server.ListFlagsInput
	optStringFlag(fs, &in.Status, "status", "`STATUS`: pending (default), completed or all")
	optStringFlag(fs, &in.SourceAgent, "source_agent", "only flags from this `HANDLE`")
	optStringFlag(fs, &in.TargetAgent, "target_agent", "only flags for this `HANDLE`")
	optStringFlag(fs, &in.FlagType, "flag_type", "only this `TYPE`")
	optStringFlag(fs, &in.ImpactLevel, "impact_level", "only this urgency (`LEVEL`)")
	intFlag(fs, &in.ChainOriginID, "chain_origin_id", "only follow-ups of the flag with this integer `ID`")
	intFlag(fs, &in.Limit, "limit", "at most `N` flags (an integer, 1-1000; default 100)")
	// A value not among the choices is a usage error, as every bad option
	// value is; the tool's "status must be one of" was an error (exit 1).
	checked(fs, "status", oneOf(server.Statuses...))
	checked(fs, "flag_type", oneOf(server.FlagTypes...))
	checked(fs, "impact_level", oneOf(server.ImpactLevels...))
	if err := e.parse(fs, args, 0, 0); err != nil {
		return err
	}
	return withService(ctx, e, func(svc *server.Service) (any, error) { return svc.ListFlags(ctx, in) })
}

// notUTF8 refuses an option's value that is not UTF-8 as the store refuses
// a text that is not (exit 1, naming the field).
func notUTF8(field, what string) error {
	return &server.Error{Code: server.CodeInvalid, Field: field, Message: what + " must be valid UTF-8 text without NUL characters"}
}
