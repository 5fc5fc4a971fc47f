package server

import (
	"bytes"
	"encoding/json"

	"github.com/mark3labs/mcp-go/mcp"
)

// compactJSON is JSON this package produced with json.Marshal, so it is
// already compact and HTML-escaped. As a json.Marshaler it encodes to
// itself, which keeps any generic encoder's output identical; appendMessage
// recognises it and copies it instead of re-validating it.
type compactJSON []byte

func (c compactJSON) MarshalJSON() ([]byte, error) { return c, nil }

// appendMessage writes msg as encoding/json would (byte for byte: the tests
// compare the two), taking a single pass for the tool results this package
// builds: one text block and structured content it encoded itself. Anything
// else goes through json.Marshal.
func appendMessage(buf *bytes.Buffer, msg mcp.JSONRPCMessage) error {
	if resp, ok := msg.(mcp.JSONRPCResponse); ok && resp.JSONRPC == mcp.JSONRPC_VERSION {
		if res, ok := resp.Result.(*mcp.CallToolResult); ok && res != nil {
			if text, ok := plainToolResult(res); ok {
				return appendToolResponse(buf, resp.ID, res, text)
			}
		}
	}
	b, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	buf.Write(b)
	return nil
}

// plainToolResult reports whether res is a shape appendToolResponse writes
// exactly, and its text.
func plainToolResult(res *mcp.CallToolResult) (string, bool) {
	if res.Meta != nil || len(res.InputRequests) > 0 || res.RequestState != "" ||
		len(res.RawStructuredContent) > 0 || len(res.Content) != 1 {
		return "", false
	}
	tc, ok := res.Content[0].(mcp.TextContent)
	if !ok || tc.Annotations != nil || tc.Meta != nil || tc.Type != mcp.ContentTypeText {
		return "", false
	}
	switch sc := res.StructuredContent.(type) {
	case nil:
	case compactJSON:
		if len(sc) == 0 {
			return "", false
		}
	default:
		return "", false
	}
	return tc.Text, true
}

// appendToolResponse mirrors CallToolResult.MarshalJSON, whose map keys
// encoding/json sorts: content, isError, resultType, structuredContent.
func appendToolResponse(buf *bytes.Buffer, id mcp.RequestId, res *mcp.CallToolResult, text string) error {
	idJSON, err := json.Marshal(id)
	if err != nil {
		return err
	}
	buf.WriteString(`{"jsonrpc":"` + mcp.JSONRPC_VERSION + `","id":`)
	buf.Write(idJSON)
	buf.WriteString(`,"result":{"content":[{"type":"text","text":`)
	if err := appendString(buf, text); err != nil {
		return err
	}
	buf.WriteString(`}]`)
	if res.IsError {
		buf.WriteString(`,"isError":true`)
	}
	if res.ResultType != "" {
		buf.WriteString(`,"resultType":`)
		if err := appendString(buf, string(res.ResultType)); err != nil {
			return err
		}
	}
	if sc, ok := res.StructuredContent.(compactJSON); ok {
		buf.WriteString(`,"structuredContent":`)
		buf.Write(sc)
	}
	buf.WriteString(`}}`)
	return nil
}

// appendString writes s as a JSON string with encoding/json's escaping.
func appendString(buf *bytes.Buffer, s string) error {
	enc := json.NewEncoder(buf)
	if err := enc.Encode(s); err != nil {
		return err
	}
	buf.Truncate(buf.Len() - 1) // Encode ends with a newline
	return nil
}
