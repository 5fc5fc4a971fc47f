//go:build !unix

package store

import "os"

// canWrite opens file for writing, neither creating nor truncating it, and
// closes it. (Windows locks belong to the handle that took them, so
// closing this one leaves SQLite's in place.)
func canWrite(file string) error {
	f, err := os.OpenFile(file, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	return f.Close()
}
