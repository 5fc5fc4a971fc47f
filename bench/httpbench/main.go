// Command httpbench loads `mcp-agents serve --http` with concurrent
// Streamable HTTP clients, side by side in one run with a no-op mcp-go HTTP
// server (this binary re-run with -serve-noop): search_agents alternating
// between the no-op, mcp-agents with a token and mcp-agents with --no-auth
// (and, with -compare, another build), a mixed load and its invariants,
// and what 1,000 idle sessions with open GET streams cost in RSS. The load
// client is a minimal JSON-RPC client (client.go), the same for every
// server.
//
// With -pg (or MCP_AGENTS_TEST_PG) the mixed load also runs against one
// and two `serve --http` replicas on a PostgreSQL database (see
// postgres.go), reported beside the SQLite figures.
//
//	go run ./bench/httpbench [-clients 64] [-duration 10s] [-rounds 5] [-idle 1000] [-compare BIN] [-pg URL]
package main

import (
	"bufio"
	"context"
	"encoding/json"
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
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcp-agents/mcp-agents/internal/httpserve"
)

func main() {
	serveNoop := flag.String("serve-noop", "", "internal: serve the no-op server on `ADDR`")
	bin := flag.String("bin", "", "mcp-agents binary (default: built from ./cmd/mcp-agents)")
	compare := flag.String("compare", "", "another mcp-agents `binary` (say, built from main) to load side by side with -bin, with a token")
	clients := flag.Int("clients", 64, "concurrent clients")
	duration := flag.Duration("duration", 10*time.Second, "length of each load phase (per server, split into -rounds)")
	rounds := flag.Int("rounds", 5, "the search phase alternates between the servers this many times, so machine load hits them alike")
	idle := flag.Int("idle", 1000, "idle sessions with GET streams for the memory figure (0: skip)")
	pgURL := flag.String("pg", os.Getenv("MCP_AGENTS_TEST_PG"), "a PostgreSQL server's `URL` (default $MCP_AGENTS_TEST_PG): the mixed load also runs on 1 and 2 replicas there, in databases of its own")
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
	env := append(os.Environ(), "HOME="+dir, "XDG_CACHE_HOME="+filepath.Join(dir, "cache"))

	// Every server in its own database: the mixed phase's counts stay exact.
	serve := func(bin, name string, auth bool) target {
		db := filepath.Join(dir, name+".db")
		args := []string{"serve", "--db", db, "--http", "127.0.0.1:0", "--log-level", "warn"}
		tok := ""
		if auth {
			var t struct{ Token string }
			out, err := command(env, bin, "tokens", "create", "--db", db, "--agent", "@bench.admin", "--role", "admin").Output()
			check(err)
			check(json.Unmarshal(out, &t))
			tok = t.Token
			args = append(args, "--rate-limit", "0")
		} else {
			args = append(args, "--no-auth")
		}
		cmd, url := start(env, bin, args...)
		return target{name: name, url: url, token: tok, cmd: cmd}
	}
	cmd, url := start(env, self, "-serve-noop", "127.0.0.1:0")
	noop := target{name: "no-op server: noop", url: url, cmd: cmd}
	agents := serve(*bin, "mcp-agents (token): search_agents", true)
	plain := serve(*bin, "mcp-agents (--no-auth): search", false)
	targets := []target{noop, agents, plain}
	if *compare != "" {
		targets = append(targets, serve(*compare, "-compare (token): search_agents", true))
	}
	for _, t := range targets {
		defer stop(t.cmd)
	}
	fmt.Printf("%d clients, %s per server and phase (search: %d alternating rounds); tokens with the rate limit off\n\n", *clients, *duration, *rounds)
	fmt.Printf("%-34s %10s %9s %9s\n", "phase", "calls/s", "p50", "p99")

	search := func(c *rpc, i, k int, r *rand.Rand) error {
		return c.call("search_agents", map[string]any{"query": queries[r.IntN(len(queries))], "limit": 5}, nil)
	}
	fns := []func(c *rpc, i, k int, r *rand.Rand) error{
		func(c *rpc, i, k int, r *rand.Rand) error { return c.call("noop", nil, nil) }, search, search, search}
	phases := make([]phase, len(targets))
	for range max(*rounds, 1) {
		for j, t := range targets {
			phases[j].add(load(t.url, t.token, *clients, *duration/time.Duration(max(*rounds, 1)), fns[j]))
		}
	}
	res := make([]result, len(targets))
	for j, t := range targets {
		res[j] = phases[j].report(t.name, *duration)
	}
	for j := 1; j < len(targets); j++ {
		fmt.Printf("%-34s vs no-op: throughput %.2fx (target >= 0.5x), p99 %.2fx (target <= 3x)\n",
			strings.TrimSpace(strings.SplitN(targets[j].name, ":", 2)[0]), res[j].rate/res[0].rate, float64(res[j].p99)/float64(res[0].p99))
	}
	fmt.Println()

	// The same mixed load against SQLite and, with -pg, against one and
	// two replicas on PostgreSQL, side by side: the rounds alternate
	// between them, as the search phase's do, so the machine's load hits
	// them alike.
	loads := []*mixedLoad{newMixed("SQLite, 1 server (token)", []target{agents}, *clients)}
	if *pgURL != "" {
		more, done := pgLoads(*pgURL, env, *bin, *clients)
		defer done()
		loads = append(loads, more...)
	}
	for range max(*rounds, 1) {
		for _, m := range loads {
			m.run(*duration / time.Duration(max(*rounds, 1)))
		}
	}
	fmt.Printf("%-34s %10s %9s %9s   invariants afterwards\n", "mixed 80/20", "calls/s", "p50", "p99")
	for _, m := range loads {
		m.report(*duration)
	}
	fmt.Println()

	if *idle > 0 {
		// The no-op's figure is mcp-go's own cost of a session and its stream.
		for _, t := range []target{noop, agents} {
			before := rss(t.cmd.Process.Pid)
			var open []*client.Client
			for range *idle {
				open = append(open, connect(t.url, t.token, transport.WithContinuousListening()))
			}
			time.Sleep(2 * time.Second) // the GET streams are open
			after := rss(t.cmd.Process.Pid)
			fmt.Printf("%s, %d idle sessions with GET streams: RSS %d MB -> %d MB (+%d MB; target <= 80 MB)\n",
				strings.SplitN(t.name, ":", 2)[0], *idle, before>>20, after>>20, (after-before)>>20)
			for _, c := range open {
				c.Close()
			}
		}
	}
}

type target struct {
	name, url, token string
	cmd              *exec.Cmd
}

var queries = []string{"tune slow postgres queries", "kubernetes helm chart", "react component state", "terraform aws",
	"kubernets helm charts", "security review of auth", "api design rest", "ci pipeline github actions"}

type result struct {
	rate     float64
	p50, p99 time.Duration
}

// phase accumulates the latencies and failures of one target's rounds.
type phase struct {
	lat      []time.Duration
	failed   int64
	firstErr string
}

func (p *phase) add(q phase) {
	p.lat = append(p.lat, q.lat...)
	p.failed += q.failed
	if p.firstErr == "" {
		p.firstErr = q.firstErr
	}
}

// report prints the phase's figures over d of load in all.
func (p *phase) report(name string, d time.Duration) result {
	slices.Sort(p.lat)
	res := result{rate: float64(len(p.lat)) / d.Seconds()}
	if len(p.lat) > 0 {
		res.p50, res.p99 = p.lat[len(p.lat)/2], p.lat[len(p.lat)*99/100]
	}
	fmt.Printf("%-34s %10.0f %9s %9s", name, res.rate, res.p50.Round(10*time.Microsecond), res.p99.Round(10*time.Microsecond))
	if p.failed > 0 {
		fmt.Printf("  (%d failed: %v)", p.failed, p.firstErr)
	}
	fmt.Println()
	return res
}

// load drives fn from n clients (one session each) for d.
func load(url, token string, n int, d time.Duration, fn func(c *rpc, i, k int, r *rand.Rand) error) phase {
	return loadSpread([]target{{url: url, token: token}}, n, d, fn)
}

// connect opens an mcp-go client session (for the idle GET streams).
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
// nothing, configured like mcp-agents' transport (stateful, the same idle
// TTL, heartbeat and protocol versions).
func runNoop(addr string) {
	s := server.NewMCPServer("noop", "0.0.0", server.WithToolCapabilities(false))
	s.AddTool(mcp.NewTool("noop", mcp.WithDescription("Does nothing; benchmark baseline.")),
		func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText("ok"), nil
		})
	h := server.NewStreamableHTTPServer(s, server.WithStateful(true),
		server.WithSessionIdleTTL(httpserve.DefaultSessionTTL), server.WithHeartbeatInterval(httpserve.DefaultHeartbeat),
		server.WithStreamableHTTPProtocolVersions(httpserve.ProtocolVersions...))
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
