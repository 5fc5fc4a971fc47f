package server

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-agents/mcp-agents/internal/resourceuri"
)

// promptArgument is the one argument every agent prompt takes.
const promptArgument = "task"

// CheckRequest returns the JSON-RPC error answer (-32602, invalid params)
// to msg, a message a transport read, when mcp-go would serve it wrongly,
// and nil for anything else, which mcp-go then serves. An empty answer
// means msg is dropped unanswered (a notification that is not UTF-8). Both transports
// call it before mcp-go dispatches (see package resourceuri for why there):
//   - a request that is not UTF-8 (NotUTF8: Go's decoder would turn the
//     bytes into U+FFFD, and a flag text would be stored so, where the
//     CLI refuses it);
//   - a resources/read or (un)subscribe of a malformed URI (resourceuri.Check);
//   - a prompts/get with an argument no prompt has (mcp-go drops it: a
//     misspelt "tsak" lost the user's task) or one that is not a string
//     (mcp-go: -32600 with Go's decoder message);
//   - a list request whose cursor no page of this server gave (mcp-go:
//     "illegal base64 data at input byte 4", not naming the cursor);
//   - a completion/complete whose ref or argument is not what the
//     specification has (mcp-go: -32600 with Go's decoder message, or an
//     empty completion when argument is missing).
//
// Only messages that mention "prompts", "cursor" or "complet" are decoded
// here.
func CheckRequest(msg []byte) []byte {
	if !utf8.Valid(msg) {
		return NotUTF8(msg)
	}
	if answer := resourceuri.Check(msg); answer != nil {
		return answer
	}
	// A method or key may be spelled with \u escapes ("\u0070rompts/get").
	if !bytes.Contains(msg, []byte("prompts")) && !bytes.Contains(msg, []byte("cursor")) &&
		!bytes.Contains(msg, []byte("complet")) && !bytes.Contains(msg, []byte(`\u`)) {
		return nil
	}
	var req struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Method  string          `json:"method"`
		Params  json.RawMessage `json:"params"`
	}
	if json.Unmarshal(msg, &req) != nil || req.JSONRPC != mcp.JSONRPC_VERSION || len(req.ID) == 0 || string(req.ID) == "null" {
		return nil
	}
	var err error
	switch mcp.MCPMethod(req.Method) {
	case mcp.MethodPromptsGet:
		err = checkPromptArguments(req.Params)
	case mcp.MethodPromptsList, mcp.MethodResourcesList, mcp.MethodResourcesTemplatesList, mcp.MethodToolsList:
		err = checkCursor(req.Params)
	case mcp.MethodCompletionComplete:
		err = checkCompletion(req.Params)
	}
	return resourceuri.InvalidParams(req.ID, req.Method, err)
}

func checkPromptArguments(params json.RawMessage) error {
	var p struct {
		Arguments json.RawMessage `json:"arguments"`
	}
	if json.Unmarshal(params, &p) != nil || len(p.Arguments) == 0 || string(p.Arguments) == "null" {
		return nil // mcp-go answers what it cannot read
	}
	notObject := errors.New("arguments must be an object whose values are strings")
	// Read as a stream, so that a name given twice is checked each time, as
	// mcp-go's decoder reads it.
	dec := json.NewDecoder(bytes.NewReader(p.Arguments))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return notObject
	}
	var unknown []string
	for dec.More() {
		t, err := dec.Token()
		name, ok := t.(string)
		var v json.RawMessage
		if err != nil || !ok || dec.Decode(&v) != nil {
			return notObject
		}
		switch {
		case name != promptArgument:
			if !slices.Contains(unknown, name) {
				unknown = append(unknown, name)
			}
		case string(v) != "null" && v[0] != '"':
			return fmt.Errorf("argument %s must be a string (got %s)", promptArgument, jsonKind(v))
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		var e *Error
		errors.As(unknownArguments(unknown, []string{promptArgument}), &e)
		return errors.New(e.Message)
	}
	return nil
}

func checkCursor(params json.RawMessage) error {
	var p struct {
		Cursor json.RawMessage `json:"cursor"`
	}
	if json.Unmarshal(params, &p) != nil || len(p.Cursor) == 0 || string(p.Cursor) == "null" {
		return nil
	}
	var c string
	if json.Unmarshal(p.Cursor, &c) != nil {
		return fmt.Errorf("cursor must be a string (got %s): the nextCursor of an earlier page, as it came", jsonKind(p.Cursor))
	}
	if _, err := base64.StdEncoding.DecodeString(c); err != nil {
		return fmt.Errorf("cursor %s is not one this server gave: pass the nextCursor of an earlier page as it came, or none for the first page", showName(c))
	}
	return nil
}

// checkCompletion holds a completion/complete to the specification's shape:
// ref {type: "ref/prompt", name} or {type: "ref/resource", uri}, and
// argument {name, value}, all strings.
func checkCompletion(params json.RawMessage) error {
	var p struct {
		Ref      json.RawMessage `json:"ref"`
		Argument json.RawMessage `json:"argument"`
	}
	if json.Unmarshal(params, &p) != nil {
		return nil // mcp-go answers what it cannot read
	}
	var ref map[string]json.RawMessage
	if len(p.Ref) == 0 || json.Unmarshal(p.Ref, &ref) != nil || ref == nil {
		return errors.New(`ref must be an object: {"type":"ref/prompt","name":…} or {"type":"ref/resource","uri":…}`)
	}
	var kind string
	if json.Unmarshal(ref["type"], &kind) != nil || kind != "ref/prompt" && kind != "ref/resource" {
		return fmt.Errorf("ref.type must be ref/prompt or ref/resource (got %s)", rawShown(ref["type"]))
	}
	key := map[string]string{"ref/prompt": "name", "ref/resource": "uri"}[kind]
	if err := stringField("ref."+key, ref[key]); err != nil {
		return err
	}
	var arg map[string]json.RawMessage
	if len(p.Argument) == 0 || json.Unmarshal(p.Argument, &arg) != nil || arg == nil {
		return errors.New(`argument must be an object: {"name":…,"value":…}`)
	}
	if err := stringField("argument.name", arg["name"]); err != nil {
		return err
	}
	return stringField("argument.value", arg["value"])
}

// stringField requires v, the raw value of field, to be a JSON string.
func stringField(field string, v json.RawMessage) error {
	if len(v) == 0 {
		return fmt.Errorf("%s is required (a string)", field)
	}
	if v[0] != '"' {
		return fmt.Errorf("%s must be a string (got %s)", field, jsonKind(v))
	}
	return nil
}

// rawShown shows a caller's raw JSON value in a message, clipped.
func rawShown(v json.RawMessage) string {
	if len(v) == 0 {
		return "nothing"
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return showName(s)
	}
	return jsonKind(v)
}

// NotUTF8 is the answer to msg, a request that is not UTF-8 as JSON text
// must be: a parse error (-32700) that says so, with msg's id when that is
// a UTF-8 string or a number (null otherwise: the answer must be JSON
// itself). A notification or a response (no method, or no id) is not
// answered and not acted on either: the answer is empty, not nil.
func NotUTF8(msg []byte) []byte {
	var req struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
	}
	id := mcp.NewRequestId(nil)
	if json.Unmarshal(msg, &req) == nil {
		if req.Method == "" || len(req.ID) == 0 || string(req.ID) == "null" {
			return []byte{}
		}
		if utf8.Valid(req.ID) && (req.ID[0] == '"' || req.ID[0] == '-' || req.ID[0] >= '0' && req.ID[0] <= '9') {
			id = mcp.NewRequestId(req.ID)
		}
	}
	at := 0
	for at < len(msg) {
		r, n := utf8.DecodeRune(msg[at:])
		if r == utf8.RuneError && n == 1 {
			break
		}
		at += n
	}
	answer, err := json.Marshal(mcp.NewJSONRPCError(id, mcp.PARSE_ERROR,
		fmt.Sprintf("Parse error: the message is not valid UTF-8 (byte %d); JSON text must be UTF-8, so nothing was done", at), nil))
	if err != nil {
		return []byte{}
	}
	return answer
}
