package store

import (
	"encoding/json"
	"reflect"
	"testing"
)

// slowFiles is the reference: what scanning related_files did with
// encoding/json alone.
func slowFiles(s string) []string {
	var files []string
	if err := json.Unmarshal([]byte(s), &files); err != nil || files == nil {
		return []string{}
	}
	return files
}

func TestDecodeFiles(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		fast bool // decoded without encoding/json
	}{
		{`[]`, []string{}, true},
		{` [ ] `, []string{}, true},
		{`["a.go"]`, []string{"a.go"}, true},
		{"[ \"a.go\" ,\n\t\"dir/b c.go\" ]", []string{"a.go", "dir/b c.go"}, true},
		{`["é.go","日本.md"]`, []string{"é.go", "日本.md"}, true},
		{`["a,b","c"]`, []string{"a,b", "c"}, true},
		{`["q\"uote"]`, []string{`q"uote`}, false},
		{`["\u003cb\u003e"]`, []string{"<b>"}, false},
		{`[null, "a"]`, []string{"", "a"}, false},
		{`[1]`, []string{}, false},
		{`["a",]`, []string{}, false},
		{`["a"] x`, []string{}, false},
		{`["a"`, []string{}, false},
		{`{"a":1}`, []string{}, false},
		{`null`, []string{}, false},
		{``, []string{}, false},
		{"[\"\xff\"]", []string{"\ufffd"}, false},
		{"[\"a\tb\"]", []string{}, false},
	}
	for _, tc := range tests {
		got := decodeFiles(tc.in)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("decodeFiles(%q) = %#v, want %#v", tc.in, got, tc.want)
		}
		if ref := slowFiles(tc.in); !reflect.DeepEqual(got, ref) {
			t.Errorf("decodeFiles(%q) = %#v, encoding/json gives %#v", tc.in, got, ref)
		}
		if _, ok := decodePlainFiles(tc.in); ok != tc.fast {
			t.Errorf("decodePlainFiles(%q) ok = %v, want %v", tc.in, ok, tc.fast)
		}
	}
}

func FuzzDecodeFiles(f *testing.F) {
	for _, s := range []string{`[]`, `["a.go", "b.go"]`, `["a\"b"]`, `[null]`, ` ["x" ] `, `["a",]`, "[\"\xff\"]", `[1, "a"]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ref := decodeFiles(s), slowFiles(s)
		if !reflect.DeepEqual(got, ref) {
			t.Fatalf("decodeFiles(%q) = %#v, encoding/json gives %#v", s, got, ref)
		}
	})
}
