package flagtext

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

// JSONField is what a prompt shows of a field that holds JSON (a flag's
// context), to be placed in a JSONBlock, which escapes it once as it does
// every other field. Its keys and strings are Clean, cleaned decoded: JSON
// spells a control character \u001b, which a reader decodes, so cleaning
// the encoded text would miss it. Keys come out sorted, numbers as written.
//
// Like Field it shows at most MaxField characters, counted on the value's
// JSON text as the store keeps it (compact, only quotes, backslashes and
// control characters escaped; not the <, > and & a JSONBlock escapes). A
// longer value is cut where that bound falls and stays JSON of the same
// shape: the string there ends "…, N more characters: call get_flag", N
// counted on the same text; where the cut falls outside a string the note
// stands in for what is left out, as a value or as a member named "…".
// Text that is not JSON is shown as Field shows text. No value is nil.
func JSONField(raw []byte) json.RawMessage { return jsonField(raw, MaxField) }

func jsonField(raw []byte, max int) json.RawMessage {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // numbers shown as written
	if dec.Decode(&v) != nil {
		return json.RawMessage(quoteJSON(Bound(Clean(string(raw)), max)))
	}
	v = cleanJSON(v)
	text := encodeJSON(v)
	total := utf8.RuneCountInString(text)
	// Closing quotes and brackets past the bound leave nothing out: a note
	// in their place would send the model to get_flag for what it has.
	if total <= max || utf8.RuneCountInString(strings.TrimRight(text, `"]}`)) <= max {
		return json.RawMessage(text)
	}
	c := jsonCut{max: max, total: total}
	if !c.value(v) {
		c.out.WriteString(quoteJSON(c.note()))
	}
	return json.RawMessage(c.out.String())
}

// cleanJSON cleans the keys and strings of a decoded JSON value. Of keys
// that are one once cleaned ("b" and "b\u200b"), the one that was clean
// already is kept, else the first in byte order: which one was left to
// the map's order.
func cleanJSON(v any) any {
	switch x := v.(type) {
	case string:
		return Clean(x)
	case []any:
		for i, e := range x {
			x[i] = cleanJSON(e)
		}
	case map[string]any:
		m := make(map[string]any, len(x))
		for _, k := range slices.Sorted(maps.Keys(x)) {
			c := Clean(k)
			if _, seen := m[c]; seen && c != k {
				continue
			}
			m[c] = cleanJSON(x[k])
		}
		return m
	}
	return v
}

// encodeJSON is v's JSON text as the store writes it: compact, without
// HTML escaping.
func encodeJSON(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return `""` // a decoded value always encodes
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func quoteJSON(s string) string { return encodeJSON(s) }

// escapedWidth is how many characters r takes in a JSON string as
// encodeJSON writes it.
func escapedWidth(r rune) int {
	switch {
	case r == '"' || r == '\\' || r == '\n' || r == '\r' || r == '\t' || r == '\b' || r == '\f':
		return 2
	case r < 0x20 || r == '\u2028' || r == '\u2029':
		return 6
	}
	return 1
}

// jsonCut writes a value's first max characters of JSON text (encodeJSON's)
// as JSON.
type jsonCut struct {
	out              strings.Builder
	used, max, total int
	cut              bool
	more             int // characters of the text after the cut
}

func (c *jsonCut) fits(n int) bool { return c.used+n <= c.max }

// cutHere puts the cut after the characters used so far.
func (c *jsonCut) cutHere() {
	c.cut, c.more = true, c.total-c.used
}

func (c *jsonCut) note() string { return more(c.more, "characters") }

// value writes as much of v as comes before the cut, and reports whether
// it wrote anything; when it did not, the cut falls at v, and its container
// writes the note in its place. Past the cut only closing brackets follow.
func (c *jsonCut) value(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		if !c.open('{') {
			return false
		}
		// Where the cut falls at a member, the note stands in for the
		// members left out, under a name none of the shown ones has.
		rest := func(sep string) {
			name := "…"
			for _, taken := x[name]; taken; _, taken = x[name] {
				name += "…"
			}
			c.out.WriteString(sep + quoteJSON(name) + ":" + quoteJSON(c.note()))
		}
		sep := ""
		for _, k := range slices.Sorted(maps.Keys(x)) {
			member := sep + quoteJSON(k) + ":"
			if !c.take(member) {
				rest(sep)
				break
			}
			if !c.value(x[k]) {
				c.out.WriteString(quoteJSON(c.note()))
			}
			if c.cut {
				break
			}
			sep = ","
		}
		if !c.close() {
			rest(sep)
		}
		c.out.WriteByte('}')
		return true
	case []any:
		if !c.open('[') {
			return false
		}
		sep := ""
		for _, e := range x {
			if !c.take(sep) {
				c.out.WriteString(sep + quoteJSON(c.note()))
				break
			}
			if !c.value(e) {
				c.out.WriteString(quoteJSON(c.note()))
			}
			if c.cut {
				break
			}
			sep = ","
		}
		if !c.close() {
			c.out.WriteString(sep + quoteJSON(c.note()))
		}
		c.out.WriteByte(']')
		return true
	case string:
		if q := quoteJSON(x); c.fits(utf8.RuneCountInString(q)) {
			return c.take(q)
		}
		if !c.fits(1) {
			c.cutHere()
			return false
		}
		c.used++ // the opening quote
		end := len(x)
		for i, r := range x {
			w := escapedWidth(r)
			if !c.fits(w) {
				end = i
				break
			}
			c.used += w
		}
		c.cutHere()
		c.out.WriteString(quoteJSON(x[:end] + c.note()))
		return true
	default: // a number, true, false or null
		return c.take(encodeJSON(x))
	}
}

// take writes s, text of the value, if it fits before the bound, and
// otherwise puts the cut before it.
func (c *jsonCut) take(s string) bool {
	n := utf8.RuneCountInString(s)
	if !c.fits(n) {
		c.cutHere()
		return false
	}
	c.used += n
	c.out.WriteString(s)
	return true
}

// open writes a container's opening bracket, if it fits.
func (c *jsonCut) open(b byte) bool {
	return c.take(string(b))
}

// close counts a container's closing bracket, which is written whatever
// happens, and reports false when the cut falls just before it: the
// container's note is still to write.
func (c *jsonCut) close() bool {
	switch {
	case c.cut:
		return true
	case !c.fits(1):
		c.cutHere()
		return false
	}
	c.used++
	return true
}
