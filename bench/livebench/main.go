// Command livebench measures how fast changes reach clients of mcp-agents
// over stdio, with the built binary and mcp-go's client:
//
//   - reload: an agent file written → notifications/prompts/list_changed;
//   - push: create_flag sent to a second server process →
//     notifications/resources/updated at a subscriber of the first;
//   - wait: create_flag sent to the second process → the answer to a
//     get_agent_flags wait_seconds call pending at the first;
//   - idle: CPU time of N servers on one database, each with an inbox
//     subscription (so each polls), over a quiet interval.
//
// Usage: go run ./bench/livebench [-n 20] [-servers 10] [-idle 20s] [-bin PATH]
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

func main() {
	n := flag.Int("n", 20, "samples per latency measure")
	servers := flag.Int("servers", 10, "servers sharing one database for the idle measure")
	idle := flag.Duration("idle", 20*time.Second, "length of the idle measure")
	bin := flag.String("bin", "", "mcp-agents binary (default: build ./cmd/mcp-agents)")
	flag.Parse()
	log.SetFlags(0)

	work, err := os.MkdirTemp("", "livebench")
	check(err)
	defer os.RemoveAll(work)
	if *bin == "" {
		*bin = filepath.Join(work, "mcp-agents")
		out, err := exec.Command("go", "build", "-trimpath", "-o", *bin, "./cmd/mcp-agents").CombinedOutput()
		if err != nil {
			log.Fatalf("build: %v\n%s", err, out)
		}
	}
	b := &bench{bin: *bin, work: work, db: filepath.Join(work, "agents.db")}

	fmt.Printf("reload (write → prompts/list_changed), %d edits: %s\n", *n, b.reload(*n))
	push, wait := b.flags(*n)
	fmt.Printf("push (create_flag sent by another process → resources/updated), %d flags: %s\n", *n, push)
	fmt.Printf("wait (create_flag sent by another process → wait_seconds answer), %d flags: %s\n", *n, wait)
	fmt.Printf("idle: %s\n", b.idle(*servers, *idle))
}

type bench struct {
	bin, work, db string
	ids           atomic.Int64
}

type server struct {
	c     *client.Client
	cmd   *exec.Cmd
	notes chan note
}

type note struct {
	at time.Time
	n  mcp.JSONRPCNotification
}

func (b *bench) start(args ...string) *server {
	s := &server{notes: make(chan note, 10000)}
	home := filepath.Join(b.work, "home")
	check(os.MkdirAll(home, 0o755))
	c, err := client.NewStdioMCPClientWithOptions(b.bin, nil, append([]string{"serve", "--db", b.db}, args...),
		transport.WithCommandFunc(func(ctx context.Context, command string, _ []string, args []string) (*exec.Cmd, error) {
			cmd := exec.CommandContext(ctx, command, args...)
			cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CACHE_HOME="+filepath.Join(home, ".cache"))
			cmd.Dir = b.work
			s.cmd = cmd
			return cmd, nil
		}))
	check(err)
	c.OnNotification(func(n mcp.JSONRPCNotification) { s.notes <- note{time.Now(), n} })
	check(c.Start(context.Background()))
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	req.Params.ClientInfo = mcp.Implementation{Name: "livebench", Version: "1"}
	_, err = c.Initialize(context.Background(), req)
	check(err)
	s.c = c
	return s
}

// next returns the next notification of method, or fails after 10 s.
func (s *server) next(method string) note {
	deadline := time.After(10 * time.Second)
	for {
		select {
		case n := <-s.notes:
			if n.n.Method == method {
				return n
			}
		case <-deadline:
			log.Fatalf("no %s within 10s", method)
		}
	}
}

func (s *server) drain() {
	for {
		select {
		case <-s.notes:
		case <-time.After(300 * time.Millisecond):
			return
		}
	}
}

func (s *server) call(name string, args map[string]any) *mcp.CallToolResult {
	req := mcp.CallToolRequest{}
	req.Params.Name, req.Params.Arguments = name, args
	res, err := s.c.CallTool(context.Background(), req)
	check(err)
	if res.IsError {
		log.Fatalf("%s: %v", name, res.Content)
	}
	return res
}

func (b *bench) reload(n int) summary {
	dir := filepath.Join(b.work, "agents")
	check(os.MkdirAll(dir, 0o755))
	file := func(i int) {
		text := fmt.Sprintf("---\nname: bench.reload\ndescription: Edit number %d.\n---\nBody %d.\n", i, i)
		check(os.WriteFile(filepath.Join(dir, "reload.md"), []byte(text), 0o644))
	}
	file(0)
	s := b.start("--agents", dir)
	defer s.c.Close()
	s.drain()
	var d []time.Duration
	for i := 1; i <= n; i++ {
		start := time.Now()
		file(i)
		got := s.next(string(mcp.MethodNotificationPromptsListChanged))
		d = append(d, got.at.Sub(start))
		s.drain()
	}
	return summarize(d)
}

func flagArgs(target string) map[string]any {
	return map[string]any{
		"flag_type": "change", "source_agent": "@backend.api", "target_agent": target,
		"change_description": "The orders API now returns amounts in minor units instead of decimal strings.",
		"action_required":    "Update every consumer of /orders to read amount_minor, divide by 100 for display, and remove the decimal parsing helpers.",
	}
}

func (b *bench) subscribe(s *server, uri string) {
	resp, err := s.c.GetTransport().SendRequest(context.Background(), transport.JSONRPCRequest{
		JSONRPC: mcp.JSONRPC_VERSION, ID: mcp.NewRequestId(b.ids.Add(1) + 1_000_000),
		Method: string(mcp.MethodResourcesSubscribe), Params: map[string]any{"uri": uri},
	})
	check(err)
	if resp.Error != nil {
		log.Fatalf("subscribe: %s", resp.Error.Message)
	}
}

func (b *bench) flags(n int) (push, wait summary) {
	a, other := b.start(), b.start()
	defer a.c.Close()
	defer other.c.Close()
	const uri = "flags://inbox/database.postgres"
	b.subscribe(a, uri)
	var pd, wd []time.Duration
	for range n {
		start := time.Now()
		other.call("create_flag", flagArgs("@database.postgres"))
		got := a.next(string(mcp.MethodNotificationResourceUpdated))
		pd = append(pd, got.at.Sub(start))
		time.Sleep(50 * time.Millisecond)
	}
	for i := range n {
		// create_flag needs a target in the catalog: built-in agents in turn.
		target := []string{"@cloud.aws", "@frontend.react", "@ops.containers", "@backend.go", "@data.engineering"}[i%5]
		done := make(chan time.Time, 1)
		go func() {
			a.call("get_agent_flags", map[string]any{"agent": target, "wait_seconds": 30, "status": "pending", "include_locked": false})
			done <- time.Now()
		}()
		time.Sleep(200 * time.Millisecond) // the call is waiting
		start := time.Now()
		res := other.call("create_flag", flagArgs(target))
		end := <-done
		wd = append(wd, end.Sub(start))
		var id int64
		if sc, ok := res.StructuredContent.(map[string]any); ok {
			if f, ok := sc["flag"].(map[string]any); ok {
				id = int64(f["id"].(float64))
			}
		}
		// Complete it so the next wait on this inbox starts empty.
		other.call("complete_flag", map[string]any{"flag_id": id, "agent": target})
	}
	return summarize(pd), summarize(wd)
}

func (b *bench) idle(n int, d time.Duration) string {
	var ss []*server
	for range n {
		s := b.start()
		b.subscribe(s, "flags://inbox/@bench.idle")
		ss = append(ss, s)
	}
	defer func() {
		for _, s := range ss {
			s.c.Close()
		}
	}()
	time.Sleep(time.Second) // start-up work and the first rescan are over
	before := make([]time.Duration, n)
	for i, s := range ss {
		before[i] = cpu(s.cmd.Process.Pid)
	}
	time.Sleep(d)
	var pct []float64
	for i, s := range ss {
		pct = append(pct, 100*float64(cpu(s.cmd.Process.Pid)-before[i])/float64(d))
	}
	slices.Sort(pct)
	sum := 0.0
	for _, p := range pct {
		sum += p
	}
	return fmt.Sprintf("%d servers polling one database for %s: mean %.2f%% of a core each, max %.2f%%",
		n, d, sum/float64(n), pct[len(pct)-1])
}

// cpu returns a process's user+system time from /proc (Linux).
func cpu(pid int) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	check(err)
	fields := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+2:]))
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	const ticks = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticks
}

type summary struct{ p50, p90, p99, max time.Duration }

func summarize(d []time.Duration) summary {
	slices.Sort(d)
	at := func(q float64) time.Duration { return d[min(len(d)-1, int(q*float64(len(d))))] }
	return summary{at(0.5), at(0.9), at(0.99), d[len(d)-1]}
}

func (s summary) String() string {
	r := func(d time.Duration) string { return d.Round(time.Millisecond).String() }
	return fmt.Sprintf("p50 %s, p90 %s, p99 %s, max %s", r(s.p50), r(s.p90), r(s.p99), r(s.max))
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
