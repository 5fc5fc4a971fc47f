package search

// spellingTable is an open-addressing hash table of the spellings one build
// worker has seen. The hash comes from the tokenizer, and a slot carries
// everything the per-token path needs (stem id, occurrence count) in 16
// bytes, so a token costs one probe sequence in a compact array and no
// further lookups. That is the hot loop of an index build.
//
// Spellings are identified by their 64-bit FNV-1a hash alone: among the
// ~1e5 spellings of a large catalog a collision has a chance around 1e-10,
// and not comparing bytes keeps the keys' memory out of the hot loop.
type spellingTable struct {
	slots []spellingSlot
	keys  []string // by slot index
	n     int
}

type spellingSlot struct {
	h uint64
	// ref is the local stem id + 2; 1 marks a spelling that is not indexed
	// and 0 an empty slot.
	ref   int32
	count int32
}

func (s *spellingSlot) stem() int32 { return s.ref - 2 }

// lookup returns the slot holding the spelling with hash h, or nil.
func (t *spellingTable) lookup(h uint64) *spellingSlot {
	if len(t.slots) == 0 {
		return nil
	}
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.ref == 0 {
			return nil
		}
		if s.h == h {
			return s
		}
	}
}

// insert adds a spelling known to be absent, with its local stem id or -1,
// and returns its slot.
func (t *spellingTable) insert(key string, h uint64, stem int32) *spellingSlot {
	if (t.n+1)*2 > len(t.slots) {
		t.grow()
	}
	t.n++
	return t.put(spellingSlot{h: h, ref: stem + 2}, key)
}

func (t *spellingTable) put(s spellingSlot, key string) *spellingSlot {
	mask := uint64(len(t.slots) - 1)
	for i := s.h & mask; ; i = (i + 1) & mask {
		if t.slots[i].ref == 0 {
			t.slots[i], t.keys[i] = s, key
			return &t.slots[i]
		}
	}
}

func (t *spellingTable) grow() {
	old, oldKeys := t.slots, t.keys
	n := max(1024, 2*len(old))
	t.slots, t.keys = make([]spellingSlot, n), make([]string, n)
	for i, s := range old {
		if s.ref != 0 {
			t.put(s, oldKeys[i])
		}
	}
}
