package search

import "strings"

// mdLine classifies one line of an agent body.
type mdLine struct {
	// level is 1-6 for "#" headings, 7 for a line that is bold only
	// ("**Core Competencies**"), 8 for a short "Label:" line as the
	// voltagent bodies use for sub-sections, 0 otherwise.
	level int
	// text is the heading text without markup, or for other lines the
	// trimmed line as written (see itemText).
	text string
	// item reports a list item ("- x", "* x", "1. x").
	item bool
	// lead is the bold lead of a list item or line ("**Codebase Analysis**: ...").
	lead string
}

// forEachLine calls fn for each non-blank line outside fenced code blocks.
func forEachLine(body string, fn func(l mdLine)) {
	inFence := false
	for line := range strings.Lines(body) {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			inFence = !inFence
			continue
		}
		if inFence || t == "" {
			continue
		}
		fn(classify(t))
	}
}

func classify(t string) mdLine {
	if strings.HasPrefix(t, "#") {
		n := len(t) - len(strings.TrimLeft(t, "#"))
		if n <= 6 && n < len(t) && t[n] == ' ' {
			return mdLine{level: n, text: cleanHeading(t[n:])}
		}
	}
	var l mdLine
	switch {
	case strings.HasPrefix(t, "- "), strings.HasPrefix(t, "* "), strings.HasPrefix(t, "+ "):
		l.item, t = true, strings.TrimSpace(t[2:])
	case t[0] >= '0' && t[0] <= '9':
		if i := strings.IndexByte(t[:min(len(t), 4)], '.'); i > 0 && i+1 < len(t) && t[i+1] == ' ' && isDigits(t[:i]) {
			l.item, t = true, strings.TrimSpace(t[i+2:])
		}
	}
	if strings.HasPrefix(t, "**") {
		if end := strings.Index(t[2:], "**"); end > 0 {
			lead := cleanHeading(t[2 : 2+end])
			rest := strings.TrimSpace(t[4+end:])
			if !l.item && (rest == "" || rest == ":") {
				return mdLine{level: 7, text: lead}
			}
			l.lead = lead
		}
	}
	l.text = t
	if !l.item && strings.HasSuffix(t, ":") && len(t) <= 60 && strings.Count(t, " ") < 6 &&
		!strings.ContainsAny(t[:len(t)-1], ":.,;`") {
		l.level = 8
		l.text = cleanHeading(t)
	}
	return l
}

// cleanHeading strips emphasis markers, a trailing colon and emoji-like
// leading symbols from a heading.
func cleanHeading(s string) string {
	s = strings.ReplaceAll(s, "**", "")
	s = strings.ReplaceAll(s, "__", "")
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(s, ":")
	s = strings.TrimLeftFunc(s, func(r rune) bool { return r > 0x2000 || r == ' ' })
	return strings.TrimSpace(s)
}
