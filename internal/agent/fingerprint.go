package agent

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/binary"
	"encoding/hex"
	"io/fs"
	"os"
	"sync/atomic"
	"time"
)

// racyWindow is how recent a modification time must be for a file to
// count as possibly still changing (see Fingerprint). Two seconds covers
// the coarsest timestamps in common use (FAT).
const racyWindow = 2 * time.Second

var racyCount atomic.Uint64

// Fingerprint identifies what Load would read from sources, cheaply: it
// walks each source as Load does and, for each *.md file, records its path
// and, when the FS reports a modification time (os.DirFS), its size,
// modification time and mode; when it does not, the file's contents are
// hashed, except for an embed.FS, which is part of the executable. A
// rewrite that keeps both the size and the modification time (setting it
// back with os.Chtimes, tar or rsync -t) is not seen: the change time and
// inode that would reveal it are only reachable through package syscall.
// It also covers each source's label and root, their order, the walk's
// errors and the identity (path, size, modification time) of the running
// executable, whose parser produced any cached catalog. The result is 32
// hex digits of a SHA-256.
//
// A file modified less than two seconds before the call may be modified
// again within the same timestamp tick without its metadata changing, so
// its presence makes the fingerprint unique to this call: such a catalog
// is never found in a cache by a later run. Tests that expect a cache hit
// must set older modification times (os.Chtimes).
//
// The error is always nil today; it is there so that a source that cannot
// be fingerprinted can make callers load instead of trusting a cache.
func Fingerprint(sources []Source) (string, error) {
	// Sources are walked one after the other: in parallel they took longer
	// in a fresh process, where goroutines blocked in system calls make the
	// runtime start threads.
	f := fingerprinter{now: time.Now()}
	f.executable()
	f.u64(uint64(len(sources)))
	for _, s := range sources {
		f.source(s)
	}
	if f.racy {
		// Something no later call can reproduce.
		f.str("racy")
		f.u64(uint64(f.now.UnixNano()))
		f.u64(uint64(os.Getpid()))
		f.u64(racyCount.Add(1))
	}
	sum := sha256.Sum256(f.buf)
	return hex.EncodeToString(sum[:16]), nil
}

// CacheKey names the start-up cache's entry for sources: it covers what
// Fingerprint covers except the files (the sources' labels, roots and
// order, and the running executable), so it is known before they are
// walked, and the entry is read while they are. The entry records the
// Fingerprint of the files it was built from, which must be theirs now.
func CacheKey(sources []Source) string {
	f := fingerprinter{}
	f.str("cache key")
	f.executable()
	f.u64(uint64(len(sources)))
	for _, s := range sources {
		f.str(s.Label)
		f.str(s.Root)
	}
	sum := sha256.Sum256(f.buf)
	return hex.EncodeToString(sum[:16])
}

// fingerprinter collects what identifies the sources, hashed at the end.
type fingerprinter struct {
	buf  []byte // input for the hash
	now  time.Time
	racy bool
}

func (f *fingerprinter) u64(v uint64) {
	f.buf = binary.LittleEndian.AppendUint64(f.buf, v)
}

// str records s length-prefixed, so that no two sequences of strings
// produce the same input.
func (f *fingerprinter) str(s string) {
	f.u64(uint64(len(s)))
	f.buf = append(f.buf, s...)
}

func (f *fingerprinter) source(s Source) {
	f.str(s.Label)
	f.str(s.Root)
	if s.FS == nil {
		f.str("no fs")
		return
	}
	paths, warns, _ := listMarkdown(context.Background(), s)
	for _, p := range paths {
		f.file(s.FS, p)
	}
	f.u64(uint64(len(warns)))
	for _, w := range warns {
		f.str(w.Path)
		f.str(w.Reason)
	}
	f.str("end of source")
}

// file records one file found by the walk.
func (f *fingerprinter) file(fsys fs.FS, p string) {
	f.str(p)
	fi, err := fs.Stat(fsys, p)
	if err != nil {
		f.str("stat error")
		f.str(err.Error())
		return
	}
	if !fi.ModTime().IsZero() || !fi.Mode().IsRegular() {
		f.stat(fileStat{size: fi.Size(), mtime: fi.ModTime().UnixNano(), mode: uint32(fi.Mode())})
		return
	}
	if _, ok := fsys.(embed.FS); ok {
		// Files embedded in this executable, whose identity is recorded
		// already (executable): hashing them was 0.9 ms of every start.
		f.str("embedded")
		f.u64(uint64(fi.Size()))
		return
	}
	// No usable metadata: only the contents can tell versions apart.
	data, err := readRegular(fsys, p)
	if err != nil {
		f.str("read error")
		f.str(err.Error())
		return
	}
	sum := sha256.Sum256(data)
	f.str("contents")
	f.buf = append(f.buf, sum[:]...)
}

// fileStat is the metadata a fingerprint records for one file.
type fileStat struct {
	size, mtime int64
	mode        uint32
}

func (f *fingerprinter) stat(st fileStat) {
	f.str("stat")
	f.u64(uint64(st.size))
	f.u64(uint64(st.mtime))
	f.u64(uint64(st.mode))
	if st.mtime >= f.now.Add(-racyWindow).UnixNano() {
		f.racy = true
	}
}

// executable records the running binary's identity: a new build may parse
// the same files differently.
func (f *fingerprinter) executable() {
	f.str("executable")
	path, err := os.Executable()
	if err != nil {
		f.str(err.Error())
		return
	}
	f.str(path)
	fi, err := os.Stat(path)
	if err != nil {
		f.str(err.Error())
		return
	}
	f.u64(uint64(fi.Size()))
	f.u64(uint64(fi.ModTime().UnixNano()))
}
