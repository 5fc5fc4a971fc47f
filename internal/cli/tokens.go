package cli

import (
	"context"
	"flag"
	"strings"

	"github.com/mcp-agents/mcp-agents/internal/auth"
	"github.com/mcp-agents/mcp-agents/internal/store"
)

func runTokens(ctx context.Context, e *env, args []string) error {
	sub, rest, err := e.subcommand("tokens", "create --agent @x.y --role agent|observer|admin [--expires 30d] [--note TEXT] [--can-broadcast] | list | revoke ID", args)
	if err != nil {
		return err
	}
	switch sub {
	case "create":
		return runTokensCreate(ctx, e, rest)
	case "list":
		fs := e.flagSet("tokens list", "")
		if err := e.parse(fs, rest, 0, 0); err != nil {
			return err
		}
		return withStore(ctx, e, func(st flagDB) (any, error) { return st.Tokens(ctx) })
	case "revoke":
		fs := e.flagSet("tokens revoke", "ID (running servers refuse the token within 5 s)")
		if err := e.parse(fs, rest, 1, 1); err != nil {
			return err
		}
		return withStore(ctx, e, func(st flagDB) (any, error) { return st.RevokeToken(ctx, fs.Arg(0)) })
	case "":
		return usagef("tokens needs a subcommand: create, list or revoke ID")
	}
	return usagef("unknown tokens subcommand %q (want create, list or revoke)", sub)
}

// createdToken is what `tokens create` prints: the only time the token
// itself is shown.
type createdToken struct {
	ID           string  `json:"id"`
	Token        string  `json:"token"`
	Agent        string  `json:"agent"`
	Role         string  `json:"role"`
	CanBroadcast bool    `json:"can_broadcast"`
	ExpiresAt    *string `json:"expires_at"`
}

func runTokensCreate(ctx context.Context, e *env, args []string) error {
	fs := e.flagSet("tokens create", "--agent @x.y --role agent|observer|admin [--expires 30d|720h] [--note TEXT] [--can-broadcast]\n\n"+
		"Prints the token once, as JSON; only its SHA-256 is stored. agent tokens act only as their agent;\n"+
		"observer tokens read everything and write nothing; admin tokens may act as any agent (--agent is the default).")
	agentFlag := fs.String("agent", "", "the agent `@HANDLE` the token acts as (required for every role)")
	role := fs.String("role", "", "`ROLE`: agent, observer or admin")
	expires := fs.String("expires", "", "lifetime: days such as 30d, or a `DURATION` such as 720h (default: never expires)")
	note := fs.String("note", "", "free `TEXT` shown by tokens list (who holds it, where)")
	broadcast := fs.Bool("can-broadcast", false, "may create flags without a target_agent (admins always may)")
	var roles []string
	for _, r := range auth.Roles {
		roles = append(roles, string(r))
	}
	checked(fs, "role", oneOf(roles...))
	if err := e.parse(fs, args, 0, 0); err != nil {
		return err
	}
	if strings.TrimSpace(*agentFlag) == "" {
		return usagef("tokens create: --agent is required (the agent the token acts as; for admin and observer tokens, the default actor or the person's name as a handle)")
	}
	if !setFlags(fs)["role"] {
		return usagef("tokens create: --role is required: agent, observer or admin")
	}
	r, err := auth.ParseRole(*role)
	if err != nil {
		return usagef("tokens create: %s", e.about("role", err.Error()))
	}
	if r == auth.RoleObserver && *broadcast {
		return usagef("tokens create: %s: an observer writes nothing, so it cannot be allowed to broadcast (use --role agent or admin)", e.option("can-broadcast"))
	}
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == "expires" })
	if given && strings.TrimSpace(*expires) == "" {
		// An empty value is refused, as everywhere, not read as left out.
		return usagef("tokens create: %s", e.about("expires", `expires must be a positive number of days such as 30d, or a duration such as 720h, got ""; leave it out for a token that never expires`))
	}
	ttl, err := auth.ParseExpiry(*expires)
	if err != nil {
		return usagef("tokens create: %s", e.about("expires", err.Error()))
	}
	// A token made for an alias is the agent's (the server resolves it at
	// every call); it is stored and shown under the agent's own handle.
	cat, err := e.loadCatalog(ctx)
	if err != nil {
		return err
	}
	agent := strings.TrimSpace(*agentFlag)
	if a, ok := cat.Get(strings.TrimPrefix(agent, "@")); ok {
		agent = a.Handle()
	}
	id, secret, err := auth.NewToken()
	if err != nil {
		return err
	}
	return withStore(ctx, e, func(st flagDB) (any, error) {
		tok, err := st.CreateToken(ctx, store.NewToken{ID: id, Hash: auth.Hash(secret), Agent: agent, Role: r,
			CanBroadcast: *broadcast, TTL: ttl, Note: *note})
		if err != nil {
			return nil, err
		}
		return createdToken{ID: tok.ID, Token: secret, Agent: tok.Agent, Role: tok.Role, CanBroadcast: tok.CanBroadcast, ExpiresAt: tok.ExpiresAt}, nil
	})
}

// withStore runs fn with the database open and prints its result as JSON.
func withStore(ctx context.Context, e *env, fn func(flagDB) (any, error)) error {
	st, err := e.openDB(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	out, err := fn(st)
	if err != nil {
		return err
	}
	return e.writeJSON(out)
}
