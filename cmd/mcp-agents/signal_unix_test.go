//go:build unix

package main

import (
	"bufio"
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// stdioProcess is the built binary serving over raw pipes, so a test can
// signal it and read every line it wrote.
type stdioProcess struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout io.ReadCloser
	stderr *lockedWriter
	done   chan struct{}
	err    error
	sent   time.Time
	took   time.Duration // from the signal to the exit
}

func (s sandbox) spawn(t *testing.T, args ...string) *stdioProcess {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = s.env()
	cmd.Dir = s.cwd
	p := &stdioProcess{cmd: cmd, stderr: &lockedWriter{w: &strings.Builder{}}, done: make(chan struct{})}
	cmd.Stderr = p.stderr
	p.stdin, p.stdout = startPiped(t, cmd)
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
	})
	go func() {
		// Wait closes stdout; the reading test sees EOF first.
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p
}

// signal sends sig and waits for the exit; it returns the exit code.
func (p *stdioProcess) signal(t *testing.T, sig os.Signal) int {
	t.Helper()
	p.send(sig)
	return p.wait(t, sig)
}

func (p *stdioProcess) send(sig os.Signal) {
	p.sent = time.Now()
	p.cmd.Process.Signal(sig)
}

// wait waits for the exit, at most a generous 15 s (far beyond the 1 s
// watchdog) after the signal.
func (p *stdioProcess) wait(t *testing.T, sig os.Signal) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		t.Fatalf("still running 15 s after %v; stderr:\n%s", sig, p.stderr.String())
	}
	p.took = time.Since(p.sent)
	var ee *exec.ExitError
	if p.err != nil && !errors.As(p.err, &ee) {
		t.Fatal(p.err)
	}
	if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		t.Fatalf("killed by %v instead of exiting; stderr:\n%s", ws.Signal(), p.stderr.String())
	}
	return p.cmd.ProcessState.ExitCode()
}

const initializeLine = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"signal-test","version":"1"}}}` + "\n" +
	`{"jsonrpc":"2.0","method":"notifications/initialized"}` + "\n"

// Idle and serving, the server ends on SIGTERM (143) or SIGINT (130) by its
// ordinary path: it closes the database, which SQLite shows by removing the
// write-ahead log (a process ended by the watchdog would leave it).
func TestSignalWhileServing(t *testing.T) {
	for _, c := range []struct {
		sig  os.Signal
		want int
	}{{syscall.SIGTERM, 143}, {syscall.SIGINT, 130}} {
		t.Run(c.sig.String(), func(t *testing.T) {
			s := newSandbox(t)
			p := s.spawn(t, "serve", "--db", s.db)
			io.WriteString(p.stdin, initializeLine+`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"list_flags","arguments":{}}}`+"\n")
			r := bufio.NewReader(p.stdout)
			for i := 0; i < 2; i++ {
				if _, err := r.ReadString('\n'); err != nil {
					t.Fatalf("answer %d: %v; stderr:\n%s", i, err, p.stderr.String())
				}
			}
			if _, err := os.Stat(s.db + "-wal"); err != nil {
				t.Fatalf("the open database has no write-ahead log: %v", err)
			}
			if got := p.signal(t, c.sig); got != c.want {
				t.Errorf("exit code %d after %v, want %d; stderr:\n%s", got, c.sig, c.want, p.stderr.String())
			}
			if _, err := os.Stat(s.db + "-wal"); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("write-ahead log still there after %v (took %v): the database was not closed; stderr:\n%s", c.sig, p.took, p.stderr.String())
			}
			if p.stderr.String() != "" {
				t.Errorf("stderr after %v: %q, want nothing", c.sig, p.stderr.String())
			}
		})
	}
}

// A process stuck in a system call that ignores cancellation (here: opening
// a FIFO named like an agent file, which blocks until a writer comes,
// unless the loader skips it) still ends soon after SIGTERM, with 143.
func TestSignalEndsAStuckProcess(t *testing.T) {
	s := newSandbox(t)
	agents := filepath.Join(s.cwd, "agents")
	if err := os.MkdirAll(agents, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(agents, "x.md"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	p := s.spawn(t, "serve", "--db", s.db, "--agents", agents)
	time.Sleep(500 * time.Millisecond) // well into start-up
	if got := p.signal(t, syscall.SIGTERM); got != 143 {
		t.Errorf("exit code %d, want 143; stderr:\n%s", got, p.stderr.String())
	}
	t.Logf("exited %v after SIGTERM", p.took)
}

// A client that stopped reading leaves the server blocked writing its
// answers, in a system call cancellation cannot reach; SIGTERM still ends
// it, with 143, by the watchdog if nothing else.
func TestSignalEndsAServerBlockedWriting(t *testing.T) {
	s := newSandbox(t)
	p := s.spawn(t, "serve", "--db", s.db)
	go func() {
		w := bufio.NewWriter(p.stdin)
		w.WriteString(initializeLine)
		for id := 2; id < 2000; id++ {
			fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%d,"method":"tools/list"}`+"\n", id)
			if w.Flush() != nil {
				return
			}
		}
	}()
	// Far more answers than a pipe holds are due, and nobody reads them.
	time.Sleep(time.Second)
	if got := p.signal(t, syscall.SIGTERM); got != 143 {
		t.Errorf("exit code %d, want 143; stderr:\n%s", got, p.stderr.String())
	}
	t.Logf("exited %v after SIGTERM", p.took)
}

// SIGTERM while a client pipelines writes: every call answered before the
// exit is answered whole (a result or a clean error, each a complete JSON
// line), the database is closed and intact, and every flag acknowledged is
// in it.
func TestSIGTERMDuringWrites(t *testing.T) {
	s := newSandbox(t)
	p := s.spawn(t, "serve", "--db", s.db)

	const max = 5000
	var writeErr error
	writing := make(chan struct{})
	go func() {
		defer close(writing)
		w := bufio.NewWriter(p.stdin)
		w.WriteString(initializeLine)
		for id := 2; id < max; id++ {
			args, _ := json.Marshal(map[string]any{
				"flag_type": "change", "source_agent": "@backend.api", "target_agent": "@database.postgres",
				"change_description": fmt.Sprintf("request %d: the orders table gained a column for the shipping region.", id),
				"action_required":    strings.Repeat("Update the queries that select from orders to read the new column. ", 2),
			})
			fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"create_flag","arguments":%s}}`+"\n", id, args)
			if id%10 == 0 {
				if writeErr = w.Flush(); writeErr != nil {
					return // the server is gone
				}
			}
		}
		writeErr = w.Flush()
	}()

	acked := map[int64]string{} // flag id -> change_description
	refused := map[int64]bool{} // request ids answered with an error
	var failed, partial int
	var lines int
	r := bufio.NewReaderSize(p.stdout, 1<<20)
	signalled := false
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 && !bytes.HasSuffix(line, []byte("\n")) {
			partial++
			t.Errorf("a cut-off line at the exit: %q", line)
		}
		if err != nil {
			break
		}
		lines++
		var msg struct {
			ID     int64           `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  *struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(line, &msg); err != nil {
			t.Fatalf("not a JSON-RPC line: %q: %v", line, err)
		}
		switch {
		case msg.ID == 1:
		case msg.Error != nil:
			refused[msg.ID] = true
			if failed++; failed == 1 {
				t.Logf("first failure: error %d %q", msg.Error.Code, msg.Error.Message)
			}
		default:
			var res struct {
				IsError bool `json:"isError"`
				Content []struct {
					Text string `json:"text"`
				} `json:"content"`
			}
			if err := json.Unmarshal(msg.Result, &res); err != nil || len(res.Content) == 0 {
				t.Fatalf("answer %d: %s", msg.ID, msg.Result)
			}
			if res.IsError {
				refused[msg.ID] = true
				if failed++; failed == 1 {
					t.Logf("first failure: isError %q", res.Content[0].Text)
				}
				continue
			}
			var out struct {
				Flag struct {
					ID                int64  `json:"id"`
					ChangeDescription string `json:"change_description"`
				} `json:"flag"`
			}
			if err := json.Unmarshal([]byte(res.Content[0].Text), &out); err != nil || out.Flag.ID == 0 {
				t.Fatalf("answer %d: %s", msg.ID, res.Content[0].Text)
			}
			acked[out.Flag.ID] = out.Flag.ChangeDescription
		}
		if !signalled && len(acked) >= 50 {
			signalled = true
			p.send(syscall.SIGTERM)
		}
	}
	if !signalled {
		t.Fatalf("the server stopped before 50 flags were created; stderr:\n%s", p.stderr.String())
	}
	code := p.wait(t, syscall.SIGTERM)
	<-writing
	if code != 143 {
		t.Errorf("exit code %d, want 143; stderr:\n%s", code, p.stderr.String())
	}
	if len(acked) >= max-2 {
		t.Fatalf("every request was answered: the signal came too late to test anything")
	}
	t.Logf("%d answers: %d flags acknowledged, %d failed; the client's writes ended with %v; exit %v after SIGTERM", lines, len(acked), failed, writeErr, p.took)

	if _, err := os.Stat(s.db + "-wal"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("write-ahead log left behind: the database was not closed (%v)", err)
	}
	db, err := sql.Open("sqlite", s.db)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q, %v", check, err)
	}
	stored := map[int64]string{}
	rows, err := db.Query("SELECT id, change_description FROM flags")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var desc string
		if err := rows.Scan(&id, &desc); err != nil {
			t.Fatal(err)
		}
		stored[id] = desc
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for id, desc := range acked {
		if got, ok := stored[id]; !ok || got != desc {
			t.Errorf("acknowledged flag %d lost or changed: stored %q, acknowledged %q", id, got, desc)
		}
	}
	// A call that said it failed stored nothing: a client that retries it
	// makes no duplicate.
	for _, desc := range stored {
		var id int64
		if _, err := fmt.Sscanf(desc, "request %d:", &id); err == nil && refused[id] {
			t.Errorf("request %d was answered with an error, yet its flag is stored", id)
		}
	}
	if len(stored) < len(acked) {
		t.Errorf("%d flags stored, %d acknowledged", len(stored), len(acked))
	}
}
