package httpserve

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
)

// lockedBuffer is a log destination the handlers of several requests share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// One token holds a bounded number of live sessions: an initialize past
// the bound ends its least recently used one (one with a GET stream open
// is in use), in mcp-go too (no notification reaches it, the unregister
// hook that drops its inbox subscriptions runs), and logs a warning naming
// the token; one token looping initialize, never DELETEing, held
// thousands, each queueing notifications nobody read. Another token's
// sessions are untouched.
func TestSessionsPerTokenBounded(t *testing.T) {
	var mu sync.Mutex
	unregistered := map[string]bool{}
	hooks := &mcpserver.Hooks{}
	hooks.AddOnUnregisterSession(func(_ context.Context, cs mcpserver.ClientSession) {
		mu.Lock()
		defer mu.Unlock()
		unregistered[cs.SessionID()] = true
	})
	var log lockedBuffer
	hs, mcpSrv, srv := sessionServer(t, Config{Log: slog.New(slog.NewTextHandler(&log, nil))}, 3, hooks)
	initialize := func(token string) string {
		t.Helper()
		res := postAs(t, srv.URL, token, "", initBody)
		sid := res.Header.Get("Mcp-Session-Id")
		if res.StatusCode != 200 || sid == "" {
			t.Fatalf("initialize as %s: %d %q", token, res.StatusCode, sid)
		}
		return sid
	}
	// reaches says whether a resources/updated would reach the session, as
	// the inbox sends it; it does not touch the session.
	reaches := func(sid string) bool {
		return mcpSrv.SendNotificationToSpecificClient(sid, string(mcp.MethodNotificationResourceUpdated), map[string]any{"uri": "flags://inbox/a.b"}) == nil
	}
	other := initialize("other")
	s1 := initialize("good")
	openStream(t, srv.URL, "good", s1) // in use while its stream is open
	s2, s3 := initialize("good"), initialize("good")
	time.Sleep(10 * time.Millisecond) // s2's use after s3's, measurably
	if got := postAs(t, srv.URL, "good", s2, pingBody).StatusCode; got != 200 {
		t.Fatalf("ping on s2: %d", got)
	}
	if !reaches(s3) {
		t.Fatal("s3 is not live before the bound is reached")
	}
	s4 := initialize("good")
	if reaches(s3) || !reaches(s2) {
		t.Fatalf("after one initialize past the bound: s3 reached %v (want false), s2 reached %v (want true)", reaches(s3), reaches(s2))
	}
	s5 := initialize("good") // s2 goes
	s6 := initialize("good") // s4

	for _, tc := range []struct {
		name, token, session string
		live                 bool
	}{
		{"the other token's", "other", other, true},
		{"s1, with a stream open", "good", s1, true},
		{"s2", "good", s2, false},
		{"s3", "good", s3, false},
		{"s4", "good", s4, false},
		{"s5", "good", s5, true},
		{"s6", "good", s6, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := reaches(tc.session); got != tc.live {
				t.Errorf("a notification reaches it: %v, want %v", got, tc.live)
			}
			mu.Lock()
			if unregistered[tc.session] == tc.live {
				t.Errorf("unregistered in mcp-go: %v, live %v", unregistered[tc.session], tc.live)
			}
			mu.Unlock()
			res := postAs(t, srv.URL, tc.token, tc.session, pingBody)
			body, _ := io.ReadAll(res.Body)
			if tc.live {
				if res.StatusCode != 200 {
					t.Errorf("ping: %d %s, want 200", res.StatusCode, body)
				}
			} else if res.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "session not found") {
				t.Errorf("ping: %d %s, want 404 session not found", res.StatusCode, body)
			}
			if !tc.live {
				// Ended in the transport as by a DELETE, not only
				// unregistered: its state there goes with it.
				req := httptest.NewRequest("POST", Path, strings.NewReader(pingBody))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Accept", "application/json, text/event-stream")
				req.Header.Set("Mcp-Session-Id", tc.session)
				rec := httptest.NewRecorder()
				hs.mcp.ServeHTTP(rec, req)
				if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "Session terminated") {
					t.Errorf("ping past the bindings, to mcp-go: %d %s, want 404 Session terminated", rec.Code, rec.Body)
				}
			}
		})
	}
	if n := strings.Count(log.String(), "token=tok_1"); n != 1 {
		t.Errorf("%d warnings naming tok_1, want 1 (at most one a minute):\n%s", n, log.String())
	}
	if strings.Contains(log.String(), "tok_2") {
		t.Errorf("a warning names tok_2:\n%s", log.String())
	}
}

// A session ended for its token's bound ends its GET stream too, when all
// of the token's sessions have one open.
func TestSessionOverTheBoundEndsItsStream(t *testing.T) {
	_, _, srv := sessionServer(t, Config{}, 1, nil)
	s1 := post(t, srv.URL, "", initBody).Header.Get("Mcp-Session-Id")
	stream := openStream(t, srv.URL, "good", s1)
	if res := post(t, srv.URL, "", initBody); res.StatusCode != 200 {
		t.Fatalf("initialize: %d", res.StatusCode)
	}
	select {
	case <-stream:
	case <-time.After(2 * time.Second):
		t.Fatal("the GET stream stayed open after its session ended")
	}
	if got := post(t, srv.URL, s1, pingBody).StatusCode; got != http.StatusNotFound {
		t.Errorf("ping on the ended session: %d, want 404", got)
	}
}
