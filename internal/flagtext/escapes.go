package flagtext

import (
	"strings"
	"unicode/utf8"
)

// StripEscapes removes terminal escape sequences and control strings whole:
// ESC [ … (CSI) up to its final byte, ESC ] … (OSC), DCS, PM, APC and SOS up
// to BEL or ST, two-character escapes, and their 8-bit C1 forms. Clean
// calls it: removing only their ESC would leave "[31m" in the text. What it
// leaves of any other control character is Clean's to remove.
func StripEscapes(s string) string {
	if !strings.ContainsRune(s, 0x1b) && !strings.ContainsAny(s, "\u009b\u009d\u0090\u009e\u009f") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch r {
		case 0x1b: // ESC
			i = skipEscape(s, i)
		case 0x9b: // CSI, 8-bit
			i = skipControlSequence(s, i)
		case 0x9d, 0x90, 0x9e, 0x9f: // OSC, DCS, PM, APC
			i = skipString(s, i)
		default:
			b.WriteString(s[i-size : i])
		}
	}
	return b.String()
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
