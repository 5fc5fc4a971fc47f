package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client/transport"
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

// Unsubscribing an inbox by any of its spellings or names ends the
// session's subscriptions to it, every spelling: only the URI exactly as
// subscribed did, and the others kept firing after an empty answer (found
// by a black-box audit). A subscription to another inbox goes on.
func TestUnsubscribeEndsEverySpellingOfAnInbox(t *testing.T) {
	const bystander = "flags://inbox/frontend.react"
	for _, tc := range []struct {
		name   string
		subs   []string
		unsub  string
		target string
	}{
		{"the spelling subscribed", []string{"flags://inbox/ops.containers", "flags://inbox/@OPS.containers"}, "flags://inbox/ops.containers", "@ops.containers"},
		{"another spelling", []string{"flags://inbox/ops.containers", "flags://inbox/@OPS.containers"}, "flags://inbox/OPS.CONTAINERS", "@ops.containers"},
		{"the name for an alias", []string{"flags://inbox/database.pg", "flags://inbox/@Database.Postgres"}, "flags://inbox/database.postgres", "@database.postgres"},
		{"an alias for the name", []string{"flags://inbox/@database.postgres"}, "flags://inbox/@DATABASE.PG", "@database.postgres"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			withFeed(t, f)
			notes := make(chan string, 100)
			f.client.OnNotification(func(n mcp.JSONRPCNotification) {
				if n.Method == string(mcp.MethodNotificationResourceUpdated) {
					uri, _ := n.Params.AdditionalFields["uri"].(string)
					notes <- uri
				}
			})
			var nextID atomic.Int64
			request := func(method, uri string) {
				t.Helper()
				resp, err := f.client.GetTransport().SendRequest(context.Background(), transport.JSONRPCRequest{
					JSONRPC: mcp.JSONRPC_VERSION, ID: mcp.NewRequestId(nextID.Add(1) + 100),
					Method: method, Params: map[string]any{"uri": uri},
				})
				if err != nil || resp.Error != nil {
					t.Fatalf("%s %s: %v %+v", method, uri, err, resp)
				}
			}
			// updates creates a flag for the target and then one for the
			// bystander, and returns the URIs updated until the
			// bystander's update and a little after.
			updates := func() map[string]int {
				t.Helper()
				for _, target := range []string{tc.target, "@frontend.react"} {
					if _, err := f.store.CreateFlag(context.Background(), newFlagFor(target)); err != nil {
						t.Fatal(err)
					}
				}
				seen := map[string]int{}
				deadline := time.After(10 * time.Second)
				var settle <-chan time.Time
				for {
					select {
					case uri := <-notes:
						seen[uri]++
						if uri == bystander && settle == nil {
							settle = time.After(300 * time.Millisecond)
						}
					case <-settle:
						return seen
					case <-deadline:
						t.Fatalf("no update for %s within 10 s; saw %v", bystander, seen)
					}
				}
			}
			for _, uri := range append(tc.subs, bystander) {
				request(string(mcp.MethodResourcesSubscribe), uri)
			}
			seen := updates()
			for _, uri := range append(tc.subs, bystander) {
				if seen[uri] != 1 {
					t.Fatalf("before unsubscribing: updates %v, want one for each of %v", seen, append(tc.subs, bystander))
				}
			}
			request(string(mcp.MethodResourcesUnsubscribe), tc.unsub)
			if seen := updates(); len(seen) != 1 || seen[bystander] != 1 {
				t.Fatalf("after unsubscribing %s: updates %v, want only %s's", tc.unsub, seen, bystander)
			}
		})
	}
}
