package search

import (
	"fmt"
	"testing"
)

// The table tells spellings apart by their bytes: two spellings are never
// merged, whatever their hashes (the hash-only table it replaced trusted a
// 64-bit hash), and a word is found in any case.
func TestSpellingTable(t *testing.T) {
	var tab spellingTable
	const n = 5000
	for i := range n {
		key := fmt.Sprintf("word%d", i)
		if tab.lookup(key) != nil {
			t.Fatalf("%s found before it was inserted", key)
		}
		tab.insert(key, int32(i))
	}
	for i := range n {
		for _, w := range []string{fmt.Sprintf("word%d", i), fmt.Sprintf("WORD%d", i), fmt.Sprintf("Word%d", i)} {
			s := tab.lookup(w)
			if s == nil || s.key != fmt.Sprintf("word%d", i) || s.stem() != int32(i) {
				t.Fatalf("lookup(%q) = %+v", w, s)
			}
		}
	}
	if s := tab.insert("the", -1); s.stem() >= 0 || tab.lookup("The") != s {
		t.Errorf("an unindexed spelling: %+v", s)
	}
	for _, w := range []string{"word", "word5000", "wor", "", "wörd1"} {
		if s := tab.lookup(w); s != nil {
			t.Errorf("lookup(%q) = %+v, want nil", w, s)
		}
	}
	// Looking a word up costs no allocation, in either case.
	if a := testing.AllocsPerRun(100, func() { tab.lookup("Word42"); tab.lookup("word42") }); a != 0 {
		t.Errorf("lookup allocates %v times", a)
	}
}
