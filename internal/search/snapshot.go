package search

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"slices"
	"unsafe"

	"github.com/mcp-agents/mcp-agents/internal/agent"
)

// A snapshot is an Index in a flat binary form that UnmarshalIndex turns
// back into an Index without tokenizing anything, so that a process can
// start from a cached index instead of building one.
//
// Layout, all integers little-endian uint32 unless said otherwise:
//
//	magic "AGIX", version
//	fingerprint uint64: the indexing code and ranking constants (see fingerprint)
//	names: a key section (below) of the doc names, without values or slots
//	shapes: count, then a uint64 docShape per doc
//	terms, spellings, handles: key sections of the three strDicts
//	handle ends, handle docs, idf (float32), surface (spelling index per
//	  term), posting ends: each a count then the words
//	postings: count, then per posting its doc, sat (float32), mask (a byte)
//	  and 3 zero bytes: the in-memory layout of posting
//	checksum: CRC-32C of everything before it
//
// A key section is: key count n, blob length, value count, slot count, the
// n+1 key ends, the values, the slots, then the blob zero-padded to a
// multiple of 4 bytes. Every section is a whole number of 4-byte words, so
// that in a buffer from Go's allocator (8-byte aligned) each array is
// aligned for its type, and the decoded index uses it in place.
const (
	snapshotMagic   = "AGIX"
	snapshotVersion = 2
	headerSize      = 4 + 4 + 8
	postingSize     = 12
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// fingerprint identifies the ranking constants the stored postings and idf
// were computed with. Changes to the indexing code itself are the caller's
// to notice: snapshots must be keyed by the executable that wrote them (the
// server's cache key includes it).
func fingerprint(p params) uint64 {
	var b []byte
	for f := range numFields {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p.weight[f]))
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(p.b[f]))
	}
	for _, v := range []float64{p.k1, p.idfPow, p.synonym, p.related, p.typo1, p.typo2, p.coord} {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	if p.perField {
		b = append(b, 1)
	}
	return uint64(crc32.Checksum(b, castagnoli))
}

// docShape summarises the sizes of an agent's indexed texts. It is a cheap
// guard against a snapshot of an edited catalog, not a content hash: the
// caller is expected to key its cache by the catalog's content.
func docShape(a *agent.Agent) uint64 {
	h := uint64(fnvOffset)
	mix := func(n int) { h = (h ^ uint64(n)) * fnvPrime }
	mix(len(a.Body))
	mix(len(a.Description))
	for _, list := range [...][]string{a.Aliases, a.Tags, a.Capabilities, a.Examples} {
		mix(len(list))
		for _, s := range list {
			mix(len(s))
		}
	}
	return h
}

// sortedDocs orders agents as NewIndex numbers them: nils dropped, by name,
// stable.
func sortedDocs(agents []*agent.Agent) []*agent.Agent {
	byName := func(a, b *agent.Agent) int { return cmp.Compare(a.Name, b.Name) }
	if !slices.Contains(agents, nil) && slices.IsSortedFunc(agents, byName) {
		return agents // catalogs are usually sorted already
	}
	docs := make([]*agent.Agent, 0, len(agents))
	for _, a := range agents {
		if a != nil {
			docs = append(docs, a)
		}
	}
	slices.SortStableFunc(docs, byName)
	return docs
}

// nativeLittle reports whether the snapshot's arrays can be used in place
// as Go values; other hosts convert them element by element.
var nativeLittle = binary.NativeEndian.Uint16([]byte{1, 0}) == 1 &&
	unsafe.Sizeof(posting{}) == postingSize && unsafe.Offsetof(posting{}.sat) == 4 && unsafe.Offsetof(posting{}.mask) == 8

// MarshalBinary encodes the index so UnmarshalIndex can rebuild it without
// tokenizing anything. The same index always encodes to the same bytes.
func (ix *Index) MarshalBinary() ([]byte, error) {
	if ix == nil {
		return nil, errors.New("search: MarshalBinary of a nil Index")
	}
	nterms := len(ix.postings)
	if ix.terms.len() != nterms || ix.terms.vals != nil || len(ix.idf) != nterms || len(ix.surface) != nterms ||
		len(ix.surfaceTerm.vals) != ix.surfaceTerm.len() || len(ix.handleOff) != ix.handles.len()+1 ||
		len(ix.shapes) != len(ix.names) {
		return nil, errors.New("search: MarshalBinary: index is inconsistent")
	}
	names := newStrDict(ix.names, nil)
	names.slots = nil
	npost := 0
	for _, ps := range ix.postings {
		npost += len(ps)
	}
	size := headerSize + 4
	for _, d := range []*strDict{&names, &ix.terms, &ix.surfaceTerm, &ix.handles} {
		size += 16 + 4*(len(d.ends)+len(d.vals)+len(d.slots)) + len(d.blob) + 3
	}
	size += 4 + 8*len(ix.shapes) + 4*5 + 4*(len(ix.handleOff)+len(ix.handleDoc)+3*nterms+1) + 4 + postingSize*npost
	if uint64(size) > math.MaxUint32 {
		return nil, errors.New("search: MarshalBinary: index too large for the format")
	}

	le := binary.LittleEndian
	b := make([]byte, 0, size)
	u32 := func(v uint32) { b = le.AppendUint32(b, v) }
	b = append(b, snapshotMagic...)
	u32(snapshotVersion)
	b = le.AppendUint64(b, fingerprint(ix.p))
	keys := func(d *strDict) {
		for _, n := range [...]int{d.len(), len(d.blob), len(d.vals), len(d.slots)} {
			u32(uint32(n))
		}
		for _, e := range d.ends {
			u32(e)
		}
		for _, v := range d.vals {
			u32(uint32(v))
		}
		for _, v := range d.slots {
			u32(uint32(v))
		}
		b = append(b, d.blob...)
		b = append(b, make([]byte, (4-len(d.blob)%4)%4)...)
	}
	keys(&names)
	u32(uint32(len(ix.shapes)))
	for _, s := range ix.shapes {
		b = le.AppendUint64(b, s)
	}
	keys(&ix.terms)
	keys(&ix.surfaceTerm)
	keys(&ix.handles)
	for _, list := range [][]uint32{ix.handleOff, ix.handleDoc} {
		u32(uint32(len(list)))
		for _, v := range list {
			u32(v)
		}
	}
	u32(uint32(nterms))
	for _, v := range ix.idf {
		u32(math.Float32bits(v))
	}
	u32(uint32(nterms))
	for t, s := range ix.surface {
		i := ix.surfaceTerm.index(s)
		if i < 0 {
			return nil, fmt.Errorf("search: MarshalBinary: usual spelling %q of term %d is not a known spelling", s, t)
		}
		u32(uint32(i))
	}
	u32(uint32(nterms + 1))
	end := uint32(0)
	u32(end)
	for _, ps := range ix.postings {
		end += uint32(len(ps))
		u32(end)
	}
	u32(uint32(npost))
	for _, ps := range ix.postings {
		for _, p := range ps {
			u32(p.doc)
			u32(math.Float32bits(p.sat))
			b = append(b, p.mask, 0, 0, 0)
		}
	}
	u32(crc32.Checksum(b, castagnoli))
	return b, nil
}
