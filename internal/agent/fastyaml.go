package agent

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// fastRoot reads, without yaml.v3, the top-level mapping of the
// frontmatter shapes nearly every agent file uses, because yaml.v3 is most
// of the cost of loading a catalog and runs at every server start. It
// handles only:
//   - unindented "key: value" lines with a plain key of [A-Za-z0-9_.-];
//   - values that are a one-line plain scalar resolving to a string or null,
//     a one-line single- or double-quoted scalar (no escapes), a one-line
//     flow list "[a, 'b']" of such scalars, or a "|", "|-", ">" or ">-"
//     block scalar whose lines need no tab or "more indented" handling;
//   - "key:" followed by "- item" lines (indented or not) of such scalars;
//   - blank lines and "#" comments in column 0 outside block scalars.
//
// It returns ok=false on anything else (tabs, escapes, anchors, tags,
// nested mappings, multi-line plain or quoted scalars, numbers, booleans,
// trailing comments, unusual characters...), and the caller then runs
// yaml.v3. When it returns ok=true, the entries carry the kinds, tags and
// values yaml.v3 would give them (see entriesOf), which is all fromMapping
// reads; TestFastRootFixtures, TestFastRootMatchesYAMLOnAgentFiles and
// FuzzFastRoot hold it to that.
func fastRoot(fm string) (entries []entry, ok bool) {
	lines, tops, ok := fastChars(fm)
	if !ok {
		return nil, false
	}
	// Values are substrings of fm. All list items share one array, sized
	// with the first item for one per indented line (a long flow list may
	// outgrow it).
	p := fastParser{fm: fm, itemsCap: lines - tops + 4}
	entries = make([]entry, 0, tops)
	for p.pos < len(p.fm) {
		line, next := p.line(p.pos)
		switch {
		case isBlank(line), line[0] == '#':
			p.pos = next
			continue
		case line[0] == ' ':
			return nil, false // continuation or nested content: leave it to yaml.v3
		}
		k, rest, ok := splitFastKey(line)
		if !ok {
			return nil, false
		}
		p.pos = next
		var v node
		switch {
		case rest == "":
			v, ok = p.blockSeq()
		case rest[0] == '|' || rest[0] == '>':
			v, ok = p.blockScalar(rest)
		case rest[0] == '[':
			v, ok = p.flowSeq(rest)
		default:
			v, ok = inlineScalar(rest)
		}
		if !ok {
			return nil, false
		}
		entries = append(entries, entry{key: k, scalar: true, val: v})
	}
	if len(entries) == 0 {
		return nil, false
	}
	return entries, true
}

// fastChars rejects input whose characters yaml.v3 treats specially or
// refuses: tabs, control characters, CR other than in CRLF, the NEL/LS/PS
// line breaks, byte order marks and non-characters, and backslashes (the
// fast path does not decode escapes). It also counts the lines, and those
// starting in column 0 (at most one key each).
func fastChars(fm string) (lines, tops int, ok bool) {
	lines = 1
	if len(fm) > 0 && fm[0] != ' ' {
		tops++
	}
	for i := 0; i < len(fm); i++ {
		switch c := fm[i]; charClass[c] {
		case charText:
		case charNewline:
			lines++
			if i+1 < len(fm) && fm[i+1] != ' ' {
				tops++
			}
		case charCheck:
			if c == '\r' {
				if i+1 >= len(fm) || fm[i+1] != '\n' {
					return 0, 0, false
				}
				continue
			}
			if i+2 >= len(fm) {
				return 0, 0, false // truncated UTF-8, which Parse rejects first
			}
			switch {
			case c == 0xc2 && fm[i+1] < 0xa0: // C1 controls including NEL
			case c == 0xe2 && fm[i+1] == 0x80 && (fm[i+2] == 0xa8 || fm[i+2] == 0xa9): // line and paragraph separators
			case c == 0xef && (fm[i+1] == 0xbb && fm[i+2] == 0xbf || fm[i+1] == 0xbf && fm[i+2] >= 0xbe): // BOM, U+FFFE, U+FFFF
			default:
				continue
			}
			return 0, 0, false
		default:
			return 0, 0, false // tab, other controls, DEL, backslash
		}
	}
	return lines, tops, true
}

// Byte classes for fastChars.
const (
	charText    = iota // printable ASCII or a UTF-8 byte needing no check
	charNewline        // '\n'
	charCheck          // '\r', or a lead byte of a character yaml.v3 may treat specially
	charReject         // control characters, DEL, backslash
)

var charClass = func() (t [256]uint8) {
	for c := range t {
		switch {
		case c == '\n':
			t[c] = charNewline
		case c == '\r' || c == 0xc2 || c == 0xe2 || c == 0xef:
			t[c] = charCheck
		case c < 0x20 || c == 0x7f || c == '\\':
			t[c] = charReject
		}
	}
	return t
}()

type fastParser struct {
	fm       string
	pos      int
	items    []node // backing array of every list's items
	itemsCap int    // capacity to give items on first use
}

func (p *fastParser) addItem(v node) {
	if p.items == nil {
		p.items = make([]node, 0, p.itemsCap)
	}
	p.items = append(p.items, v)
}

// seqSince makes a sequence of the items added since start. Items are only
// appended, and one list's items are added together, so they are contiguous
// even when append moved the array.
func (p *fastParser) seqSince(start int) node {
	return node{kind: yaml.SequenceNode, tag: "!!seq", items: p.items[start:len(p.items):len(p.items)]}
}

var nullNode = node{kind: yaml.ScalarNode, tag: "!!null"}

// line returns the line starting at pos without its line break, and where
// the next line starts.
func (p *fastParser) line(pos int) (string, int) {
	rest := p.fm[pos:]
	end, next := len(rest), len(rest)
	if i := strings.IndexByte(rest, '\n'); i >= 0 {
		end, next = i, i+1
		if i > 0 && rest[i-1] == '\r' {
			end--
		}
	}
	return rest[:end], pos + next
}

func isBlank(l string) bool {
	for i := 0; i < len(l); i++ {
		if l[i] != ' ' {
			return false
		}
	}
	return true
}

func indentOf(l string) int {
	n := 0
	for n < len(l) && l[n] == ' ' {
		n++
	}
	return n
}

// splitFastKey splits "key: value" or "key:" with a plain key.
func splitFastKey(l string) (key, rest string, ok bool) {
	i := strings.IndexByte(l, ':')
	if i <= 0 || i > 64 {
		return "", "", false
	}
	c := l[0]
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
		return "", "", false
	}
	for j := 1; j < i; j++ {
		c := l[j]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return "", "", false
		}
	}
	rest = l[i+1:]
	if rest != "" && rest[0] != ' ' {
		return "", "", false
	}
	return l[:i], strings.Trim(rest, " "), true
}

// blockSeq reads the "- item" lines after an empty "key:"; with none, the
// value is null.
func (p *fastParser) blockSeq() (node, bool) {
	start := len(p.items)
	indent := -1
	for p.pos < len(p.fm) {
		line, next := p.line(p.pos)
		if isBlank(line) {
			p.pos = next
			continue
		}
		n := indentOf(line)
		item, isItem := strings.CutPrefix(line[n:], "- ")
		switch {
		case isItem && (indent < 0 || n == indent):
			indent = n
		case n == 0 && line[0] != '-':
			// The next key, or a comment, for the main loop.
			return p.seqOrNull(start), true
		default:
			return node{}, false
		}
		v, ok := inlineScalar(strings.Trim(item, " "))
		if !ok {
			return node{}, false
		}
		p.addItem(v)
		p.pos = next
	}
	return p.seqOrNull(start), true
}

// seqOrNull is the value of "key:" followed by the items since start: null
// when there are none.
func (p *fastParser) seqOrNull(start int) node {
	if len(p.items) == start {
		return nullNode
	}
	return p.seqSince(start)
}

// blockScalar reads a "|", "|-", ">" or ">-" block scalar. It declines
// the "+" chomping indicator, indentation indicators, whitespace-only lines
// and, in folded scalars, lines indented beyond the block, whose folding
// rules differ.
func (p *fastParser) blockScalar(header string) (node, bool) {
	literal := header[0] == '|'
	strip := false
	switch header[1:] {
	case "":
	case "-":
		strip = true
	default:
		return node{}, false
	}
	var (
		b      strings.Builder
		indent = -1
		blanks = 0 // empty lines since the last content line
		lines  = 0
		broken bool // the last content line ends with a line break
	)
	for p.pos < len(p.fm) {
		line, next := p.line(p.pos)
		if line == "" {
			blanks++
			p.pos = next
			continue
		}
		n := indentOf(line)
		if n == len(line) {
			return node{}, false // whitespace-only line
		}
		if indent < 0 {
			if n == 0 {
				return node{}, false // empty block scalar
			}
			indent = n
		}
		if n < indent {
			if n != 0 || line[0] == '#' {
				return node{}, false
			}
			break
		}
		text := line[indent:]
		if !literal && text[0] == ' ' {
			return node{}, false
		}
		switch {
		case lines == 0 || literal:
			if lines > 0 {
				b.WriteByte('\n')
			}
			for range blanks {
				b.WriteByte('\n')
			}
		case blanks == 0:
			b.WriteByte(' ')
		default:
			for range blanks {
				b.WriteByte('\n')
			}
		}
		b.WriteString(text)
		lines++
		blanks = 0
		p.pos = next
		broken = p.fm[next-1] == '\n'
	}
	if lines == 0 {
		return node{}, false
	}
	if !strip && broken {
		b.WriteByte('\n')
	}
	return node{kind: yaml.ScalarNode, tag: "!!str", value: b.String()}, true
}

// flowSeq reads a one-line "[a, 'b', "c"]" list.
func (p *fastParser) flowSeq(s string) (node, bool) {
	if s[len(s)-1] != ']' {
		return node{}, false
	}
	start := len(p.items)
	body := s[1 : len(s)-1]
	if strings.Trim(body, " ") == "" {
		return p.seqSince(start), true
	}
	for item := range strings.SplitSeq(body, ",") {
		item = strings.Trim(item, " ")
		if item == "" || strings.ContainsAny(item, "[]{}#?:,") {
			return node{}, false // empty entries, nesting, comments, pairs
		}
		v, ok := inlineScalar(item)
		if !ok {
			return node{}, false
		}
		p.addItem(v)
	}
	return p.seqSince(start), true
}

// inlineScalar reads a scalar that is the rest of its line (s is trimmed):
// quoted without escapes, or plain.
func inlineScalar(s string) (node, bool) {
	if s == "" {
		return node{}, false // a bare "-" item or ",," entry
	}
	switch s[0] {
	case '"':
		if len(s) < 2 || s[len(s)-1] != '"' || strings.IndexByte(s[1:len(s)-1], '"') >= 0 {
			return node{}, false
		}
		return node{kind: yaml.ScalarNode, tag: "!!str", value: s[1 : len(s)-1]}, true
	case '\'':
		inner, ok := singleQuoted(s)
		if !ok {
			return node{}, false
		}
		return node{kind: yaml.ScalarNode, tag: "!!str", value: inner}, true
	}
	if strings.IndexByte("-?:,[]{}#&*!|>'\"%@`", s[0]) >= 0 ||
		s[len(s)-1] == ':' || strings.Contains(s, ": ") || strings.Contains(s, " #") {
		return node{}, false
	}
	tag, ok := plainTag(s)
	if !ok {
		return node{}, false
	}
	return node{kind: yaml.ScalarNode, tag: tag, value: s}, true
}

// singleQuoted decodes 'text' where every inner quote is doubled.
func singleQuoted(s string) (string, bool) {
	if len(s) < 2 || s[len(s)-1] != '\'' {
		return "", false
	}
	inner := s[1 : len(s)-1]
	if strings.IndexByte(inner, '\'') < 0 {
		return inner, true
	}
	var b strings.Builder
	for i := 0; i < len(inner); i++ {
		if inner[i] == '\'' {
			if i+1 >= len(inner) || inner[i+1] != '\'' {
				return "", false
			}
			i++
		}
		b.WriteByte(inner[i])
	}
	return b.String(), true
}

// plainTag is yaml.v3's tag resolution for a plain scalar, restricted to
// the outcomes the fast path produces: strings and null. Anything that
// could be a number, boolean, timestamp, float or merge key declines.
func plainTag(s string) (string, bool) {
	switch c := s[0]; {
	case c == '+' || c == '-' || c == '.' || c >= '0' && c <= '9':
		return "", false
	case strings.IndexByte("yYnNtTfFoO~", c) >= 0:
		switch s {
		case "~", "null", "Null", "NULL":
			return "!!null", true
		case "true", "True", "TRUE", "false", "False", "FALSE":
			return "", false
		}
	case s == "<<":
		return "", false
	}
	return "!!str", true
}
