package agent

import (
	"bytes"
	"io/fs"
	"slices"
	"strings"
	"syscall"
	"unsafe"
)

// osWalker lists the *.md files of an os.DirFS for Fingerprint with raw
// getdents64 and stat calls: fs.WalkDir over os.DirFS opens each directory
// through os.Open (with its poller registration, several system calls)
// and builds a DirEntry per name, which for a corpus in a hundred
// directories costs more than the whole fingerprint budget. It visits the
// same files in the same order as walkMarkdown (TestOSWalkerMatchesWalkDir):
// entries sorted by name, depth first, directories whose name starts with
// "." skipped, symbolic links not followed as directories.
type osWalker struct {
	root string
	buf  []byte
	// scratch holds a NUL-terminated name for statAt.
	scratch []byte
	found   func(p string, st fileStat, err error)
	fail    func(p string, err error) // a directory that cannot be read
}

// walkOSDirFS walks an os.DirFS rooted at dir; ok is false when the root
// is one the walker leaves to fs.WalkDir.
func walkOSDirFS(dir string, found func(string, fileStat, error), fail func(string, error)) (ok bool) {
	if dir == "" {
		return false
	}
	w := &osWalker{root: strings.TrimSuffix(dir, "/"), buf: make([]byte, 16<<10), found: found, fail: fail}
	if w.root == "" {
		w.root = "/"
	}
	w.dir(-1, "", "")
	return true
}

type dirent struct {
	name string
	typ  uint8
}

// atSymlinkNofollow is AT_SYMLINK_NOFOLLOW, the same on every Linux.
const atSymlinkNofollow = 0x100

// dir walks the directory at rel ("" for the root), opened relative to
// the parent's descriptor pfd (unused for the root).
func (w *osWalker) dir(pfd int, rel, name string) {
	var fd int
	err := retryEINTR(func() (err error) {
		const flags = syscall.O_RDONLY | syscall.O_DIRECTORY | syscall.O_CLOEXEC
		if rel == "" {
			fd, err = syscall.Open(w.root, flags, 0)
		} else {
			fd, err = syscall.Openat(pfd, name, flags, 0)
		}
		return err
	})
	if err != nil {
		w.fail(rel, err)
		return
	}
	defer syscall.Close(fd)
	ents, err := w.readDir(fd)
	if err != nil {
		w.fail(rel, err)
		return
	}
	slices.SortFunc(ents, func(a, b dirent) int { return strings.Compare(a.name, b.name) })
	for _, e := range ents {
		p := e.name
		if rel != "" {
			p = rel + "/" + e.name
		}
		isDir := e.typ == syscall.DT_DIR
		if e.typ == syscall.DT_UNKNOWN {
			// The file system does not report types; os.ReadDir would lstat.
			var st syscall.Stat_t
			if w.statAt(fd, e.name, p, &st, atSymlinkNofollow) == nil {
				isDir = st.Mode&syscall.S_IFMT == syscall.S_IFDIR
			}
		}
		switch {
		case isDir:
			if !strings.HasPrefix(e.name, ".") {
				w.dir(fd, p, e.name)
			}
		case strings.HasSuffix(e.name, ".md"):
			var st syscall.Stat_t
			if err := w.statAt(fd, e.name, p, &st, 0); err != nil {
				w.found(p, fileStat{}, &fs.PathError{Op: "stat", Path: p, Err: err})
				continue
			}
			w.found(p, fileStatOf(&st), nil)
		}
	}
}

func (w *osWalker) full(rel string) string {
	switch {
	case rel == "":
		return w.root
	case w.root == "/":
		return "/" + rel
	}
	return w.root + "/" + rel
}

// readDir returns the entries of an open directory but "." and "..".
func (w *osWalker) readDir(fd int) ([]dirent, error) {
	var ents []dirent
	for {
		var n int
		err := retryEINTR(func() (err error) {
			n, err = syscall.ReadDirent(fd, w.buf)
			return err
		})
		if err != nil {
			return nil, err
		}
		if n <= 0 {
			return ents, nil
		}
		for b := w.buf[:n]; len(b) > 0; {
			// struct linux_dirent64: u64 ino, s64 off, u16 reclen, u8 type, name.
			if len(b) < 19 {
				return nil, syscall.EIO
			}
			reclen := int(*(*uint16)(unsafe.Pointer(&b[16])))
			if reclen < 19 || reclen > len(b) {
				return nil, syscall.EIO
			}
			name := b[19:reclen]
			if i := bytes.IndexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			if s := string(name); s != "." && s != ".." {
				ents = append(ents, dirent{name: s, typ: b[18]})
			}
			b = b[reclen:]
		}
	}
}
