package cli

import (
	"errors"
	"syscall"
)

// brokenPipe reports whether err is a write to a pipe whose reader has gone
// (EPIPE; the process ignores SIGPIPE so that a server whose client left can
// still close its database). For a command whose output was cut short by
// `| head` that is the reader's choice, not a failure.
func brokenPipe(err error) bool {
	return errors.Is(err, syscall.EPIPE)
}
