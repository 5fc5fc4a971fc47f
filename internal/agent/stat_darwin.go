package agent

import "syscall"

func fileStatOf(s *syscall.Stat_t) fileStat {
	return fileStat{size: s.Size, mtime: s.Mtimespec.Nano(), ctime: s.Ctimespec.Nano(), ino: uint64(s.Ino), mode: uint32(s.Mode)}
}
