package httpserve

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/mcp-agents/mcp-agents/internal/auth"
)

func TestBearer(t *testing.T) {
	for h, want := range map[string]string{
		"Bearer mcpa_x": "mcpa_x", "bearer  mcpa_y ": "mcpa_y", "Basic abc": "", "Bearer": "", "Bearer ": "", "": "",
	} {
		got, ok := bearer(h)
		if got != want || ok != (want != "") {
			t.Errorf("bearer(%q) = %q, %v; want %q", h, got, ok, want)
		}
	}
}

// chunked hides the length, as a chunked request body does.
type chunked struct{ io.Reader }

func TestLimitBody(t *testing.T) {
	var seen int
	h := limitBody(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		seen = len(b)
	}))
	for _, tc := range []struct {
		name   string
		size   int
		hide   bool
		status int
	}{
		{"small", 1000, false, 200},
		{"at the bound", MaxBody, true, 200},
		{"declared too large", MaxBody + 1, false, http.StatusRequestEntityTooLarge},
		{"chunked too large", MaxBody + 1, true, http.StatusRequestEntityTooLarge},
	} {
		seen = -1
		var body io.Reader = strings.NewReader(strings.Repeat("x", tc.size))
		if tc.hide {
			body = chunked{body}
		}
		req := httptest.NewRequest("POST", "/mcp", body)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, rec.Code, tc.status)
		}
		if tc.status == 200 && seen != tc.size {
			t.Errorf("%s: handler read %d bytes, want %d", tc.name, seen, tc.size)
		}
		if tc.status != 200 && seen != -1 {
			t.Errorf("%s: the handler ran", tc.name)
		}
	}
}

func TestSessionRecorderBindsBeforeTheHeaderGoesOut(t *testing.T) {
	var bound string
	rec := httptest.NewRecorder()
	w := &sessionRecorder{ResponseWriter: rec, bind: func(id string) { bound = id }}
	var _ http.Flusher = w
	w.Header().Set(mcpserver.HeaderKeySessionID, "s1")
	w.Flush()
	if bound != "s1" || !rec.Flushed {
		t.Fatalf("bound %q, flushed %v", bound, rec.Flushed)
	}
	if http.NewResponseController(w).Flush() != nil {
		t.Fatal("the ResponseController cannot flush through the wrapper")
	}
}

// fakeTokens accepts "good" as the token of @a.b.
type fakeTokens struct{}

func (fakeTokens) Authenticate(_ context.Context, tok string) (auth.Principal, error) {
	if tok == "good" {
		return auth.Principal{TokenID: "tok_1", Agent: "@a.b", Role: auth.RoleAgent}, nil
	}
	if tok == "other" {
		return auth.Principal{TokenID: "tok_2", Agent: "@c.d", Role: auth.RoleAgent}, nil
	}
	return auth.Principal{}, auth.ErrBadToken
}

func (fakeTokens) TouchToken(context.Context, string) error { return nil }

func TestProtocolVersionsAndBinding(t *testing.T) {
	ms := mcpserver.NewMCPServer("t", "1")
	s, err := New(Config{Addr: "127.0.0.1:1"}, ms, fakeTokens{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !s.mcp.SupportsProtocolVersion("2025-03-26") || s.mcp.SupportsProtocolVersion("2026-07-28") {
		t.Fatal("served protocol versions are not 2025-03-26..2025-11-25")
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	post := func(token, session, body string) *http.Response {
		return postAs(t, srv.URL, token, session, body)
	}
	resp := post("good", "", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}`)
	sid := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != 200 || sid == "" {
		t.Fatalf("initialize: %d %q", resp.StatusCode, sid)
	}
	if got := post("other", sid, `{"jsonrpc":"2.0","id":2,"method":"ping"}`).StatusCode; got != http.StatusForbidden {
		t.Fatalf("another token's session: %d", got)
	}
	if got := post("bad", sid, `{"jsonrpc":"2.0","id":2,"method":"ping"}`).StatusCode; got != http.StatusUnauthorized {
		t.Fatalf("bad token: %d", got)
	}
	if got := post("good", sid, `{"jsonrpc":"2.0","id":2,"method":"ping"}`).StatusCode; got != 200 {
		t.Fatalf("owner: %d", got)
	}
}

func TestInitializeOutsideTheServedVersions(t *testing.T) {
	s, err := New(Config{Addr: "127.0.0.1:1", NoAuth: true}, mcpserver.NewMCPServer("t", "1"), nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	// An initialize naming a session starts a new one too, pinned alike.
	for _, session := range []string{"", "mcp-session-unknown"} {
		for asked, want := range map[string]string{"2024-11-05": "2025-11-25", "2025-03-26": "2025-03-26", "2025-06-18": "2025-06-18", "1999-01-01": "2025-11-25"} {
			body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"` + asked + `","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}`
			b, _ := io.ReadAll(postAs(t, srv.URL, "", session, body).Body)
			if !strings.Contains(string(b), `"protocolVersion":"`+want+`"`) {
				t.Errorf("asked %s, session %q: %s, want %s", asked, session, b, want)
			}
		}
	}
}

// A page on another site cannot post to /mcp: a foreign Origin gets 403
// before authentication; the server's own origin, the public URL's and no
// Origin at all (every non-browser client) reach it.
func TestForeignOriginRefused(t *testing.T) {
	s, err := New(Config{Addr: "127.0.0.1:1", PublicURL: "https://mcp.example.com/mcp"},
		mcpserver.NewMCPServer("t", "1"), &roleTokens{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		origin string
		status int
	}{
		{"", http.StatusUnauthorized},
		{srv.URL, http.StatusUnauthorized},
		{"https://mcp.example.com", http.StatusUnauthorized},
		{"https://evil.example", http.StatusForbidden},
		{"null", http.StatusForbidden},
	} {
		req, _ := http.NewRequest("POST", srv.URL+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
		req.Header.Set("Content-Type", "application/json")
		if tc.origin != "" {
			req.Header.Set("Origin", tc.origin)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tc.status {
			t.Errorf("Origin %q: %d, want %d", tc.origin, res.StatusCode, tc.status)
		}
	}
}

// A message other than initialize without a session id gets 400, as the
// specification says; an unknown session id gets 404, which tells a client
// to start a new session.
func TestSessionlessRequests(t *testing.T) {
	s, err := New(Config{Addr: "127.0.0.1:1", NoAuth: true}, mcpserver.NewMCPServer("t", "1"), nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		session, body string
		status        int
	}{
		{"", `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`, http.StatusBadRequest},
		{"", `{"jsonrpc":"2.0","method":"notifications/initialized"}`, http.StatusBadRequest},
		{"mcp-session-unknown", `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`, http.StatusNotFound},
		{"", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}`, http.StatusOK},
	} {
		req, _ := http.NewRequest("POST", srv.URL+"/mcp", strings.NewReader(tc.body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if tc.session != "" {
			req.Header.Set("Mcp-Session-Id", tc.session)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tc.status {
			t.Errorf("session %q, %s: %d, want %d", tc.session, tc.body, res.StatusCode, tc.status)
		}
	}
}

// An MCP-Protocol-Version header this transport does not serve gets 400
// naming the header and the versions served, on every request but
// initialize: mcp-go served 2024-11-05 inside a session, answered it 404
// without one (as if a session had ended), and answered "garbage" with a
// complaint about a _meta field nobody sent.
func TestUnservedVersionHeader(t *testing.T) {
	s, err := New(Config{Addr: "127.0.0.1:1", NoAuth: true}, mcpserver.NewMCPServer("t", "1"), nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	send := func(method, session, version, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+Path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if session != "" {
			req.Header.Set("Mcp-Session-Id", session)
		}
		if version != "" {
			req.Header.Set("Mcp-Protocol-Version", version)
		}
		// A GET that is served is a stream that does not end.
		resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// initialize says its version in its body; a header there is ignored.
	code, _ := send("POST", "", "2024-11-05", initBody)
	resp := post(t, srv.URL, "", initBody)
	sid := resp.Header.Get("Mcp-Session-Id")
	if code != 200 || sid == "" {
		t.Fatalf("initialize with a 2024-11-05 header: %d", code)
	}
	ping := `{"jsonrpc":"2.0","id":2,"method":"ping"}`
	for _, tc := range []struct{ method, session, version string }{
		{"POST", sid, "2024-11-05"},
		{"POST", "", "2024-11-05"},
		{"POST", sid, "garbage"},
		{"POST", sid, "DRAFT-2026-v1"},
		{"POST", sid, "2026-07-28"}, // mcp-go's draft, which this server does not serve
		{"POST", "", "garbage"},     // on initialize too (below)
		{"GET", sid, "2024-11-05"},
		{"DELETE", sid, "1999-01-01"},
	} {
		msg := ping
		if tc.session == "" && tc.version == "garbage" {
			msg = initBody
		}
		code, body := send(tc.method, tc.session, tc.version, msg)
		if code != http.StatusBadRequest || !strings.Contains(body, "unsupported Mcp-Protocol-Version header \""+tc.version+"\"; this server serves 2025-11-25, 2025-06-18, 2025-03-26") {
			t.Errorf("%s (session %t) with version %s: %d %q, want 400 naming the header and the versions served", tc.method, tc.session != "", tc.version, code, body)
		}
	}
	if code, body := send("POST", sid, "2025-06-18", ping); code != 200 {
		t.Errorf("ping with a served version: %d %s", code, body)
	}
}
