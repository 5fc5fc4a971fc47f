package agent

import (
	"bytes"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// parseLenient reads frontmatter that strict YAML rejected, the way Claude
// Code tolerates it: every unindented "key: value" line starts a field whose
// value is the rest of the line taken literally (so "Triggers on: 'x'" stays
// text). What follows a key, up to the next unindented key line:
//   - "- item" lines (indented or not) make the value a list;
//   - a value of "|" or ">" (with optional chomping) starts a block scalar
//     whose indented lines are kept ("|") or folded into one line (">");
//   - any other non-blank line continues the value, joined with a space, as
//     YAML folds multi-line plain and quoted scalars;
//   - a value opening a quote that does not close on its line runs until a
//     line ending with that quote.
//
// Comment lines ("#" in column 0) and lines before the first key are
// ignored. Balanced surrounding quotes are removed; "[a, b]" is a list. The
// result is a mapping node so that the strict and lenient paths share
// fromMapping and its validation.
func parseLenient(fm []byte) *yaml.Node {
	var p lenientParser
	for line := range bytes.Lines(fm) {
		p.line(strings.TrimRight(string(line), "\r\n"))
	}
	p.flush()
	return &p.root
}

type lenientParser struct {
	root yaml.Node

	key     string
	value   []string // scalar pieces (or block lines)
	items   []string
	block   byte // '|' or '>' inside a block scalar, 0 otherwise
	quote   byte // open quote character spanning lines, 0 otherwise
	inItems bool
}

func (p *lenientParser) line(l string) {
	trimmed := strings.TrimSpace(l)
	if p.quote != 0 && p.key != "" {
		p.appendPiece(trimmed)
		if closesQuote(trimmed, p.quote) {
			p.quote = 0
		}
		return
	}
	indented := l != "" && (l[0] == ' ' || l[0] == '\t')
	if !indented {
		if strings.HasPrefix(l, "#") {
			return
		}
		if key, val, ok := splitKeyLine(l); ok {
			p.flush()
			p.start(key, val)
			return
		}
	}
	if p.key == "" {
		return
	}
	if p.block != 0 {
		p.value = append(p.value, trimmed)
		return
	}
	if trimmed == "" {
		return
	}
	if item, ok := listItem(trimmed); ok && len(p.value) == 0 {
		p.inItems = true
		p.items = append(p.items, item)
		p.quote = openQuote(item)
		return
	}
	p.appendPiece(trimmed)
	if len(p.value) == 1 && !p.inItems {
		p.quote = openQuote(trimmed)
	}
}

// appendPiece continues the current list item or scalar value.
func (p *lenientParser) appendPiece(s string) {
	if p.inItems && len(p.items) > 0 {
		p.items[len(p.items)-1] += " " + s
		return
	}
	p.value = append(p.value, s)
}

func (p *lenientParser) start(key, val string) {
	p.key, p.value, p.items, p.block, p.quote, p.inItems = key, nil, nil, 0, 0, false
	switch val {
	case "":
		return
	case "|", "|-", "|+":
		p.block = '|'
		return
	case ">", ">-", ">+":
		p.block = '>'
		return
	}
	p.value = []string{val}
	p.quote = openQuote(val)
}

// flush appends the pending key and its value to the root mapping.
func (p *lenientParser) flush() {
	if p.key == "" {
		return
	}
	if p.root.Kind == 0 {
		p.root.Kind = yaml.MappingNode
	}
	k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: p.key}
	var v *yaml.Node
	switch {
	case p.inItems:
		v = seqNode(p.items)
	case p.block == '|':
		v = strNode(strings.TrimSpace(strings.Join(p.value, "\n")))
	case p.block == '>':
		v = strNode(foldLines(p.value))
	default:
		s := strings.Join(p.value, " ")
		if inner, ok := flowList(s); ok {
			v = seqNode(inner)
		} else if s == "" {
			v = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}
		} else {
			v = strNode(unquote(s))
		}
	}
	p.root.Content = append(p.root.Content, k, v)
	p.key = ""
}

func strNode(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

func seqNode(items []string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	for _, it := range items {
		n.Content = append(n.Content, strNode(unquote(it)))
	}
	return n
}

// splitKeyLine recognises "key:" or "key: value" with a plain key.
func splitKeyLine(l string) (key, val string, ok bool) {
	i := strings.IndexByte(l, ':')
	if i <= 0 {
		return "", "", false
	}
	for j := 0; j < i; j++ {
		c := l[j]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return "", "", false
		}
	}
	rest := l[i+1:]
	if rest != "" && rest[0] != ' ' && rest[0] != '\t' {
		return "", "", false // "http://x" style text, not a key
	}
	return l[:i], strings.TrimSpace(rest), true
}

func listItem(t string) (string, bool) {
	if t == "-" {
		return "", true
	}
	if strings.HasPrefix(t, "- ") {
		return strings.TrimSpace(t[2:]), true
	}
	return "", false
}

// openQuote returns the quote character when s opens a quoted scalar that
// has no closing quote anywhere in s. A quote closed mid-line (`"a" b: c`)
// does not count as open, so one odd line cannot swallow the keys after it.
func openQuote(s string) byte {
	if s == "" || (s[0] != '"' && s[0] != '\'') {
		return 0
	}
	if closesQuote(s[1:], s[0]) {
		return 0
	}
	return s[0]
}

// closesQuote reports whether s, a continuation line of an open quoted
// scalar, contains its closing quote.
func closesQuote(s string, q byte) bool {
	for i := 0; i < len(s); i++ {
		switch {
		case q == '"' && s[i] == '\\':
			i++
		case s[i] == q && q == '\'' && i+1 < len(s) && s[i+1] == '\'':
			i++
		case s[i] == q:
			return true
		}
	}
	return false
}

// unquote removes balanced surrounding quotes, decoding YAML's escapes
// where it can and keeping the inner text verbatim where it cannot.
func unquote(s string) string {
	if len(s) < 2 || s[0] != s[len(s)-1] {
		return s
	}
	switch s[0] {
	case '\'':
		return strings.ReplaceAll(s[1:len(s)-1], "''", "'")
	case '"':
		if u, err := strconv.Unquote(s); err == nil {
			return u
		}
		return s[1 : len(s)-1]
	}
	return s
}

// flowList splits "[a, b]" into its items.
func flowList(s string) ([]string, bool) {
	if len(s) < 2 || s[0] != '[' || s[len(s)-1] != ']' {
		return nil, false
	}
	var items []string
	for part := range strings.SplitSeq(s[1:len(s)-1], ",") {
		if part = strings.TrimSpace(part); part != "" {
			items = append(items, part)
		}
	}
	return items, true
}

// foldLines joins block lines with spaces, keeping blank lines as breaks.
func foldLines(lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		switch {
		case l == "":
			b.WriteByte('\n')
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "\n"):
			b.WriteByte(' ')
			b.WriteString(l)
		default:
			b.WriteString(l)
		}
	}
	return strings.TrimSpace(b.String())
}
