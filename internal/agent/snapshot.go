package agent

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"runtime"
	"unsafe"
)

// A snapshot is a catalog and its load warnings in a flat binary layout, so
// that a process can start from a cached catalog instead of reading and
// parsing every agent file: decoding is a bounds-checked walk over tables
// whose strings are slices of one blob, with no parsing and few
// allocations. All integers are little-endian.
//
//	header  magic "mcpagsnp", u32 version, u32 CRC-32C of the body,
//	        u64 body length
//	body    u32 blob length, blob (every string's bytes, each Raw once)
//	        u32 n, n × source  {label, root}
//	        u32 n, n × warning {path, reason}
//	        u32 n, u32 list items in all agents, n × agent
//	agent   u32 source index, u8 flags (lenient, has Raw, has Extra),
//	        [raw], name, description, model, color, maturity, body,
//	        source, path, 5 × list (tools, tags, capabilities, examples,
//	        aliases), [extra]
//	list    u32 count+1 (0: nil), count × string
//	string  u32 offset, u32 length into the blob
//	extra   see snapshot_value.go
//
// Strings lying inside the agent's Raw (Body always, most others usually)
// point into Raw's bytes instead of being stored again.
//
// snapshotVersion must change whenever the layout or the meaning of a
// field does; older snapshots then fail to decode and are rebuilt.
const (
	snapshotMagic   = "mcpagsnp"
	snapshotVersion = 1
	snapshotHeader  = len(snapshotMagic) + 4 + 4 + 8
)

const (
	flagLenient = 1 << iota
	flagRaw
	flagExtra
	flagsKnown = flagLenient | flagRaw | flagExtra
)

// ErrSnapshot is wrapped by every DecodeSnapshot error: the data is not a
// snapshot this version of the program wrote intact, and the caller should
// load the sources instead.
var ErrSnapshot = errors.New("invalid agent snapshot")

// checksum is the body's CRC-32C, computed with the processor's CRC
// instructions where there are some. The table is made on first use rather
// than at package initialisation, which every start pays for.
func checksum(b []byte) uint32 { return crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)) }

// EncodeSnapshot serialises a catalog and the warnings Load returned with
// it, for DecodeSnapshot. The output is deterministic. It fails only for
// an Extra value of a type yaml.v3 does not produce (see
// snapEncoder.value) and for a catalog of over 4 GB of text.
func EncodeSnapshot(c *Catalog, warnings []Warning) ([]byte, error) {
	if c == nil {
		return nil, errors.New("EncodeSnapshot: nil catalog")
	}
	items, raw := 0, 0
	for _, a := range c.agents {
		items += len(a.Tools) + len(a.Tags) + len(a.Capabilities) + len(a.Examples) + len(a.Aliases)
		raw += len(a.Raw)
	}
	// Sized for the usual case, where nearly all text lies in Raw.
	e := &snapEncoder{
		strs: make(map[string]uint32),
		blob: make([]byte, 0, raw+raw/16+4096),
		tab:  make([]byte, 0, 8*items+128*len(c.agents)+4096),
	}
	e.u32(uint32(len(c.sources)))
	for _, s := range c.sources {
		e.str(s.Label)
		e.str(s.Root)
	}
	e.u32(uint32(len(warnings)))
	for _, w := range warnings {
		e.str(w.Path)
		e.str(w.Reason)
	}
	e.u32(uint32(len(c.agents)))
	e.u32(uint32(items))
	for _, a := range c.agents {
		if err := e.agent(a, c.srcOf[a]); err != nil {
			return nil, fmt.Errorf("agent %s (%s): %w", a.Handle(), a.Path, err)
		}
	}
	if uint64(len(e.blob)) > 1<<32-1 || uint64(len(e.tab)) > 1<<32-1 {
		return nil, fmt.Errorf("catalog too large for a snapshot: %d bytes of text", len(e.blob))
	}

	return frameSnapshot(e.blob, e.tab), nil
}

// frameSnapshot assembles header, blob and tables.
func frameSnapshot(blob, tab []byte) []byte {
	out := make([]byte, snapshotHeader, snapshotHeader+4+len(blob)+len(tab))
	out = binary.LittleEndian.AppendUint32(out, uint32(len(blob)))
	out = append(out, blob...)
	out = append(out, tab...)
	copy(out, snapshotMagic)
	binary.LittleEndian.PutUint32(out[8:], snapshotVersion)
	binary.LittleEndian.PutUint32(out[12:], checksum(out[snapshotHeader:]))
	binary.LittleEndian.PutUint64(out[16:], uint64(len(out)-snapshotHeader))
	return out
}

// snapEncoder writes the tables to tab and the string bytes to blob.
type snapEncoder struct {
	tab, blob []byte
	strs      map[string]uint32 // blob offsets of strings stored so far
	raw       []byte            // the current agent's Raw
	rawOff    uint32            // and its offset in blob
}

func (e *snapEncoder) u8(v byte)    { e.tab = append(e.tab, v) }
func (e *snapEncoder) u32(v uint32) { e.tab = binary.LittleEndian.AppendUint32(e.tab, v) }
func (e *snapEncoder) u64(v uint64) { e.tab = binary.LittleEndian.AppendUint64(e.tab, v) }

// str writes a reference to s, pointing into the current Raw when s is
// part of it and to a stored copy otherwise.
func (e *snapEncoder) str(s string) {
	if s == "" {
		e.u64(0)
		return
	}
	if len(e.raw) > 0 {
		p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
		r := uintptr(unsafe.Pointer(unsafe.SliceData(e.raw)))
		if len(s) <= len(e.raw) && p >= r && p-r <= uintptr(len(e.raw)-len(s)) {
			e.ref(e.rawOff+uint32(p-r), len(s))
			return
		}
	}
	off, ok := e.strs[s]
	if !ok {
		off = uint32(len(e.blob))
		e.blob = append(e.blob, s...)
		e.strs[s] = off
	}
	e.ref(off, len(s))
}

func (e *snapEncoder) ref(off uint32, n int) {
	e.u32(off)
	e.u32(uint32(n))
}

func (e *snapEncoder) list(l []string) {
	if l == nil {
		e.u32(0)
		return
	}
	e.u32(uint32(len(l)) + 1)
	for _, s := range l {
		e.str(s)
	}
}

func (e *snapEncoder) agent(a *Agent, src int) error {
	var flags byte
	if a.Lenient {
		flags |= flagLenient
	}
	if a.Raw != nil {
		flags |= flagRaw
	}
	if a.Extra != nil {
		flags |= flagExtra
	}
	e.u32(uint32(src))
	e.u8(flags)
	e.raw = nil
	if a.Raw != nil {
		e.rawOff = uint32(len(e.blob))
		e.blob = append(e.blob, a.Raw...)
		e.ref(e.rawOff, len(a.Raw))
		e.raw = a.Raw
	}
	for _, s := range [...]string{a.Name, a.Description, a.Model, a.Color, a.Maturity, a.Body, a.Source, a.Path} {
		e.str(s)
	}
	for _, l := range [...][]string{a.Tools, a.Tags, a.Capabilities, a.Examples, a.Aliases} {
		e.list(l)
	}
	if a.Extra != nil {
		return e.extra(a.Extra)
	}
	return nil
}

// DecodeSnapshot rebuilds the catalog and warnings EncodeSnapshot stored.
// The catalog answers every query as the encoded one did; its sources
// have no FS. To avoid copying megabytes of text at start-up, the agents'
// strings and Raw share memory with data, which therefore must not be
// modified afterwards. Any damage (truncation, a flipped bit, another
// format version) yields an error wrapping ErrSnapshot.
func DecodeSnapshot(data []byte) (*Catalog, []Warning, error) {
	body, sum, err := snapshotBody(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrSnapshot, err)
	}
	// Checksumming megabytes of text takes about as long as decoding the
	// tables, so the two overlap when there is a spare processor; the
	// decoder is safe on damaged input, and a bad checksum wins over any
	// error the damage caused.
	var sums chan uint32
	if len(body) >= 1<<18 && runtime.GOMAXPROCS(0) > 1 {
		sums = make(chan uint32, 1)
		go func() { sums <- checksum(body) }()
	}
	var got uint32
	if sums == nil {
		got = checksum(body)
	}
	var c *Catalog
	var warns []Warning
	if sums == nil && got != sum {
		err = checksumError(got, sum)
	} else {
		c, warns, err = decodeBody(body)
		if sums != nil {
			if got = <-sums; got != sum {
				err = checksumError(got, sum)
			}
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrSnapshot, err)
	}
	return c, warns, nil
}

func checksumError(got, want uint32) error {
	return fmt.Errorf("checksum %08x, the header says %08x", got, want)
}

// snapshotBody checks the header and returns the body and its expected
// checksum.
func snapshotBody(data []byte) (body []byte, sum uint32, err error) {
	if len(data) < snapshotHeader {
		return nil, 0, fmt.Errorf("%d bytes is shorter than the %d-byte header", len(data), snapshotHeader)
	}
	if string(data[:8]) != snapshotMagic {
		return nil, 0, fmt.Errorf("magic %q, want %q", data[:8], snapshotMagic)
	}
	if v := binary.LittleEndian.Uint32(data[8:]); v != snapshotVersion {
		return nil, 0, fmt.Errorf("format version %d, this program reads version %d", v, snapshotVersion)
	}
	body = data[snapshotHeader:]
	if n := binary.LittleEndian.Uint64(data[16:]); n != uint64(len(body)) {
		return nil, 0, fmt.Errorf("body length %d, the header says %d", len(body), n)
	}
	return body, binary.LittleEndian.Uint32(data[12:]), nil
}

func decodeBody(body []byte) (*Catalog, []Warning, error) {
	r := &snapReader{b: body}
	// Lengths are compared as uint64 so that a huge one cannot turn
	// negative as an int on 32-bit platforms.
	u := uint64(r.u32())
	if r.err != nil || u > uint64(len(body)-r.off) {
		return nil, nil, fmt.Errorf("blob length %d exceeds the %d bytes left", u, len(body)-r.off)
	}
	blobLen := int(u)
	r.blob = body[r.off : r.off+blobLen : r.off+blobLen]
	if blobLen > 0 {
		r.blobStr = unsafe.String(&r.blob[0], blobLen)
	}
	r.off += blobLen

	c := &Catalog{sources: make([]Source, r.count("sources", 16))}
	for i := range c.sources {
		c.sources[i] = Source{Label: r.str(), Root: r.str()}
	}
	var warns []Warning
	if n := r.count("warnings", 16); n > 0 {
		warns = make([]Warning, n)
		for i := range warns {
			warns[i] = Warning{Path: r.str(), Reason: r.str()}
		}
	}
	const minAgent = 4 + 1 + 8*8 + 5*4
	n := r.count("agents", minAgent)
	r.items = make([]string, r.count("list items", 8))
	if r.err != nil {
		return nil, nil, r.err
	}

	slab := make([]Agent, n)
	c.agents = make([]*Agent, n)
	c.byName = make(map[string]*Agent, n)
	c.byAlias = make(map[string]*Agent)
	c.srcOf = make(map[*Agent]int, n)
	for i := range slab {
		a := &slab[i]
		src := r.agent(a)
		if r.err != nil {
			return nil, nil, fmt.Errorf("agent %d: %w", i, r.err)
		}
		if src >= uint32(len(c.sources)) {
			return nil, nil, fmt.Errorf("agent %d: source index %d, there are %d sources", i, src, len(c.sources))
		}
		if a.Name == "" {
			return nil, nil, fmt.Errorf("agent %d: empty name", i)
		}
		if _, dup := c.byName[a.Name]; dup {
			return nil, nil, fmt.Errorf("agent %d: name %q appears twice", i, a.Name)
		}
		c.agents[i] = a
		c.byName[a.Name] = a
		c.srcOf[a] = int(src)
	}
	if r.nItems != len(r.items) {
		return nil, nil, fmt.Errorf("lists hold %d items, the table says %d", r.nItems, len(r.items))
	}
	if r.off != len(body) {
		return nil, nil, fmt.Errorf("%d unread bytes after the last agent", len(body)-r.off)
	}
	// The alias warnings were stored with the rest; index only rebuilds
	// the lookups, exactly as Load did.
	c.index()
	return c, warns, nil
}

// snapReader reads the body; the first error sticks and makes every later
// read return zero values, so callers check err once per record.
type snapReader struct {
	b       []byte
	off     int
	err     error
	blob    []byte
	blobStr string
	items   []string // all agents' list items, sliced per list
	nItems  int      // items handed out so far
}

func (r *snapReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(format, args...)
	}
}

func (r *snapReader) need(n int, what string) bool {
	if r.err != nil {
		return false
	}
	if n > len(r.b)-r.off {
		r.fail("truncated %s at offset %d", what, r.off)
		return false
	}
	return true
}

func (r *snapReader) u8() byte {
	if !r.need(1, "byte") {
		return 0
	}
	v := r.b[r.off]
	r.off++
	return v
}

func (r *snapReader) u32() uint32 {
	if !r.need(4, "integer") {
		return 0
	}
	v := binary.LittleEndian.Uint32(r.b[r.off:])
	r.off += 4
	return v
}

func (r *snapReader) u64() uint64 {
	if !r.need(8, "integer") {
		return 0
	}
	v := binary.LittleEndian.Uint64(r.b[r.off:])
	r.off += 8
	return v
}

// count reads a record count and checks that the rest of the body can
// hold that many records of at least minSize bytes, so that a damaged
// count cannot trigger a huge allocation.
func (r *snapReader) count(what string, minSize int) int {
	n := uint64(r.u32())
	if r.err == nil && n > uint64((len(r.b)-r.off)/minSize) {
		r.fail("%d %s cannot fit in the %d bytes left", n, what, len(r.b)-r.off)
		return 0
	}
	return int(n)
}

// span reads a string reference and checks it against the blob.
func (r *snapReader) span() (off, n int, ok bool) {
	if !r.need(8, "string reference") {
		return 0, 0, false
	}
	o := uint64(binary.LittleEndian.Uint32(r.b[r.off:]))
	l := uint64(binary.LittleEndian.Uint32(r.b[r.off+4:]))
	r.off += 8
	if o+l > uint64(len(r.blob)) {
		r.fail("string at %d+%d overruns the %d-byte blob", o, l, len(r.blob))
		return 0, 0, false
	}
	return int(o), int(l), true
}

func (r *snapReader) str() string {
	off, n, ok := r.span()
	if !ok {
		return ""
	}
	return r.blobStr[off : off+n]
}

func (r *snapReader) bytes() []byte {
	off, n, ok := r.span()
	if !ok {
		return nil
	}
	return r.blob[off : off+n : off+n]
}

func (r *snapReader) list() []string {
	u := uint64(r.u32())
	if u == 0 || r.err != nil {
		return nil
	}
	if u-1 > uint64(len(r.items)-r.nItems) {
		r.fail("list of %d items overruns the %d-item table", u-1, len(r.items))
		return nil
	}
	n := int(u - 1)
	l := r.items[r.nItems : r.nItems+n : r.nItems+n]
	r.nItems += n
	for i := range l {
		l[i] = r.str()
	}
	return l
}

// agent fills a and returns its source index.
func (r *snapReader) agent(a *Agent) uint32 {
	src := r.u32()
	flags := r.u8()
	if flags&^flagsKnown != 0 {
		r.fail("unknown flags %#x", flags)
	}
	a.Lenient = flags&flagLenient != 0
	if flags&flagRaw != 0 {
		a.Raw = r.bytes()
	}
	a.Name, a.Description, a.Model, a.Color = r.str(), r.str(), r.str(), r.str()
	a.Maturity, a.Body, a.Source, a.Path = r.str(), r.str(), r.str(), r.str()
	a.Tools, a.Tags, a.Capabilities, a.Examples, a.Aliases = r.list(), r.list(), r.list(), r.list(), r.list()
	if flags&flagExtra != 0 {
		a.Extra = r.extra()
	}
	return src
}
