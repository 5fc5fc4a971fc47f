package search

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"slices"

	"github.com/mcp-agents/mcp-agents/internal/agent"
)

// Snapshot is an Index as plain data, for the start-up cache to store with
// encoding/gob next to the catalog it was built from, so that a process can
// start without tokenizing anything. The cache is keyed by the executable,
// so a snapshot is only ever read by the code (and ranking constants) that
// wrote it.
type Snapshot struct {
	Docs                      int
	Terms, Spellings, Handles DictSnapshot
	HandleOff, HandleDoc      Uint32s
	IDF                       Float32s
	// Surface is each term's usual spelling, as an index into Spellings.
	Surface Uint32s
	// The postings of term t are entries PostingEnds[t] to PostingEnds[t+1]
	// of three parallel arrays, kept as bytes that FromSnapshot turns into
	// postings in one pass: PostingGaps holds each doc as a uvarint, the
	// gap from the previous doc of its list (from 0 for the first);
	// PostingSats each saturation's float32 bits, little-endian;
	// PostingMasks each field mask. For the 412-file corpus that cut the
	// cache entry from 1.72 to 1.43 MB, what decoding the index allocates
	// from 4.4 to 3.8 MB (BenchmarkFromSnapshotCorpus), and a warm start's
	// page faults from 3,850 to 3,620 (bench/run.sh -only startup).
	PostingEnds  Uint32s
	PostingGaps  []byte
	PostingSats  []byte
	PostingMasks []byte
}

// DictSnapshot is a strDict.
type DictSnapshot struct {
	Blob        string
	Ends        Uint32s
	Vals, Slots Int32s
}

// Uint32s, Int32s and Float32s are the snapshot's numeric arrays. gob
// writes a []uint32 element by element, as varints, and reads it back the
// same way: for the 412-file corpus (about 450,000 numbers) that was most
// of a warm start's decoding of the index. A []byte it copies in one go,
// and hands a GobDecoder its own buffer, so these types travel as bytes,
// little-endian, packed and unpacked by encoding/binary.
type (
	Uint32s  []uint32
	Int32s   []int32
	Float32s []float32
)

// Snapshot returns the index as a Snapshot, sharing its arrays.
func (ix *Index) Snapshot() Snapshot {
	s := Snapshot{
		Docs:        len(ix.names),
		Terms:       dictSnapshot(&ix.terms),
		Spellings:   dictSnapshot(&ix.surfaceTerm),
		Handles:     dictSnapshot(&ix.handles),
		HandleOff:   ix.handleOff,
		HandleDoc:   ix.handleDoc,
		IDF:         ix.idf,
		Surface:     make([]uint32, len(ix.surface)),
		PostingEnds: make([]uint32, 1, len(ix.postings)+1),
	}
	for t, sp := range ix.surface {
		s.Surface[t] = uint32(ix.surfaceTerm.index(sp))
	}
	for _, ps := range ix.postings {
		prev := uint32(0)
		for _, p := range ps {
			s.PostingGaps = binary.AppendUvarint(s.PostingGaps, uint64(p.doc-prev))
			s.PostingSats = binary.LittleEndian.AppendUint32(s.PostingSats, math.Float32bits(p.sat))
			s.PostingMasks = append(s.PostingMasks, p.mask)
			prev = p.doc
		}
		s.PostingEnds = append(s.PostingEnds, uint32(len(s.PostingMasks)))
	}
	return s
}

func (v Uint32s) GobEncode() ([]byte, error)  { return pack(v) }
func (v Int32s) GobEncode() ([]byte, error)   { return pack(v) }
func (v Float32s) GobEncode() ([]byte, error) { return pack(v) }

func (v *Uint32s) GobDecode(b []byte) error {
	return unpack(b, (*[]uint32)(v), func(u uint32) uint32 { return u })
}

func (v *Int32s) GobDecode(b []byte) error {
	return unpack(b, (*[]int32)(v), func(u uint32) int32 { return int32(u) })
}

func (v *Float32s) GobDecode(b []byte) error {
	return unpack(b, (*[]float32)(v), math.Float32frombits)
}

func pack[T uint32 | int32 | float32](v []T) ([]byte, error) {
	return binary.Append(make([]byte, 0, 4*len(v)), binary.LittleEndian, v)
}

// unpack is binary.Decode's inverse of pack without its per-element call
// through the ByteOrder interface, which made it three times slower.
func unpack[T uint32 | int32 | float32](b []byte, v *[]T, conv func(uint32) T) error {
	if len(b)%4 != 0 {
		return snapshotError("array", "%d bytes is not a whole number of 4-byte values", len(b))
	}
	out := make([]T, len(b)/4)
	for i := range out {
		out[i] = conv(binary.LittleEndian.Uint32(b[4*i:]))
	}
	*v = out
	return nil
}

func dictSnapshot(d *strDict) DictSnapshot {
	return DictSnapshot{Blob: d.blob, Ends: d.ends, Vals: d.vals, Slots: d.slots}
}

// FromSnapshot rebuilds the index s was taken of, for the same agents (in
// any order, as NewIndex takes them). It checks everything Search indexes
// by, so that a damaged snapshot is an error, never a panic or a wrong
// document.
func FromSnapshot(s *Snapshot, agents []*agent.Agent) (*Index, error) {
	docs := sortedDocs(agents)
	if s.Docs != len(docs) {
		return nil, snapshotError("docs", "snapshot has %d agents, catalog %d", s.Docs, len(docs))
	}
	ndocs := uint64(len(docs))
	nterms := uint64(len(s.IDF))
	ix := &Index{
		p:         defaultParams,
		names:     make([]string, len(docs)),
		descs:     make([]string, len(docs)),
		docs:      docs,
		handleOff: s.HandleOff,
		handleDoc: s.HandleDoc,
		idf:       s.IDF,
		surface:   make([]string, nterms),
		postings:  make([][]posting, nterms),
	}
	for i, a := range docs {
		ix.names[i], ix.descs[i] = a.Name, a.Description
	}
	var err error
	if ix.terms, err = fromDictSnapshot("terms", s.Terms, false, 0); err != nil {
		return nil, err
	}
	if uint64(ix.terms.len()) != nterms {
		return nil, snapshotError("terms", "%d terms, %d idf values", ix.terms.len(), nterms)
	}
	if ix.surfaceTerm, err = fromDictSnapshot("spellings", s.Spellings, true, nterms); err != nil {
		return nil, err
	}
	if ix.handles, err = fromDictSnapshot("handles", s.Handles, false, 0); err != nil {
		return nil, err
	}
	if len(ix.handleOff) != ix.handles.len()+1 {
		return nil, snapshotError("handle ends", "%d entries for %d handles", len(ix.handleOff), ix.handles.len())
	}
	if err := checkEnds("handle ends", ix.handleOff, uint64(len(ix.handleDoc))); err != nil {
		return nil, err
	}
	for _, d := range ix.handleDoc {
		if uint64(d) >= ndocs {
			return nil, snapshotError("handle docs", "doc %d is not below %d", d, ndocs)
		}
	}
	if uint64(len(s.Surface)) != nterms {
		return nil, snapshotError("surface", "%d entries for %d terms", len(s.Surface), nterms)
	}
	for t, i := range s.Surface {
		if int(i) >= ix.surfaceTerm.len() {
			return nil, snapshotError("surface", "term %d has spelling %d, not below %d", t, i, ix.surfaceTerm.len())
		}
		ix.surface[t] = ix.surfaceTerm.key(int(i))
	}
	if err := ix.postingsFrom(s, ndocs); err != nil {
		return nil, err
	}
	ix.vocab.keys = &ix.surfaceTerm
	ix.handleVocab.keys = &ix.handles
	ix.scratch.New = func() any { return newScratch(len(docs)) }
	return ix, nil
}

func (ix *Index) postingsFrom(s *Snapshot, ndocs uint64) error {
	npost := len(s.PostingMasks)
	if len(s.PostingSats) != 4*npost {
		return snapshotError("postings", "%d masks, %d bytes of saturations", npost, len(s.PostingSats))
	}
	if len(s.PostingEnds) != len(ix.postings)+1 {
		return snapshotError("posting ends", "%d entries for %d terms", len(s.PostingEnds), len(ix.postings))
	}
	if err := checkEnds("posting ends", s.PostingEnds, uint64(npost)); err != nil {
		return err
	}
	flat := make([]posting, npost)
	gaps := s.PostingGaps
	for t := range ix.postings {
		lo, hi := s.PostingEnds[t], s.PostingEnds[t+1]
		// Search indexes per-doc arrays by these docs and binary-searches
		// the lists: each doc is below ndocs and above the one before.
		doc := uint64(0)
		for i := lo; i < hi; i++ {
			gap, n := binary.Uvarint(gaps)
			switch {
			case n <= 0:
				return snapshotError("postings", "term %q: posting %d: no doc", ix.terms.key(t), i-lo)
			case gap == 0 && i > lo:
				return snapshotError("postings", "term %q: doc %d twice", ix.terms.key(t), doc)
			case gap >= ndocs-doc: // doc < ndocs here, so this cannot overflow
				return snapshotError("postings", "term %q: doc %d + %d is not below %d", ix.terms.key(t), doc, gap, ndocs)
			}
			gaps, doc = gaps[n:], doc+gap
			flat[i] = posting{doc: uint32(doc), sat: math.Float32frombits(binary.LittleEndian.Uint32(s.PostingSats[4*i:])), mask: s.PostingMasks[i]}
		}
		ix.postings[t] = flat[lo:hi:hi]
	}
	if len(gaps) > 0 {
		return snapshotError("postings", "%d bytes of docs left over", len(gaps))
	}
	return nil
}

// fromDictSnapshot checks a dictionary: keys within the blob, a lookup
// table a power of two long (strDict lookups bound their probes and ignore
// slots past the keys), and, when hasVals, a value below maxVal per key.
func fromDictSnapshot(field string, s DictSnapshot, hasVals bool, maxVal uint64) (strDict, error) {
	d := strDict{blob: s.Blob, ends: s.Ends, vals: s.Vals, slots: s.Slots}
	switch {
	case len(d.ends) == 0:
		return strDict{}, snapshotError(field, "no key ends")
	case len(d.slots) == 0 || bits.OnesCount(uint(len(d.slots))) != 1:
		return strDict{}, snapshotError(field, "slot count %d is not a power of two", len(d.slots))
	case hasVals && len(d.vals) != d.len():
		return strDict{}, snapshotError(field, "has %d values for %d keys", len(d.vals), d.len())
	case !hasVals && d.vals != nil:
		return strDict{}, snapshotError(field, "has values")
	}
	if err := checkEnds(field+" ends", d.ends, uint64(len(d.blob))); err != nil {
		return strDict{}, err
	}
	for i, v := range d.vals {
		if v < 0 || uint64(v) >= maxVal {
			return strDict{}, snapshotError(field+" values", "%q has %d, not below %d", d.key(i), v, maxVal)
		}
	}
	return d, nil
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

func snapshotError(field, rule string, args ...any) error {
	return fmt.Errorf("search: index snapshot: %s: %s", field, fmt.Sprintf(rule, args...))
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
