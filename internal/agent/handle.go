package agent

import (
	"errors"
	"fmt"
	"strings"
)

// NamePattern is the rule every normalised agent name must satisfy. It is
// spelled out in error messages so users can fix their files.
const NamePattern = `^[a-z0-9][a-z0-9._-]{0,127}$`

// maxNameLen mirrors the {0,127} bound of NamePattern plus the first char.
const maxNameLen = 128

// ErrInvalidName is wrapped by every error that rejects an agent name or handle.
var ErrInvalidName = errors.New("invalid agent name")

// Normalize turns a user-typed name or handle ("@Ops.Containers ") into the
// canonical bare name ("ops.containers"). It is hand-written rather than a
// regexp because it runs for every file and every lookup.
func Normalize(s string) (string, error) {
	n := strings.TrimSpace(s)
	n = strings.TrimPrefix(n, "@")
	n = asciiLower(n)
	if !validName(n) {
		return "", fmt.Errorf("%w %q: after dropping \"@\" and lowercasing, it must match %s", ErrInvalidName, s, NamePattern)
	}
	return n, nil
}

// CanonicalHandle returns "@" + Normalize(s).
func CanonicalHandle(s string) (string, error) {
	n, err := Normalize(s)
	if err != nil {
		return "", err
	}
	return "@" + n, nil
}

// asciiLower lowercases A-Z only: Unicode case folding would turn look-alikes
// such as the Kelvin sign into "k" and let them pass as ASCII names.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// validName reports whether n matches NamePattern.
func validName(n string) bool {
	if len(n) == 0 || len(n) > maxNameLen {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case i > 0 && (c == '.' || c == '_' || c == '-'):
		default:
			return false
		}
	}
	return true
}
