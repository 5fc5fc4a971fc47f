package search

import (
	"strings"
	"sync"
)

// strDict maps strings to int32 values. It replaces Go maps in the Index so
// that an index decoded from a snapshot (snapshot.go) needs no per-key work
// at all: the keys are one string and an array of their ends, and the hash
// table is a flat array, all of which a snapshot stores as they are. A map
// would cost an insertion per key, a few milliseconds for the shared
// corpus, most of a decode.
type strDict struct {
	// blob holds the keys back to back; key i is blob[ends[i]:ends[i+1]].
	blob string
	ends []uint32
	// vals holds the value of each key; nil means a key's value is its
	// index.
	vals []int32
	// slots is an open-addressing table by fnvHash of key index + 1 (0 is
	// empty); a power of two long with at least one empty slot, so that
	// probes end.
	slots []int32
}

func newStrDict(keys []string, vals []int32) strDict {
	n := 1
	for n < 2*len(keys)+1 {
		n <<= 1
	}
	d := strDict{blob: strings.Join(keys, ""), ends: make([]uint32, 1, len(keys)+1), vals: vals, slots: make([]int32, n)}
	mask := uint64(n - 1)
	for i, k := range keys {
		d.ends = append(d.ends, d.ends[i]+uint32(len(k)))
		j := fnvHash(k) & mask
		for d.slots[j] != 0 {
			j = (j + 1) & mask
		}
		d.slots[j] = int32(i + 1)
	}
	return d
}

// len returns the number of keys.
func (d *strDict) len() int { return max(len(d.ends)-1, 0) }

func (d *strDict) key(i int) string { return d.blob[d.ends[i]:d.ends[i+1]] }

// keys returns all keys, in order.
func (d *strDict) keys() []string {
	out := make([]string, d.len())
	for i := range out {
		out[i] = d.key(i)
	}
	return out
}

// index returns the position of s among the keys, or -1. Probes are
// bounded and slots naming no key are skipped, so that a table from a
// corrupt snapshot cannot make a lookup loop or fail.
func (d *strDict) index(s string) int {
	mask := uint64(len(d.slots) - 1)
	j := fnvHash(s) & mask
	for range d.slots {
		k := int(d.slots[j]) - 1
		if k < 0 {
			return -1
		}
		if k < d.len() && d.key(k) == s {
			return k
		}
		j = (j + 1) & mask
	}
	return -1
}

// get returns the value of s.
func (d *strDict) get(s string) (int32, bool) {
	i := d.index(s)
	switch {
	case i < 0:
		return 0, false
	case d.vals == nil:
		return int32(i), true
	default:
		return d.vals[i], true
	}
}

// lazyTypo builds a typo index over the keys of a dictionary on first use.
// Most processes answer no query that needs typo correction, and building
// the index over the vocabulary is a quarter of an index build.
type lazyTypo struct {
	keys *strDict
	once sync.Once
	t    *typoIndex
}

func (l *lazyTypo) get() *typoIndex {
	l.once.Do(func() { l.t = newTypoIndex(l.keys.keys()) })
	return l.t
}

// handleDocs returns the docs with name or alias h (lowercased, no "@").
func (ix *Index) handleDocs(h string) []uint32 {
	i := ix.handles.index(h)
	if i < 0 {
		return nil
	}
	return ix.handleDoc[ix.handleOff[i]:ix.handleOff[i+1]]
}

// spellingTerm returns the stem id of a spelling the index has seen.
func (ix *Index) spellingTerm(s string) int32 {
	t, _ := ix.surfaceTerm.get(s)
	return t
}
