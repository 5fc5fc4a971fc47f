//go:build linux || darwin

package agent

import (
	"io/fs"
	"syscall"
)

// statOSFile stats name in the os.DirFS rooted at dir with one system call
// and no allocation beyond the path, following symbolic links as Load's
// read does; handled is false for other file systems and for names left to
// os.DirFS.
func statOSFile(fsys fs.FS, name string) (st fileStat, handled bool, err error) {
	dir, ok := osDirRoot(fsys)
	if !ok {
		return fileStat{}, false, nil
	}
	full, ok := osDirJoin(dir, name)
	if !ok {
		return fileStat{}, false, nil
	}
	var sys syscall.Stat_t
	if err := retryEINTR(func() error { return syscall.Stat(full, &sys) }); err != nil {
		return fileStat{}, true, &fs.PathError{Op: "stat", Path: name, Err: err}
	}
	return fileStatOf(&sys), true, nil
}

// sysStat returns the inode and change time behind an os.FileInfo.
func sysStat(fi fs.FileInfo) (ino uint64, ctime int64) {
	if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
		st := fileStatOf(sys)
		return st.ino, st.ctime
	}
	return 0, 0
}
