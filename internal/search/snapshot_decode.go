package search

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"math/bits"
	"unsafe"

	"github.com/mcp-agents/mcp-agents/internal/agent"
)

// snapshotError is the error for data that is not a usable snapshot.
func snapshotError(field, rule string, args ...any) error {
	return fmt.Errorf("search: index snapshot: %s: %s", field, fmt.Sprintf(rule, args...))
}

// UnmarshalIndex rebuilds an index from MarshalBinary's output for the same
// agents (the same catalog, in the same order as given to NewIndex). It gives
// exactly the same Search results as NewIndex(agents). Data from another
// format version or another build of the indexing code, truncated or
// corrupt data, and data written for other agents (a different count,
// names or text sizes) are rejected with an error.
//
// The index keeps and uses data in place (decoding is then a matter of
// checking it): the caller must not modify data afterwards.
func UnmarshalIndex(data []byte, agents []*agent.Agent) (*Index, error) {
	if len(data) < headerSize+4 {
		return nil, snapshotError("length", "%d bytes is shorter than the %d-byte header and checksum", len(data), headerSize+4)
	}
	if string(data[:4]) != snapshotMagic {
		return nil, snapshotError("magic", "got %q, want %q", data[:4], snapshotMagic)
	}
	if v := binary.LittleEndian.Uint32(data[4:]); v != snapshotVersion {
		return nil, snapshotError("version", "got %d, this build reads %d", v, snapshotVersion)
	}
	body := data[:len(data)-4]
	if sum := binary.LittleEndian.Uint32(data[len(data)-4:]); sum != crc32.Checksum(body, castagnoli) {
		return nil, snapshotError("checksum", "data is truncated or corrupt")
	}
	if fp := binary.LittleEndian.Uint64(data[8:]); fp != fingerprint(defaultParams) {
		return nil, snapshotError("fingerprint", "written by a build with other indexing code or ranking constants")
	}
	// The index's arrays and strings are views of data, so nothing is
	// copied or allocated per element. They need 4-byte alignment, which
	// Go's allocator gives any []byte of 8 bytes or more; a buffer that
	// starts elsewhere is copied.
	buf := body
	if uintptr(unsafe.Pointer(&buf[0]))%4 != 0 {
		words := make([]uint32, (len(body)+3)/4)
		buf = unsafe.Slice((*byte)(unsafe.Pointer(&words[0])), len(body))
		copy(buf, body)
	}
	return decode(&snapReader{b: buf[headerSize:]}, agents)
}

// snapReader reads the sections of a snapshot, checking every count
// against what is left before anything is allocated. After the first
// error it returns empty results.
type snapReader struct {
	b   []byte
	err error
}

func (r *snapReader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

func (r *snapReader) u32(field string) uint32 {
	if r.err != nil || len(r.b) < 4 {
		r.fail(snapshotError(field, "data ends early"))
		return 0
	}
	v := binary.LittleEndian.Uint32(r.b)
	r.b = r.b[4:]
	return v
}

// take returns the next n elements of size bytes, rounded up to whole words.
func (r *snapReader) take(field string, n, size uint64) []byte {
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b))/size {
		r.fail(snapshotError(field, "%d entries of %d bytes overrun the data", n, size))
		return nil
	}
	out := r.b[:n*size]
	r.b = r.b[min((n*size+3)&^3, uint64(len(r.b))):]
	return out
}

// array reads a count-prefixed array of 32-bit words, which must hold want
// entries.
func array[T uint32 | int32 | float32](r *snapReader, field string, want uint64) []T {
	n := uint64(r.u32(field))
	if r.err == nil && n != want {
		r.fail(snapshotError(field, "has %d entries, want %d", n, want))
	}
	return view[T](r.take(field, n, 4))
}

// view returns b as 32-bit words: in place where memory is little-endian
// (b is 4-byte aligned), else converted.
func view[T uint32 | int32 | float32](b []byte) []T {
	if len(b) == 0 {
		return nil
	}
	if nativeLittle {
		return unsafe.Slice((*T)(unsafe.Pointer(&b[0])), len(b)/4)
	}
	out := make([]T, len(b)/4)
	for i := range out {
		*(*uint32)(unsafe.Pointer(&out[i])) = binary.LittleEndian.Uint32(b[4*i:])
	}
	return out
}

// keys reads a key section into a strDict. hasSlots says whether a lookup
// table is expected; vals are checked to be below maxVal. Slots are not
// checked: strDict lookups bound their probes and ignore slots past the
// keys.
func (r *snapReader) keys(field string, hasSlots bool, maxVal uint64) strDict {
	n, blobLen, nvals, nslots := uint64(r.u32(field)), uint64(r.u32(field)), uint64(r.u32(field)), uint64(r.u32(field))
	if r.err != nil {
		return strDict{}
	}
	switch {
	case nvals != 0 && nvals != n:
		r.fail(snapshotError(field, "has %d values for %d keys", nvals, n))
	case hasSlots && (nslots == 0 || bits.OnesCount64(nslots) != 1):
		r.fail(snapshotError(field, "slot count %d is not a power of two", nslots))
	case !hasSlots && nslots != 0:
		r.fail(snapshotError(field, "has %d slots, want none", nslots))
	}
	var d strDict
	d.ends = view[uint32](r.take(field+" ends", n+1, 4))
	d.vals = view[int32](r.take(field+" values", nvals, 4))
	d.slots = view[int32](r.take(field+" slots", nslots, 4))
	blob := r.take(field+" blob", blobLen, 1)
	if r.err != nil {
		return strDict{}
	}
	if len(blob) > 0 {
		d.blob = unsafe.String(&blob[0], len(blob))
	}
	prev := uint32(0)
	for i, e := range d.ends {
		if e < prev || uint64(e) > blobLen || i == 0 && e != 0 || i == len(d.ends)-1 && uint64(e) != blobLen {
			r.fail(snapshotError(field+" ends", "entry %d (%d) is not within %d..%d", i, e, prev, blobLen))
			return strDict{}
		}
		prev = e
	}
	for i, v := range d.vals {
		if v < 0 || uint64(v) >= maxVal {
			r.fail(snapshotError(field+" values", "%q has %d, not below %d", d.key(i), v, maxVal))
			return strDict{}
		}
	}
	return d
}

func decode(r *snapReader, agents []*agent.Agent) (*Index, error) {
	docs := sortedDocs(agents)
	ndocs := uint64(len(docs))
	names := r.keys("names", false, 0)
	if r.err == nil && uint64(names.len()) != ndocs {
		return nil, snapshotError("names", "snapshot has %d agents, catalog %d", names.len(), ndocs)
	}
	shapes := r.take("shapes", uint64(r.u32("shapes")), 8)
	if r.err != nil {
		return nil, r.err
	}
	if uint64(len(shapes)) != 8*ndocs {
		return nil, snapshotError("shapes", "has %d entries, want %d", len(shapes)/8, ndocs)
	}
	ix := &Index{p: defaultParams, names: make([]string, ndocs), descs: make([]string, ndocs), shapes: make([]uint64, ndocs)}
	for i, a := range docs {
		ix.names[i], ix.descs[i], ix.shapes[i] = a.Name, a.Description, docShape(a)
		if name := names.key(i); name != a.Name {
			return nil, snapshotError("names", "agent %d is %q in the snapshot, %q in the catalog", i, name, a.Name)
		}
		if binary.LittleEndian.Uint64(shapes[8*i:]) != ix.shapes[i] {
			return nil, snapshotError("shapes", "agent %q differs from the one the snapshot was written for", a.Name)
		}
	}

	ix.terms = r.keys("terms", true, 0)
	nterms := uint64(ix.terms.len())
	ix.surfaceTerm = r.keys("spellings", true, nterms)
	if r.err == nil && len(ix.surfaceTerm.vals) != ix.surfaceTerm.len() {
		r.fail(snapshotError("spellings", "have no term ids"))
	}
	ix.handles = r.keys("handles", true, 0)
	ix.handleOff = array[uint32](r, "handle ends", uint64(ix.handles.len())+1)
	ix.handleDoc = view[uint32](r.take("handle docs", uint64(r.u32("handle docs")), 4))
	ix.idf = array[float32](r, "idf", nterms)
	surface := array[uint32](r, "surface", nterms)
	postEnds := array[uint32](r, "posting ends", nterms+1)
	npost := uint64(r.u32("postings"))
	postB := r.take("postings", npost, postingSize)
	if r.err != nil {
		return nil, r.err
	}
	if len(r.b) != 0 {
		return nil, snapshotError("length", "%d bytes left over after the postings", len(r.b))
	}

	if err := checkEnds("handle ends", ix.handleOff, uint64(len(ix.handleDoc))); err != nil {
		return nil, err
	}
	for _, d := range ix.handleDoc {
		if uint64(d) >= ndocs {
			return nil, snapshotError("handle docs", "doc %d is not below %d", d, ndocs)
		}
	}
	nspell := uint64(ix.surfaceTerm.len())
	ix.surface = make([]string, nterms)
	for t, i := range surface {
		if uint64(i) >= nspell {
			return nil, snapshotError("surface", "term %d has spelling %d, not below %d", t, i, nspell)
		}
		ix.surface[t] = ix.surfaceTerm.key(int(i))
	}

	var flat []posting
	switch {
	case npost == 0:
	case nativeLittle:
		flat = unsafe.Slice((*posting)(unsafe.Pointer(&postB[0])), npost)
	default:
		le := binary.LittleEndian
		flat = make([]posting, npost)
		for i := range flat {
			p := postB[postingSize*i:]
			flat[i] = posting{doc: le.Uint32(p), sat: math.Float32frombits(le.Uint32(p[4:])), mask: p[8]}
		}
	}
	if err := checkEnds("posting ends", postEnds, npost); err != nil {
		return nil, err
	}
	ix.postings = make([][]posting, nterms)
	for t := range ix.postings {
		ps := flat[postEnds[t]:postEnds[t+1]:postEnds[t+1]]
		// Search indexes per-doc arrays by these docs and binary-searches
		// the lists, so both order and range are checked: each doc at
		// least one past the one before, the last below ndocs.
		next := uint64(0)
		for _, p := range ps {
			if uint64(p.doc) < next {
				return nil, snapshotError("postings", "term %q: doc %d after doc %d", ix.terms.key(t), p.doc, next-1)
			}
			next = uint64(p.doc) + 1
		}
		if next > ndocs {
			return nil, snapshotError("postings", "term %q: doc %d is not below %d", ix.terms.key(t), next-1, ndocs)
		}
		ix.postings[t] = ps
	}

	ix.vocab.keys = &ix.surfaceTerm
	ix.handleVocab.keys = &ix.handles
	n := len(docs)
	ix.scratch.New = func() any { return newScratch(n) }
	return ix, nil
}

// checkEnds checks offsets into an array of n entries: from 0, never
// decreasing, up to n.
func checkEnds(field string, ends []uint32, n uint64) error {
	prev := uint32(0)
	for i, e := range ends {
		if e < prev || i == 0 && e != 0 || i == len(ends)-1 && uint64(e) != n {
			return snapshotError(field, "entry %d (%d) is not within %d..%d", i, e, prev, n)
		}
		prev = e
	}
	return nil
}
