//go:build unix

package store

import (
	"io"
	"os"
	"syscall"
)

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

// fdFile reads through bare system calls: an *os.File would first set up
// the runtime's poller (epoll, about five extra calls per file), which is
// a large share of the fast path in a fresh process.
type fdFile int

// openRW opens path read-write, as SQLite will need it. O_NONBLOCK keeps a
// FIFO in the database's place from blocking Open; it changes nothing for
// a regular file.
func openRW(path string) (fileRW, error) {
	for {
		fd, err := syscall.Open(path, syscall.O_RDWR|syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: path, Err: err}
		}
		return fdFile(fd), nil
	}
}

func (f fdFile) Read(b []byte) (int, error) {
	for {
		n, err := syscall.Read(int(f), b)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return 0, err
		case n == 0 && len(b) > 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

func (f fdFile) ReadAt(b []byte, off int64) (int, error) {
	read := 0
	for read < len(b) {
		n, err := syscall.Pread(int(f), b[read:], off+int64(read))
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return read, err
		case n == 0:
			return read, io.EOF
		}
		read += n
	}
	return read, nil
}

func (f fdFile) Close() error { return syscall.Close(int(f)) }
