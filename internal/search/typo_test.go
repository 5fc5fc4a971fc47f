package search

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b  string
		limit int
		want  int
	}{
		{"kubernetes", "kubernetes", 2, 0},
		{"kubernets", "kubernetes", 2, 1}, // deletion
		{"postgress", "postgres", 1, 1},   // insertion
		{"terafrom", "terraform", 2, 2},   // insertion + transposition
		{"pyhton", "python", 1, 1},        // transposition
		{"reacr", "react", 1, 1},          // substitution
		{"docker", "rocket", 1, 2},        // over the limit: limit+1
		{"go", "kubernetes", 2, 3},        // length difference alone
		{"", "ab", 2, 2},
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b, tt.limit); got != tt.want {
			t.Errorf("editDistance(%q, %q, %d) = %d, want %d", tt.a, tt.b, tt.limit, got, tt.want)
		}
	}
}

func TestMaxTypos(t *testing.T) {
	for n, want := range map[int]int{2: 0, 3: 0, 4: 1, 7: 1, 8: 2, 12: 2} {
		if got := maxTypos(n); got != want {
			t.Errorf("maxTypos(%d) = %d, want %d", n, got, want)
		}
	}
}

func TestTypoIndexNear(t *testing.T) {
	vocab := []string{"kubernetes", "postgres", "postgresql", "terraform", "terragrunt", "python", "react", "redux"}
	scanned := newTypoIndex(vocab)
	indexed := newTypoIndex(vocab)
	indexed.indexBigrams()
	tests := []struct {
		word string
		want []string
		dist int
	}{
		{"kubernets", []string{"kubernetes"}, 1},
		{"postgress", []string{"postgres"}, 1},
		{"terafrom", []string{"terraform"}, 2},
		{"pyhton", []string{"python"}, 1},
		{"kubernetes", nil, 0}, // exact words are not typos
		{"rust", nil, 0},       // nothing near
		{"k8s", nil, 0},        // too short to correct
	}
	for _, tt := range tests {
		for name, ix := range map[string]*typoIndex{"scan": scanned, "bigrams": indexed} {
			got, d := ix.near(tt.word)
			if !slices.Equal(got, tt.want) || d != tt.dist {
				t.Errorf("%s: near(%q) = %q, %d; want %q, %d", name, tt.word, got, d, tt.want, tt.dist)
			}
		}
	}
}

// The bigram postings are only a filter: near must find exactly the words a
// full scan finds, on misspellings of every kind.
func TestTypoIndexBigramsMatchScan(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = "abcdeeilmnorst-."[r.IntN(16)]
		}
		return string(b)
	}
	vocab := make([]string, 3000)
	for i := range vocab {
		vocab[i] = word(2 + r.IntN(14))
	}
	scanned := newTypoIndex(vocab)
	scanned.bigrams = nil
	indexed := newTypoIndex(vocab)
	if indexed.bigrams == nil {
		t.Fatalf("a %d-word vocabulary should get bigram postings", len(vocab))
	}
	mutate := func(w string) string {
		b := []byte(w)
		for range 1 + r.IntN(2) {
			i := r.IntN(len(b) + 1)
			switch r.IntN(4) {
			case 0: // insert
				b = slices.Insert(b, i, "xyz"[r.IntN(3)])
			case 1: // delete
				if i < len(b) {
					b = slices.Delete(b, i, i+1)
				}
			case 2: // substitute
				if i < len(b) {
					b[i] = "aeoxyz"[r.IntN(6)]
				}
			default: // transpose
				if i+1 < len(b) {
					b[i], b[i+1] = b[i+1], b[i]
				}
			}
		}
		return string(b)
	}
	for range 3000 {
		q := mutate(vocab[r.IntN(len(vocab))])
		got, gd := indexed.near(q)
		want, wd := scanned.near(q)
		if !slices.Equal(got, want) || gd != wd {
			t.Fatalf("near(%q): bigrams %q, %d; scan %q, %d", q, got, gd, want, wd)
		}
	}
}
