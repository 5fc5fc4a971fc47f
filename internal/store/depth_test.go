package store

import (
	"errors"
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

func TestCanonicalJSONDepth(t *testing.T) {
	for _, tc := range []struct {
		doc  string
		want bool
	}{
		{`{}`, false}, {`[[1]]`, false}, {`{"a":[{"b":[]}]}`, false},
		{nested(64), false}, {nested(65), true}, {`{"a":"]]]]"}`, false},
	} {
		_, err := canonicalJSON([]byte(tc.doc), 64)
		if got := errors.Is(err, errTooDeep); got != tc.want {
			t.Errorf("canonicalJSON(%.40s…) too deep = %v, want %v (err %v)", tc.doc, got, tc.want, err)
		}
	}
	_, deep := canonicalJSON([]byte(`[[[`), 2)
	_, short := canonicalJSON([]byte(`[[`), 2)
	if !errors.Is(deep, errTooDeep) || errors.Is(short, errTooDeep) || short == nil {
		t.Errorf("unterminated documents: depth is counted up to the limit (%v), and the rest is malformed (%v)", deep, short)
	}
}
