package cli

import (
	"fmt"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/mcp-agents/mcp-agents/internal/flagtext"
)

// Text printed for a person (tables, lint lines, error messages) may come
// from agent files or other agents' flags. Printed raw, an escape sequence in
// it could recolour, retitle, clear or rewrite the terminal, and a
// bidirectional override could make a line read differently from what it
// holds. The characters that do that are flagtext's rule (flagtext.Clean),
// shared with prompts, pushes and the board: escape sequences go whole (ESC
// [ ... CSI, ESC ] ... OSC, and their 8-bit C1 forms), so no "[31m" residue
// is left in a table. JSON output needs none of this: encoding/json escapes
// control characters, and the bytes are the data.

// terminalCell makes s safe as one cell or line of output of at most max
// characters: newlines and tabs become spaces, so a value cannot break a
// table's rows or columns.
func terminalCell(s string, max int) string { return flagtext.Line(s, max) }

// terminalText makes a message of several lines safe: newlines and tabs stay.
func terminalText(s string) string { return flagtext.Clean(s) }

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
