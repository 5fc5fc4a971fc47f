//go:build linux && !amd64

package agent

import "syscall"

// statAt stats the walk's entry rel by its full path: the relative form
// is only written for amd64, where it matters most.
func (w *osWalker) statAt(_ int, _, rel string, st *syscall.Stat_t, flags int) error {
	if flags&atSymlinkNofollow != 0 {
		return retryEINTR(func() error { return syscall.Lstat(w.full(rel), st) })
	}
	return retryEINTR(func() error { return syscall.Stat(w.full(rel), st) })
}
