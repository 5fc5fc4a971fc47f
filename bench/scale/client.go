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
	}); err != nil {
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

// request sends one request and returns the raw response line and the time
// until it arrived.
func (c *lineClient) request(method string, params any) ([]byte, time.Duration, error) {
	c.id++
	t0 := time.Now()
	if err := c.send(map[string]any{"jsonrpc": "2.0", "id": c.id, "method": method, "params": params}); err != nil {
		return nil, 0, err
	}
	for {
		line, err := c.stdout.ReadBytes('\n')
		if err != nil {
			return nil, 0, fmt.Errorf("%s: %w", method, err)
		}
		el := time.Since(t0)
		var head struct {
			ID    *int            `json:"id"`
			Error json.RawMessage `json:"error"`
		}
		if json.Unmarshal(line, &head) != nil || head.ID == nil || *head.ID != c.id {
			continue // a notification
		}
		if head.Error != nil {
			return nil, 0, fmt.Errorf("%s: %s", method, head.Error)
		}
		return line, el, nil
	}
}

// callTool returns the tool's structured result and the call's time.
func (c *lineClient) callTool(name string, args map[string]any) (json.RawMessage, time.Duration, error) {
	line, el, err := c.request("tools/call", map[string]any{"name": name, "arguments": args})
	if err != nil {
		return nil, 0, err
	}
	var res struct {
		Result struct {
			IsError           bool            `json:"isError"`
			StructuredContent json.RawMessage `json:"structuredContent"`
			Content           []struct {
				Text string `json:"text"`
			} `json:"content"`
		} `json:"result"`
	}
	if err := json.Unmarshal(line, &res); err != nil {
		return nil, 0, err
	}
	if res.Result.IsError {
		msg := ""
		if len(res.Result.Content) > 0 {
			msg = res.Result.Content[0].Text
		}
		return nil, 0, fmt.Errorf("%s %v: %s", name, args, msg)
	}
	return res.Result.StructuredContent, el, nil
}

func (c *lineClient) Close() error {
	c.stdin.Close()
	return c.cmd.Wait()
}
