package agent

import (
	"syscall"
	"unsafe"
)

// fstatat stats name relative to the directory dirfd (full is its whole
// path, for platforms without the relative form), which saves the
// kernel resolving the directory's path again for every file; the syscall
// package exports it on other architectures but not on amd64. scratch is
// reused for the NUL-terminated name.
func fstatat(dirfd int, name, _ string, st *syscall.Stat_t, flags int, scratch *[]byte) error {
	b := append(append((*scratch)[:0], name...), 0)
	*scratch = b
	return retryEINTR(func() error {
		_, _, errno := syscall.Syscall6(syscall.SYS_NEWFSTATAT, uintptr(dirfd),
			uintptr(unsafe.Pointer(&b[0])), uintptr(unsafe.Pointer(st)), uintptr(flags), 0, 0)
		if errno != 0 {
			return errno
		}
		return nil
	})
}
