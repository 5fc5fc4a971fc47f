package server

import (
	"context"
	"strings"

	"github.com/mcp-agents/mcp-agents/internal/auth"
)

// Identity comes from the caller's token when the context carries a
// principal (the HTTP server with auth), and from the arguments otherwise
// (stdio, --no-auth): the tools ask the context, never the transport.

// actor decides whom a write acts as. field is the argument naming the
// actor (source_agent or agent) and given its value, which may be omitted
// (nil) with a token. An agent token acts only as its own agent, an
// observer token not at all, an admin token as anyone (by default as its
// agent). A blank value is refused, with a token as without: it is not
// the omission it would otherwise silently stand for.
func (svc *Service) actor(ctx context.Context, tool, field string, given *string) (string, error) {
	p, ok := auth.From(ctx)
	if !ok {
		h, err := handleArg(field, deref(given))
		return svc.canonical(h), err
	}
	if p.Role == auth.RoleObserver {
		return "", &Error{Code: CodeForbidden, Field: field,
			Message: tool + ": this token (" + p.TokenID + ") is an observer token: it reads and never writes"}
	}
	if given == nil {
		return svc.canonical(p.Agent), nil
	}
	if strings.TrimSpace(*given) == "" {
		return "", blankActor(field, p)
	}
	h, err := handleArg(field, *given)
	if err != nil {
		return "", err
	}
	h = svc.canonical(h)
	if p.Role == auth.RoleAgent && h != svc.canonical(p.Agent) {
		return "", actsOnlyAs(tool, field, h, p)
	}
	return h, nil
}

func blankActor(field string, p auth.Principal) error {
	return invalidf(field, "%s must not be empty; omit it (or send null) to act as this token's agent %s", field, p.Agent)
}

func actsOnlyAs(tool, field, given string, p auth.Principal) error {
	return &Error{Code: CodeForbidden, Field: field,
		Message: tool + ": " + field + " " + given + " refused: this token (" + p.TokenID + ") acts only as " + p.Agent +
			"; omit " + field + " or give " + p.Agent}
}

// reader returns the agent a read concerns: given, or with a token and
// nothing given, the token's agent.
func (svc *Service) reader(ctx context.Context, field string, given *string) (string, error) {
	if p, ok := auth.From(ctx); ok {
		if given == nil {
			return svc.canonical(p.Agent), nil
		}
		if strings.TrimSpace(*given) == "" {
			return "", invalidf(field, "%s must not be empty; omit it (or send null) for this token's agent %s", field, p.Agent)
		}
	}
	h, err := handleArg(field, deref(given))
	return svc.canonical(h), err
}

// deref is *s, or "" for an omitted argument.
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// canonical is the handle of the catalog agent that h names by one of its
// aliases ("@ops.k8s" → "@ops.kubernetes"), as create_flag stores a target
// given so; any other handle as it is (flags may name agents outside the
// catalog). Without it an agent reading its inbox by an alias found none
// of the flags sent to it by that alias.
func (svc *Service) canonical(h string) string { return Canonical(svc.Catalog, h) }

// Canonical is the handle of the agent of c that h names, by its name or
// one of its aliases; any other handle as it is.
func Canonical(c Catalog, h string) string {
	if h == "" || c == nil {
		return h
	}
	if a, ok := c.Get(strings.TrimPrefix(h, "@")); ok {
		return a.Handle()
	}
	return h
}

// mayForce refuses force to every token but an admin's.
func mayForce(ctx context.Context) error {
	if p, ok := auth.From(ctx); ok && p.Role != auth.RoleAdmin {
		return &Error{Code: CodeForbidden, Field: "force",
			Message: "unlock_flag: force is for admin tokens only; this token (" + p.TokenID + ") has the " + string(p.Role) + " role"}
	}
	return nil
}

// mayBroadcast refuses a flag for everyone from a token not allowed to
// send one: with the team server, anyone holding an agent token could
// otherwise write into every agent's prompt at once.
func mayBroadcast(ctx context.Context) error {
	if p, ok := auth.From(ctx); ok && !p.MayBroadcast() {
		return &Error{Code: CodeForbidden, Field: "target_agent",
			Message: "create_flag: a flag without target_agent reaches every agent, and this token (" + p.TokenID +
				") may not broadcast; name a target_agent, or ask an admin for a token created with --can-broadcast"}
	}
	return nil
}
