//go:build linux || darwin

package agent

import (
	"fmt"
	"io"
	"io/fs"
	"syscall"
)

// readOSFile reads name from the os.DirFS rooted at dir with open, fstat,
// read and close. os.Open would also try to register each file with the
// runtime's network poller, which for a regular file costs four fcntl calls
// and a failing epoll_ctl: twice the system calls the read needs, and a
// visible share of loading hundreds of files at start-up. The outcome,
// including error text, is that of os.DirFS's Open, Stat and Read
// (TestReadOSFileMatchesDirFS). handled is false when the name is left to
// the os.DirFS path.
func readOSFile(dir, name string) (data []byte, handled bool, err error) {
	full, handled := osDirJoin(dir, name)
	if !handled {
		return nil, false, nil
	}
	var fd int
	err = retryEINTR(func() (err error) {
		fd, err = syscall.Open(full, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		return err
	})
	if err != nil {
		return nil, true, fmt.Errorf("cannot read: %w", &fs.PathError{Op: "open", Path: name, Err: err})
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if retryEINTR(func() error { return syscall.Fstat(fd, &st) }) != nil {
		data, err = readStatted(fdReader{fd, full}, false, false, 0)
		return data, true, err
	}
	data, err = readStatted(fdReader{fd, full}, true, st.Mode&syscall.S_IFMT == syscall.S_IFDIR, st.Size)
	return data, true, err
}

// fdReader reads a descriptor the way os.File.Read does.
type fdReader struct {
	fd   int
	name string
}

func (r fdReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var n int
	err := retryEINTR(func() (err error) {
		n, err = syscall.Read(r.fd, p)
		return err
	})
	switch {
	case err != nil:
		return 0, &fs.PathError{Op: "read", Path: r.name, Err: err}
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

func retryEINTR(f func() error) error {
	for {
		if err := f(); err != syscall.EINTR {
			return err
		}
	}
}
