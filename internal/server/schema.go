package server

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-agents/mcp-agents/internal/store"
)

// outputSchemas holds the tools' output schemas, generated from the output
// types by TestOutputSchemasUpToDate (-update rewrites it). Reflecting over
// the types at every start cost several milliseconds of a start-up budget
// measured in tens; the test keeps the file from drifting from the types.
//
//go:embed output_schemas.json
var outputSchemasJSON []byte

var outputSchemas = func() map[string]json.RawMessage {
	m := map[string]json.RawMessage{}
	if err := json.Unmarshal(outputSchemasJSON, &m); err != nil {
		panic(fmt.Sprintf("output_schemas.json: %v", err))
	}
	return m
}()

// schemaGenerators lists every tool output type, keyed by type name.
var schemaGenerators = map[string]func() json.RawMessage{
	typeName[SearchAgentsOutput](): generateSchema[SearchAgentsOutput],
	typeName[AgentOutput]():        generateSchema[AgentOutput],
	typeName[FlagOutput]():         generateSchema[FlagOutput],
	typeName[AgentFlagsOutput]():   generateSchema[AgentFlagsOutput],
	typeName[ListFlagsOutput]():    generateSchema[ListFlagsOutput],
	typeName[store.FlagDetail]():   generateSchema[store.FlagDetail],
}

func typeName[T any]() string { return reflect.TypeFor[T]().String() }

// outputSchema returns the tool option declaring T's output schema, from the
// generated file when it has T, else by reflection.
func outputSchema[T any]() mcp.ToolOption {
	if raw, ok := outputSchemas[typeName[T]()]; ok {
		return mcp.WithRawOutputSchema(raw)
	}
	return mcp.WithRawOutputSchema(generateSchema[T]())
}

// generateSchema derives T's output schema by reflection. The generator
// describes json.RawMessage as its Go shape (an array of bytes); on the wire
// it is the JSON it holds, and the only raw field we return is a flag's
// context, a JSON object or null, so such nodes are rewritten to say that.
// Without this, clients that validate structuredContent reject flags.
func generateSchema[T any]() json.RawMessage {
	var probe mcp.Tool
	mcp.WithOutputSchema[T]()(&probe)
	raw, err := json.Marshal(probe.OutputSchema)
	if err != nil {
		panic(fmt.Sprintf("output schema for %s: %v", typeName[T](), err))
	}
	var schema map[string]any
	if err := json.Unmarshal(raw, &schema); err != nil {
		panic(fmt.Sprintf("output schema for %s: %v", typeName[T](), err))
	}
	fixRawJSON(schema)
	fixed, err := json.Marshal(schema)
	if err != nil {
		panic(fmt.Sprintf("output schema for %s: %v", typeName[T](), err))
	}
	return fixed
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
