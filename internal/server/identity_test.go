package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/mcp-agents/mcp-agents/internal/auth"
	"github.com/mcp-agents/mcp-agents/internal/server"
	"github.com/mcp-agents/mcp-agents/internal/store"
)

func strOf(s string) *string { return &s }

// tokenFlag is a create_flag input; an empty source omits source_agent.
func tokenFlag(source string, target *string) server.CreateFlagInput {
	var src *string
	if source != "" {
		src = &source
	}
	return server.CreateFlagInput{
		FlagType: "change", SourceAgent: src, TargetAgent: target,
		ChangeDescription: "The users table gained a JSON preferences column used for personalisation.",
		ActionRequired:    "Add a GIN index on users.preferences, update the migration checklist and confirm the backup job includes the new column.",
	}
}

func TestTokenIdentityRules(t *testing.T) {
	f := newFixture(t)
	bg := context.Background()
	// Events reference the tokens table, so the tokens exist.
	for _, r := range auth.Roles {
		if _, err := f.store.CreateToken(bg, store.NewToken{ID: "tok_" + string(r), Hash: auth.Hash(string(r)), Agent: "@x", Role: r}); err != nil {
			t.Fatal(err)
		}
	}
	as := func(role auth.Role, agent string, broadcast bool) context.Context {
		return auth.With(bg, auth.Principal{TokenID: "tok_" + string(role), Agent: agent, Role: role, CanBroadcast: broadcast})
	}
	agentCtx := as(auth.RoleAgent, "@frontend.react", false)
	target := strOf("@database.postgres")

	// An agent token writes as its agent, by default or by name.
	out, err := f.svc.CreateFlag(agentCtx, tokenFlag("", target))
	if err != nil || out.Flag.SourceAgent != "@frontend.react" {
		t.Fatalf("create_flag without source_agent: %+v, %v", out.Flag, err)
	}
	if _, err := f.svc.CreateFlag(agentCtx, tokenFlag("frontend.react", target)); err != nil {
		t.Fatalf("create_flag naming its own agent: %v", err)
	}
	wantRefused := func(what string, err error, words ...string) {
		t.Helper()
		d, ok := server.AsDomain(err)
		if !ok || d.Code != server.CodeForbidden {
			t.Fatalf("%s: %v, want a forbidden domain error", what, err)
		}
		for _, w := range words {
			if !strings.Contains(d.Message, w) {
				t.Errorf("%s: %q does not mention %q", what, d.Message, w)
			}
		}
	}
	_, err = f.svc.CreateFlag(agentCtx, tokenFlag("@ops.containers", target))
	wantRefused("create_flag as another agent", err, "source_agent", "@frontend.react", "@ops.containers")
	// A blank identity is not the omission it would silently stand for:
	// refused naming the field, for every role and tool.
	wantBlank := func(what string, err error, field string) {
		t.Helper()
		d, ok := server.AsDomain(err)
		if !ok || d.Code != server.CodeInvalid || d.Field != field || !strings.Contains(d.Message, "must not be empty") {
			t.Errorf("%s: %v, want an invalid-argument error naming %s", what, err, field)
		}
	}
	admin := as(auth.RoleAdmin, "@lead.dev", false)
	for _, ctx := range []context.Context{agentCtx, admin} {
		for _, blank := range []string{"", "  "} {
			_, err = f.svc.CreateFlag(ctx, server.CreateFlagInput{FlagType: "change", SourceAgent: &blank, TargetAgent: target,
				ChangeDescription: strings.Repeat("c", 60), ActionRequired: strings.Repeat("a", 120)})
			wantBlank("create_flag with a blank source_agent", err, "source_agent")
			_, err = f.svc.LockFlag(ctx, server.LockFlagInput{FlagID: &out.Flag.ID, Agent: &blank})
			wantBlank("lock_flag with a blank agent", err, "agent")
			_, err = f.svc.CompleteFlag(ctx, server.CompleteFlagInput{FlagID: &out.Flag.ID, Agent: &blank})
			wantBlank("complete_flag with a blank agent", err, "agent")
			_, err = f.svc.GetAgentFlags(ctx, server.GetAgentFlagsInput{Agent: &blank})
			wantBlank("get_agent_flags with a blank agent", err, "agent")
		}
	}
	_, err = f.svc.LockFlag(agentCtx, server.LockFlagInput{FlagID: &out.Flag.ID, Agent: strOf("@ops.containers")})
	wantRefused("lock_flag as another agent", err, "agent", "@frontend.react")
	_, err = f.svc.CompleteFlag(agentCtx, server.CompleteFlagInput{FlagID: &out.Flag.ID, Agent: strOf("@ops.containers")})
	wantRefused("complete_flag as another agent", err, "@frontend.react")
	locked, err := f.svc.LockFlag(agentCtx, server.LockFlagInput{FlagID: &out.Flag.ID})
	if err != nil || locked.Flag.LockedBy == nil || *locked.Flag.LockedBy != "@frontend.react" {
		t.Fatalf("lock_flag without agent: %+v, %v", locked.Flag, err)
	}
	_, err = f.svc.UnlockFlag(agentCtx, server.UnlockFlagInput{FlagID: &out.Flag.ID, Force: true})
	wantRefused("force by an agent token", err, "force", "admin")

	// Broadcasts need the permission.
	_, err = f.svc.CreateFlag(agentCtx, tokenFlag("", nil))
	wantRefused("broadcast without permission", err, "target_agent", "--can-broadcast")
	if _, err := f.svc.CreateFlag(as(auth.RoleAgent, "@frontend.react", true), tokenFlag("", nil)); err != nil {
		t.Fatalf("broadcast with --can-broadcast: %v", err)
	}

	// Observers read and never write.
	obs := as(auth.RoleObserver, "@lead.human", false)
	_, err = f.svc.CreateFlag(obs, tokenFlag("", target))
	wantRefused("observer create_flag", err, "observer")
	_, err = f.svc.CompleteFlag(obs, server.CompleteFlagInput{FlagID: &out.Flag.ID})
	wantRefused("observer complete_flag", err, "observer")
	inbox, err := f.svc.GetAgentFlags(obs, server.GetAgentFlagsInput{Agent: strOf("@database.postgres")})
	if err != nil || len(inbox.Flags) == 0 {
		t.Fatalf("observer reads an inbox: %+v, %v", inbox, err)
	}

	// Reads default to the token's agent.
	own, err := f.svc.GetAgentFlags(as(auth.RoleAgent, "@database.postgres", false), server.GetAgentFlagsInput{})
	if err != nil || own.Agent != "@database.postgres" {
		t.Fatalf("get_agent_flags without agent: %+v, %v", own, err)
	}
	// A token made for an alias is the agent's: it reads that inbox and
	// may name the agent by either name.
	byAlias := as(auth.RoleAgent, "@database.pg", false)
	if own, err := f.svc.GetAgentFlags(byAlias, server.GetAgentFlagsInput{}); err != nil || own.Agent != "@database.postgres" || len(own.Flags) == 0 {
		t.Fatalf("get_agent_flags with an alias's token: %+v, %v", own, err)
	}
	if _, err := f.svc.GetAgentFlags(byAlias, server.GetAgentFlagsInput{Agent: strOf("@database.postgres")}); err != nil {
		t.Fatalf("an alias's token naming the agent: %v", err)
	}

	// An admin acts as anyone, forces, and records its token in events.
	if _, err := f.svc.UnlockFlag(admin, server.UnlockFlagInput{FlagID: &out.Flag.ID, Agent: strOf("@ops.containers"), Force: true}); err != nil {
		t.Fatalf("admin force unlock: %v", err)
	}
	done, err := f.svc.CompleteFlag(admin, server.CompleteFlagInput{FlagID: &out.Flag.ID, Agent: strOf("@database.postgres")})
	if err != nil || *done.Flag.CompletedBy != "@database.postgres" {
		t.Fatalf("admin completes as another agent: %+v, %v", done.Flag, err)
	}
	d, err := f.svc.GetFlag(bg, server.GetFlagInput{FlagID: &out.Flag.ID})
	if err != nil {
		t.Fatal(err)
	}
	var tokens []string
	for _, e := range d.Events {
		if e.TokenID == nil {
			t.Fatalf("event %+v has no token_id", e)
		}
		tokens = append(tokens, *e.TokenID)
	}
	if got := strings.Join(tokens, ","); got != "tok_agent,tok_agent,tok_admin,tok_admin" {
		t.Fatalf("event tokens %s", got)
	}

	// Without a token (stdio), identity is the argument, as before.
	if _, err := f.svc.CreateFlag(bg, tokenFlag("", target)); err == nil || !strings.Contains(err.Error(), "source_agent") {
		t.Fatalf("stdio create_flag without source_agent: %v", err)
	}
}
