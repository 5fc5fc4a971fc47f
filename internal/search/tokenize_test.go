package search

import (
	"slices"
	"testing"
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
