package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// The test binary doubles as a scripted JSON-RPC server when this variable is
// set, so the client is exercised over a real pipe without network or builds.
const fakeServerEnv = "STDIOBENCH_FAKE_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(fakeServerEnv) == "1" {
		fakeServer()
		return
	}
	os.Exit(m.Run())
}

// fakeServer answers initialize and tools/call, but first sends a
// notification and a ping request before each answer, as a real server may.
func fakeServer() {
	in := bufio.NewScanner(os.Stdin)
	out := json.NewEncoder(os.Stdout)
	fmt.Fprintln(os.Stderr, "fake server starting")
	for in.Scan() {
		var req struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
			Params struct {
				Name      string         `json:"name"`
				Arguments map[string]any `json:"arguments"`
			} `json:"params"`
		}
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			fmt.Fprintln(os.Stderr, "bad request:", err)
			os.Exit(2)
		}
		if len(req.ID) == 0 {
			continue
		}
		_ = out.Encode(map[string]any{"jsonrpc": "2.0", "method": "notifications/message", "params": map[string]any{"level": "info"}})
		_ = out.Encode(map[string]any{"jsonrpc": "2.0", "id": "srv-1", "method": "ping"})
		if !in.Scan() || !strings.Contains(in.Text(), `"srv-1"`) {
			fmt.Fprintln(os.Stderr, "ping was not answered")
			os.Exit(3)
		}
		resp := map[string]any{"jsonrpc": "2.0", "id": req.ID}
		switch {
		case req.Method == "initialize":
			resp["result"] = map[string]any{"protocolVersion": protocolVersion}
		case req.Method != "tools/call":
			resp["error"] = map[string]any{"code": -32601, "message": "no such method"}
		case req.Params.Name == "crash":
			fmt.Fprintln(os.Stderr, "fake server crashing on purpose")
			os.Exit(1)
		case req.Params.Name == "structured":
			resp["result"] = map[string]any{
				"content":           []any{map[string]any{"type": "text", "text": "created"}},
				"structuredContent": map[string]any{"flag": map[string]any{"id": 42}},
			}
		case req.Params.Name == "text_json":
			resp["result"] = map[string]any{
				"content": []any{map[string]any{"type": "text", "text": `{"flag":{"id":"f-7"}}`}},
			}
		default:
			resp["result"] = map[string]any{
				"isError": true,
				"content": []any{map[string]any{"type": "text", "text": "unknown tool " + req.Params.Name}},
			}
		}
		_ = out.Encode(resp)
	}
}

func startFake(t *testing.T) *client {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(fakeServerEnv, "1")
	c, err := spawn(exe)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.initialize(); err != nil {
		t.Fatalf("initialize: %v", err)
	}
	return c
}

func TestClientToolCalls(t *testing.T) {
	c := startFake(t)
	defer func() {
		if err := c.close(); err != nil {
			t.Errorf("close: %v", err)
		}
	}()

	tests := []struct {
		tool    string
		isError bool
		wantID  any // nil: no flag id expected
	}{
		{tool: "structured", wantID: float64(42)},
		{tool: "text_json", wantID: "f-7"},
		{tool: "nope", isError: true},
	}
	for _, tc := range tests {
		t.Run(tc.tool, func(t *testing.T) {
			t0 := time.Now()
			r, err := c.callTool(tc.tool, map[string]any{})
			if err != nil {
				t.Fatal(err)
			}
			if !c.lastAt.After(t0) || c.lastSize < len(`{"jsonrpc":"2.0","id":1,"result":{}}`) {
				t.Errorf("response arrival not recorded: at %v (call began %v), size %d", c.lastAt, t0, c.lastSize)
			}
			if r.IsError != tc.isError {
				t.Fatalf("isError = %v, want %v (text %q)", r.IsError, tc.isError, r.text())
			}
			id, err := flagID(r)
			if tc.wantID == nil {
				if err == nil {
					t.Fatalf("flagID = %v, want an error", id)
				}
				return
			}
			if err != nil || id != tc.wantID {
				t.Fatalf("flagID = %v, %v; want %v", id, err, tc.wantID)
			}
		})
	}

	if _, err := c.call("bogus/method", nil); err == nil || !strings.Contains(err.Error(), "-32601") {
		t.Errorf("call of unknown method: err = %v, want rpc error -32601", err)
	}
}

func TestClientServerDeath(t *testing.T) {
	c := startFake(t)
	_, err := c.callTool("crash", nil)
	if err == nil {
		t.Fatal("call on a crashing server succeeded")
	}
	if !strings.Contains(err.Error(), "crashing on purpose") {
		t.Errorf("error does not carry the server's stderr: %v", err)
	}
	_ = c.close()
}

func TestTailBuffer(t *testing.T) {
	b := &tailBuffer{max: 5}
	for _, s := range []string{"abc", "defg", "hi"} {
		if n, err := b.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	if got := b.String(); got != "efghi" {
		t.Errorf("tail = %q, want %q", got, "efghi")
	}
}

func TestIsBusyError(t *testing.T) {
	tests := []struct {
		msg  string
		want bool
	}{
		{"database is locked (5) (SQLITE_BUSY)", true},
		{"store: busy: try again", true},
		{"sqlite_locked: database table is locked", true},
		{"conflict: flag 12 is held by @ops.containers until 10:00", false},
		{"flag_id: no flag 99", false},
	}
	for _, tc := range tests {
		if got := isBusyError(tc.msg); got != tc.want {
			t.Errorf("isBusyError(%q) = %v, want %v", tc.msg, got, tc.want)
		}
	}
}

func TestErrorShape(t *testing.T) {
	a := errorShape("conflict: flag 12 is locked by @bench.racer3")
	b := errorShape("conflict: flag 977 is locked by @bench.racer5")
	if a != b {
		t.Errorf("shapes differ: %q vs %q", a, b)
	}
	if long := errorShape(strings.Repeat("x", 500)); len(long) > 170 {
		t.Errorf("shape not truncated: %d bytes", len(long))
	}
}
