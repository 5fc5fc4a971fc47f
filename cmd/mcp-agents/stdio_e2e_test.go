package main

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rawServer is the built binary spoken to line by line, without a client
// library in between.
type rawServer struct {
	t   *testing.T
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

func (s sandbox) startRaw(t *testing.T, args ...string) *rawServer {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve", "--db", s.db}, args...)...)
	cmd.Env, cmd.Dir = s.env(), s.cwd
	in, out := startPiped(t, cmd)
	t.Cleanup(func() { in.Close(); _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return &rawServer{t: t, cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<20)}
}

func (r *rawServer) send(line string) {
	r.t.Helper()
	if _, err := io.WriteString(r.in, line+"\n"); err != nil {
		r.t.Fatalf("send: %v", err)
	}
}

func (r *rawServer) recv() string {
	r.t.Helper()
	timer := time.AfterFunc(30*time.Second, func() { _ = r.cmd.Process.Kill() })
	defer timer.Stop()
	line, err := r.out.ReadString('\n')
	if err != nil {
		r.t.Fatalf("recv: %v (the server died or answered nothing within 30 s)", err)
	}
	return strings.TrimSuffix(line, "\n")
}

// peakRSS is the process's high-water resident set size in bytes, from
// /proc (Linux).
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Skip("no VmHWM in /proc status")
	return 0
}

const rawInit = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`

// A request nested deeper than Go's JSON decoder reads is answered by its
// id, not with a parse error for id null that leaves the client waiting.
func TestDeeplyNestedRequestLine(t *testing.T) {
	s := newSandbox(t)
	r := s.startRaw(t)
	r.send(rawInit)
	r.recv()
	const depth = 10001
	r.send(`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"create_flag","arguments":{"context":` +
		strings.Repeat(`{"a":`, depth) + "1" + strings.Repeat("}", depth) + `}}}`)
	if got := r.recv(); !strings.Contains(got, `"id":3`) || !strings.Contains(got, `"code":-32600`) || !strings.Contains(got, "10000 levels") {
		t.Fatalf("a line nested over 10,000 levels answered %.300s; want an invalid-request error for id 3 naming the limit", got)
	}
	r.send(`{"jsonrpc":"2.0","id":4,"method":"ping"}`)
	if got := r.recv(); got != `{"jsonrpc":"2.0","id":4,"result":{}}` {
		t.Errorf("ping after the deep line answered %s", got)
	}
}

// A request line over 4 MiB is answered with an error naming the limit, by
// id, and costs about the limit in memory, not a multiple of the line; the
// server goes on serving.
func TestOversizedRequestLine(t *testing.T) {
	s := newSandbox(t)
	r := s.startRaw(t)
	r.send(rawInit)
	r.recv()
	r.send(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"search_agents","arguments":{"query":"kubernetes"}}}`)
	r.recv()
	before := peakRSS(t, r.cmd.Process.Pid)

	var line bytes.Buffer
	line.WriteString(`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"search_agents","arguments":{"query":"`)
	for line.Len() < 32<<20 {
		line.WriteString("kubernetes helm chart ")
	}
	line.WriteString(`"}}}`)
	r.send(line.String())
	got := r.recv()
	if !strings.Contains(got, `"id":3`) || !strings.Contains(got, `"code":-32600`) || !strings.Contains(got, "4194304") {
		t.Fatalf("a 32 MiB line answered %.300s; want an invalid-request error for id 3 naming the limit", got)
	}
	grew := peakRSS(t, r.cmd.Process.Pid) - before
	t.Logf("peak RSS grew by %.1f MiB", float64(grew)/(1<<20))
	if grew > 64<<20 {
		t.Errorf("a 32 MiB request line raised peak memory by %d MiB; want it bounded near the 4 MiB limit", grew>>20)
	}
	r.send(`{"jsonrpc":"2.0","id":4,"method":"ping"}`)
	if got := r.recv(); got != `{"jsonrpc":"2.0","id":4,"result":{}}` {
		t.Errorf("ping after the oversized line answered %s", got)
	}
}
