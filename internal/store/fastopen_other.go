//go:build !unix

package store

import "os"

// Without a descriptor-free permission check the fast path could not tell
// that SQLite will be able to create -wal and -shm, so every Open
// bootstraps.
const fastOpenSupported = false

func writable(string, bool) bool { return false }

func openRW(path string) (fileRW, error) { return os.OpenFile(path, os.O_RDWR, 0) }
