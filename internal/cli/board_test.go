package cli_test

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcp-agents/mcp-agents/internal/cli"
)

// syncBuffer is a stderr the test reads while the command writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestBoardRefusesNonLoopbackAddresses(t *testing.T) {
	h := newHarness(t)
	for _, addr := range []string{"0.0.0.0:8766", ":8766", "192.0.2.1:80", "example.com:80", "nonsense"} {
		r := h.run(t, "--db", h.db, "board", "--addr", addr)
		if r.code != 2 || !strings.Contains(r.stderr, "--addr") || !strings.Contains(r.stderr, "loopback") {
			t.Errorf("--addr %s: exit %d, %q", addr, r.code, r.stderr)
		}
	}
}

func TestBoardServesOnLoopback(t *testing.T) {
	h := newHarness(t)
	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- cli.Run(ctx, []string{"--db", h.db, "board", "--addr", "127.0.0.1:0"}, strings.NewReader(""), io.Discard, &stderr, cli.Options{
			Getenv:  func(k string) string { return h.env[k] },
			Getwd:   func() (string, error) { return h.cwd, nil },
			HomeDir: func() (string, error) { return h.home, nil },
		})
	}()
	re := regexp.MustCompile(`serving (http://127\.0\.0\.1:\d+)/board/ for database (\S+)`)
	var base string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(stderr.String()); m != nil {
			base = m[1]
			if m[2] != h.db {
				t.Errorf("serves database %s, want %s", m[2], h.db)
			}
			break
		}
	}
	if base == "" {
		cancel()
		t.Fatalf("no address announced: %s %v", stderr.String(), <-done)
	}
	res, err := http.Get(base + "/")
	if err != nil || res.StatusCode != 200 || res.Request.URL.Path != "/board/" {
		t.Errorf("GET /: %v %v", err, res)
	}
	// Any loopback address is this machine, as the 421 says: a foreign
	// Host (DNS rebinding) is refused.
	for _, tc := range []struct {
		host string
		want int
	}{
		{"localhost:8766", 200},
		{"127.0.0.2:8766", 200},
		{"[::ffff:127.0.0.1]:8766", 200},
		{"[::1]:8766", 200},
		{"attacker.example:80", http.StatusMisdirectedRequest},
		{"127.0.0.1.attacker.example", http.StatusMisdirectedRequest},
	} {
		req, _ := http.NewRequest("GET", base+"/board/", nil)
		req.Host = tc.host
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tc.want {
			t.Errorf("Host %s: %d, want %d", tc.host, res.StatusCode, tc.want)
		}
		if msg := "the board answers only to localhost or a loopback address"; tc.want != 200 && !strings.Contains(string(body), msg) {
			t.Errorf("Host %s: %q, want it to say %q", tc.host, body, msg)
		}
	}
	// An open event stream does not hold up the shutdown.
	stream, err := http.Get(base + "/board/events")
	if err != nil || stream.StatusCode != 200 {
		t.Fatalf("events: %v %v", err, stream)
	}
	defer stream.Body.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("board ended with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("board did not stop when its context ended")
	}
}
