// Package flagtext prepares text that other agents wrote (a flag's fields)
// for showing to a model or a person: in prompts, channel pushes, the board
// and terminal tables. Flags are not the user's own words, so what they say
// must not be able to restyle, reorder or hide the text around them.
//
// Only presentation changes; storage keeps flags byte for byte as written.
// The package has no MCP dependency so every renderer can share it.
package flagtext

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxField is how many characters of one field a rendering shows.
const MaxField = 2000

// Clean removes what can change how surrounding text is displayed without
// being visible itself: terminal escape sequences, each whole
// (StripEscapes: removing only their ESC left "[31m" in the text), control
// characters (Unicode category Cc) other than newline and tab, such as
// carriage returns, and format characters (Cf), which covers bidirectional
// overrides such as U+202E and zero-width characters. Invalid UTF-8 is
// dropped too. It is the one rule for every place that shows flag text: a
// prompt, a channel push, the board, a terminal.
func Clean(s string) string {
	// Most text needs nothing removed: return it without copying. An
	// escape sequence starts with a control character, so it is found here.
	i := firstUnsafe(s)
	if i < 0 {
		return s
	}
	s = s[:i] + StripEscapes(s[i:])
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for _, r := range s[i:] {
		if keep(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func firstUnsafe(s string) int {
	for i, r := range s {
		if !keep(r) {
			return i
		}
	}
	return -1
}

func keep(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return true
	case r == utf8.RuneError:
		// Also a valid U+FFFD in the input; it is harmless either way.
		return false
	case r < 0x80:
		return r >= 0x20 && r != 0x7f
	}
	return !unicode.Is(unicode.Cc, r) && !unicode.Is(unicode.Cf, r)
}

// Bound shortens s to at most max characters (runes), saying how many were
// left out and where to read them: "…, N more characters: call get_flag".
func Bound(s string, max int) string {
	head, rest := split(s, max)
	if rest == 0 {
		return s
	}
	return head + more(rest, "characters")
}

// more is the note that ends a cut field: "…, N more characters: call
// get_flag".
func more(n int, what string) string {
	if n == 1 {
		what = strings.TrimSuffix(what, "s")
	}
	return "…, " + strconv.Itoa(n) + " more " + what + ": call get_flag"
}

// split returns s's first max runes and how many runes follow them.
func split(s string, max int) (string, int) {
	n := 0
	for i := range s {
		if n == max {
			return s[:i], utf8.RuneCountInString(s[i:])
		}
		n++
	}
	return s, 0
}

// Field is Clean then Bound to MaxField: what a prompt shows of one field,
// its characters counted once control characters and escape sequences are
// gone.
func Field(s string) string { return Bound(Clean(s), MaxField) }

// Line is Clean for a one-line cell (a table, a notification title):
// newlines and tabs become spaces, and text beyond max characters is cut
// with "…".
func Line(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return ' '
		}
		return r
	}, Clean(s))
	if head, rest := split(s, max); rest > 0 {
		return head + "…"
	}
	return s
}

// Quote renders s, which should already be Clean, as a JSON string escaped
// as JSONBlock escapes: quoted, on one line, with no tag, fence or heading
// able to form from it.
func Quote(s string) string {
	b, _ := inertJSON(s) // a string always marshals
	return string(b)
}

// JSONBlock renders v as one line of JSON in a fenced code block. Nothing
// inside can end the block or start markup around it: json.Marshal escapes
// newlines (so no line can begin with a fence or a heading) and <, > and &
// (so no tag survives), and backticks are written as \u0060 (so no fence
// can form, whatever the renderer). Strings in v should already be Clean.
func JSONBlock(v any) (string, error) {
	b, err := inertJSON(v)
	if err != nil {
		return "", err
	}
	return "```json\n" + string(b) + "\n```", nil
}

// inertJSON is v as one line of JSON in which no markup can form: <, > and
// & escaped by json.Marshal, backticks written as \u0060.
func inertJSON(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return bytes.ReplaceAll(b, []byte("`"), []byte(`\u0060`)), nil
}

// FirstLine is the first line of s that has text, without the white space
// around it: what a one-line view of a flag's change shows, since texts
// are stored as sent.
func FirstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(line)
}
