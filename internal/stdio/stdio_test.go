package stdio_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mcp-agents/mcp-agents/internal/agent"
	"github.com/mcp-agents/mcp-agents/internal/search"
	"github.com/mcp-agents/mcp-agents/internal/server"
	"github.com/mcp-agents/mcp-agents/internal/stdio"
	"github.com/mcp-agents/mcp-agents/internal/store"
)

// noAgents is an empty catalog: these tests are about the transport, and
// flags may name agents outside the catalog.
type noAgents struct{}

func (noAgents) Get(string) (*agent.Agent, bool) { return nil, false }
func (noAgents) All() []*agent.Agent             { return nil }
func (noAgents) Suggest(string, int) []string    { return nil }

// newServer is the real server on a fresh database.
func newServer(t *testing.T) (*server.Service, *store.Store) {
	t.Helper()
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "agents.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &server.Service{Catalog: noAgents{}, Search: search.NewIndex(nil), Flags: st}, st
}

// session is a client on the other end of Serve's pipes.
type session struct {
	t    *testing.T
	in   *io.PipeWriter
	out  *bufio.Reader
	done chan error
}

func start(t *testing.T, ctx context.Context, svc *server.Service) *session {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	s := &session{t: t, in: inW, out: bufio.NewReaderSize(outR, 1<<20), done: make(chan error, 1)}
	go func() {
		err := stdio.Serve(ctx, server.New(svc, "test"), inR, outW, nil)
		outW.Close()
		s.done <- err
	}()
	t.Cleanup(func() { inW.Close(); outR.Close() })
	return s
}

// send writes one line; a server that stopped reading fails the test
// instead of hanging it.
func (s *session) send(line string) {
	s.t.Helper()
	errc := make(chan error, 1)
	go func() {
		_, err := io.WriteString(s.in, line+"\n")
		errc <- err
	}()
	select {
	case err := <-errc:
		if err != nil {
			s.t.Fatalf("send: %v", err)
		}
	case <-time.After(10 * time.Second):
		s.t.Fatal("send: the server did not read within 10s")
	}
}

func (s *session) recv() string {
	s.t.Helper()
	type res struct {
		line string
		err  error
	}
	ch := make(chan res, 1)
	go func() {
		l, err := s.out.ReadString('\n')
		ch <- res{l, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			s.t.Fatalf("recv: %v", r.err)
		}
		return strings.TrimSuffix(r.line, "\n")
	case <-time.After(60 * time.Second): // a 4 MiB line takes seconds under -race on a busy machine
		s.t.Fatal("recv: no message within 60s")
		return ""
	}
}

func (s *session) call(line string) string {
	s.t.Helper()
	s.send(line)
	return s.recv()
}

// serveAll serves script (written at once, then stdin closes) and returns
// the answers, one per line, once Serve has returned.
func serveAll(t *testing.T, svc *server.Service, script string) []string {
	t.Helper()
	var out bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- stdio.Serve(t.Context(), server.New(svc, "test"), strings.NewReader(script), &out, nil)
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("Serve did not return after stdin ended")
	}
	return strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
}

// byID indexes answers by their id as JSON.
func byID(t *testing.T, lines []string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, l := range lines {
		var msg struct{ ID json.RawMessage }
		if err := json.Unmarshal([]byte(l), &msg); err != nil {
			t.Fatalf("answer %q: %v", shorten(l), err)
		}
		if _, dup := m[string(msg.ID)]; dup {
			t.Errorf("id %s answered twice", msg.ID)
		}
		m[string(msg.ID)] = l
	}
	return m
}

const initLine = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`

const createLine = `{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"create_flag","arguments":{"source_agent":"@frontend.react","flag_type":"new_feature","change_description":"Change number %d adds a column that the frontend will start reading soon.","action_required":"Add the column to the users table with a default, backfill existing rows, and tell @frontend.react when it is live."}}}`

// A script may write all its requests at once and close stdin: every one is
// answered before Serve returns, although mcp-go's own read loop cancels
// what is still running when input ends.
func TestAnswersPipelinedRequestsBeforeEOF(t *testing.T) {
	svc, st := newServer(t)
	const n = 150
	var script strings.Builder
	script.WriteString(initLine + "\n" + `{"jsonrpc":"2.0","method":"notifications/initialized"}` + "\n")
	for i := range n {
		fmt.Fprintf(&script, createLine+"\n", 100+i, i)
		fmt.Fprintf(&script, `{"jsonrpc":"2.0","id":"p%d","method":"ping"}`+"\n", i)
	}
	answers := byID(t, serveAll(t, svc, script.String()))
	if len(answers) != 2*n+1 {
		t.Fatalf("got %d answers, want %d", len(answers), 2*n+1)
	}
	for i := range n {
		if a := answers[fmt.Sprint(100+i)]; a == "" || strings.Contains(a, `"isError":true`) || strings.Contains(a, `"error"`) {
			t.Fatalf("create %d answered %q", 100+i, shorten(a))
		}
		if a := answers[fmt.Sprintf(`"p%d"`, i)]; a != fmt.Sprintf(`{"jsonrpc":"2.0","id":"p%d","result":{}}`, i) {
			t.Fatalf("ping p%d answered %q", i, a)
		}
	}
	if _, total, err := st.ListFlags(t.Context(), store.ListQuery{}); err != nil || total != n {
		t.Fatalf("stored %d flags (err %v), want %d", total, err, n)
	}
}

// lockDatabase holds the write lock of st's file from another connection
// until the returned function is called.
func lockDatabase(t *testing.T, st *store.Store) (unlock func()) {
	t.Helper()
	db, err := sql.Open("sqlite", st.Path())
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	unlock = sync.OnceFunc(func() {
		if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
			t.Error(err)
		}
		conn.Close()
		db.Close()
	})
	t.Cleanup(unlock)
	return unlock
}

// Input that ends while a call waits on a locked database does not cancel
// the call: it is answered, successfully, once the lock goes.
func TestEOFWaitsForACallInFlight(t *testing.T) {
	svc, st := newServer(t)
	unlock := lockDatabase(t, st)
	s := start(t, t.Context(), svc)
	s.call(initLine)
	s.send(fmt.Sprintf(createLine, 7, 7))
	s.in.Close()
	time.Sleep(300 * time.Millisecond) // the create waits for the lock; input has ended
	select {
	case err := <-s.done:
		t.Fatalf("Serve returned (%v) with a call unanswered", err)
	default:
	}
	unlock()
	if got := s.recv(); !strings.Contains(got, `"id":7`) || strings.Contains(got, `"isError":true`) {
		t.Fatalf("the create answered %s", got)
	}
	if err := <-s.done; err != nil {
		t.Fatal(err)
	}
}

// notifications/cancelled reaches a call waiting on a locked database, which
// stops long before the busy timeout; other calls are answered meanwhile;
// and the cancelled call gets no answer (the MCP specification: a receiver
// should not answer a cancelled request; clients report one as an error).
func TestCancelledStopsAWaitingCall(t *testing.T) {
	svc, st := newServer(t)
	unlock := lockDatabase(t, st)
	s := start(t, t.Context(), svc)
	s.call(initLine)
	s.send(fmt.Sprintf(createLine, 7, 7))
	time.Sleep(100 * time.Millisecond) // the create now waits for the lock
	if got := s.call(`{"jsonrpc":"2.0","id":8,"method":"ping"}`); got != `{"jsonrpc":"2.0","id":8,"result":{}}` {
		t.Fatalf("ping while a call waits answered %s", got)
	}
	if got := s.call(`{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"search_agents","arguments":{"query":"x"}}}`); !strings.Contains(got, `"id":9`) {
		t.Fatalf("another tool call while one waits answered %s", got)
	}
	s.send(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7,"reason":"user gave up"}}`)
	// Nothing answers id 7: the next line out is the ping's.
	if got := s.call(`{"jsonrpc":"2.0","id":11,"method":"ping"}`); got != `{"jsonrpc":"2.0","id":11,"result":{}}` {
		t.Fatalf("after the cancellation the next answer was %s, want the ping's (no answer to id 7)", got)
	}
	// Serve waits at the end of input for every call in flight: with the
	// cancelled create still waiting for the lock, it would return only
	// after the 5 s busy timeout.
	begin := time.Now()
	s.in.Close()
	if err := <-s.done; err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(begin); elapsed > 3*time.Second {
		t.Errorf("Serve returned %s after the end of input: the cancelled call waited out the busy timeout", elapsed)
	}
	if rest, _ := io.ReadAll(s.out); len(rest) != 0 {
		t.Errorf("answers after the end of input: %s, want none (id 7 was cancelled)", rest)
	}
	unlock()
	if _, total, err := st.ListFlags(t.Context(), store.ListQuery{}); err != nil || total != 0 {
		t.Errorf("stored %d flags (err %v), want none: the create was cancelled", total, err)
	}
}

// A cancellation that crosses the answer changes nothing: the answer was
// already sent, and a later request reusing the id is answered.
func TestCancellationAfterTheAnswer(t *testing.T) {
	svc, _ := newServer(t)
	s := start(t, t.Context(), svc)
	s.call(initLine)
	if got := s.call(`{"jsonrpc":"2.0","id":3,"method":"ping"}`); got != `{"jsonrpc":"2.0","id":3,"result":{}}` {
		t.Fatalf("ping answered %s", got)
	}
	s.send(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":3}}`)
	if got := s.call(`{"jsonrpc":"2.0","id":3,"method":"ping"}`); got != `{"jsonrpc":"2.0","id":3,"result":{}}` {
		t.Fatalf("a later request with the id answered %s", got)
	}
}

// Calls left waiting (here on a locked database; later on an inbox) do not
// hold up other calls: mcp-go's pool of 5 workers would be used up by the
// first five, and the search would wait for the lock too.
func TestWaitingCallsDoNotHoldUpOthers(t *testing.T) {
	svc, st := newServer(t)
	unlock := lockDatabase(t, st)
	s := start(t, t.Context(), svc)
	s.call(initLine)
	const waiting = 30
	for i := range waiting {
		s.send(fmt.Sprintf(createLine, 100+i, i))
	}
	time.Sleep(200 * time.Millisecond)
	begin := time.Now()
	if got := s.call(`{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"search_agents","arguments":{"query":"x"}}}`); !strings.Contains(got, `"id":9`) {
		t.Fatalf("search while %d calls wait answered %s", waiting, got)
	}
	if elapsed := time.Since(begin); elapsed > time.Second {
		t.Errorf("search took %s while %d calls waited for the database", elapsed, waiting)
	}
	unlock()
	for range waiting {
		if got := s.recv(); strings.Contains(got, `"isError":true`) {
			t.Errorf("a waiting create failed: %s", got)
		}
	}
	if _, total, err := st.ListFlags(t.Context(), store.ListQuery{}); err != nil || total != waiting {
		t.Errorf("stored %d flags (err %v), want %d", total, err, waiting)
	}
}

// Lines longer than any read buffer (64 KiB) arrive whole, and a last line
// without a newline is still answered.
func TestLongLines(t *testing.T) {
	svc, st := newServer(t)
	action := strings.Repeat("Update the consumers of the orders API. ", 400) // 16,000 characters
	req, err := json.Marshal(map[string]any{
		"jsonrpc": "2.0", "id": 5, "method": "tools/call",
		"params": map[string]any{"name": "create_flag", "arguments": map[string]any{
			"source_agent": "@frontend.react", "flag_type": "change",
			"change_description": "A change whose context and action are long enough to exceed one read buffer.",
			"action_required":    action, "context": `{"notes":"` + strings.Repeat("n", 60<<10) + `"}`,
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(req) <= 64<<10 {
		t.Fatalf("request is only %d bytes; it must exceed 64 KiB", len(req))
	}
	answers := byID(t, serveAll(t, svc, initLine+"\n"+string(req)+"\n"+`{"jsonrpc":"2.0","id":2,"method":"ping"}`))
	if len(answers) != 3 || !strings.Contains(answers["5"], `"result"`) || strings.Contains(answers["5"], `"isError":true`) || answers["2"] != `{"jsonrpc":"2.0","id":2,"result":{}}` {
		t.Fatalf("answers: %v", answers)
	}
	if fl, err := st.GetFlag(t.Context(), 1); err != nil || fl.Flag.ActionRequired != action { // stored as sent, trailing space and all
		t.Errorf("stored action_required differs (err %v)", err)
	}
}

// A line that is not JSON gets a parse error and serving goes on; blank
// lines are skipped.
func TestGarbageLine(t *testing.T) {
	svc, _ := newServer(t)
	s := start(t, t.Context(), svc)
	s.call(initLine)
	if got := s.call(`this is not json`); !strings.Contains(got, `"id":null`) || !strings.Contains(got, `"code":-32700`) {
		t.Errorf("garbage answered %s, want a parse error", got)
	}
	s.send("")
	if got := s.call(`{"jsonrpc":"2.0","id":3,"method":"ping"}`); got != `{"jsonrpc":"2.0","id":3,"result":{}}` {
		t.Errorf("ping after garbage answered %s", got)
	}
}

// A line over MaxLine is answered with an error, by id when the id comes
// first, and serving goes on.
func TestOversizedLine(t *testing.T) {
	svc, _ := newServer(t)
	s := start(t, t.Context(), svc)
	s.call(initLine)
	huge := strings.Repeat("x", stdio.MaxLine)
	for _, tc := range []struct{ line, id string }{
		{`{"jsonrpc":"2.0","id":"big","method":"tools/call","params":{"name":"search_agents","arguments":{"query":"` + huge + `"}}}`, `"big"`},
		{`{"method":"tools/call","params":{"name":"search_agents","arguments":{"query":"` + huge + `"}},"jsonrpc":"2.0","id":4}`, `null`},
	} {
		got := s.call(tc.line)
		if !strings.Contains(got, `"id":`+tc.id) || !strings.Contains(got, `"code":-32600`) || !strings.Contains(got, "4194304") {
			t.Errorf("oversized line answered %s, want an invalid-request error for id %s naming the limit", got, tc.id)
		}
	}
	if got := s.call(`{"jsonrpc":"2.0","id":5,"method":"ping"}`); got != `{"jsonrpc":"2.0","id":5,"result":{}}` {
		t.Errorf("ping after an oversized line answered %s", got)
	}
	// The limit is exact: a line of MaxLine bytes goes to mcp-go (which
	// finds it is not JSON at its first byte), one more byte is refused.
	if got := s.call(strings.Repeat("z", stdio.MaxLine)); !strings.Contains(got, `"code":-32700`) {
		t.Errorf("a line of MaxLine bytes answered %s, want mcp-go's parse error", got)
	}
	if got := s.call(strings.Repeat("z", stdio.MaxLine+1)); !strings.Contains(got, `"code":-32600`) {
		t.Errorf("a line of MaxLine+1 bytes answered %s, want the size error", got)
	}
}

// JSON nested deeper than encoding/json reads is answered by its id, not
// with a parse error for id null that leaves the client waiting; the depth
// it does read goes to the tool, which refuses a deep context itself.
func TestDeeplyNestedLine(t *testing.T) {
	svc, _ := newServer(t)
	s := start(t, t.Context(), svc)
	s.call(initLine)
	nest := func(n int) string { return strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n) }
	call := func(id string, depth int) string {
		return `{"jsonrpc":"2.0","id":` + id + `,"method":"tools/call","params":{"name":"create_flag","arguments":{"context":` + nest(depth) + `}}}`
	}
	if got := s.call(call(`"deep"`, 10001)); !strings.Contains(got, `"id":"deep"`) || !strings.Contains(got, `"code":-32600`) || !strings.Contains(got, "10000 levels") {
		t.Errorf("a line nested over 10,000 levels deep answered %s, want an invalid-request error for its id naming the limit", got)
	}
	if got := s.call(call("7", 9000)); !strings.Contains(got, `"id":7`) || !strings.Contains(got, `"isError":true`) {
		t.Errorf("a line nested about 9,000 levels deep answered %s, want the tool's own refusal", got)
	}
	if got := s.call(`{"jsonrpc":"2.0","id":5,"method":"ping"}`); got != `{"jsonrpc":"2.0","id":5,"result":{}}` {
		t.Errorf("ping after a deep line answered %s", got)
	}
}

func TestStopsOnCancel(t *testing.T) {
	svc, _ := newServer(t)
	ctx, cancel := context.WithCancel(t.Context())
	s := start(t, ctx, svc)
	s.call(initLine)
	cancel() // stdin stays open
	select {
	case err := <-s.done:
		if err == nil {
			t.Error("Serve returned nil after cancellation, want the context's error")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after cancellation")
	}
}

func shorten(s string) string {
	if len(s) > 300 {
		return s[:150] + " ... " + s[len(s)-150:]
	}
	return s
}

// A message that is not UTF-8 is not acted on, a notification included: a
// notifications/cancelled whose reason held a stray byte cancelled the call
// all the same. A request so refused gets a parse error whose id is JSON
// too (an id that is not UTF-8 is answered null).
func TestMessagesNotUTF8AreNotActedOn(t *testing.T) {
	svc, st := newServer(t)
	unlock := lockDatabase(t, st)
	s := start(t, t.Context(), svc)
	s.call(initLine)
	s.send(fmt.Sprintf(createLine, 7, 7))
	time.Sleep(100 * time.Millisecond) // the create now waits for the lock
	s.send("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":7,\"reason\":\"\xff\"}}")
	if got := s.call("{\"jsonrpc\":\"2.0\",\"id\":\"\xfe\",\"method\":\"ping\"}"); !utf8.ValidString(got) || !strings.HasPrefix(got, `{"jsonrpc":"2.0","id":null,"error":{"code":-32700`) {
		t.Fatalf("a ping whose id is not UTF-8 answered %q", got)
	}
	unlock()
	if got := s.recv(); !strings.Contains(got, `"id":7`) || strings.Contains(got, `"isError":true`) {
		t.Fatalf("the create answered %s, want it made: the cancellation was not UTF-8", got)
	}
}
