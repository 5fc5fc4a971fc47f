package diskcache

import (
	"fmt"
	"os"
	"syscall"
)

// readFile maps path read-only, with its pages populated up front so that
// decoding does not fault on each one. The mapping is never unmapped: what
// is decoded from it may point into it for the rest of the process.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := info.Size()
	if size == 0 {
		return []byte{}, nil // an empty mapping is an error
	}
	if int64(int(size)) != size {
		return nil, fmt.Errorf("mapping %s: %d bytes do not fit in memory", path, size)
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED|syscall.MAP_POPULATE)
	if err != nil {
		return nil, fmt.Errorf("mapping %s: %w", path, err)
	}
	return data, nil
}
