package search

// spellingTable holds the spellings one build worker has seen, lowercase,
// each with everything the per-token path needs (stem id, occurrence
// count), so that a token costs one map lookup. That is the hot loop of an
// index build.
type spellingTable struct {
	index map[string]int32 // spelling → its slot
	slots []spellingSlot
	lower []byte // scratch for lowercasing a word to look it up
}

type spellingSlot struct {
	key string
	// ref is the local stem id + 2; 1 marks a spelling that is not indexed.
	ref   int32
	count int32
}

func (s *spellingSlot) stem() int32 { return s.ref - 2 }

// lookup returns the slot of the spelling w, in any case, or nil. The
// pointer is valid until the next insert.
func (t *spellingTable) lookup(w string) *spellingSlot {
	i, ok := int32(0), false
	if hasUpperASCII(w) {
		t.lower = t.lower[:0]
		for j := 0; j < len(w); j++ {
			t.lower = append(t.lower, lower(w[j]))
		}
		i, ok = t.index[string(t.lower)] // no allocation: the compiler sees a lookup
	} else {
		i, ok = t.index[w]
	}
	if !ok {
		return nil
	}
	return &t.slots[i]
}

// insert adds a lowercase spelling known to be absent, with its local stem
// id or -1, and returns its slot, valid until the next insert.
func (t *spellingTable) insert(key string, stem int32) *spellingSlot {
	if t.index == nil {
		t.index = make(map[string]int32, 1024)
	}
	t.index[key] = int32(len(t.slots))
	t.slots = append(t.slots, spellingSlot{key: key, ref: stem + 2})
	return &t.slots[len(t.slots)-1]
}

func hasUpperASCII(w string) bool {
	for i := 0; i < len(w); i++ {
		if c := w[i]; c >= 'A' && c <= 'Z' {
			return true
		}
	}
	return false
}
