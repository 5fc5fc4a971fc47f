package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-agents/mcp-agents/internal/live"
	"github.com/mcp-agents/mcp-agents/internal/server"
	"github.com/mcp-agents/mcp-agents/internal/store"
)

func TestWaitSecondsIsChecked(t *testing.T) {
	f := newFixture(t)
	for _, v := range []any{-1, 51, 1.5} {
		f.fails(t, "get_agent_flags", map[string]any{"agent": "@ops.containers", "wait_seconds": v}, "wait_seconds")
	}
	// Without a change feed there is nothing to wait on: the answer comes at once.
	start := time.Now()
	var out server.AgentFlagsOutput
	f.ok(t, "get_agent_flags", map[string]any{"agent": "@ops.containers", "wait_seconds": 50}, &out)
	if len(out.Flags) != 0 || time.Since(start) > 10*time.Second {
		t.Fatalf("without a feed: %+v after %v", out, time.Since(start))
	}
}

func TestWaitEndsWhenAFlagArrives(t *testing.T) {
	f := newFixture(t)
	withFeed(t, f)
	other, err := store.Open(context.Background(), f.store.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	type result struct {
		out server.AgentFlagsOutput
		err error
	}
	wait := func(ctx context.Context, agent string) <-chan result {
		done := make(chan result, 1)
		go func() {
			req := mcp.CallToolRequest{}
			req.Params.Name = "get_agent_flags"
			req.Params.Arguments = map[string]any{"agent": agent, "wait_seconds": 30}
			res, err := f.client.CallTool(ctx, req)
			var r result
			r.err = err
			if err == nil {
				r.err = jsonOut(res, &r.out)
			}
			done <- r
		}()
		return done
	}
	done := wait(context.Background(), "@database.postgres")
	time.Sleep(100 * time.Millisecond)
	// A flag for someone else does not end the wait.
	if _, err := other.CreateFlag(context.Background(), newFlagFor("@frontend.react")); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		t.Fatalf("the wait ended on another agent's flag: %+v", r)
	case <-time.After(200 * time.Millisecond):
	}
	created, err := other.CreateFlag(context.Background(), newFlagFor("@database.postgres"))
	if err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		if r.err != nil || len(r.out.Flags) != 1 || r.out.Flags[0].ID != created.ID {
			t.Fatalf("wait returned %+v, want flag %d", r, created.ID)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the wait did not end when a flag arrived")
	}

	// Cancelling the call ends its wait.
	ctx, cancel := context.WithCancel(context.Background())
	done = wait(ctx, "@ops.containers")
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a cancelled wait went on")
	}
}

func newFlagFor(target string) store.NewFlag {
	return store.NewFlag{
		FlagType: "change", SourceAgent: "@backend.api", TargetAgent: target,
		ChangeDescription: "The orders API now returns amounts in minor units instead of decimal strings.",
		ActionRequired:    "Update every consumer of /orders to read amount_minor, divide by 100 for display, and remove the decimal parsing helpers.",
	}
}

func jsonOut(res *mcp.CallToolResult, out any) error {
	if res.IsError {
		return errors.New(text(res))
	}
	return json.Unmarshal([]byte(text(res)), out)
}

// The subscribe hook skips requests that cannot be a subscription without
// decoding them; a method spelt with \u escapes is one all the same.
func TestSubscribeToNonInboxIsRefused(t *testing.T) {
	srv, _ := newFuzzServer(t)
	for _, method := range []string{`resources/subscribe`, `resources/\u0073ubscribe`, `\u0072esources\/subscrib\u0065`} {
		msg := `{"jsonrpc":"2.0","id":7,"method":"` + method + `","params":{"uri":"agents://catalog"}}`
		resp := srv.HandleMessage(context.Background(), json.RawMessage(msg))
		e, ok := resp.(mcp.JSONRPCError)
		if !ok || !strings.Contains(e.Error.Message, "not an inbox") {
			t.Errorf("%s: %#v, want a refusal naming the URI as not an inbox", method, resp)
		}
	}
}

// With MaxWaits (stdio's pool of workers), a wait beyond the bound answers
// at once with what there is, so waits never take every worker.
func TestWaitsBeyondMaxWaitsAnswerAtOnce(t *testing.T) {
	f := newFixture(t)
	withFeed(t, f)
	f.svc.MaxWaits = 2
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	call := func(ctx context.Context) error {
		req := mcp.CallToolRequest{}
		req.Params.Name = "get_agent_flags"
		req.Params.Arguments = map[string]any{"agent": "@database.postgres", "wait_seconds": 30}
		_, err := f.client.CallTool(ctx, req)
		return err
	}
	waiting := make(chan error, 2)
	for range 2 {
		go func() { waiting <- call(ctx) }()
	}
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	if err := call(context.Background()); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("a third wait with MaxWaits 2 answered after %v, want at once", took)
	}
	select {
	case err := <-waiting:
		t.Fatalf("a wait within the bound ended early: %v", err)
	default:
	}
	cancel()
	<-waiting
	<-waiting
}

// withFeed gives the fixture's service the store's change feed, polled
// every 10 ms, so that get_agent_flags can wait.
func withFeed(t *testing.T, f *fixture) {
	t.Helper()
	feed, err := f.store.ChangeFeed()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { feed.Close() })
	f.svc.Feed = live.NewDetector(feed, live.DetectorOptions{Period: 10 * time.Millisecond})
}
