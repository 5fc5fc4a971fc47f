package main

import (
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// TestAgentsFixtures runs the built binary's agent verbs over the
// repository's sample agents (testdata/agents at the root) and compares
// what they print with golden files in testdata/.
func TestAgentsFixtures(t *testing.T) {
	s := newSandbox(t)
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		exit   int
		golden string
	}{
		{"check good", []string{"agents", "check", "testdata/agents/good"}, 0, "check-good.golden"},
		{"check bad", []string{"agents", "check", "testdata/agents/good", "testdata/agents/bad"}, 1, "check-bad.golden"},
		{"list json", []string{"--no-builtin", "--agents", "testdata/agents/good", "--agents", "testdata/agents/bad", "agents", "list", "--json"}, 0, "list.golden.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(binary, tt.args...)
			cmd.Env, cmd.Dir = s.env(), root
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.exit {
				t.Errorf("exit %d, want %d\nstderr: %s", code, tt.exit, stderr.String())
			}
			if tt.args[0] == "agents" {
				// check's stderr is one summary line, and deterministic.
				stdout.WriteString("--- stderr\n" + stderr.String())
			} else if !strings.Contains(stderr.String(), "bad/no-frontmatter.md") {
				t.Errorf("the server's warnings do not name the bad files:\n%s", stderr.String())
			}
			golden := filepath.Join("testdata", tt.golden)
			if *update {
				if err := os.WriteFile(golden, []byte(stdout.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), stdout.String()); diff != "" {
				t.Errorf("%s (-golden +got), run go test -update if intended:\n%s", strings.Join(tt.args, " "), diff)
			}
		})
	}
}
