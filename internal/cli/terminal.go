package cli

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text printed for a person (tables, lint lines, error messages) may come
// from agent files or other agents' flags. Printed raw, an escape sequence in
// it could recolour, retitle, clear or rewrite the terminal, and a
// bidirectional override could make a line read differently from what it
// holds. terminalCell and terminalText drop escape sequences whole
// (ESC [ ... CSI, ESC ] ... OSC, and the 8-bit C1 forms), other control
// characters (Unicode Cc) and format characters (Cf: bidi overrides,
// zero-width characters), and replace invalid UTF-8. JSON output needs none
// of this: encoding/json escapes control characters, and the bytes are the
// data.

// terminalCell makes s safe as one cell or line of output: newlines and tabs
// become spaces, so a value cannot break a table's rows or columns.
func terminalCell(s string) string { return sanitizeTerminal(s, false) }

// terminalText is terminalCell for a message of several lines: newlines
// and tabs stay.
func terminalText(s string) string { return sanitizeTerminal(s, true) }

func sanitizeTerminal(s string, keepLines bool) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case r == '\n' || r == '\t' || r == '\r':
			if keepLines && r != '\r' {
				b.WriteRune(r)
			} else {
				b.WriteByte(' ')
			}
		case r == 0x1b: // ESC
			i = skipEscape(s, i)
		case r == 0x9b: // CSI, 8-bit
			i = skipControlSequence(s, i)
		case r == 0x9d || r == 0x90 || r == 0x9e || r == 0x9f: // OSC, DCS, PM, APC
			i = skipString(s, i)
		case unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r):
			// dropped
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isPlain reports whether s is printable ASCII, the common case.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// skipEscape returns the index just past the escape sequence whose ESC ends
// just before i.
func skipEscape(s string, i int) int {
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case '[':
		return skipControlSequence(s, i+1)
	case ']', 'P', '^', '_', 'X': // OSC, DCS, PM, APC, SOS: up to a terminator
		return skipString(s, i+1)
	}
	// Two-character sequences (ESC c, ESC 7, ESC ( B ...): drop the next
	// character, and an intermediate's final one.
	if c := s[i]; c >= 0x20 && c <= 0x2f && i+1 < len(s) {
		return i + 2
	}
	_, size := utf8.DecodeRuneInString(s[i:])
	return i + size
}

// skipControlSequence skips a CSI's parameter and intermediate bytes and its
// final byte.
func skipControlSequence(s string, i int) int {
	for i < len(s) {
		c := s[i]
		i++
		if c >= 0x40 && c <= 0x7e {
			return i
		}
		if c < 0x20 || c > 0x3f {
			// Not a parameter or intermediate byte: a malformed sequence
			// ends here, and the byte is judged on its own.
			return i - 1
		}
	}
	return i
}

// skipString skips a control string up to BEL or ST (ESC \ or U+009C).
func skipString(s string, i int) int {
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == 0x07 || r == 0x9c:
			return i + size
		case r == 0x1b && i+1 < len(s) && s[i+1] == '\\':
			return i + 2
		}
		i += size
	}
	return i
}
