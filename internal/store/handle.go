package store

import (
	"regexp"
	"strings"
)

// handleRE is the rule of agent.CanonicalHandle, copied until that function
// lands so the store does not block on it.
var handleRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,127}$`)

// canonicalHandle normalises "@Ops.X" / "ops.x" to "@ops.x".
func canonicalHandle(field, s string) (string, error) {
	n := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(s), "@"))
	if n == "" {
		return "", invalid(field, "%s is required (an agent handle such as @ops.containers)", field)
	}
	if !handleRE.MatchString(n) {
		return "", invalid(field, "%s %q is not a valid agent handle: expected @name with 1-128 characters from a-z, 0-9, '.', '_', '-', starting with a letter or digit", field, clip(s, 64))
	}
	return "@" + n, nil
}

// clip shortens s for echoing in an error message.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
