package cli_test

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestServeRefusesABadNotifyList(t *testing.T) {
	h := newHarness(t)
	r := h.run(t, "serve", "--notify", "@ops.containers,not a handle")
	if r.code != 2 || !strings.Contains(r.stderr, "--notify") || !strings.Contains(r.stderr, `"not a handle"`) {
		t.Fatalf("bad --notify: %+v", r)
	}
	h.env["MCP_AGENTS_NOTIFY"] = "@@"
	r = h.run(t, "serve")
	if r.code != 2 || !strings.Contains(r.stderr, "MCP_AGENTS_NOTIFY") {
		t.Fatalf("bad MCP_AGENTS_NOTIFY: %+v", r)
	}
}

// A --notify list that names no agent ("", ",") is a usage error naming
// the option; it was accepted and pushed nothing without a word (and "",
// read as absent, even fell back to MCP_AGENTS_NOTIFY).
func TestServeRefusesAnEmptyNotifyList(t *testing.T) {
	h := newHarness(t)
	h.env["MCP_AGENTS_NOTIFY"] = "@ops.containers"
	for _, args := range [][]string{
		{"serve", "--notify", ""},
		{"serve", "--notify="},
		{"serve", "--notify", ","},
		{"serve", "--notify", " , ,"},
		{"serve", "--http", "127.0.0.1:1", "--notify", ""},
	} {
		r := h.run(t, args...)
		if r.code != 2 || !strings.Contains(r.stderr, "mcp-agents: --notify") || !strings.Contains(r.stderr, "mcp-agents serve --help") {
			t.Errorf("%q: %+v; want exit 2 naming --notify", args, r)
		}
	}
	h.env["MCP_AGENTS_NOTIFY"] = ","
	if r := h.run(t, "serve"); r.code != 2 || !strings.Contains(r.stderr, "MCP_AGENTS_NOTIFY") {
		t.Errorf("MCP_AGENTS_NOTIFY=',': %+v; want exit 2 naming the variable", r)
	}
}

// A --context directory that does not exist is said, as a missing --agents
// one is, rather than silently serving no documents.
func TestServeWarnsOfAMissingContextDir(t *testing.T) {
	h := newHarness(t)
	missing := filepath.Join(h.cwd, "no-such-docs")
	r := h.run(t, "--db", h.db, "serve", "--context", missing)
	if r.code != 0 || !strings.Contains(r.stderr, "--context directory does not exist") || !strings.Contains(r.stderr, missing) {
		t.Errorf("serve --context %s: %+v, want a warning naming it", missing, r)
	}
}
