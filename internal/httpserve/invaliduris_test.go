package httpserve

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
)

// TestInvalidURIsAnswerInvalidParams: a resources/read of a malformed
// flag:// URI is answered -32602 with the rule, not mcp-go's -32603; the
// request still passes mcp-go's own checks first (a 404 for an unknown
// session, a 403 for a rebinding Host), and other errors stay as they are.
func TestInvalidURIsAnswerInvalidParams(t *testing.T) {
	ms := mcpserver.NewMCPServer("t", "1", mcpserver.WithResourceCapabilities(true, true))
	ms.AddResourceTemplate(mcp.NewResourceTemplate("flag://{id}", "flag"),
		func(context.Context, mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
			return nil, errors.New("the handler's own error")
		})
	s, err := New(Config{Addr: "127.0.0.1:1"}, ms, fakeTokens{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	resp := post(t, srv.URL, "", initBody)
	sid := resp.Header.Get("Mcp-Session-Id")
	read := func(session, uri string, edit func(*http.Request)) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL+Path, strings.NewReader(`{"jsonrpc":"2.0","id":9,"method":"resources/read","params":{"uri":"`+uri+`"}}`))
		req.Header.Set("Authorization", "Bearer good")
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
		req.Header.Set("Mcp-Session-Id", session)
		if edit != nil {
			edit(req)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := read(sid, "flag://-1", nil); code != 200 || !strings.Contains(body, `"code":-32602`) || !strings.Contains(body, `"id":9`) ||
		!strings.Contains(body, "positive integer flag id") {
		t.Errorf("flag://-1: %d %s, want a -32602 answer naming the rule", code, body)
	}
	if code, body := read(sid, "flag://5", nil); !strings.Contains(body, `"code":-32603`) || !strings.Contains(body, "the handler's own error") {
		t.Errorf("flag://5 (well-formed; the handler fails): %d %s, want the handler's error untouched", code, body)
	}
	// The transport's checks answer first: Host not loopback (DNS rebinding).
	if code, body := read(sid, "flag://-1", func(r *http.Request) { r.Host = "evil.example:80" }); code != http.StatusForbidden {
		t.Errorf("flag://-1 with a rebinding Host: %d %s, want 403", code, body)
	}
	// And with no session binding in the way (--no-auth), mcp-go's session check.
	open, err := New(Config{Addr: "127.0.0.1:1", NoAuth: true}, ms, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv2 := httptest.NewServer(open.Handler())
	defer srv2.Close()
	srv.URL = srv2.URL
	if code, body := read("bogus", "flag://-1", nil); code != http.StatusNotFound {
		t.Errorf("flag://-1 on an unknown session: %d %s, want mcp-go's 404", code, body)
	}
}

func TestReplaceErrorInAStream(t *testing.T) {
	answer := []byte(`{"jsonrpc":"2.0","id":9,"error":{"code":-32602,"message":"bad"}}`)
	stream := "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{}}\n\n" +
		"event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":9,\"error\":{\"code\":-32603,\"message\":\"x\"}}\n\n"
	got := string(replaceError([]byte(stream), answer, true))
	want := strings.Replace(stream, `{"jsonrpc":"2.0","id":9,"error":{"code":-32603,"message":"x"}}`, string(answer), 1)
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// A success too: mcp-go answers an unsubscribe from anything {}.
	ok := `{"jsonrpc":"2.0","id":9,"result":{}}` + "\n"
	if got := string(replaceError([]byte(ok), answer, false)); got != string(answer)+"\n" {
		t.Errorf("a success to a refused request was left: %s", got)
	}
	note := `{"jsonrpc":"2.0","method":"notifications/message","params":{}}` + "\n"
	if got := string(replaceError([]byte(note), answer, false)); got != note {
		t.Errorf("a notification was rewritten: %s", got)
	}
}

// TestMisspeltPromptArgument: over HTTP too, a prompts/get whose argument
// no prompt has is answered -32602 naming it (mcp-go dropped it and served
// the prompt without the user's task).
func TestMisspeltPromptArgument(t *testing.T) {
	ms := mcpserver.NewMCPServer("t", "1", mcpserver.WithPromptCapabilities(false))
	ms.AddPrompt(mcp.NewPrompt("a", mcp.WithArgument("task")), func(_ context.Context, req mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
		return mcp.NewGetPromptResult("a", []mcp.PromptMessage{mcp.NewPromptMessage(mcp.RoleUser, mcp.NewTextContent("task="+req.Params.Arguments["task"]))}), nil
	})
	url, sid := session(t, ms)
	for args, want := range map[string]string{
		`{"tsak":"ship it"}`: `{"jsonrpc":"2.0","id":9,"error":{"code":-32602,"message":"prompts/get: unknown argument tsak; did you mean task?"}}`,
		`{"task":"ship it"}`: `task=ship it`,
	} {
		resp := post(t, url, sid, `{"jsonrpc":"2.0","id":9,"method":"prompts/get","params":{"name":"a","arguments":`+args+`}}`)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), want) {
			t.Errorf("prompts/get with %s: %d %s, want %s", args, resp.StatusCode, b, want)
		}
	}
}

// TestRequestNotUTF8: a request that is not UTF-8 is refused before mcp-go
// runs it (400, -32700 with its id, naming the first bad byte); mcp-go's
// decoder would have read U+FFFD and made the call.
func TestRequestNotUTF8(t *testing.T) {
	ms := mcpserver.NewMCPServer("t", "1")
	calls := 0
	ms.AddTool(mcp.NewTool("note"), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		calls++
		return mcp.NewToolResultText("noted"), nil
	})
	url, sid := session(t, ms)
	body := "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{\"name\":\"note\",\"arguments\":{\"text\":\"ok \xff\"}}}"
	resp := post(t, url, sid, body)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want := `{"jsonrpc":"2.0","id":9,"error":{"code":-32700,"message":"Parse error: the message is not valid UTF-8 (byte 94)`
	if resp.StatusCode != http.StatusBadRequest || !strings.HasPrefix(string(b), want) {
		t.Errorf("a request that is not UTF-8: %d %s, want 400 %s…", resp.StatusCode, b, want)
	}
	if calls != 0 {
		t.Errorf("the tool ran %d times for a refused request", calls)
	}
	// A notification, and a request whose id is not UTF-8: 400, with a
	// body that is UTF-8 (the id is answered null).
	for body, want := range map[string]string{
		"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/\xffx\"}":  "Bad Request: the message is not valid UTF-8",
		"{\"jsonrpc\":\"2.0\",\"id\":\"\xfe\",\"method\":\"ping\"}": `{"jsonrpc":"2.0","id":null,"error":{"code":-32700`,
	} {
		resp := post(t, url, sid, body)
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusBadRequest || !utf8.Valid(b) || !strings.HasPrefix(string(b), want) {
			t.Errorf("%q: %d %q, want 400 %s…", body, resp.StatusCode, b, want)
		}
	}
}

// session serves ms over HTTP with a token that is always good and starts
// a session: the server's URL and the session id.
func session(t *testing.T, ms *mcpserver.MCPServer) (url, sid string) {
	t.Helper()
	s, err := New(Config{Addr: "127.0.0.1:1"}, ms, fakeTokens{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return srv.URL, post(t, srv.URL, "", initBody).Header.Get("Mcp-Session-Id")
}
