package store

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// Open skips its first SQLite connection (about 2 ms in a fresh process, the
// longest item on the server's start-up path) when the file on disk already
// shows a WAL database at the current schema version: the pools then
// connect on first use. Anything unusual takes the full bootstrap, which
// owns the error messages.

// live counts the Stores of this process that are open or opening. The
// fast path reads the database and WAL files through descriptors of its
// own, and closing any descriptor of a file drops every POSIX lock the
// process holds on it — locks SQLite relies on to know whether it is the
// last user of the WAL. So the fast path runs only while this process has
// no other Store, and with the mutex held, so no Store connects meanwhile.
var live struct {
	sync.Mutex
	n int
}

// register counts a new Store and reports whether it may skip the
// bootstrap; fast is called only while no other Store exists.
func register(fast func() bool) bool {
	live.Lock()
	defer live.Unlock()
	ok := live.n == 0 && fast()
	live.n++
	return ok
}

func unregister() {
	live.Lock()
	live.n--
	live.Unlock()
}

const dbHeaderLen = 100

var sqliteMagic = []byte("SQLite format 3\x00")

// dbHeader is what the fast path needs from the 100-byte database header
// (https://sqlite.org/fileformat2.html#the_database_header).
type dbHeader struct {
	pageSize    int
	wal         bool // read and write format versions are both 2
	userVersion uint32
}

func parseDBHeader(b []byte) (dbHeader, bool) {
	if len(b) < dbHeaderLen || !bytes.Equal(b[:16], sqliteMagic) {
		return dbHeader{}, false
	}
	ps := int(binary.BigEndian.Uint16(b[16:18]))
	if ps == 1 {
		ps = 65536
	}
	if ps < 512 || ps&(ps-1) != 0 || b[21] != 64 || b[22] != 32 || b[23] != 32 {
		return dbHeader{}, false
	}
	return dbHeader{
		pageSize:    ps,
		wal:         b[18] == 2 && b[19] == 2,
		userVersion: binary.BigEndian.Uint32(b[60:64]),
	}, true
}

// canSkipBootstrap reports whether the database at abs is already a WAL
// database at schema version want that this process can write, so Open
// need not connect. Every doubt answers false.
func canSkipBootstrap(abs string, fi os.FileInfo, want int) bool {
	if !fastOpenSupported || fi == nil || !fi.Mode().IsRegular() {
		return false
	}
	db, err := openRW(abs)
	if err != nil {
		return false
	}
	defer db.Close()

	// The WAL is read before the database header: a checkpoint copies WAL
	// frames into the database before the WAL restarts, so whichever page
	// 1 is found is no older than the state when the WAL was read.
	walImage, walPresent, walOK := newestWALPage1(abs + "-wal")
	if !walOK {
		return false
	}
	var buf [dbHeaderLen]byte
	if _, err := db.ReadAt(buf[:], 0); err != nil {
		return false // shorter than a header: new, or being created now
	}
	main, ok := parseDBHeader(buf[:])
	if !ok {
		return false
	}
	h := main
	if walImage != nil {
		if h, ok = parseDBHeader(walImage); !ok || h.pageSize != main.pageSize {
			return false
		}
	}
	if !main.wal || !h.wal || h.userVersion != uint32(want) {
		return false
	}
	// SQLite creates -wal and -shm next to the database if they are absent
	// and needs both writable; the bootstrap would report either problem.
	// A WAL that was read was opened read-write already.
	sides := []string{abs + "-shm"}
	if !walPresent {
		sides = append(sides, abs+"-wal")
	}
	for _, side := range sides {
		switch _, err := os.Lstat(side); {
		case err == nil:
			if !writable(side, false) {
				return false
			}
		case errors.Is(err, os.ErrNotExist):
			if !writable(filepath.Dir(abs), true) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// WAL file format: https://sqlite.org/fileformat2.html#the_write_ahead_log
const (
	walHeaderLen      = 32
	walFrameHeaderLen = 24
	walMagicLE        = 0x377f0682
	walMagicBE        = 0x377f0683
	walVersion        = 3007000
	// walScanLimit bounds the WAL bytes the fast path reads and checksums
	// (about 1 µs per 4 KiB frame): past it, connecting is cheaper than
	// reading on, so a longer WAL sends Open down the bootstrap.
	walScanLimit = 1 << 20
)

// newestWALPage1 returns the header bytes of the newest committed image of
// page 1 in the WAL at path, as SQLite's recovery would find it: frames
// count up to the first one whose salt or running checksum does not match,
// and only through the last commit frame. The image is nil when the WAL
// is absent or holds no committed page 1 (the database file is then
// current). present reports that the WAL exists and opened read-write; ok
// is false when it cannot be read or its valid frames run past
// walScanLimit.
func newestWALPage1(path string) (image []byte, present, ok bool) {
	f, err := openRW(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, true
	}
	if err != nil {
		return nil, false, false
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 64<<10)

	var hdr [walHeaderLen]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		// Empty or partly written: SQLite ignores a WAL without a valid
		// header, and writes one only after the database is current.
		return nil, true, errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
	}
	magic := binary.BigEndian.Uint32(hdr[0:4])
	if magic != walMagicLE && magic != walMagicBE {
		return nil, true, true
	}
	bigEnd := magic == walMagicBE
	s1, s2 := walChecksum(bigEnd, hdr[:24], 0, 0)
	pageSize := int(binary.BigEndian.Uint32(hdr[8:12]))
	if binary.BigEndian.Uint32(hdr[4:8]) != walVersion ||
		s1 != binary.BigEndian.Uint32(hdr[24:28]) || s2 != binary.BigEndian.Uint32(hdr[28:32]) {
		return nil, true, true
	}
	if pageSize < 512 || pageSize > 65536 || pageSize&(pageSize-1) != 0 {
		return nil, true, false
	}

	frame := make([]byte, walFrameHeaderLen+pageSize)
	var pending, committed []byte
	for read := walHeaderLen; ; read += len(frame) {
		if _, err := io.ReadFull(r, frame); err != nil {
			break
		}
		if read+len(frame) > walScanLimit {
			return nil, true, false
		}
		fh, page := frame[:walFrameHeaderLen], frame[walFrameHeaderLen:]
		if !bytes.Equal(fh[8:16], hdr[16:24]) {
			break
		}
		s1, s2 = walChecksum(bigEnd, fh[:8], s1, s2)
		s1, s2 = walChecksum(bigEnd, page, s1, s2)
		if s1 != binary.BigEndian.Uint32(fh[16:20]) || s2 != binary.BigEndian.Uint32(fh[20:24]) {
			break
		}
		if binary.BigEndian.Uint32(fh[0:4]) == 1 {
			pending = append(pending[:0], page[:dbHeaderLen]...)
		}
		if binary.BigEndian.Uint32(fh[4:8]) != 0 && pending != nil { // commit frame
			committed = append(committed[:0], pending...)
		}
	}
	return committed, true, true
}

// fileRW is what the fast path reads files through.
type fileRW interface {
	io.Reader
	io.ReaderAt
	io.Closer
}

// walChecksum continues SQLite's WAL checksum over b (a multiple of 8
// bytes), reading 32-bit words big- or little-endian as the magic says.
// The two loops avoid an interface call per word: this is most of the
// cost of reading a WAL.
func walChecksum(bigEnd bool, b []byte, s1, s2 uint32) (uint32, uint32) {
	if bigEnd {
		for ; len(b) >= 8; b = b[8:] {
			s1 += binary.BigEndian.Uint32(b) + s2
			s2 += binary.BigEndian.Uint32(b[4:]) + s1
		}
		return s1, s2
	}
	for ; len(b) >= 8; b = b[8:] {
		s1 += binary.LittleEndian.Uint32(b) + s2
		s2 += binary.LittleEndian.Uint32(b[4:]) + s1
	}
	return s1, s2
}
