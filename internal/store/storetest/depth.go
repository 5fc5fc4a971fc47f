package storetest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mcp-agents/mcp-agents/internal/store"
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

func testContextDepth(t *testing.T, open Opener) {
	s := openTest(t, open)
	ctx := context.Background()
	asString := func(doc string) json.RawMessage { b, _ := json.Marshal(doc); return b }
	for _, tc := range []struct {
		name  string
		raw   json.RawMessage
		valid bool
	}{
		{"object depth 1", json.RawMessage(`{}`), true},
		{"object depth 64", json.RawMessage(nested(64)), true},
		{"object depth 65", json.RawMessage(nested(65)), false},
		{"object depth 999", json.RawMessage(nested(999)), false},
		{"object depth 1001", json.RawMessage(nested(1001)), false},
		{"object depth 20000", json.RawMessage(nested(20000)), false},
		{"string depth 64", asString(nested(64)), true},
		{"string depth 65", asString(nested(65)), false},
		{"string depth 1001", asString(nested(1001)), false},
		{"brackets inside strings do not count", json.RawMessage(`{"a":"` + strings.Repeat("[{", 200) + `"}`), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := countFlags(t, s)
			in := validNew()
			in.Context = tc.raw
			f, err := s.CreateFlag(ctx, in)
			if tc.valid {
				if err != nil {
					t.Fatalf("CreateFlag: %v", err)
				}
				d, err := s.GetFlag(ctx, f.ID)
				if err != nil || !json.Valid(d.Flag.Context) {
					t.Fatalf("GetFlag: %v, context %q", err, d.Flag.Context)
				}
				return
			}
			se := wantCode(t, err, store.CodeInvalid, "context", "64 levels")
			if se.Field != "context" {
				t.Errorf("field = %q", se.Field)
			}
			if n := countFlags(t, s); n != before {
				t.Errorf("a refused context stored a flag")
			}
		})
	}
}
