package search

import "sync"

// strDict maps strings to int32 values. It replaces Go maps in the Index so
// that an index decoded from a snapshot (snapshot.go) is ready after one
// pass over its keys: the table is a flat array of key indexes, filled
// without allocating per key, where a map would cost an insertion each (a
// few milliseconds for the shared corpus, most of a decode).
type strDict struct {
	keys []string
	// vals holds the value of each key; nil means a key's value is its
	// index.
	vals []int32
	// slots is an open-addressing table by fnvHash of key index + 1 (0 is
	// empty); a power of two long and at most half full, so probes end.
	slots []int32
}

func newStrDict(keys []string, vals []int32) strDict {
	n := 1
	for n < 2*len(keys)+1 {
		n <<= 1
	}
	d := strDict{keys: keys, vals: vals, slots: make([]int32, n)}
	mask := uint64(n - 1)
	for i, k := range keys {
		j := fnvHash(k) & mask
		for d.slots[j] != 0 {
			j = (j + 1) & mask
		}
		d.slots[j] = int32(i + 1)
	}
	return d
}

// index returns the position of s in keys, or -1.
func (d *strDict) index(s string) int {
	if len(d.slots) == 0 {
		return -1
	}
	mask := uint64(len(d.slots) - 1)
	for j := fnvHash(s) & mask; ; j = (j + 1) & mask {
		k := d.slots[j]
		if k == 0 {
			return -1
		}
		if d.keys[k-1] == s {
			return int(k - 1)
		}
	}
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

// lazyTypo builds a typo index on first use. Most processes answer no query
// that needs typo correction, and building the index over the vocabulary
// is a quarter of an index build.
type lazyTypo struct {
	words []string
	once  sync.Once
	t     *typoIndex
}

func (l *lazyTypo) get() *typoIndex {
	l.once.Do(func() { l.t = newTypoIndex(l.words) })
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
