// Package diskcache keeps the server's start-up cache: a few entries in a
// directory of its own, each named by a key and written atomically with a
// checksum, so that concurrent readers see a whole old or new entry and a
// damaged one reads as a miss. It only ever removes files whose names it
// gives its own entries and temporary files.
package diskcache

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Keep is how many entries survive a write; a user switching between a few
// projects keeps a warm entry for each (the server writes two per catalog:
// its metadata and index, and its texts).
const Keep = 16

// KeyLen is the length of a key: lowercase hex digits, as a fingerprint
// prints them.
const KeyLen = 32

const (
	ext        = ".entry"
	tmpPrefix  = ".tmp-"
	sumSize    = 4
	staleAfter = time.Hour // a temporary file this old belongs to a crashed writer
)

// The checksum is CRC-32 IEEE: as fast as Castagnoli here on 4 MB (both
// use the CPU's instructions), and its tables are ready in 0.1 ms where
// crc32.MakeTable(crc32.Castagnoli) took 0.2-0.9 ms of every start.

// ErrDamaged is wrapped by Read's error for an entry that is truncated,
// modified or not written by this package.
var ErrDamaged = errors.New("damaged cache entry")

// Dir is a cache directory. The zero value caches nothing.
type Dir string

// Default returns the start-up cache directory,
// <user cache dir>/mcp-agents/startup-cache ($XDG_CACHE_HOME or ~/.cache on
// Linux, ~/Library/Caches on macOS, %LocalAppData% on Windows), or "" when
// the platform has none. It is a directory of its own so that pruning can
// never meet another file, such as a database.
func Default() Dir {
	base, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return Dir(filepath.Join(base, "mcp-agents", "startup-cache"))
}

// ValidKey reports whether key can name an entry: KeyLen lowercase hex digits.
func ValidKey(key string) bool {
	return len(key) == KeyLen && strings.Trim(key, "0123456789abcdef") == ""
}

func (d Dir) path(key string) (string, error) {
	if d == "" {
		return "", errors.New("no cache directory")
	}
	if !ValidKey(key) {
		return "", fmt.Errorf("invalid cache key %q: want %d lowercase hex digits", key, KeyLen)
	}
	return filepath.Join(string(d), key+ext), nil
}

// Read returns the entry's content, or (nil, nil) when there is none. An
// entry that fails its checksum (truncated, overwritten, foreign) is an
// error wrapping ErrDamaged; the caller rebuilds and writes it again.
// The content is a private copy: nothing done to the file later affects it.
func (d Dir) Read(key string) ([]byte, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, err
	}
	// Only a regular file is read: opening a FIFO put there waits for a
	// writer, and start-up with it (a device could be as bad).
	fi, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s: not a regular file (%s)", ErrDamaged, p, fi.Mode().Type())
	}
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	n := len(data) - sumSize
	if n < 0 || crc32.ChecksumIEEE(data[:n]) != binary.LittleEndian.Uint32(data[n:]) {
		return nil, fmt.Errorf("%w: %s: checksum mismatch (%d bytes)", ErrDamaged, p, len(data))
	}
	return data[:n:n], nil
}

// Write stores data under key, replacing any previous entry atomically
// (a new file renamed over the old), then prunes the directory to the
// newest Keep entries.
func (d Dir) Write(key string, data []byte) error {
	return d.WriteWith(key, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteWith is Write for an entry that write produces, streamed to the
// file: the corpus's 4 MB entry, encoded into memory first, raised a cold
// start's peak memory by as much again while the server already served.
func (d Dir) WriteWith(key string, write func(io.Writer) error) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(string(d), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(string(d), tmpPrefix+key+ext+"-*")
	if err != nil {
		return err
	}
	crc := crc32.NewIEEE()
	bw := bufio.NewWriterSize(io.MultiWriter(tmp, crc), 64<<10)
	werr := write(bw)
	if werr == nil {
		werr = bw.Flush()
	}
	if werr == nil {
		var sum [sumSize]byte
		binary.LittleEndian.PutUint32(sum[:], crc.Sum32())
		_, werr = tmp.Write(sum[:])
	}
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return d.prune()
}

// isEntry and isTemp recognise the exact names Write gives files; nothing
// else in the directory is ever removed.
func isEntry(name string) bool {
	key, ok := strings.CutSuffix(name, ext)
	return ok && ValidKey(key)
}

func isTemp(name string) bool {
	rest, ok := strings.CutPrefix(name, tmpPrefix)
	if !ok || len(rest) <= KeyLen+len(ext)+1 || !isEntry(rest[:KeyLen+len(ext)]) {
		return false
	}
	random, ok := strings.CutPrefix(rest[KeyLen+len(ext):], "-")
	return ok && random != "" && strings.Trim(random, "0123456789") == ""
}

// prune removes entries beyond the newest Keep, and temporary files a
// crashed writer left behind.
func (d Dir) prune() error {
	dirents, err := os.ReadDir(string(d))
	if err != nil {
		return err
	}
	type entry struct {
		name string
		mod  time.Time
	}
	var entries []entry
	var errs []error
	remove := func(name string) {
		if err := os.Remove(filepath.Join(string(d), name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	for _, e := range dirents {
		if !e.Type().IsRegular() || !isEntry(e.Name()) && !isTemp(e.Name()) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		if isTemp(e.Name()) {
			if time.Since(info.ModTime()) > staleAfter {
				remove(e.Name())
			}
			continue
		}
		entries = append(entries, entry{e.Name(), info.ModTime()})
	}
	slices.SortFunc(entries, func(a, b entry) int { return b.mod.Compare(a.mod) })
	for _, e := range entries[min(Keep, len(entries)):] {
		remove(e.name)
	}
	return errors.Join(errs...)
}
