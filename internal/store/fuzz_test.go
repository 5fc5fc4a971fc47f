package store

import (
	"encoding/json"
	"testing"
)

func FuzzNormContext(f *testing.F) {
	for _, s := range []string{``, `null`, `{}`, ` {"a": [1, {"b": null}]} `, `"{\"a\":1}"`, `"  "`, `[1]`, `"x"`, `{"a":1} {}`, `{"a":"\u00e9"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, err := normContext(raw)
		if err != nil {
			if se, ok := err.(*Error); !ok || se.Field != "context" || se.Code != CodeInvalid {
				t.Fatalf("error %v is not an invalid-context *Error", err)
			}
			return
		}
		if got == "" {
			return
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(got), &m); err != nil {
			t.Fatalf("accepted %q as %q, not a JSON object: %v", raw, got, err)
		}
		if len(got) > MaxContextBytes {
			t.Fatalf("accepted %d bytes", len(got))
		}
		again, err := normContext([]byte(got))
		if err != nil || again != got {
			t.Fatalf("not idempotent: %q -> %q, %v", got, again, err)
		}
	})
}
