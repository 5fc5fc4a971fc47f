//go:build unix

package store

import "syscall"

// canWrite asks the kernel whether file could be opened for writing:
// permissions, ACLs, an immutable attribute (which even root cannot write)
// and a read-only mount. It does not open the file: closing a descriptor
// of this process on a -shm file would drop the POSIX locks SQLite holds
// on it through its own (another Store's, or the change feed's), and
// other processes would then take the shared memory for unused.
func canWrite(file string) error {
	return syscall.Access(file, 2) // W_OK
}
