package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"time"
)

// callTimeout bounds every request so a wedged server fails the run instead
// of hanging it.
const callTimeout = 30 * time.Second

// protocolVersion is what the client asks for in initialize.
const protocolVersion = "2025-06-18"

// client is a deliberately small newline-delimited JSON-RPC client. The same
// code drives every server under test, so whatever it costs is paid equally by
// the baseline and by mcp-agents; it does no schema validation or other work
// that would blur the comparison.
type client struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan line
	// last is when the most recent response line arrived and how long it
	// was; timings stop there, so decoding in this client is not charged
	// to the server.
	lastAt   time.Time
	lastSize int
	readErr  chan error
	stderr   *tailBuffer
	waitOnce sync.Once
	exited   chan struct{} // closed once cmd.Wait has returned
	waitErr  error
	nextID   int64
	buf      bytes.Buffer
	mu       sync.Mutex // one request in flight per client
}

// spawn starts bin with args, wiring stdin/stdout as the protocol channel.
func spawn(bin string, args ...string) (*client, error) {
	cmd := exec.Command(bin, args...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	c := &client{
		cmd:     cmd,
		stdin:   stdin,
		lines:   make(chan line, 16),
		readErr: make(chan error, 1),
		stderr:  &tailBuffer{max: 8 << 10},
		exited:  make(chan struct{}),
	}
	cmd.Stderr = c.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go c.readLoop(stdout)
	return c, nil
}

type line struct {
	b  []byte
	at time.Time
}

func (c *client) readLoop(r io.Reader) {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		b, err := br.ReadBytes('\n')
		if len(bytes.TrimSpace(b)) > 0 {
			c.lines <- line{b: b, at: time.Now()}
		}
		if err != nil {
			c.readErr <- err
			close(c.lines)
			return
		}
	}
}

// pid is the server's process id, for reading /proc.
func (c *client) pid() int { return c.cmd.Process.Pid }

type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

type rpcMessage struct {
	ID     json.RawMessage `json:"id,omitempty"`
	Method string          `json:"method,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  *rpcError       `json:"error,omitempty"`
}

func (c *client) send(v any) error {
	c.buf.Reset()
	if err := json.NewEncoder(&c.buf).Encode(v); err != nil { // Encode appends '\n'
		return err
	}
	_, err := c.stdin.Write(c.buf.Bytes())
	return err
}

// call sends one request and waits for the response with the same id,
// answering server-initiated requests (e.g. ping) and skipping notifications.
func (c *client) call(method string, params any) (json.RawMessage, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nextID++
	id := c.nextID
	req := map[string]any{"jsonrpc": "2.0", "id": id, "method": method}
	if params != nil {
		req["params"] = params
	}
	if err := c.send(req); err != nil {
		return nil, c.withStderr(fmt.Errorf("%s: write: %w", method, err))
	}
	timer := time.NewTimer(callTimeout)
	defer timer.Stop()
	want := strconv.FormatInt(id, 10)
	for {
		select {
		case l, ok := <-c.lines:
			if !ok {
				err := fmt.Errorf("%s: server closed stdout: %w", method, <-c.readErr)
				// The stderr copy runs on its own goroutine and may lag the
				// stdout EOF; only after Wait is all of it in the buffer.
				c.awaitExit(2 * time.Second)
				return nil, c.withStderr(err)
			}
			var m rpcMessage
			if err := json.Unmarshal(l.b, &m); err != nil {
				return nil, fmt.Errorf("%s: bad line from server: %w: %.200q", method, err, l.b)
			}
			switch {
			case m.Method != "" && len(m.ID) > 0:
				c.answerServerRequest(m)
			case m.Method != "":
				// notification (logging, list_changed): not ours to act on
			case string(m.ID) == want:
				c.lastAt, c.lastSize = l.at, len(l.b)
				if m.Error != nil {
					return nil, fmt.Errorf("%s: rpc error %d: %s", method, m.Error.Code, m.Error.Message)
				}
				return m.Result, nil
			}
		case <-timer.C:
			_ = c.cmd.Process.Kill()
			return nil, c.withStderr(fmt.Errorf("%s: no answer within %s", method, callTimeout))
		}
	}
}

func (c *client) answerServerRequest(m rpcMessage) {
	resp := map[string]any{"jsonrpc": "2.0", "id": m.ID}
	if m.Method == "ping" {
		resp["result"] = struct{}{}
	} else {
		resp["error"] = rpcError{Code: -32601, Message: "method not supported by benchmark client"}
	}
	_ = c.send(resp)
}

// initialize performs the MCP handshake.
func (c *client) initialize() error {
	_, err := c.call("initialize", map[string]any{
		"protocolVersion": protocolVersion,
		"capabilities":    map[string]any{},
		"clientInfo":      map[string]any{"name": "stdiobench", "version": "0"},
	})
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.send(map[string]any{"jsonrpc": "2.0", "method": "notifications/initialized"})
}

// toolResult is the part of a tools/call result the benchmark inspects.
type toolResult struct {
	IsError           bool            `json:"isError"`
	StructuredContent json.RawMessage `json:"structuredContent"`
	Content           []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	} `json:"content"`
}

// text joins the text content blocks.
func (r toolResult) text() string {
	var b bytes.Buffer
	for _, c := range r.Content {
		b.WriteString(c.Text)
	}
	return b.String()
}

// payload is the structured result, falling back to JSON in the text block
// for servers that only return text.
func (r toolResult) payload() json.RawMessage {
	if len(r.StructuredContent) > 0 && string(r.StructuredContent) != "null" {
		return r.StructuredContent
	}
	t := bytes.TrimSpace([]byte(r.text()))
	if json.Valid(t) {
		return t
	}
	return nil
}

func (c *client) callTool(name string, args map[string]any) (toolResult, error) {
	raw, err := c.call("tools/call", map[string]any{"name": name, "arguments": args})
	if err != nil {
		return toolResult{}, err
	}
	var r toolResult
	if err := json.Unmarshal(raw, &r); err != nil {
		return toolResult{}, fmt.Errorf("tools/call %s: decode result: %w", name, err)
	}
	return r, nil
}

// close ends the session the way an MCP host does (closing stdin) and waits
// for the process, killing it if it does not exit promptly.
func (c *client) close() error {
	_ = c.stdin.Close()
	if !c.awaitExit(5 * time.Second) {
		_ = c.cmd.Process.Kill()
		<-c.exited
		return errors.New("server did not exit within 5s of stdin closing; killed")
	}
	return c.waitErr
}

// awaitExit reaps the process (once, however many callers) and reports
// whether it exited within d. Wait also finishes copying stderr.
func (c *client) awaitExit(d time.Duration) bool {
	go c.waitOnce.Do(func() {
		c.waitErr = c.cmd.Wait()
		close(c.exited)
	})
	select {
	case <-c.exited:
		return true
	case <-time.After(d):
		return false
	}
}

func (c *client) withStderr(err error) error {
	if s := c.stderr.String(); s != "" {
		return fmt.Errorf("%w\nserver stderr (tail):\n%s", err, s)
	}
	return err
}

// tailBuffer keeps the last max bytes written, so a chatty server's stderr
// cannot grow without bound while still being available for diagnostics.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

// procStatusKB reads the named field (e.g. "VmRSS") from /proc/PID/status in KiB.
func procStatusKB(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		k, v, ok := bytes.Cut(line, []byte(":"))
		if !ok || string(k) != field {
			continue
		}
		f := bytes.Fields(v)
		if len(f) == 0 {
			break
		}
		return strconv.ParseInt(string(f[0]), 10, 64)
	}
	return 0, fmt.Errorf("/proc/%d/status: no %s field", pid, field)
}
