package cli

import (
	"context"
	"os"
	"os/signal"
	"sync/atomic"
	"time"
)

// Shutdown is how the process ends on a signal: the context Run gets is
// cancelled (in-flight calls stop, the server stops serving, the database is
// closed on the way out) and the process exits with the signal's code. A
// watchdog exits with that code Grace after the signal whatever the program
// is doing, because a blocked system call (opening a FIFO, a read from a
// hung file system) does not notice cancellation; a second signal exits at
// once.
type Shutdown struct {
	// Codes maps each signal to handle to its exit code (by convention
	// 128 + its number: 130 for SIGINT, 143 for SIGTERM).
	Codes map[os.Signal]int
	Grace time.Duration
	Exit  func(code int)
	// Drain, when set and enabled by the program (the HTTP server), makes
	// a signal a graceful shutdown: a longer grace, and exit code 0
	// (signalled reports 0) when the program finishes in time.
	Drain *Drain
}

// Drain switches a Shutdown to graceful mode; see Shutdown.Drain.
type Drain struct{ grace atomic.Int64 }

// Enable makes the next signal a graceful shutdown of at most grace.
func (d *Drain) Enable(grace time.Duration) { d.grace.Store(int64(grace)) }

func (d *Drain) enabled() (time.Duration, bool) {
	if d == nil {
		return 0, false
	}
	g := time.Duration(d.grace.Load())
	return g, g > 0
}

// Context returns a context cancelled at the first of s.Codes' signals, and
// a function that reports the exit code of the signal received (0: none).
func (s Shutdown) Context(parent context.Context) (context.Context, func() int) {
	sigc := make(chan os.Signal, 2)
	for sig := range s.Codes {
		signal.Notify(sigc, sig)
	}
	return s.watch(parent, sigc)
}

func (s Shutdown) watch(parent context.Context, sigc <-chan os.Signal) (context.Context, func() int) {
	ctx, cancel := context.WithCancel(parent)
	var code atomic.Int32
	go func() {
		sig := <-sigc
		c := s.Codes[sig]
		grace := s.Grace
		if g, ok := s.Drain.enabled(); ok {
			grace = g // and signalled reports 0: stopping is the plan
		} else {
			code.Store(int32(c))
		}
		cancel()
		watchdog := time.NewTimer(grace)
		select {
		case <-watchdog.C:
		case <-sigc:
		}
		s.Exit(c)
	}()
	return ctx, func() int { return int(code.Load()) }
}
