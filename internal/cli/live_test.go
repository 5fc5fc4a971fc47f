package cli_test

import (
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
