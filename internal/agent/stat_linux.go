package agent

import "syscall"

func fileStatOf(s *syscall.Stat_t) fileStat {
	return fileStat{size: s.Size, mtime: s.Mtim.Nano(), ctime: s.Ctim.Nano(), ino: uint64(s.Ino), mode: uint32(s.Mode)}
}
