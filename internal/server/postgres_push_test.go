package server_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/mcp-agents/mcp-agents/internal/agent"
	"github.com/mcp-agents/mcp-agents/internal/live"
	"github.com/mcp-agents/mcp-agents/internal/search"
	"github.com/mcp-agents/mcp-agents/internal/server"
	"github.com/mcp-agents/mcp-agents/internal/store/pgtest"
	"github.com/mcp-agents/mcp-agents/internal/store/postgres"
)

// pgReplica is one server process on a shared PostgreSQL database: its
// own pool, change feed and Detector, behind mcp-go's in-process client,
// every notification kept.
type pgReplica struct {
	store  *postgres.Store
	client *client.Client
	notes  chan mcp.JSONRPCNotification
}

func startPGReplica(t *testing.T, url string, notify ...string) *pgReplica {
	t.Helper()
	ctx := context.Background()
	st, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	feed, err := st.ChangeFeed(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { feed.Close() })
	cat, _, err := agent.Load(ctx, []agent.Source{{Label: "test", Root: "fixture", FS: fixtureAgents}})
	if err != nil {
		t.Fatal(err)
	}
	svc := &server.Service{
		Catalog: cat, Search: search.NewIndex(cat.All()), Flags: st, Notify: notify,
		Feed: live.NewDetector(feed, live.DetectorOptions{}), // the default period, as served
	}
	srv := server.New(svc, "test", mcpserver.WithOutputSchemaValidation())
	stopChannel, err := svc.StartChannel(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stopChannel)
	c, err := client.NewInProcessClient(srv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	r := &pgReplica{store: st, client: c, notes: make(chan mcp.JSONRPCNotification, 100)}
	c.OnNotification(func(n mcp.JSONRPCNotification) { r.notes <- n })
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	req.Params.ClientInfo = mcp.Implementation{Name: "pg-replica-test", Version: "1"}
	req.Params.Capabilities.Experimental = map[string]any{"claude/channel": map[string]any{}}
	if _, err := c.Initialize(ctx, req); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *pgReplica) subscribe(t *testing.T, uri string) {
	t.Helper()
	resp, err := r.client.GetTransport().SendRequest(context.Background(), transport.JSONRPCRequest{
		JSONRPC: mcp.JSONRPC_VERSION, ID: mcp.NewRequestId(int64(900)),
		Method: string(mcp.MethodResourcesSubscribe), Params: map[string]any{"uri": uri},
	})
	if err != nil || resp.Error != nil {
		t.Fatalf("subscribe %s: %v %+v", uri, err, resp)
	}
}

func (r *pgReplica) createFlag(t *testing.T, target string) int64 {
	t.Helper()
	f, err := r.store.CreateFlag(context.Background(), newFlagFor(target))
	if err != nil {
		t.Fatal(err)
	}
	return f.ID
}

// next waits up to within for a notification of method, skipping others.
func (r *pgReplica) next(t *testing.T, method string, within time.Duration) mcp.JSONRPCNotification {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case n := <-r.notes:
			if n.Method == method {
				return n
			}
		case <-deadline:
			t.Fatalf("no %s within %s", method, within)
		}
	}
}

// TestPostgresPushAcrossReplicas: what one replica commits reaches the
// clients of another as it does between SQLite processes — the inbox
// subscription's resources/updated within 500 ms, the channel message,
// the end of a wait — and a lease running out by the database's clock.
func TestPostgresPushAcrossReplicas(t *testing.T) {
	url := pgtest.URL(t)
	a := startPGReplica(t, url, "@database.postgres")
	b := startPGReplica(t, url)
	const uri = "flags://inbox/@database.postgres"
	a.subscribe(t, uri)

	start := time.Now()
	id := b.createFlag(t, "@database.postgres")
	n := a.next(t, string(mcp.MethodNotificationResourceUpdated), 500*time.Millisecond)
	if got, _ := n.Params.AdditionalFields["uri"].(string); got != uri {
		t.Fatalf("resources/updated for %q, want %q", got, uri)
	}
	t.Logf("resources/updated %s after the commit on the other replica", time.Since(start).Round(time.Millisecond))
	ch := a.next(t, "notifications/claude/channel", 2*time.Second)
	var meta map[string]string
	if raw, err := json.Marshal(ch.Params.AdditionalFields["meta"]); err != nil || json.Unmarshal(raw, &meta) != nil || meta["flag_id"] != strconv.FormatInt(id, 10) {
		t.Fatalf("channel message %+v, want flag %d", ch.Params.AdditionalFields, id)
	}

	// A lease taken on B: one update when taken, one when it runs out.
	if _, err := b.store.LockFlag(context.Background(), id, "@backend.go", time.Second); err != nil {
		t.Fatal(err)
	}
	a.next(t, string(mcp.MethodNotificationResourceUpdated), 2*time.Second)
	a.next(t, string(mcp.MethodNotificationResourceUpdated), 5*time.Second)

	// A wait on A ends when B creates a flag for that agent.
	done := make(chan pgWaitResult, 1)
	go func() {
		req := mcp.CallToolRequest{}
		req.Params.Name = "get_agent_flags"
		req.Params.Arguments = map[string]any{"agent": "@frontend.react", "wait_seconds": 30}
		res, err := a.client.CallTool(context.Background(), req)
		var r pgWaitResult
		if r.err = err; err == nil {
			r.err = jsonOut(res, &r.out)
		}
		done <- r
	}()
	time.Sleep(200 * time.Millisecond)
	waited := b.createFlag(t, "@frontend.react")
	select {
	case r := <-done:
		if r.err != nil || len(r.out.Flags) != 1 || r.out.Flags[0].ID != waited {
			t.Fatalf("wait returned %+v, want flag %d", r, waited)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the wait did not end when another replica created a flag")
	}
}

type pgWaitResult struct {
	out server.AgentFlagsOutput
	err error
}
