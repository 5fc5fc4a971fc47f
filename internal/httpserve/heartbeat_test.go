package httpserve

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	mcpserver "github.com/mark3labs/mcp-go/server"
)

// post sends one JSON-RPC message to /mcp as the "good" token.
func post(t *testing.T, base, session, body string) *http.Response {
	t.Helper()
	return postAs(t, base, "good", session, body)
}

// postAs sends one JSON-RPC message to /mcp with token ("": none) and
// session ("": none).
func postAs(t *testing.T, base, token, session, body string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", base+Path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
	if session != "" {
		req.Header.Set("Mcp-Session-Id", session)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

const initBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}`

// TestHeartbeatAndIdleSessions: an idle GET stream hears a ping every
// heartbeat, which keeps its session alive past the TTL; once the stream
// is gone, the session idle past its TTL is dropped (404), in mcp-go and in
// the session bindings alike.
func TestHeartbeatAndIdleSessions(t *testing.T) {
	// Generous against a loaded machine: a heartbeat is due every 100 ms.
	const ttl = 2 * time.Second
	s, err := New(Config{Addr: "127.0.0.1:1", Heartbeat: 100 * time.Millisecond, SessionTTL: ttl},
		mcpserver.NewMCPServer("t", "1"), fakeTokens{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	initialize := func() string {
		t.Helper()
		resp := post(t, srv.URL, "", initBody)
		sid := resp.Header.Get("Mcp-Session-Id")
		if resp.StatusCode != 200 || sid == "" {
			t.Fatalf("initialize: %d %q", resp.StatusCode, sid)
		}
		return sid
	}
	ping := `{"jsonrpc":"2.0","id":2,"method":"ping"}`
	sid := initialize()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+Path, nil)
	req.Header.Set("Authorization", "Bearer good")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
	req.Header.Set("Mcp-Session-Id", sid)
	stream, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	if stream.StatusCode != 200 {
		t.Fatalf("GET stream: %d", stream.StatusCode)
	}
	pings := make(chan struct{}, 1000)
	go func() {
		sc := bufio.NewScanner(stream.Body)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "data: ") && strings.Contains(sc.Text(), `"method":"ping"`) {
				pings <- struct{}{}
			}
		}
	}()
	for i := range 3 {
		select {
		case <-pings:
		case <-time.After(5 * time.Second):
			t.Fatalf("no heartbeat on an idle GET stream within 5 s (%d so far)", i)
		}
	}

	// The stream stays open, unanswered, well past the TTL and the sweeps
	// (a later initialize runs the bindings' sweep): the session lives.
	time.Sleep(2*ttl + time.Second)
	initialize()
	if got := post(t, srv.URL, sid, ping).StatusCode; got != 200 {
		t.Fatalf("ping on a session whose GET stream stayed open past the TTL: %d, want 200", got)
	}

	// The client goes away: idle past the TTL, the session is dropped.
	cancel()
	time.Sleep(2*ttl + time.Second)
	initialize()
	if got := post(t, srv.URL, sid, ping).StatusCode; got != http.StatusNotFound {
		t.Fatalf("ping on a session idle past its TTL: %d, want 404", got)
	}
	s.sessions.mu.Lock()
	_, kept := s.sessions.m[sid]
	s.sessions.mu.Unlock()
	if kept {
		t.Error("the session's binding outlived the session")
	}
}
