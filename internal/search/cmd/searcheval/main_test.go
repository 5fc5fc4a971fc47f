package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var corpus = filepath.Join("..", "..", "..", "..", "..", "shared", "corpus")

func TestRun(t *testing.T) {
	if _, err := os.Stat(corpus); err != nil {
		t.Skipf("shared corpus not present: %v", err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"figures and misses", []string{"-sets", "relevance_holdout"}, []string{"relevance_holdout ", "hit@1", "misses\n", "      1 @"}},
		{"explain", []string{"-explain", "kubernetes;helm chart"}, []string{"\"kubernetes\": ", "\"helm chart\": ", "  1 @"}},
		{"sweep", []string{"-sweep", "-sets", "relevance_acolytes"}, []string{"defaults ", "classic BM25F"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out strings.Builder
			args := append([]string{"-corpus", corpus, "-testdata", filepath.Join("..", "..", "testdata")}, tc.args...)
			if err := run(args, &out); err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
	var out strings.Builder
	if err := run([]string{"-corpus", corpus, "-testdata", "..", "-sets", "x"}, &out); err == nil {
		t.Error("no sets: want an error")
	}
}
