package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
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

// TestChannelRemovesEscapeSequencesWhole: a push reaches the model with a
// flag's escape sequences gone whole, as the board and prompts show them;
// removing only their ESC left "[31m" and "]0;" in the text.
func TestChannelRemovesEscapeSequencesWhole(t *testing.T) {
	f := newFixture(t)
	withFeed(t, f)
	f.svc.Notify = []string{"@database.postgres"}
	pushed := make(chan string, 10)
	f.client.OnNotification(func(n mcp.JSONRPCNotification) {
		if n.Method == "notifications/claude/channel" {
			c, _ := n.Params.AdditionalFields["content"].(string)
			pushed <- c
		}
	})
	stop, err := f.svc.StartChannel(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)

	// The second's first line is nothing but escape sequences: the push
	// quotes the next, where it quoted "".
	for _, change := range []string{
		"\x1b[31mred\x1b[0m alert: \x1b]0;pwned\x07the users table gained a JSON preferences column.",
		"\x1b[2J\x1b[H\nred alert: the users table gained a JSON preferences column.",
	} {
		f.create(t, map[string]any{"change_description": change})
		select {
		case c := <-pushed:
			if !strings.Contains(c, `"red alert: the users table gained a JSON preferences column."`) {
				t.Errorf("the push does not quote the change without its escape sequences:\n%s", c)
			}
			for _, rest := range []string{"[31m", "[0m", "]0;", "pwned", "[2J", "[H"} {
				if strings.Contains(c, rest) {
					t.Errorf("the push keeps %q of an escape sequence:\n%s", rest, c)
				}
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no push within 5s\n%s", f.log)
		}
	}
}
