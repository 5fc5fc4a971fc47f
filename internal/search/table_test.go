package search

import (
	"fmt"
	"testing"
)

// The table tells spellings apart by their bytes: two spellings are never
// merged, even when their hashes collide (the table it replaced trusted a
// 64-bit hash alone), and a word is found in any case.
func TestSpellingTable(t *testing.T) {
	var tab spellingTable
	const n = 5000
	key := func(i int) string { return fmt.Sprintf("word%d", i) }
	// Hashes collide in groups of seven.
	hash := func(i int) uint64 { return uint64(i / 7) }
	for i := range n {
		if tab.lookup(key(i), hash(i)) != nil {
			t.Fatalf("%s found before it was inserted", key(i))
		}
		tab.insert(key(i), hash(i), int32(i))
	}
	for i := range n {
		for _, w := range []string{key(i), fmt.Sprintf("WORD%d", i), fmt.Sprintf("Word%d", i)} {
			s := tab.lookup(w, hash(i))
			if s == nil || s.key != key(i) || s.stem() != int32(i) {
				t.Fatalf("lookup(%q) = %+v", w, s)
			}
		}
	}
	if s := tab.insert("the", fnvHash("the"), -1); s.stem() >= 0 || tab.lookup("The", fnvHash("the")) != s {
		t.Errorf("an unindexed spelling: %+v", s)
	}
	for _, w := range []string{"word", "word5000", "wor", "", "wörd1", "word1x"} {
		if s := tab.lookup(w, hash(1)); s != nil {
			t.Errorf("lookup(%q) = %+v, want nil", w, s)
		}
	}
}

// Tokenizing agrees with the table: every spelling in an index is found
// under the hash the tokenizer gives it.
func TestSpellingTableHashes(t *testing.T) {
	var tab spellingTable
	words := map[string]bool{}
	forEachText := "Deploy the Kubernetes cluster with C++ and C#, then .NET and F#: KUBERNETES deploys."
	sc := wordScanner{s: forEachText}
	for {
		w, h, ok := sc.next()
		if !ok {
			break
		}
		if h != fnvHash(lowerASCII(w)) {
			t.Errorf("%q: hash %x, fnvHash of its lowercase %x", w, h, fnvHash(lowerASCII(w)))
		}
		if tab.lookup(w, h) == nil {
			tab.insert(lowerASCII(w), h, 0)
		}
		words[lowerASCII(w)] = true
	}
	if len(tab.slots) != len(words) {
		t.Errorf("%d slots for %d distinct spellings", len(tab.slots), len(words))
	}
}
