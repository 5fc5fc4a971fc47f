package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/mcp-agents/mcp-agents/internal/agent"
	"github.com/mcp-agents/mcp-agents/internal/search"
	"github.com/mcp-agents/mcp-agents/internal/server"
	"github.com/mcp-agents/mcp-agents/internal/store"
)

// fixtureAgents is a small catalog in the two real-world shapes: the
// Claude Code subagent format and the tagged catalog format.
var fixtureAgents = fstest.MapFS{
	"ops.containers.md": {Data: []byte(`---
name: ops.containers
description: Container orchestration expert for Docker, Kubernetes, Helm charts and service mesh.
model: sonnet
color: blue
tags: [docker, kubernetes, helm]
capabilities:
  - multi-stage Docker builds
  - Helm chart development
examples:
  - "Our Docker images are 2GB, make them smaller"
---
# ops.containers

You run containers in production.
`)},
	"database.postgres.md": {Data: []byte(`---
name: database.postgres
description: PostgreSQL specialist for schema design, query tuning, indexing and replication.
aliases: [database.pg]
tools: Read, Grep
tags:
  - postgresql
  - sql
  - indexing
---
# database.postgres

You make PostgreSQL fast and safe.
`)},
	"frontend.react.md": {Data: []byte(`---
name: frontend.react
description: React and TypeScript front-end engineer for components, hooks and state management.
---
You build React user interfaces.
`)},
}

type fixture struct {
	client *client.Client
	store  *store.Store
	svc    *server.Service
	now    *time.Time
	log    *syncBuffer // what the server logged
}

// syncBuffer is a log destination the server's goroutines may write while
// a test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newFixture starts the real server (real catalog, index and SQLite store in
// a temp dir) behind mcp-go's in-process client, with output schema
// validation on so a result that breaks its declared schema fails the test.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	cat, warnings, err := agent.Load(ctx, []agent.Source{{Label: "test", Root: "fixture", FS: fixtureAgents}})
	if err != nil || len(warnings) > 0 {
		t.Fatalf("fixture: %v, warnings %v", err, warnings)
	}
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	f := &fixture{now: &now, log: &syncBuffer{}}
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "agents.db"), store.WithClock(func() time.Time { return *f.now }))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	f.store = st
	f.svc = &server.Service{Catalog: cat, Search: search.NewIndex(cat.All()), Flags: st, Log: slog.New(slog.NewTextHandler(f.log, nil))}
	c := connect(t, server.New(f.svc, "test", mcpserver.WithOutputSchemaValidation()))
	f.client = c
	return f
}

// call invokes a tool and returns its result; protocol errors fail the test.
func (f *fixture) call(t *testing.T, tool string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	req := mcp.CallToolRequest{}
	req.Params.Name = tool
	req.Params.Arguments = args
	res, err := f.client.CallTool(context.Background(), req)
	if err != nil {
		t.Fatalf("%s: protocol error: %v", tool, err)
	}
	return res
}

// ok calls a tool that must succeed and decodes its structured result into
// out, checking that the text content carries the same JSON.
func (f *fixture) ok(t *testing.T, tool string, args map[string]any, out any) {
	t.Helper()
	res := f.call(t, tool, args)
	if res.IsError {
		t.Fatalf("%s(%v): unexpected error: %s", tool, args, text(res))
	}
	structured, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	if !jsonEqual(t, structured, []byte(text(res))) {
		t.Fatalf("%s: text content differs from structuredContent:\n%s\n%s", tool, text(res), structured)
	}
	if err := json.Unmarshal(structured, out); err != nil {
		t.Fatalf("%s: decode: %v", tool, err)
	}
}

// fails calls a tool that must return an isError result whose text contains
// every one of wants.
func (f *fixture) fails(t *testing.T, tool string, args map[string]any, wants ...string) string {
	t.Helper()
	res := f.call(t, tool, args)
	if !res.IsError {
		t.Fatalf("%s(%v): want isError, got %s", tool, args, text(res))
	}
	msg := text(res)
	for _, w := range wants {
		if !strings.Contains(msg, w) {
			t.Errorf("%s(%v): error %q does not mention %q", tool, args, msg, w)
		}
	}
	return msg
}

func text(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		return false
	}
	if err := json.Unmarshal(b, &y); err != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}

// validFlag returns create_flag arguments that pass every rule; tests
// change one field at a time.
func validFlag(overrides map[string]any) map[string]any {
	args := map[string]any{
		"flag_type":          "breaking_change",
		"source_agent":       "@backend.api",
		"target_agent":       "@database.postgres",
		"change_description": "The users table gained a JSON preferences column used for personalisation.",
		"action_required":    "Add a GIN index on users.preferences, update the migration checklist and confirm the backup job includes the new column.",
		"impact_level":       "high",
	}
	for k, v := range overrides {
		if v == nil {
			delete(args, k)
			continue
		}
		args[k] = v
	}
	return args
}

// connect starts an in-process mcp-go client on srv and initializes it at
// the latest protocol version; it is closed when the test ends.
func connect(t *testing.T, srv *mcpserver.MCPServer) *client.Client {
	t.Helper()
	ctx := context.Background()
	c, err := client.NewInProcessClient(srv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	req.Params.ClientInfo = mcp.Implementation{Name: "server-test", Version: "1"}
	if _, err := c.Initialize(ctx, req); err != nil {
		t.Fatalf("initialize: %v", err)
	}
	return c
}
