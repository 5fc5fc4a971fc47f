package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-agents/mcp-agents/internal/flagtext"
)

// bind decodes tool arguments into a typed input struct. It exists instead of
// mcp-go's BindArguments so that a wrong type is reported as a domain error
// naming the field ("limit must be an integer, got string"), which a model
// can act on, and so that an argument the tool does not have is refused
// rather than ignored: a misspelt target_agent would otherwise turn a
// targeted flag into a broadcast. names are the tool's argument names
// (its input schema's properties); they match case-sensitively. A null
// value means the argument was omitted.
//
// Arguments that arrived over the wire are decoded from their original bytes
// (mcp-go keeps them); in-process callers' values are encoded first.
func bind(req mcp.CallToolRequest, names []string, dst any) error {
	raw := req.Params.RawArguments
	if len(raw) == 0 {
		if req.Params.Arguments == nil {
			return nil
		}
		var err error
		if raw, err = json.Marshal(req.Params.Arguments); err != nil {
			return invalidf("arguments", "arguments must be a JSON object")
		}
	}
	if !plainArguments(req.Params.Arguments, names) {
		var err error
		if raw, err = checkArgumentNames(raw, names); err != nil {
			return err
		}
	}
	err := json.Unmarshal(raw, dst)
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && strings.HasPrefix(te.Value, "number") {
		// JSON Schema's integer is any number without a fractional part:
		// 5.0 and 5e0 are integers (Python's json.dumps writes a float
		// 5.0 so), which encoding/json refuses for an int field.
		if whole, ok := wholeNumbers(raw); ok {
			err = json.Unmarshal(whole, dst)
		}
	}
	if err != nil {
		if errors.As(err, &te) {
			field := te.Field
			if field == "" {
				return invalidf("arguments", "arguments must be a JSON object, got %s", te.Value)
			}
			if n, ok := strings.CutPrefix(te.Value, "number "); ok && isWhole(n) {
				// An integer, but past what any argument takes (2^63 and up).
				return invalidf(field, "%s is out of range, got %s", field, n)
			}
			return invalidf(field, "%s must be %s, got %s", field, describeKind(te.Type.Kind().String()), te.Value)
		}
		return invalidf("arguments", "arguments could not be read: %v", err)
	}
	return nil
}

// isWhole reports whether a JSON number has no fractional part.
func isWhole(n string) bool {
	f, err := strconv.ParseFloat(n, 64)
	return (err == nil || errors.Is(err, strconv.ErrRange)) && f == math.Trunc(f)
}

// wholeNumbers rewrites the object's numbers that have no fractional part
// but are spelt with one or with an exponent (5.0, 5e0) as integers; ok is
// false when there is none.
func wholeNumbers(raw json.RawMessage) (json.RawMessage, bool) {
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return nil, false
	}
	changed := false
	for k, v := range obj {
		if len(v) == 0 || !(v[0] == '-' || v[0] >= '0' && v[0] <= '9') || !bytes.ContainsAny(v, ".eE") {
			continue
		}
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			continue
		}
		obj[k] = strconv.AppendInt(nil, int64(f), 10)
		changed = true
	}
	if !changed {
		return nil, false
	}
	whole, err := json.Marshal(obj)
	return whole, err == nil
}

// plainArguments reports whether args, the object mcp-go decoded from the
// same bytes, has only known names and no null, so that checkArgumentNames
// would return the bytes unchanged and need not walk them again.
func plainArguments(args any, names []string) bool {
	m, ok := args.(map[string]any)
	if !ok {
		return false
	}
	for k, v := range m {
		if v == nil || !slices.Contains(names, k) {
			return false
		}
	}
	return true
}

// checkArgumentNames refuses names the tool does not have, each with the
// closest valid one, and returns the object without its null members (so
// that encoding/json's case-insensitive matching and its treatment of null
// never decide what an argument means). It walks the top level with a
// json.Decoder to report unknown names in the order they were sent.
func checkArgumentNames(raw json.RawMessage, names []string) (json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		if string(bytes.TrimSpace(raw)) == "null" {
			return raw, nil
		}
		return nil, invalidf("arguments", "arguments must be a JSON object")
	}
	var unknown []string
	var seen map[string]bool // a list searched per key made 350,000 keys cost minutes
	nulls := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, invalidf("arguments", "arguments could not be read: %v", err)
		}
		key, _ := tok.(string)
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, invalidf("arguments", "arguments could not be read: %v", err)
		}
		if !slices.Contains(names, key) {
			if seen == nil {
				seen = map[string]bool{}
			}
			if !seen[key] {
				seen[key] = true
				unknown = append(unknown, key)
			}
			continue
		}
		if string(value) == "null" {
			nulls = true
		}
	}
	if len(unknown) > 0 {
		return nil, unknownArguments(unknown, names)
	}
	if !nulls {
		return raw, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, invalidf("arguments", "arguments could not be read: %v", err)
	}
	for k, v := range obj {
		if string(v) == "null" {
			delete(obj, k)
		}
	}
	return json.Marshal(obj)
}

// unknownArguments says, for each unknown name, which valid name was
// probably meant; when one has no close match it lists the valid names.
func unknownArguments(unknown, names []string) error {
	var b strings.Builder
	listAll := false
	for i, u := range unknown {
		if i == maxUnknownShown {
			fmt.Fprintf(&b, " And %d more unknown arguments.", len(unknown)-i)
			break
		}
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString("unknown argument " + showName(u))
		if s := closestName(u, names); s != "" {
			b.WriteString("; did you mean " + s + "?")
		} else {
			b.WriteString(".")
			listAll = true
		}
	}
	if listAll {
		sorted := slices.Sorted(slices.Values(names))
		if len(sorted) == 0 {
			b.WriteString(" This tool takes no arguments.")
		} else {
			b.WriteString(" Valid arguments: " + strings.Join(sorted, ", ") + ".")
		}
	}
	return invalidf(showName(unknown[0]), "%s", b.String())
}

// maxUnknownShown bounds how many unknown names one message lists, so an
// object with thousands of keys gets a short answer.
const maxUnknownShown = 10

// showName echoes a caller's argument name, quoted and clipped when it is
// not a plain identifier, so a hostile name cannot reshape the message.
func showName(s string) string {
	plain := len(s) > 0 && len(s) <= 64
	for i := 0; plain && i < len(s); i++ {
		c := s[i]
		plain = c == '_' || c == '-' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
	}
	if plain {
		return s
	}
	if r := []rune(s); len(r) > 64 {
		s = string(r[:64]) + "…"
	}
	return strconv.QuoteToASCII(s)
}

// closestName picks the valid name a caller most likely meant: one equal
// when case, "_" and "-" are ignored; else one that starts with the given
// name or that the given name starts with (lease → lease_seconds); else one
// within edit distance max(2, len/3); else none.
func closestName(given string, names []string) string {
	g := foldName(given)
	if g == "" {
		return ""
	}
	sorted := slices.Sorted(slices.Values(names))
	for _, n := range sorted {
		if foldName(n) == g {
			return n
		}
	}
	best, bestDiff := "", -1
	for _, n := range sorted {
		f := foldName(n)
		if strings.HasPrefix(f, g) || strings.HasPrefix(g, f) {
			if d := abs(len(f) - len(g)); bestDiff < 0 || d < bestDiff {
				best, bestDiff = n, d
			}
		}
	}
	if best != "" {
		return best
	}
	lower := strings.ToLower(given)
	n := utf8.RuneCountInString(lower)
	if n > 256 {
		return ""
	}
	limit := max(2, n/3)
	bestDist := limit + 1
	for _, name := range sorted {
		if d := editDistance(lower, name); d < bestDist {
			best, bestDist = name, d
		}
	}
	return best
}

// foldName lowercases a name and drops "_" and "-".
func foldName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r == '-' {
			return -1
		}
		return unicode.ToLower(r)
	}, s)
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func describeKind(kind string) string {
	switch {
	case strings.HasPrefix(kind, "int"), strings.HasPrefix(kind, "uint"):
		return "an integer"
	case kind == "string":
		return "a string"
	case kind == "bool":
		return "a boolean (true or false)"
	case kind == "slice":
		return "a list"
	case kind == "struct", kind == "map":
		return "an object"
	}
	return "a " + kind
}

// requireText rejects a missing, empty or whitespace-only string argument,
// and one with nothing else than invisible characters (zero-width spaces,
// bidirectional marks, controls: what flagtext.Clean removes), which is
// as empty: search_agents answered "\u200b" with no results, where "   "
// is refused.
func requireText(field, value string) (string, error) {
	v := strings.TrimSpace(value)
	if v == "" {
		return "", invalidf(field, "%s is required and must not be empty or whitespace", field)
	}
	if strings.TrimSpace(flagtext.Clean(v)) == "" {
		return "", invalidf(field, "%s is required and must not be empty or whitespace: it has only invisible characters", field)
	}
	return v, nil
}

// intInRange applies a default to an absent integer and refuses (never
// clamps) one outside [lo, hi].
func intInRange(field string, v *int, def, lo, hi int) (int, error) {
	if v == nil {
		return def, nil
	}
	if *v < lo || *v > hi {
		return 0, invalidf(field, "%s must be between %d and %d, got %d", field, lo, hi, *v)
	}
	return *v, nil
}

// stringList accepts a JSON list of strings or one comma-separated string, as
// the seeds' scripts send related_files both ways. Each entry of a list
// must be a string: encoding/json reads a null entry into []string as "",
// which the store then drops as a blank name, so ["a", null] was taken
// while [1] was refused.
func stringList(field string, raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err == nil {
		list := make([]string, len(items))
		for i, item := range items {
			if item[0] != '"' || json.Unmarshal(item, &list[i]) != nil {
				return nil, invalidf(field, "%s[%d] must be a string, got %s", field, i, jsonKind(item))
			}
		}
		return list, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return splitComma(s), nil
	}
	return nil, invalidf(field, "%s must be a list of strings or a comma-separated string", field)
}

func splitComma(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if p := strings.TrimSpace(part); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// jsonKind names what a JSON value is, as bind's errors do ("number 2.5").
func jsonKind(v json.RawMessage) string {
	switch v[0] {
	case 'n':
		return "null"
	case 't', 'f':
		return "boolean"
	case '{':
		return "object"
	case '[':
		return "list"
	case '"':
		return "string"
	}
	return "number " + string(v)
}
