package main

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Output to a reader that has gone (`mcp-agents agents list | head -1`) ends
// the command quietly: exit 0, nothing on stderr.
func TestClosedOutputPipe(t *testing.T) {
	s := newSandbox(t)
	for _, args := range [][]string{
		{"agents", "list"},
		{"agents", "list", "--json"},
		{"search-agents", "database"},
		{"--help"},
		{"version"},
	} {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		r.Close() // the reader is gone before the first write
		cmd := exec.Command(binary, append(args, "--db", s.db)...)
		cmd.Env = s.env()
		cmd.Dir = s.cwd
		cmd.Stdout = w
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err = cmd.Run()
		w.Close()
		if err != nil || stderr.Len() != 0 {
			t.Errorf("%v into a closed pipe: %v, stderr %q; want exit 0 and silence", args, err, stderr.String())
		}
	}
}

// --help and usage errors through the built binary: help on stdout with exit
// 0, a usage error on stderr with exit 2 and a pointer to the command's help.
func TestHelpAndUsageStreams(t *testing.T) {
	s := newSandbox(t)
	cases := []struct {
		args             []string
		code             int
		stdout, stderr   string
		noStdout, noErrs bool
	}{
		{args: []string{"--help"}, stdout: "MCP_AGENTS_DIRS", noErrs: true},
		{args: []string{"lock-flag", "--help"}, stdout: "--lease SECONDS", noErrs: true},
		{args: []string{"agents", "list", "--version"}, stdout: "mcp-agents ", noErrs: true},
		{args: []string{"lock-flag", "x", "@a.b"}, code: 2, stderr: "Run 'mcp-agents lock-flag --help' for usage.", noStdout: true},
		{args: []string{"flags", "list", "--limit", "many"}, code: 2, stderr: "Run 'mcp-agents flags list --help' for usage.", noStdout: true},
		// A negative number is a value, not an option (it was "unknown option --1").
		{args: []string{"flags", "show", "-1"}, code: 2, stderr: "mcp-agents: ID must be a positive integer, got \"-1\"\nRun 'mcp-agents flags show --help' for usage.", noStdout: true},
		{args: []string{"search-agents", "kubernetes", "-1"}, code: 1, stderr: "mcp-agents: limit must be between 1 and 50, got -1\n", noStdout: true},
		// An integer too big for the option is one, out of range (exit 1).
		{args: []string{"lock-flag", "1", "@a.b", "-lease", "99999999999999999999"}, code: 1, stderr: "mcp-agents: -lease is out of range, got 99999999999999999999\n", noStdout: true},
		// A command's check of a value names the option as typed.
		{args: []string{"board", "-addr", "8.8.8.8:1"}, code: 2, stderr: "mcp-agents: -addr must be a loopback address", noStdout: true},
		// A value not among an option's choices, on any command.
		{args: []string{"version", "-log-level", "bogus"}, code: 2, stderr: "mcp-agents: invalid value \"bogus\" for -log-level: must be one of debug, info, warn, error\nRun 'mcp-agents version --help' for usage.", noStdout: true},
		{args: []string{"flags", "list", "--status", "bogus"}, code: 2, stderr: "mcp-agents: invalid value \"bogus\" for --status: must be one of pending, completed, all\n", noStdout: true},
	}
	for _, c := range cases {
		cmd := exec.Command(binary, c.args...)
		cmd.Env = s.env()
		cmd.Dir = s.cwd
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		cmd.Run()
		if got := cmd.ProcessState.ExitCode(); got != c.code {
			t.Errorf("%v: exit %d, want %d", c.args, got, c.code)
		}
		if !strings.Contains(stdout.String(), c.stdout) || !strings.Contains(stderr.String(), c.stderr) ||
			(c.noStdout && stdout.Len() > 0) || (c.noErrs && stderr.Len() > 0) {
			t.Errorf("%v: stdout %q, stderr %q", c.args, stdout.String(), stderr.String())
		}
	}
}

// The version a release build stamps wins; a binary built by `go install
// module@version` (here from a local module proxy holding this checkout as
// v1.2.3) reports the module version from its build info.
func TestVersionOfBuiltBinaries(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the module twice")
	}
	dir := t.TempDir()
	stamped := filepath.Join(dir, "stamped")
	build := exec.Command("go", "build", "-o", stamped, "-ldflags", "-X main.version=9.9.9", ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if out, err := exec.Command(stamped, "--version").Output(); err != nil || string(out) != "mcp-agents 9.9.9\n" {
		t.Errorf("release build --version = %q, %v", out, err)
	}

	const module, version = "github.com/mcp-agents/mcp-agents", "v1.2.3"
	proxy := filepath.Join(dir, "proxy")
	if err := writeModuleProxy(proxy, module, version, "../.."); err != nil {
		t.Fatal(err)
	}
	gobin := filepath.Join(dir, "bin")
	install := exec.Command("go", "install", module+"/cmd/mcp-agents@"+version)
	// Dependencies come from the module cache; only this module from the
	// local proxy, which no checksum database knows.
	install.Env = append(os.Environ(), "GOBIN="+gobin, "GOPROXY=file://"+filepath.ToSlash(proxy), "GOSUMDB=off", "GOFLAGS=", "GOTOOLCHAIN=local")
	install.Dir = dir
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("go install from a local proxy: %v\n%s", err, out)
	}
	out, err := exec.Command(filepath.Join(gobin, "mcp-agents"), "--version").Output()
	if err != nil || string(out) != "mcp-agents "+version+"\n" {
		t.Errorf("go install %s@%s: --version = %q, %v", module, version, out, err)
	}
}

// writeModuleProxy lays out a file-based module proxy (GOPROXY=file://...)
// holding the module in root at version.
func writeModuleProxy(proxy, module, version, root string) error {
	at := filepath.Join(proxy, filepath.FromSlash(module), "@v")
	if err := os.MkdirAll(at, 0o755); err != nil {
		return err
	}
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return err
	}
	info := fmt.Sprintf(`{"Version":%q,"Time":%q}`, version, time.Now().UTC().Format(time.RFC3339))
	for name, data := range map[string][]byte{"list": []byte(version + "\n"), version + ".info": []byte(info), version + ".mod": gomod} {
		if err := os.WriteFile(filepath.Join(at, name), data, 0o644); err != nil {
			return err
		}
	}
	f, err := os.Create(filepath.Join(at, version+".zip"))
	if err != nil {
		return err
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "testdata" || name == "bench") {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		w, err := zw.Create(module + "@" + version + "/" + filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	})
	if err != nil {
		return err
	}
	return zw.Close()
}
