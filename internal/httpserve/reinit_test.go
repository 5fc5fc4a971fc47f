package httpserve

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
)

// An initialize starts a new session whatever Mcp-Session-Id it carries,
// with tokens as under --no-auth (mcp-go's own behaviour), and the id it
// hands out works: with tokens, one sent on a live session used to answer
// a new id that every later request found unknown (404), so a client
// taking the id from the response, as mcp-go's does, was stuck.
func TestInitializeOnASessionStartsAWorkingOne(t *testing.T) {
	for _, tc := range []struct {
		name   string
		noAuth bool
	}{{"no-auth", true}, {"tokens", false}} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(Config{Addr: "127.0.0.1:1", NoAuth: tc.noAuth}, mcpserver.NewMCPServer("t", "1"), fakeTokens{}, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(s.Handler())
			t.Cleanup(srv.Close)
			send := func(token, session, body string) *http.Response {
				t.Helper()
				if tc.noAuth {
					token = ""
				}
				return postAs(t, srv.URL, token, session, body)
			}
			initialize := func(token, session string) string {
				t.Helper()
				resp := send(token, session, initBody)
				sid := resp.Header.Get("Mcp-Session-Id")
				if resp.StatusCode != 200 || sid == "" || sid == session {
					t.Fatalf("initialize with session %q: %d, session %q; want 200 and a new session", session, resp.StatusCode, sid)
				}
				return sid
			}
			ping := func(token, session string) int {
				t.Helper()
				return send(token, session, `{"jsonrpc":"2.0","id":2,"method":"ping"}`).StatusCode
			}

			s1 := initialize("good", "")
			s2 := initialize("good", s1)
			for _, sid := range []string{s1, s2} {
				if got := ping("good", sid); got != 200 {
					t.Errorf("ping on %s: %d, want 200", sid, got)
				}
			}
			if s3 := initialize("good", "mcp-session-unknown"); ping("good", s3) != 200 {
				t.Errorf("ping on %s, from an initialize naming an unknown session: not 200", s3)
			}

			// mcp-go's client sends its session id with a second
			// initialize and keeps the one the answer gives.
			c, err := client.NewStreamableHttpClient(srv.URL+Path,
				transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer good"}))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			ctx := context.Background()
			if err := c.Start(ctx); err != nil {
				t.Fatal(err)
			}
			req := mcp.InitializeRequest{}
			req.Params.ProtocolVersion = "2025-06-18"
			req.Params.ClientInfo = mcp.Implementation{Name: "reinit", Version: "1"}
			for i := range 2 {
				if _, err := c.Initialize(ctx, req); err != nil {
					t.Fatalf("initialize %d: %v", i+1, err)
				}
				if err := c.Ping(ctx); err != nil {
					t.Fatalf("ping after initialize %d: %v", i+1, err)
				}
			}
			if tc.noAuth {
				return
			}
			// Another token's initialize on s1 starts its own session and
			// takes nothing of s1's.
			s4 := initialize("other", s1)
			for _, c := range []struct {
				token, session string
				want           int
			}{{"other", s4, 200}, {"good", s4, 403}, {"other", s1, 403}, {"good", s1, 200}} {
				if got := ping(c.token, c.session); got != c.want {
					t.Errorf("ping by %s on %s: %d, want %d", c.token, c.session, got, c.want)
				}
			}
		})
	}
}
