package search

import (
	"slices"
	"strings"
	"testing"

	"github.com/mcp-agents/mcp-agents/internal/agent"
)

func TestWords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"ops.containers", []string{"ops", "containers"}},
		{"kubernetes-specialist", []string{"kubernetes", "specialist"}},
		{"dotnet_framework-4.8", []string{"dotnet", "framework", "4", "8"}},
		{"Deploy to K8s!", []string{"deploy", "to", "k8s"}},
		{"C++ and C# on .NET, F# too", []string{"cpp", "and", "csharp", "on", "dotnet", "fsharp", "too"}},
		{"ASP.NET core", []string{"asp", "net", "core"}},
		{"ci/cd", []string{"ci", "cd"}},
		{"naïve café", []string{"na", "ve", "caf"}},
		{"", nil},
		{"--- !!", nil},
	}
	for _, tt := range tests {
		if got := words(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("words(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestWordHashes checks that the hash handed out with each word is the hash
// of its lowercase form, which the index build relies on.
func TestWordHashes(t *testing.T) {
	forEachWord("Kubernetes C++ .NET k8s", func(w string, h uint64) {
		if want := fnvHash(lowerASCII(w)); h != want {
			t.Errorf("hash of %q = %x, want %x", w, h, want)
		}
	})
}

func TestFoldDiacritics(t *testing.T) {
	for in, want := range map[string]string{
		"kubernetes":       "kubernetes",
		"kübernetes":       "kubernetes",
		"postgrés café":    "postgres cafe",
		"naïve — “quotes”": "naive — “quotes”",
		"Ünïcödé":          "Unicode",
		"e\u0301te\u0301":  "ete", // already decomposed
		"日本語 kubernetes":   "日本語 kubernetes",
	} {
		if got := foldDiacritics(in); got != want {
			t.Errorf("foldDiacritics(%q) = %q, want %q", in, got, want)
		}
	}
}

// A word with a diacritic is one word, matched as its base letters, in the
// query and in agent texts alike; it used to be cut in two at the letter.
func TestDiacriticsInQueriesAndTexts(t *testing.T) {
	ix := NewIndex([]*agent.Agent{
		{Name: "ops.kubernetes", Description: "Runs Kubernetes clusters"},
		{Name: "writing.resume", Description: "Writes a résumé that gets interviews"},
	})
	for q, want := range map[string]string{"kübernetes": "@ops.kubernetes", "resume": "@writing.resume", "résumé": "@writing.resume"} {
		res, _ := ix.Search(q, 3)
		if len(res) == 0 || res[0].Name != want {
			t.Errorf("%q: got %v, want %s first", q, names(res), want)
			continue
		}
		for _, r := range res[0].Reasons {
			if strings.Contains(r, "typo") || strings.Contains(r, ": bernetes") || strings.Contains(r, "→") {
				t.Errorf("%q: reason %q reads a word the query does not hold", q, r)
			}
		}
	}
}
