package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"

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
// Its input schema refuses arguments it does not declare, and so does bind.
func addTool[In, Out any](s *server.MCPServer, svc *Service, tool mcp.Tool, fn func(context.Context, In) (Out, error)) {
	tool.InputSchema.AdditionalProperties = false
	names := slices.Collect(maps.Keys(tool.InputSchema.Properties))
	s.AddTool(tool, func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		var in In
		if err := bind(req, names, &in); err != nil {
			return svc.toolError(ctx, tool.Name, err), nil
		}
		out, err := fn(ctx, in)
		if err != nil {
			return svc.toolError(ctx, tool.Name, err), nil
		}
		return structuredResult(out)
	})
}

// structuredResult sends out as structuredContent and its JSON as text.
// mcp-go encodes structuredContent itself: handed the text's bytes as a
// json.RawMessage it would re-scan them to compact them, which cost more
// than encoding out again (8% of encoding a search answer, measured).
//
// The text is encoded into a pooled buffer and copied once into its
// string: json.Marshal returns a copy of its own buffer, which the string
// then copied again. For get_agent_flags' 50 flags that was 44 KB of a
// call's 310 KB of garbage (BenchmarkInboxCall); the collector runs
// correspondingly less often.
func structuredResult(out any) (*mcp.CallToolResult, error) {
	buf := textBufs.Get().(*bytes.Buffer)
	defer putTextBuf(buf)
	if err := json.NewEncoder(buf).Encode(out); err != nil {
		return nil, fmt.Errorf("encode result: %w", err)
	}
	// Encode ends the value with a newline; Marshal, and so the text, does not.
	text := string(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
	return &mcp.CallToolResult{
		Content:           []mcp.Content{mcp.NewTextContent(text)},
		StructuredContent: out,
	}, nil
}

var textBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledText bounds the buffers kept for reuse, so that one very large
// answer (list_flags with limit 500) does not stay in memory for good.
const maxPooledText = 256 << 10

func putTextBuf(b *bytes.Buffer) {
	if b.Cap() > maxPooledText {
		return
	}
	b.Reset()
	textBufs.Put(b)
}
