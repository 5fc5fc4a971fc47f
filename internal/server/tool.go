package server

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// hints sets all four tool annotations explicitly: mcp-go defaults
// destructive and open-world to true, which would make clients ask for
// confirmation on read-only lookups.
func hints(title string, readOnly, destructive, idempotent bool) mcp.ToolOption {
	return mcp.WithToolAnnotation(mcp.ToolAnnotation{
		Title:           title,
		ReadOnlyHint:    mcp.ToBoolPtr(readOnly),
		DestructiveHint: mcp.ToBoolPtr(destructive),
		IdempotentHint:  mcp.ToBoolPtr(idempotent),
		OpenWorldHint:   mcp.ToBoolPtr(false),
	})
}

// addTool registers a tool whose handler takes one typed input and returns
// one typed output, sent as structuredContent with the same JSON as text.
func addTool[In, Out any](s *server.MCPServer, svc *Service, tool mcp.Tool, fn func(context.Context, In) (Out, error)) {
	s.AddTool(tool, func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		var in In
		if err := bind(req.Params.Arguments, &in); err != nil {
			return toolError(ctx, svc.Log, tool.Name, err), nil
		}
		out, err := fn(ctx, in)
		if err != nil {
			return toolError(ctx, svc.Log, tool.Name, err), nil
		}
		return mcp.NewToolResultStructuredOnly(out), nil
	})
}

// outputSchema derives a tool's output schema from its output type. The
// generator describes json.RawMessage as its Go shape (an array of bytes);
// on the wire it is the JSON it holds, and the only raw field we return is a
// flag's context, a JSON object or null, so such nodes are rewritten to say
// that. Without this, clients that validate structuredContent reject flags.
func outputSchema[T any]() mcp.ToolOption {
	var probe mcp.Tool
	mcp.WithOutputSchema[T]()(&probe)
	raw, err := json.Marshal(probe.OutputSchema)
	if err != nil {
		panic(fmt.Sprintf("output schema for %T: %v", *new(T), err))
	}
	var schema map[string]any
	if err := json.Unmarshal(raw, &schema); err != nil {
		panic(fmt.Sprintf("output schema for %T: %v", *new(T), err))
	}
	fixRawJSON(schema)
	fixed, err := json.Marshal(schema)
	if err != nil {
		panic(fmt.Sprintf("output schema for %T: %v", *new(T), err))
	}
	return mcp.WithRawOutputSchema(fixed)
}

func fixRawJSON(node map[string]any) {
	for key, v := range node {
		switch child := v.(type) {
		case map[string]any:
			if isByteArray(child) {
				node[key] = map[string]any{"type": []any{"object", "null"}}
				continue
			}
			fixRawJSON(child)
		case []any:
			for _, item := range child {
				if m, ok := item.(map[string]any); ok {
					fixRawJSON(m)
				}
			}
		}
	}
}

func isByteArray(s map[string]any) bool {
	items, ok := s["items"].(map[string]any)
	if !ok || items["type"] != "integer" {
		return false
	}
	switch t := s["type"].(type) {
	case string:
		return t == "array"
	case []any:
		return len(t) == 2 && (t[0] == "array" || t[1] == "array")
	}
	return false
}
