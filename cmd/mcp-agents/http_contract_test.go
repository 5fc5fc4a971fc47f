package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mcp-agents/mcp-agents/internal/httpserve"
)

// TestHTTPServesOnlySessionProtocolVersions: the team server speaks
// 2025-03-26 to 2025-11-25 only. An initialize asking for 2026-07-28 (which
// has no sessions) is answered with 2025-11-25, and a request in the
// 2026-07-28 style (no session; version in _meta and the header) is
// refused with the versions served.
func TestHTTPServesOnlySessionProtocolVersions(t *testing.T) {
	s := newSandbox(t)
	tok, _ := s.token(t, "@frontend.react", "agent")
	hs := s.startHTTP(t)
	for asked, want := range map[string]string{"2026-07-28": "2025-11-25", "2024-11-05": "2025-11-25", "2025-03-26": "2025-03-26"} {
		body := strings.Replace(initializeBody, "2025-06-18", asked, 1)
		resp := hs.raw(t, "POST", "/mcp", tok, "", body)
		var res struct {
			Result struct {
				ProtocolVersion string `json:"protocolVersion"`
			} `json:"result"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&res); err != nil || resp.StatusCode != 200 || res.Result.ProtocolVersion != want {
			t.Errorf("initialize asking %s: %d %+v %v, want %s", asked, resp.StatusCode, res, err, want)
		}
	}
	modern := `{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",` +
		`"io.modelcontextprotocol/clientInfo":{"name":"c","version":"1"},"io.modelcontextprotocol/clientCapabilities":{}}}}`
	req, _ := http.NewRequest("POST", hs.url, strings.NewReader(modern))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2026-07-28")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "2026-07-28") || !strings.Contains(string(b), "2025-03-26") {
		t.Fatalf("a 2026-07-28 request: %d %s, want 400 naming the versions served", resp.StatusCode, b)
	}
}

// TestHTTPRefusesRebindingHosts: the DNS-rebinding protection stays on: a
// request whose Host is not the loopback address it serves on (nor the
// --public-url's host) is refused, token or not.
func TestHTTPRefusesRebindingHosts(t *testing.T) {
	s := newSandbox(t)
	tok, _ := s.token(t, "@frontend.react", "agent")
	initialize := func(url, host string) int {
		t.Helper()
		req, _ := http.NewRequest("POST", url, strings.NewReader(initializeBody))
		req.Host = host
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	hs := s.startHTTP(t)
	if got := initialize(hs.url, "attacker.example:8765"); got != http.StatusForbidden {
		t.Fatalf("initialize with Host attacker.example: %d, want 403", got)
	}
	if got := hs.raw(t, "POST", "/mcp", tok, "", initializeBody).StatusCode; got != 200 {
		t.Fatalf("the same initialize with the right Host: %d", got)
	}

	// Behind a TLS proxy on this machine that passes the client's Host
	// on, the --public-url's host is this server's own. (The server names
	// its --public-url as where it serves, so the address it listens on is
	// chosen here.)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s.startHTTP(t, "--http", addr, "--public-url", "https://mcp.example.com/mcp")
	for host, want := range map[string]int{"mcp.example.com": 200, "attacker.example": 403} {
		if got := initialize("http://"+addr+"/mcp", host); got != want {
			t.Errorf("initialize through a proxy with Host %s: %d, want %d", host, got, want)
		}
	}
}

// TestTokensCreatePrintsTheContract: `tokens create` prints the JSON object
// {id, token, agent, role, expires_at} once; --expires takes days or a Go
// duration, no --expires means no expiry (null); `tokens list` never shows
// a secret; --agent is required for every role.
func TestTokensCreatePrintsTheContract(t *testing.T) {
	s := newSandbox(t)
	run := func(args ...string) ([]byte, error) {
		cmd := exec.Command(binary, append([]string{"tokens"}, append(args, "--db", s.db)...)...)
		cmd.Env, cmd.Dir = s.env(), s.cwd
		return cmd.Output()
	}
	for _, tc := range []struct {
		args   []string
		role   string
		expiry time.Duration // 0: none
	}{
		{[]string{"--agent", "Frontend.React", "--role", "agent", "--expires", "30d", "--note", "alice laptop"}, "agent", 30 * 24 * time.Hour},
		{[]string{"--agent", "@lead.human", "--role", "observer", "--expires", "720h"}, "observer", 720 * time.Hour},
		{[]string{"--agent", "@lead.dev", "--role", "admin"}, "admin", 0},
	} {
		before := time.Now()
		out, err := run(append([]string{"create"}, tc.args...)...)
		if err != nil {
			t.Fatalf("tokens create %v: %v", tc.args, err)
		}
		var got map[string]any
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("tokens create %v printed %s: %v", tc.args, out, err)
		}
		for _, k := range []string{"id", "token", "agent", "role", "expires_at"} {
			if _, ok := got[k]; !ok {
				t.Errorf("tokens create %v: no %q in %s", tc.args, k, out)
			}
		}
		if tok, _ := got["token"].(string); !strings.HasPrefix(tok, "mcpa_") || len(tok) < len("mcpa_")+22 {
			t.Errorf("token %q: want mcpa_ and at least 128 bits", tok)
		}
		if agent, _ := got["agent"].(string); !strings.HasPrefix(agent, "@") || got["role"] != tc.role {
			t.Errorf("tokens create %v: agent %v role %v", tc.args, got["agent"], got["role"])
		}
		switch exp, _ := got["expires_at"].(string); {
		case tc.expiry == 0 && got["expires_at"] != nil:
			t.Errorf("tokens create %v: expires_at %v, want null", tc.args, got["expires_at"])
		case tc.expiry != 0:
			at, err := time.Parse(time.RFC3339, exp)
			if err != nil || at.Before(before.Add(tc.expiry-time.Minute)) || at.After(time.Now().Add(tc.expiry+time.Minute)) {
				t.Errorf("tokens create %v: expires_at %q, want about %s from now", tc.args, exp, tc.expiry)
			}
		}
	}
	out, err := run("list")
	if err != nil || strings.Contains(string(out), "mcpa_") {
		t.Fatalf("tokens list: %v\n%s", err, out)
	}
	for _, role := range []string{"agent", "observer", "admin"} {
		if _, err := run("create", "--role", role); err == nil {
			t.Errorf("tokens create --role %s without --agent succeeded", role)
		}
	}
}

// TestHTTPTokenRotation: an agent may hold several live tokens (rotation):
// both work side by side, and revoking the old one (from another process,
// as an operator would) shuts it out within the token cache's TTL while
// the new one goes on working.
func TestHTTPTokenRotation(t *testing.T) {
	s := newSandbox(t)
	old, oldID := s.token(t, "@frontend.react", "agent")
	hs := s.startHTTP(t)
	fresh, _ := s.token(t, "@frontend.react", "agent", "--note", "rotated")
	for name, tok := range map[string]string{"old": old, "new": fresh} {
		if got := hs.raw(t, "POST", "/mcp", tok, "", initializeBody).StatusCode; got != 200 {
			t.Fatalf("%s token of the same agent: %d, want 200", name, got)
		}
	}
	cmd := exec.Command(binary, "tokens", "revoke", "--db", s.db, oldID)
	cmd.Env, cmd.Dir = s.env(), s.cwd
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tokens revoke: %v %s", err, out)
	}
	deadline := time.Now().Add(httpserve.TokenCacheTTL + 5*time.Second)
	for hs.raw(t, "POST", "/mcp", old, "", initializeBody).StatusCode != http.StatusUnauthorized {
		if time.Now().After(deadline) {
			t.Fatalf("the revoked token still works %s after the revocation", httpserve.TokenCacheTTL+5*time.Second)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if got := hs.raw(t, "POST", "/mcp", fresh, "", initializeBody).StatusCode; got != 200 {
		t.Fatalf("the new token after the old one's revocation: %d, want 200", got)
	}
}

// TestHTTPNoAuthHasNoRateLimit: --no-auth (one person, loopback) is not
// rate limited, whatever --rate-limit says.
func TestHTTPNoAuthHasNoRateLimit(t *testing.T) {
	s := newSandbox(t)
	hs := s.startHTTP(t, "--no-auth", "--rate-limit", "0.1", "--rate-burst", "1")
	for i := range 10 {
		if got := hs.raw(t, "POST", "/mcp", "", "", initializeBody).StatusCode; got != 200 {
			t.Fatalf("request %d under --no-auth: %d, want 200 (no rate limit)", i, got)
		}
	}
}

// TestNoPortWithoutHTTP: without --http the server has no network socket
// at all while it serves stdio; with --http it listens (the check can see
// one). Linux: the process's socket inodes against /proc/PID/net.
func TestNoPortWithoutHTTP(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	s := newSandbox(t)
	ls := s.startLive(t)
	callTool(t, ls.c, "get_agent_flags", map[string]any{"agent": "@ops.containers"}, &struct{}{})
	if socks := inetSockets(t, serverPID(t, s)); len(socks) > 0 {
		t.Errorf("the stdio server has network sockets:\n%s", strings.Join(socks, "\n"))
	}
	hs := newSandbox(t).startHTTP(t, "--no-auth")
	listening := false
	for _, line := range inetSockets(t, strconv.Itoa(hs.cmd.Process.Pid)) {
		listening = listening || strings.Fields(line)[4] == "0A" // "table:" sl local rem st; 0A: TCP_LISTEN
	}
	if !listening {
		t.Error("the check found no listening socket of serve --http")
	}
}

// inetSockets returns the /proc/PID/net/{tcp,tcp6,udp,udp6} lines of the
// sockets process pid holds.
func inetSockets(t *testing.T, pid string) []string {
	t.Helper()
	fds, err := os.ReadDir(filepath.Join("/proc", pid, "fd"))
	if err != nil {
		t.Fatal(err)
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		target, _ := os.Readlink(filepath.Join("/proc", pid, "fd", fd.Name()))
		if inode, ok := strings.CutPrefix(target, "socket:["); ok {
			inodes[strings.TrimSuffix(inode, "]")] = true
		}
	}
	var out []string
	for _, table := range []string{"tcp", "tcp6", "udp", "udp6"} {
		f, err := os.Open(filepath.Join("/proc", pid, "net", table))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
			if fields := strings.Fields(sc.Text()); len(fields) > 9 && inodes[fields[9]] {
				out = append(out, table+": "+sc.Text())
			}
		}
		f.Close()
	}
	return out
}

// serverPID finds the process serving s.db (the one startLive started).
func serverPID(t *testing.T, s sandbox) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
			if err == nil && strings.HasPrefix(string(cmdline), binary+"\x00serve\x00--db\x00"+s.db+"\x00") {
				return e.Name()
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the server process was not found")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
