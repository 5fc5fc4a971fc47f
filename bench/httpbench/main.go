// Command httpbench loads `mcp-agents serve --http` with concurrent
// Streamable HTTP clients (mcp-go's), side by side in one run with a no-op
// mcp-go HTTP server (this binary re-run with -serve-noop), and reports
// throughput and latency of each, the invariants after a mixed load, and
// what 1,000 idle sessions with open GET streams cost in RSS.
//
//	go run ./bench/httpbench [-clients 64] [-duration 10s] [-idle 1000]
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

func main() {
	serveNoop := flag.String("serve-noop", "", "internal: serve the no-op server on `ADDR`")
	bin := flag.String("bin", "", "mcp-agents binary (default: built from ./cmd/mcp-agents)")
	clients := flag.Int("clients", 64, "concurrent clients")
	duration := flag.Duration("duration", 10*time.Second, "length of each load phase")
	idle := flag.Int("idle", 1000, "idle sessions with GET streams for the memory figure (0: skip)")
	noAuth := flag.Bool("no-auth", false, "serve mcp-agents with --no-auth (to see what authentication costs)")
	flag.Parse()
	if *serveNoop != "" {
		runNoop(*serveNoop)
		return
	}
	log.SetFlags(0)
	slog.SetDefault(slog.New(slog.DiscardHandler)) // mcp-go's client logs each GET stream
	dir, err := os.MkdirTemp("", "httpbench")
	check(err)
	defer os.RemoveAll(dir)
	if *bin == "" {
		*bin = filepath.Join(dir, "mcp-agents")
		out, err := exec.Command("go", "build", "-trimpath", "-o", *bin, "./cmd/mcp-agents").CombinedOutput()
		if err != nil {
			log.Fatalf("building mcp-agents: %v\n%s", err, out)
		}
	}
	self, err := os.Executable()
	check(err)
	db := filepath.Join(dir, "agents.db")
	env := append(os.Environ(), "HOME="+dir, "XDG_CACHE_HOME="+filepath.Join(dir, "cache"))

	var tok struct{ Token string }
	out, err := command(env, *bin, "tokens", "create", "--db", db, "--agent", "@bench.admin", "--role", "admin").Output()
	check(err)
	check(json.Unmarshal(out, &tok))

	noop, noopURL := start(env, self, "-serve-noop", "127.0.0.1:0")
	defer stop(noop)
	serveArgs := []string{"serve", "--db", db, "--http", "127.0.0.1:0", "--rate-limit", "0", "--log-level", "warn"}
	if *noAuth {
		serveArgs = append(serveArgs[:len(serveArgs)-4], "--no-auth", "--log-level", "warn")
		tok.Token = ""
	}
	agents, agentsURL := start(env, *bin, serveArgs...)
	defer stop(agents)
	auth := "a bearer token, rate limit off"
	if *noAuth {
		auth = "--no-auth"
	}
	fmt.Printf("%d clients, %s per phase; mcp-agents with %s\n\n", *clients, *duration, auth)
	fmt.Printf("%-34s %10s %9s %9s\n", "phase", "calls/s", "p50", "p99")

	n := run("no-op server: noop tool", noopURL, "", *clients, *duration, func(c *client.Client, i, k int, r *rand.Rand) error {
		return call(c, "noop", nil)
	})
	s := run("mcp-agents: search_agents", agentsURL, tok.Token, *clients, *duration, func(c *client.Client, i, k int, r *rand.Rand) error {
		return call(c, "search_agents", map[string]any{"query": queries[r.IntN(len(queries))], "limit": 5})
	})
	fmt.Printf("\nsearch_agents vs no-op: throughput %.2fx (target >= 0.5x), p99 %.2fx (target <= 3x)\n\n",
		s.rate/n.rate, float64(s.p99)/float64(n.p99))

	var created, locks atomic.Int64
	var mu sync.Mutex
	holders := map[int64]map[string]bool{}
	run("mcp-agents: mixed 80/20", agentsURL, tok.Token, *clients, *duration, func(c *client.Client, i, k int, r *rand.Rand) error {
		me := "@bench.c" + strconv.Itoa(i)
		switch p := r.IntN(100); {
		case p < 40:
			return call(c, "search_agents", map[string]any{"query": queries[r.IntN(len(queries))]})
		case p < 80:
			return call(c, "get_agent_flags", map[string]any{"agent": "@bench.c" + strconv.Itoa(r.IntN(*clients))})
		case p < 87:
			err := callInto(c, "create_flag", map[string]any{"flag_type": "change", "source_agent": me,
				"target_agent": "@database.postgres", "change_description": strings.Repeat("The orders schema changed. ", 3),
				"action_required": strings.Repeat("Update the orders queries and their indexes accordingly. ", 3)}, nil)
			if err == nil {
				created.Add(1)
			}
			return err
		case p < 94:
			id := int64(1 + r.IntN(int(max(created.Load(), 1))))
			var out struct {
				Flag struct {
					LockedBy string `json:"locked_by"`
				}
			}
			if err := callInto(c, "lock_flag", map[string]any{"flag_id": id, "agent": me, "lease_seconds": 3600}, &out); err != nil {
				return nil // lost the race, or completed: an answer, not a failure
			}
			locks.Add(1)
			mu.Lock()
			if holders[id] == nil {
				holders[id] = map[string]bool{}
			}
			holders[id][out.Flag.LockedBy] = true
			mu.Unlock()
			return nil
		default:
			id := int64(1 + r.IntN(int(max(created.Load(), 1))))
			_ = callInto(c, "complete_flag", map[string]any{"flag_id": id, "agent": me}, nil)
			return nil
		}
	})
	// Invariants: every created flag is stored, none was locked by two agents.
	c := connect(agentsURL, tok.Token)
	var list struct{ Total int }
	check(callInto(c, "list_flags", map[string]any{"status": "all", "limit": 1}, &list))
	twice := 0
	for _, h := range holders {
		if len(h) > 1 {
			twice++
		}
	}
	fmt.Printf("\nmixed load: %d flags created, %d stored (lost: %d); %d locks granted, flags locked by two agents: %d\n",
		created.Load(), list.Total, created.Load()-int64(list.Total), locks.Load(), twice)
	c.Close()

	if *idle > 0 {
		before := rss(agents.Process.Pid)
		var open []*client.Client
		for range *idle {
			c := connect(agentsURL, tok.Token, transport.WithContinuousListening())
			open = append(open, c)
		}
		time.Sleep(2 * time.Second) // the GET streams are open
		after := rss(agents.Process.Pid)
		fmt.Printf("%d idle sessions with GET streams: RSS %d MB -> %d MB (+%d MB; target <= 80 MB)\n",
			*idle, before>>20, after>>20, (after-before)>>20)
		for _, c := range open {
			c.Close()
		}
	}
}

var queries = []string{"tune slow postgres queries", "kubernetes helm chart", "react component state", "terraform aws",
	"kubernets helm charts", "security review of auth", "api design rest", "ci pipeline github actions"}

type result struct {
	rate     float64
	p50, p99 time.Duration
}

// run drives fn from n clients for d and prints the phase's figures.
func run(name, url, token string, n int, d time.Duration, fn func(c *client.Client, i, k int, r *rand.Rand) error) result {
	cs := make([]*client.Client, n)
	for i := range cs {
		cs[i] = connect(url, token)
	}
	lat := make([][]time.Duration, n)
	var failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	deadline := time.Now().Add(d)
	for i := range cs {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(i), 1))
			for k := 0; time.Now().Before(deadline); k++ {
				t := time.Now()
				if err := fn(cs[i], i, k, r); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				lat[i] = append(lat[i], time.Since(t))
			}
		})
	}
	wg.Wait()
	for _, c := range cs {
		c.Close()
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	res := result{rate: float64(len(all)) / d.Seconds()}
	if len(all) > 0 {
		res.p50, res.p99 = all[len(all)/2], all[len(all)*99/100]
	}
	fmt.Printf("%-34s %10.0f %9s %9s", name, res.rate, res.p50.Round(10*time.Microsecond), res.p99.Round(10*time.Microsecond))
	if f := failed.Load(); f > 0 {
		fmt.Printf("  (%d failed: %v)", f, firstErr.Load())
	}
	fmt.Println()
	return res
}

func connect(url, token string, opts ...transport.StreamableHTTPCOption) *client.Client {
	if token != "" {
		opts = append(opts, transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + token}))
	}
	opts = append(opts, transport.WithHTTPBasicClient(&http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}))
	c, err := client.NewStreamableHttpClient(url, opts...)
	check(err)
	check(c.Start(context.Background()))
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = mcp.LATEST_LEGACY_PROTOCOL_VERSION
	req.Params.ClientInfo = mcp.Implementation{Name: "httpbench", Version: "1"}
	_, err = c.Initialize(context.Background(), req)
	check(err)
	return c
}

func call(c *client.Client, name string, args map[string]any) error {
	return callInto(c, name, args, nil)
}

func callInto(c *client.Client, name string, args map[string]any, out any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req := mcp.CallToolRequest{}
	req.Params.Name, req.Params.Arguments = name, args
	res, err := c.CallTool(ctx, req)
	if err != nil {
		return err
	}
	var text strings.Builder
	for _, ct := range res.Content {
		if tc, ok := ct.(mcp.TextContent); ok {
			text.WriteString(tc.Text)
		}
	}
	if res.IsError {
		return errors.New(name + ": " + text.String())
	}
	if out != nil {
		return json.Unmarshal([]byte(text.String()), out)
	}
	return nil
}

var serving = regexp.MustCompile(`serving MCP at (\S+)`)

// start runs a server and returns it with its MCP URL, read from the line
// it prints on stderr.
func start(env []string, name string, args ...string) (*exec.Cmd, string) {
	cmd := command(env, name, args...)
	stderr, err := cmd.StderrPipe()
	check(err)
	check(cmd.Start())
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if m := serving.FindStringSubmatch(sc.Text()); m != nil {
			go func() {
				for sc.Scan() {
				}
			}()
			return cmd, m[1]
		}
	}
	log.Fatalf("%s did not start", name)
	return nil, ""
}

func command(env []string, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Env = env
	return cmd
}

func stop(cmd *exec.Cmd) {
	cmd.Process.Signal(os.Interrupt)
	cmd.Wait()
}

// rss is the resident set of pid in bytes.
func rss(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	check(err)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// runNoop serves an mcp-go Streamable HTTP server with one tool that does
// nothing, configured like mcp-agents' transport (stateful).
func runNoop(addr string) {
	s := server.NewMCPServer("noop", "0.0.0", server.WithToolCapabilities(false))
	s.AddTool(mcp.NewTool("noop", mcp.WithDescription("Does nothing; benchmark baseline.")),
		func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText("ok"), nil
		})
	h := server.NewStreamableHTTPServer(s, server.WithStateful(true))
	ln, err := net.Listen("tcp", addr)
	check(err)
	fmt.Fprintf(os.Stderr, "serving MCP at http://%s/mcp\n", ln.Addr())
	mux := http.NewServeMux()
	mux.Handle("/mcp", h)
	check(http.Serve(ln, mux))
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
