package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
)

// TestChannelResolvesAliases: --notify may name an agent by one of its
// aliases, as every handle argument may; the flags for that agent (stored
// under its own handle, whether created by its name or by the alias) are
// pushed. Compared as given, the alias matched no flag and nothing was
// ever pushed.
func TestChannelResolvesAliases(t *testing.T) {
	for _, notify := range []string{"@database.pg", "@database.postgres"} {
		t.Run(notify, func(t *testing.T) {
			f := newFixture(t)
			withFeed(t, f)
			f.svc.Notify = []string{notify}
			pushed := make(chan string, 10)
			f.client.OnNotification(func(n mcp.JSONRPCNotification) {
				if n.Method == "notifications/claude/channel" {
					// In process, meta arrives as the Go value sent.
					var meta map[string]string
					raw, _ := json.Marshal(n.Params.AdditionalFields["meta"])
					json.Unmarshal(raw, &meta)
					pushed <- meta["flag_id"]
				}
			})
			stop, err := f.svc.StartChannel(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(stop)

			other := f.create(t, map[string]any{"target_agent": "@frontend.react"})
			byName := f.create(t, map[string]any{"target_agent": "@database.postgres"})
			byAlias := f.create(t, map[string]any{"target_agent": "database.pg"})
			want := map[string]bool{fmt.Sprint(byName.ID): true, fmt.Sprint(byAlias.ID): true}
			for len(want) > 0 {
				select {
				case id := <-pushed:
					if id == fmt.Sprint(other.ID) {
						t.Fatalf("flag %s for @frontend.react pushed with --notify %s", id, notify)
					}
					delete(want, id)
				case <-time.After(5 * time.Second):
					t.Fatalf("--notify %s: flags %v for @database.postgres not pushed within 5s\n%s", notify, want, f.log)
				}
			}
			select {
			case id := <-pushed:
				t.Fatalf("flag %s pushed again or for another agent", id)
			case <-time.After(100 * time.Millisecond):
			}
		})
	}
}
