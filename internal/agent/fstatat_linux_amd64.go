package agent

import (
	"syscall"
	"unsafe"
)

// statAt stats the entry name of the directory open as dirfd (at rel in
// the walk): fstatat saves the kernel resolving the directory's path again
// for every file. The syscall package does not export it on amd64.
func (w *osWalker) statAt(dirfd int, name, _ string, st *syscall.Stat_t, flags int) error {
	b := append(append(w.scratch[:0], name...), 0)
	w.scratch = b
	return retryEINTR(func() error {
		_, _, errno := syscall.Syscall6(syscall.SYS_NEWFSTATAT, uintptr(dirfd),
			uintptr(unsafe.Pointer(&b[0])), uintptr(unsafe.Pointer(st)), uintptr(flags), 0, 0)
		if errno != 0 {
			return errno
		}
		return nil
	})
}
