package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestTranscripts replays each testdata/transcripts/NAME.requests.jsonl
// against the built binary over stdio and compares the answers with
// NAME.answers.jsonl (see testdata/transcripts/README.md; -update rewrites
// them).
func TestTranscripts(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "testdata", "transcripts")
	paths, err := filepath.Glob(filepath.Join(dir, "*.requests.jsonl"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no transcripts in %s (%v)", dir, err)
	}
	for _, path := range paths {
		name := strings.TrimSuffix(filepath.Base(path), ".requests.jsonl")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var requests []string
			pipelined := strings.HasPrefix(string(raw), "# pipelined\n")
			for _, line := range strings.Split(string(raw), "\n") {
				if line != "" && !strings.HasPrefix(line, "#") {
					requests = append(requests, line)
				}
			}
			s := newSandbox(t)
			cmd := exec.Command(binary, "serve", "--db", s.db, "--no-builtin", "--agents", filepath.Join(dir, "agents"))
			cmd.Env, cmd.Dir = s.env(), s.cwd
			answers := replay(t, cmd, requests, pipelined)
			for i, a := range answers {
				answers[i] = normalise(a, root)
			}
			got := strings.Join(answers, "\n") + "\n"
			golden := filepath.Join(dir, name+".answers.jsonl")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./cmd/mcp-agents -run TestTranscripts -update)", err)
			}
			if diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(got, "\n")); diff != "" {
				t.Errorf("answers differ from %s (-want +got); if intended, rerun with -update:\n%s", golden, diff)
			}
		})
	}
}

// replay runs cmd, sends requests and returns the answers: in request order
// when each request waits for its answer, or in id order when pipelined.
func replay(t *testing.T, cmd *exec.Cmd, requests []string, pipelined bool) []string {
	t.Helper()
	stdin, stdout := startPiped(t, cmd)
	// A wedged server fails the test instead of hanging it.
	timer := time.AfterFunc(60*time.Second, func() { _ = cmd.Process.Kill() })
	defer timer.Stop()
	out := bufio.NewReaderSize(stdout, 1<<20)
	var answers []string
	if pipelined {
		go func() {
			_, _ = io.WriteString(stdin, strings.Join(requests, "\n")+"\n")
			stdin.Close()
		}()
		for {
			line, err := out.ReadString('\n')
			if err != nil {
				break
			}
			answers = append(answers, strings.TrimSuffix(line, "\n"))
		}
		slices.SortStableFunc(answers, func(a, b string) int { return strings.Compare(sortKey(a), sortKey(b)) })
	} else {
		for _, req := range requests {
			if _, err := io.WriteString(stdin, req+"\n"); err != nil {
				t.Fatal(err)
			}
			if !expectsAnswer(req) {
				continue
			}
			line, err := out.ReadString('\n')
			if err != nil {
				t.Fatalf("no answer to %s: %v", req, err)
			}
			answers = append(answers, strings.TrimSuffix(line, "\n"))
		}
		stdin.Close()
		if rest, _ := io.ReadAll(out); len(rest) > 0 {
			t.Errorf("unexpected output after the last answer: %s", rest)
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("server exit: %v", err)
	}
	return answers
}

// expectsAnswer reports whether line is a request (it has an id) or not
// JSON at all, which gets a parse error.
func expectsAnswer(line string) bool {
	var msg struct {
		ID any `json:"id"`
	}
	return json.Unmarshal([]byte(line), &msg) != nil || msg.ID != nil
}

// sortKey orders answers by id: numbers by value, then strings, then null.
func sortKey(answer string) string {
	var msg struct {
		ID any `json:"id"`
	}
	_ = json.Unmarshal([]byte(answer), &msg)
	switch id := msg.ID.(type) {
	case float64:
		return fmt.Sprintf("0 %020.6f", id)
	case string:
		return "1 " + id
	}
	return "2"
}

var (
	timestamp     = regexp.MustCompile(`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})`)
	serverVersion = regexp.MustCompile(`"version":"[^"]*"`)
)

// normalise replaces what differs between runs and machines.
func normalise(answer, root string) string {
	answer = timestamp.ReplaceAllString(answer, "<time>")
	answer = serverVersion.ReplaceAllString(answer, `"version":"<version>"`)
	return strings.ReplaceAll(answer, root, "<repo>")
}
