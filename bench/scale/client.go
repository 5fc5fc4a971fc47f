package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"time"
)

// lineClient is a minimal newline-delimited JSON-RPC client, one request in
// flight. A call's time runs from writing the request to reading the
// response line: decoding the answer is the client's work, not the
// server's (mcp-go's client spends more CPU decoding 100 flags than the
// server spends finding and encoding them).
type lineClient struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *bufio.Reader
	id     int
}

func startClient(cmd *exec.Cmd) (*lineClient, error) {
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &lineClient{cmd: cmd, stdin: stdin, stdout: bufio.NewReaderSize(stdout, 1<<20)}
	if _, _, err := c.request("initialize", map[string]any{
		"protocolVersion": "2025-06-18", "capabilities": map[string]any{},
		"clientInfo": map[string]any{"name": "scale", "version": "1"},
	}, nil); err != nil {
		return nil, err
	}
	if err := c.send(map[string]any{"jsonrpc": "2.0", "method": "notifications/initialized"}); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *lineClient) send(msg any) error {
	b, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	_, err = c.stdin.Write(append(b, '\n'))
	return err
}

// request sends one request, decodes its response's result into result
// (when not nil) and returns the response line, which stays valid until
// the next request, and the time until it arrived. The client's own work
// competes with the server for the machine's cores: its collector runs
// concurrently with the next timed call. So each line is read into the
// reader's buffer rather than a fresh slice, and decoded once, keeping
// only what the bench needs: reading a 72 KB get_agent_flags answer with
// ReadBytes and decoding it three times made this client spend more CPU
// per call than the server and collect every few calls.
func (c *lineClient) request(method string, params, result any) ([]byte, time.Duration, error) {
	c.id++
	t0 := time.Now()
	if err := c.send(map[string]any{"jsonrpc": "2.0", "id": c.id, "method": method, "params": params}); err != nil {
		return nil, 0, err
	}
	for {
		line, err := c.readLine()
		if err != nil {
			return nil, 0, fmt.Errorf("%s: %w", method, err)
		}
		el := time.Since(t0)
		msg := struct {
			ID     *int            `json:"id"`
			Error  json.RawMessage `json:"error"`
			Result any             `json:"result"`
		}{Result: result}
		if json.Unmarshal(line, &msg) != nil || msg.ID == nil || *msg.ID != c.id {
			continue // a notification
		}
		if msg.Error != nil {
			return nil, 0, fmt.Errorf("%s: %s", method, msg.Error)
		}
		return line, el, nil
	}
}

// readLine returns the next line, in the reader's buffer when it fits.
func (c *lineClient) readLine() ([]byte, error) {
	line, err := c.stdout.ReadSlice('\n')
	if err != bufio.ErrBufferFull {
		return line, err
	}
	long := append([]byte(nil), line...)
	for err == bufio.ErrBufferFull {
		line, err = c.stdout.ReadSlice('\n')
		long = append(long, line...)
	}
	return long, err
}

// toolResult is what the bench reads of a tools/call result: whether it
// is an error, and the number of matches (list_flags' total, or the number
// of flags returned). Flags are counted, not kept.
type toolResult struct {
	IsError           bool `json:"isError"`
	StructuredContent struct {
		Total *int       `json:"total"`
		Flags []struct{} `json:"flags"`
	} `json:"structuredContent"`
}

// matches returns list_flags' total, or the number of flags returned, or
// -1.
func (r *toolResult) matches() int {
	switch sc := r.StructuredContent; {
	case sc.Total != nil:
		return *sc.Total
	case sc.Flags != nil:
		return len(sc.Flags)
	}
	return -1
}

// callTool returns the tool's result and the call's time.
func (c *lineClient) callTool(name string, args map[string]any) (*toolResult, time.Duration, error) {
	var res toolResult
	line, el, err := c.request("tools/call", map[string]any{"name": name, "arguments": args}, &res)
	if err != nil {
		return nil, 0, err
	}
	if res.IsError {
		var msg struct {
			Result struct {
				Content []struct {
					Text string `json:"text"`
				} `json:"content"`
			} `json:"result"`
		}
		text := string(line)
		if json.Unmarshal(line, &msg) == nil && len(msg.Result.Content) > 0 {
			text = msg.Result.Content[0].Text
		}
		return nil, 0, fmt.Errorf("%s %v: %s", name, args, text)
	}
	return &res, el, nil
}

func (c *lineClient) Close() error {
	c.stdin.Close()
	return c.cmd.Wait()
}
