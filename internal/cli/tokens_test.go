package cli_test

import "testing"

// A token made for an alias is stored and shown under the agent's own
// handle, as every other output names agents.
func TestTokensCreateResolvesAliases(t *testing.T) {
	h := newHarness(t)
	var tok struct {
		Agent string `json:"agent"`
	}
	h.ok(t, &tok, "--db", h.db, "tokens", "create", "--agent", "@Cache.Redis", "--role", "agent")
	if tok.Agent != "@database.redis" {
		t.Errorf("token agent %q, want @database.postgres", tok.Agent)
	}
	var list []struct {
		Agent string `json:"agent"`
	}
	h.ok(t, &list, "--db", h.db, "tokens", "list")
	if len(list) != 1 || list[0].Agent != "@database.redis" {
		t.Errorf("tokens list: %+v", list)
	}
}
