package search

import (
	"cmp"
	"embed"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"slices"
	"sync"
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
//	counts: docs, terms, spellings, handles, handle docs, postings, blob bytes
//	blob: every string back to back (doc names, stems by id, spellings
//	      sorted, handles sorted), zero-padded to a multiple of 4 bytes
//	string ends: the end offset in blob of each of those strings, in order
//	doc shapes: uint64 per doc (see docShape)
//	idf: float32 per term
//	surface: per term, the index of its usual spelling among the spellings
//	posting ends: per term, the end of its postings in the posting array
//	spelling terms: per spelling, its term id
//	handle ends, handle docs: per handle the end of its docs, then the docs
//	postings: doc, sat (float32), mask (byte), 3 zero bytes: the in-memory
//	          layout of posting, so that it is copied in one move
//	checksum: CRC-32C of everything before it
//
// Every section is a whole number of 4-byte words, so arrays start 4-byte
// aligned relative to the start of the data.
const (
	snapshotMagic   = "AGIX"
	snapshotVersion = 1
	headerSize      = 4 + 4 + 8 + 7*4
	postingSize     = 12
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// indexCode is the source of everything that decides what an index holds:
// the tokenizer, stemmer, stopwords, field extraction, the build and this
// format. Its checksum is part of the fingerprint, so that a snapshot
// written by a binary whose indexing differs in any way is rejected instead
// of silently ranking differently from NewIndex.
//
//go:embed build.go merge.go table.go tokenize.go stem.go fields.go capabilities.go markdown.go index.go snapshot.go
var indexCode embed.FS

var codeSum = sync.OnceValue(func() uint32 {
	files, err := indexCode.ReadDir(".")
	if err != nil {
		panic(err) // embedded at build time: cannot fail
	}
	var sum uint32
	for _, f := range files {
		b, err := indexCode.ReadFile(f.Name())
		if err != nil {
			panic(err)
		}
		sum = crc32.Update(sum, castagnoli, []byte(f.Name()))
		sum = crc32.Update(sum, castagnoli, b)
	}
	return sum
})

// fingerprint identifies the indexing code and the ranking constants the
// stored postings and idf were computed with.
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
	return uint64(codeSum())<<32 | uint64(crc32.Checksum(b, castagnoli))
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
	docs := make([]*agent.Agent, 0, len(agents))
	for _, a := range agents {
		if a != nil {
			docs = append(docs, a)
		}
	}
	slices.SortStableFunc(docs, func(a, b *agent.Agent) int { return cmp.Compare(a.Name, b.Name) })
	return docs
}

// nativeLittle reports whether arrays can be copied between memory and the
// snapshot as bytes; other hosts convert element by element.
var nativeLittle = binary.NativeEndian.Uint16([]byte{1, 0}) == 1 &&
	unsafe.Sizeof(posting{}) == postingSize && unsafe.Offsetof(posting{}.sat) == 4 && unsafe.Offsetof(posting{}.mask) == 8

// MarshalBinary encodes the index so UnmarshalIndex can rebuild it without
// tokenizing anything. The same index always encodes to the same bytes.
func (ix *Index) MarshalBinary() ([]byte, error) {
	if ix == nil {
		return nil, errors.New("search: MarshalBinary of a nil Index")
	}

	ndocs, nterms := len(ix.names), len(ix.postings)
	nspell, nhandles := len(ix.surfaceTerm.keys), len(ix.handles.keys)
	if ix.terms.vals != nil || len(ix.terms.keys) != nterms || len(ix.idf) != nterms || len(ix.surface) != nterms ||
		len(ix.surfaceTerm.vals) != nspell || len(ix.handleOff) != nhandles+1 || len(ix.shapes) != ndocs {
		return nil, errors.New("search: MarshalBinary: index is inconsistent")
	}
	npost := 0
	for _, ps := range ix.postings {
		npost += len(ps)
	}
	blobLen := 0
	for _, list := range [...][]string{ix.names, ix.terms.keys, ix.surfaceTerm.keys, ix.handles.keys} {
		for _, s := range list {
			blobLen += len(s)
		}
	}
	if uint64(blobLen) > math.MaxUint32 || npost > math.MaxUint32 {
		return nil, errors.New("search: MarshalBinary: index too large for the format")
	}
	blobPad := (4 - blobLen%4) % 4
	nstr := ndocs + nterms + nspell + nhandles
	size := headerSize + blobLen + blobPad + 4*nstr + 8*ndocs + 4*3*nterms + 4*nspell + 4*nhandles +
		4*len(ix.handleDoc) + postingSize*npost + 4
	b := make([]byte, 0, size)
	le := binary.LittleEndian
	b = append(b, snapshotMagic...)
	b = le.AppendUint32(b, snapshotVersion)
	b = le.AppendUint64(b, fingerprint(ix.p))
	for _, n := range [...]int{ndocs, nterms, nspell, nhandles, len(ix.handleDoc), npost, blobLen} {
		b = le.AppendUint32(b, uint32(n))
	}
	for _, list := range [...][]string{ix.names, ix.terms.keys, ix.surfaceTerm.keys, ix.handles.keys} {
		for _, s := range list {
			b = append(b, s...)
		}
	}
	b = append(b, make([]byte, blobPad)...)
	end := uint32(0)
	for _, list := range [...][]string{ix.names, ix.terms.keys, ix.surfaceTerm.keys, ix.handles.keys} {
		for _, s := range list {
			end += uint32(len(s))
			b = le.AppendUint32(b, end)
		}
	}
	for _, s := range ix.shapes {
		b = le.AppendUint64(b, s)
	}
	for _, v := range ix.idf {
		b = le.AppendUint32(b, math.Float32bits(v))
	}
	for t, s := range ix.surface {
		i := ix.surfaceTerm.index(s)
		if i < 0 {
			return nil, fmt.Errorf("search: MarshalBinary: usual spelling %q of term %d is not a known spelling", s, t)
		}
		b = le.AppendUint32(b, uint32(i))
	}
	end = 0
	for _, ps := range ix.postings {
		end += uint32(len(ps))
		b = le.AppendUint32(b, end)
	}
	for _, t := range ix.surfaceTerm.vals {
		b = le.AppendUint32(b, uint32(t))
	}
	for _, o := range ix.handleOff[1:] {
		b = le.AppendUint32(b, o)
	}
	for _, d := range ix.handleDoc {
		b = le.AppendUint32(b, d)
	}
	for _, ps := range ix.postings {
		for _, p := range ps {
			b = le.AppendUint32(b, p.doc)
			b = le.AppendUint32(b, math.Float32bits(p.sat))
			b = append(b, p.mask, 0, 0, 0)
		}
	}
	b = le.AppendUint32(b, crc32.Checksum(b, castagnoli))
	return b, nil
}

// snapshotError is the error for data that is not a usable snapshot.
func snapshotError(field, rule string, args ...any) error {
	return fmt.Errorf("search: index snapshot: %s: %s", field, fmt.Sprintf(rule, args...))
}

// UnmarshalIndex rebuilds an index from MarshalBinary's output for the same
// agents (the same catalog, in the same order as given to NewIndex). It gives
// exactly the same Search results as NewIndex(agents). Data from another
// format version or another build of the indexing code, truncated or
// corrupt data, and data written for other agents (a different count,
// names or text sizes) are rejected with an error. data is not retained.
func UnmarshalIndex(data []byte, agents []*agent.Agent) (*Index, error) {
	if len(data) < headerSize+4 {
		return nil, snapshotError("length", "%d bytes is shorter than the %d-byte header", len(data), headerSize+4)
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
	return decode(body, agents)
}

// snapReader reads the sections of a snapshot, checking every length
// against what is left before anything is allocated.
type snapReader struct {
	b   []byte
	err error
}

func (r *snapReader) take(field string, n, size uint64) []byte {
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b))/size {
		r.err = snapshotError(field, "%d entries of %d bytes overrun the data", n, size)
		return nil
	}
	out := r.b[:n*size]
	r.b = r.b[n*size:]
	return out
}

// readWords copies little-endian 32-bit words into dst.
func readWords[T uint32 | int32 | float32](dst []T, src []byte) {
	if len(dst) == 0 {
		return
	}
	if nativeLittle {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(&dst[0])), 4*len(dst)), src)
		return
	}
	for i := range dst {
		*(*uint32)(unsafe.Pointer(&dst[i])) = binary.LittleEndian.Uint32(src[4*i:])
	}
}

func decode(data []byte, agents []*agent.Agent) (*Index, error) {
	le := binary.LittleEndian
	if fp := le.Uint64(data[8:]); fp != fingerprint(defaultParams) {
		return nil, snapshotError("fingerprint", "written by a build with other indexing code or ranking constants")
	}
	var c [7]uint64
	for i := range c {
		c[i] = uint64(le.Uint32(data[16+4*i:]))
	}
	ndocs, nterms, nspell, nhandles, nhdocs, npost, blobLen := c[0], c[1], c[2], c[3], c[4], c[5], c[6]
	docs := sortedDocs(agents)
	if ndocs != uint64(len(docs)) {
		return nil, snapshotError("docs", "snapshot has %d agents, catalog %d", ndocs, len(docs))
	}
	r := snapReader{b: data[headerSize:]}
	blobBytes := r.take("blob", blobLen+(4-blobLen%4)%4, 1)
	nstr := ndocs + nterms + nspell + nhandles
	endsB := r.take("string ends", nstr, 4)
	shapesB := r.take("doc shapes", ndocs, 8)
	idfB := r.take("idf", nterms, 4)
	surfB := r.take("surface", nterms, 4)
	postEndsB := r.take("posting ends", nterms, 4)
	spellTermsB := r.take("spelling terms", nspell, 4)
	handleEndsB := r.take("handle ends", nhandles, 4)
	handleDocB := r.take("handle docs", nhdocs, 4)
	postB := r.take("postings", npost, postingSize)
	if r.err != nil {
		return nil, r.err
	}
	if len(r.b) != 0 {
		return nil, snapshotError("length", "%d bytes left over after the postings", len(r.b))
	}

	ix := &Index{p: defaultParams, names: make([]string, ndocs), descs: make([]string, ndocs)}
	ix.shapes = make([]uint64, ndocs)
	for i, a := range docs {
		ix.names[i], ix.descs[i] = a.Name, a.Description
		ix.shapes[i] = docShape(a)
		if s := le.Uint64(shapesB[8*i:]); s != ix.shapes[i] {
			return nil, snapshotError("docs", "agent %q differs from the one the snapshot was written for", a.Name)
		}
	}

	// Strings are cut from one copy of the blob.
	blob := string(blobBytes[:blobLen])
	ends := make([]uint32, nstr)
	readWords(ends, endsB)
	strs := make([]string, nstr)
	start := uint32(0)
	for i, e := range ends {
		if e < start || uint64(e) > blobLen {
			return nil, snapshotError("string ends", "entry %d (%d) is outside %d..%d", i, e, start, blobLen)
		}
		strs[i], start = blob[start:e], e
	}
	for i, name := range strs[:ndocs] {
		if name != ix.names[i] {
			return nil, snapshotError("docs", "agent %d is %q in the snapshot, %q in the catalog", i, name, ix.names[i])
		}
	}
	stems := strs[ndocs : ndocs+nterms : ndocs+nterms]
	spellings := strs[ndocs+nterms : ndocs+nterms+nspell : ndocs+nterms+nspell]
	handles := strs[ndocs+nterms+nspell:]

	ix.idf = make([]float32, nterms)
	readWords(ix.idf, idfB)

	spellTerms := make([]int32, nspell)
	readWords(spellTerms, spellTermsB)
	for i, t := range spellTerms {
		if t < 0 || uint64(t) >= nterms {
			return nil, snapshotError("spelling terms", "spelling %q has term %d, not below %d", spellings[i], t, nterms)
		}
	}

	ix.surface = make([]string, nterms)
	for t := range ix.surface {
		i := uint64(le.Uint32(surfB[4*t:]))
		if i >= nspell {
			return nil, snapshotError("surface", "term %d has spelling %d, not below %d", t, i, nspell)
		}
		ix.surface[t] = spellings[i]
	}

	flat := make([]posting, npost)
	if nativeLittle {
		if npost > 0 {
			copy(unsafe.Slice((*byte)(unsafe.Pointer(&flat[0])), postingSize*npost), postB)
		}
	} else {
		for i := range flat {
			p := postB[postingSize*i:]
			flat[i] = posting{doc: le.Uint32(p), sat: math.Float32frombits(le.Uint32(p[4:])), mask: p[8]}
		}
	}
	ix.postings = make([][]posting, nterms)
	start = 0
	for t := range ix.postings {
		e := le.Uint32(postEndsB[4*t:])
		if e < start || uint64(e) > npost {
			return nil, snapshotError("posting ends", "term %d ends at %d, outside %d..%d", t, e, start, npost)
		}
		ps := flat[start:e:e]
		// Search indexes per-doc arrays by these docs and binary-searches
		// the lists, so both are checked.
		prev := int64(-1)
		for _, p := range ps {
			if int64(p.doc) <= prev || uint64(p.doc) >= ndocs {
				return nil, snapshotError("postings", "term %q: doc %d out of order or not below %d", stems[t], p.doc, ndocs)
			}
			prev = int64(p.doc)
		}
		ix.postings[t], start = ps, e
	}
	if uint64(start) != npost {
		return nil, snapshotError("posting ends", "last term ends at %d, want %d", start, npost)
	}

	ix.handleOff = make([]uint32, nhandles+1)
	readWords(ix.handleOff[1:], handleEndsB)
	for i := range nhandles {
		if ix.handleOff[i+1] < ix.handleOff[i] || uint64(ix.handleOff[i+1]) > nhdocs {
			return nil, snapshotError("handle ends", "handle %q ends at %d, outside %d..%d", handles[i], ix.handleOff[i+1], ix.handleOff[i], nhdocs)
		}
	}
	if uint64(ix.handleOff[nhandles]) != nhdocs {
		return nil, snapshotError("handle ends", "last handle ends at %d, want %d", ix.handleOff[nhandles], nhdocs)
	}
	ix.handleDoc = make([]uint32, nhdocs)
	readWords(ix.handleDoc, handleDocB)
	for _, d := range ix.handleDoc {
		if uint64(d) >= ndocs {
			return nil, snapshotError("handle docs", "doc %d is not below %d", d, ndocs)
		}
	}

	ix.terms = newStrDict(stems, nil)
	ix.surfaceTerm = newStrDict(spellings, spellTerms)
	ix.vocab.words = spellings
	ix.handles = newStrDict(handles, nil)
	ix.handleVocab.words = handles
	n := len(docs)
	ix.scratch.New = func() any { return newScratch(n) }
	return ix, nil
}
