package stdio

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

func TestResponseID(t *testing.T) {
	for _, tc := range []struct {
		msg  string
		id   string
		resp bool
	}{
		{`{"jsonrpc":"2.0","id":7,"result":{}}`, "7", true},
		{`{"jsonrpc":"2.0","id":7.0,"error":{"code":-1,"message":"x"}}`, "7", true},
		{`{"jsonrpc":"2.0","id":"a\"b","result":{"method":"x"}}` + "\n", `"a\"b"`, true},
		{`{"result":{"id":1,"method":"x"},"id":2,"jsonrpc":"2.0"}`, "2", true},
		{`{"id":3,"_meta":{"method":"x"},"error":{}}`, "3", true},
		{`{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}`, "null", true},
		{`{"jsonrpc":"2.0","method":"notifications/message","params":{"id":3}}`, "", false},
		{`{"jsonrpc":"2.0","id":4,"method":"sampling/createMessage"}`, "", false},
		{`not json`, "", false},
		// The shapes mcp-go writes, read without a decoder, and their near misses.
		{`{"jsonrpc":"2.0","id":-12,"result":{}}`, "-12", true},
		{`{"jsonrpc":"2.0","id":0,"error":{"code":-1,"message":"x"}}`, "0", true},
		{`{"jsonrpc":"2.0","id":-0,"result":{}}`, "0", true},
		{`{"jsonrpc":"2.0","id":1e2,"result":{}}`, "100", true},
		{`{"jsonrpc":"2.0","id":12345678901234567,"result":{}}`, "12345678901234568", true},
		{`{"jsonrpc":"2.0","id":"7","result":{}}`, `"7"`, true},
		{`{"jsonrpc":"2.0","id":5,"params":{},"method":"roots/list"}`, "", false},
		{`{"jsonrpc":"2.0","id":5,"resultx":{}}`, "", false},
	} {
		id, ok := responseID([]byte(tc.msg))
		if id != tc.id || ok != tc.resp {
			t.Errorf("responseID(%s) = %q, %v; want %q, %v", tc.msg, id, ok, tc.id, tc.resp)
		}
	}
}

func TestExpect(t *testing.T) {
	for _, tc := range []struct {
		line    string
		pending int
	}{
		{`{"jsonrpc":"2.0","id":1,"method":"ping"}`, 1},
		{`{"jsonrpc":"2.0","id":"x","method":"tools/call","params":{"id":9}}`, 1},
		{`{"jsonrpc":"1.0","id":1,"method":"ping"}`, 1}, // mcp-go answers: wrong version
		{`{"jsonrpc":"2.0","method":"notifications/initialized"}`, 0},
		{`{"jsonrpc":"2.0","id":null,"method":"ping"}`, 0},
		{`{"jsonrpc":"2.0","id":1,"result":{}}`, 0},
		// A client's error response is not handed to mcp-go, which would
		// answer it (-1: dropped).
		{`{"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"no"}}`, -1},
		{`{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"no"}}`, -1},
		{`[{"jsonrpc":"2.0","id":1,"method":"ping"}]`, 0}, // answered at once by mcp-go
		{`garbage`, 0},
		{`{"jsonrpc":"2.0","id":2,"method":"ping","result":null,"error":null}`, 1},
		// Answered with a null id: at once when the read loop cannot decode
		// the method, later when only HandleMessage cannot decode jsonrpc.
		{`{"jsonrpc":"2.0","id":5,"method":5}`, 0},
		{`{"jsonrpc":"2.0","id":5,"method":["ping"]}`, 0},
		{`{"jsonrpc":2,"id":5,"method":"ping"}`, 1},
		{`{"jsonrpc":{"v":"2.0"},"id":"x","method":"tools/call"}`, 1},
		{`{"jsonrpc":null,"id":5,"method":"ping"}`, 1}, // wrong version, answered with its id
	} {
		var o output
		if handOver := o.expect([]byte(tc.line)); handOver != (tc.pending >= 0) {
			t.Errorf("expect(%s) handed over: %v", tc.line, handOver)
		}
		if o.n != max(tc.pending, 0) {
			t.Errorf("expect(%s): %d pending, want %d", tc.line, o.n, tc.pending)
		}
	}
}

func TestLeadingID(t *testing.T) {
	for _, tc := range []struct {
		prefix string
		want   any
	}{
		{`{"jsonrpc":"2.0","id":12,"method":"tools/call","params":{"x":"yyyy`, 12.0},
		{`{"method":"tools/call","id":"a","params":{"x":"yyyy`, "a"},
		{`{"method":"tools/call","params":{"x":"yyyy`, nil},
		{`["not an object"`, nil},
	} {
		if got := leadingID([]byte(tc.prefix)); got != tc.want {
			t.Errorf("leadingID(%s) = %v, want %v", tc.prefix, got, tc.want)
		}
	}
}

// FuzzAnswerMatchesRequest holds the invariant that keeps Serve from waiting
// forever at the end of input: whatever the id, version and method, the
// answer mcp-go writes to a request that expect counted strikes it off.
func FuzzAnswerMatchesRequest(f *testing.F) {
	for _, id := range []string{`1`, `-7`, `1.5`, `1e2`, `-0`, `0.0`, `12345678901234567890`, `9007199254740993`, `"s"`, `"\u00e9"`, `true`, `{"a":1,"b":[2]}`, `[1]`, `null`, `1E400`} {
		for _, method := range []string{`"ping"`, `"tools/call"`, `"no/such"`, `5`, `["ping"]`, `null`} {
			for _, version := range []string{`"2.0"`, `2`, `"1.0"`, `null`, `{}`} {
				f.Add(id, version, method)
			}
		}
	}
	srv := server.NewMCPServer("fuzz", "1", server.WithToolCapabilities(false))
	srv.AddTool(mcp.NewTool("noop"), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText("ok"), nil
	})
	f.Fuzz(func(t *testing.T, id, version, method string) {
		line := []byte(`{"jsonrpc":` + version + `,"id":` + id + `,"method":` + method + `,"params":{"name":"noop"}}`)
		if !json.Valid(line) {
			return
		}
		var o output
		o.expect(line)
		resp := srv.HandleMessage(context.Background(), line)
		if resp != nil {
			b, err := json.Marshal(resp)
			if err != nil {
				t.Fatal(err)
			}
			if id, ok := responseID(b); ok {
				o.answered(id)
			}
		}
		if o.n != 0 {
			t.Errorf("request %s answered %v, yet %d request(s) still counted as unanswered", line, resp, o.n)
		}
	})
}

// BenchmarkResponseID reads the id of a search answer's size, as every
// answer written goes through it.
func BenchmarkResponseID(b *testing.B) {
	msg := []byte(`{"jsonrpc":"2.0","id":1234,"result":{"content":[{"type":"text","text":"` + strings.Repeat("x", 4000) + `"}]}}` + "\n")
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := responseID(msg); !ok {
			b.Fatal("no id")
		}
	}
}
