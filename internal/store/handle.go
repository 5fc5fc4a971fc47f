package store

import (
	"strings"

	"github.com/mcp-agents/mcp-agents/internal/agent"
)

// canonicalHandle normalises "@Ops.X" / "ops.x" to "@ops.x" and turns a bad
// handle into an *Error naming field.
func canonicalHandle(field, s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", invalid(field, "%s is required (an agent handle such as @ops.containers)", field)
	}
	h, err := agent.CanonicalHandle(s)
	if err != nil {
		return "", invalid(field, "%s %q is not a valid agent handle: after dropping \"@\" and lowercasing it must match %s", field, clip(s, 64), agent.NamePattern)
	}
	return h, nil
}

// clip shortens s for echoing in an error message.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
