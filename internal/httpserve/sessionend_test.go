package httpserve

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	mcpserver "github.com/mark3labs/mcp-go/server"
)

// sessionServer serves a real mcp-go server whose session-unregister hook
// reaches the Server's SessionEnded, as the CLI wires it; perToken bounds
// the sessions of a token (0: the default).
func sessionServer(t *testing.T, cfg Config, perToken int, hooks *mcpserver.Hooks) (*Server, *mcpserver.MCPServer, *httptest.Server) {
	t.Helper()
	var s *Server
	if hooks == nil {
		hooks = &mcpserver.Hooks{}
	}
	hooks.AddOnUnregisterSession(func(_ context.Context, cs mcpserver.ClientSession) { s.SessionEnded(cs.SessionID()) })
	mcp := mcpserver.NewMCPServer("t", "1", mcpserver.WithHooks(hooks), mcpserver.WithResourceCapabilities(true, true))
	cfg.Addr = "127.0.0.1:1"
	s, err := New(cfg, mcp, fakeTokens{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.sessions.perToken = perToken
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return s, mcp, srv
}

// openStream opens the GET stream of session sid as token; the returned
// channel closes when the stream ends.
func openStream(t *testing.T, base, token, sid string) <-chan struct{} {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", base+Path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
	req.Header.Set("Mcp-Session-Id", sid)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("GET stream: %v %v", err, res)
	}
	ended := make(chan struct{})
	go func() {
		defer res.Body.Close()
		_, _ = io.Copy(io.Discard, res.Body)
		close(ended)
	}()
	return ended
}

const pingBody = `{"jsonrpc":"2.0","id":2,"method":"ping"}`

func deleteSession(t *testing.T, base, sid string) {
	t.Helper()
	req, _ := http.NewRequest("DELETE", base+Path, nil)
	req.Header.Set("Authorization", "Bearer good")
	req.Header.Set("Mcp-Session-Id", sid)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("DELETE: %v %v", err, res)
	}
	res.Body.Close()
}

// A session's GET stream ends with the session, however it ends: it went
// on hearing mcp-go's heartbeats, and never a notification, while every
// POST on the session got 404.
func TestStreamEndsWithItsSession(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cfg    Config
		end    func(t *testing.T, base, sid string) // nil: mcp-go ends it
		within time.Duration
	}{
		{"DELETE", Config{}, deleteSession, 2 * time.Second},
		{"DELETE under --no-auth", Config{NoAuth: true}, deleteSession, 2 * time.Second},
		// No heartbeat within the TTL: mcp-go finds the session idle.
		{"idle TTL", Config{SessionTTL: time.Second, Heartbeat: time.Hour}, nil, 6 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, srv := sessionServer(t, tc.cfg, 0, nil)
			sid := post(t, srv.URL, "", initBody).Header.Get("Mcp-Session-Id")
			ended := openStream(t, srv.URL, "good", sid)
			select {
			case <-ended:
				t.Fatal("the stream ended while its session was live")
			case <-time.After(100 * time.Millisecond):
			}
			if tc.end != nil {
				tc.end(t, srv.URL, sid)
			}
			select {
			case <-ended:
			case <-time.After(tc.within):
				t.Fatal("the stream stayed open after its session ended")
			}
			if got := post(t, srv.URL, sid, pingBody).StatusCode; got != http.StatusNotFound {
				t.Errorf("ping on the ended session: %d, want 404", got)
			}
		})
	}
}
