//go:build unix

package store

import "syscall"

const fastOpenSupported = true

// writable asks the kernel without opening path (closing a descriptor of a
// file would drop POSIX locks SQLite holds on it): a file must be readable
// and writable, a directory writable and searchable to create files in.
func writable(path string, dir bool) bool {
	const rOK, wOK, xOK = 0x4, 0x2, 0x1
	mode := uint32(rOK | wOK)
	if dir {
		mode = wOK | xOK
	}
	return syscall.Access(path, mode) == nil
}
