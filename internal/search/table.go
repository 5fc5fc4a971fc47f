package search

// spellingTable holds the spellings one build worker has seen, lowercase,
// each with everything the per-token path needs (stem id, occurrence
// count). It is looked up by the hash the tokenizer computes anyway, and
// the spelling itself decides: spellings whose hashes collide are chained,
// never merged. A token costs one lookup in a map with integer keys, the
// hot loop of an index build.
type spellingTable struct {
	byHash map[uint64]int32 // hash → newest slot with that hash
	slots  []spellingSlot
}

type spellingSlot struct {
	key string
	// next is the previous slot with the same hash, or -1.
	next int32
	// ref is the local stem id + 2; 1 marks a spelling that is not indexed.
	ref   int32
	count int32
}

func (s *spellingSlot) stem() int32 { return s.ref - 2 }

// lookup returns the slot of the spelling w, in any case, whose lowercase
// form has hash h (fnvHash), or nil. The pointer is valid until the next
// insert.
func (t *spellingTable) lookup(w string, h uint64) *spellingSlot {
	i, ok := t.byHash[h]
	if !ok {
		return nil
	}
	for ; i >= 0; i = t.slots[i].next {
		if s := &t.slots[i]; equalLower(s.key, w) {
			return s
		}
	}
	return nil
}

// insert adds a lowercase spelling known to be absent, with its hash and
// local stem id or -1, and returns its slot, valid until the next insert.
func (t *spellingTable) insert(key string, h uint64, stem int32) *spellingSlot {
	if t.byHash == nil {
		t.byHash = make(map[uint64]int32, 1024)
	}
	next, ok := t.byHash[h]
	if !ok {
		next = -1
	}
	t.byHash[h] = int32(len(t.slots))
	t.slots = append(t.slots, spellingSlot{key: key, next: next, ref: stem + 2})
	return &t.slots[len(t.slots)-1]
}

// equalLower reports whether w lowercased (ASCII) is key.
func equalLower(key, w string) bool {
	if len(key) != len(w) {
		return false
	}
	for i := 0; i < len(w); i++ {
		if lower(w[i]) != key[i] {
			return false
		}
	}
	return true
}
