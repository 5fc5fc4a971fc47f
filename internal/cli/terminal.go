package cli

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/mcp-agents/mcp-agents/internal/flagtext"
)

// Text printed for a person (tables, lint lines, error messages) may come
// from agent files or other agents' flags. Printed raw, an escape sequence in
// it could recolour, retitle, clear or rewrite the terminal, and a
// bidirectional override could make a line read differently from what it
// holds. The characters that do that are flagtext's rule, shared with
// prompts and pushes; here escape sequences also go whole (ESC [ ... CSI,
// ESC ] ... OSC, and their 8-bit C1 forms), so no "[31m" residue is left
// in a table. JSON output needs none of this: encoding/json escapes control
// characters, and the bytes are the data.

// terminalCell makes s safe as one cell or line of output of at most max
// characters: newlines and tabs become spaces, so a value cannot break a
// table's rows or columns.
func terminalCell(s string, max int) string { return flagtext.Line(stripEscapes(s), max) }

// terminalText makes a message of several lines safe: newlines and tabs stay.
func terminalText(s string) string { return flagtext.Clean(stripEscapes(s)) }

// stripEscapes removes escape sequences and control strings whole; what is
// left of any other control character is flagtext's to remove.
func stripEscapes(s string) string {
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

// escapeInvisible rewrites, in encoded JSON, every C1 control and format
// character as a \u escape (a surrogate pair beyond the BMP). Outside
// strings JSON is ASCII, so only string contents change, and only in
// spelling.
func escapeInvisible(js []byte) []byte {
	var out []byte
	for i := 0; i < len(js); {
		r, size := utf8.DecodeRune(js[i:])
		// encoding/json escapes the ASCII controls but DEL.
		if (r < utf8.RuneSelf && r != 0x7f) || !(unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r)) {
			if out != nil {
				out = append(out, js[i:i+size]...)
			}
			i += size
			continue
		}
		if out == nil {
			out = append(make([]byte, 0, len(js)+16), js[:i]...)
		}
		if r1, r2 := utf16.EncodeRune(r); r1 != utf8.RuneError {
			out = fmt.Appendf(out, `\u%04x\u%04x`, r1, r2)
		} else {
			out = fmt.Appendf(out, `\u%04x`, r)
		}
		i += size
	}
	if out == nil {
		return js
	}
	return out
}
