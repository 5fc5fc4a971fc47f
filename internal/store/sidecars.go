package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// SQLite opens an existing -wal or -shm file it cannot write read-only,
// without complaint: reads work, and every write then fails as read-only.
// sidecarsWritable refuses such a database at Open instead, naming the
// file, so the server exits before serving rather than accept calls it
// cannot store.
//
// It opens each file for writing and closes it, so it must run before any
// connection of this process has the database open: closing a descriptor
// drops every POSIX lock the process holds on that file, SQLite's on the
// -shm included, and other processes would then take the shared memory
// for unused. openPools runs it only then.
func sidecarsWritable(path string) error {
	for _, suffix := range []string{"-wal", "-shm"} {
		file := path + suffix
		err := canWrite(file)
		if err == nil || errors.Is(err, fs.ErrNotExist) {
			continue // none yet: SQLite creates it, writable
		}
		return &sidecarError{file: file, err: err}
	}
	return nil
}

// sidecarError is a -wal or -shm file that cannot be written.
type sidecarError struct {
	file string
	err  error
}

func (e *sidecarError) Error() string {
	return fmt.Sprintf("%s cannot be written: %v", e.file, e.err)
}

func (e *sidecarError) Unwrap() error { return e.err }

// canWrite opens file for writing, neither creating nor truncating it, and
// closes it.
func canWrite(file string) error {
	f, err := os.OpenFile(file, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	return f.Close()
}

// sidecarsAbsent lists the -wal and -shm files of path that do not exist
// yet. removeSidecars removes them again once a refusal left them behind:
// SQLite makes them with the database file's permissions, so a read-only
// file got read-only ones, which kept the database refused (their
// fault, as sidecarsWritable says) after the user had made the file
// writable.
func sidecarsAbsent(path string) []string {
	var absent []string
	for _, suffix := range []string{"-wal", "-shm"} {
		if _, err := os.Lstat(path + suffix); errors.Is(err, fs.ErrNotExist) {
			absent = append(absent, path+suffix)
		}
	}
	return absent
}

func removeSidecars(files []string) {
	for _, f := range files {
		_ = os.Remove(f)
	}
}
