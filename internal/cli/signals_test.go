package cli

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"
)

func TestShutdown(t *testing.T) {
	codes := map[os.Signal]int{os.Interrupt: 130, syscall.SIGTERM: 143}
	cases := []struct {
		name     string
		signals  []os.Signal
		wantCode int
		// wantGrace: the exit waits for the watchdog rather than coming at
		// once on a second signal.
		wantGrace bool
	}{
		{"SIGTERM", []os.Signal{syscall.SIGTERM}, 143, true},
		{"SIGINT", []os.Signal{os.Interrupt}, 130, true},
		{"a second signal exits at once with the first one's code", []os.Signal{os.Interrupt, syscall.SIGTERM}, 130, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			const grace = 300 * time.Millisecond
			exited := make(chan int, 1)
			sigc := make(chan os.Signal, 2)
			ctx, code := Shutdown{Codes: codes, Grace: grace, Exit: func(c int) { exited <- c }}.watch(context.Background(), sigc)
			if code() != 0 {
				t.Fatalf("code before any signal = %d", code())
			}
			start := time.Now()
			sigc <- c.signals[0]
			// The program's work (here: nothing) sees the cancellation.
			select {
			case <-ctx.Done():
			case <-time.After(5 * time.Second):
				t.Fatal("context not cancelled by the signal")
			}
			if code() != c.wantCode {
				t.Errorf("code after the signal = %d, want %d", code(), c.wantCode)
			}
			for _, s := range c.signals[1:] {
				sigc <- s
			}
			// Work that ignores cancellation (a blocked system call) does
			// not keep the process alive: the watchdog exits.
			select {
			case got := <-exited:
				if got != c.wantCode {
					t.Errorf("exit(%d), want exit(%d)", got, c.wantCode)
				}
				if waited := time.Since(start); c.wantGrace && waited < grace {
					t.Errorf("exited after %v, before the %v grace", waited, grace)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the watchdog never exited")
			}
		})
	}
}
