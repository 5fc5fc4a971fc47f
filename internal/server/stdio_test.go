package server_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/mcp-agents/mcp-agents/internal/server"
	"github.com/mcp-agents/mcp-agents/internal/store"
)

// pipeSession is a client on the other end of a transport's pipes.
type pipeSession struct {
	t    *testing.T
	in   *io.PipeWriter
	out  *bufio.Reader
	done chan error
}

// startPipe serves srv over pipes with ServeStdio, or with mcp-go's own
// StdioServer when baseline is set.
func startPipe(t *testing.T, ctx context.Context, srv *mcpserver.MCPServer, baseline bool) *pipeSession {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	p := &pipeSession{t: t, in: inW, out: bufio.NewReader(outR), done: make(chan error, 1)}
	go func() {
		var err error
		if baseline {
			err = mcpserver.NewStdioServer(srv).Listen(ctx, inR, outW)
		} else {
			err = server.ServeStdio(ctx, srv, inR, outW, nil)
		}
		outW.Close()
		p.done <- err
	}()
	t.Cleanup(func() { inW.Close(); outR.Close() })
	return p
}

// send writes one line; a pipe write waits for the server to read it, so
// a server that stopped reading fails the test instead of hanging it.
func (p *pipeSession) send(line string) {
	p.t.Helper()
	errc := make(chan error, 1)
	go func() {
		_, err := io.WriteString(p.in, line+"\n")
		errc <- err
	}()
	select {
	case err := <-errc:
		if err != nil {
			p.t.Fatalf("send: %v", err)
		}
	case <-time.After(10 * time.Second):
		p.t.Fatal("send: the server did not read within 10s")
	}
}

func (p *pipeSession) recv() string {
	p.t.Helper()
	type res struct {
		line string
		err  error
	}
	ch := make(chan res, 1)
	go func() {
		l, err := p.out.ReadString('\n')
		ch <- res{l, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			p.t.Fatalf("recv: %v", r.err)
		}
		return strings.TrimSuffix(r.line, "\n")
	case <-time.After(10 * time.Second):
		p.t.Fatal("recv: no message within 10s")
		return ""
	}
}

func (p *pipeSession) call(line string) string {
	p.t.Helper()
	p.send(line)
	return p.recv()
}

const initLine = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`

// A session through ServeStdio must read exactly as one through mcp-go's
// own transport: same answers, byte for byte, for every kind of message.
func TestServeStdioMatchesMCPGoTransport(t *testing.T) {
	script := []string{
		initLine,
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/list"}`,
		`{"jsonrpc":"2.0","id":"s-3","method":"tools/call","params":{"name":"search_agents","arguments":{"query":"kubernets helm <charts> & \"mesh\"","limit":3}}}`,
		`{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"get_agent","arguments":{"name":"@OPS.Containers"}}}`,
		`{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"get_agent","arguments":{"name":"@ops.container"}}}`,
		`{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"no_such_tool","arguments":{}}}`,
		`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"search_agents","arguments":{"limit":"many"}}}`,
		`{"jsonrpc":"2.0","id":8,"method":"prompts/list"}`,
		`{"jsonrpc":"2.0","id":9,"method":"prompts/get","params":{"name":"ops.containers","arguments":{"task":"shrink the image"}}}`,
		`{"jsonrpc":"2.0","id":10,"method":"resources/read","params":{"uri":"agents://catalog"}}`,
		`{"jsonrpc":"2.0","id":11,"method":"resources/templates/list"}`,
		`{"jsonrpc":"2.0","id":12,"method":"ping"}`,
		`{"jsonrpc":"2.0","id":13,"method":"no/such/method"}`,
		`{"jsonrpc":"2.0","id":14,"method":"tools/call","params":{"name":"list_flags","arguments":{}}}`,
		`this is not json`,
		`{"jsonrpc":"2.0","id":1.5,"method":"ping"}`,
		`{"jsonrpc":"2.0","id":-7,"method":"ping"}`,
		`{"jsonrpc":"2.0","id":15,"method":"tools/call","params":{"name":"search_agents","arguments":{"query":"caf` + "\xe9" + ` \u00e9t\u00e9 <b>"}}}`,
		`[{"jsonrpc":"2.0","id":16,"method":"ping"}]`,
		`{"jsonrpc":"2.0","id":17}`,
		`{"jsonrpc":"2.0","id":18,"method":"tools/call","params":{"name":"get_flag","arguments":{"flag_id":424242}}}`,
		`{"jsonrpc":"2.0","id":19,"method":"tools/call","params":{"name":"search_agents","arguments":{"query":"kubernetes","limit":0}}}`,
		`{"jsonrpc":"2.0","id":20,"method":"resources/read","params":{"uri":"agent://no.such.agent"}}`,
		`{"jsonrpc":"2.0","id":21,"method":"prompts/get","params":{"name":"no.such.agent"}}`,
	}
	transcript := func(baseline bool) []string {
		f := newFixture(t)
		p := startPipe(t, t.Context(), server.New(f.svc, "test"), baseline)
		var out []string
		for _, line := range script {
			p.send(line)
			if strings.Contains(line, `"method":"notifications/`) {
				continue
			}
			out = append(out, p.recv())
		}
		return out
	}
	want, got := transcript(true), transcript(false)
	if len(got) != len(want) {
		t.Fatalf("got %d answers, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("answer %d differs from mcp-go's transport\n got: %s\nwant: %s", i, got[i], want[i])
		}
	}
}

// A script may write all its requests at once and close stdin: every one
// is answered before the server stops.
func TestServeStdioAnswersPipelinedRequestsBeforeEOF(t *testing.T) {
	f := newFixture(t)
	inR, inW := io.Pipe()
	var out bytes.Buffer
	done := make(chan error, 1)
	go func() { done <- server.ServeStdio(t.Context(), server.New(f.svc, "test"), inR, &out, nil) }()

	const n = 60
	var script strings.Builder
	script.WriteString(initLine + "\n")
	for i := range n {
		fmt.Fprintf(&script, `{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"create_flag","arguments":{"source_agent":"@frontend.react","target_agent":"@database.postgres","flag_type":"new_feature","change_description":"Pipelined change number %d adds a column that the frontend will start reading soon.","action_required":"Add the column to the users table with a default, backfill existing rows, and tell @frontend.react when it is live."}}}`+"\n", 100+i, i)
	}
	if _, err := io.WriteString(inW, script.String()); err != nil {
		t.Fatal(err)
	}
	inW.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("ServeStdio: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("ServeStdio did not return after stdin closed")
	}

	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != n+1 {
		t.Fatalf("got %d answers, want %d:\n%s", len(lines), n+1, out.String())
	}
	// Answers come in order unless a slow one is overtaken; each id once.
	seen := map[int64]bool{}
	for _, line := range lines[1:] {
		var resp struct {
			ID     int64              `json:"id"`
			Result mcp.CallToolResult `json:"result"`
		}
		if err := json.Unmarshal([]byte(line), &resp); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		if resp.ID < 100 || resp.ID >= 100+n || seen[resp.ID] || resp.Result.IsError {
			t.Fatalf("unexpected answer (id %d, seen before %v, isError %v): %s", resp.ID, seen[resp.ID], resp.Result.IsError, line)
		}
		seen[resp.ID] = true
	}
	flags, total, err := f.store.ListFlags(context.Background(), store.ListQuery{})
	if err != nil || total != n || len(flags) == 0 {
		t.Fatalf("stored %d flags (err %v), want %d", total, err, n)
	}
}

func TestServeStdioStopsOnCancel(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(t.Context())
	p := startPipe(t, ctx, server.New(f.svc, "test"), false)
	p.call(initLine)
	cancel() // the read loop is blocked on stdin, which stays open
	select {
	case err := <-p.done:
		if err == nil {
			t.Error("ServeStdio returned nil after cancellation, want the context's error")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ServeStdio did not return after cancellation")
	}
}

// A panic outside the tool middleware (here: a server without recovery)
// answers that request with an internal error and the session goes on.
func TestServeStdioRecoversFromPanics(t *testing.T) {
	srv := mcpserver.NewMCPServer("panicky", "1", mcpserver.WithToolCapabilities(false))
	srv.AddTool(mcp.NewTool("boom"), func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		panic("kaboom")
	})
	p := startPipe(t, t.Context(), srv, false)
	p.call(initLine)
	got := p.call(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"boom"}}`)
	if !strings.Contains(got, `"id":2`) || !strings.Contains(got, fmt.Sprint(mcp.INTERNAL_ERROR)) {
		t.Errorf("panicking call answered %s, want an internal error for id 2", got)
	}
	if got := p.call(`{"jsonrpc":"2.0","id":3,"method":"ping"}`); got != `{"jsonrpc":"2.0","id":3,"result":{}}` {
		t.Errorf("ping after a panic answered %s", got)
	}
}

// Methods outside the inline set run on their own goroutine, so one that
// blocks does not hold up the rest of the session; server notifications
// reach the client too.
func TestServeStdioOffLoopMethodsAndNotifications(t *testing.T) {
	srv := mcpserver.NewMCPServer("t", "1", mcpserver.WithToolCapabilities(false))
	p := startPipe(t, t.Context(), srv, false)
	p.call(initLine)
	p.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	if got := p.call(`{"jsonrpc":"2.0","id":"x","method":"completion/complete","params":{}}`); !strings.Contains(got, `"id":"x"`) || !strings.Contains(got, `"error"`) {
		t.Errorf("off-loop request answered %s, want an error for id x", got)
	}
	srv.SendNotificationToAllClients("notifications/message", map[string]any{"level": "info", "data": "hello"})
	if got := p.recv(); !strings.Contains(got, `"method":"notifications/message"`) || !strings.Contains(got, "hello") {
		t.Errorf("notification arrived as %s", got)
	}
	// A response from the client to a request this server never sent is
	// dropped, not answered.
	p.send(`{"jsonrpc":"2.0","id":99,"result":{}}`)
	if got := p.call(`{"jsonrpc":"2.0","id":4,"method":"ping"}`); got != `{"jsonrpc":"2.0","id":4,"result":{}}` {
		t.Errorf("after a stray response, ping answered %s", got)
	}
}

// A request waiting on a busy database does not hold up the session: after
// a moment another goroutine takes over reading, so a ping is answered and
// the client's notifications/cancelled reaches the waiting request, which
// stops waiting long before the busy timeout.
func TestServeStdioCancelsAWaitingRequest(t *testing.T) {
	f := newFixture(t)
	blocker, err := sql.Open("sqlite", f.store.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer blocker.Close()
	conn, err := blocker.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	locked := true
	defer func() {
		if locked {
			_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
		}
	}()

	p := startPipe(t, t.Context(), server.New(f.svc, "test"), false)
	p.call(initLine)
	create := `{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"create_flag","arguments":{"source_agent":"@frontend.react","flag_type":"new_feature","change_description":"The checkout page now sends the coupon code along with the order payload.","action_required":"Accept an optional coupon_code field on POST /orders, validate it against active coupons, and apply the discount server-side."}}}`
	start := time.Now()
	p.send(fmt.Sprintf(create, 7))
	time.Sleep(100 * time.Millisecond) // the create is now waiting for the lock
	if got := p.call(`{"jsonrpc":"2.0","id":8,"method":"ping"}`); got != `{"jsonrpc":"2.0","id":8,"result":{}}` {
		t.Fatalf("ping while a request waits answered %s", got)
	}
	p.send(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7,"reason":"user gave up"}}`)
	got := p.recv()
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("the cancelled request answered after %s; it waited out the busy timeout", elapsed)
	}
	if !strings.Contains(got, `"id":7`) || !strings.Contains(got, `"isError":true`) || !strings.Contains(got, "cancelled") {
		t.Errorf("cancelled create answered %s, want an isError result saying it was cancelled", got)
	}

	if _, err := conn.ExecContext(t.Context(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	locked = false
	if got := p.call(fmt.Sprintf(create, 9)); !strings.Contains(got, `"id":9`) || strings.Contains(got, `"isError":true`) {
		t.Errorf("create after the lock was released answered %s", got)
	}
	_, total, err := f.store.ListFlags(t.Context(), store.ListQuery{})
	if err != nil || total != 1 {
		t.Errorf("stored %d flags (err %v), want only the uncancelled one", total, err)
	}
}

// Lines longer than the transport's read buffer (64 KiB) arrive whole, and
// a last line without a newline is still answered.
func TestServeStdioLongLines(t *testing.T) {
	f := newFixture(t)
	inR, inW := io.Pipe()
	var out bytes.Buffer
	done := make(chan error, 1)
	go func() { done <- server.ServeStdio(t.Context(), server.New(f.svc, "test"), inR, &out, nil) }()

	context := `{"notes":"` + strings.Repeat("n", 60<<10) + `"}`
	action := strings.Repeat("Update the consumers of the orders API. ", 400) // 16,000 characters
	req, err := json.Marshal(map[string]any{
		"jsonrpc": "2.0", "id": 5, "method": "tools/call",
		"params": map[string]any{"name": "create_flag", "arguments": map[string]any{
			"source_agent": "@frontend.react", "flag_type": "change",
			"change_description": "A change whose context and action are long enough to exceed one read buffer.",
			"action_required":    action, "context": context,
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(req) <= 64<<10 {
		t.Fatalf("request is only %d bytes; it must exceed the read buffer", len(req))
	}
	script := initLine + "\n" + string(req) + "\n" + `{"jsonrpc":"2.0","id":2,"method":"ping"}` // no final newline
	if _, err := io.WriteString(inW, script); err != nil {
		t.Fatal(err)
	}
	inW.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// A slow request lets later ones overtake it, so answers are matched by id.
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	byID := map[string]string{}
	for _, l := range lines {
		var m struct{ ID json.RawMessage }
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("answer %q: %v", l, err)
		}
		byID[string(m.ID)] = l
	}
	if len(lines) != 3 || len(byID) != 3 || strings.Contains(byID["5"], `"isError":true`) || byID["2"] != `{"jsonrpc":"2.0","id":2,"result":{}}` {
		t.Fatalf("%d answers:\n%s", len(lines), shorten(lines))
	}
	flag, err := f.store.GetFlag(t.Context(), 1)
	if err != nil || flag.Flag.ActionRequired != strings.TrimSpace(action) {
		t.Errorf("stored action_required differs (err %v)", err)
	}
}

func shorten(lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		if len(l) > 300 {
			l = l[:150] + " ... " + l[len(l)-150:]
		}
		b.WriteString(l + "\n")
	}
	return b.String()
}
