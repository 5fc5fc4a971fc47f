package store

import (
	"reflect"
	"testing"
)

func TestDecodeFiles(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{`[]`, []string{}},
		{` [ ] `, []string{}},
		{`["a.go"]`, []string{"a.go"}},
		{"[ \"a.go\" ,\n\t\"dir/b c.go\" ]", []string{"a.go", "dir/b c.go"}},
		{`["é.go","日本.md"]`, []string{"é.go", "日本.md"}},
		{`["q\"uote"]`, []string{`q"uote`}},
		{`["\u003cb\u003e"]`, []string{"<b>"}},
		{`[null, "a"]`, []string{"", "a"}},
		{`[1]`, []string{}},
		{`["a",]`, []string{}},
		{`["a"] x`, []string{}},
		{`{"a":1}`, []string{}},
		{`null`, []string{}},
		{``, []string{}},
		{"[\"\xff\"]", []string{"\ufffd"}},
	}
	for _, tc := range tests {
		if got := decodeFiles(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("decodeFiles(%q) = %#v, want %#v", tc.in, got, tc.want)
		}
	}
}
