package store

import (
	"strings"
	"testing"
)

// nested returns a JSON object nested depth levels deep, the outermost
// object counting as level 1, alternating objects and arrays.
func nested(depth int) string {
	var open, close strings.Builder
	for i := 1; i <= depth; i++ {
		switch {
		case i == 1 || i%2 == 1:
			open.WriteString(`{"k":`)
		default:
			open.WriteString(`[`)
		}
	}
	for i := depth; i >= 1; i-- {
		switch {
		case i == 1 || i%2 == 1:
			close.WriteString(`}`)
		default:
			close.WriteString(`]`)
		}
	}
	return open.String() + "1" + close.String()
}

func TestTooDeep(t *testing.T) {
	for _, tc := range []struct {
		doc  string
		want bool
	}{
		{`{}`, false}, {`[[1]]`, false}, {`{"a":[{"b":[]}]}`, false},
		{nested(64), false}, {nested(65), true}, {`{"a":"]]]]"}`, false},
	} {
		if got := tooDeep([]byte(tc.doc), 64); got != tc.want {
			t.Errorf("tooDeep(%.40s…) = %v, want %v", tc.doc, got, tc.want)
		}
	}
	if tooDeep([]byte(`[[[`), 2) != true || tooDeep([]byte(`[[`), 2) != false {
		t.Error("unterminated documents: depth still counted up to the limit")
	}
}
