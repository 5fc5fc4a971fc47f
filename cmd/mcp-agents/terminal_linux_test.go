package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// openPTY returns the two ends of a new pseudo-terminal.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	var n uint32
	if err := ioctl(master, syscall.TIOCGPTN, unsafe.Pointer(&n)); err != nil {
		t.Skipf("TIOCGPTN: %v", err)
	}
	var unlock int32
	if err := ioctl(master, syscall.TIOCSPTLCK, unsafe.Pointer(&unlock)); err != nil {
		t.Skipf("TIOCSPTLCK: %v", err)
	}
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("opening the terminal: %v", err)
	}
	t.Cleanup(func() { slave.Close() })
	return master, slave
}

func ioctl(f *os.File, req uint, arg unsafe.Pointer) error {
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), uintptr(req), uintptr(arg)); errno != 0 {
		return errno
	}
	return nil
}

// Started by hand in a terminal, the server says on stderr what it loaded
// and that it waits for an MCP client; started with stdin from a pipe or
// /dev/null (a character device, but no terminal) it says nothing.
func TestTerminalLine(t *testing.T) {
	s := newSandbox(t)
	run := func(stdin *os.File, end func()) string {
		t.Helper()
		cmd := exec.Command(binary, "serve", "--db", s.db)
		cmd.Env = s.env()
		cmd.Stdin = stdin
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if end != nil {
			time.Sleep(300 * time.Millisecond)
			end()
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("server exited with %v; stderr:\n%s", err, stderr.String())
			}
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("server did not exit at end of input; stderr:\n%s", stderr.String())
		}
		return stderr.String()
	}

	master, slave := openPTY(t)
	got := run(slave, func() { master.Write([]byte{4}) }) // Ctrl-D: end of input
	if !strings.Contains(got, "Waiting for an MCP client") || !strings.Contains(got, "agents (") || !strings.Contains(got, s.db) {
		t.Errorf("in a terminal, stderr = %q; want the line naming the agents, the database and the wait", got)
	}

	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	if got := run(null, nil); got != "" {
		t.Errorf("with stdin from /dev/null, stderr = %q; want nothing", got)
	}
}
