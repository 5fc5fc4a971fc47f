//go:build linux && !amd64

package agent

import "syscall"

// fstatat stats the file by its full path: the relative form is only
// written for amd64, where the syscall package does not export it.
func fstatat(_ int, _, full string, st *syscall.Stat_t, flags int, _ *[]byte) error {
	if flags&atSymlinkNofollow != 0 {
		return retryEINTR(func() error { return syscall.Lstat(full, st) })
	}
	return retryEINTR(func() error { return syscall.Stat(full, st) })
}
