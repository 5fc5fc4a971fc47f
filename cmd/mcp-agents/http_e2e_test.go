package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// httpServer is the built binary serving --http on a free loopback port.
type httpServer struct {
	url    string // the MCP endpoint
	base   string // scheme://host:port
	cmd    *exec.Cmd
	stderr *lockedWriter
	exited chan error
}

var servingLine = regexp.MustCompile(`serving MCP at (\S+)`)

func (s sandbox) startHTTP(t *testing.T, args ...string) *httpServer {
	t.Helper()
	hs := &httpServer{stderr: &lockedWriter{w: &strings.Builder{}}, exited: make(chan error, 1)}
	args = append([]string{"serve", "--db", s.db, "--http", "127.0.0.1:0"}, args...)
	hs.cmd = exec.Command(binary, args...)
	hs.cmd.Env, hs.cmd.Dir = s.env(), s.cwd
	pr, pw := io.Pipe()
	hs.cmd.Stderr = io.MultiWriter(hs.stderr, pw)
	if err := hs.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { hs.exited <- hs.cmd.Wait(); pw.Close() }()
	t.Cleanup(func() {
		hs.cmd.Process.Kill()
		<-hs.exited
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := servingLine.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
		io.Copy(io.Discard, pr)
	}()
	select {
	case hs.url = <-found:
	case err := <-hs.exited:
		t.Fatalf("server exited: %v\n%s", err, hs.stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("server did not start in 30 s:\n%s", hs.stderr.String())
	}
	hs.base = strings.TrimSuffix(hs.url, "/mcp")
	return hs
}

// token creates a token with the CLI and returns the secret and its id.
func (s sandbox) token(t *testing.T, agent, role string, extra ...string) (secret, id string) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"tokens", "create", "--db", s.db, "--agent", agent, "--role", role}, extra...)...)
	cmd.Env, cmd.Dir = s.env(), s.cwd
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tokens create: %v", err)
	}
	var tok struct{ ID, Token string }
	if err := json.Unmarshal(out, &tok); err != nil || !strings.HasPrefix(tok.Token, "mcpa_") {
		t.Fatalf("tokens create printed %s (%v)", out, err)
	}
	return tok.Token, tok.ID
}

// httpClient is mcp-go's Streamable HTTP client with a GET stream open,
// every notification kept.
type httpClient struct {
	*liveServer
}

func (hs *httpServer) connect(t *testing.T, token string) *httpClient {
	t.Helper()
	opts := []transport.StreamableHTTPCOption{transport.WithContinuousListening()}
	if token != "" {
		opts = append(opts, transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + token}))
	}
	c, err := client.NewStreamableHttpClient(hs.url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ls := &liveServer{c: c, notes: make(chan mcp.JSONRPCNotification, 1000), stderr: hs.stderr}
	c.OnNotification(func(n mcp.JSONRPCNotification) { ls.notes <- n })
	// Start's context is the GET stream's: it must outlive this function.
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = mcp.LATEST_LEGACY_PROTOCOL_VERSION
	req.Params.ClientInfo = mcp.Implementation{Name: "e2e-http", Version: "1"}
	if _, err := c.Initialize(ctx, req); err != nil {
		t.Fatalf("initialize: %v\n%s", err, hs.stderr.String())
	}
	return &httpClient{ls}
}

// raw sends one HTTP request to the server.
func (hs *httpServer) raw(t *testing.T, method, path, token, session, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, hs.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if session != "" {
		req.Header.Set("Mcp-Session-Id", session)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

const initializeBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`

func TestHTTPTeamServer(t *testing.T) {
	s := newSandbox(t)
	alice, aliceID := s.token(t, "@frontend.react", "agent")
	bob, _ := s.token(t, "@database.postgres", "agent")
	herald, _ := s.token(t, "@backend.api", "agent", "--can-broadcast")
	watcher, _ := s.token(t, "@lead.human", "observer")
	proj := filepath.Join(s.cwd, ".claude", "project")
	if err := os.MkdirAll(proj, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(proj, "vision.md"), []byte("# Our vision\n\nShip small.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	hs := s.startHTTP(t)
	a, b := hs.connect(t, alice), hs.connect(t, bob)
	ctx := context.Background()

	// Every tool, prompt and resource is there over HTTP.
	tools, err := a.c.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	actorArg := map[string]string{"create_flag": "source_agent", "lock_flag": "agent", "unlock_flag": "agent",
		"complete_flag": "agent", "get_agent_flags": "agent"}
	for _, tool := range tools.Tools {
		arg, ok := actorArg[tool.Name]
		if !ok {
			continue
		}
		delete(actorArg, tool.Name)
		if slices.Contains(tool.InputSchema.Required, arg) {
			t.Errorf("with tokens, %s still requires %s: %v", tool.Name, arg, tool.InputSchema.Required)
		}
		if _, ok := tool.InputSchema.Properties[arg]; !ok {
			t.Errorf("with tokens, %s no longer offers %s", tool.Name, arg)
		}
	}
	if len(actorArg) > 0 {
		t.Errorf("tools/list lacks %v", actorArg)
	}
	if len(tools.Tools) < 9 {
		t.Fatalf("tools/list: %d tools", len(tools.Tools))
	}
	prompts, err := a.c.ListPrompts(ctx, mcp.ListPromptsRequest{})
	if err != nil || len(prompts.Prompts) == 0 {
		t.Fatalf("prompts/list: %v, %v", prompts, err)
	}
	preq := mcp.GetPromptRequest{}
	preq.Params.Name = "database.postgres"
	preq.Params.Arguments = map[string]string{"task": "tune the orders query"}
	if p, err := a.c.GetPrompt(ctx, preq); err != nil || len(p.Messages) != 1 {
		t.Fatalf("prompts/get: %v, %v", p, err)
	}
	res, err := a.c.ListResources(ctx, mcp.ListResourcesRequest{})
	if err != nil || len(res.Resources) == 0 {
		t.Fatalf("resources/list: %v, %v", res, err)
	}
	templates, err := a.c.ListResourceTemplates(ctx, mcp.ListResourceTemplatesRequest{})
	if err != nil || len(templates.ResourceTemplates) < 3 {
		t.Fatalf("resources/templates/list: %v, %v", templates, err)
	}
	read := func(c *httpClient, uri string) string {
		t.Helper()
		r := mcp.ReadResourceRequest{}
		r.Params.URI = uri
		out, err := c.c.ReadResource(ctx, r)
		if err != nil || len(out.Contents) == 0 {
			t.Fatalf("resources/read %s: %v, %v", uri, out, err)
		}
		return out.Contents[0].(mcp.TextResourceContents).Text
	}
	read(a, "agents://catalog")
	read(a, "agent://database.postgres")
	if got := read(a, "project://context"); !strings.Contains(got, `"uri":"project://context/vision"`) {
		t.Fatalf("project://context over HTTP: %s", got)
	}
	if got := read(a, "project://context/vision"); !strings.Contains(got, "Ship small.") {
		t.Fatalf("project://context/vision over HTTP: %s", got)
	}

	var found struct {
		Results []struct{ Name string } `json:"results"`
	}
	callTool(t, a.c, "search_agents", map[string]any{"query": "postgres index tuning"}, &found)
	if len(found.Results) == 0 {
		t.Fatal("search_agents found nothing")
	}
	callTool(t, a.c, "get_agent", map[string]any{"name": "@database.postgres"}, &struct{}{})

	// B subscribes to its own inbox; A's flag for B reaches it.
	inbox := "flags://inbox/database.postgres"
	if err := b.subscribe(t, inbox); err != nil {
		t.Fatalf("subscribe own inbox: %v", err)
	}
	if err := a.subscribe(t, inbox); err == nil || !strings.Contains(err.Error(), "@frontend.react") {
		t.Fatalf("A subscribing to B's inbox: %v, want a refusal naming A's agent", err)
	}
	args := flagArgs("@database.postgres")
	delete(args, "source_agent")
	var created struct {
		Flag struct {
			ID          int64  `json:"id"`
			SourceAgent string `json:"source_agent"`
		} `json:"flag"`
	}
	callTool(t, a.c, "create_flag", args, &created)
	if created.Flag.SourceAgent != "@frontend.react" {
		t.Fatalf("source_agent %q, want the token's agent", created.Flag.SourceAgent)
	}
	b.updated(t, "A's flag for B", inbox)
	if !strings.Contains(read(b, inbox), "orders API") {
		t.Fatal("B's inbox resource lacks A's flag")
	}

	// B's prompt shows the flag with the token it was created under.
	preq.Params.Arguments = nil
	p, err := b.c.GetPrompt(ctx, preq)
	if err != nil {
		t.Fatal(err)
	}
	if text := p.Messages[0].Content.(mcp.TextContent).Text; !strings.Contains(text, `source="@frontend.react" principal="token `+aliceID+` (role agent`) {
		t.Fatalf("B's prompt does not name A's token as the principal:\n%s", text)
	}

	// A may not act as another agent, nor broadcast.
	args["source_agent"] = "@ops.containers"
	if r := callTool(t, a.c, "create_flag", args, nil); !r.IsError || !strings.Contains(resultText(r), "@frontend.react") {
		t.Fatalf("A creating as @ops.containers: %s", resultText(r))
	}
	broadcast := flagArgs("")
	delete(broadcast, "target_agent")
	delete(broadcast, "source_agent")
	if r := callTool(t, a.c, "create_flag", broadcast, nil); !r.IsError || !strings.Contains(resultText(r), "broadcast") {
		t.Fatalf("A broadcasting: %s", resultText(r))
	}
	if r := callTool(t, b.c, "lock_flag", map[string]any{"flag_id": created.Flag.ID, "agent": "@frontend.react"}, nil); !r.IsError || !strings.Contains(resultText(r), "@database.postgres") {
		t.Fatalf("B locking as A: %s", resultText(r))
	}
	h := hs.connect(t, herald)
	callTool(t, h.c, "create_flag", broadcast, &struct{}{})

	// B works the flag as itself, without naming itself.
	callTool(t, b.c, "get_agent_flags", map[string]any{}, &struct{}{})
	callTool(t, b.c, "lock_flag", map[string]any{"flag_id": created.Flag.ID}, &struct{}{})
	callTool(t, b.c, "unlock_flag", map[string]any{"flag_id": created.Flag.ID}, &struct{}{})
	callTool(t, b.c, "complete_flag", map[string]any{"flag_id": created.Flag.ID, "notes": "indexed"}, &struct{}{})
	callTool(t, b.c, "list_flags", map[string]any{"status": "all"}, &struct{}{})
	var detail struct {
		Events []struct {
			Kind    string  `json:"kind"`
			Agent   string  `json:"agent"`
			TokenID *string `json:"token_id"`
		} `json:"events"`
	}
	callTool(t, b.c, "get_flag", map[string]any{"flag_id": created.Flag.ID}, &detail)
	if len(detail.Events) != 4 || detail.Events[0].TokenID == nil || *detail.Events[0].TokenID != aliceID {
		t.Fatalf("get_flag events %+v: want 4, the first under A's token %s", detail.Events, aliceID)
	}
	read(b, "flag://"+strconv.FormatInt(created.Flag.ID, 10))

	// An observer reads and never writes.
	o := hs.connect(t, watcher)
	callTool(t, o.c, "list_flags", map[string]any{}, &struct{}{})
	if r := callTool(t, o.c, "create_flag", flagArgs("@database.postgres"), nil); !r.IsError || !strings.Contains(resultText(r), "observer") {
		t.Fatalf("observer create_flag: %s", resultText(r))
	}
}

func TestHTTPRefusesBadTokens(t *testing.T) {
	s := newSandbox(t)
	good, _ := s.token(t, "@frontend.react", "agent")
	expiring, _ := s.token(t, "@frontend.react", "agent", "--expires", "1s")
	revoked, revokedID := s.token(t, "@frontend.react", "agent")
	cmd := exec.Command(binary, "tokens", "revoke", "--db", s.db, revokedID)
	cmd.Env, cmd.Dir = s.env(), s.cwd
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tokens revoke: %v %s", err, out)
	}
	hs := s.startHTTP(t)
	time.Sleep(1100 * time.Millisecond) // the expiring token expires

	meta := hs.base + "/.well-known/oauth-protected-resource/mcp"
	for name, tok := range map[string]string{"missing": "", "bad": "mcpa_not-a-token", "expired": expiring, "revoked": revoked} {
		resp := hs.raw(t, "POST", "/mcp", tok, "", initializeBody)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s token: status %d, want 401", name, resp.StatusCode)
			continue
		}
		wa := resp.Header.Get("WWW-Authenticate")
		if !strings.HasPrefix(wa, "Bearer ") || !strings.Contains(wa, `resource_metadata="`+meta+`"`) {
			t.Errorf("%s token: WWW-Authenticate %q", name, wa)
		}
		if (name != "missing") != strings.Contains(wa, `error="invalid_token"`) {
			t.Errorf("%s token: WWW-Authenticate %q (invalid_token only for a token given)", name, wa)
		}
	}
	// The metadata and health endpoints are outside authentication.
	resp := hs.raw(t, "GET", "/.well-known/oauth-protected-resource/mcp", "", "", "")
	var md struct {
		Resource string `json:"resource"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&md); err != nil || resp.StatusCode != 200 || md.Resource != hs.url {
		t.Fatalf("metadata: %d %+v %v, want resource %s", resp.StatusCode, md, err, hs.url)
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		if resp := hs.raw(t, "GET", p, "", "", ""); resp.StatusCode != 200 {
			t.Errorf("%s: %d", p, resp.StatusCode)
		}
	}
	if resp := hs.raw(t, "POST", "/mcp", good, "", initializeBody); resp.StatusCode != 200 {
		t.Fatalf("good token: %d", resp.StatusCode)
	}
	// tokens list shows every token, never a secret, with its last use.
	// The last use is recorded off the request's path, so it may take a
	// moment (longer on a loaded machine) to appear.
	var list []struct {
		ID         string  `json:"id"`
		LastUsedAt *string `json:"last_used_at"`
		RevokedAt  *string `json:"revoked_at"`
	}
	var out []byte
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		cmd = exec.Command(binary, "tokens", "list", "--db", s.db)
		cmd.Env, cmd.Dir = s.env(), s.cwd
		var err error
		if out, err = cmd.Output(); err != nil {
			t.Fatalf("tokens list: %v", err)
		}
		if strings.Contains(string(out), "mcpa_") {
			t.Fatalf("tokens list shows a secret:\n%s", out)
		}
		if err := json.Unmarshal(out, &list); err != nil || len(list) != 3 {
			t.Fatalf("tokens list: %s (%v)", out, err)
		}
		if list[0].LastUsedAt != nil || time.Now().After(deadline) {
			break
		}
	}
	if list[0].LastUsedAt == nil || list[2].ID != revokedID || list[2].RevokedAt == nil {
		t.Fatalf("tokens list: %s; want the good token's last use and the revoked one's time", out)
	}

	// A body over 4 MiB is refused before it is read whole.
	big := `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"` + strings.Repeat("a", 5<<20) + `"}}`
	if resp := hs.raw(t, "POST", "/mcp", good, "", big); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("5 MiB body: %d, want 413", resp.StatusCode)
	}
}

func TestHTTPSessionBoundToItsToken(t *testing.T) {
	s := newSandbox(t)
	alice, _ := s.token(t, "@frontend.react", "agent")
	mallory, _ := s.token(t, "@ops.containers", "agent")
	hs := s.startHTTP(t)
	resp := hs.raw(t, "POST", "/mcp", alice, "", initializeBody)
	session := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != 200 || session == "" {
		t.Fatalf("initialize: %d, session %q", resp.StatusCode, session)
	}
	ping := `{"jsonrpc":"2.0","id":2,"method":"ping"}`
	for _, m := range []string{"POST", "GET", "DELETE"} {
		if resp := hs.raw(t, m, "/mcp", mallory, session, ping); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s with another token's session: %d, want 403", m, resp.StatusCode)
		}
	}
	if resp := hs.raw(t, "POST", "/mcp", alice, session, ping); resp.StatusCode != 200 {
		t.Fatalf("the owner's ping: %d", resp.StatusCode)
	}
	if resp := hs.raw(t, "GET", "/mcp", alice, "mcp-session-made-up", ""); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("GET with an unknown session: %d, want 404", resp.StatusCode)
	}
}

// An initialize on a live session starts a new one that works, with an
// agent or an admin token as under --no-auth: with a token, the id it
// answered was unknown to every later request (404), so a client taking it
// from the response was stuck (found by a black-box audit).
func TestHTTPReinitializeOnALiveSession(t *testing.T) {
	s := newSandbox(t)
	agentTok, _ := s.token(t, "@frontend.react", "agent")
	adminTok, _ := s.token(t, "@ops.containers", "admin")
	withTokens, noAuth := s.startHTTP(t), s.startHTTP(t, "--no-auth")
	ping := `{"jsonrpc":"2.0","id":2,"method":"ping"}`
	for _, tc := range []struct {
		name  string
		hs    *httpServer
		token string
	}{{"agent token", withTokens, agentTok}, {"admin token", withTokens, adminTok}, {"no-auth", noAuth, ""}} {
		s1 := tc.hs.raw(t, "POST", "/mcp", tc.token, "", initializeBody).Header.Get("Mcp-Session-Id")
		resp := tc.hs.raw(t, "POST", "/mcp", tc.token, s1, initializeBody)
		s2 := resp.Header.Get("Mcp-Session-Id")
		if resp.StatusCode != 200 || s1 == "" || s2 == "" || s2 == s1 {
			t.Fatalf("%s: initialize on %q: %d, session %q; want 200 and a new session", tc.name, s1, resp.StatusCode, s2)
		}
		for _, sid := range []string{s2, s1} {
			if resp := tc.hs.raw(t, "POST", "/mcp", tc.token, sid, ping); resp.StatusCode != 200 {
				b, _ := io.ReadAll(resp.Body)
				t.Errorf("%s: ping on %s: %d %s", tc.name, sid, resp.StatusCode, b)
			}
		}
	}
}

func TestHTTPRateLimit(t *testing.T) {
	s := newSandbox(t)
	tok, _ := s.token(t, "@frontend.react", "agent")
	other, _ := s.token(t, "@ops.containers", "agent")
	hs := s.startHTTP(t, "--rate-limit", "0.1", "--rate-burst", "2") // one more every 10 s
	var codes []int
	for range 3 {
		codes = append(codes, hs.raw(t, "POST", "/mcp", tok, "", initializeBody).StatusCode)
	}
	resp := hs.raw(t, "POST", "/mcp", tok, "", initializeBody)
	if codes[0] != 200 || codes[1] != 200 || resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("statuses %v then %d (Retry-After %q), want 200 200 ... 429 with Retry-After", codes, resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// The limit is per token.
	if resp := hs.raw(t, "POST", "/mcp", other, "", initializeBody); resp.StatusCode != 200 {
		t.Fatalf("another token: %d", resp.StatusCode)
	}
	// 0 turns the limit off.
	off := s.startHTTP(t, "--rate-limit", "0", "--rate-burst", "1")
	for i := range 20 {
		if resp := off.raw(t, "POST", "/mcp", tok, "", initializeBody); resp.StatusCode != 200 {
			t.Fatalf("request %d with --rate-limit 0: %d", i, resp.StatusCode)
		}
	}
}

func TestHTTPReadyzFollowsTheDatabase(t *testing.T) {
	s := newSandbox(t)
	hs := s.startHTTP(t, "--no-auth")
	if resp := hs.raw(t, "GET", "/readyz", "", "", ""); resp.StatusCode != 200 {
		t.Fatalf("readyz: %d", resp.StatusCode)
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(s.db + suffix)
	}
	resp := hs.raw(t, "GET", "/readyz", "", "", "")
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusServiceUnavailable || !bytes.Contains(body, []byte("the database does not take writes")) {
		t.Fatalf("readyz with the database gone: %d %s", resp.StatusCode, body)
	}
	// The body is for anyone who can reach the port; the file's path, and
	// why, are for the log.
	if bytes.Contains(body, []byte(filepath.Base(s.db))) {
		t.Errorf("readyz body names the database file: %s", body)
	}
	if !waitLog(hs.stderr, "no longer names") {
		t.Errorf("the server log does not say why it is not ready:\n%s", hs.stderr)
	}
	if resp := hs.raw(t, "GET", "/healthz", "", "", ""); resp.StatusCode != 200 {
		t.Fatalf("healthz: %d", resp.StatusCode)
	}
	// Another process makes the database again: ready, with no call to
	// the server (a load balancer that took it out sends none). It stayed
	// 503 for good once the server watched the file rather than its
	// directory.
	cliCreateFlag(t, s, s.db, "@cli.after")
	deadline := time.Now().Add(5 * time.Second)
	for hs.raw(t, "GET", "/readyz", "", "", "").StatusCode != 200 {
		if time.Now().After(deadline) {
			t.Fatal("readyz still not ready 5 s after another process made the database again")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestHTTPGracefulShutdown(t *testing.T) {
	s := newSandbox(t)
	hs := s.startHTTP(t, "--no-auth")
	c := hs.connect(t, "")
	var answered atomic.Bool
	done := make(chan *mcp.CallToolResult, 1)
	go func() {
		req := mcp.CallToolRequest{}
		req.Params.Name = "get_agent_flags"
		req.Params.Arguments = map[string]any{"agent": "@cloud.aws", "wait_seconds": 50}
		r, _ := c.c.CallTool(context.Background(), req)
		answered.Store(r != nil && !r.IsError)
		done <- r
	}()
	time.Sleep(500 * time.Millisecond) // the call is waiting
	start := time.Now()
	if err := hs.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-hs.exited:
		hs.exited <- err // for the cleanup
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v, want 0\n%s", err, hs.stderr.String())
		}
	case <-time.After(12 * time.Second):
		t.Fatalf("still running 12 s after SIGTERM\n%s", hs.stderr.String())
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("shutdown took %s with an idle wait pending, want it ended at once", el)
	}
	select {
	case <-done:
		if !answered.Load() {
			t.Error("the pending wait was not answered with its current result")
		}
	case <-time.After(5 * time.Second):
		t.Error("the pending call never returned")
	}
}

func TestServeHTTPRefusesUnsafeAddresses(t *testing.T) {
	s := newSandbox(t)
	for _, args := range [][]string{
		{"--http", "0.0.0.0:0"},
		{"--http", "0.0.0.0:0", "--no-auth", "--insecure-http"},
		{"--no-auth"},
		{"--http", "127.0.0.1:0", "--tls-cert", "x.pem"},
	} {
		cmd := exec.Command(binary, append([]string{"serve", "--db", s.db}, args...)...)
		cmd.Env, cmd.Dir = s.env(), s.cwd
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
			t.Errorf("serve %v: %v, want exit 2\n%s", args, err, out)
		}
	}
}

// A certificate that cannot be read fails the start before anything
// listens or says it is serving.
func TestServeHTTPRefusesAMissingCertificate(t *testing.T) {
	s := newSandbox(t)
	cmd := exec.Command(binary, "serve", "--db", s.db, "--http", "127.0.0.1:0", "--tls-cert", "missing.pem", "--tls-key", "missing.pem")
	cmd.Env, cmd.Dir = s.env(), s.cwd
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), "--tls-cert") ||
		strings.Contains(string(out), "serving MCP") {
		t.Fatalf("serve with a missing certificate: %v\n%s", err, out)
	}
}

// TestHTTPTypeScriptSDKClient drives the team server with the official
// TypeScript SDK's Streamable HTTP client, the one Claude Code builds on.
func TestHTTPTypeScriptSDKClient(t *testing.T) {
	node, dir := tsClient(t)
	s := newSandbox(t)
	a, _ := s.token(t, "@frontend.react", "agent")
	b, _ := s.token(t, "@database.postgres", "agent")
	hs := s.startHTTP(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "http.mjs", hs.url, a, b)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("http.mjs: %v\nstdout: %s\nstderr: %s\nserver: %s", err, out, stderr, hs.stderr.String())
	}
	var seen struct {
		ServerName              string   `json:"serverName"`
		Tools                   []string `json:"tools"`
		Prompts                 int      `json:"prompts"`
		PromptHasTask           bool     `json:"promptHasTask"`
		CatalogEntries          int      `json:"catalogEntries"`
		ForeignSubscribeRefused bool     `json:"foreignSubscribeRefused"`
		CreatedSource           string   `json:"createdSource"`
		UpdatedURI              string   `json:"updatedURI"`
		OtherSourceRefused      bool     `json:"otherSourceRefused"`
		InboxAgent              string   `json:"inboxAgent"`
		InboxCount              int      `json:"inboxCount"`
		CompletedBy             string   `json:"completedBy"`
	}
	if err := json.Unmarshal(out, &seen); err != nil {
		t.Fatalf("decoding %s: %v", out, err)
	}
	for _, c := range []struct {
		what string
		ok   bool
	}{
		{"server name", seen.ServerName == "mcp-agents"},
		{"tools/list", len(seen.Tools) == 9},
		{"prompts/list and prompts/get", seen.Prompts >= 24 && seen.PromptHasTask},
		{"agents://catalog", seen.CatalogEntries == seen.Prompts},
		{"another agent's inbox cannot be subscribed to", seen.ForeignSubscribeRefused},
		{"source_agent defaults to the token's agent", seen.CreatedSource == "@frontend.react"},
		{"A's flag reaches B's subscribed inbox", seen.UpdatedURI == "flags://inbox/database.postgres"},
		{"acting as another agent is refused", seen.OtherSourceRefused},
		{"get_agent_flags defaults to the token's agent", seen.InboxAgent == "@database.postgres" && seen.InboxCount == 1},
		{"complete_flag acts as the token's agent", seen.CompletedBy == "@database.postgres"},
	} {
		if !c.ok {
			t.Errorf("%s: observed %+v", c.what, seen)
		}
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns
// their paths and a pool that trusts it.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mcp-agents test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		// Its own CA, so that Node (NODE_EXTRA_CA_CERTS) trusts it as well.
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestHTTPOverTLS(t *testing.T) {
	s := newSandbox(t)
	tok, _ := s.token(t, "@frontend.react", "agent")
	certFile, keyFile, pool := selfSigned(t)
	hs := s.startHTTP(t, "--tls-cert", certFile, "--tls-key", keyFile)
	if !strings.HasPrefix(hs.url, "https://127.0.0.1:") {
		t.Fatalf("resource %s, want https", hs.url)
	}
	httpc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	c, err := client.NewStreamableHttpClient(hs.url, transport.WithHTTPBasicClient(httpc),
		transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + tok}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = mcp.LATEST_LEGACY_PROTOCOL_VERSION
	req.Params.ClientInfo = mcp.Implementation{Name: "tls", Version: "1"}
	if _, err := c.Initialize(context.Background(), req); err != nil {
		t.Fatalf("initialize over TLS: %v\n%s", err, hs.stderr.String())
	}
	callTool(t, c, "get_agent_flags", map[string]any{}, &struct{}{})
	// Plain HTTP on the TLS port gets nowhere.
	if resp, err := http.Get(strings.Replace(hs.base, "https", "http", 1) + "/healthz"); err == nil && resp.StatusCode == 200 {
		t.Fatal("plain HTTP answered on the TLS port")
	}
}

func TestHTTPIdleSessionsEnd(t *testing.T) {
	s := newSandbox(t)
	tok, _ := s.token(t, "@frontend.react", "agent")
	hs := s.startHTTP(t, "--session-ttl", "1s")
	resp := hs.raw(t, "POST", "/mcp", tok, "", initializeBody)
	session := resp.Header.Get("Mcp-Session-Id")
	ping := `{"jsonrpc":"2.0","id":2,"method":"ping"}`
	if got := hs.raw(t, "POST", "/mcp", tok, session, ping).StatusCode; got != 200 {
		t.Fatalf("ping on a fresh session: %d", got)
	}
	time.Sleep(3 * time.Second) // idle: past the TTL and a sweep (every second)
	if got := hs.raw(t, "POST", "/mcp", tok, session, ping).StatusCode; got != http.StatusNotFound {
		t.Fatalf("ping on a session idle past its TTL: %d, want 404", got)
	}
}

// A GET stream ends with its session when mcp-go ends it by its idle TTL
// (no heartbeat within 1 s): it stayed open, hearing heartbeats and never a
// notification, while every POST on the session got 404 (found by a
// black-box audit).
func TestHTTPStreamEndsWithAnIdleSession(t *testing.T) {
	s := newSandbox(t)
	tok, _ := s.token(t, "@frontend.react", "agent")
	hs := s.startHTTP(t, "--session-ttl", "1s")
	session := hs.raw(t, "POST", "/mcp", tok, "", initializeBody).Header.Get("Mcp-Session-Id")
	stream := hs.raw(t, "GET", "/mcp", tok, session, "")
	if stream.StatusCode != 200 {
		t.Fatalf("GET stream: %d", stream.StatusCode)
	}
	ended := make(chan struct{})
	go func() { io.Copy(io.Discard, stream.Body); close(ended) }()
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the GET stream stayed open after its session ended")
	}
}

// The resource clients are told is scheme://ADDR/mcp with ADDR as given
// (a name stays a name), only the port filled in when ADDR asked for any.
func TestHTTPResourceNamesTheGivenHost(t *testing.T) {
	s := newSandbox(t)
	hs := s.startHTTP(t, "--http", "localhost:0")
	if !strings.HasPrefix(hs.url, "http://localhost:") || strings.HasSuffix(hs.url, ":0/mcp") {
		t.Fatalf("serving at %s, want http://localhost:PORT/mcp", hs.url)
	}
	resp := hs.raw(t, "GET", "/.well-known/oauth-protected-resource/mcp", "", "", "")
	var md struct {
		Resource string `json:"resource"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&md); err != nil || md.Resource != hs.url {
		t.Fatalf("metadata resource %q (%v), want %s", md.Resource, err, hs.url)
	}
}

// Under --no-auth the board has no login, so, like `mcp-agents board`, it
// answers only to loopback names: a page elsewhere that points its own
// name at 127.0.0.1 (DNS rebinding) cannot read it.
func TestHTTPNoAuthBoardOnlyForLoopbackNames(t *testing.T) {
	s := newSandbox(t)
	hs := s.startHTTP(t, "--no-auth")
	get := func(host string) int {
		t.Helper()
		req, _ := http.NewRequest("GET", hs.base+"/board/api/summary", nil)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	port := strings.TrimPrefix(hs.base[strings.LastIndex(hs.base, ":"):], ":")
	for _, host := range []string{"127.0.0.1:" + port, "localhost:" + port} {
		if code := get(host); code != http.StatusOK {
			t.Errorf("Host %s: %d, want 200", host, code)
		}
	}
	for _, host := range []string{"rebind.attacker.test:" + port, "evil.com"} {
		if code := get(host); code != http.StatusMisdirectedRequest {
			t.Errorf("Host %s: %d, want 421", host, code)
		}
	}
}

// The board's agent filter takes an alias, as every tool argument and
// command does: @database.sql shows @database.postgres's flags.
func TestHTTPBoardAgentFilterTakesAliases(t *testing.T) {
	s := newSandbox(t)
	hs := s.startHTTP(t, "--no-auth")
	if _, errOut, code := s.cli(t, "create-flag", "--db", s.db, "--flag_type", "change", "--source_agent", "@backend.api",
		"--target_agent", "@database.postgres",
		"--change_description", "The orders API now returns amounts in minor units instead of decimal strings.",
		"--action_required", "Update every consumer of /orders to read amount_minor, divide by 100 for display, and remove the decimal parsing helpers."); code != 0 {
		t.Fatalf("create-flag: exit %d: %s", code, errOut)
	}
	for _, agent := range []string{"@database.postgres", "@database.sql", "database.postgresql"} {
		resp, err := http.Get(hs.base + "/board/api/summary?agent=" + url.QueryEscape(agent))
		if err != nil {
			t.Fatal(err)
		}
		var sum struct {
			PendingTotal int `json:"pending_total"`
		}
		err = json.NewDecoder(resp.Body).Decode(&sum)
		resp.Body.Close()
		if err != nil || sum.PendingTotal != 1 {
			t.Errorf("board summary for agent %s: %d pending (err %v), want the flag sent to @database.postgres", agent, sum.PendingTotal, err)
		}
	}
}

// A change that wakes a get_agent_flags wait is also pushed to the
// session's inbox subscription, on the wait's own stream or the GET
// stream. mcp-go drops a notification that a call's stream takes just as
// the call ends, and the wait ended at once when woken: about half of
// these pushes were lost (when the wait had also been woken, with nothing
// to answer, by the completion just before it).
func TestHTTPPushThatWakesAWaitIsDelivered(t *testing.T) {
	s := newSandbox(t)
	bob, _ := s.token(t, "@database.postgres", "agent")
	hs := s.startHTTP(t)
	b := hs.connect(t, bob)
	if err := b.subscribe(t, "flags://inbox/@database.postgres"); err != nil {
		t.Fatal(err)
	}
	// Another process writes, as in a team where agents also use stdio
	// servers on the same database.
	create := func() int64 {
		t.Helper()
		out, stderr, code := s.cli(t, "create-flag", "--db", s.db, "--flag_type", "change", "--source_agent", "@backend.api",
			"--target_agent", "@database.postgres", "--change_description", flagArgs("")["change_description"].(string),
			"--action_required", flagArgs("")["action_required"].(string))
		var created flagOut
		if code != 0 || json.Unmarshal([]byte(out), &created) != nil {
			t.Fatalf("create-flag: exit %d %s %s", code, out, stderr)
		}
		return created.Flag.ID
	}
	const cycles = 10
	lost := 0
	previous := create()
	for i := range cycles {
		if _, _, code := s.cli(t, "complete-flag", "--db", s.db, strconv.FormatInt(previous, 10), "@database.postgres"); code != 0 {
			t.Fatalf("complete-flag %d: exit %d", previous, code)
		}
		woke := make(chan string, 1)
		go func() {
			req := mcp.CallToolRequest{}
			req.Params.Name, req.Params.Arguments = "get_agent_flags", map[string]any{"wait_seconds": 20}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			res, err := b.c.CallTool(ctx, req)
			if err != nil {
				woke <- err.Error()
				return
			}
			woke <- resultText(res)
		}()
		drainNotes(b.liveServer, time.Second) // the completion's push; the wait is listening
		previous = create()
		if got := <-woke; !strings.Contains(got, fmt.Sprintf(`"id":%d,`, previous)) {
			t.Fatalf("cycle %d: the wait answered %s, want flag %d", i, got, previous)
		}
		pushed := false
		for deadline := time.After(time.Second); !pushed; {
			select {
			case n := <-b.notes:
				pushed = n.Method == resourceUpdated
			case <-deadline:
				lost++
				pushed = true
			}
		}
	}
	// Scheduling decides the race; allow one loss on a loaded machine
	// rather than be flaky (it lost about five in ten).
	if lost > 1 {
		t.Errorf("%d of %d pushes of a change that woke a wait were lost", lost, cycles)
	}
}
