package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/mcp-agents/mcp-agents/internal/agent"
	"github.com/mcp-agents/mcp-agents/internal/search"
	"github.com/mcp-agents/mcp-agents/internal/server"
	"github.com/mcp-agents/mcp-agents/internal/store"
)

// fuzzTools are the tools with arguments that seed the corpus for each.
var fuzzTools = []struct {
	name string
	seed string
}{
	{"search_agents", `{"query":"kubernetes helm","limit":3}`},
	{"get_agent", `{"name":"@ops.containers"}`},
	{"create_flag", `{"flag_type":"breaking_change","source_agent":"@a.b","target_agent":"@ops.containers","impact_level":"high",` +
		`"change_description":"The users table gained a JSON preferences column used for personalisation.",` +
		`"action_required":"Add a GIN index on users.preferences, update the migration checklist and confirm the backup job includes the new column.",` +
		`"related_files":["a.go"],"context":{"k":[1,{"x":null}]},"code_location":"a.go:1","example_usage":"x","chain_origin_id":1}`},
	{"get_agent_flags", `{"agent":"@ops.containers","status":"all","include_locked":false,"limit":5,"wait_seconds":0}`},
	{"lock_flag", `{"flag_id":1,"agent":"@a.b","lease_seconds":60}`},
	{"unlock_flag", `{"flag_id":1,"agent":"@a.b","force":true}`},
	{"complete_flag", `{"flag_id":1,"agent":"@a.b","notes":"done"}`},
	{"list_flags", `{"status":"pending","source_agent":"@a.b","target_agent":"@ops.containers","flag_type":"change","impact_level":"low","chain_origin_id":1,"limit":10}`},
	{"get_flag", `{"flag_id":1}`},
}

// FuzzToolArguments sends arbitrary JSON as the arguments of every tool
// through mcp-go's message handling, as a client's bytes arrive. Whatever
// the bytes, a call is answered with a result or a domain error, never a
// panic or an internal error; an argument the tool does not declare is
// always refused by name; and a result always satisfies the tool's output
// schema (validation is on).
func FuzzToolArguments(f *testing.F) {
	for i, tool := range fuzzTools {
		f.Add(uint8(i), []byte(tool.seed))
		f.Add(uint8(i), []byte(`{}`))
		f.Add(uint8(i), []byte(`{"`+tool.name+`":null,"Limit":1}`))
	}
	f.Add(uint8(2), []byte(`{"context":"{\"a\":[[[[1]]]]}","related_files":"a, b,,c","target_agent":null}`))
	f.Add(uint8(4), []byte(`{"flag_id":-1,"agent":"@A.B","lease_seconds":1e3}`))
	f.Add(uint8(3), []byte(`null`))
	f.Add(uint8(0), []byte(`[1,2]`))

	srv, _ := newFuzzServer(f)
	names := map[string][]string{}
	for _, tool := range srv.ListTools() {
		for n := range tool.Tool.InputSchema.Properties {
			names[tool.Tool.Name] = append(names[tool.Tool.Name], n)
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, args []byte) {
		if !json.Valid(args) {
			return // the transport's parse error, not binding
		}
		tool := fuzzTools[int(which)%len(fuzzTools)].name
		msg := fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":%q,"arguments":%s}}`, tool, args)
		resp := srv.HandleMessage(context.Background(), json.RawMessage(msg))
		raw, err := json.Marshal(resp)
		if err != nil {
			t.Fatalf("%s(%s): response does not encode: %v", tool, args, err)
		}
		var env struct {
			Result *struct {
				IsError bool `json:"isError"`
				Content []struct {
					Text string `json:"text"`
				} `json:"content"`
			} `json:"result"`
			Error *struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(raw, &env); err != nil {
			t.Fatalf("%s(%s): %v", tool, args, err)
		}
		if env.Error != nil {
			// mcp-go itself refuses arguments that are not an object.
			if env.Error.Code == mcp.INVALID_PARAMS || env.Error.Code == mcp.INVALID_REQUEST {
				return
			}
			t.Fatalf("%s(%s): protocol error %d %s", tool, args, env.Error.Code, env.Error.Message)
		}
		if env.Result == nil || len(env.Result.Content) != 1 {
			t.Fatalf("%s(%s): no result: %s", tool, args, raw)
		}
		text := env.Result.Content[0].Text
		if env.Result.IsError && (strings.Contains(text, "internal error") || strings.Contains(strings.ToLower(text), "schema")) {
			t.Fatalf("%s(%s): %s", tool, args, text)
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(args, &obj) == nil {
			for k := range obj {
				if !slices.Contains(names[tool], k) {
					if !env.Result.IsError || !strings.Contains(text, "unknown argument") {
						t.Fatalf("%s(%s): unknown argument %q not refused: %s", tool, args, k, text)
					}
				}
			}
		}
	})
}

func newFuzzServer(tb testing.TB) (*mcpserver.MCPServer, *store.Store) {
	tb.Helper()
	cat, warnings, err := agent.Load(context.Background(), []agent.Source{{Label: "test", Root: "fixture", FS: fixtureAgents}})
	if err != nil || len(warnings) > 0 {
		tb.Fatalf("fixture: %v, warnings %v", err, warnings)
	}
	st, err := store.Open(context.Background(), filepath.Join(tb.TempDir(), "agents.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	svc := &server.Service{Catalog: cat, Search: search.NewIndex(cat.All()), Flags: st}
	srv := server.New(svc, "fuzz", mcpserver.WithOutputSchemaValidation())
	init := `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"fuzz","version":"1"}}}`
	if resp := srv.HandleMessage(context.Background(), json.RawMessage(init)); resp == nil {
		tb.Fatal("initialize: no response")
	}
	return srv, st
}
