package httpserve

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/mcp-agents/mcp-agents/internal/auth"
)

// revocableTokens knows one token, "good", which a test may revoke or give
// an expiry.
type revocableTokens struct {
	mu      sync.Mutex
	revoked bool
	expires time.Time
}

func (rt *revocableTokens) Authenticate(_ context.Context, tok string) (auth.Principal, error) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if tok != "good" || rt.revoked || (!rt.expires.IsZero() && !time.Now().Before(rt.expires)) {
		return auth.Principal{}, auth.ErrBadToken
	}
	return auth.Principal{TokenID: "tok_1", Agent: "@a.b", Role: auth.RoleAgent, Expires: rt.expires}, nil
}

func (*revocableTokens) TouchToken(context.Context, string) error { return nil }

// A GET stream on /mcp, open before its token was revoked or expired, ends:
// it would otherwise go on hearing the inbox's notifications for good.
func TestMCPStreamEndsWhenItsTokenDoes(t *testing.T) {
	defer func(d time.Duration) { streamRecheck = d }(streamRecheck)
	streamRecheck = 20 * time.Millisecond
	for _, tc := range []struct {
		name   string
		expiry time.Duration // 0: no expiry; the token is revoked instead
	}{{"revoked", 0}, {"expired", 300 * time.Millisecond}} {
		t.Run(tc.name, func(t *testing.T) {
			rt := &revocableTokens{}
			if tc.expiry > 0 {
				rt.expires = time.Now().Add(tc.expiry)
			}
			s, err := New(Config{Addr: "127.0.0.1:1"}, mcpserver.NewMCPServer("t", "1"), rt, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(s.Handler())
			defer srv.Close()
			sid := post(t, srv.URL, "", initBody).Header.Get("Mcp-Session-Id")
			req, _ := http.NewRequest("GET", srv.URL+Path, nil)
			req.Header.Set("Authorization", "Bearer good")
			req.Header.Set("Accept", "text/event-stream")
			req.Header.Set("Mcp-Session-Id", sid)
			req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
			res, err := http.DefaultClient.Do(req)
			if err != nil || res.StatusCode != 200 {
				t.Fatalf("GET stream: %v %v", err, res)
			}
			defer res.Body.Close()
			ended := make(chan struct{})
			go func() { io.Copy(io.Discard, res.Body); close(ended) }()
			select {
			case <-ended:
				t.Fatal("the stream ended while its token was good")
			case <-time.After(150 * time.Millisecond):
			}
			if tc.expiry == 0 {
				rt.mu.Lock()
				rt.revoked = true
				rt.mu.Unlock()
			}
			select {
			case <-ended:
			case <-time.After(5 * time.Second):
				t.Fatal("the stream stayed open after its token ended")
			}
		})
	}
}
