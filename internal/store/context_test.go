package store

import (
	"encoding/json"
	"strings"
	"testing"
)

// A context's size is that of its value, not of the escapes a client's
// JSON encoder chose: Python's json.dumps writes every non-ASCII
// character as a 6-byte \uXXXX.
func TestContextSizeIsTheValues(t *testing.T) {
	cjk := map[string]string{"note": strings.Repeat("漢", 11000)}   // 33 KB as UTF-8, 66 KB escaped
	escaped, _ := json.Marshal(cjk)                                // Go writes UTF-8 ...
	asPython := strings.ReplaceAll(string(escaped), "漢", `\u6f22`) // ... Python writes escapes
	for _, raw := range []string{string(escaped), asPython} {
		got, err := normContext(json.RawMessage(raw))
		if err != nil {
			t.Fatalf("context of %d bytes as sent: %v", len(raw), err)
		}
		if got != string(escaped) {
			t.Errorf("stored %.60s… (%d bytes), want the UTF-8 form (%d bytes)", got, len(got), len(escaped))
		}
	}

	for _, tc := range []struct{ in, want string }{
		{`{ "b": 1.50, "a": [true, null, 1e3], "c": {} }`, `{"b":1.50,"a":[true,null,1e3],"c":{}}`}, // order and number text kept
		{`{"html":"<a href=\"x\">&amp;</a>"}`, `{"html":"<a href=\"x\">&amp;</a>"}`},                // no HTML escaping
		{`{"z":"\u007a\t\u0001\\\/"}`, `{"z":"z\t\u0001\\/"}`},                                      // control characters stay escaped
		{`"{\"a\": \"\u00e9\"}"`, `{"a":"é"}`},                                                      // the string form too
	} {
		got, err := normContext(json.RawMessage(tc.in))
		if err != nil || got != tc.want {
			t.Errorf("normContext(%s) = %s, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{`{"a":1} {}`, `{"a":1`, `{"a" 1}`, `[1]`, `"[]"`, `{"a":1}]`} {
		if got, err := normContext(json.RawMessage(bad)); err == nil {
			t.Errorf("normContext(%s) = %s, want an error", bad, got)
		}
	}
}
