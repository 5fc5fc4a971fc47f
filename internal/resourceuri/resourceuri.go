// Package resourceuri holds the rules of this server's resource URIs
// (flag://{id}, agent://{name}, flags://inbox/{name}, project://context/{name}),
// percent-encoded as URIs are, and a request check that both transports apply before mcp-go dispatches a
// request.
//
// Why the check sits in the transports: mcp-go v1.2.1 answers every error a
// resource handler returns with -32603 (internal error); handlerError in
// server/handler_errors.go knows no other code, its hooks can only refuse
// with -32600, its resource middleware wraps the same handler, and RFC 6570
// templates cannot say "digits only" (docs/upstream.md). A malformed URI is
// the client's mistake, which JSON-RPC calls invalid params (-32602); a
// well-formed one that names nothing is resource not found (-32002), which
// the transports make of the handler's answer (RewriteNotFound). The
// resource handlers keep their own checks, made with the same functions, so
// a request that reaches them some other way is still refused with the rule.
package resourceuri

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-agents/mcp-agents/internal/agent"
)

// The URI schemes this server serves, as prefixes.
const (
	FlagPrefix    = "flag://"
	AgentPrefix   = "agent://"
	InboxPrefix   = "flags://inbox/"
	ProjectPrefix = "project://context/"
)

// FlagID returns the flag id of a flag://{id} URI.
func FlagID(uri string) (int64, error) {
	raw, ok := strings.CutPrefix(uri, FlagPrefix)
	if !ok {
		return 0, fmt.Errorf("uri %q is not a flag: use %s{id}", uri, FlagPrefix)
	}
	// Digits only: ParseInt takes a sign ("+3"), which the template
	// flag://{id} does not match, so it would be answered "not found".
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id < 1 || raw[0] == '+' {
		return 0, fmt.Errorf("flag://{id} needs a positive integer flag id, got %q", raw)
	}
	return id, nil
}

// AgentName returns the bare agent name an agent://{name} URI names, in
// canonical form.
func AgentName(uri string) (string, error) {
	raw, ok := strings.CutPrefix(uri, AgentPrefix)
	if !ok {
		return "", fmt.Errorf("uri %q is not an agent: use %s{name}", uri, AgentPrefix)
	}
	// Percent-encoded or not, as an inbox's name and a document's are: a
	// URI is the same URI with its letters encoded (RFC 3986).
	if u, err := url.PathUnescape(raw); err == nil {
		raw = u
	}
	if strings.TrimSpace(raw) == "" {
		return "", fmt.Errorf("agent://{name} needs an agent name, got %q", raw)
	}
	if h, ok := strings.CutPrefix(raw, "@"); ok {
		// The template's {name} matches no "@": mcp-go would answer that
		// no resource has this URI.
		return "", fmt.Errorf("agent://{name} takes the agent's bare name, without the @: agent://%s", h)
	}
	name, err := agent.Normalize(raw)
	if err != nil {
		return "", fmt.Errorf("agent://{name} needs an agent's bare name: %v", err)
	}
	return name, nil
}

// InboxHandle returns the agent handle a flags://inbox/{name} URI names;
// name is a bare name or an @handle, percent-encoded or not.
func InboxHandle(uri string) (string, error) {
	name, ok := strings.CutPrefix(uri, InboxPrefix)
	if !ok || name == "" {
		return "", fmt.Errorf("uri %q is not an inbox: use %s{name}, name being an agent's bare name or @handle", uri, InboxPrefix)
	}
	if u, err := url.PathUnescape(name); err == nil {
		name = u
	}
	h, err := agent.CanonicalHandle(name)
	if err != nil {
		return "", fmt.Errorf("uri %q does not name an agent: %v", uri, err)
	}
	return h, nil
}

// ProjectURI returns the URI of the project context document called name,
// every byte of it but RFC 3986's unreserved characters percent-encoded:
// a URI may hold no space or non-ASCII letter, a "#" or "?" would start
// its fragment or query, and the template project://context/{name}, whose
// simple expansion takes nothing else, would match none of them.
func ProjectURI(name string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.WriteString(ProjectPrefix)
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '.', c == '_', c == '~':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// ProjectName returns the document name a project://context/{name} URI
// names, percent-decoded (as ProjectURI encodes it; an unencoded name is
// taken as it is).
func ProjectName(uri string) (string, error) {
	raw, ok := strings.CutPrefix(uri, ProjectPrefix)
	if !ok {
		return "", fmt.Errorf("uri %q is not a project context document: use %s{name}", uri, ProjectPrefix)
	}
	name, err := url.PathUnescape(raw)
	if err != nil {
		return "", fmt.Errorf("project://context/{name} needs a document's name, percent-encoded, got %q: %v", raw, err)
	}
	if err := CheckProjectName(name); err != nil {
		return "", err
	}
	// A character a URI cannot hold as it is (a space, a letter outside
	// ASCII, "#", "?") never reached the handler: mcp-go's template
	// matched no such URI and answered "handler not found".
	if strings.IndexFunc(raw, func(r rune) bool { return !isPchar(r) }) >= 0 {
		return "", fmt.Errorf("project://context/{name} takes the name percent-encoded, as project://context lists it: %s", ProjectURI(name))
	}
	return name, nil
}

// CheckProjectName refuses a document name no project://context/{name}
// URI can name: none at all, and a path, decoded ("%2F", "..") or not.
// Names are looked up, never opened, but a path is a client's mistake, and
// "." and ".." are dot-segments, which a client normalising the URI would
// remove (RFC 3986, 5.2.4). The project package skips a file of such a
// name, so that every document listed can be read.
func CheckProjectName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("project://context/{name} needs a document name; project://context lists them")
	case strings.ContainsAny(name, `/\`) || name == "." || name == "..":
		return fmt.Errorf("project://context/{name} needs a document's name, not a path, got %q", name)
	}
	return nil
}

// Validate refuses a URI of one of this server's schemes whose id or name
// is malformed, with the rule. Other URIs pass: whether they exist is the
// server's to say.
func Validate(uri string) error {
	var err error
	switch {
	case strings.HasPrefix(uri, FlagPrefix):
		_, err = FlagID(uri)
	case strings.HasPrefix(uri, AgentPrefix):
		_, err = AgentName(uri)
	case strings.HasPrefix(uri, InboxPrefix):
		_, err = InboxHandle(uri)
	case strings.HasPrefix(uri, ProjectPrefix):
		_, err = ProjectName(uri)
	}
	return err
}

// Check returns the JSON-RPC error answer (-32602, invalid params) to msg
// when msg is a resources/read or resources/subscribe request whose URI
// Validate refuses, and nil for anything else, which mcp-go then serves.
//
// It runs on every message, so it decodes only messages that mention
// "resources" (the method name, even written with an escaped "/"). A method
// name spelled with \u escapes is not caught here; the handler's own check
// still answers it, with the rule, as -32603.
func Check(msg []byte) []byte {
	if !bytes.Contains(msg, []byte("resources")) {
		return nil
	}
	var req struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Method  string          `json:"method"`
		Params  struct {
			URI string `json:"uri"`
		} `json:"params"`
	}
	if json.Unmarshal(msg, &req) != nil || req.JSONRPC != mcp.JSONRPC_VERSION || len(req.ID) == 0 || string(req.ID) == "null" {
		return nil
	}
	subscription := req.Method == string(mcp.MethodResourcesSubscribe) || req.Method == string(mcp.MethodResourcesUnsubscribe)
	if req.Method != string(mcp.MethodResourcesRead) && !subscription {
		return nil
	}
	err := Validate(req.Params.URI)
	if err == nil && subscription && !strings.HasPrefix(req.Params.URI, InboxPrefix) {
		// Only inboxes change: a subscription to anything else would never
		// hear a thing.
		err = fmt.Errorf("%q is not an inbox: only agent inboxes (%s{name}) can be subscribed to", req.Params.URI, InboxPrefix)
	}
	return InvalidParams(req.ID, req.Method, err)
}

// InvalidParams is the answer (-32602) to the request with id and method
// that err refuses, "method: err"; nil when err is nil.
func InvalidParams(id json.RawMessage, method string, err error) []byte {
	if err == nil {
		return nil
	}
	answer, merr := json.Marshal(mcp.NewJSONRPCError(mcp.NewRequestId(id), mcp.INVALID_PARAMS, method+": "+err.Error(), nil))
	if merr != nil {
		return nil
	}
	return answer
}

// NotFoundPrefix starts the message of the error a resource handler
// returns for a well-formed URI that names nothing (NotFound). mcp-go
// answers every handler error -32603, internal error; the transports
// answer this one -32002, resource not found, as the specification has it
// (RewriteNotFound).
const NotFoundPrefix = "resource not found: "

// NotFound is the error of a resource handler for a well-formed uri that
// names nothing: what is missing, and where to look instead.
func NotFound(uri, format string, args ...any) error {
	return fmt.Errorf("%s%s: %s", NotFoundPrefix, uri, fmt.Sprintf(format, args...))
}

// notFoundMarker finds the answers RewriteNotFound may change without
// decoding the others.
var notFoundMarker = []byte(`"message":"` + NotFoundPrefix)

// RewriteNotFound returns msg, a message to the client, with the code
// -32002 when it is the internal error mcp-go made of a NotFound error,
// and msg itself otherwise. A trailing newline is kept.
func RewriteNotFound(msg []byte) []byte {
	if !bytes.Contains(msg, notFoundMarker) {
		return msg
	}
	var resp struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Error   *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(msg, &resp) != nil || resp.Error == nil || resp.Error.Code != mcp.INTERNAL_ERROR ||
		!strings.HasPrefix(resp.Error.Message, NotFoundPrefix) || len(resp.ID) == 0 {
		return msg
	}
	out, err := json.Marshal(mcp.NewJSONRPCError(mcp.NewRequestId(resp.ID), mcp.RESOURCE_NOT_FOUND, resp.Error.Message, nil))
	if err != nil {
		return msg
	}
	if bytes.HasSuffix(msg, []byte("\n")) {
		out = append(out, '\n')
	}
	return out
}

// isPchar reports whether r may stand unencoded in a URI's path segment
// (RFC 3986 pchar, "%" of a percent-encoding included).
func isPchar(r rune) bool {
	switch {
	case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		return true
	}
	return strings.ContainsRune("-._~!$&'()*+,;=:@%", r)
}
