package search

import (
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
	ix := newTypoIndex([]string{"kubernetes", "postgres", "postgresql", "terraform", "terragrunt", "python", "react", "redux"})
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
		got, d := ix.near(tt.word)
		if !slices.Equal(got, tt.want) || d != tt.dist {
			t.Errorf("near(%q) = %q, %d; want %q, %d", tt.word, got, d, tt.want, tt.dist)
		}
	}
}
