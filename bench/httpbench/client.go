package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
)

// rpc is the load client: a minimal Streamable HTTP JSON-RPC client (one
// session, initialised once), the same for every server, so a ratio
// measures the servers and not a client decoding answers of different
// sizes. A call POSTs tools/call, reads the whole body and finds only
// whether it is an error; it decodes a result only when asked to.
type rpc struct {
	url, token, session string
	hc                  *http.Client
	next                atomic.Int64
}

var transportShared = &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 0, IdleConnTimeout: time.Minute}

func dial(url, token string) (*rpc, error) {
	c := &rpc{url: url, token: token, hc: &http.Client{Transport: transportShared, Timeout: 30 * time.Second}}
	init := fmt.Sprintf(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":%q,"capabilities":{},"clientInfo":{"name":"httpbench","version":"1"}}}`,
		mcp.LATEST_LEGACY_PROTOCOL_VERSION)
	resp, body, err := c.post([]byte(init))
	if err != nil {
		return nil, fmt.Errorf("initialize: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("initialize: %s: %s", resp.Status, body)
	}
	c.session = resp.Header.Get(mcpserver.HeaderKeySessionID)
	if c.session == "" {
		return nil, errors.New("initialize: no session id")
	}
	if resp, body, err = c.post([]byte(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)); err != nil || resp.StatusCode >= 300 {
		return nil, fmt.Errorf("notifications/initialized: %v %s", err, body)
	}
	return c, nil
}

func (c *rpc) post(body []byte) (*http.Response, []byte, error) {
	req, err := http.NewRequest(http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", mcp.LATEST_LEGACY_PROTOCOL_VERSION)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.session != "" {
		req.Header.Set(mcpserver.HeaderKeySessionID, c.session)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

// call runs tool name with args; out, when not nil, receives the result's
// text decoded as JSON.
func (c *rpc) call(name string, args map[string]any, out any) error {
	id := c.next.Add(1)
	params, err := json.Marshal(map[string]any{"name": name, "arguments": args})
	if err != nil {
		return err
	}
	body := make([]byte, 0, len(params)+64)
	body = append(body, `{"jsonrpc":"2.0","id":`...)
	body = strconv.AppendInt(body, id, 10)
	body = append(body, `,"method":"tools/call","params":`...)
	body = append(body, params...)
	body = append(body, '}')
	resp, b, err := c.post(body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s: %.200s", name, resp.Status, b)
	}
	// An SSE answer (the server sent notifications first) ends with the
	// response's data line.
	if i := bytes.LastIndex(b, []byte("\ndata: ")); i >= 0 {
		b = bytes.TrimSpace(b[i+len("\ndata: "):])
	} else if bytes.HasPrefix(b, []byte("data: ")) {
		b = bytes.TrimSpace(b[len("data: "):])
	}
	// mcp-go writes jsonrpc, id, then result or error: look at what
	// follows the id, not at the (possibly large) result.
	idField := strconv.AppendInt([]byte(`"id":`), id, 10)
	i := bytes.Index(b, idField)
	if i < 0 {
		return fmt.Errorf("%s: no response with id %d in %.200s", name, id, b)
	}
	rest := b[i+len(idField):]
	if bytes.HasPrefix(rest, []byte(`,"error":`)) {
		return fmt.Errorf("%s: %.300s", name, rest)
	}
	if out == nil && !bytes.Contains(rest, []byte(`"isError":true`)) {
		return nil
	}
	var res struct {
		Result struct {
			Content []struct{ Text string }
			IsError bool
		}
	}
	if err := json.Unmarshal(b, &res); err != nil {
		return fmt.Errorf("%s: decoding the answer: %w", name, err)
	}
	text := ""
	for _, c := range res.Result.Content {
		text += c.Text
	}
	if res.Result.IsError {
		return errors.New(name + ": " + text)
	}
	if out != nil {
		return json.Unmarshal([]byte(text), out)
	}
	return nil
}
