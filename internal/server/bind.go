package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
)

// bind decodes tool arguments into a typed input struct. It exists instead of
// mcp-go's BindArguments so that a wrong type is reported as a domain error
// naming the field ("limit must be an integer, got string"), which a model
// can act on.
//
// Arguments that arrived over the wire are decoded from their original bytes
// (mcp-go keeps them); in-process callers' values are encoded first.
func bind(req mcp.CallToolRequest, dst any) error {
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
	if err := json.Unmarshal(raw, dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			field := te.Field
			if field == "" {
				return invalidf("arguments", "arguments must be a JSON object, got %s", te.Value)
			}
			return invalidf(field, "%s must be %s, got %s", field, describeKind(te.Type.Kind().String()), te.Value)
		}
		return invalidf("arguments", "arguments could not be read: %v", err)
	}
	return nil
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

// requireText rejects a missing, empty or whitespace-only string argument.
func requireText(field, value string) (string, error) {
	v := strings.TrimSpace(value)
	if v == "" {
		return "", invalidf(field, "%s is required and must not be empty or whitespace", field)
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
// the seeds' scripts send related_files both ways.
func stringList(field string, raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err == nil {
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
