package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mcp-agents/mcp-agents/internal/flagtext"
)

// Limits on flag content.
const (
	MinChangeDescription = 50
	MinActionRequired    = 100
	MaxText              = 16384
	MaxRelatedFiles      = 100
	MaxContextBytes      = 64 << 10
	// MaxContextDepth bounds how deeply context nests (the object itself
	// is level 1): other clients' JSON parsers, and SQLite's JSON
	// functions at 1,000, give up on deeper documents.
	MaxContextDepth = 64
)

// FlagTypes lists the accepted flag_type values.
var FlagTypes = []string{
	"breaking_change", "new_feature", "refactor", "deprecation", "enhancement",
	"change", "information_request", "security", "data_loss",
}

// ImpactLevels lists the accepted impact_level values, most urgent first.
var ImpactLevels = []string{"critical", "high", "medium", "low"}

// NewFlag is the input of CreateFlag.
type NewFlag struct {
	FlagType          string
	SourceAgent       string
	TargetAgent       string // "" = everyone
	ChangeDescription string
	ActionRequired    string
	ImpactLevel       string // "" = medium
	RelatedFiles      []string
	ChainOriginID     int64 // 0 = none
	CodeLocation      string
	ExampleUsage      string
	// Context is a JSON object, a JSON string holding one, or empty.
	Context json.RawMessage
}

// validFlag is a NewFlag after validation and normalisation, ready to insert.
type validFlag struct {
	flagType, source, target, change, action, impact string
	related                                          string   // JSON array
	files                                            []string // related, decoded
	chain                                            int64
	codeLocation, example, context                   string // "" = NULL
}

func oneOf(field, v string, allowed []string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return invalid(field, "%s must be one of %s (got %q)", field, strings.Join(allowed, ", "), clip(v, 64))
}

// text checks s: its length without surrounding white space, in Unicode
// characters, against minLen, and its whole length against MaxText. It
// returns s as written, white space and all: storage keeps the bytes a
// client sent (issue 14); only presentation changes them.
func text(field, raw string, minLen int) (string, error) {
	s := strings.TrimSpace(raw)
	if !utf8.ValidString(raw) || strings.IndexByte(raw, 0) >= 0 {
		return "", invalid(field, "%s must be valid UTF-8 text without NUL characters", field)
	}
	// Counted as shown: a text of zero-width or control characters
	// passed the minimum and showed empty everywhere (flagtext.Clean is
	// what every renderer applies).
	n := utf8.RuneCountInString(s)
	shown := utf8.RuneCountInString(strings.TrimSpace(flagtext.Clean(s)))
	if shown < minLen {
		if minLen == 1 {
			return "", invalid(field, "%s is required", field)
		}
		invisible := ""
		if shown < n {
			invisible = ", not counting invisible, control and formatting characters"
		}
		return "", invalid(field, "%s must be at least %d characters after trimming (got %d%s); say specifically what changed and what to do", field, minLen, shown, invisible)
	}
	if n := utf8.RuneCountInString(raw); n > MaxText {
		return "", invalid(field, "%s must be at most %d characters (got %d)", field, MaxText, n)
	}
	return raw, nil
}

func validateNewFlag(in NewFlag) (validFlag, error) {
	var v validFlag
	var err error

	v.flagType = strings.TrimSpace(in.FlagType)
	if v.flagType == "" {
		return v, invalid("flag_type", "flag_type is required: one of %s", strings.Join(FlagTypes, ", "))
	}
	if err = oneOf("flag_type", v.flagType, FlagTypes); err != nil {
		return v, err
	}
	if v.source, err = canonicalHandle("source_agent", in.SourceAgent); err != nil {
		return v, err
	}
	if strings.TrimSpace(in.TargetAgent) != "" {
		if v.target, err = canonicalHandle("target_agent", in.TargetAgent); err != nil {
			return v, err
		}
	}
	if v.change, err = text("change_description", in.ChangeDescription, MinChangeDescription); err != nil {
		return v, err
	}
	if v.action, err = text("action_required", in.ActionRequired, MinActionRequired); err != nil {
		return v, err
	}

	v.impact = strings.TrimSpace(in.ImpactLevel)
	got := v.impact
	if v.impact == "" {
		v.impact, got = "medium", "none, which means medium"
	}
	if err = oneOf("impact_level", v.impact, ImpactLevels); err != nil {
		return v, err
	}
	switch {
	case (v.flagType == "security" || v.flagType == "data_loss") && v.impact != "critical":
		return v, invalid("impact_level", "impact_level must be critical for flag_type %s (got %s)", v.flagType, got)
	case v.impact == "critical" && v.flagType != "breaking_change" && v.flagType != "security" && v.flagType != "data_loss":
		return v, invalid("impact_level", "impact_level critical is only for flag_type breaking_change, security or data_loss (got flag_type %s)", v.flagType)
	case v.impact == "low" && (v.flagType == "breaking_change" || v.flagType == "security"):
		return v, invalid("impact_level", "impact_level low is not allowed for flag_type %s; use medium or higher", v.flagType)
	case (v.impact == "high" || v.impact == "critical") && v.target == "":
		return v, invalid("target_agent", "target_agent is required when impact_level is %s (high and critical flags cannot be broadcast)", v.impact)
	}

	files := make([]string, 0, len(in.RelatedFiles))
	for _, f := range in.RelatedFiles {
		if blank(f) {
			continue // a blank entry names no file
		}
		if !utf8.ValidString(f) || strings.IndexByte(f, 0) >= 0 {
			return v, invalid("related_files", "related_files entries must be valid UTF-8 text without NUL characters")
		}
		if n := utf8.RuneCountInString(f); n > MaxText {
			return v, invalid("related_files", "related_files entries must be at most %d characters (got %d)", MaxText, n)
		}
		files = append(files, f)
	}
	if len(files) > MaxRelatedFiles {
		return v, invalid("related_files", "related_files must have at most %d entries (got %d)", MaxRelatedFiles, len(files))
	}
	b, err := json.Marshal(files)
	if err != nil {
		return v, err
	}
	v.related, v.files = string(b), files

	if in.ChainOriginID < 0 {
		return v, invalid("chain_origin_id", "chain_origin_id must be the positive id of an existing flag, or 0 for none (got %d)", in.ChainOriginID)
	}
	v.chain = in.ChainOriginID

	if v.codeLocation, err = optText("code_location", in.CodeLocation); err != nil {
		return v, err
	}
	if v.example, err = optText("example_usage", in.ExampleUsage); err != nil {
		return v, err
	}
	if v.context, err = normContext(in.Context); err != nil {
		return v, err
	}
	return v, nil
}

func optText(field, s string) (string, error) {
	if blank(s) {
		return "", nil
	}
	return text(field, s, 0)
}

// blank reports whether s shows as nothing: white space and the invisible,
// control and formatting characters every view removes. Such an optional
// text is none (null), as "" and "  " are; a related_files entry names no
// file. (Invalid UTF-8 and NUL are not blank: text refuses them.)
func blank(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 && strings.TrimSpace(flagtext.Clean(s)) == ""
}

// normContext accepts a JSON object, a JSON string whose content is an
// object (what a model often sends), or nothing; it returns the object
// re-encoded (canonicalJSON) or "" for none.
func normContext(raw json.RawMessage) (string, error) {
	const field = "context"
	if len(raw) > 4*MaxContextBytes {
		return "", invalid(field, "context must be at most %d bytes of JSON (got %d)", MaxContextBytes, len(raw))
	}
	b := bytes.TrimSpace(raw)
	if len(b) == 0 || string(b) == "null" {
		return "", nil
	}
	if b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return "", invalid(field, "context must be a JSON object (or a string holding one): %v", err)
		}
		b = bytes.TrimSpace([]byte(s))
		if len(b) == 0 {
			return "", nil
		}
	}
	if !utf8.Valid(b) {
		return "", invalid(field, "context must be valid UTF-8 JSON")
	}
	out, err := canonicalJSON(b, MaxContextDepth)
	if errors.Is(err, errTooDeep) {
		return "", invalid(field, "context must nest at most %d levels deep (the context object itself is level 1)", MaxContextDepth)
	}
	if err != nil || b[0] != '{' {
		return "", invalid(field, "context must be a JSON object such as {\"key\": \"value\"}")
	}
	if len(out) > MaxContextBytes {
		return "", invalid(field, "context must be at most %d bytes of JSON (got %d)", MaxContextBytes, len(out))
	}
	return string(out), nil
}

var errTooDeep = errors.New("nested too deep")

// canonicalJSON re-encodes the one JSON value in b compactly, its strings
// as encoding/json writes them without HTML escaping: characters as UTF-8,
// only quotes, backslashes and control characters escaped. So a value has
// one size however the client escaped it (Python's json.dumps writes each
// non-ASCII character as a 6-byte \uXXXX, which would have made 33 KB of
// CJK text count as 66 KB). Keys keep their order and numbers their text.
// It walks tokens without recursion and fails with errTooDeep at the first
// level past limit, so a hostile document costs no more than its first
// limit+1 brackets.
func canonicalJSON(b []byte, limit int) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out, str bytes.Buffer
	enc := json.NewEncoder(&str)
	enc.SetEscapeHTML(false)
	type level struct {
		object bool
		n      int // keys and values written so far
	}
	var stack []level
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			if len(stack) > 0 || out.Len() == 0 {
				return nil, io.ErrUnexpectedEOF
			}
			return out.Bytes(), nil
		}
		if err != nil {
			return nil, err
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			out.WriteByte(byte(d))
			continue
		}
		if len(stack) == 0 && out.Len() > 0 {
			return nil, errors.New("more than one JSON value")
		}
		if len(stack) > 0 {
			top := &stack[len(stack)-1]
			switch {
			case top.object && top.n%2 == 1:
				out.WriteByte(':')
			case top.n > 0:
				out.WriteByte(',')
			}
			top.n++
		}
		switch v := tok.(type) {
		case json.Delim:
			if len(stack) == limit {
				return nil, errTooDeep
			}
			stack = append(stack, level{object: v == '{'})
			out.WriteByte(byte(v))
		case string:
			str.Reset()
			if err := enc.Encode(v); err != nil {
				return nil, err
			}
			out.Write(bytes.TrimSuffix(str.Bytes(), []byte("\n")))
		case json.Number:
			out.WriteString(string(v))
		case bool:
			out.WriteString(strconv.FormatBool(v))
		case nil:
			out.WriteString("null")
		}
	}
}
