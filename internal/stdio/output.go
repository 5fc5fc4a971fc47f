package stdio

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-agents/mcp-agents/internal/resourceuri"
)

// output writes mcp-go's messages to the client and keeps count of the
// requests handed to mcp-go that are not answered yet. mcp-go writes each
// message with one Write.
type output struct {
	wmu sync.Mutex // one message at a time: refuse writes from outside mcp-go's own lock
	w   io.Writer

	mu      sync.Mutex
	pending map[string]int // request id as JSON → requests with that id not answered yet
	n       int            // total of pending
	drained chan struct{}  // closed when n falls to 0
	// cancelled counts, by id, pending requests the client cancelled: their
	// answers are not sent. The MCP specification says a receiver of
	// notifications/cancelled should not answer the request, and clients
	// report an answer to one they gave up on as an error (the TypeScript
	// SDK: "Received a response for an unknown message ID").
	cancelled map[string]int
}

func (o *output) Write(p []byte) (int, error) {
	id, isResponse := responseID(p)
	if isResponse && o.dropCancelled(id) {
		o.answered(id)
		return len(p), nil
	}
	msg := p
	if isResponse {
		// mcp-go answers a resource that is not there as an internal
		// error (see package resourceuri).
		msg = resourceuri.RewriteNotFound(p)
	}
	o.wmu.Lock()
	n, err := o.w.Write(msg)
	o.wmu.Unlock()
	if isResponse {
		o.answered(id)
	}
	if err == nil {
		n = len(p)
	}
	return n, err
}

// cancel records that the client cancelled the request with this id, if
// it is still unanswered (a cancellation that crossed its answer changes
// nothing).
func (o *output) cancel(id string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.pending[id] == 0 || o.cancelled[id] >= o.pending[id] {
		return
	}
	if o.cancelled == nil {
		o.cancelled = map[string]int{}
	}
	o.cancelled[id]++
}

// dropCancelled reports whether an answer with this id is for a cancelled
// request, and forgets that cancellation.
func (o *output) dropCancelled(id string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.cancelled[id] == 0 {
		return false
	}
	if o.cancelled[id]--; o.cancelled[id] == 0 {
		delete(o.cancelled, id)
	}
	return true
}

// expect records line, which is about to be handed to mcp-go, if mcp-go
// will answer it later: a request with an id, as HandleMessage tells them
// apart. Anything mcp-go answers at once on its read loop (a parse error)
// is written before it reads again, so it is never left behind.
//
// A request whose jsonrpc member is not a string (`"jsonrpc":2`) is one
// mcp-go's read loop hands on, but HandleMessage cannot decode, so its
// answer is a parse error with a null id, written later: it is awaited
// under the id null, or Serve would wait for an answer to its own id
// forever at the end of input.
//
// It reports false for a line not to hand over at all: a client's error
// response. This server sends the client no requests, and mcp-go answers
// an error response that matches none as a request for an unknown method
// (docs/upstream.md), which JSON-RPC forbids: a response is never answered.
func (o *output) expect(line []byte) (handOver bool) {
	// Raw members: the id is spelt out only when it is not a plain integer
	// (idKey), and a result or error is only looked for, not decoded.
	var env struct {
		JSONRPC json.RawMessage `json:"jsonrpc"`
		Method  json.RawMessage `json:"method"`
		ID      json.RawMessage `json:"id"`
		Result  json.RawMessage `json:"result"`
		Error   json.RawMessage `json:"error"` // a client's error answer to a server request: not awaited
	}
	if err := json.Unmarshal(line, &env); err != nil {
		if tooDeep(err) {
			// mcp-go's decoding stops at the same depth and answers a
			// parse error with a null id, leaving the client waiting for
			// this one's answer.
			o.refuse(line, fmt.Sprintf("request too deeply nested: JSON is read here to at most %d levels; it was not served", maxDepth))
			return false
		}
		return true
	}
	if isNull(env.Method) && !isNull(env.Error) {
		return false
	}
	if string(env.Method) == `"notifications/cancelled"` && isNull(env.ID) {
		var n struct {
			Params struct {
				RequestID json.RawMessage `json:"requestId"`
			} `json:"params"`
		}
		if json.Unmarshal(line, &n) == nil {
			if id, ok := idKey(n.Params.RequestID); ok {
				o.cancel(id)
			}
		}
		return true // mcp-go cancels the call's context
	}
	if isNull(env.ID) || !isNull(env.Result) || !isNull(env.Error) {
		return true
	}
	if !isNullOrString(env.Method) {
		return true // the read loop cannot decode it either: a parse error, at once
	}
	id, ok := nullID, true
	if isNullOrString(env.JSONRPC) {
		id, ok = idKey(env.ID)
	}
	if !ok {
		return true
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.pending == nil {
		o.pending = map[string]int{}
	}
	if o.n == 0 {
		o.drained = make(chan struct{})
	}
	o.pending[id]++
	o.n++
	return true
}

// isNull reports whether a member is absent or null.
func isNull(raw json.RawMessage) bool { return len(raw) == 0 || string(raw) == "null" }

// isNullOrString reports whether a member decodes into a Go string.
func isNullOrString(raw json.RawMessage) bool { return isNull(raw) || raw[0] == '"' }

// nullID is the key of answers with a null id (idKey never returns it).
const nullID = "null"

func (o *output) answered(id string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.pending[id] == 0 {
		return // an answer to something not awaited
	}
	o.pending[id]--
	if o.pending[id] == 0 {
		delete(o.pending, id)
	}
	// A cancellation that arrived while this answer was being written is
	// for an answered request: it must not drop a later one with the id.
	if c := o.cancelled[id]; c > o.pending[id] {
		if o.cancelled[id] = o.pending[id]; o.cancelled[id] == 0 {
			delete(o.cancelled, id)
		}
	}
	if o.n--; o.n == 0 {
		close(o.drained)
	}
}

// waitAnswered returns once every expected request has been answered, or
// ctx is done.
func (o *output) waitAnswered(ctx context.Context) {
	o.mu.Lock()
	n, drained := o.n, o.drained
	o.mu.Unlock()
	if n == 0 {
		return
	}
	select {
	case <-drained:
	case <-ctx.Done():
	}
}

// refuse answers a request line that is not served, given its first
// bytes, with an invalid-request error carrying its id when the id comes
// early enough to be found there (else null, as JSON-RPC has it for an
// unreadable id).
func (o *output) refuse(prefix []byte, msg string) {
	resp, err := json.Marshal(mcp.NewJSONRPCError(mcp.NewRequestId(leadingID(prefix)), mcp.INVALID_REQUEST, msg, nil))
	if err != nil {
		return
	}
	o.send(resp)
}

// send writes an answer given here rather than by mcp-go, one JSON message
// without its newline.
func (o *output) send(msg []byte) {
	_, _ = o.Write(append(msg, '\n'))
}

// maxDepth is how deeply encoding/json, and so mcp-go, reads nested JSON.
const maxDepth = 10000

// tooDeep reports whether err is encoding/json refusing a value nested
// deeper than maxDepth: the JSON may be valid, it is only not read.
func tooDeep(err error) bool {
	var se *json.SyntaxError
	return errors.As(err, &se) && strings.HasSuffix(se.Error(), "exceeded max depth")
}

// leadingID finds the top-level id of the JSON object msg starts with,
// among its first 64 KiB.
func leadingID(msg []byte) any {
	dec := json.NewDecoder(bytes.NewReader(msg[:min(len(msg), 64<<10)]))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	for {
		key, err := dec.Token()
		if err != nil {
			return nil
		}
		var v any
		if key == "id" {
			if dec.Decode(&v) != nil {
				return nil
			}
			return v
		}
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return nil
		}
	}
}

// responseID returns the id of msg if it is a response to a request with
// an id: it has a result or an error. Only the keys up to the result are
// read, as mcp-go writes the jsonrpc version and the id first.
func responseID(msg []byte) (string, bool) {
	if id, ok := encodedResponseID(msg); ok {
		return id, true
	}
	dec := json.NewDecoder(bytes.NewReader(msg))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return "", false
	}
	var id json.RawMessage
	var haveID, isResponse bool
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return "", false
		}
		switch key {
		case "method":
			return "", false
		case "id":
			if dec.Decode(&id) != nil {
				return "", false
			}
			haveID = true
		default:
			isResponse = isResponse || key == "result" || key == "error"
			if !haveID || !isResponse {
				var skip json.RawMessage
				if dec.Decode(&skip) != nil {
					return "", false
				}
			}
		}
		if haveID && isResponse {
			if isNull(id) {
				return nullID, true
			}
			return idKey(id)
		}
	}
	return "", false
}

// responsePrefix is how json.Marshal starts mcp-go's JSONRPCResponse and
// JSONRPCError, whose fields are jsonrpc, id, then result or error.
const responsePrefix = `{"jsonrpc":"2.0","id":`

// encodedResponseID reads the integer id of a response in the exact shape
// mcp-go encodes, without a json.Decoder: that cost 39 allocations per
// answer, a third of what this wrapper added to a no-op call (callgrind:
// 303k instructions per call through Serve against 210k through mcp-go's
// Listen). Anything else (a string id, a request, another key order) is
// left to the decoder in responseID.
func encodedResponseID(msg []byte) (string, bool) {
	rest, ok := bytes.CutPrefix(msg, []byte(responsePrefix))
	if !ok {
		return "", false
	}
	end := bytes.IndexByte(rest, ',')
	if end < 0 {
		return "", false
	}
	id, ok := plainInteger(rest[:end])
	if !ok {
		return "", false
	}
	after := rest[end:]
	if !bytes.HasPrefix(after, []byte(`,"result":`)) && !bytes.HasPrefix(after, []byte(`,"error":`)) {
		return "", false
	}
	return id, true
}

// plainInteger returns raw when it is a JSON integer that float64 holds
// exactly and that idKey would spell the same way (so not -0).
func plainInteger(raw []byte) (string, bool) {
	digits := raw
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || len(digits) > 15 || digits[0] == '0' && len(raw) > 1 {
		return "", false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	return string(raw), true
}

// idKey spells an id (its JSON) the same whichever way it was written, as
// mcp-go answers it: numbers are decoded as float64, and 7, 7.0, 7e0 and
// -0 are answered as 7 or 0. It fails only on JSON that is not one value.
func idKey(raw json.RawMessage) (string, bool) {
	if s, ok := plainInteger(raw); ok {
		return s, true
	}
	var id any
	if json.Unmarshal(raw, &id) != nil {
		return "", false
	}
	if f, ok := id.(float64); ok && f == float64(int64(f)) {
		return strconv.FormatInt(int64(f), 10), true
	}
	b, _ := json.Marshal(id)
	return string(b), true
}
